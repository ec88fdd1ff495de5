"""The chain, document, cited-by and admin list queries use indexes on SQLite: no full table scan."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.chains import queries as chains
from app.documents import queries
from tests.conftest import TEST_DB_URL

pytestmark = pytest.mark.skipif(bool(TEST_DB_URL), reason="EXPLAIN QUERY PLAN is SQLite's")

# "SCAN document" is a full scan; "SCAN document USING INDEX …" or "SEARCH …" are not.
FULL_SCAN = re.compile(r"^SCAN (document|citation|organization)\b(?! USING (COVERING )?INDEX)")


@contextmanager
def captured(engine):
    statements = []

    def _capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", _capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _capture)


def full_scans(session, statements):
    scans = []
    for sql, params in statements:
        plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
        for row in plan:
            if FULL_SCAN.match(row[-1]):
                scans.append((row[-1], sql))
    return scans


@pytest.mark.parametrize("what", ["chain", "document", "cited_by", "document_page", "cited_by_page", "admin_list"])
def test_page_queries_use_indexes(read_session, read_engine, what):
    org = chains.organization(read_session, "SCO")
    doc = queries.by_symbol(read_session, "A/RES/59/48")
    read_session.expire_all()
    with captured(read_engine) as statements:
        if what == "chain":
            chains.chain(read_session, org)
        elif what == "document":
            queries.by_ref(read_session, "A/77/L.107")
            queries.cites(read_session, doc)
        elif what == "cited_by":  # the citing feed's newest citers
            assert queries.newest_citers(read_session, doc.id, 100)
        elif what == "document_page":  # the page's own reads: the row, by a symbol written otherwise too
            conn = read_session.connection()
            assert queries.page_document(conn, "59/48").id == doc.id
            queries.page_cites(conn, doc.id)
        elif what == "cited_by_page":  # and past its last page, where the total is counted apart
            conn = read_session.connection()
            rows, total = queries.page_cited_by(conn, doc.id, 1, 1)
            assert len(rows) == 1 and total > 1
            assert queries.page_cited_by(conn, doc.id, 1000, 1) == ([], total)
        else:  # the admin's list of texts and its count, where each row of the table holds its text
            rows, total = queries.texts_page(read_session, queries.AdminFilter(), page=2, per_page=2)
            assert rows and total > 2
    assert statements
    assert full_scans(read_session, statements) == []


def test_the_check_itself_sees_a_full_scan(read_session):
    """A query on an unindexed column is reported, so the test above can fail."""
    sql = "SELECT id FROM citation WHERE verb = ?"
    plan = read_session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, ("回顾",)).all()
    assert any(FULL_SCAN.match(row[-1]) for row in plan)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_document_page_reads_build_their_records_on_either_engine(dialect):
    """Each read's rows become a named tuple of its columns (queries._record): a column that
    could not name a field would fail here, not at a reader's first page."""
    reads = queries._page_stmts(dialect)
    for record, stmt in ((reads.document, reads.by_ref), (reads.cite, reads.cites), (reads.citer, reads.cited_by)):
        assert record._fields == tuple(stmt.selected_columns.keys())
