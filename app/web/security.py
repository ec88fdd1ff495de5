"""Security headers on every response, and refusal of NUL bytes before any handler sees them.

The Content-Security-Policy allows no inline script or style: templates load htmx and the CSS
from /static, and htmx is told not to inject its indicator <style> (see base.html).
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or scope.get("path", "").encode()
        query = scope.get("query_string", b"")
        # PostgreSQL cannot store NUL and no symbol or word contains one: refuse it plainly.
        if b"%00" in raw or b"\x00" in raw or b"%00" in query or b"\x00" in query:
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"), *HEADERS]})
            await send({"type": "http.response.body",
                        "body": b'{"error": "NUL bytes are not allowed in a URL."}'})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in HEADERS if k not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
