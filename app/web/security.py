"""Security headers on every response, refusal of NUL bytes before any handler sees them, and
the session and CSRF middleware.

- The Content-Security-Policy allows no inline script or style: templates load htmx and the CSS
  from /static, and htmx is told not to inject its indicator <style> (see base.html).
- The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure on https), keyed by
  `LINEAGE_SECRET_KEY`; what it holds is `app.web.login`'s business.
- CSRF: a token kept in that session (`app.web.csrf`), checked by the login and admin routers.
- Nothing under /admin, /login or /logout, errors included, may be stored by a browser or a
  proxy (`Cache-Control: no-store`): a shared machine's back button must not show an admin page.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from urllib.parse import quote

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings

log = logging.getLogger("lineage.auth")

SESSION_COOKIE = "lineage_session"
SESSION_MAX_AGE = 12 * 3600

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
NO_STORE = (b"cache-control", b"no-store")
PRIVATE_PREFIXES = ("/admin", "/login", "/logout")


def private_path(path: str) -> bool:
    """The admin's pages and the login: never stored by a browser or a proxy."""
    return path.startswith(PRIVATE_PREFIXES)


def with_security_headers(headers, *, private: bool = False) -> list[tuple[bytes, bytes]]:
    """`headers` (raw ASGI pairs) with the security headers added, and for a private page any
    Cache-Control replaced by no-store."""
    headers = [(k, v) for k, v in headers if not (private and k.lower() == b"cache-control")]
    present = {k.lower() for k, _ in headers}
    extra = [(k, v) for k, v in HEADERS if k not in present]
    return headers + extra + ([NO_STORE] if private else [])


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

        private = private_path(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", []), private=private)
            await send(message)

        await self.app(scope, receive, with_headers)


# --- the session and CSRF -------------------------------------------------------------------


@lru_cache
def _development_key() -> str:
    log.warning(
        "LINEAGE_SECRET_KEY is not set: signing sessions with a random key for this process "
        "only (sessions end when it stops; set the key to share it between workers)"
    )
    return secrets.token_urlsafe(48)


def secret_key(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    # In production Settings refuses to load without a key (app/config.py).
    return settings.secret_key or _development_key()


class CookieSecurity:
    """The session middleware, in two builds: with `Secure` cookies for https requests
    (or for every request when `LINEAGE_SECURE_COOKIES` is set), without for plain http."""

    def __init__(self, app: ASGIApp, settings: Settings):
        key = secret_key(settings)
        self.force_secure = settings.secure_cookies

        def build(secure: bool) -> ASGIApp:
            return SessionMiddleware(
                app, secret_key=key, session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE,
                same_site="lax", https_only=secure,
            )

        self.plain = build(False)
        self.secure = build(True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = self.force_secure or scope.get("scheme") in ("https", "wss")
        await (self.secure if secure else self.plain)(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(CookieSecurity, settings=get_settings())


class TrailingSlash:
    """`/organizations/SCO/` → 308 to `/organizations/SCO` when that is a page, with a relative
    Location. Starlette's own redirect spells the URL out from the request's Host header, which a
    client chooses: a shared cache would then hand its readers a redirect to another site."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and len(path) > 1 and path.endswith("/"):
            other = path.rstrip("/") or "/"
            router = scope["app"].router
            if any(route.matches({**scope, "path": other})[0] is Match.FULL for route in router.routes):
                query = scope.get("query_string", b"")
                location = quote(other, safe="/()-.~%") + ("?" + query.decode("latin-1") if query else "")
                await send({"type": "http.response.start", "status": 308,
                            "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)
