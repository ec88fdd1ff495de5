"""Heavy requests (extract, diff, search, a first drawing) take a bounded share of a worker.

A client may run `heavy_per_client` of them at once (more: 429); every client together may hold
half the worker's threads (more wait on the event loop, then 503); a body sent slowly holds the
client's own share, never a worker's place (408 after the budget); SQL statements stop at the
request's deadline (503). Each answer says when to come back (Retry-After).
"""

import json
import socket
import threading
import time

import anyio
import httpx
import pytest
from sqlalchemy import text

from app.budget import Deadline, OverBudget
from app.db import statements_within
from app.web.errors import RETRY_AFTER
from app.web.limits import HeavyLimit, is_heavy
from tests.browser import live_server

SLOW_COUNT = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
              "SELECT count(*) FROM c")


@pytest.mark.parametrize("method, path, heavy", [
    ("POST", "/api/extract", True), ("POST", "/extract", True), ("GET", "/extract", False),
    ("GET", "/diff/A/RES/59/48...A/RES/64/183", True), ("GET", "/search", True), ("GET", "/api/search", True),
    ("GET", "/graph", True), ("GET", "/graph.svg", True), ("GET", "/organizations/SCO/graph", True),
    ("GET", "/organizations/SCO/graph.svg", True), ("GET", "/organizations/SCO", False),
    ("GET", "/documents/A/RES/59/48", False), ("GET", "/api/symbols", False), ("GET", "/export/documents.csv", False),
])
def test_which_requests_are_heavy(method, path, heavy):
    assert is_heavy(method, path) is heavy


# --- the limits against a real server --------------------------------------------------------


def _slow_body(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A POST /api/extract whose body never comes: it holds a share of its client's while open."""
    s = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    s.sendall(b"POST /api/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n{\"text\": ")
    return s


def _extract(base: str, source: str = "127.0.0.1") -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=30) as c:
        return c.post(base + "/api/extract", json={"text": "回顾其第59/48号决议"})


def _until(check, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_one_client_past_its_share_is_refused_and_others_are_not(tmp_path):
    env = {"LINEAGE_HEAVY_PER_CLIENT": "1", "LINEAGE_REQUEST_BUDGET_SECONDS": "3"}
    with live_server(f"sqlite:///{tmp_path / 'l.db'}", env, seed=False) as base:
        port = int(base.rsplit(":", 1)[1])
        assert _extract(base).status_code == 200
        held = _slow_body(port)
        try:
            # the slow request is counted once the server has read its headers
            refused = _until(lambda: (r := _extract(base)).status_code == 429 and r)
            assert refused, "a second heavy request of the same client was not refused"
            assert refused.headers["Retry-After"] == str(RETRY_AFTER)
            assert "at once" in refused.json()["error"]
            # a page gets the refusal as a page, in its reader's language
            page = httpx.get(base + "/search?q=合作&lang=zh")
            assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
            assert "同时发出的此类请求过多" in page.text
            assert page.headers["Retry-After"] == str(RETRY_AFTER)
            # another address is served meanwhile, and so is every ordinary page
            assert _extract(base, source="127.0.0.2").status_code == 200
            assert httpx.get(base + "/").status_code == 200
            # the slow body is cut off after the budget, and the client's share comes back
            held.settimeout(10)
            answer = b""
            while b"}" not in answer and (chunk := held.recv(4096)):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b"too slowly" in answer
        finally:
            held.close()
        assert _until(lambda: _extract(base).status_code == 200)


# --- the worker's share, on the middleware itself --------------------------------------------


def test_past_the_workers_share_a_request_waits_then_gets_a_503():
    release = anyio.Event()
    started: list[str] = []
    refused: list[int] = []

    async def handler(scope, receive, send):
        started.append(scope["client"][0])
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def refuse(scope, receive, send, status, key):
        refused.append(status)

    limit = HeavyLimit(handler, per_client=5, total=2, wait_seconds=0.3, refuse=refuse)

    async def call(address):
        scope = {"type": "http", "method": "GET", "path": "/search", "client": (address, 1), "headers": []}

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(_message):
            pass

        await limit(scope, receive, send)

    async def main():
        async with anyio.create_task_group() as tg:
            for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
                tg.start_soon(call, address)
            with anyio.fail_after(5):
                while not refused:
                    await anyio.sleep(0.01)
            # two ran, the third waited its 0.3 s and was refused; the counts go back to zero
            assert sorted(started) == ["10.0.0.1", "10.0.0.2"]
            assert refused == [503]
            release.set()
        assert limit.running == {}
        # the places are free again
        started.clear()
        await call("10.0.0.4")
        assert started == ["10.0.0.4"]

    anyio.run(main)


# --- statements within the request's time ----------------------------------------------------


def test_a_statement_past_the_deadline_stops_with_over_budget(session):
    before = time.monotonic()
    with pytest.raises(OverBudget):
        with statements_within(session, Deadline(0.2)):
            session.execute(text(SLOW_COUNT)).scalar_one()
    assert time.monotonic() - before < 10  # it was stopped: the count alone takes far longer
    session.rollback()
    # within its time a statement answers, and the limit does not outlive the block
    with statements_within(session, Deadline(30)):
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    session.rollback()
    short = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c"
    time.sleep(0.3)
    assert session.execute(text(short)).scalar_one() == 300000


def test_a_search_past_its_budget_is_a_503_that_says_so(client, session, monkeypatch):
    from app.config import get_settings
    from app.models import Document

    word = "合作与协调"
    session.add_all([Document(key=f"k-{i}", kind="other", text=f"第{i}段 {word} " * 40) for i in range(3000)])
    session.commit()
    monkeypatch.setenv("LINEAGE_REQUEST_BUDGET_SECONDS", "0.000001")
    get_settings.cache_clear()
    try:
        api = client.get("/api/search", params={"q": word})
        page = client.get("/search", params={"q": word, "lang": "en"})
    finally:
        monkeypatch.delenv("LINEAGE_REQUEST_BUDGET_SECONDS")
        get_settings.cache_clear()
    assert api.status_code == 503, api.text[:300]
    assert api.headers["Retry-After"] == str(RETRY_AFTER)
    assert "seconds one request may take" in json.loads(api.text)["error"]
    assert page.status_code == 503
    assert "seconds one request may take" in page.text
    # with its time, the same search answers
    assert client.get("/api/search", params={"q": word}).json()["total"] == 3000
