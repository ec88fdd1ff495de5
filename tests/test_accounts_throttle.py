"""Login throttling on a live server, as an attacker meets it: a burst of failed logins leaves the
readers alone; the lock-out closes one address's attempts at one username, exactly at the cap,
and only slows the username everywhere else; forwarded headers count only from trusted proxies."""

import asyncio
import os
import statistics
import time

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine
from app.models import LoginAttempt
from tests.admin_support import PASSWORD
from tests.browser import empty_database_url, live_server, run_lineage

MAX_FAILURES = 10  # the README's cap: ten failures of one address at one username
SLOWDOWN = 0.2
CHAIN = "/organizations/SCO"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return empty_database_url(tmp_path_factory, "login-throttle")


@pytest.fixture(scope="module")
def server(database):
    # Loopback is the trusted proxy here, so each request can say which address it comes from.
    # The page cache is off so that readers render before and during the burst alike.
    env = {"LINEAGE_TRUSTED_PROXIES": "127.0.0.1", "LINEAGE_LOGIN_SLOWDOWN_SECONDS": str(SLOWDOWN),
           "LINEAGE_PAGE_CACHE_MB": "0"}
    with live_server(database, extra_env=env) as base:
        for name in ("alice", "dave", "erin"):
            run_lineage({**os.environ, "LINEAGE_DATABASE_URL": database, "LINEAGE_ADMIN_PASSWORD": PASSWORD},
                        "create-admin", name)
        yield base


async def _token(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    return BeautifulSoup(page.text, "html.parser").select_one("input[name=csrftoken]")["value"]


async def _attempt(client, token, username, password, address) -> httpx.Response:
    return await client.post(
        "/login", data={"username": username, "password": password, "csrftoken": token},
        headers={"X-Forwarded-For": address}, follow_redirects=False,
    )


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("spread", ["one address", "many addresses"])
def test_a_burst_of_failed_logins_leaves_readers_alone(server, spread):
    async def scenario():
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=server, timeout=30) as reader, \
                httpx.AsyncClient(base_url=server, timeout=60, limits=limits) as attacker:
            token = await _token(attacker)

            async def read() -> float:
                start = time.perf_counter()
                response = await reader.get(CHAIN)
                assert response.status_code == 200
                return time.perf_counter() - start

            await read()  # warm
            before = [await read() for _ in range(10)]
            target = "victim-" + spread.replace(" ", "-")
            burst = [
                asyncio.create_task(_attempt(
                    attacker, token, target, f"wrong {i}",
                    "198.51.100.7" if spread == "one address" else f"198.51.{i // 200}.{i % 200 + 1}"))
                for i in range(40)
            ]
            during = []
            while not all(task.done() for task in burst) or len(during) < 3:
                during.append(await read())
            return before, during, await asyncio.gather(*burst)

    before, during, answers = _run(scenario())
    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {401, 429}, statuses
    # Refusals say when to come back.
    assert all(int(r.headers["retry-after"]) >= 1 for r in answers if r.status_code == 429)
    # The readers do not queue behind the logins: neither for a thread nor for a connection.
    # (Bounds with room for a shared, busy machine; before the fix reads waited out 30 s timeouts.)
    figures = (before, during)
    assert statistics.median(during) <= 3 * statistics.median(before) + 0.15, figures
    assert _p95(during) <= 3 * _p95(before) + 0.3, figures
    assert max(during) <= 3.0, figures


def test_concurrent_failures_stop_exactly_at_the_cap(server):
    async def scenario():
        async with httpx.AsyncClient(base_url=server, timeout=120) as client:
            token = await _token(client)
            first = await asyncio.gather(*[
                _attempt(client, token, "carol", f"wrong {i}", "203.0.113.5") for i in range(MAX_FAILURES + 3)
            ])
            later = []
            while not later or later[-1].status_code == 401:
                later.append(await _attempt(client, token, "carol", "wrong again", "203.0.113.5"))
            return first + later

    statuses = [r.status_code for r in _run(scenario())]
    assert set(statuses) <= {401, 429}, statuses
    # Exactly as many passwords checked as the cap allows: never more, whatever the concurrency.
    assert statuses.count(401) == MAX_FAILURES, statuses


def test_the_lockout_closes_one_address_and_not_the_owner(server):
    async def scenario():
        async with httpx.AsyncClient(base_url=server, timeout=120) as client:
            token = await _token(client)
            for i in range(MAX_FAILURES):
                assert (await _attempt(client, token, "dave", f"guess {i}", "192.0.2.66")).status_code == 401
            # The attacker's address is closed for dave, even with the right password...
            closed = await _attempt(client, token, "dave", PASSWORD, "192.0.2.66")
            # ...and the owner, from elsewhere, still gets in.
            owner = await _attempt(client, token, "dave", PASSWORD, "192.0.2.200")
            return closed, owner

    closed, owner = _run(scenario())
    assert closed.status_code == 429 and int(closed.headers["retry-after"]) > 0
    assert owner.status_code == 303


def test_failures_from_many_addresses_slow_the_username_but_never_close_it(server):
    async def scenario():
        async with httpx.AsyncClient(base_url=server, timeout=120) as client:
            token = await _token(client)
            for i in range(MAX_FAILURES + 2):
                assert (await _attempt(client, token, "erin", "guess", f"192.0.2.{i + 1}")).status_code == 401
            start = time.perf_counter()
            owner = await _attempt(client, token, "erin", PASSWORD, "192.0.2.250")
            return owner, time.perf_counter() - start

    owner, took = _run(scenario())
    assert owner.status_code == 303
    assert took >= 3 * SLOWDOWN  # slowed, not closed


def test_the_trusted_proxy_names_the_client(server, database):
    async def scenario():
        async with httpx.AsyncClient(base_url=server, timeout=60) as client:
            return await _attempt(client, await _token(client), "frank", "wrong", "203.0.113.77")

    assert _run(scenario()).status_code == 401
    assert "203.0.113.77" in _stored_addresses(database, "frank")


def _stored_addresses(database: str, username: str) -> set[str]:
    engine = make_engine(Settings(database_url=database).sqlalchemy_url)
    try:
        with Session(engine) as s:
            return set(s.exec(select(LoginAttempt.address).where(LoginAttempt.username == username)).all())
    finally:
        engine.dispose()


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(tmp_path_factory):
    database = empty_database_url(tmp_path_factory, "no-proxy")
    with live_server(database, seed=False) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            page = client.get("/login", headers={"X-Forwarded-Proto": "https"})
            # A Secure cookie on plain http would never come back: the header was not believed.
            assert not any("secure" in c.lower() for c in page.headers.get_list("set-cookie"))
            token = BeautifulSoup(page.text, "html.parser").select_one("input[name=csrftoken]")["value"]
            response = client.post("/login", data={"username": "grace", "password": "x", "csrftoken": token},
                                   headers={"X-Forwarded-For": "203.0.113.99"})
            assert response.status_code == 401
    assert _stored_addresses(database, "grace") == {"127.0.0.1"}
