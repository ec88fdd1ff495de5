"""Atom feeds (RFC 4287): read back with feedparser and checked element by element with lxml."""

import datetime as dt

import feedparser
from lxml import etree

from app.web import urls
from app.documents.store import DocumentIn, ingest_document
from tests.helpers import soup

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client, path):
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return r, parsed


def _required_elements(xml: bytes):
    """RFC 4287 4.1.1/4.1.2: a feed has id, title, updated, an author (or every entry has one);
    each entry id, title, updated, and a link (it has no content)."""
    root = etree.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        # relative (resolved against the feed's own URL) unless LINEAGE_PUBLIC_URL is set
        # (tests/test_public_urls.py): never made from the request's Host
        assert entry.find(f"{ATOM}link").get("href").startswith("/documents/")
        dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
    return root


def test_organization_feed(read_session, read_client):
    r, parsed = _feed(read_client, urls.organization_feed("SCO"))
    _required_elements(r.content)
    assert parsed.feed.id == "tag:lineage,2025:organization/SCO"
    ids = [e.id for e in parsed.entries]
    assert "tag:lineage,2025:document/A/77/L.107" in ids
    assert "tag:lineage,2025:document/seed-000-02a8ab7b9388f710" in ids
    assert "tag:lineage,2025:document/A/RES/59/48" in ids
    assert len(ids) == len(set(ids))
    letter = next(e for e in parsed.entries if e.id.endswith("seed-000-02a8ab7b9388f710"))
    assert letter.link.endswith("/documents/seed-000-02a8ab7b9388f710")
    assert "联合国同上海合作组织的合作" in letter.title
    assert read_client.get(letter.link).status_code == 200
    # ids are stable: the same on the next request
    assert [e.id for e in _feed(read_client, urls.organization_feed("SCO"))[1].entries] == ids


def test_citing_feed_lists_the_documents_that_cite_it(read_session, read_client):
    doc = type("D", (), {"symbol": "S/RES/1631(2005)", "key": "S/RES/1631(2005)"})
    r, parsed = _feed(read_client, urls.citing_feed(doc))
    _required_elements(r.content)
    assert parsed.feed.id == "tag:lineage,2025:citing/S/RES/1631(2005)"
    assert {e.id.rsplit("/", 1)[1] for e in parsed.entries} == {
        "seed-002-cad8b63664231793", "seed-003-ab0cfefe5dc38822", "seed-004-5f2f1bc2f128ea34"}
    assert all("提及" in e.summary for e in parsed.entries)
    assert all("<sup>" not in e.summary for e in parsed.entries)


def test_a_new_citing_document_comes_first(seeded, client):
    text = "大会，\n\n回顾安全理事会第1631(2005)号决议，\n\n1. 决定继续审议该项目。\n"
    ingest_document(seeded, DocumentIn(symbol="A/RES/80/1", kind="ga_resolution", text=text,
                                       date=dt.date(2025, 12, 1), title="测试", title_en="A test"))
    _, parsed = _feed(client, "/documents/S/RES/1631(2005)/citing.atom")
    assert parsed.entries[0].id == "tag:lineage,2025:document/A/RES/80/1"
    assert parsed.entries[0].title == "A/RES/80/1 — 测试"
    _, parsed = _feed(client, "/documents/S/RES/1631(2005)/citing.atom?lang=en")
    assert parsed.entries[0].title == "A/RES/80/1 — A test"
    assert parsed.feed.language == "en"


def test_feeds_are_linked_from_their_pages(read_session, read_client):
    org = soup(read_client.get(urls.organization("SCO")))
    alt = org.select_one('head link[rel="alternate"][type="application/atom+xml"]')
    assert alt["href"] == urls.organization_feed("SCO")
    assert org.select_one("a.feed-link")["href"] == urls.organization_feed("SCO")
    doc = soup(read_client.get("/documents/A/RES/59/48"))
    alt = doc.select_one('head link[rel="alternate"][type="application/atom+xml"]')
    assert alt["href"] == "/documents/A/RES/59/48/citing.atom"
    assert doc.select_one("a.feed-link")["href"] == alt["href"]


def test_unknown_feeds_are_404(read_session, read_client):
    assert read_client.get("/organizations/NOPE/feed.atom").status_code == 404
    r = read_client.get("/documents/A/RES/99/999/citing.atom")
    assert r.status_code == 404 and "A/RES/99/999" in r.text


def test_feed_of_an_uncited_document_is_empty_but_valid(read_session, read_client):
    r, parsed = _feed(read_client, "/documents/A/77/L.107/citing.atom")
    _required_elements(r.content)
    assert parsed.entries == []


def test_a_much_cited_documents_feed_reads_only_its_newest_citers(session, client):
    """A resolution cited by more documents than a feed holds: the feed lists the newest ones
    (stored last), each once with its verbs, and no more."""
    from app.documents.store import DocumentIn, ingest_document
    from app.exports.feeds import MAX_ENTRIES

    for n in range(MAX_ENTRIES + 20):
        twice = "又提及第59/48号决议，\n" if n == MAX_ENTRIES + 19 else ""
        ingest_document(session, DocumentIn(
            symbol=f"A/RES/61/{n + 1}", kind="ga_resolution", session=61,
            text=f"大会，\n回顾其第59/48号决议，\n{twice}第{n + 1}段。\n"))
    _, parsed = _feed(client, "/documents/A/RES/59/48/citing.atom")
    titles = [e.title for e in parsed.entries]
    assert len(titles) == MAX_ENTRIES
    assert titles[0].startswith("A/RES/61/120") and titles[-1].startswith("A/RES/61/21")
    assert "回顾, 又提及" in parsed.entries[0].summary
