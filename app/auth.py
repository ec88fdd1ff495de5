"""Administrators: passwords, login throttling, the session and CSRF middleware, `AdminDep`.

- Passwords are hashed with argon2id (argon2-cffi); there is no default account: the only way
  in is `lineage create-admin USERNAME`.
- The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure on https), keyed by
  `LINEAGE_SECRET_KEY`. It holds the user id and a fingerprint of the password hash, so changing a
  password ends the sessions opened with the old one.
- CSRF: asgi-csrf's double-submit cookie; forms send the token as the `csrftoken` field, htmx as
  the `x-csrftoken` header (set on <body> by `hx-headers`). It guards `/admin…`, `/login` and
  `/logout`: every request there that is not GET/HEAD/OPTIONS needs the token.
- Failed logins are stored in the database, so that every worker counts the same ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from asgi_csrf import asgi_csrf
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import delete
from sqlmodel import Session
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app import queries, urls
from app.config import Settings, get_settings
from app.db import SessionDep
from app.i18n import request_lang, t
from app.models import LoginAttempt, User, utcnow

log = logging.getLogger("lineage.auth")

SESSION_COOKIE = "lineage_session"
SESSION_MAX_AGE = 12 * 3600
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,79}$")
MIN_PASSWORD_LENGTH = 10

# Throttling: failures counted per username and per address over WINDOW. The first FREE_FAILURES
# are answered at once, each further one waits `login_slowdown_seconds` more (up to MAX_DELAY),
# and from MAX_FAILURES on the answer is 429 until the oldest failure leaves the window.
WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES = 3
MAX_FAILURES = 10
MAX_DELAY = 5.0

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the username is unknown, so that both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# --- passwords and accounts -------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_credentials(username: str, password: str) -> str | None:
    """Why a new account's username or password is refused, or None."""
    if not USERNAME_RE.match(username or ""):
        return "a username is 1 to 80 letters, digits or _ . @ -, starting with a letter or digit"
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    return None


def create_admin(session: Session, username: str, password: str, *, reset: bool = False) -> bool:
    """Create an administrator, or with `reset` set a new password; returns whether it was created.

    Raises ValueError for a bad username or password, or an existing account without `reset`.
    """
    problem = check_new_credentials(username, password)
    if problem:
        raise ValueError(problem)
    user = queries.user_by_name(session, username)
    if user is not None and not reset:
        raise ValueError(f"user {username!r} exists: use --reset-password to give it a new password")
    created = user is None
    if user is None:
        user = User(username=username, password_hash="")
        session.add(user)
    user.password_hash = hash_password(password)
    session.commit()
    return created


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = queries.user_by_name(session, username)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.commit()
    return user


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


# --- login throttling -------------------------------------------------------------------------


@dataclass
class Throttle:
    failures: int  # the larger count: for the username or for the address
    delay: float  # seconds to wait before answering
    retry_after: int | None  # set when the attempt is refused with 429


def throttle(session: Session, username: str, address: str, *, now: dt.datetime | None = None) -> Throttle:
    """How a login attempt for `username` from `address` is to be answered, by recent failures."""
    now = now or utcnow()
    by_user, by_address, oldest = queries.failed_logins(
        session, username=username, address=address, since=now - WINDOW
    )
    failures = max(by_user, by_address)
    if failures >= MAX_FAILURES:
        wait = (oldest + WINDOW - now).total_seconds() if oldest else WINDOW.total_seconds()
        return Throttle(failures, 0.0, max(1, int(wait) + 1))
    extra = max(0, failures - FREE_FAILURES + 1)
    delay = min(MAX_DELAY, extra * get_settings().login_slowdown_seconds)
    return Throttle(failures, delay, None)


def login_delay(session: Session, username: str, address: str) -> float:
    """Seconds to wait before checking a login for `username` from `address`."""
    return throttle(session, (username or "").strip(), address).delay


def record_failure(session: Session, username: str, address: str) -> None:
    now = utcnow()
    session.add(LoginAttempt(username=username[:80], address=address[:64], at=now))
    # Failures older than the window count for nothing: drop them as we go.
    session.exec(delete(LoginAttempt).where(LoginAttempt.at < now - WINDOW))
    session.commit()


def clear_failures(session: Session, username: str, address: str) -> None:
    session.exec(
        delete(LoginAttempt).where(
            (LoginAttempt.username == username) | (LoginAttempt.address == address)
        )
    )
    session.commit()


@dataclass
class LoginResult:
    user: User | None
    status: int  # 303 on success, 401 wrong credentials, 429 too many failures
    retry_after: int | None = None


def login(
    session: Session, username: str, password: str, address: str, *, waited: bool = False
) -> LoginResult:
    """Check a login attempt, slowed down or refused after repeated failures.

    `waited`: the caller has already waited `login_delay` (the web form waits without holding one
    of the few threads every page needs)."""
    username = (username or "").strip()
    state = throttle(session, username, address)
    if state.retry_after is not None:
        return LoginResult(None, 429, state.retry_after)
    if state.delay and not waited:
        time.sleep(state.delay)
    user = authenticate(session, username, password or "")
    if user is None:
        record_failure(session, username, address)
        return LoginResult(None, 401)
    clear_failures(session, username, address)
    return LoginResult(user, 303)


def client_address(request: Request) -> str:
    # Behind a proxy, uvicorn (--proxy-headers, trusted addresses) has already put the
    # X-Forwarded-For address here.
    return request.client.host if request.client else "unknown"


# --- the session --------------------------------------------------------------------------


def start_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session.update({"uid": user.id, "pw": _fingerprint(user), "user": user.username})


def end_session(request: Request) -> None:
    request.session.clear()


def session_user(request: Request, session: Session) -> User | None:
    data = request.scope.get("session") or {}
    uid = data.get("uid")
    if not isinstance(uid, int):
        return None
    user = session.get(User, uid)
    if user is None or data.get("pw") != _fingerprint(user):
        return None
    return user


class LoginRequired(Exception):
    """Raised by `AdminDep` for a request without a valid admin session."""


def current_admin(request: Request, session: SessionDep) -> User:
    user = session_user(request, session)
    if user is None:
        raise LoginRequired()
    return user


AdminDep = Annotated[User, Depends(current_admin)]


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another site, `//host`) goes to /admin."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return urls.admin_home()


async def _login_required(request: Request, exc: LoginRequired):
    from app.web.render import is_htmx, render

    message = t("login_required", request_lang(request))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login_url = urls.login(next=target if request.method in ("GET", "HEAD") else None)
    if is_htmx(request):
        # htmx does not follow a redirect into a swap: tell it to load the login page instead.
        return render(request, "error.html", {"status": 401, "message": message},
                      status_code=401, headers={"HX-Redirect": login_url})
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(login_url, status_code=303)
    return render(request, "error.html", {"status": 401, "message": message}, status_code=401)


# --- the middleware ---------------------------------------------------------------------------


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
    app.add_exception_handler(LoginRequired, _login_required)
