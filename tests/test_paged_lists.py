"""The home page's organizations, /anomalies, /unresolved and /api/organizations come a page at a
time: totals, a stable order, links that work without JavaScript, and htmx swapping the list."""

import pytest

from app.documents.store import DocumentIn, ingest_document, upsert_organization
from tests.helpers import soup

ORGS = 55  # home: 50 + 5; anomalies: 20 + 20 + 15
SYMBOLS = 60  # unresolved: 50 + 10


@pytest.fixture
def many(session, client):
    for n in range(ORGS):
        upsert_organization(session, acronym=f"O{n:03d}", name_zh=f"组织{n}", name_en=f"Org {n}",
                            observer_symbol=f"A/RES/50/{n + 1}", series_titles=[f"联合国同组织{n}的合作"])
    # One text citing SYMBOLS unknown resolutions, the first ones more often; and a second text
    # citing the first twelve again, so that their citers outnumber the rest's.
    cited = [f"A/RES/40/{n + 1}" for n in range(SYMBOLS)]
    ingest_document(session, DocumentIn(
        symbol="A/RES/60/1", kind="ga_resolution", session=60,
        text="大会，\n" + "".join(f"回顾其第{s.removeprefix('A/RES/')}号决议，\n" for s in cited) + "1. 决定。\n",
    ))
    ingest_document(session, DocumentIn(
        symbol="A/RES/61/1", kind="ga_resolution", session=61,
        text="大会，\n" + "".join(f"回顾其第{s.removeprefix('A/RES/')}号决议，\n" for s in cited[:12]) + "1. 决定。\n",
    ))
    session.commit()
    return client


def _rows(page, selector):
    return [tr["data-acronym" if "acronym" in selector else "data-symbol"] for tr in page.select(selector)]


def test_home_pages_organizations_by_acronym(many):
    first, second = soup(many.get("/")), soup(many.get("/?page=2"))
    names = _rows(first, "table.orgs tr[data-acronym]") + _rows(second, "table.orgs tr[data-acronym]")
    assert names == [f"O{n:03d}" for n in range(ORGS)]
    assert first.select_one("#organizations-list .range").get_text(strip=True) == f"1–50 / {ORGS}"
    assert first.select_one("a[rel=next]")["href"] == "/?page=2"
    assert first.select_one("a[rel=prev]") is None
    assert second.select_one("a[rel=prev]")["href"] == "/"
    assert second.select_one("a[rel=next]") is None


def test_home_htmx_gets_the_list_alone(many):
    page = soup(many.get("/?page=2", headers={"HX-Request": "true"}))
    assert page.select_one("h1") is None
    assert len(page.select("#organizations-list tr[data-acronym]")) == ORGS - 50
    link = page.select_one("a[rel=prev]")
    assert link["hx-get"] == link["href"] and link["hx-target"] == "#organizations-list"


def test_anomalies_page_by_twenty_organizations(many):
    pages = [soup(many.get("/anomalies" + (f"?page={n}" if n > 1 else ""))) for n in (1, 2, 3)]
    seen = [s["data-acronym"] for p in pages for s in p.select("section.org-anomalies")]
    assert seen == [f"O{n:03d}" for n in range(ORGS)]
    assert pages[1].select_one("a[rel=next]")["href"] == "/anomalies?page=3"
    fragment = soup(many.get("/anomalies?page=3", headers={"HX-Request": "true"}))
    assert fragment.select_one("h1") is None and len(fragment.select("#anomalies-list section")) == ORGS - 40


def test_unresolved_most_cited_first_by_fifty(many):
    first, second = soup(many.get("/unresolved")), soup(many.get("/unresolved?page=2"))
    symbols = _rows(first, "table.unresolved tr[data-symbol]") + _rows(second, "table.unresolved tr[data-symbol]")
    assert len(symbols) == SYMBOLS and len(set(symbols)) == SYMBOLS
    twice = {f"A/RES/40/{n + 1}" for n in range(12)}
    assert set(symbols[:12]) == twice  # two citers before one
    assert symbols[:12] == sorted(symbols[:12]) and symbols[12:] == sorted(symbols[12:])
    row = first.select_one('tr[data-symbol="A/RES/40/1"]')
    assert row.select_one(".citers-count").get_text(strip=True) == "2"
    assert [a.get_text(strip=True) for a in row.select(".citers a")] == ["A/RES/60/1", "A/RES/61/1"]
    assert first.select_one("#unresolved-list .range").get_text(strip=True) == f"1–50 / {SYMBOLS}"
    assert second.select_one("a[rel=prev]")["href"] == "/unresolved"
    fragment = soup(many.get("/unresolved?page=2", headers={"HX-Request": "true"}))
    assert fragment.select_one("h1") is None and len(fragment.select("tr[data-symbol]")) == SYMBOLS - 50


@pytest.mark.parametrize("url", ["/?page=3", "/anomalies?page=4", "/unresolved?page=3"])
def test_a_page_past_the_last_is_a_404(many, url):
    assert many.get(url).status_code == 404


def test_api_organizations_pages_with_total_and_links(many):
    response = many.get("/api/organizations?per_page=20&page=2")
    assert response.status_code == 200
    assert [o["acronym"] for o in response.json()] == [f"O{n:03d}" for n in range(20, 40)]
    assert response.headers["X-Total-Count"] == str(ORGS)
    assert response.headers["Link"] == ('</api/organizations?page=1&per_page=20>; rel="prev", '
                                        '</api/organizations?page=3&per_page=20>; rel="next"')
    everything = many.get("/api/organizations").json()
    assert len(everything) == ORGS and "Link" not in many.get("/api/organizations").headers
    assert set(everything[0]) >= {"acronym", "name_zh", "name_en", "observer_symbol", "url", "chain_length",
                                  "first", "latest"}
    assert many.get("/api/organizations?per_page=501").status_code == 422


def test_unresolved_citers_are_the_first_by_date_up_to_the_limit(many, session):
    from app.chains.reads import unresolved_page

    rows = {r.symbol: r for r in unresolved_page(session, citers=1).rows}
    assert [d.symbol for d in rows["A/RES/40/1"].citers] == ["A/RES/60/1"]  # the earlier of two
    assert [d.symbol for d in rows["A/RES/40/13"].citers] == ["A/RES/60/1"]
    rows = {r.symbol: r for r in unresolved_page(session, citers=10).rows}
    assert [d.symbol for d in rows["A/RES/40/1"].citers] == ["A/RES/60/1", "A/RES/61/1"]
