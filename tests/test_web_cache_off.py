"""`LINEAGE_PAGE_CACHE_MB=0`: no page cache, and every page kind, graph and export still answers,
on a live server as deployed."""

import json

import httpx
import pytest

from tests.browser import empty_database_url, live_server

PATHS = [
    "/", "/organizations/SCO", "/organizations/SCO?as_of=64", "/documents/A/RES/59/48",
    "/documents/S/RES/1631(2005)", "/search?q=合作", "/anomalies", "/unresolved",
    "/graph", "/graph.svg", "/organizations/CIS/graph", "/organizations/CIS/graph.svg",
    "/diff/seed-002-cad8b63664231793...seed-004-5f2f1bc2f128ea34", "/extract", "/login",
    "/organizations/SCO/feed.atom", "/documents/A/RES/59/48/citing.atom",
    "/api/organizations", "/api/organizations/SCO/chain", "/api/documents/A/RES/64/183",
    "/export/documents.csv", "/export/citations.csv", "/export/lineage.json", "/export/lineage.jsonl",
    "/export/lineage.graphml", "/organizations/CSTO/export/lineage.json",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    url = empty_database_url(tmp_path_factory, "cache-off")
    with live_server(url, {"LINEAGE_PAGE_CACHE_MB": "0", "LINEAGE_GRAPH_WAIT_SECONDS": "30"}) as base:
        yield base


@pytest.mark.parametrize("path", PATHS)
def test_every_kind_answers_without_the_cache(served, path):
    for _ in range(2):  # and the second time is rendered again, not replayed
        r = httpx.get(served + path, timeout=60)
        assert r.status_code == 200, (path, r.text[:300])
        assert "x-cache" not in r.headers
    if path.endswith(".json"):
        assert json.loads(r.content)["documents"]
