"""Logging in and out, the admin's session, and `AdminDep`.

The session cookie (Starlette's, signed; `app.web.security`) carries a random token whose hash
is a row of `AdminSession` (`app.accounts.sessions`): every admin request looks it up, so logout
and a new password end a session on the server. It also carries the CSRF token
(`app.web.csrf`), which a login renews.

A login attempt holds neither one of the pages' threads nor a database connection while it waits
out its slowdown, and a worker takes only so many at once (`app.web.login_gate`).
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.accounts import sessions, throttle
from app.db import SessionDep
from app.i18n import Msg, request_lang, t
from app.models import User
from app.web import urls
from app.web.csrf import new_token, require_csrf
from app.web.login_gate import BUSY_RETRY_AFTER, LoginGate
from app.web.render import is_htmx, render, render_admin

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])

_SID = "sid"


def client_address(request: Request) -> str:
    # Behind a trusted proxy (LINEAGE_TRUSTED_PROXIES), the middleware has already put the
    # X-Forwarded-For address here; from anyone else that header means nothing.
    return request.client.host if request.client else "unknown"


# --- the session --------------------------------------------------------------------------


def start_session(request: Request, token: str) -> None:
    request.session.clear()
    request.session[_SID] = token
    new_token(request)


def session_user(request: Request, session: Session) -> User | None:
    data = request.scope.get("session") or {}
    return sessions.session_user(session, data.get(_SID))


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


def install(app) -> None:
    app.add_exception_handler(LoginRequired, _login_required)
    app.state.login_gate = LoginGate()


# --- the pages ------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = ""):
    return render_admin(request, "admin/login.html", {"next": safe_next(next), "username": "", "error": None})


wait = anyio.sleep  # the tests count the waits here


def _reserve(db: Session, username: str, address: str) -> throttle.Reservation:
    try:
        return throttle.reserve(db, username, address)
    finally:
        db.close()  # the connection goes back to the pool before any waiting


def _check(db: Session, reservation, username: str, password: str, address: str):
    try:
        result = throttle.check(db, reservation, username, password, address)
        token = sessions.open_session(db, result.user) if result.user is not None else None
        return result, token
    finally:
        db.close()


@router.post("/login")
async def login(
    request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "",
):
    address = client_address(request)
    username = username.strip()
    gate: LoginGate = request.app.state.login_gate
    token = None
    with gate.admit(address) as admitted:
        if not admitted:
            result = throttle.LoginResult(None, 429, BUSY_RETRY_AFTER)
        else:
            reservation = await gate.run(_reserve, session, username, address)
            if reservation.retry_after is not None:
                result = throttle.LoginResult(None, 429, reservation.retry_after)
            else:
                if reservation.delay:
                    await wait(reservation.delay)
                result, token = await gate.run(_check, session, reservation, username, password, address)
    if token is not None:
        start_session(request, token)
        return RedirectResponse(safe_next(next), status_code=303)
    error = (Msg("login_throttled", {"seconds": result.retry_after}) if result.status == 429
             else Msg("login_failed"))
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after else None
    return render_admin(request, "admin/login.html",
                        {"next": safe_next(next), "username": username, "error": error},
                        status_code=result.status, headers=headers)


@router.post("/logout")
def logout(request: Request, session: SessionDep):
    sessions.close_session(session, request.session.get(_SID))
    request.session.clear()
    return RedirectResponse(urls.home(), status_code=303)
