"""Online, consistent backups: SQLite's backup API, or pg_dump / pg_restore on PostgreSQL.

A restore checks the backup before it touches the database, and replaces the database in one
step or not at all:

1. the file is what Lineage writes: on SQLite a database that passes `PRAGMA integrity_check`,
   on PostgreSQL an archive `pg_restore --list` can read; with Lineage's tables and an Alembic
   revision this code knows (a backup from a newer Lineage is refused, an older one is migrated);
2. its schema is the one Lineage's migrations make at that revision, and nothing more: an empty
   scratch database is migrated to the backup's revision and the two catalogs are compared, so
   that a trigger, a view, an index, a table (or, on PostgreSQL, a function, a rule, a
   sequence, an extension…) that the migrations do not create is refused by name. A trigger
   that empties the audit log on every insert, or rewrites a password hash at each login, comes
   back with no backup;
3. it is loaded into a scratch copy (a folder beside the database, a fresh database on the same
   server), migrated to the latest revision, and its schema compared with the models; every
   login session in it is ended (a backup's sessions may have logged out since), and an audit
   entry by "lineage restore" says that the database was replaced;
4. only then is the live database swapped: on SQLite the checked copy is written into it in one
   transaction (the backup API), so a running server sees the old data or the new, never a mix,
   and its connections stay valid; on PostgreSQL the two databases are renamed.

What is compared:
- SQLite: every row of `sqlite_master` (type, name, table, and the SQL that made it) against the
  scratch database migrated to the backup's revision, and again after both are migrated to the
  latest one. The SQL is compared token by token, ignoring whitespace, comments, letter case
  outside strings and the quoting of names (what SQLite's own rewriting and SQLAlchemy's DDL
  may vary), never the text of a string.
- PostgreSQL: the archive's table of contents (kind, schema, name) against that of the scratch
  database migrated to the backup's revision (`pg_dump --schema-only`). Nothing of the archive
  but its rows and its sequences' positions is used: the scratch database's schema is made by
  Lineage's migrations, and the rows are copied in with COPY statements built here from its
  catalog, so a definition the archive carries (of a known object too) is never run. Privileges
  (ACL entries) are not restored: the tables belong to Lineage's role, as `lineage migrate`
  makes them.

A killed restore leaves its scratch folder (`.<database file>.restore-*`) or scratch database
(`<database>_restore_<8 hex>`): each is locked while its restore runs (an flock on the folder, a
session advisory lock on PostgreSQL), and `clear_leftovers` removes those no restore holds, at the
start of the next restore, of `lineage migrate` and of `lineage serve`.

Any refusal raises `RestoreRefused` with a one-line reason, and the database is as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from app.config import Settings
from app.printing import shown

# The tables without which a file is no Lineage database, whatever its revision.
CORE_TABLES = frozenset({"organization", "document", "citation", "alembic_version"})
# pg_restore may take long on a big archive, but not for ever.
PG_TIMEOUT_SECONDS = 3600
# Who the audit log says replaced the database.
RESTORE_ACTOR = "lineage restore"
# A reason, as a person reads it at the end of one line.
REASON_CHARS = 300


class RestoreRefused(Exception):
    """The backup was not restored; the message says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(one_line(reason))


def one_line(text: object, limit: int = REASON_CHARS) -> str:
    """`text` on one line: its lines joined with "; " (SQLite's integrity check and Alembic's
    diffs answer in several), cut at `limit` characters."""
    line = "; ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _shown(name: object, limit: int = 80) -> str:
    """A name read from a backup, safe to print (app/printing.py), not too long."""
    return shown(name, limit)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_url(settings: Settings, database: str | None = None) -> str:
    # libpq takes postgresql://…, not SQLAlchemy's postgresql+psycopg://…
    url = make_url(settings.sqlalchemy_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian package postgresql-client)")
    return path


def backup(settings: Settings, target: Path) -> None:
    """Copy the live database to `target` while readers and writers go on."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # a consistent snapshot, page by page, online
            # A self-contained file: no -wal beside it for a restore to miss.
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
            source.close()
    elif url.startswith("postgresql"):
        subprocess.run([_tool("pg_dump"), "--format=custom", "--file", str(target), _pg_url(settings)],
                       check=True, capture_output=True)
    else:
        raise ValueError(f"backups are not supported for {url.split(':')[0]}")


def _known_revisions() -> tuple[set[str], str | None]:
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {s.revision for s in scripts.walk_revisions()}, scripts.get_current_head()


def _check_revision(revision: str | None) -> str:
    known, head = _known_revisions()
    if not revision:
        raise RestoreRefused("the backup has no Alembic revision: not a migrated Lineage database")
    if revision not in known:
        raise RestoreRefused(
            f"the backup is at revision {_shown(revision)}, which this Lineage does not know (newest: {head});"
            " restore it with the Lineage that made it"
        )
    return revision


def _migrate_and_compare(url: str) -> None:
    """Bring the scratch copy to the latest revision and compare it with the models."""
    from alembic.util import AutogenerateDiffsDetected

    from app.migrate import check, upgrade

    try:
        upgrade(url)
        check(url, quiet=True)
    except AutogenerateDiffsDetected as exc:
        raise RestoreRefused(f"the backup's schema is not Lineage's: {exc}") from None
    except Exception as exc:  # a migration that fails on this file's contents
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RestoreRefused(f"the backup could not be migrated: {reason}") from None


def _after_restore(url: str, source: Path, live_url: str) -> None:
    """On the checked copy, before it replaces the database: every login session ends (the
    backup's may have logged out since, or belong to a password changed since), the audit
    log says who replaced the database, from which file, and the data version moves past the
    live database's, so that nothing a worker keeps by version (drawings of ranges, pages)
    is taken for the restored data's."""
    from sqlalchemy import delete
    from sqlalchemy.pool import NullPool
    from sqlmodel import Session

    from app.db import make_engine
    from app.models import AdminSession, AuditEntry, DataVersion

    engine = make_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            session.exec(delete(AdminSession))
            row = session.get(DataVersion, 1)
            session.merge(DataVersion(id=1, version=max(_data_version(live_url), row.version if row else 0) + 1))
            session.add(AuditEntry(username=RESTORE_ACTOR, action="restore", document_id=None,
                                   document_label=_shown(source.name, 200)))
            session.commit()
    finally:
        engine.dispose()


def _data_version(url: str) -> int:
    """The live database's data version (0 where it has none yet)."""
    from sqlalchemy import text
    from sqlalchemy.pool import NullPool

    from app.db import make_engine

    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT coalesce(max(version), 0) FROM data_version")).scalar_one()
    except Exception:  # noqa: BLE001 - an empty or unmigrated database: nothing cached by version
        return 0
    finally:
        engine.dispose()


def restore(settings: Settings, source: Path) -> None:
    """Replace the database with the backup at `source`, after checking it (see the module's
    docstring); raises RestoreRefused, leaving the database untouched, when it will not do."""
    if source.is_dir():
        raise RestoreRefused(f"{_shown(source)} is a folder, not a backup file")
    if not source.is_file():
        raise RestoreRefused(f"no backup at {_shown(source)}")
    if source.stat().st_size == 0:
        raise RestoreRefused(f"{_shown(source)} is empty")
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        _restore_sqlite(settings, source)
    elif url.startswith("postgresql"):
        import psycopg

        try:
            _restore_postgresql(settings, source)
        except psycopg.Error as exc:  # the server went away, or refused us (CREATE DATABASE, say)
            raise RestoreRefused(f"the database server refused, and the database was left as it was: {exc}") from None
        except subprocess.TimeoutExpired as exc:
            raise RestoreRefused(f"{exc.cmd[0]} took longer than {PG_TIMEOUT_SECONDS} s") from None
    else:
        raise RestoreRefused(f"restores are not supported for {url.split(':')[0]}")


def clear_leftovers(settings: Settings) -> int:
    """Remove what killed restores left (scratch folders, scratch databases) that no running
    restore holds; returns how many. Cheap: a look at the database's folder, or one query."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        database = make_url(url).database
        if not database or database == ":memory:":
            return 0
        return _clear_sqlite_leftovers(Path(database))
    if url.startswith("postgresql"):
        live = make_url(url).database
        if not live:
            return 0
        with _pg_admin(settings) as admin:
            return _clear_pg_leftovers(admin, live)
    return 0


# --- SQLite ------------------------------------------------------------------------------


def _open_backup(source: Path) -> sqlite3.Connection:
    # Read-only and immutable: the backup is never written, and no -wal/-shm is made beside it.
    con = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    # A damaged file's messages and names may hold any bytes.
    con.text_factory = lambda b: b.decode("utf-8", "replace")
    try:
        rows = con.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        con.close()
        raise RestoreRefused(f"{_shown(source)} is not a usable SQLite database ({exc})") from None
    except UnicodeDecodeError:  # SQLite's message quotes bytes of the damaged schema
        con.close()
        raise RestoreRefused(f"{_shown(source)} is not a usable SQLite database (its schema is damaged)") from None
    if rows != [("ok",)]:
        con.close()
        problems = [line for row in rows for line in str(row[0]).splitlines() if not line.startswith("***")]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RestoreRefused(f"{_shown(source)} fails SQLite's integrity check: {_shown(problems[0], 200)}{more}")
    return con


def _check_sqlite_backup(con: sqlite3.Connection, source: Path) -> str:
    """The backup's revision, once it is known to be a Lineage database's."""
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = CORE_TABLES - tables
    if missing == CORE_TABLES - {"alembic_version"} or missing == CORE_TABLES:
        raise RestoreRefused(
            f"{_shown(source)} is a SQLite database, but not a Lineage one (no {', '.join(sorted(missing))})"
        )
    if "alembic_version" in missing:
        _check_revision(None)
    if missing:
        raise RestoreRefused(f"{_shown(source)} lacks Lineage's table(s) {', '.join(sorted(missing))}")
    revision = con.execute("SELECT version_num FROM alembic_version").fetchall()
    return _check_revision(revision[0][0] if len(revision) == 1 else None)


# Whitespace and comments (dropped), strings (kept as written), quoted names, words, numbers, the rest.
_SQL_TOKEN = re.compile(
    r"""(?P<skip>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
      |(?P<string>'(?:[^']|'')*'?)
      |(?P<quoted>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
      |(?P<word>[^\W\d]\w*)
      |(?P<number>0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
      |(?P<other>\S)""",
    re.X | re.S,
)


_CONSTRAINT_WORDS = {"constraint", "primary", "unique", "check", "foreign"}


def normalized_sql(sql: str | None) -> str | None:
    """A CREATE statement as SQLite compares it: tokens, with whitespace and comments gone, words
    and quoted names in lower case and unquoted; a string's text is kept exactly. A table's
    constraints are put in order: Alembic's batch mode writes them in an order that changes
    from one run to the next (its foreign keys come from a set)."""
    if sql is None:
        return None
    tokens = []
    for m in _SQL_TOKEN.finditer(sql):
        kind, text = m.lastgroup, m.group()
        if kind == "skip":
            continue
        if kind == "quoted":
            text = text[1:-1].replace('""', '"').replace("``", "`").lower()
        elif kind == "word":
            text = text.lower()
        tokens.append(text)
    if tokens[:2] == ["create", "table"] and "(" in tokens:
        tokens = _constraints_in_order(tokens)
    return " ".join(tokens)


def _constraints_in_order(tokens: list[str]) -> list[str]:
    start = tokens.index("(")
    items, item, depth = [], [], 0
    for i in range(start + 1, len(tokens)):
        token = tokens[i]
        if depth == 0 and token in (",", ")"):
            items.append(item)
            item = []
            if token == ")":
                columns = [x for x in items if not x or x[0] not in _CONSTRAINT_WORDS]
                constraints = sorted((x for x in items if x and x[0] in _CONSTRAINT_WORDS), key=" ".join)
                body = [t for n, x in enumerate(columns + constraints) for t in ([","] if n else []) + x]
                return tokens[: start + 1] + body + tokens[i:]
            continue
        depth += token == "("
        depth -= token == ")"
        item.append(token)
    return tokens  # no closing parenthesis: left as it is


def _sqlite_catalog(con: sqlite3.Connection) -> list[tuple[str, str, str, str | None]]:
    """Every schema object, in the order it was made: (type, name, table, normalized SQL)."""
    return [
        (kind, name, table, normalized_sql(sql))
        for kind, name, table, sql in con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
        )
    ]


def _kind(kind: str, sql: str | None) -> str:
    if kind == "table" and (sql or "").startswith("create virtual table"):
        return "virtual table"
    return kind


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def compare_sqlite_schema(found: list, expected: list, *, after: str = "") -> None:
    """Refuse, naming the first, an object of `found` that `expected` lacks or defines otherwise,
    and then one of `expected` that `found` lacks. `after` says when (after a migration)."""
    want = {(kind, name): (table, sql) for kind, name, table, sql in expected}
    have = set()
    for kind, name, table, sql in found:
        have.add((kind, name))
        what = _kind(kind, sql)
        if (kind, name) not in want:
            raise RestoreRefused(f"the backup has {_a(what)} Lineage does not create{after}: {_shown(name)}")
        if want[(kind, name)] != (table, sql):
            raise RestoreRefused(
                f"the backup's {what} {_shown(name)} is not the one Lineage creates{after}: its definition differs"
            )
    for kind, name, table, sql in expected:
        if (kind, name) not in have:
            raise RestoreRefused(f"the backup lacks Lineage's {_kind(kind, sql)} {_shown(name)}{after}")


def _reference(path: Path, revision: str) -> list:
    """The catalog of an empty database migrated to `revision`: the schema a backup at that
    revision must have, made by the migrations themselves."""
    from app.migrate import upgrade

    upgrade(f"sqlite:///{path}", revision)
    con = sqlite3.connect(path)
    try:
        return _sqlite_catalog(con)
    finally:
        con.close()


def _scratch_prefix(live: Path) -> str:
    return f".{live.name}.restore-"


def _try_lock(path: Path) -> int | None:
    """An open descriptor of the folder `path` with an exclusive flock on it, or None when
    another process holds it (or it went). The kernel drops the lock when its holder dies."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _clear_sqlite_leftovers(live: Path) -> int:
    folder = live.parent
    prefix = _scratch_prefix(live)
    removed = 0
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return 0
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            fd = _try_lock(path)
            if fd is None:
                continue  # a restore under way
            try:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                os.close(fd)
        else:  # a file, as an earlier Lineage made its scratch copy (and its -wal, -shm)
            with contextlib.suppress(OSError):
                path.unlink()
        removed += 1
    return removed


@contextlib.contextmanager
def _scratch_dir(live: Path) -> Iterator[Path]:
    """A folder beside the database (same disk), locked while the restore runs and removed at
    its end; a killed restore's is removed by the next (`clear_leftovers`)."""
    live.parent.mkdir(parents=True, exist_ok=True)
    _clear_sqlite_leftovers(live)
    while True:
        path = Path(tempfile.mkdtemp(prefix=_scratch_prefix(live), dir=live.parent))
        fd = _try_lock(path)
        if fd is None:
            continue  # another restore's clearing took it first: it is going
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)  # removed by a clearing between its making and its lock
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _restore_sqlite(settings: Settings, source: Path) -> None:
    live = _sqlite_path(settings.sqlalchemy_url)
    with _scratch_dir(live) as work:
        src = _open_backup(source)
        try:
            revision = _check_sqlite_backup(src, source)
            reference = work / "reference.db"
            compare_sqlite_schema(_sqlite_catalog(src), _reference(reference, revision))
            scratch = work / "restored.db"
            copy = sqlite3.connect(scratch)
            try:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
        finally:
            src.close()
        _migrate_and_compare(f"sqlite:///{scratch}")
        # The migrations ran over the backup's rows: its schema must still be theirs.
        migrated = sqlite3.connect(scratch)
        try:
            found = _sqlite_catalog(migrated)
        finally:
            migrated.close()
        compare_sqlite_schema(found, _reference(reference, "head"), after=" once migrated")
        _after_restore(f"sqlite:///{scratch}", source, settings.sqlalchemy_url)
        checked = sqlite3.connect(scratch)
        dest = sqlite3.connect(live, timeout=30)
        try:
            if checked.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                raise RestoreRefused("the migrated copy fails SQLite's integrity check")
            # One step (pages=-1): the destination is written in a single transaction.
            checked.backup(dest, pages=-1)
        except sqlite3.Error as exc:
            raise RestoreRefused(f"the database could not be replaced, and was left as it was: {exc}") from None
        finally:
            dest.close()
            checked.close()


# --- PostgreSQL ---------------------------------------------------------------------------

# The kinds of `pg_restore --list` that are more than one word (the rest are one).
_PG_KINDS = sorted(
    ["TABLE DATA", "FK CONSTRAINT", "SEQUENCE OWNED BY", "SEQUENCE SET", "DEFAULT ACL", "MATERIALIZED VIEW DATA",
     "MATERIALIZED VIEW", "EVENT TRIGGER", "FOREIGN TABLE", "FOREIGN DATA WRAPPER", "USER MAPPING", "LARGE OBJECT",
     "ROW SECURITY", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "ACCESS METHOD", "OPERATOR CLASS",
     "OPERATOR FAMILY", "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "TEXT SEARCH PARSER",
     "TEXT SEARCH TEMPLATE", "DATABASE PROPERTIES", "SHELL TYPE", "BLOB METADATA", "BLOB DATA",
     "EXTENDED STATISTICS", "STATISTICS DATA"],
    key=len, reverse=True,
)
_TOC_LINE = re.compile(r"^\d+; \d+ \d+ (.*)$")
# Data entries stand for the object whose rows or position they hold.
_PG_DATA_OF = {"TABLE DATA": "TABLE", "SEQUENCE SET": "SEQUENCE"}
# Privileges are not restored (the archive is loaded with none of its statements).
_PG_IGNORED = {"ACL", "DEFAULT ACL"}


def _pg_toc(listing: str) -> list[tuple[str, str, str]]:
    """(kind, schema, name) of each entry of a `pg_restore --list`, in its order; the owner
    (the last word) is left out: the restored objects belong to whoever restores them."""
    entries = []
    for line in listing.splitlines():
        m = _TOC_LINE.match(line)
        if not m:
            continue
        rest = m.group(1)
        kind = next((k for k in _PG_KINDS if rest.startswith(k + " ")), rest.split(" ", 1)[0])
        parts = rest[len(kind) + 1:].split(" ", 1)
        schema, name_owner = parts[0], parts[1] if len(parts) > 1 else ""
        entries.append((kind, schema, name_owner.rsplit(" ", 1)[0] if " " in name_owner else name_owner))
    return entries


def _pg_shown(kind: str, name: str) -> str:
    """`evil_trigger (on auditentry)` for the kinds pg_dump names by table and object."""
    if kind in {"TRIGGER", "CONSTRAINT", "FK CONSTRAINT", "RULE", "POLICY", "DEFAULT", "ROW SECURITY"} and " " in name:
        table, _, own = name.partition(" ")
        return f"{_shown(own)} (on {_shown(table)})"
    return _shown(name)


def compare_pg_toc(found: list[tuple[str, str, str]], expected: list[tuple[str, str, str]]) -> None:
    """Refuse, naming the first, an entry of the archive that the migrations do not make."""
    want = set(expected)
    for kind, schema, name in found:
        if kind in _PG_IGNORED:
            continue
        if (_PG_DATA_OF.get(kind, kind), schema, name) not in want:
            what = {"TABLE DATA": "table", "SEQUENCE SET": "sequence", "BLOBS": "large object",
                    "BLOB": "large object"}.get(kind, kind.lower())
            raise RestoreRefused(f"the backup has {_a(what)} Lineage does not create: {_pg_shown(kind, name)}")


def _pg_list(source: Path | None, data: bytes | None = None) -> str:
    args = [_tool("pg_restore"), "--list"] + ([str(source)] if source is not None else [])
    run = subprocess.run(args, input=data, capture_output=True, timeout=PG_TIMEOUT_SECONDS)
    if run.returncode != 0:
        reason = (run.stderr.decode("utf-8", "replace").strip().splitlines() or ["unreadable"])[-1]
        raise RestoreRefused(f"{_shown(source)} is not a pg_dump archive pg_restore can read ({reason})")
    return run.stdout.decode("utf-8", "replace")


def _pg_revision(source: Path) -> str | None:
    run = subprocess.run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(source)],
        capture_output=True, timeout=PG_TIMEOUT_SECONDS,
    )
    if run.returncode != 0:
        return None
    lines = run.stdout.decode("utf-8", "replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            rows = []
            for row in lines[i + 1:]:
                if row == "\\.":
                    break
                rows.append(row.strip())
            return rows[0] if len(rows) == 1 else None
    return None


def _pg_admin(settings: Settings):
    import psycopg

    # CREATE/ALTER/DROP DATABASE run from the server's maintenance database.
    return psycopg.connect(_pg_url(settings, "postgres"), autocommit=True)


def lock_key(name: str) -> int:
    """The advisory lock (in the maintenance database) that a restore holds on a name while it
    runs: a scratch database's tag, or the live database it replaces."""
    return int.from_bytes(hashlib.sha256(f"lineage restore {name}".encode()).digest()[:8], "big", signed=True)


def _pg_scratch_names(live: str, tag: str) -> tuple[str, str]:
    return f"{live[:40]}_restore_{tag}", f"{live[:40]}_replaced_{tag}"


def _clear_pg_leftovers(admin, live: str) -> int:
    import psycopg
    from psycopg import sql

    pattern = re.compile(rf"^{re.escape(live[:40])}_(?:restore|replaced)_([0-9a-f]{{8}})$")
    removed = 0
    for (name,) in admin.execute("SELECT datname FROM pg_database").fetchall():
        m = pattern.match(name)
        if not m:
            continue
        key = lock_key(m.group(1))
        if not admin.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
            continue  # a restore under way
        try:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            removed += 1
        except psycopg.Error:
            pass  # not ours to drop (another role's): left for its owner
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", [key])
    return removed


_COPY_LINE = re.compile(rb'^COPY (?:public\.)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*) \((.*)\) FROM stdin;\n$')
_NAME = re.compile(rb'"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*')
_SETVAL_LINE = re.compile(rb"^SELECT pg_catalog\.setval\('((?:[^']|'')+)', (-?\d+), (true|false)\);\n$")
_ENCODING_LINE = re.compile(rb"^SET client_encoding = '([A-Za-z0-9_]+)';\n$")
COPY_CHUNK = 1 << 20


def _pg_name(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def _pg_names(raw: bytes) -> list[str] | None:
    names, pos = [], 0
    while pos < len(raw):
        m = _NAME.match(raw, pos)
        if not m:
            return None
        names.append(_pg_name(m.group()))
        pos = m.end()
        if raw[pos:pos + 2] == b", ":
            pos += 2
        elif pos != len(raw):
            return None
    return names


def _pg_load_rows(conn, source: Path) -> None:
    """Copy the archive's rows and sequence positions into the scratch database, whose schema
    the migrations made. Only COPY data is taken from the archive; every statement is built here
    from the scratch database's own catalog. Foreign keys are dropped and made again from their
    own definitions (checking every row), and the tables' triggers are off while rows come in."""
    from psycopg import sql

    columns: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') "
        "AND a.attnum > 0 AND NOT a.attisdropped"
    ).fetchall():
        columns.setdefault(table, set()).add(column)
    sequences = {r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'S'").fetchall()}
    foreign_keys = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY conname"
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid) ORDER BY 1"
    ).fetchall()
    tables = [sql.Identifier("public", t) for t in sorted(columns)]
    for index, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(index)))
    for table, name, _ in foreign_keys:
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.SQL(table), sql.Identifier(name)))
    for table in tables:
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(table))
    conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(tables)))  # the migrations' own rows

    proc = subprocess.Popen([_tool("pg_restore"), "--data-only", "--file=-", str(source)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = iter(proc.stdout.readline, b"")
        for line in lines:
            if m := _ENCODING_LINE.match(line):
                conn.execute("SELECT set_config('client_encoding', %s, false)", [m.group(1).decode()])
            elif line.startswith(b"COPY "):
                m = _COPY_LINE.match(line)
                table = _pg_name(m.group(1)) if m else None
                names = _pg_names(m.group(2)) if m else None
                if table not in columns or names is None or not set(names) <= columns[table]:
                    raise RestoreRefused(f"the backup copies rows into what Lineage does not have: "
                                         f"{_shown(line.decode('utf-8', 'replace'))}")
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier("public", table), sql.SQL(", ").join(map(sql.Identifier, names)))
                with conn.cursor().copy(statement) as copy:
                    chunk, size = [], 0
                    for row in lines:
                        if row == b"\\.\n":
                            break
                        chunk.append(row)
                        size += len(row)
                        if size >= COPY_CHUNK:
                            copy.write(b"".join(chunk))
                            chunk, size = [], 0
                    else:
                        raise RestoreRefused(f"the backup ends inside the rows of {_shown(table)}")
                    if chunk:
                        copy.write(b"".join(chunk))
            elif line.startswith(b"SELECT pg_catalog.setval("):
                m = _SETVAL_LINE.match(line)
                name = _pg_name(m.group(1).replace(b"''", b"'").removeprefix(b"public.")) if m else None
                if name not in sequences:
                    raise RestoreRefused(f"the backup sets a sequence Lineage does not have: "
                                         f"{_shown(line.decode('utf-8', 'replace'))}")
                conn.execute("SELECT setval(%s::regclass, %s, %s)",
                             [sql.Identifier("public", name).as_string(conn), int(m.group(2)), m.group(3) == b"true"])
        if proc.wait(timeout=PG_TIMEOUT_SECONDS) != 0:
            reason = (proc.stderr.read().decode("utf-8", "replace").strip().splitlines() or ["failed"])[-1]
            raise RestoreRefused(f"pg_restore failed on {_shown(source)}: {reason}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    for _, definition in indexes:
        conn.execute(sql.SQL(definition))
    for table, name, definition in foreign_keys:
        conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.SQL(table), sql.Identifier(name), sql.SQL(definition)))
    for table in tables:
        conn.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(table))


def _restore_postgresql(settings: Settings, source: Path) -> None:
    import psycopg
    from psycopg import sql

    from app.migrate import upgrade

    toc = _pg_toc(_pg_list(source))
    tables = {name for kind, schema, name in toc if kind == "TABLE" and schema == "public"}
    missing = CORE_TABLES - tables
    if missing:
        raise RestoreRefused(
            f"{_shown(source)} is a pg_dump archive, but not of a Lineage database (no {', '.join(sorted(missing))})"
        )
    revision = _check_revision(_pg_revision(source))

    live = make_url(settings.sqlalchemy_url).database
    if not live:
        raise RestoreRefused("the database URL names no database")
    # The admin connection lives as long as the restore: its advisory lock tells a later
    # restore that the scratch database is in use; when this process dies the lock goes with it.
    with _pg_admin(settings) as admin:
        _clear_pg_leftovers(admin, live)
        tag = secrets.token_hex(4)
        scratch, old = _pg_scratch_names(live, tag)
        admin.execute("SELECT pg_advisory_lock(%s)", [lock_key(tag)])
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        swapped = False
        scratch_url = _pg_url(settings, scratch)
        try:
            try:
                upgrade(scratch_url, revision)
            except Exception as exc:
                raise RestoreRefused(f"the scratch database could not be migrated: {exc}") from None
            dump = subprocess.run([_tool("pg_dump"), "--schema-only", "--format=custom", scratch_url],
                                  capture_output=True, timeout=PG_TIMEOUT_SECONDS, check=True)
            compare_pg_toc(toc, _pg_toc(_pg_list(None, dump.stdout)))
            try:
                with psycopg.connect(scratch_url) as conn:
                    _pg_load_rows(conn, source)
                    loaded = conn.execute("SELECT version_num FROM alembic_version").fetchall()
                    if loaded != [(revision,)]:
                        raise RestoreRefused("the backup's rows do not hold the revision its archive says")
            except psycopg.Error as exc:
                raise RestoreRefused(f"the backup's rows do not fit Lineage's schema: {exc}") from None
            _migrate_and_compare(scratch_url)
            _after_restore(Settings(database_url=scratch_url).sqlalchemy_url, source, settings.sqlalchemy_url)
            # One restore of a database at a time swaps it.
            admin.execute("SELECT pg_advisory_lock(%s)", [lock_key(live)])
            # A database cannot be renamed while connected to: the running workers' connections
            # are closed, and they reconnect (pool_pre_ping; the page cache's listener counts a
            # reconnection as a change) to the restored database.
            terminate = sql.SQL(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND pid <> pg_backend_pid()"
            )
            admin.execute(terminate.format(sql.Literal(live)))
            with admin.transaction():
                admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(live), sql.Identifier(old)))
                admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(scratch), sql.Identifier(live)))
            swapped = True
            admin.execute(terminate.format(sql.Literal(old)))
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))
        except psycopg.Error as exc:
            raise RestoreRefused(f"the database could not be swapped, and was left as it was: {exc}") from None
        except subprocess.CalledProcessError as exc:
            reason = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines() or [str(exc)]
            raise RestoreRefused(f"the scratch database could not be read: {reason[-1]}") from None
        finally:
            if not swapped:
                with contextlib.suppress(psycopg.Error):
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
