"""Logging in and out, the admin's session, and `AdminDep`.

The session is Starlette's signed cookie (`app.web.security`). It holds the user id and a
fingerprint of the password hash, so changing a password ends the sessions opened with the old
one.
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import throttle
from app.accounts.users import fingerprint
from app.db import SessionDep
from app.i18n import Msg, request_lang, t
from app.models import User
from app.web import urls
from app.web.render import is_htmx, render, render_admin

router = APIRouter(include_in_schema=False)


def client_address(request: Request) -> str:
    # Behind a proxy, uvicorn (--proxy-headers, trusted addresses) has already put the
    # X-Forwarded-For address here.
    return request.client.host if request.client else "unknown"


# --- the session --------------------------------------------------------------------------


def start_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session.update({"uid": user.id, "pw": fingerprint(user), "user": user.username})


def end_session(request: Request) -> None:
    request.session.clear()


def session_user(request: Request, session: Session) -> User | None:
    data = request.scope.get("session") or {}
    uid = data.get("uid")
    if not isinstance(uid, int):
        return None
    user = session.get(User, uid)
    if user is None or data.get("pw") != fingerprint(user):
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


# --- the pages ------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = ""):
    return render_admin(request, "admin/login.html", {"next": safe_next(next), "username": "", "error": None})


wait = anyio.sleep  # the tests count the waits here


@router.post("/login")
async def login(
    request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "",
):
    address = client_address(request)
    # The slowdown after failed logins is waited here, on the event loop: in a handler thread,
    # a few failing logins would hold every thread the pages need (LINEAGE_WORKER_THREADS).
    delay = await run_in_threadpool(throttle.login_delay, session, username, address)
    if delay:
        await wait(delay)
    result = await run_in_threadpool(throttle.login, session, username, password, address, waited=True)
    if result.user is not None:
        start_session(request, result.user)
        return RedirectResponse(safe_next(next), status_code=303)
    error = (Msg("login_throttled", {"seconds": result.retry_after}) if result.status == 429
             else Msg("login_failed"))
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after else None
    return render_admin(request, "admin/login.html",
                        {"next": safe_next(next), "username": username, "error": error},
                        status_code=result.status, headers=headers)


@router.post("/logout")
def logout(request: Request):
    end_session(request)
    return RedirectResponse(urls.home(), status_code=303)
