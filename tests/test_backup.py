"""`lineage backup` and `lineage restore`: a round trip gives identical data, and a restore
checks the backup before it touches the database: a corrupt, truncated, foreign or too new
backup is refused with a one-line reason and the database is left as it was."""

import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session, delete, func, select

from app.backup import RestoreRefused, backup, restore
from app.cli import main
from app.config import PROJECT_ROOT, Settings
from app.db import make_engine
from app.documents.store import seed
from app.migrate import upgrade
from app.models import Citation, Document
from tests.conftest import SEED_DIR, TEST_DB_URL
from tests.test_exports_jsonl import _state


@pytest.fixture
def live(tmp_path):
    """A migrated, seeded database of its own (on PostgreSQL a database made for the test):
    restore renames and replaces it, so it must not be the one the other tests share."""
    if TEST_DB_URL:
        base = make_url(Settings(database_url=TEST_DB_URL).sqlalchemy_url)
        name = f"{base.database}_restore_{secrets.token_hex(3)}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(TEST_DB_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    settings = Settings(database_url=url)
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as s:
        seed(s, SEED_DIR)
    engine.dispose()
    yield settings
    if TEST_DB_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _snapshot(settings: Settings):
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as s:
            return _state(s)
    finally:
        engine.dispose()


def _empty_it(settings: Settings) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as s:
        s.exec(delete(Citation))
        s.exec(delete(Document))
        s.commit()
    engine.dispose()


def test_backup_then_restore_gives_identical_data(live, tmp_path):
    before = _snapshot(live)
    path = tmp_path / "lineage.backup"
    backup(live, path)
    assert path.stat().st_size > 0
    _empty_it(live)
    assert _snapshot(live)[1] == []

    restore(live, path)
    assert _snapshot(live) == before


def _data_version(settings: Settings) -> int:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version FROM data_version").scalar_one()
    finally:
        engine.dispose()


def test_a_restored_database_is_never_at_a_data_version_the_live_one_had(live, tmp_path):
    """A worker keeps drawings of ranges by data version (app/graph/memory.py): a backup
    restored at the number the live database had reached would be served another's drawings."""
    path = tmp_path / "lineage.backup"
    backup(live, path)
    at_backup = _data_version(live)
    _empty_it(live)
    live_version = _data_version(live)
    assert live_version > at_backup
    restore(live, path)
    assert _data_version(live) > live_version


def test_restore_refuses_a_missing_backup(live, tmp_path):
    with pytest.raises(RestoreRefused, match="no backup"):
        restore(live, tmp_path / "nope")


def _good_backup(live, tmp_path):
    path = tmp_path / "good.backup"
    backup(live, path)
    return path


def _corrupt(path, tmp_path):
    data = bytearray(path.read_bytes())
    # Scribble over the middle pages: table b-trees and rows, not just free space.
    for i in range(len(data) // 4, len(data) * 3 // 4, 97):
        data[i] = (data[i] + 0x5A) % 256
    bad = tmp_path / "corrupt.backup"
    bad.write_bytes(bytes(data))
    return bad


def _truncated(path, tmp_path):
    bad = tmp_path / "truncated.backup"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return bad


def _unrelated(_path, tmp_path):
    bad = tmp_path / "unrelated.backup"
    if TEST_DB_URL:
        bad.write_bytes(b"PGDMP" + bytes(range(256)) * 8)  # a header, then nothing pg_restore reads
    else:
        con = sqlite3.connect(bad)
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        con.execute("INSERT INTO notes (body) VALUES ('shopping list')")
        con.commit()
        con.close()
    return bad


def _not_a_database(_path, tmp_path):
    bad = tmp_path / "text.backup"
    bad.write_text("these are not the bytes of any database\n" * 200)
    return bad


def _empty_file(_path, tmp_path):
    bad = tmp_path / "empty.backup"
    bad.write_bytes(b"")
    return bad


def _a_folder(_path, tmp_path):
    bad = tmp_path / "folder.backup"
    bad.mkdir()
    (bad / "inside").write_text("a file in a folder")
    return bad


def _random_bytes(_path, tmp_path):
    bad = tmp_path / "random.backup"
    bad.write_bytes(random.Random(27).randbytes(64 * 1024))
    return bad


def _broken_tree(path, tmp_path):
    """An overflow page whose link to the next one points past the end of the file: SQLite's
    integrity check answers in several lines ("*** in database main ***", then the problems)."""
    if TEST_DB_URL:  # an archive: its middle scribbled over, as `_corrupt` does
        return _corrupt(path, tmp_path)
    bad = tmp_path / "broken-tree.backup"
    con = sqlite3.connect(path)
    size = con.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in con.execute("SELECT pageno FROM dbstat WHERE pagetype = 'overflow' ORDER BY pageno")]
    con.close()
    for page in pages:
        data = bytearray(path.read_bytes())
        data[(page - 1) * size:(page - 1) * size + 4] = (0x55555555).to_bytes(4, "big")
        bad.write_bytes(bytes(data))
        con = sqlite3.connect(f"{bad.as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            if "\n" in con.execute("PRAGMA integrity_check").fetchall()[0][0]:
                return bad
        except sqlite3.DatabaseError:
            pass  # refused sooner, in one line already: try the next page
        finally:
            con.close()
    pytest.fail("no overflow page of the backup gives a check in several lines")


def _newer_revision(path, tmp_path, live=None):
    bad = tmp_path / "newer.backup"
    if TEST_DB_URL:
        engine = make_engine(live.sqlalchemy_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        engine.dispose()
        backup(live, bad)  # the test puts the live revision back
    else:
        shutil.copy(path, bad)
        con = sqlite3.connect(bad)
        con.execute("UPDATE alembic_version SET version_num = '9999'")
        con.commit()
        con.close()
    return bad


@pytest.mark.parametrize("spoil, reason", [
    (_corrupt, r"integrity|pg_restore|not a usable|migrated"),
    (_truncated, r"integrity|pg_restore|not a usable"),
    (_unrelated, r"not a Lineage|pg_restore can read"),
    (_not_a_database, r"not a usable|pg_restore can read"),
    (_newer_revision, r"revision 9999"),
    (_empty_file, r"is empty"),
    (_a_folder, r"is a folder"),
    (_random_bytes, r"not a usable|pg_restore can read"),
    (_broken_tree, r"integrity check: On tree page|pg_restore|migrated"),
], ids=["corrupt", "truncated", "unrelated", "not-a-database", "newer-revision", "empty", "folder", "random-bytes",
        "broken-tree"])
def test_a_bad_backup_is_refused_and_the_database_is_left_as_it_was(live, tmp_path, spoil, reason, capsys, monkeypatch):
    good = _good_backup(live, tmp_path)
    if spoil is _newer_revision:
        bad = spoil(good, tmp_path, live)
        if TEST_DB_URL:  # put the live revision back as it was
            engine = make_engine(live.sqlalchemy_url)
            with engine.begin() as conn:
                from app.backup import _known_revisions

                conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": _known_revisions()[1]})
            engine.dispose()
    else:
        bad = spoil(good, tmp_path)
    before = _snapshot(live)
    files_before = sorted(p.name for p in tmp_path.iterdir())

    status = _restore_cli(live, monkeypatch, bad)
    err = capsys.readouterr().err
    assert status != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("restore refused: ")
    assert re.search(reason, err), err
    assert _snapshot(live) == before
    # No scratch file is left beside the database.
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file migrated at an older revision")
def test_a_backup_of_an_older_revision_is_migrated_on_restore(tmp_path):
    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(old_url, "0005")
    con = sqlite3.connect(tmp_path / "old.db")
    con.execute("INSERT INTO document (id, key, kind, provenance, created_at, updated_at, version) "
                "VALUES (1, 'k', 'other', '{}', '2026-01-01', '2026-01-01', 1)")
    con.commit()
    con.close()
    live = Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(live.database_url)
    restore(live, tmp_path / "old.db")
    engine = make_engine(live.sqlalchemy_url)
    with engine.connect() as conn:
        from app.backup import _known_revisions

        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _known_revisions()[1]
        assert conn.execute(text("SELECT key FROM document")).scalars().all() == ["k"]
    engine.dispose()


@pytest.mark.skipif(not TEST_DB_URL, reason="pg_restore --list")
def test_pg_restore_tool_is_there():
    assert subprocess.run(["pg_restore", "--version"], capture_output=True).returncode == 0


# --- a backup's schema is the migrations' own, and nothing more ------------------------------

# (id, statements that spoil a database, on SQLite and on PostgreSQL, what the refusal names)
HOSTILE = [
    ("trigger-that-empties-the-audit-log",
     ["CREATE TRIGGER evil_trigger AFTER INSERT ON auditentry BEGIN DELETE FROM auditentry; END"],
     ["CREATE TRIGGER evil_trigger AFTER INSERT ON auditentry FOR EACH STATEMENT "
      "EXECUTE FUNCTION lineage_notify_change()"],
     r"a trigger Lineage does not create: evil_trigger"),
    ("trigger-that-rewrites-passwords",
     ['CREATE TRIGGER evil_login AFTER INSERT ON loginattempt BEGIN UPDATE "user" SET password_hash = \'x\'; END'],
     ["CREATE FUNCTION evil_login() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN UPDATE \"user\" SET password_hash = 'x'; RETURN NULL; END $$"],
     r"a (trigger|function) Lineage does not create: evil_login"),
    ("view", ['CREATE VIEW evil_view AS SELECT username, password_hash FROM "user"'],
     ['CREATE VIEW evil_view AS SELECT username, password_hash FROM "user"'],
     r"a view Lineage does not create: evil_view"),
    ("index", ["CREATE INDEX evil_index ON auditentry (username)"],
     ["CREATE INDEX evil_index ON auditentry (username)"],
     r"an index Lineage does not create: evil_index"),
    ("table", ["CREATE TABLE evil_table (x TEXT)"], ["CREATE TABLE evil_table (x TEXT)"],
     r"a table Lineage does not create: evil_table"),
    ("virtual-table-or-sequence", ["CREATE VIRTUAL TABLE evil_fts USING fts5(x)"], ["CREATE SEQUENCE evil_seq"],
     r"a (virtual table|sequence) Lineage does not create: evil_(fts|seq)"),
    ("rule", [], ["CREATE RULE evil_rule AS ON INSERT TO auditentry DO INSTEAD NOTHING"],
     r"a rule Lineage does not create: evil_rule"),
    ("schema", [], ["CREATE SCHEMA evil_schema"], r"a schema Lineage does not create: evil_schema"),
    ("known-trigger-other-sql",
     ["DROP TRIGGER document_data_version_insert",
      "CREATE TRIGGER document_data_version_insert AFTER INSERT ON document BEGIN DELETE FROM auditentry; END"],
     [], r"trigger document_data_version_insert is not the one Lineage creates: its definition differs"),
    ("known-table-other-sql", ["ALTER TABLE auditentry ADD COLUMN evil TEXT"], [],
     r"table auditentry is not the one Lineage creates"),
    ("missing-trigger", ["DROP TRIGGER document_fts_ai"], [], r"lacks Lineage's trigger document_fts_ai"),
]


def _run(settings: Settings, statements) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _hostile_backup(live, tmp_path, sqlite_statements, pg_statements):
    """A backup of `live` with the statements run in it (on PostgreSQL run in `live` itself
    before its backup, as the archive could only be made so)."""
    path = tmp_path / "hostile.backup"
    if TEST_DB_URL:
        _run(live, pg_statements)
        backup(live, path)
    else:
        backup(live, path)
        con = sqlite3.connect(path)
        con.executescript(";\n".join(sqlite_statements) + ";")
        con.close()
    return path


def _restore_cli(live, monkeypatch, path):
    from app.config import get_settings

    monkeypatch.setenv("LINEAGE_DATABASE_URL", live.database_url)
    get_settings.cache_clear()
    try:
        return main(["restore", str(path)])
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("sqlite_statements, pg_statements, reason", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_a_backup_with_what_the_migrations_do_not_make_is_refused(live, tmp_path, monkeypatch, capsys,
                                                                 sqlite_statements, pg_statements, reason):
    if not (pg_statements if TEST_DB_URL else sqlite_statements):
        pytest.skip("not a case on this database")
    path = _hostile_backup(live, tmp_path, sqlite_statements, pg_statements)
    before = _snapshot(live)
    files_before = sorted(p.name for p in tmp_path.iterdir())

    assert _restore_cli(live, monkeypatch, path) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [err.strip()] and err.startswith("restore refused: "), err
    assert re.search(reason, err), err
    assert _snapshot(live) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


def _audit_rows(settings: Settings) -> int:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM auditentry")).scalar()
    finally:
        engine.dispose()


@pytest.mark.skipif(not TEST_DB_URL, reason="PostgreSQL: a known function with another body")
def test_postgresql_restores_lineages_own_definitions_never_the_archives(live, tmp_path):
    """The archive's statements are never run: a function of Lineage's name, rewritten to empty
    the audit log, comes back as the migrations make it."""
    evil = ("CREATE OR REPLACE FUNCTION lineage_notify_change() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN DELETE FROM auditentry; RETURN NULL; END $$")
    before = _audit_rows(live)  # the seed's entries
    path = _hostile_backup(live, tmp_path, [], [evil])
    restore(live, path)
    engine = make_engine(live.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            body = conn.execute(text("SELECT prosrc FROM pg_proc WHERE proname = 'lineage_notify_change'")).scalar()
    finally:
        engine.dispose()
    assert "auditentry" not in body and "pg_notify" in body
    _run(live, ["INSERT INTO document (key, kind, provenance, created_at, updated_at, version) "
                "VALUES ('after-restore', 'other', '{}', now(), now(), 1)"])
    assert _audit_rows(live) == before + 1  # the restore's own entry beside the seed's, still there


# --- what a restore brings back, and what it ends ---------------------------------------------


def test_a_restore_ends_every_session_says_whose_passwords_and_is_audited(live, tmp_path, monkeypatch, capsys):
    from app.accounts.sessions import close_session, open_session, session_user
    from app.accounts.users import create_admin, user_by_name
    from app.models import AdminSession, AuditEntry

    engine = make_engine(live.sqlalchemy_url)
    with Session(engine) as s:
        create_admin(s, "alice", "the first long password")
        kept = open_session(s, user_by_name(s, "alice"))
        logged_out = open_session(s, user_by_name(s, "alice"))
    path = tmp_path / "with-sessions.backup"
    backup(live, path)
    with Session(engine) as s:  # after the backup: one session logs out, another starts
        close_session(s, logged_out)
        later = open_session(s, user_by_name(s, "alice"))
    engine.dispose()

    assert _restore_cli(live, monkeypatch, path) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"restored from {path}"
    assert len(out) == 2 and "session" in out[1] and "accounts and passwords of the backup" in out[1]

    engine = make_engine(live.sqlalchemy_url)
    try:
        with Session(engine) as s:
            assert [session_user(s, t) for t in (kept, logged_out, later)] == [None, None, None]
            assert s.exec(select(func.count()).select_from(AdminSession)).one() == 0
            newest = s.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert (newest.username, newest.action, newest.document_label) == ("lineage restore", "restore", path.name)
    finally:
        engine.dispose()


# --- a killed restore leaves nothing once the next command starts -----------------------------


def _leftovers(folder, db_name: str) -> list:
    return sorted(p for p in folder.iterdir() if p.name.startswith(f".{db_name}.restore-"))


def _under_way(folder, db_name: str) -> bool:
    """The restore's scratch copy is made (a folder with it, or as an earlier Lineage made it, a
    file beside the database)."""
    return any((p / "restored.db").exists() if p.is_dir() else p.stat().st_size > 0
               for p in _leftovers(folder, db_name))


def _wait_for(condition, proc, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the restore ended ({proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.05)


def _lineage_process(live, *args, **kwargs):
    env = {**os.environ, "LINEAGE_DATABASE_URL": live.database_url}
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file and its folder")
@pytest.mark.parametrize("then", [["migrate"], ["restore", "{backup}"], ["serve", "--port", "{port}"]],
                         ids=["migrate", "restore", "serve"])
def test_a_killed_restore_leaves_nothing_once_the_next_command_starts(live, tmp_path, then):
    good = _good_backup(live, tmp_path)
    db = Path(make_url(live.sqlalchemy_url).database)
    # A writer holds the database: the restore, its copy made and checked, waits to swap it in.
    holder = sqlite3.connect(db)
    holder.execute("BEGIN IMMEDIATE")
    proc = _lineage_process(live, "restore", str(good))
    try:
        _wait_for(lambda: _under_way(tmp_path, db.name), proc, "scratch copy")
        proc.kill()
        proc.wait()
    finally:
        holder.rollback()
        holder.close()
    assert _leftovers(tmp_path, db.name), "the killed restore left nothing to clear"

    port = _free_port()
    args = [a.format(backup=good, port=port) for a in then]
    nxt = _lineage_process(live, *args)
    try:
        if then[0] == "serve":  # it clears them as it starts: by the time it answers
            _wait_for(lambda: _answers(port), nxt, "answer from the server")
        else:
            assert nxt.wait(timeout=300) == 0
    finally:
        if nxt.poll() is None:
            nxt.terminate()
            nxt.wait()
    assert _leftovers(tmp_path, db.name) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.skipif(not TEST_DB_URL, reason="a scratch database on the PostgreSQL server")
@pytest.mark.parametrize("then", [["migrate"], ["restore", "{backup}"]], ids=["migrate", "restore"])
def test_a_killed_restore_leaves_no_scratch_database_once_the_next_command_starts(live, tmp_path, then):
    import psycopg

    from app.backup import lock_key

    good = _good_backup(live, tmp_path)
    name = make_url(live.sqlalchemy_url).database
    base = make_url(live.sqlalchemy_url).set(drivername="postgresql", database="postgres")

    def scratch():
        return admin.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                             [f"{name[:40]}_restore_"]).fetchall()

    with psycopg.connect(base.render_as_string(hide_password=False), autocommit=True) as admin:
        # Another restore of the same database is swapping it: this one, loaded, waits its turn.
        admin.execute("SELECT pg_advisory_lock(%s)", [lock_key(name)])
        proc = _lineage_process(live, "restore", str(good))
        try:
            _wait_for(lambda: admin.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()[0],
                proc, "restore waiting to swap")
            proc.kill()
            proc.wait()
        finally:
            admin.execute("SELECT pg_advisory_unlock_all()")
        assert scratch(), "the killed restore left no scratch database"
        args = [a.format(backup=good) for a in then]
        assert _lineage_process(live, *args).wait() == 0
        assert scratch() == []
