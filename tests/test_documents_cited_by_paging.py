"""A much-cited document lists its citers a hundred at a time, with and without htmx."""

import datetime as dt

import pytest

from app.documents import queries
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


def test_another_way_of_writing_the_symbol_keeps_the_page(much_cited):
    response = much_cited.get("/documents/59/48?cited_by_page=2", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/documents/A/RES/59/48?cited_by_page=2"


def test_citers_are_in_time_order_where_only_a_session_dates_one(session, client):
    """The page orders its citers in SQL as `sort_date` does in Python: by date, else by the
    opening of the session (1 September), then by key, a citer's citations in their order."""
    citers = [  # (symbol, session, date), not in time order
        ("A/RES/61/5", 61, None),  # stands on 2006-09-01, the 61st session's opening
        ("A/RES/60/2", 60, dt.date(2006, 9, 1)),  # the same day: A/RES/60/2 < A/RES/61/5
        ("A/RES/62/1", 62, dt.date(2006, 8, 31)),
        ("A/RES/60/1", 60, dt.date(2005, 1, 1)),
        ("A/RES/90/1", 90, dt.date(2035, 1, 1)),
    ]
    for symbol, n, date in citers:
        twice = "又回顾其第59/48号决议，\n" if symbol == "A/RES/62/1" else ""
        ingest_document(session, DocumentIn(symbol=symbol, kind="ga_resolution", session=n, date=date,
                                            text=f"大会，\n回顾其2004年12月2日第59/48号决议，\n{twice}第1段。\n"))
    page = soup(client.get("/documents/A/RES/59/48"))
    shown = _citers(page)
    assert shown == ["A/RES/60/1", "A/RES/62/1", "A/RES/62/1", "A/RES/60/2", "A/RES/61/5", "A/RES/90/1"]
    # the order of Python's own rule (app.calendar.sort_date, then the key)
    from app.calendar import sort_date

    stored = {symbol: queries.by_symbol(session, symbol) for symbol, _, _ in citers}
    by_rule = sorted(stored.values(), key=lambda d: (sort_date(d), d.key))
    assert list(dict.fromkeys(shown)) == [d.symbol for d in by_rule]
    # the first of A/RES/62/1's two paragraphs is quoted under its first citation, the second under its second
    quotes = [li.select_one("blockquote") for li in page.select("#cited-by li.citation")]
    assert "回顾其2004年12月2日" in quotes[1].get_text() and "又回顾" in quotes[2].get_text()


def test_a_much_cited_document_is_read_off_the_event_loop_and_shown_alike(much_cited, monkeypatch):
    """Past SMALL_CITED_BY citations (the read model's count, read with the document) its page is
    read and rendered in a thread (app.db.run_page), not on the loop: the same pages."""
    from app.web import documents

    urls = ["/documents/A/RES/59/48", "/documents/A/RES/59/48?cited_by_page=3"]
    asked = []

    async def spy(engine, func, *args, small=True):
        asked.append(small)
        return await run_page(engine, func, *args, small=small)

    run_page = documents.run_page
    monkeypatch.setattr(documents, "run_page", spy)
    small = [much_cited.get(url).text for url in urls]
    assert asked == [True, True] * 2  # 230 citations: the document, then its page, on the loop
    monkeypatch.setattr(documents, "SMALL_CITED_BY", CITERS - 1)
    asked.clear()
    large = [much_cited.get(url).text for url in urls]
    assert asked == [True, False] * 2
    assert large == small
    assert len(_citers(soup(much_cited.get(urls[1])))) == 30


def test_the_api_pages_the_citers_as_the_page_does(much_cited):
    """GET /api/documents/{ref} lists a page of citers (100 by default, at most 1,000), with
    how many there are: a much-cited resolution's answer stays bounded."""
    first = much_cited.get("/api/documents/A/RES/59/48").json()
    assert (first["cited_by_total"], first["cited_by_page"], first["cited_by_per_page"]) == (CITERS, 1, 100)
    assert len(first["cited_by"]) == 100
    pages = [much_cited.get("/api/documents/A/RES/59/48", params={"cited_by_per_page": 80, "cited_by_page": n}).json()
             for n in (1, 2, 3)]
    seen = [c["symbol"] for p in pages for c in p["cited_by"]]
    assert seen == [f"A/RES/60/{n + 1}" for n in range(CITERS)]  # oldest first, none twice, as on the page
    assert [c["symbol"] for c in first["cited_by"]] == seen[:100]
    assert pages[2]["cited_by"][0] == {
        "symbol": "A/RES/60/161", "label": "A/RES/60/161", "url": "/documents/A/RES/60/161", "verb": "回顾",
        "verb_class": "recall", "paragraph": "回顾其2004年12月2日第59/48号决议，第161段。", "paragraph_index": 1}
    past = much_cited.get("/api/documents/A/RES/59/48", params={"cited_by_page": 4})
    assert past.status_code == 404 and "230 citations" in past.json()["error"]
    assert much_cited.get("/api/documents/A/RES/59/48", params={"cited_by_per_page": 1001}).status_code == 422


@pytest.mark.parametrize("params", [
    {"cited_by_page": "abc"}, {"cited_by_page": "0"}, {"cited_by_page": "-1"}, {"cited_by_page": "9" * 40},
    {"cited_by_per_page": "0"}, {"cited_by_per_page": "1e3"}, {"cited_by_per_page": "١٠"},
])
def test_the_api_refuses_a_malformed_page_of_citers_plainly(much_cited, params):
    response = much_cited.get("/api/documents/A/RES/59/48", params=params)
    assert response.status_code == 422 and response.json()["error"]
