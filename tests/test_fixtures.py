"""The tests' shared seeded database (conftest.read_engine) refuses writes, on either engine: a
test that writes to it by mistake fails instead of changing what the next test reads."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


def test_the_shared_seeded_database_refuses_writes(read_session):
    with pytest.raises(DBAPIError):
        read_session.execute(text("UPDATE organization SET name_en = 'changed'"))
    read_session.rollback()
    assert "changed" not in read_session.execute(text("SELECT name_en FROM organization")).scalars().all()


def test_every_connection_to_it_refuses_writes(read_engine):
    with read_engine.connect() as a, read_engine.connect() as b:
        for conn in (a, b):
            with pytest.raises(DBAPIError):
                conn.execute(text("DELETE FROM citation"))
            conn.rollback()
