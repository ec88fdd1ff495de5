"""Every admin route refuses anonymous requests and, for POSTs, requests without a CSRF token;
no admin GET changes anything."""

import pytest
from fastapi.routing import APIRoute
from sqlmodel import func, select

from app.main import create_app
from app.models import AdminField, AuditEntry, Citation, Document
from tests.admin_support import admin, admin_client, login, no_slowdown, token  # noqa: F401

PARAMS = {"ref": "A/77/L.107", "entry_id": "1", "document_id": "1", "field": "title"}


def _api_routes(routes, prefix: str = ""):
    """Every APIRoute of the app with its full path. Recent FastAPI keeps an included router as
    one entry of `app.routes` (holding the router and its prefix); older ones flatten them."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            inner = prefix + getattr(getattr(route, "include_context", None), "prefix", "")
            yield from _api_routes(route.original_router.routes, inner)


def _admin_routes() -> list[tuple[str, str]]:
    routes = []
    for path, route in _api_routes(create_app().routes):
        if path.startswith("/admin"):
            routes += [(method, path) for method in sorted(route.methods)]
    return routes


ADMIN_ROUTES = _admin_routes()
POSTS = [(m, p) for m, p in ADMIN_ROUTES if m not in ("GET", "HEAD")]
GETS = [(m, p) for m, p in ADMIN_ROUTES if m == "GET"]


def _url(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace(f"{{{name}:path}}", value).replace(f"{{{name}}}", value)
    return path


def test_the_admin_has_the_routes_the_issue_asks_for():
    paths = {p for _, p in ADMIN_ROUTES}
    assert {"/admin/documents/new", "/admin/documents/{ref:path}/edit", "/admin/audit"} <= paths
    assert len(POSTS) >= 6 and all(m == "POST" for m, _ in POSTS)


@pytest.mark.parametrize("method, path", ADMIN_ROUTES)
def test_anonymous_requests_are_refused(client, seeded, method, path):
    response = client.request(method, _url(path), follow_redirects=False)
    if method == "GET":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    else:
        assert response.status_code in (401, 403)


@pytest.mark.parametrize("method, path", POSTS)
def test_anonymous_posts_with_a_csrf_token_are_still_refused(client, seeded, method, path):
    response = client.request(method, _url(path), data={"csrftoken": token(client)}, follow_redirects=False)
    assert response.status_code == 401


@pytest.mark.parametrize("method, path", POSTS)
def test_posts_without_a_csrf_token_are_refused(admin_client, method, path):
    response = admin_client.request(method, _url(path), data={"text": "x"}, follow_redirects=False)
    assert response.status_code == 403
    wrong = admin_client.request(
        method, _url(path), data={"csrftoken": "forged"}, follow_redirects=False
    )
    assert wrong.status_code == 403
    htmx = admin_client.request(
        method, _url(path), data={"text": "x"}, headers={"HX-Request": "true", "x-csrftoken": "forged"},
        follow_redirects=False,
    )
    assert htmx.status_code == 403


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_login_and_logout_need_the_csrf_token_even_without_cookies(client, admin, path):
    response = client.post(path, data={"username": "alice", "password": "x"}, follow_redirects=False)
    assert response.status_code == 403


def _counts(session):
    return tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Document, Citation, AuditEntry, AdminField)
    ) + (session.exec(select(func.sum(Document.version))).one(),)


@pytest.mark.parametrize("method, path", GETS)
def test_no_admin_get_changes_anything(admin_client, session, method, path):
    # An audit entry to look at (and documents touched by it) before the GET.
    admin_client.post(
        "/admin/documents/A/77/L.107/delete",
        data={"csrftoken": admin_client.csrf, "version": "1"}, follow_redirects=False,
    )
    before = _counts(session)
    response = admin_client.get(_url(path), follow_redirects=False)
    assert response.status_code in (200, 303, 404)
    session.expire_all()
    assert _counts(session) == before
