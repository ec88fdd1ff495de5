"""The pages a person reads, checked by their structure."""

import pytest

from tests.helpers import chain_labels, soup, texts

SCO_CHAIN = [
    "A/RES/59/48", "2008年11月20日信函（附决议草案）", "A/RES/64/183", "A/RES/65/124", "A/RES/67/15",
    "A/RES/69/11", "A/RES/71/14", "A/RES/73/334", "A/RES/75/268", "A/77/L.107",
]
CSTO_CHAIN = [
    "A/RES/59/50", "2009年7月14日信函（附决议草案）", "A/RES/64/256", "A/RES/65/122", "A/RES/67/6",
    "A/RES/69/12", "第71届会议决议草案（文号不详）",
]
CIS_CHAIN = ["A/RES/48/237", "2013年10月22日信函（附决议草案）"]


@pytest.fixture
def app_client(read_client):
    return read_client


def test_home_lists_each_organization_with_its_chain(app_client):
    page = soup(app_client.get("/"))
    rows = {tr["data-acronym"]: tr for tr in page.select("table.orgs tbody tr")}
    assert set(rows) == {"SCO", "CSTO", "CIS"}
    assert rows["SCO"].select_one(".length").get_text(strip=True) == str(len(SCO_CHAIN))
    assert rows["SCO"].select_one(".first").get_text(strip=True) == "A/RES/59/48"
    assert rows["SCO"].select_one(".latest").get_text(strip=True) == "A/77/L.107"
    assert rows["CIS"].select_one(".first a")["href"] == "/documents/A/RES/48/237"


@pytest.mark.parametrize(
    "acronym, expected", [("SCO", SCO_CHAIN), ("CSTO", CSTO_CHAIN), ("CIS", CIS_CHAIN)]
)
def test_chain_reads_from_observer_status_to_latest(app_client, acronym, expected):
    page = soup(app_client.get(f"/organizations/{acronym}"))
    assert chain_labels(page) == expected


def test_chain_link_shows_what_it_recalls_and_leaves_out(app_client):
    page = soup(app_client.get("/organizations/SCO"))
    latest = page.select("ol.chain > li")[-1]
    recalls = texts(latest.select(".recalls a"))
    assert recalls == ["59/48", "64/183", "65/124", "67/15", "69/11", "71/14", "73/334", "75/268"]
    assert latest.select_one(".leaves-out") is None
    assert latest.select_one("time").get_text() == "—"
    assert latest.select_one(".session").get_text(strip=True).endswith("77")

    letter = page.select("ol.chain > li")[1]
    assert letter["data-kind"] == "letter"
    assert texts(letter.select(".recalls a")) == ["59/48"]
    assert letter.select_one(".became a")["href"] == "/documents/A/RES/64/183"

    cited_only = page.select("ol.chain > li")[2]
    assert "no-text" in cited_only["class"]
    assert cited_only.select_one("time")["datetime"] == "2009-12-18"


def test_chain_shows_a_resolution_left_out(client, session):
    """A text that skips an earlier resolution of its series says so."""
    from app.documents.store import DocumentIn, ingest_document, seed
    from tests.conftest import SEED_DIR

    seed(session, SEED_DIR)
    text = "大会，\n回顾其关于联合国同集体安全条约组织的合作的2010年12月13日第65/122号决议，\n"
    ingest_document(
        session,
        DocumentIn(symbol="A/80/L.1", kind="draft_resolution", text=text, organization="CSTO", session=80),
    )
    page = soup(client.get("/organizations/CSTO"))
    last = page.select("ol.chain > li")[-1]
    assert last.select_one("a.label").get_text(strip=True) == "A/80/L.1"
    assert texts(last.select(".recalls a")) == ["65/122"]
    assert texts(last.select(".leaves-out a")) == ["59/50", "64/256", "67/6", "69/12"]


def test_document_page_lists_cites_with_verb_date_and_paragraph(app_client):
    page = soup(app_client.get("/documents/A/77/L.107"))
    assert page.select_one("h1.doc-title").get_text(strip=True) == "A/77/L.107"
    first = page.select("#cites li.citation")[0]
    assert first["data-symbol"] == "A/RES/59/48"
    assert first.select_one(".verb").get_text(strip=True) == "还回顾"
    assert first.select_one("time")["datetime"] == "2004-12-02"
    assert "观察员地位" in first.select_one(".paragraph").get_text()
    assert page.select_one("a.undocs")["href"] == "https://undocs.org/zh/A/77/L.107"


def test_sc_resolution_lists_the_three_texts_that_cite_it(app_client):
    page = soup(app_client.get("/documents/S/RES/1631(2005)"))
    citing = texts(page.select("#cited-by li.citation a.citing"))
    assert citing == [
        "2009年7月14日信函（附决议草案）", "2013年10月22日信函（附决议草案）", "第71届会议决议草案（文号不详）"
    ]
    assert page.select_one("a.undocs")["href"] == "https://undocs.org/zh/S/RES/1631(2005)"
    assert page.select_one(".no-text-note") is not None


def test_symbolless_document_has_a_stable_url(app_client):
    response = app_client.get("/documents/seed-004-5f2f1bc2f128ea34")
    page = soup(response)
    assert page.select_one("h1.doc-title").get_text(strip=True) == "第71届会议决议草案（文号不详）"
    assert page.select_one("a.undocs") is None


def test_unknown_document_is_a_404_page(app_client):
    response = app_client.get("/documents/A/RES/99/999")
    assert response.status_code == 404
    assert "A/RES/99/999" in soup(response).select_one("p.message").get_text()


def test_document_url_in_another_form_redirects(app_client):
    response = app_client.get("/documents/59/48", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/documents/A/RES/59/48"


@pytest.mark.parametrize(
    "q, target",
    [
        ("59/48", "/documents/A/RES/59/48"),
        ("A/RES/59/48", "/documents/A/RES/59/48"),
        ("第59/48号决议", "/documents/A/RES/59/48"),
        ("S/RES/1631 (2005)", "/documents/S/RES/1631(2005)"),
        ("1631(2005)", "/documents/S/RES/1631(2005)"),
        ("  a/77/l.107 ", "/documents/A/77/L.107"),
        ("第５９／５０号决议", "/documents/A/RES/59/50"),
    ],
)
def test_search_goes_to_the_document(app_client, q, target):
    response = app_client.get("/search", params={"q": q}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == target


def test_search_for_an_unknown_symbol_says_so_and_lists_close_matches(app_client):
    page = soup(app_client.get("/search", params={"q": "59/4"}))
    assert "A/RES/59/4" in page.select_one(".message.not-found").get_text()
    assert "A/RES/59/48" in texts(page.select("ul.matches a"))


def test_search_for_a_non_symbol_says_why(app_client):
    response = app_client.get("/search", params={"q": "hello world"})
    assert response.status_code == 200
    message = soup(response).select_one(".message.not-symbol").get_text(strip=True)
    assert len(message) > len("This is not a symbol:")


def test_htmx_search_returns_only_the_fragment(app_client):
    response = app_client.get("/search", params={"q": "59/48"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("html") is None and page.select_one("header") is None
    assert page.select_one(".exact a")["href"] == "/documents/A/RES/59/48"


def test_htmx_chain_request_returns_the_fragment(app_client):
    page = soup(app_client.get("/organizations/CIS", headers={"HX-Request": "true"}))
    assert page.select_one("h1") is None
    assert chain_labels(page) == CIS_CHAIN


def test_every_page_works_without_javascript(app_client):
    """The search is a plain GET form, and links are plain links."""
    page = soup(app_client.get("/"))
    form = page.select_one("form.search")
    assert form["action"] == "/search" and form["method"] == "get"
    assert form.select_one("button[type=submit]") is not None


def test_language_switch_is_remembered(app_client):
    page = soup(app_client.get("/organizations/SCO", params={"lang": "en"}))
    assert page.select_one("html")["lang"] == "en"
    assert page.select_one("h1").get_text(strip=True).startswith("Shanghai Cooperation Organization")
    again = soup(app_client.get("/"))
    assert again.select_one("html")["lang"] == "en"
    assert chain_labels(page)[1] == "Letter of 2008-11-20 with annexed draft"


def test_organization_lookup_is_case_insensitive_and_unknown_is_404(app_client):
    assert app_client.get("/organizations/sco").status_code == 200
    assert app_client.get("/organizations/NATO").status_code == 404


def test_language_link_keeps_the_other_parameters(app_client):
    page = soup(app_client.get("/organizations/SCO", params={"as_of": "2015-01-01"}))
    assert page.select_one("a.lang")["href"] == "/organizations/SCO?as_of=2015-01-01&lang=en"
