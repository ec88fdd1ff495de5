"""The chain, document and cited-by queries use indexes on SQLite: no full table scan."""

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


@pytest.mark.parametrize("what", ["chain", "document", "cited_by"])
def test_page_queries_use_indexes(seeded, engine, what):
    org = chains.organization(seeded, "SCO")
    doc = queries.by_symbol(seeded, "A/RES/59/48")
    seeded.expire_all()
    with captured(engine) as statements:
        if what == "chain":
            chains.chain(seeded, org)
        elif what == "document":
            queries.by_ref(seeded, "A/77/L.107")
            queries.cites(seeded, doc)
        else:
            queries.cited_by(seeded, doc)
    assert statements
    assert full_scans(seeded, statements) == []


def test_the_check_itself_sees_a_full_scan(seeded):
    """A query on an unindexed column is reported, so the test above can fail."""
    sql = "SELECT id FROM citation WHERE verb = ?"
    plan = seeded.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, ("回顾",)).all()
    assert any(FULL_SCAN.match(row[-1]) for row in plan)
