"""A cache of rendered responses to anonymous GETs, emptied whenever the database changes.

Why: most readers ask for the same few chains and documents, and a rendered page costs 10–20 ms
of CPU while replaying stored bytes costs well under one (bench/README.md). The cache is exact,
not time-based: before it answers from memory it asks the database whether anything was
committed since it stored the pages, so a reader never sees a page older than the last commit.

- SQLite: `PRAGMA data_version` on a read-only connection of the cache's own changes whenever
  any other connection, of any process, commits to the file (about 10 µs to ask).
- PostgreSQL: every statement that writes to the tables the pages read notifies the listeners
  of its database when it commits (app/changes.py, migration 0005); the cache listens, and asks
  with one round trip.

A page is stored only when the database did not change while it was being rendered, so a render
that read the data before a commit can never be kept after it. Signed-in admins (session
cookie), the admin pages, and responses that set a cookie go straight through. Each worker
process keeps its own cache, bounded in bytes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# Never cached: what a signed-in admin sees, forms that set cookies, and files StaticFiles serves.
BYPASS_PREFIXES = ("/admin", "/login", "/logout", "/static", "/healthz")
# Pages, and the redirects of a symbol search to its document (which only a commit can change).
CACHEABLE_STATUS = {200, 301, 303, 307, 308}


class SQLiteVersion:
    """The file's change counter as another connection sees it."""

    def __init__(self, path: str):
        self.path = path
        self.con: sqlite3.Connection | None = None

    def __call__(self) -> int:
        if self.con is None:
            # Read-only, and never in a transaction: data_version is read afresh each time.
            self.con = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
        return self.con.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


class PostgresVersion:
    """How many change notifications (app/changes.py) this worker has heard from its database.

    Asking costs one round trip (`SELECT 1`): the server delivers the notifications of every
    transaction committed before it, and psycopg hands them to `_heard` on the way."""

    def __init__(self, url: str):
        self.url = url
        self.con = None
        self.heard = 0

    def _heard(self, _notify) -> None:
        self.heard += 1

    def __call__(self) -> int:
        import psycopg

        from app.changes import CHANNEL

        if self.con is None:
            self.con = psycopg.connect(self.url, autocommit=True)
            self.con.add_notify_handler(self._heard)
            self.con.execute(f"LISTEN {CHANNEL}")
            self.heard += 1  # while it was not listening, anything may have changed
        self.con.execute("SELECT 1")
        return self.heard

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def version_probe(sqlalchemy_url: str) -> Callable[[], object] | None:
    """How to ask the database at `sqlalchemy_url` whether it changed; None when it cannot be
    asked from outside (an in-memory SQLite database belongs to one connection)."""
    url = make_url(sqlalchemy_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or "mode=memory" in str(url):
            return None
        return SQLiteVersion(url.database)
    if url.get_backend_name() == "postgresql":
        return PostgresVersion(url.set(drivername="postgresql").render_as_string(hide_password=False))
    return None


class PageCache:
    """ASGI middleware: replays stored responses to anonymous GETs while the database is unchanged.

    `owner` is the FastAPI app: when its session dependency is overridden (the tests' per-test
    databases), the cache cannot see that database change and steps aside.
    """

    def __init__(self, app: ASGIApp, *, probe: Callable[[], object] | None, max_bytes: int, owner=None):
        self.app, self.probe, self.max_bytes, self.owner = app, probe, max_bytes, owner
        self.entries: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.size = 0
        self.version: object = None
        self.hits = self.misses = 0
        self.probe_failed = False

    def _key(self, scope: Scope) -> tuple | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(BYPASS_PREFIXES):
            return None
        lang = hx = host = b""
        for name, value in scope["headers"]:
            if name == b"cookie":
                if b"lineage_session=" in value:
                    return None  # a signed-in admin sees links others do not
                for part in value.split(b";"):
                    k, _, v = part.strip().partition(b"=")
                    if k == b"lang":
                        lang = v
            elif name == b"hx-request":
                hx = value
            elif name == b"host":
                host = value  # feeds and exports carry absolute URLs
        return scope.get("scheme"), host, scope["path"], scope["query_string"], lang, hx

    def _current_version(self) -> object | None:
        try:
            return self.probe()
        except Exception:  # the database is away: answer through the app, which says so properly
            if not self.probe_failed:
                log.warning("page cache: cannot read the database's version; not caching", exc_info=True)
            self.probe_failed = True
            self.probe.close()
            return None

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = None
        if self.probe is not None and self.max_bytes > 0 and not (self.owner and self.owner.dependency_overrides):
            key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        before = self._current_version()
        if before is None:
            await self.app(scope, receive, send)
            return
        if before != self.version:
            self.clear()
            self.version = before
        hit = self.entries.get(key)
        if hit is not None:
            self.entries.move_to_end(key)
            self.hits += 1
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"x-cache", b"hit")]})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        start: dict = {}
        chunks: list[bytes] = []
        keep = True  # streamed bodies and bodies over an eighth of the cache are not kept

        async def capture(message: Message) -> None:
            nonlocal keep
            if message["type"] == "http.response.start":
                start.update(message)
                message = {**message, "headers": [*message.get("headers", []), (b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                # one huge export must not push out every page people read
                keep = not message.get("more_body", False) and len(chunks[-1]) <= self.max_bytes // 8
            await send(message)

        await self.app(scope, receive, capture)
        headers = start.get("headers", [])
        if not keep or start.get("status") not in CACHEABLE_STATUS \
                or any(k.lower() == b"set-cookie" for k, _ in headers):
            return
        body = b"".join(chunks)
        # Kept only if nothing was committed while it was rendered (see the module's docstring).
        if self._current_version() != before or self.version != before:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old[2])
        self.entries[key] = (start["status"], list(headers), body)
        self.size += len(body)
        while self.size > self.max_bytes and self.entries:
            _, (_, _, dropped) = self.entries.popitem(last=False)
            self.size -= len(dropped)
