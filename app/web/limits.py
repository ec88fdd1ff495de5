"""What one request may take: a ceiling on bodies, and a share of the worker for heavy requests.

Bodies: no handler ever buffers an absurd upload.

The precise limits (1 MB of text) are checked where the text is read, with a message that names
the field; this ceiling only stops bodies no legitimate form or API call sends. An API client
gets a JSON 413. A form posted from a page (a file too large picked on the admin form) gets its
page again, 413, with the message: the request goes on as a GET of the same page, which changes
nothing and so needs no token, marked so that the page says why (`body_refused`).
"""

import json
import re

import anyio

from starlette.requests import Request

from app.i18n import N_
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_MARK = "body_too_large"
_FORM_TYPES = (b"multipart/form-data", b"application/x-www-form-urlencoded")


def body_refused(request: Request) -> int | None:
    """The body limit (bytes) when this page is shown again for a form whose body was over it."""
    return request.scope.get("state", {}).get(_MARK)


def _form_from_a_page(scope: Scope) -> bool:
    headers = dict(scope.get("headers") or {})
    ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return (
        scope.get("method") == "POST" and ctype in _FORM_TYPES and not scope["path"].startswith("/api/")
        and b"application/json" not in headers.get(b"accept", b"")
    )


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or {}).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if _form_from_a_page(scope) and await self._page_again(scope, send):
            return
        await self._json_refusal(send)

    async def _page_again(self, scope: Scope, send: Send) -> bool:
        """The form's page again (GET), 413, when it has one; False when it has none."""
        headers = [(k, v) for k, v in scope.get("headers") or () if k not in (b"content-length", b"content-type")]
        page = {**scope, "method": "GET", "headers": headers,
                "state": {**scope.get("state", {}), _MARK: self.max_bytes}}
        asked = False

        async def no_body() -> Message:
            nonlocal asked
            if asked:
                return {"type": "http.disconnect"}
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}

        shown = None

        async def as_413(message: Message) -> None:
            nonlocal shown
            if message["type"] == "http.response.start":
                shown = message["status"] == 200  # a redirect to log in, or no such page: JSON
                message = {**message, "status": 413}
            if shown:
                await send(message)

        await self.app(page, no_body, as_413)
        return bool(shown)

    async def _json_refusal(self, send: Send) -> None:
        message = f"Request body too large: the limit is {self.max_bytes // 1_000_000} MB."
        body = json.dumps({"error": message}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# --- heavy requests: a share per client, and a bounded share of the worker ---------------------

# What costs CPU in proportion to what a stranger sends or names (issue 27): a pasted text's
# extraction, the diff of two texts, a full-text search, a timeline drawn for the first time.
# Everything else is a few indexed rows and stays out of these limits.
_HEAVY = (
    ("POST", re.compile(r"^/(api/)?extract$")),
    ("GET", re.compile(r"^/diff/")),
    ("GET", re.compile(r"^/(api/)?search$")),
    ("GET", re.compile(r"^(/organizations/[^/]+)?/graph(\.svg)?$")),
)


def is_heavy(method: str, path: str) -> bool:
    """Whether a request is one of the heavy kinds (`_HEAVY`)."""
    return any(method == m and rule.match(path) for m, rule in _HEAVY)


class HeavyLimit:
    """At most `per_client` heavy requests (`is_heavy`) of one client address at a time, and at
    most `total` of all clients in the worker's threads at once.

    One client past its share gets a 429 at once; past the worker's share, a request waits for a
    place on the event loop, holding no thread and no connection, for at most `wait_seconds`,
    then gets a 503. Both say when to come back (Retry-After). So a client that sends extractions
    or diffs in parallel takes two of the worker's threads at most, and every client together
    leave the others to the readers of ordinary pages. The address is the socket's, or the one a
    trusted proxy names (LINEAGE_TRUSTED_PROXIES); the counts are the worker's own.
    """

    def __init__(self, app: ASGIApp, per_client: int, total: int, wait_seconds: float, refuse):
        self.app = app
        self.per_client = per_client
        self.total = total
        self.wait_seconds = wait_seconds
        self.refuse = refuse  # (scope, receive, send, status, key) -> awaitable: the refusal
        self.running: dict[str, int] = {}
        self._places = None  # made on the event loop, at the first heavy request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_heavy(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        if self.running.get(client, 0) >= self.per_client:
            await self.refuse(scope, receive, send, 429, N_("err_too_many_at_once"))
            return
        self.running[client] = self.running.get(client, 0) + 1
        try:
            if scope["method"] == "POST":
                # The body is read before a place is taken, within the budget: a client that
                # sends its body slowly holds one of its own shares, never a worker's place.
                body = await self._body(receive)
                if body is None:
                    await self.refuse(scope, receive, send, 408, N_("err_body_too_slow"))
                    return
                receive = _replay(body, receive)
            if self._places is None:
                self._places = anyio.Semaphore(self.total)
            placed = False
            with anyio.move_on_after(self.wait_seconds):
                await self._places.acquire()
                placed = True
            if not placed:
                await self.refuse(scope, receive, send, 503, N_("err_busy"))
                return
            try:
                await self.app(scope, receive, send)
            finally:
                self._places.release()
        finally:
            left = self.running[client] - 1
            if left:
                self.running[client] = left
            else:
                del self.running[client]

    async def _body(self, receive: Receive) -> list[Message] | None:
        """The request's body messages, read within `wait_seconds`; None when it comes slower."""
        messages: list[Message] = []
        with anyio.move_on_after(self.wait_seconds):
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body"):
                    return messages
        return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives `messages` again, then what `receive` gives (a disconnect)."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
