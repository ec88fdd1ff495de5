"""The admin form without the web: sessions and dates, form parsing, snapshots, and the ingest
extensions the admin relies on (versions, taking over a cited symbol, deleting)."""

import datetime as dt

import pytest
from sqlmodel import select
from starlette.datastructures import FormData

from app import calendar
from app.documents import audit, queries
from app.documents import form as editing
from app.documents.store import StaleDocument, delete_document, ingest_document
from app.models import Citation, Document


@pytest.mark.parametrize(
    "date, kind, sessions",
    [
        ("2009-12-18", "ga_resolution", {64}),
        ("2010-03-02", "ga_resolution", {64}),
        ("2025-09-02", "ga_resolution", {79, 80}),  # September: one session closes, the next opens
        ("2025-09-02", "draft_resolution", {79, 80, 81}),
        ("2008-11-20", "letter", {63, 64}),  # seed 000: a letter for the next session
        ("1946-01-10", "ga_resolution", {1}),  # the first session opened in January 1946
    ],
)
def test_the_sessions_a_date_fits(date, kind, sessions):
    assert calendar.sessions_of(dt.date.fromisoformat(date), kind) == sessions


def test_session_range():
    assert calendar.session_range(64) == (2009, 2010)


def test_row_keys_number_each_mention_of_a_symbol():
    class C:
        def __init__(self, symbol):
            self.symbol = symbol

    assert editing.row_keys([C("A"), C("B"), C("A")]) == ["A#1", "B#1", "A#2"]


def test_a_form_is_read_with_its_rows():
    form = FormData([
        ("symbol", " A/79/L.124 "), ("text", " 大会，\r\n"), ("kind", "draft_resolution"),
        ("c-0-key", "A/RES/59/48#1"), ("c-0-symbol", "59/48"), ("c-0-verb", "回顾"), ("c-0-include", "on"),
        ("c-1-key", "A/RES/64/183#1"), ("c-1-symbol", "64/183"),  # unticked: no include field
        ("c-2-key", ""), ("c-2-symbol", ""), ("c-2-include", "on"),
        ("c-99999-key", "ignored"), ("accept_warnings", "on"),
    ])
    f = editing.FormIn.from_form(form)
    assert f.symbol == "A/79/L.124" and f.text == " 大会，\r\n" and f.accept_warnings
    assert [(r.key, r.symbol, r.include) for r in f.rows] == [
        ("A/RES/59/48#1", "59/48", True), ("A/RES/64/183#1", "64/183", False), ("", "", True),
    ]
    assert editing.FormIn.from_form(FormData([("symbol", "x")])).rows is None


def test_line_breaks_are_stored_as_the_seed_texts_have_them():
    assert editing.normalize_text("a\r\nb\rc\n") == "a\nb\nc\n"
    assert editing.digest("a\r\nb") == editing.digest("a\nb")


@pytest.mark.parametrize("verb, cls", [("又回顾", "recall"), ("还提及", "refer"), ("Recalling also", "recall"),
                                       ("欣见", "welcome"), ("whatever", "other"), ("", "other")])
def test_a_changed_verb_gets_its_class(verb, cls):
    assert editing.verb_class(verb) == cls


def test_a_snapshot_restores_the_document_exactly(read_session):
    doc = queries.by_symbol(read_session, "A/77/L.107")
    snap = audit.snapshot(read_session, doc)
    assert snap["organization"] == "SCO" and len(snap["citations"]) == 13
    data, cits = audit.from_snapshot(snap)
    assert ingest_document(read_session, data, citations=cits).changed is False


def test_the_version_guards_against_a_stale_save(seeded):
    doc = queries.by_symbol(seeded, "A/77/L.107")
    data, cits = audit.from_snapshot(audit.snapshot(seeded, doc))
    data.title = "one"
    ingest_document(seeded, data, citations=cits, document_id=doc.id, expected_version=1)
    assert queries.by_symbol(seeded, "A/77/L.107").version == 2
    data.title = "two"
    with pytest.raises(StaleDocument) as stale:
        ingest_document(seeded, data, citations=cits, document_id=doc.id, expected_version=1)
    assert stale.value.current_version == 2
    seeded.rollback()
    assert queries.by_symbol(seeded, "A/77/L.107").title == "one"


def test_any_change_bumps_the_version_and_an_identical_ingest_does_not(seeded):
    doc = queries.by_symbol(seeded, "A/77/L.107")
    data, cits = audit.from_snapshot(audit.snapshot(seeded, doc))
    ingest_document(seeded, data, citations=cits)
    assert doc.version == 1
    data.title = "changed by an import"
    ingest_document(seeded, data, citations=cits)
    assert doc.version == 2


def test_a_text_for_a_cited_symbol_takes_over_its_document(seeded):
    placeholder = queries.by_symbol(seeded, "A/RES/65/124")
    citers = {c.symbol for c in queries.page_cited_by(seeded.connection(), placeholder.id, 1, 100)[0]}
    letter = seeded.exec(select(Document).where(Document.key == "seed-000-02a8ab7b9388f710")).one()
    # Renaming a text to a cited symbol: its citers now cite the text.
    data, cits = audit.from_snapshot(audit.snapshot(seeded, letter))
    data.symbol = "A/RES/65/124"
    result = ingest_document(seeded, data, citations=cits, document_id=letter.id)
    assert result.document.id == letter.id and result.document.symbol == "A/RES/65/124"
    assert seeded.get(Document, placeholder.id) is None
    assert {c.symbol for c in queries.page_cited_by(seeded.connection(), result.document.id, 1, 100)[0]} == citers


def test_a_symbol_with_a_text_is_never_taken_over(read_session):
    letter = read_session.exec(select(Document).where(Document.key == "seed-000-02a8ab7b9388f710")).one()
    data, cits = audit.from_snapshot(audit.snapshot(read_session, letter))
    data.symbol = "A/77/L.107"
    with pytest.raises(ValueError, match="another document"):
        ingest_document(read_session, data, citations=cits, document_id=letter.id)


def test_delete_removes_what_only_it_cited_and_keeps_the_rest(seeded):
    doc = queries.by_symbol(seeded, "A/77/L.107")
    # Its text goes; the row stays for what public sources say of it (its adoption).
    assert delete_document(seeded, doc) is False
    assert queries.by_symbol(seeded, "A/77/L.107").text is None
    # 70/1 and S-30/1 were known only from A/77/L.107; 59/48 is SCO's observer-status resolution,
    # 64/183 what seed 000's letter became, 75/268 has a fact from public sources: they stay.
    for gone in ("A/RES/70/1", "A/RES/S-30/1"):
        assert queries.by_symbol(seeded, gone) is None, gone
    for kept in ("A/RES/59/48", "A/RES/64/183", "A/RES/75/268"):
        assert queries.by_symbol(seeded, kept) is not None, kept
    # 64/183's date came from A/77/L.107's citation only: with it gone, no date is left.
    assert queries.by_symbol(seeded, "A/RES/64/183").date is None
    assert seeded.exec(select(Citation).where(Citation.citing_id == doc.id)).first() is None


def test_prepare_writes_nothing(read_session):
    from tests.admin_support import sco_form

    before = read_session.exec(select(Document.id)).all()
    prep = editing.prepare(read_session, editing.FormIn(**sco_form()))
    assert prep.ok and prep.data.symbol == "A/79/L.99" and len(prep.citations) == 9
    assert read_session.exec(select(Document.id)).all() == before
    assert not read_session.new and not read_session.dirty


def test_new_documents_without_a_symbol_get_a_key(read_session):
    from tests.admin_support import sco_form

    prep = editing.prepare(read_session, editing.FormIn(**sco_form(symbol="", kind="letter")))
    assert prep.data.symbol is None and prep.data.key.startswith("doc-")
