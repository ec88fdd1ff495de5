"""Admin accounts: create-admin, argon2 hashes, login and logout, the session cookie, throttling."""

import logging
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, func, select

from app.accounts import throttle, users
from app.web import security
from app.cli import main
from app.config import PROJECT_ROOT, Settings, get_settings
from app.models import LoginAttempt, User
from tests.admin_support import PASSWORD, admin, login, no_slowdown, token  # noqa: F401
from tests.conftest import TEST_DB_URL, app_on


def _cookie_headers(response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_there_is_no_default_account(client, session, no_slowdown):
    assert session.exec(select(func.count()).select_from(User)).one() == 0
    for username, password in [("admin", "admin"), ("admin", ""), ("root", "password")]:
        assert login(client, username, password).status_code == 401


def test_passwords_are_stored_as_argon2id_hashes(session, admin):
    user = session.exec(select(User)).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert users.verify_password(user.password_hash, PASSWORD)
    assert not users.verify_password(user.password_hash, PASSWORD + "x")
    assert not users.verify_password("not a hash", PASSWORD)


@pytest.mark.parametrize(
    "username, password, problem",
    [("alice", "short", "at least"), ("", PASSWORD, "username"), ("a b", PASSWORD, "username")],
)
def test_weak_or_malformed_credentials_are_refused(session, username, password, problem):
    with pytest.raises(ValueError, match=problem):
        users.create_admin(session, username, password)


def test_an_existing_admin_is_not_overwritten_without_reset(session, admin):
    with pytest.raises(ValueError, match="exists"):
        users.create_admin(session, "alice", "another long password")
    assert users.create_admin(session, "alice", "another long password", reset=True) is False
    assert users.authenticate(session, "alice", "another long password") is not None


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    """A migrated database that `lineage` commands reach through LINEAGE_DATABASE_URL."""
    if TEST_DB_URL:
        pytest.skip("the CLI test migrates its own SQLite file")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINEAGE_DATABASE_URL", url)
    from app import db

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    assert main(["migrate"]) == 0
    yield url
    db.get_engine().dispose()
    get_settings.cache_clear()
    db.get_engine.cache_clear()


def test_create_admin_reads_the_password_from_the_environment(cli_database, monkeypatch, capsys):
    monkeypatch.setenv("LINEAGE_ADMIN_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    assert main(["create-admin", "carol"]) == 0
    assert "created admin carol" in capsys.readouterr().out
    assert main(["create-admin", "carol"]) == 1
    assert "exists" in capsys.readouterr().err
    from app.db import get_engine

    with Session(get_engine()) as s:
        assert users.authenticate(s, "carol", PASSWORD) is not None


def test_create_admin_prompts_for_the_password(cli_database, monkeypatch, capsys):
    monkeypatch.delenv("LINEAGE_ADMIN_PASSWORD", raising=False)
    get_settings.cache_clear()
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["create-admin", "dave"]) == 0
    answers = iter([PASSWORD, "something else entirely"])
    assert main(["create-admin", "erin"]) == 2
    assert "differ" in capsys.readouterr().err


def test_create_admin_without_a_terminal_or_password_refuses(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LINEAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "create-admin", "frank"], env=env,
                          cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert done.returncode == 2
    assert "LINEAGE_ADMIN_PASSWORD" in done.stderr


def test_login_then_logout(client, seeded, admin, no_slowdown):
    assert client.get("/admin", follow_redirects=False).status_code == 303
    response = login(client, next="/admin/audit")
    assert response.status_code == 303 and response.headers["location"] == "/admin/audit"
    assert client.get("/admin").status_code == 200
    # The public pages show the way to the admin.
    assert 'href="/admin"' in client.get("/").text
    response = client.post("/logout", data={"csrftoken": token(client, "/admin")}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/admin", follow_redirects=False).status_code == 303
    assert 'href="/admin"' not in client.get("/").text


def test_wrong_password_reshows_the_form_with_the_username(client, admin, no_slowdown):
    response = login(client, password="wrong password")
    assert response.status_code == 401
    assert 'value="alice"' in response.text
    assert "Wrong username or password" in client.post(
        "/login?lang=en", data={"username": "alice", "password": "x", "csrftoken": token(client)}
    ).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", "javascript:x"])
def test_login_never_redirects_to_another_site(client, admin, no_slowdown, target):
    response = login(client, next=target)
    assert response.headers["location"] == "/admin"


def test_session_cookie_is_signed_httponly_and_lax(client, admin, no_slowdown):
    response = login(client)
    cookie = next(c for c in _cookie_headers(response) if c.startswith(security.SESSION_COOKIE + "="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http: a Secure cookie would never come back
    # A cookie changed by hand is not a session.
    value = cookie.split(";")[0].split("=", 1)[1]
    client.cookies.set(security.SESSION_COOKIE, value[:-4] + "AAAA")
    assert client.get("/admin", follow_redirects=False).status_code == 303


def _client_for(engine, base_url: str) -> TestClient:
    return TestClient(app_on(engine), base_url=base_url)


def test_cookies_are_secure_over_https(engine, admin, no_slowdown):
    with _client_for(engine, "https://lineage.example") as https:
        form_cookie = next(c for c in _cookie_headers(https.get("/login"))
                           if c.startswith(security.SESSION_COOKIE + "="))
        assert "secure" in form_cookie.lower()
        response = login(https)
        assert response.status_code == 303
        session_cookie = next(c for c in _cookie_headers(response) if c.startswith(security.SESSION_COOKIE + "="))
        assert "secure" in session_cookie.lower()
        assert https.get("/admin").status_code == 200


def test_secure_cookies_can_be_forced_by_a_setting(engine, admin, no_slowdown, monkeypatch):
    monkeypatch.setattr(get_settings(), "secure_cookies", True)
    with _client_for(engine, "http://testserver") as c:
        page = c.get("/login")
        form_cookie = next(x for x in _cookie_headers(page) if x.startswith(security.SESSION_COOKIE + "="))
        assert "secure" in form_cookie.lower()


def test_changing_the_password_ends_existing_sessions(client, session, admin, no_slowdown):
    login(client)
    assert client.get("/admin").status_code == 200
    users.create_admin(session, "alice", "a brand new password", reset=True)
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ValidationError, match="LINEAGE_SECRET_KEY"):
        Settings(environment="production", secret_key=None)
    assert security.secret_key(Settings(environment="production", secret_key="k" * 40)) == "k" * 40


def test_development_without_a_key_uses_a_random_one_and_says_so(caplog):
    security._development_key.cache_clear()
    with caplog.at_level(logging.WARNING, logger="lineage.auth"):
        first = security.secret_key(Settings(secret_key=None))
        assert security.secret_key(Settings(secret_key=None)) == first
    assert len(first) >= 32
    assert sum("LINEAGE_SECRET_KEY is not set" in r.message for r in caplog.records) == 1


# --- throttling ---------------------------------------------------------------------------


def test_repeated_failures_are_slowed_then_refused(client, admin, monkeypatch):
    from app.web import login as admin_routes

    waits = []

    async def wait(seconds):
        waits.append(seconds)

    def no_thread_sleeps(seconds):  # a thread held asleep is a thread no page can use
        raise AssertionError(f"slept {seconds} s in a handler thread")

    monkeypatch.setattr(admin_routes, "wait", wait)
    monkeypatch.setattr("time.sleep", no_thread_sleeps)
    monkeypatch.setattr(get_settings(), "login_slowdown_seconds", 0.5)
    statuses = [login(client, password=f"wrong {i}").status_code for i in range(throttle.MAX_FAILURES)]
    assert statuses == [401] * throttle.MAX_FAILURES
    assert waits[0] == 0.5 and waits == sorted(waits) and max(waits) <= throttle.MAX_DELAY
    assert len(waits) == throttle.MAX_FAILURES - throttle.FREE_FAILURES
    # From now on even the right password gets 429, with the time to wait.
    refused = login(client)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_failures_of_an_address_at_other_usernames_slow_it_but_do_not_close_it(client, admin, monkeypatch):
    from app.web import login as admin_routes

    waits = []

    async def wait(seconds):
        waits.append(seconds)

    monkeypatch.setattr(admin_routes, "wait", wait)
    for i in range(throttle.MAX_FAILURES):
        assert login(client, f"nobody{i}", "x").status_code == 401
    assert login(client).status_code == 303
    assert waits and max(waits) <= throttle.MAX_DELAY


def test_failures_are_shared_by_every_worker(engine, admin, no_slowdown):
    # Two app instances (two workers) on one database count the same failures.
    with _client_for(engine, "http://testserver") as one, _client_for(engine, "http://testserver") as two:
        for i in range(throttle.MAX_FAILURES // 2):
            login(one, password="wrong")
            login(two, password="wrong")
        assert login(one).status_code == 429
        assert login(two).status_code == 429


def test_failures_age_out_and_success_clears_them(session, admin, no_slowdown):
    for _ in range(throttle.FREE_FAILURES + 1):
        assert throttle.login(session, "alice", "wrong", "10.0.0.1").status == 401
    assert throttle.login(session, "alice", PASSWORD, "10.0.0.1").status == 303
    assert session.exec(select(func.count()).select_from(LoginAttempt)).one() == 0
    for _ in range(throttle.MAX_FAILURES):
        throttle.login(session, "alice", "wrong", "10.0.0.1")
    assert throttle.login(session, "alice", PASSWORD, "10.0.0.1").status == 429
    later = throttle.utcnow() + throttle.WINDOW + throttle.dt.timedelta(seconds=1)
    assert throttle.reserve(session, "alice", "10.0.0.1", now=later).retry_after is None
