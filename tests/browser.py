"""A live Lineage server and Debian's chromium, for the tests of what a person sees and clicks."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_lineage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True)


def wait_until_up(base: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    """Until `base`/healthz answers; a server that exits or takes longer fails with its stderr."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            said = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise RuntimeError(f"server did not start: {said}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen, seconds: float = 15) -> None:
    """Ends a server: SIGTERM, and SIGKILL if it is still there after `seconds`."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# base URL -> the server's process, for the tests that kill it
SERVERS: dict[str, subprocess.Popen] = {}


@contextmanager
def live_server(database_url: str, extra_env: dict | None = None, seed: bool = True):
    """Migrate, seed and serve `database_url` on a free loopback port; yields the base URL."""
    env = {**os.environ, "LINEAGE_DATABASE_URL": database_url, **(extra_env or {})}
    run_lineage(env, "migrate")
    if seed:
        run_lineage(env, "seed")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = proc
    try:
        wait_until_up(base, proc)
        yield base
    finally:
        SERVERS.pop(base, None)
        stop(proc)


def screenshot_dir() -> Path:
    out = PROJECT_ROOT / "tests" / "screenshots"
    out.mkdir(exist_ok=True)
    return out


def empty_database_url(tmp_path_factory, name: str) -> str:
    """A database with nothing in it for a live server: the PostgreSQL test database emptied
    (LINEAGE_TEST_DATABASE_URL), else a new SQLite file."""
    from tests.conftest import TEST_DB_URL

    if not TEST_DB_URL:
        return f"sqlite:///{tmp_path_factory.mktemp(name) / 'lineage.db'}"
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from app.config import Settings
    from app.db import make_engine

    engine = make_engine(Settings(database_url=TEST_DB_URL).sqlalchemy_url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return TEST_DB_URL


@contextmanager
def chromium():
    """Debian's chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"chromium not found at {CHROMIUM}: run `make system-deps`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page, server: str, username: str, password: str) -> None:
    """Log in through the login page, in English, and land on /admin."""
    page.goto(server + "/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin")


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, one for the tests of a module (import it as a fixture)."""
    with chromium() as b:
        yield b


def admin_server(tmp_path_factory, name: str, *, seed: bool):
    """A live server on a database of its own with an admin `editor` (password: PASSWORD)."""
    from tests.admin_support import PASSWORD

    url = empty_database_url(tmp_path_factory, name)
    with live_server(url, seed=seed) as base:
        run_lineage({**os.environ, "LINEAGE_DATABASE_URL": url, "LINEAGE_ADMIN_PASSWORD": PASSWORD},
                    "create-admin", "editor")
        yield base


def log_in_editor(page, server: str) -> None:
    """Log in as the admin `admin_server` made."""
    from tests.admin_support import PASSWORD

    log_in(page, server, "editor", PASSWORD)
