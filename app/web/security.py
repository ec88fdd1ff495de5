"""Security headers on every response, refusal of NUL bytes before any handler sees them, and
the session and CSRF middleware.

- The Content-Security-Policy allows no inline script or style: templates load htmx and the CSS
  from /static, and htmx is told not to inject its indicator <style> (see base.html).
- The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure on https), keyed by
  `LINEAGE_SECRET_KEY`; what it holds is `app.web.login`'s business.
- CSRF: asgi-csrf's double-submit cookie; forms send the token as the `csrftoken` field, htmx as
  the `x-csrftoken` header (set on <body> by `hx-headers`). It guards `/admin…`, `/login` and
  `/logout`: every request there that is not GET/HEAD/OPTIONS needs the token.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache

from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings
from app.web import urls

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


def _csrf_protected(path: str) -> bool:
    return path.startswith("/admin") or path in (urls.login(), urls.logout())


async def _csrf_failed(scope: Scope, send: Send, message_id) -> None:
    body = (
        "<!doctype html><meta charset='utf-8'><title>403</title>"
        "<h1>403</h1><p class='message'>表单已过期或来自其他网站：请重新载入页面再试。<br>"
        "The form expired or came from another site: reload the page and try again.</p>"
    ).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


class CookieSecurity:
    """The session and CSRF middleware, in two builds: with `Secure` cookies for https requests
    (or for every request when `LINEAGE_SECURE_COOKIES` is set), without for plain http."""

    def __init__(self, app: ASGIApp, settings: Settings):
        key = secret_key(settings)
        self.force_secure = settings.secure_cookies

        def build(secure: bool) -> ASGIApp:
            inner = SessionMiddleware(
                app, secret_key=key, session_cookie=SESSION_COOKIE, max_age=SESSION_MAX_AGE,
                same_site="lax", https_only=secure,
            )
            return asgi_csrf(
                inner, signing_secret=key, cookie_secure=secure, cookie_samesite="Lax",
                # Paths with no cookie at all are let through by asgi-csrf; these never are.
                always_protect={urls.login(), urls.logout()},
                skip_if_scope=lambda scope: not _csrf_protected(scope["path"]),
                send_csrf_failed=_csrf_failed,
            )

        self.plain = build(False)
        self.secure = build(True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = self.force_secure or scope.get("scheme") in ("https", "wss")
        await (self.secure if secure else self.plain)(scope, receive, send)


def csrf_token(request: Request) -> str:
    make = request.scope.get("csrftoken")
    return make() if make else ""


def install(app: FastAPI) -> None:
    app.add_middleware(CookieSecurity, settings=get_settings())
