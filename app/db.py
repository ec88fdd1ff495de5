"""The engine and the one session dependency."""

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

import app.changes  # noqa: F401  (and so are PostgreSQL's change notifications)
import app.search.fts  # noqa: F401  (the full-text index is created with the tables)
import app.data_version  # noqa: F401  (and so are the data version's triggers)
from app.budget import Deadline, OverBudget
from app.config import get_settings


T = TypeVar("T")

# The page cache of a bulk writer's connection (`savepoints=True`), in KiB.
BULK_CACHE_KIB = 64 * 1024


def _json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str, *, savepoints: bool = False, **kwargs) -> Engine:
    """An engine for `url`, with the SQLite pragmas Lineage relies on.

    `savepoints`: on SQLite, every transaction starts with an explicit `BEGIN IMMEDIATE`. Python's
    sqlite3 opens a transaction only before a write, so a SAVEPOINT opened first becomes the
    transaction and its release commits; `lineage import`, which keeps a savepoint per line
    inside a transaction per batch, needs the real thing (SQLAlchemy's pysqlite recipe).
    IMMEDIATE takes the write lock at once, so a batch never finds its snapshot stale.

    JSON columns are written as UTF-8 text, not \\u escapes: an audit snapshot holds a whole
    Chinese text, which escapes would make twice as long.
    """
    kwargs.setdefault("json_serializer", _json_dumps)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        if "poolclass" not in kwargs and url not in ("sqlite://", "sqlite:///:memory:"):
            # A page takes its connection on the event loop (run_page): a checkout that waited
            # for a busy pool there would stall every request of the worker. A SQLite connection
            # is a file handle with no server to spare, so the pool lends more when all are out.
            kwargs.setdefault("max_overflow", -1)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cur = dbapi_connection.cursor()
            # Citations must never outlive their document.
            cur.execute("PRAGMA foreign_keys=ON")
            # Readers keep reading while an admin writes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()
            # what the short words' index's triggers call (app/search/fts.py)
            app.search.fts.register(dbapi_connection)
            if savepoints:
                dbapi_connection.isolation_level = None  # no implicit BEGIN: the one below
                # A bulk import inserts at random places of indexes far larger than SQLite's
                # 2 MB page cache: a larger one keeps them from being read again from the file.
                cur = dbapi_connection.cursor()
                cur.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
                cur.close()

        if savepoints:
            @event.listens_for(engine, "begin")
            def _begin(conn):  # pragma: no cover - trivial
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().sqlalchemy_url)


async def get_session() -> AsyncIterator[Session]:
    """The request's session. Made on the event loop, where making one waits for nothing (it
    connects at its first statement, in the handler's thread), and closed there by `release`:
    a sync dependency costs two hand-offs to a worker thread, about a fifth of a cheap page's
    CPU under load (bench/README.md)."""
    session = Session(get_engine())
    try:
        yield session
    finally:
        await release(session)


SessionDep = Annotated[Session, Depends(get_session)]


async def release(session: Session) -> None:
    """Hand the session's connection back to the pool (the session takes one again if it is used
    after): at the end of a request, or before a wait. On SQLite a call into the library, made
    where it is; on PostgreSQL a ROLLBACK on the wire, so in a thread, and shielded: a request
    cancelled meanwhile still hands its connection back."""
    if session.get_bind().dialect.name == "sqlite":
        session.close()
    else:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(session.close)


async def current_engine() -> Engine:
    """The engine the pages that read plain rows (`run_page`) connect with. A dependency, so that
    the tests give theirs, as they give their session."""
    return get_engine()


EngineDep = Annotated[Engine, Depends(current_engine)]


async def run_page(engine: Engine, func: Callable[..., T], *args, small: bool = True) -> T:
    """`func(conn, *args)`, the reads and rendering of a page, on a connection of `engine` of its
    own, opened and closed where the page runs, and where it costs least.

    On SQLite a page whose reads are `small` (a few rows by index, a size the read model tells
    before they are read) runs on the event loop: its reads are work on a file the OS already
    holds, not waiting, and handing them to a thread costs more than they do. Four threads
    taking turns with the loop under one GIL cost a document page a fifth more CPU than the
    page itself (bench/README.md). Anything larger, and every page on PostgreSQL, whose reads
    wait on the network (its connection's checkout and return included), runs on the worker's
    threads, so the loop goes on answering others.

    A Core connection rather than an ORM session: the pages read rows, and a session's making,
    its dependency and its close cost a document page about a twelfth of its CPU.
    """
    if small and engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            return func(conn, *args)
    return await run_in_threadpool(_on_a_connection, engine, func, *args)


def _on_a_connection(engine: Engine, func: Callable[..., T], *args) -> T:
    with engine.connect() as conn:
        return func(conn, *args)


def begin_batch(session) -> None:
    """Open the session's transaction for real before its first savepoint.

    Python's sqlite3 begins a transaction only before a data change: a SAVEPOINT issued outside
    one becomes the outermost transaction and its RELEASE commits it, so a batch of savepoints
    (a line of `lineage import`, a file of `lineage ingest`) would be as many commits. On
    PostgreSQL, and where the engine already began (`make_engine(savepoints=True)`), nothing to do.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite asks the progress handler every this many virtual-machine steps (about 0.1-1 ms).
_PROGRESS_STEPS = 10_000


@contextmanager
def statements_within(session, deadline: Deadline) -> Iterator[None]:
    """The session's statements stop at `deadline`, with OverBudget: a search of a word in most
    texts cannot hold a thread past a request's budget.

    SQLite: a progress handler interrupts the statement running at the deadline (the rows of the
    transaction are untouched: these are reads). PostgreSQL: `SET LOCAL statement_timeout` for
    the rest of the transaction, which the session's release rolls back.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        at = deadline.at
        dbapi.set_progress_handler(lambda: time.monotonic() > at, _PROGRESS_STEPS)
    else:
        ms = max(1, int(deadline.left() * 1000))
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
    try:
        yield
    except OperationalError as exc:
        cancelled = "interrupted" in str(exc.orig) or type(exc.orig).__name__ == "QueryCanceled"
        if cancelled:
            raise OverBudget(deadline.seconds) from None
        raise
    finally:
        if conn.dialect.name == "sqlite":
            dbapi.set_progress_handler(None, _PROGRESS_STEPS)
