"""Cited symbols without a text, most cited first."""

import datetime as dt

from app.web import urls
from app.documents.store import DocumentIn, ingest_document
from app.chains.reads import unresolved_page
from app.documents.queries import by_ref
from tests.helpers import soup


def _rows(client):
    page = soup(client.get(urls.unresolved()))
    return [
        (tr["data-symbol"], int(tr.select_one("td.citers-count").get_text()),
         int(tr.select_one("td.mentions").get_text()), tr)
        for tr in page.select("table.unresolved tbody tr")
    ]


def test_unresolved_lists_cited_symbols_without_text_most_cited_first(read_session, read_client):
    rows = _rows(read_client)
    symbols = [r[0] for r in rows]
    assert symbols[0] == "S/RES/1631(2005)"  # the CSTO letter and draft, and the CIS letter
    assert rows[0][1] == 3
    counts = [(r[1], r[2]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    for symbol in symbols:
        doc = by_ref(read_session, symbol)
        assert doc is not None and doc.text is None, symbol
    assert "A/77/L.107" not in symbols  # has a text (and nothing cites it)
    assert {"A/RES/64/183", "A/RES/60/288", "S/PRST/2010/1", "E/2009/28"} <= set(symbols)
    first = rows[0][3]
    citers = {a["href"] for a in first.select("td.citers a")}
    assert citers == {"/documents/seed-002-cad8b63664231793", "/documents/seed-003-ab0cfefe5dc38822",
                      "/documents/seed-004-5f2f1bc2f128ea34"}
    assert first.select_one("td.symbol a")["href"] == "/documents/S/RES/1631(2005)"
    assert first.select_one("a.undocs")["href"].startswith("https://undocs.org/")


def unresolved(session):
    return unresolved_page(session, 1, 1000).rows


def test_a_symbol_leaves_the_list_once_its_text_is_in(seeded, client):
    before = {e.symbol: e for e in unresolved(seeded)}
    assert before["A/RES/64/183"].mentions == 1
    text = "大会，\n\n回顾其第59/48号决议，\n\n1. 决定继续审议该项目。\n"
    ingest_document(seeded, DocumentIn(symbol="A/RES/64/183", kind="ga_resolution", text=text,
                                       organization="SCO", date=dt.date(2009, 12, 18)))
    symbols = [r[0] for r in _rows(client)]
    assert "A/RES/64/183" not in symbols
    entry = next(e for e in unresolved(seeded) if e.symbol == "A/RES/59/48")
    assert entry.mentions == before["A/RES/59/48"].mentions + 1
    assert entry.citers_count == before["A/RES/59/48"].citers_count + 1


def test_empty_database(client):
    page = soup(client.get(urls.unresolved()))
    assert page.select_one("p.empty") is not None
