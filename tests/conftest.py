"""A fresh database per test, reached by the app through `dependency_overrides`.

SQLite in memory by default. With LINEAGE_TEST_DATABASE_URL=postgresql://… (as `make test`
sets on its second pass) every test gets freshly created tables on that server instead.
"""

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

from app.config import PROJECT_ROOT, Settings
from app.db import get_session, make_engine
from app.main import create_app

SEED_DIR = PROJECT_ROOT / "seed_data"
TEST_DB_URL = os.environ.get("LINEAGE_TEST_DATABASE_URL", "")


def _engine():
    if TEST_DB_URL:
        # A test that leaves a transaction open must fail, not hang the next test's DROP TABLE.
        engine = make_engine(
            Settings(database_url=TEST_DB_URL).sqlalchemy_url,
            connect_args={"options": "-c lock_timeout=20000"},
        )
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
        return engine
    engine = make_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    return engine


@pytest.fixture
def engine():
    engine = _engine()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


@pytest.fixture
def client(engine):
    app = create_app()

    def _session():
        with Session(engine) as s:
            yield s

    app.dependency_overrides[get_session] = _session
    with TestClient(app) as c:
        yield c
    app.dependency_overrides.clear()


@pytest.fixture
def seeded(session):
    from app.ingest import seed

    seed(session, SEED_DIR)
    return session


@pytest.fixture
def seed_dir() -> Path:
    return SEED_DIR
