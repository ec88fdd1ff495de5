"""The Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from app.config import Settings
from app.db import make_engine
from app.migrate import check, upgrade
from tests.conftest import TEST_DB_URL


@pytest.fixture
def empty_database(tmp_path):
    if TEST_DB_URL:
        url = TEST_DB_URL
        engine = make_engine(Settings(database_url=url).sqlalchemy_url)
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
        engine = make_engine(url)
    yield url, engine
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def test_upgrade_builds_every_table_and_matches_the_models(empty_database):
    url, engine = empty_database
    upgrade(url)
    tables = set(inspect(engine).get_table_names())
    assert {"organization", "document", "citation", "alembic_version"} <= tables
    # Raises if autogenerate would find any difference between models and migrations.
    check(url)


def test_upgrade_twice_is_harmless(empty_database):
    url, _ = empty_database
    upgrade(url)
    upgrade(url)
    check(url)


def test_migrated_database_has_the_full_text_index(empty_database):
    """Search on a migrated database (as `make run` makes it), not only on create_all's."""
    from sqlmodel import Session

    from app.search import queries
    from app.documents.store import DocumentIn, ingest_document

    url, engine = empty_database
    upgrade(url)
    with Session(engine) as s:
        ingest_document(s, DocumentIn(key="k", kind="other", text="上海合作组织观察员地位"))
        assert [h.document.key for h in queries.full_text(s, "观察员地位")[0]] == ["k"]
        assert [h.document.key for h in queries.full_text(s, "地位")[0]] == ["k"]
        if engine.dialect.name == "sqlite":
            names = {r[0] for r in s.connection().exec_driver_sql("SELECT name FROM sqlite_master").all()}
            assert {"document_fts", "citation_fts", "document_fts_ai"} <= names
        else:
            names = set(s.connection().exec_driver_sql("SELECT indexname FROM pg_indexes").scalars())
            assert {"ix_document_text_trgm", "ix_citation_paragraph_trgm"} <= names
