"""The page cache (app/web/cache.py) on a live server: a reader never sees a page older than the
last commit, whoever made it, and nothing private or personal is replayed to someone else."""

import json
import os
import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.testclient import TestClient

from app.web.cache import PageCache, version_probe
from tests.browser import empty_database_url, live_server, run_lineage
from tests.helpers import chain_labels, soup

SCO = "/organizations/SCO"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    url = empty_database_url(tmp_path_factory, "cache")
    with live_server(url) as base:
        yield base, url


def _get(base, path, **kw):
    return httpx.get(base + path, timeout=10, **kw)


def test_second_read_is_replayed_unchanged(served):
    base, _ = served
    first, second = _get(base, "/documents/A/RES/64/183"), _get(base, "/documents/A/RES/64/183")
    assert first.status_code == second.status_code == 200
    assert second.headers["x-cache"] == "hit"
    assert second.text == first.text
    # replayed with the security headers it was rendered with
    assert "frame-ancestors 'none'" in second.headers["content-security-policy"]


def test_an_import_by_another_process_is_seen_at_once(served, tmp_path):
    base, url = served
    before = soup(_get(base, SCO))
    assert _get(base, SCO).headers["x-cache"] == "hit"
    line = {"symbol": "A/RES/79/301", "kind": "ga_resolution", "session": 79, "date": "2025-06-30",
            "organization": "SCO",
            "citations": [{"symbol": "A/RES/59/48", "verb": "回顾", "date": "2004-12-02"}]}
    jsonl = tmp_path / "one.jsonl"
    jsonl.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    run_lineage({**os.environ, "LINEAGE_DATABASE_URL": url}, "import", str(jsonl), "--quiet")

    after = _get(base, SCO)
    assert after.headers["x-cache"] == "miss"
    assert chain_labels(soup(after))[-1] == "A/RES/79/301"
    assert "A/RES/79/301" not in chain_labels(before)


def test_language_and_fragment_are_told_apart(served):
    base, _ = served
    zh = _get(base, SCO)
    en = _get(base, SCO, cookies={"lang": "en"})
    fragment = _get(base, SCO, headers={"HX-Request": "true"})
    assert soup(zh).html["lang"].startswith("zh") and soup(en).html["lang"] == "en"
    assert "<html" not in fragment.text and "<html" in zh.text
    again = _get(base, SCO, cookies={"lang": "en"})
    assert again.headers["x-cache"] == "hit" and again.text == en.text


@pytest.mark.parametrize("headers", [
    [("HX-Request", "true"), ("HX-Request", "")],  # the app reads the first one
    [("Cookie", "lang =en")],  # Starlette trims the name
])
def test_requests_the_app_reads_differently_do_not_share_a_key(served, headers):
    """No request can store a page under the key of requests the app answers otherwise."""
    base, _ = served
    path = "/documents/A/RES/65/124"
    odd = httpx.get(base + path, headers=headers, timeout=10)
    plain = httpx.get(base + path, timeout=10)
    assert soup(plain).html["lang"] == "zh-Hans" and soup(plain).select_one("h1") is not None
    assert plain.text != odd.text


def test_a_spaced_session_cookie_still_goes_straight_through(served):
    base, _ = served
    _get(base, SCO)
    response = httpx.get(base + SCO, headers={"Cookie": "lineage_session =anything"}, timeout=10)
    assert "x-cache" not in response.headers


def test_a_response_that_sets_a_cookie_is_not_kept(served):
    base, _ = served
    for _ in range(2):
        switched = _get(base, SCO + "?lang=en")
        assert "lang=en" in switched.headers["set-cookie"]
        assert switched.headers["x-cache"] == "miss"


@pytest.mark.parametrize("path", ["/admin", "/login"])
def test_admin_pages_are_never_cached(served, path):
    base, _ = served
    for _ in range(2):
        assert "x-cache" not in _get(base, path, follow_redirects=False).headers


def test_a_signed_in_reader_goes_straight_through(served):
    base, _ = served
    _get(base, SCO)
    response = _get(base, SCO, cookies={"lineage_session": "anything"})
    assert response.status_code == 200 and "x-cache" not in response.headers


def test_a_page_rendered_across_a_commit_is_not_kept(tmp_path):
    """A render that read the data before a commit must not be stored after it."""
    path = tmp_path / "race.db"
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    con.execute("CREATE TABLE t (n INTEGER)")
    con.execute("INSERT INTO t VALUES (0)")
    inner = FastAPI()

    @inner.get("/n")
    def read_then_commit():
        n = con.execute("SELECT n FROM t").fetchone()[0]
        con.execute("UPDATE t SET n = n + 1")  # another writer commits during the render
        return PlainTextResponse(str(n))

    app = PageCache(inner, probe=version_probe(f"sqlite:///{path}"), max_bytes=1 << 20)
    with TestClient(app) as client:
        assert client.get("/n").text == "0"
        second = client.get("/n")
        assert second.text == "1" and second.headers["x-cache"] == "miss"
    assert app.entries == {} and app.hits == 0


def _tiny_app(tmp_path, max_bytes):
    path = tmp_path / "bound.db"
    sqlite3.connect(path).execute("CREATE TABLE t (n INTEGER)")
    inner = FastAPI()

    @inner.get("/page/{n}")
    def page(n: int):
        return PlainTextResponse("x" * 1000 + str(n))

    @inner.get("/go")
    def go():
        return RedirectResponse("/page/1", status_code=303)

    return PageCache(inner, probe=version_probe(f"sqlite:///{path}"), max_bytes=max_bytes), path


def test_the_cache_stays_within_its_bound(tmp_path):
    app, _ = _tiny_app(tmp_path, 8 * 1024)
    with TestClient(app) as client:
        for n in range(50):
            client.get(f"/page/{n}")
        assert app.size <= 8 * 1024 and 3 <= len(app.entries) < 8
        assert client.get("/page/49").headers["x-cache"] == "hit"  # the most recent are kept
        assert client.get("/page/0").headers["x-cache"] == "miss"


def test_bodiless_redirects_count_against_the_bound(tmp_path):
    """A redirect has no body: its key and headers must still count, or unique query strings
    would grow the cache without end."""
    app, _ = _tiny_app(tmp_path, 64 * 1024)
    with TestClient(app) as client:
        for n in range(2000):
            assert client.get(f"/go?junk={'y' * 200}{n}", follow_redirects=False).status_code == 303
        assert app.size <= 64 * 1024 and len(app.entries) < 200
        assert client.get(f"/go?junk={'y' * 200}1999", follow_redirects=False).headers["x-cache"] == "hit"


def test_a_reconnected_probe_does_not_revive_old_pages(tmp_path):
    """data_version starts again at 1 on a new connection: a reconnection is a change."""
    app, path = _tiny_app(tmp_path, 1 << 20)
    with TestClient(app) as client:
        client.get("/page/1")
        assert client.get("/page/1").headers["x-cache"] == "hit"
        app.probe.close()  # as after an error
        assert client.get("/page/1").headers["x-cache"] == "miss"


def test_in_memory_sqlite_has_no_cache():
    assert version_probe("sqlite://") is None
    assert version_probe("sqlite:///:memory:") is None


def test_a_restore_is_seen_at_once(served, tmp_path):
    """`lineage restore` rewrites the whole database under the running server."""
    base, url = served
    env = {**os.environ, "LINEAGE_DATABASE_URL": url}
    run_lineage(env, "backup", str(tmp_path / "before.backup"))
    line = {"symbol": "A/RES/80/302", "kind": "ga_resolution", "session": 80, "date": "2026-06-30",
            "organization": "SCO"}
    (tmp_path / "one.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    run_lineage(env, "import", str(tmp_path / "one.jsonl"), "--quiet")
    assert chain_labels(soup(_get(base, SCO)))[-1] == "A/RES/80/302"
    assert _get(base, SCO).headers["x-cache"] == "hit"

    run_lineage(env, "restore", str(tmp_path / "before.backup"))
    after = _get(base, SCO)
    assert after.headers["x-cache"] == "miss"
    assert "A/RES/80/302" not in chain_labels(soup(after))
