"""A ceiling on request bodies, so no handler ever buffers an absurd upload.

The precise limits (1 MB of text) are checked where the text is read, with a message that names
the field; this ceiling only stops bodies no legitimate form or API call sends. An API client
gets a JSON 413. A form posted from a page (a file too large picked on the admin form) gets its
page again, 413, with the message: the request goes on as a GET of the same page, which changes
nothing and so needs no token, marked so that the page says why (`body_refused`).
"""

import json

from starlette.requests import Request
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
