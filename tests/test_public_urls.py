"""Absolute URLs come from LINEAGE_PUBLIC_URL, or are relative: never from the Host header.

A shared cache keys pages by path, not by the Host a client sent: a feed, an export or a redirect
that printed the request's Host would hand every later reader a link to the attacker's site.
"""

import pytest
from pydantic import ValidationError

from app.config import Settings, get_settings

EVIL = "evil.example"
PAGES = ["/organizations/SCO/feed.atom", "/documents/A/RES/59/48/citing.atom", "/export/documents.csv",
         "/export/citations.csv", "/export/lineage.json", "/export/lineage.jsonl", "/export/lineage.graphml",
         "/organizations/SCO/export/documents.csv"]


@pytest.fixture
def public_url(monkeypatch):
    def set_to(value: str | None):
        if value is None:
            monkeypatch.delenv("LINEAGE_PUBLIC_URL", raising=False)
        else:
            monkeypatch.setenv("LINEAGE_PUBLIC_URL", value)
        get_settings.cache_clear()

    yield set_to
    monkeypatch.delenv("LINEAGE_PUBLIC_URL", raising=False)
    get_settings.cache_clear()


@pytest.mark.parametrize("path", PAGES)
def test_feeds_and_exports_never_print_the_host_header(read_client, public_url, path):
    public_url(None)
    response = read_client.get(path, headers={"host": EVIL})
    assert response.status_code == 200
    assert EVIL not in response.text
    assert "/documents/A/RES/59/48" in response.text or "A/RES/59/48" in response.text


@pytest.mark.parametrize("path", [p for p in PAGES if p != "/export/citations.csv"])  # it has no URL column
def test_with_a_public_url_the_links_are_under_it(read_client, public_url, path):
    public_url("https://lineage.example.org/un/")
    response = read_client.get(path, headers={"host": EVIL})
    assert response.status_code == 200
    assert EVIL not in response.text
    assert "https://lineage.example.org/un/documents/A/RES/59/48" in response.text


@pytest.mark.parametrize("path, location", [
    ("/organizations/SCO/", "/organizations/SCO"),
    ("/search/?q=59/48", "/search?q=59/48"),
    ("/documents/A/RES/59/48/", "/documents/A/RES/59/48"),
    ("/organizations/SCO/graph/", "/organizations/SCO/graph"),
])
def test_a_trailing_slash_redirects_to_a_relative_location(read_client, path, location):
    response = read_client.get(path, headers={"host": EVIL}, follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == location
    assert read_client.get(path).status_code == 200


def test_a_trailing_slash_of_no_page_is_a_404(read_client):
    assert read_client.get("/no-such-page/", follow_redirects=False).status_code == 404


@pytest.mark.parametrize("value", ["lineage.example.org", "ftp://x.org", "https://x.org/?a=1", "https://u@x.org",
                                   "javascript:alert(1)"])
def test_a_public_url_that_is_not_a_base_url_is_refused(value):
    with pytest.raises(ValidationError, match="LINEAGE_PUBLIC_URL"):
        Settings(public_url=value)


def test_a_public_url_loses_its_trailing_slash():
    assert Settings(public_url="https://x.org/un/").public_url == "https://x.org/un"
    assert Settings(public_url="").public_url == ""
