"""A much-cited document lists its citers a hundred at a time, with and without htmx."""

import datetime as dt

import pytest

from app.documents.store import DocumentIn, ingest_document
from tests.helpers import soup

CITERS = 230  # three pages: 100, 100, 30


@pytest.fixture
def much_cited(session, client):
    for n in range(CITERS):
        date = dt.date(2005, 1, 1) + dt.timedelta(days=n)
        ingest_document(session, DocumentIn(
            symbol=f"A/RES/60/{n + 1}", kind="ga_resolution", session=60, date=date,
            text=f"大会，\n回顾其2004年12月2日第59/48号决议，\n第{n + 1}段。\n",
        ))
    return client


def _citers(page, within: str = "#cited-by") -> list[str]:
    return [a.get_text(strip=True) for a in page.select(f"{within} ol.cited-by a.citing")]


def test_pages_of_citers_cover_them_all_in_date_order(much_cited):
    pages = [soup(much_cited.get("/documents/A/RES/59/48" + (f"?cited_by_page={n}" if n > 1 else "")))
             for n in (1, 2, 3)]
    seen = [label for page in pages for label in _citers(page)]
    assert [len(_citers(p)) for p in pages] == [100, 100, 30]
    assert seen == [f"A/RES/60/{n + 1}" for n in range(CITERS)]  # oldest first, none twice
    assert pages[0].select_one("#cited-by h2 small").get_text(strip=True) == f"({CITERS})"
    assert pages[1].select_one("#cited-by .range").get_text(strip=True) == f"101–200 / {CITERS}"
    # the numbering goes on from page to page
    assert pages[2].select_one("ol.cited-by")["start"] == "201"


def test_pager_links_work_without_javascript(much_cited):
    first = soup(much_cited.get("/documents/A/RES/59/48"))
    assert first.select_one("#cited-by a[rel=prev]") is None
    second_url = first.select_one("#cited-by a[rel=next]")["href"]
    assert second_url == "/documents/A/RES/59/48?cited_by_page=2"
    second = soup(much_cited.get(second_url))
    assert second.select_one("#cited-by a[rel=prev]")["href"] == "/documents/A/RES/59/48"
    last = soup(much_cited.get(second.select_one("#cited-by a[rel=next]")["href"]))
    assert last.select_one("#cited-by a[rel=next]") is None


def test_htmx_gets_only_the_list(much_cited):
    response = much_cited.get("/documents/A/RES/59/48?cited_by_page=2", headers={"HX-Request": "true"})
    page = soup(response)
    assert page.select_one("h1") is None and page.select_one("#cited-by-list") is not None
    assert len(_citers(page, within="#cited-by-list")) == 100
    link = page.select_one("a[rel=next]")
    assert link["hx-get"] == link["href"] and link["hx-target"] == "#cited-by-list"


def test_a_page_past_the_last_is_a_clear_404(much_cited):
    response = much_cited.get("/documents/A/RES/59/48?cited_by_page=9")
    assert response.status_code == 404
    assert "230 citations" in response.text and "no page 9" in response.text


@pytest.mark.parametrize("bad", ["0", "-1", "x", "100001"])
def test_a_bad_page_number_is_a_400_not_a_500(much_cited, bad):
    response = much_cited.get(f"/documents/A/RES/59/48?cited_by_page={bad}")
    assert 400 <= response.status_code < 500


def test_the_api_still_lists_every_citer(much_cited):
    body = much_cited.get("/api/documents/A/RES/59/48").json()
    assert len(body["cited_by"]) == CITERS


def test_another_way_of_writing_the_symbol_keeps_the_page(much_cited):
    response = much_cited.get("/documents/59/48?cited_by_page=2", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/documents/A/RES/59/48?cited_by_page=2"
