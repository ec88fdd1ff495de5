"""Words of one or two characters (渠, 青岛, 合作), which a trigram index cannot hold: found
exactly where they occur, in a text or in a cited paragraph that is not a run of one, and kept in
step by every write. On SQLite they come from the index of each text's pairs of characters
(app/search/fts.py), on PostgreSQL from a scan."""

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from app.documents import audit, queries
from app.documents.store import delete_document, ingest_document
from app.models import Document, Paragraph
from app.search.queries import full_text
from tests.conftest import TEST_DB_URL


def _found(session, q: str) -> set[str]:
    hits, total = full_text(session, q, per_page=10_000)
    assert total == len(hits)
    return {h.document.key for h in hits}


def _where_it_occurs(session, q: str) -> set[str]:
    """The oracle: Python's substring test over every text and every indexed paragraph."""
    q = q.lower()
    keys = {d.key for d in session.exec(select(Document)).all() if d.text and q in d.text.lower()}
    for key, para in session.exec(select(Document.key, Paragraph.text).join(Paragraph, Paragraph.document_id == Document.id)
                                  .where(Paragraph.verbatim.is_(False))).all():
        if q in para.lower():
            keys.add(key)
    return keys


@pytest.fixture(scope="module")
def characters(read_engine):
    """Every character of the seed texts, and some ASCII a symbol or an English word holds."""
    with read_engine.connect() as conn:
        texts = conn.execute(text("SELECT text FROM document WHERE text IS NOT NULL")).scalars().all()
    return sorted(set("".join(texts)) - set(" \n\t\r") | set("aZ/.(1"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_short_word_is_found_exactly_where_it_occurs(read_session, characters, data):
    q = data.draw(st.text(st.sampled_from(characters), min_size=1, max_size=2))
    assert _found(read_session, q) == _where_it_occurs(read_session, q)


@pytest.mark.parametrize("q, some", [("合作", "A/77/L.107"), ("渠", None), ("回顾", "A/77/L.107"), ("，", "A/77/L.107")])
def test_common_and_rare_short_words(read_session, q, some):
    found = _found(read_session, q)
    assert found == _where_it_occurs(read_session, q)
    if some:
        assert queries.by_symbol(read_session, some).key in found


@pytest.mark.parametrize("q", ["a\x02", "\x01a", "\x01", "\x02"])
def test_the_index_marks_in_a_query_find_nothing(read_session, q):
    """The pairs index's separator and end mark are control characters: a query holding one is
    answered as finding nothing (no text holds them), never by a wrong reading of the index."""
    assert full_text(read_session, q) == ([], 0)


def test_an_edited_or_deleted_text_is_searched_as_it_now_stands(seeded):
    doc = queries.by_symbol(seeded, "A/77/L.107")
    assert doc.key not in _found(seeded, "鹦鹉")
    data, cits = audit.from_snapshot(audit.snapshot(seeded, doc))
    data.text = data.text + "\n鹦鹉"
    ingest_document(seeded, data, citations=cits, document_id=doc.id)
    assert _found(seeded, "鹦鹉") == {doc.key} and doc.key in _found(seeded, "鹦")
    data.text = data.text.replace("\n鹦鹉", "")
    ingest_document(seeded, data, citations=cits, document_id=doc.id)
    assert _found(seeded, "鹦鹉") == set() and _found(seeded, "鹦") == set()
    data.text = data.text + "\n鹦鹉"
    ingest_document(seeded, data, citations=cits, document_id=doc.id)
    delete_document(seeded, queries.by_symbol(seeded, "A/77/L.107"))
    assert _found(seeded, "鹦鹉") == set()
    assert _found(seeded, "合作") == _where_it_occurs(seeded, "合作")


@pytest.mark.skipif(bool(TEST_DB_URL), reason="SQLite's own index")
def test_a_connection_without_the_function_cannot_write_a_text(file_engine):
    """The sqlite3 shell has no lineage_pairs: its write of a text fails whole, rather than leave
    the index behind the text."""
    from sqlmodel import Session

    from app.documents.store import seed
    from tests.conftest import SEED_DIR

    with Session(file_engine) as s:
        seed(s, SEED_DIR)
        key = queries.by_symbol(s, "A/77/L.107").key
    path = file_engine.url.database
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.OperationalError, match="lineage_pairs"):
        con.execute("UPDATE document SET text = text || '鹦鹉' WHERE key = ?", (key,))
    con.rollback()
    con.close()
    with Session(file_engine) as s:
        assert "鹦鹉" not in queries.by_symbol(s, "A/77/L.107").text and _found(s, "鹦鹉") == set()
