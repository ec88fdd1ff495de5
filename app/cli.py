"""The `lineage` command."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from pathlib import Path

from app.config import PROJECT_ROOT, get_settings


def _session():
    from sqlmodel import Session

    import app.web.chain_html  # noqa: F401  (the writer renders the chain pages it changes)
    from app.db import get_engine

    return Session(get_engine())


# What a command needs of the database. A command's subparser says so (`database_need=`) unless
# it reads or writes Lineage's tables: every other command is refused in one line, before it
# starts, on a database not at the migrations' head (never a "no such table" halfway through).
MIGRATED = "migrated"
MIGRATED_AFTER_INPUT = "migrated, checked by the command after what was typed"
ANY_DATABASE = "any"  # migrate makes it so, restore replaces it
NO_DATABASE = "none"


class CommandError(Exception):
    """What a command prints, in one line, before it exits with status 1."""


def _require_migrated() -> None:
    """Refuse, in one line, a database that is not at the migrations' head: never let a command
    meet a missing table halfway through."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from app.db import get_engine
    from app.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    try:
        with get_engine().connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot open the database: {_first_line(exc)}") from None
    if current is None:
        raise CommandError("the database is not migrated: run `lineage migrate` first")
    if current != head:
        raise CommandError(f"the database is at revision {current}, this Lineage needs {head}:"
                           " run `lineage migrate` (or use the Lineage that made it)")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__


def cmd_extract(args: argparse.Namespace) -> int:
    from app.citations import extract
    from app.citations.excerpt import bounded_json

    # newline="" keeps the file's own line endings, so offsets point into the file as given.
    try:
        with open(args.file, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise CommandError(f"{args.file} is not UTF-8 text (byte {exc.start}): convert it first, "
                           "or give a PDF or Word file to `lineage ingest`") from None
    found = extract(text, lang=None if args.lang == "auto" else args.lang)
    if args.json or args.paragraphs:
        # Each citation's paragraph is its excerpt: a full copy with every citation would make the
        # output grow with the square of a paragraph that lists many symbols.
        items, paragraphs = bounded_json(found)
        out = {"citations": items, "paragraphs": paragraphs} if args.paragraphs else items
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for c in found:
            date = c.date.isoformat() if c.date else "-"
            print(f"{c.start:>6}-{c.end:<6} {c.symbol:<28} {c.verb or '-':<10} {date:<10} {c.location}")
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    from alembic.util import CommandError as AlembicError

    from app.migrate import upgrade

    _clear_restore_leftovers()
    try:
        upgrade(get_settings().database_url)
    except AlembicError as exc:  # a database from a newer Lineage, say
        raise CommandError(_first_line(exc)) from None
    # The chains as their pages show them, rendered by another version of Lineage (or not yet):
    # rendered again now, so that pages read them instead of rendering each chain per request.
    from app.web import chain_html

    with _session() as session:
        rendered = chain_html.refresh(session)
        session.commit()
    if rendered:
        print(f"rendered {rendered} chains again for this version")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from app.documents.store import database_is_empty, seed

    with _session() as session:
        if args.if_empty and not database_is_empty(session):
            print("database already has documents: seed skipped")
            return 0
        try:
            counts = seed(session, Path(args.dir) if args.dir else get_settings().seed_dir)
        except ValueError as exc:
            print(f"lineage seed: {exc}", file=sys.stderr)
            return 1
    for conflict in counts["conflicts"]:
        print(f"conflict: {conflict.line()}")
    print(
        f"seeded {counts['organizations']} organizations and {counts['documents']} documents"
        f" ({counts['changed']} changed); facts from public sources on {counts['public_documents']} documents"
        f"; {len(counts['conflicts'])} conflicts"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import os

    from tqdm import tqdm

    from sqlmodel import Session

    import app.web.chain_html  # noqa: F401  (the writer renders the chain pages it changes)
    from app.db import make_engine
    from app.exports.jsonl import import_jsonl

    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    try:
        size = os.path.getsize(args.file)
        fh = open(args.file, "rb")  # bytes: a line that is not UTF-8 is a bad line, not a crash
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    # A transaction per batch with a savepoint per line (app/db.py says why SQLite needs this).
    engine = make_engine(get_settings().sqlalchemy_url, savepoints=True)
    try:
        with Session(engine) as session, fh, tqdm(
            total=size, unit="B", unit_scale=True, desc="import", disable=args.quiet
        ) as bar:
            def show_conflict(number: int, line: str) -> None:  # document, field, kept, not applied
                (bar.write if not args.quiet else print)(f"{args.file}:{number}: conflict: {line}", file=sys.stdout)

            report = import_jsonl(session, fh, batch_size=args.batch_size, progress=bar.update,
                                  on_conflict=show_conflict)
    finally:
        engine.dispose()
    for number, reason in report.errors:
        print(f"{args.file}:{number}: {reason}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """One line per path met (added, updated, unchanged, skipped or refused, with why), every
    name escaped onto its line (`app.printing.shown`), then a summary; exit 1 when anything was
    refused (a skipped file, of another type or read under another name, is not)."""
    import time

    from tqdm import tqdm

    from app.documents.intake import discover, ingest_paths
    from app.printing import shown

    started = time.perf_counter()
    for stream in (sys.stdout, sys.stderr):  # a terminal that is not UTF-8: a name is never a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")

    def show(path: str, status: str, detail: str) -> None:
        said = f": {detail}" if status in ("refused", "skipped") else f" ({detail})"
        line = f"{status:<9} {shown(path)}{shown(said)}"
        (bar.write if not args.quiet else print)(line, file=sys.stderr if status == "refused" else sys.stdout)

    def show_conflict(path: str, line: str) -> None:  # after its file's line: document, field, kept, not applied
        (bar.write if not args.quiet else print)(f"{'conflict':<9} {shown(path)}: {line}", file=sys.stdout)

    try:
        found, _ = discover(args.paths)
        with _session() as session, tqdm(total=len(found), unit="file", desc="ingest", disable=args.quiet) as bar:
            report = ingest_paths(session, args.paths, batch_size=args.batch_size, progress=bar.update,
                                  on_result=show, on_conflict=show_conflict)
    except KeyboardInterrupt:
        # the batch under way is rolled back whole; the same command again goes on from there
        print("lineage ingest: interrupted; the files of the batch under way were not stored: "
              "run the same command again to complete", file=sys.stderr)
        return 130
    took = time.perf_counter() - started
    done = len(report.results)
    print(
        f"{done} files: {report.count('added')} added, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {report.refused} refused, {report.skipped} skipped "
        f"in {took:.1f} s ({done / took if took > 0 else 0:.1f} files/s), {len(report.conflicts)} conflicts"
    )
    return 1 if report.refused else 0


def cmd_name_organization(args: argparse.Namespace) -> int:
    from app.documents.intake import name_organization

    with _session() as session:
        try:
            org = name_organization(session, args.key, args.acronym, args.name_en)
        except ValueError as e:
            print(f"lineage: {e}", file=sys.stderr)
            return 1
    print(f"{args.key} is now {org.acronym}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from app.exports.jsonl import export_lines

    count = 0
    with _session() as session, open(args.file, "w", encoding="utf-8") as out:
        for line in export_lines(session):
            out.write(line + "\n")
            count += 1
    print(f"exported {count} lines to {args.file}")
    return 0


def cmd_rebuild(_args: argparse.Namespace) -> int:
    import time

    from app.chains import readmodel

    start = time.perf_counter()
    with _session() as session:
        counts = readmodel.rebuild(session)
        session.commit()
    print(f"rebuilt the read model: {counts['organizations']} chains, {counts['redated']} dates corrected"
          f" in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    """An administrator account: the password from LINEAGE_ADMIN_PASSWORD, else a prompt."""
    import getpass

    from app.accounts.users import check_new_credentials, create_admin

    password = get_settings().admin_password
    if not password:
        if not sys.stdin.isatty():
            print("no terminal to ask for a password: set LINEAGE_ADMIN_PASSWORD", file=sys.stderr)
            return 2
        password = getpass.getpass(f"password for {args.username}: ")
        if password != getpass.getpass("again: "):
            print("the two passwords differ", file=sys.stderr)
            return 2
    problem = check_new_credentials(args.username, password)
    if problem:
        print(f"refused: {problem}", file=sys.stderr)
        return 2
    _require_migrated()  # after the password: what the person typed is checked first
    with _session() as session:
        try:
            created = create_admin(session, args.username, password, reset=args.reset_password)
        except ValueError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1
    print(f"{'created' if created else 'new password for'} admin {args.username}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from app.backup import backup

    backup(get_settings(), Path(args.path))
    print(f"backed up to {args.path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from app.backup import RestoreRefused, restore

    try:
        restore(get_settings(), Path(args.path))
    except RestoreRefused as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    print(f"restored from {args.path}")
    # The accounts come back with the rows: say so, since a password changed (or an account
    # removed) since the backup was made is undone.
    print("every login session was ended: administrators log in again, with the accounts and passwords"
          " of the backup (a password changed since it was made is undone)")
    return 0


def _clear_restore_leftovers() -> None:
    """What a killed `lineage restore` left (a scratch copy, a scratch database): removed when
    no restore holds it. Never a reason for the command to fail."""
    from app.backup import clear_leftovers

    with contextlib.suppress(Exception):
        clear_leftovers(get_settings())


def cmd_draw_graphs(args: argparse.Namespace) -> int:
    """Lay out every organization's timeline and the overall one, ahead of their first readers."""
    import time

    from app.chains.queries import organizations
    from app.graph import drawings
    from app.web.urls import document as document_url

    langs = [x for x in args.lang.split(",") if x]
    drawn = failed = kept = 0
    started = time.monotonic()
    with _session() as session:
        engine = session.get_bind()
        # every organization's graph, and every page of lanes of the overall one as first shown
        targets = [(org, 1) for org in organizations(session)]
        first = drawings.prepare(session, None, langs[0] if langs else "zh", url=document_url)
        targets += [(None, page) for page in range(1, first.scope.lanes_pages + 1)]
        for org, page in targets:
            for lang in langs:
                g = drawings.prepare(session, org, lang, url=document_url, page=page)
                if g.drawing is not None:
                    kept += 1
                    if not g.current:  # drawn for older data that it still shows
                        drawings.restamp(g, engine)
                    continue
                drawing = drawings.draw(g, engine)
                drawn += 1
                failed += drawing.svg is None
                if not args.quiet:
                    print(f"{g.scope_key} {lang}: {drawing.routing}", flush=True)
    print(f"{drawn} graphs drawn ({failed} as lists), {kept} already drawn, "
          f"in {time.monotonic() - started:.0f} s")
    return 0


def _limit_malloc_arenas() -> None:
    """glibc gives each of the thread pool's threads its own memory arena; two keep a worker
    under 160 MB at 10x scale instead of over 200 MB (bench/README.md), at the same speed."""
    import ctypes
    import os

    os.environ.setdefault("MALLOC_ARENA_MAX", "2")  # for the worker processes uvicorn starts
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, int(os.environ["MALLOC_ARENA_MAX"]))  # M_ARENA_MAX
    except (OSError, AttributeError, ValueError):
        pass  # not glibc: nothing to tune


def listening_socket(host: str, port: int):
    """The socket `serve --workers N` shares with its workers, made as asyncio makes its own.

    uvicorn makes it without naming the protocol (IPPROTO_TCP), and asyncio then leaves Nagle's
    algorithm on for every connection accepted from it: a response written in two parts waits for
    the client's delayed acknowledgement, about 40 ms a request whatever the page."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    _limit_malloc_arenas()
    _clear_restore_leftovers()
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # the workers import app.main from the checkout

    settings = get_settings()
    config = uvicorn.Config(
        # the app inside the guard against clients that stop reading, and uvicorn's h11 protocol
        # with a clock on each request's head (app/web/slow_clients.py)
        "app.main:server_app",
        http="app.web.slow_clients:H11Protocol",
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Forwarded headers are read by the app itself, from LINEAGE_TRUSTED_PROXIES only
        # (app/main.py); uvicorn's own reading would trust loopback by default.
        proxy_headers=False,
        # Longer than clients' and proxies' idle keep-alive (httpx: 5 s, nginx's upstream: 60 s,
        # uvicorn's default: 5 s): otherwise the server may close a connection as a client reuses
        # it. An idle connection is closed after it.
        timeout_keep_alive=65,
        # Connections a worker holds at once (each up to a few MB of socket buffers while a client
        # reads slowly): past them uvicorn answers 503 at once rather than take on more.
        limit_concurrency=settings.max_connections,
        # Connections the kernel queues before a worker accepts them (uvicorn's default).
        backlog=2048,
    )
    if args.workers <= 1:
        uvicorn.Server(config).run()  # asyncio makes the socket, with TCP_NODELAY on each connection
        return 0
    sock = listening_socket(args.host, args.port)
    print(f"Lineage on http://{args.host}:{args.port} with {args.workers} workers (Press CTRL+C to quit)",
          file=sys.stderr, flush=True)
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lineage", description="Lineage: UN resolutions and their citations")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("extract", help="print the citations found in a text file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true",
                   help="a JSON array of citations, each with the words around it as its `paragraph`")
    p.add_argument("--paragraphs", action="store_true",
                   help="JSON too, as an object: the citations and each paragraph holding one, once "
                        "(`paragraphs`: index, text, location), as POST /api/extract answers")
    p.add_argument("--lang", default="auto", help="zh, en, … or auto (default: detect)")
    p.set_defaults(func=cmd_extract, database_need=NO_DATABASE)

    p = sub.add_parser("migrate", help="bring the database schema up to date (Alembic)")
    p.set_defaults(func=cmd_migrate, database_need=ANY_DATABASE)

    p = sub.add_parser("seed", help="load the seed texts and facts (idempotent)")
    p.add_argument("--if-empty", action="store_true", help="only when the database has no document")
    p.add_argument("--dir", help="seed folder (default: seed_data/)")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("import", help="import documents from a JSON Lines file")
    p.add_argument("file")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("ingest", help="add PDF, Word (.docx) and text files, or folders of them (idempotent)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--batch-size", type=int, default=50, help="files per transaction (default 50)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("name-organization", help="give an organization filed under its name (ORG-…) an acronym")
    p.add_argument("key", help="its key or current acronym")
    p.add_argument("acronym")
    p.add_argument("--name-en", help="its English name")
    p.set_defaults(func=cmd_name_organization)

    p = sub.add_parser("export", help="export organizations and documents to a JSON Lines file")
    p.add_argument("file")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("rebuild", help="recompute the read model (chains, anomalies, counts) from the documents")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("create-admin", help="create an administrator (password: prompt or LINEAGE_ADMIN_PASSWORD)")
    p.add_argument("username")
    p.add_argument("--reset-password", action="store_true", help="give an existing admin a new password")
    p.set_defaults(func=cmd_create_admin, database_need=MIGRATED_AFTER_INPUT)

    p = sub.add_parser("backup", help="an online, consistent copy of the database")
    p.add_argument("path")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="bring a backup back (replaces the database's contents)")
    p.add_argument("path")
    p.set_defaults(func=cmd_restore, database_need=ANY_DATABASE)

    p = sub.add_parser("draw-graphs", help="lay out every timeline graph not yet drawn for the data as it is")
    p.add_argument("--lang", default="zh,en", help="languages to draw, comma-separated (default zh,en)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_draw_graphs)

    p = sub.add_parser("serve", help="serve the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)
    return parser


def database_needs(parser: argparse.ArgumentParser | None = None) -> dict[str, str]:
    """Each command, and what it needs of the database, as its subparser says (`database_need`)."""
    parser = parser or build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: sub.get_default("database_need") or MIGRATED for name, sub in commands.choices.items()}


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "database_need", None) in (None, MIGRATED):
            _require_migrated()
        return args.func(args)
    except CommandError as exc:
        print(f"lineage {args.command}: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:  # a database that went away, or refused a statement
        print(f"lineage {args.command}: database error: {_first_line(exc)}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:  # pg_dump and pg_restore say why on stderr
        reason = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines() or [str(exc)]
        print(f"lineage {args.command}: {reason[-1]}", file=sys.stderr)
        return 1
    except (OSError, RuntimeError) as exc:  # a file that cannot be read or written, a missing tool
        print(f"lineage {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
