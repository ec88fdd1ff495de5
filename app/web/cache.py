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
process keeps its own cache, bounded in bytes (bodies, keys and headers) and in entries. When the
database cannot be asked, nothing is cached or replayed, and it is asked again 5 s later.

On SQLite any commit empties it, failed logins included (they are recorded in the database).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy.engine import make_url
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.security import SESSION_COOKIE
from app.i18n import request_lang
from app.web.render import is_htmx

log = logging.getLogger(__name__)

# Never cached: what a signed-in admin sees, forms that set cookies, and files StaticFiles serves.
BYPASS_PREFIXES = ("/admin", "/login", "/logout", "/static", "/healthz")
RETRY_SECONDS = 5
# Many tiny entries (redirects have no body) are bounded by their count as well as their bytes.
MAX_ENTRIES = 20_000
ENTRY_OVERHEAD = 400  # bytes of Python objects per entry, beyond its key, headers and body


def _cost(key: tuple, headers: list, body: bytes) -> int:
    return ENTRY_OVERHEAD + len(body) + sum(len(k) + len(v) for k, v in headers) \
        + sum(len(part) for part in key if isinstance(part, (str, bytes)))


# Pages, and the redirects of a symbol search to its document (which only a commit can change).
CACHEABLE_STATUS = {200, 301, 303, 307, 308}


class SQLiteVersion:
    """The file's change counter as another connection sees it.

    data_version counts per connection (a new one starts again at 1), so the version is
    (connections opened, data_version): a reconnection never looks like "nothing changed"."""

    def __init__(self, path: str):
        self.path = path
        self.con: sqlite3.Connection | None = None
        self.connections = 0

    def __call__(self) -> tuple[int, int]:
        if self.con is None:
            # Read-only, and never in a transaction: data_version is read afresh each time.
            self.con = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
            self.connections += 1
        return self.connections, self.con.execute("PRAGMA data_version").fetchone()[0]

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

        if self.con is not None:
            try:
                self.con.execute("SELECT 1")
                return self.heard
            except psycopg.OperationalError:
                # The server closed the connection (`lineage restore` swaps the database and
                # closes its connections; a restart): listen again at once, below.
                self.close()
        # The probe runs on the event loop: it must fail fast rather than stall the worker.
        self.con = psycopg.connect(
            self.url, autocommit=True, connect_timeout=2, options="-c statement_timeout=2000",
            keepalives=1, keepalives_idle=10, keepalives_interval=2, keepalives_count=2,
        )
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
        self.entries: OrderedDict[tuple, tuple[int, list, bytes, int]] = OrderedDict()
        self.size = 0
        self.version: object = None
        self.hits = self.misses = 0
        self.retry_at = 0.0

    def _key(self, scope: Scope) -> tuple | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(BYPASS_PREFIXES):
            return None
        # Read the request the way the app does (the first header of a name, cookies as Starlette
        # parses them): a request the app reads differently must not land under another's key.
        request = Request(scope)
        if SESSION_COOKIE in request.cookies:
            return None  # a signed-in admin sees links others do not
        return (scope.get("scheme"), request.headers.get("host", ""), scope["path"], scope["query_string"],
                request_lang(request), is_htmx(request))

    def _current_version(self) -> object | None:
        if self.retry_at and time.monotonic() < self.retry_at:
            return None
        try:
            version = self.probe()
        except Exception:  # the database is away: answer through the app, which says so properly
            log.warning("page cache: cannot read the database's version; not caching for %d s",
                        RETRY_SECONDS, exc_info=True)
            self.probe.close()
            self.clear()
            self.version = None
            self.retry_at = time.monotonic() + RETRY_SECONDS
            return None
        self.retry_at = 0.0
        return version

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
            status, headers, body, _ = hit
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
            self.size -= old[3]
        cost = _cost(key, headers, body)
        self.entries[key] = (start["status"], list(headers), body, cost)
        self.size += cost
        while (self.size > self.max_bytes or len(self.entries) > MAX_ENTRIES) and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= dropped[3]
