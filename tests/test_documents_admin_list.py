"""The admin's list of texts: paged with totals in a stable order, filtered by symbol, organization
and session, links that work without JavaScript, and htmx swapping the list alone."""

import pytest

from app.documents.store import DocumentIn, ingest_document
from app.web import admin as admin_pages
from app.web import urls
from tests.admin_support import admin, admin_client, no_slowdown  # noqa: F401
from tests.helpers import soup


def _keys(page) -> list[str]:
    return [tr["data-key"] for tr in page.select("#admin-documents-list table.admin-documents tbody tr")]


@pytest.fixture
def many(admin_client, seeded):
    """Twelve more short texts of session 79 (SCO) and 80 (no organization)."""
    for n in range(12):
        ingest_document(seeded, DocumentIn(
            symbol=f"A/{79 + n % 2}/L.{900 + n}", kind="draft_resolution", session=79 + n % 2,
            organization="SCO" if n % 2 == 0 else None, title=f"草案 {n}", text=f"大会，第{n}号草案。",
            language="zh",
        ))
    seeded.commit()
    return admin_client


def test_pages_with_totals_in_a_stable_order(many, monkeypatch):
    monkeypatch.setattr(admin_pages, "TEXTS_PER_PAGE", 5)
    first = soup(many.get(urls.admin_home()))
    total = int(first.select_one("#admin-documents-list p.range").get_text().split("/")[1])
    assert total == 17  # the seed's five texts and twelve more
    keys = _keys(first)
    assert len(keys) == 5 and keys[0] == "A/80/L.911"  # newest first
    seen = list(keys)
    url = first.select_one("nav.pager a[rel=next]")["href"]
    while url:
        page = soup(many.get(url))
        seen += _keys(page)
        nxt = page.select_one("nav.pager a[rel=next]")
        url = nxt["href"] if nxt else None
    assert len(seen) == len(set(seen)) == 17
    assert _keys(soup(many.get(urls.admin_home()))) == keys  # the same order asked again
    assert many.get(urls.admin_home(page=9)).status_code == 404


@pytest.mark.parametrize(("query", "expected"), [
    ({"symbol": "L.90"}, {f"A/{79 + n % 2}/L.{900 + n}" for n in range(10)}),
    ({"symbol": "l.911"}, {"A/80/L.911"}),
    ({"symbol": "seed-00"}, None),
    ({"organization": "SCO", "session": 79}, {f"A/79/L.{900 + n}" for n in range(0, 12, 2)}),
    ({"session": 80}, {f"A/80/L.{900 + n}" for n in range(1, 12, 2)}),
    ({"symbol": "100%_"}, set()),
])
def test_filters(many, query, expected):
    r = many.get(urls.admin_home(**query))
    assert r.status_code == 200
    keys = set(_keys(soup(r)))
    if expected is None:
        assert keys and all(k.startswith("seed-00") for k in keys)
    else:
        assert keys == expected
    # the filter is a plain GET form: it works without JavaScript
    form = soup(r).select_one("form.admin-filter")
    assert form["method"] == "get" and form["action"] == "/admin"


@pytest.mark.parametrize("query", [{"organization": "NOPE"}, {"session": "7x"}])
def test_a_bad_filter_says_what_is_wrong(many, query):
    r = many.get("/admin", params=query)
    assert r.status_code == 400
    page = soup(r)
    assert page.select_one("form.admin-filter .error") is not None
    assert _keys(page) == []


def test_htmx_gets_the_list_alone(many, monkeypatch):
    monkeypatch.setattr(admin_pages, "TEXTS_PER_PAGE", 5)
    r = many.get(urls.admin_home(session=79, page=2), headers={"HX-Request": "true"})
    page = soup(r)
    assert page.select_one("html") is None and page.select_one("form.admin-filter") is None
    root = page.select_one("div#admin-documents-list")
    assert root is not None and len(_keys(page)) == 1
    prev = root.select_one("nav.pager a[rel=prev]")
    assert prev["hx-get"] == prev["href"] == "/admin?session=79"
    assert prev["hx-target"] == "#admin-documents-list"
