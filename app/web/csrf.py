"""CSRF: a synchronizer token that belongs to the session.

The token is a random value kept in the session (Starlette's cookie, signed with itsdangerous, so
nobody can choose it) and written into every form (`csrftoken`) and into the `x-csrftoken` header
htmx sends (`hx-headers` on <body>). A request that changes something must bring back the value
of its own session: a token taken from another session, or from before a login, is refused. A
login starts a new session, and so a new token; a logout ends both.

It replaces asgi-csrf, whose double-submit cookie was not tied to the session (a token and cookie
pair planted by a sibling domain passed) and whose own body parser broke on multipart forms. The
check here reads the form with Starlette's parser, the one the handlers use, and only after
finding that the session has a token at all, so an anonymous stranger's POST costs no parsing.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

from app.config import get_settings

FIELD = "csrftoken"
HEADER = "x-csrftoken"
_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_FIELDS = 5000  # above every form of the admin (a document's citation rows)

REFUSED = ("表单已过期或来自其他网站：请重新载入页面再试。"
           "The form expired or came from another site: reload the page and try again.")


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (the page that shows a form)."""
    token = request.session.get(_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[_KEY] = token
    return token


def new_token(request: Request) -> None:
    """A fresh token for a fresh session (after a login)."""
    request.session[_KEY] = secrets.token_urlsafe(32)


async def read_form(request: Request):
    """The request's form, read once with the limits every handler may need (Starlette keeps it
    for the handler's own `request.form()`)."""
    return await request.form(max_part_size=8 * get_settings().max_text_bytes, max_fields=MAX_FORM_FIELDS,
                              max_files=1)


async def require_csrf(request: Request) -> None:
    """Dependency of every route that can change something: 403 unless the request carries its
    session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(_KEY)
    if not isinstance(expected, str) or not expected:
        raise HTTPException(403, REFUSED)
    sent = request.headers.get(HEADER)
    if sent is None:
        sent = (await read_form(request)).get(FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(
            sent.encode("utf-8", "replace"), expected.encode("utf-8", "replace")):
        raise HTTPException(403, REFUSED)
