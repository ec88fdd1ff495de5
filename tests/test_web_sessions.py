"""The admin session lives on the server: logout and a new password end it, the CSRF token belongs
to it, and no page of it is kept by a browser or a proxy cache."""

import pytest

from app.accounts.users import create_admin
from tests.admin_support import login, sco_form, token
from tests.conftest import _client_of
from tests.admin_support import admin, admin_client, no_slowdown  # noqa: F401  (fixtures)

SESSION_COOKIE = "lineage_session"


def _preview(client, csrf: str):
    return client.post("/admin/documents/new/preview", data={**sco_form(), "csrftoken": csrf},
                       follow_redirects=False)


def test_logout_ends_the_session_on_the_server(admin_client):
    kept = admin_client.cookies.get(SESSION_COOKIE)
    response = admin_client.post("/logout", data={"csrftoken": admin_client.csrf}, follow_redirects=False)
    assert response.status_code == 303
    # Someone who copied the cookie before the logout (a shared machine, a stolen backup) gets nothing.
    admin_client.cookies.set(SESSION_COOKIE, kept)
    assert admin_client.get("/admin", follow_redirects=False).status_code == 303


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(admin_client, session):
    kept = admin_client.cookies.get(SESSION_COOKIE)
    create_admin(session, "alice", "an entirely new password", reset=True)
    admin_client.cookies.set(SESSION_COOKIE, kept)
    assert admin_client.get("/admin", follow_redirects=False).status_code == 303


def test_a_csrf_token_from_another_session_is_refused(admin_client, engine):
    # The attacker's own anonymous visit yields a token and whatever cookies go with it; planted in
    # the admin's browser (cookie tossing from a sibling domain), they still do not pass.
    with _client_of(engine) as attacker:
        foreign = token(attacker)
        planted = {k: v for k, v in attacker.cookies.items() if k != SESSION_COOKIE}
    for name, value in planted.items():
        admin_client.cookies.set(name, value)
    assert _preview(admin_client, foreign).status_code == 403
    assert _preview(admin_client, token(admin_client, "/admin")).status_code == 200


def test_the_token_of_the_login_form_dies_with_the_login(client, seeded, admin, no_slowdown):
    before = token(client)
    assert login(client).status_code == 303
    assert _preview(client, before).status_code == 403
    assert _preview(client, token(client, "/admin")).status_code == 200


def test_a_token_header_works_for_htmx_only_in_its_own_session(admin_client):
    response = admin_client.post("/admin/documents/new/preview", data=sco_form(),
                                 headers={"HX-Request": "true", "x-csrftoken": admin_client.csrf})
    assert response.status_code == 200
    response = admin_client.post("/admin/documents/new/preview", data=sco_form(),
                                 headers={"HX-Request": "true", "x-csrftoken": admin_client.csrf[:-2] + "xx"})
    assert response.status_code == 403


NO_STORE_ANONYMOUS = [
    ("GET", "/login"), ("GET", "/admin"), ("GET", "/admin/audit"), ("POST", "/login"), ("POST", "/logout"),
    ("POST", "/admin/documents/new"),
]


@pytest.mark.parametrize("method, path", NO_STORE_ANONYMOUS)
def test_login_and_admin_answers_are_never_stored_anonymous(client, seeded, method, path):
    response = client.request(method, path, follow_redirects=False)
    assert "no-store" in response.headers.get("cache-control", ""), (response.status_code, response.headers)


@pytest.mark.parametrize("method, path", [
    ("GET", "/admin"), ("GET", "/admin/audit"), ("GET", "/admin/documents/new"), ("GET", "/admin/audit/99999"),
    ("GET", "/admin/documents/A/RES/59/48/edit"), ("GET", "/admin/no-such-page"), ("POST", "/admin/audit/1/restore"),
])
def test_login_and_admin_answers_are_never_stored_signed_in(admin_client, method, path):
    data = {"csrftoken": admin_client.csrf} if method == "POST" else None
    response = admin_client.request(method, path, data=data, follow_redirects=False)
    assert "no-store" in response.headers.get("cache-control", ""), (response.status_code, response.headers)


def test_a_failed_login_is_not_stored_either(client, admin, no_slowdown):
    response = login(client, password="wrong password")
    assert response.status_code == 401
    assert "no-store" in response.headers["cache-control"]


def test_public_pages_stay_cacheable(client, seeded):
    assert "no-store" not in client.get("/organizations/SCO").headers.get("cache-control", "")
