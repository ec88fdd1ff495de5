"""Databases for the tests, reached by the app through `dependency_overrides`.

- A test that writes gets a fresh database (`engine`, `session`, `client`, `seeded`).
- A test that only reads shares one seeded database per test session (`read_engine`,
  `read_session`, `read_client`), as Datasette's `app_client` does. That database refuses
  writes (SQLite `query_only`, PostgreSQL `default_transaction_read_only`), so a test that
  writes by mistake fails instead of changing what the next test reads.

SQLite in memory by default. With LINEAGE_TEST_DATABASE_URL=postgresql://… (as `make test`
sets on its second pass) the databases are on that server instead: each xdist worker has its own
database for the fresh tables, and another for the shared seeded one.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

from app.config import PROJECT_ROOT, Settings
from app.db import current_engine, get_session, make_engine
from app.main import create_app

SEED_DIR = PROJECT_ROOT / "seed_data"
TEST_DB_URL = os.environ.get("LINEAGE_TEST_DATABASE_URL", "")


def _per_worker_database(url: str, worker: str) -> str:
    """A PostgreSQL database of its own (for an xdist worker, or for the shared seeded database),
    made on first use."""
    from sqlalchemy import create_engine, make_url

    base = make_url(Settings(database_url=url).sqlalchemy_url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


if TEST_DB_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    TEST_DB_URL = _per_worker_database(TEST_DB_URL, os.environ["PYTEST_XDIST_WORKER"])


_pg_engine = None


def app_on(engine):
    """A fresh app whose every request gets a session, or a connection, on `engine`."""
    app = create_app()

    def _session():
        with Session(engine) as s:
            yield s

    async def _engine():
        return engine

    app.dependency_overrides[get_session] = _session
    app.dependency_overrides[current_engine] = _engine
    return app


@contextmanager
def _client_of(engine):
    """A client of a fresh app whose every request gets a session on `engine`."""
    app = app_on(engine)
    with TestClient(app) as c:
        yield c
    app.dependency_overrides.clear()


def _engine(file: Path | None = None):
    """Fresh tables: on the PostgreSQL server when the tests run there, else in a SQLite file
    when `file` is given (each connection its own), else in memory (one connection for all)."""
    global _pg_engine
    if TEST_DB_URL:
        if _pg_engine is None:
            # A test that leaves a transaction open must fail, not hang the next test's TRUNCATE.
            _pg_engine = make_engine(
                Settings(database_url=TEST_DB_URL).sqlalchemy_url,
                connect_args={"options": "-c lock_timeout=20000"},
            )
        # Tables are made once (again after a test that dropped them) and emptied for each test:
        # as fresh as a new database, without paying for DDL every time.
        SQLModel.metadata.create_all(_pg_engine)
        quote = _pg_engine.dialect.identifier_preparer.quote
        names = ", ".join(quote(t.name) for t in SQLModel.metadata.sorted_tables)
        with _pg_engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return _pg_engine
    engine = make_engine(f"sqlite:///{file}") if file else make_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    return engine


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    """The URL of a new SQLite file that `lineage` commands run in this process (app.cli.main)
    use: the settings and the engine are read again from it, and again after the test."""
    from app.config import get_settings
    from app.db import get_engine

    url = f"sqlite:///{tmp_path / 'lineage.db'}"
    monkeypatch.setenv("LINEAGE_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_settings.cache_clear()
    get_engine.cache_clear()


def _layouts_done() -> None:
    """Until no layout or store of a test's graphs is left to run (into the next test's
    database, or with the test's monkeypatching undone); then nothing a test laid out is kept in
    memory for the next (a fake `dot`'s failure, or a view of a database emptied for reuse)."""
    from app.graph import layouts
    from app.graph.memory import memory

    layouts.drawer.wait()
    memory.clear()


@pytest.fixture
def engine():
    engine = _engine()
    yield engine
    _layouts_done()
    if not TEST_DB_URL:
        engine.dispose()


@pytest.fixture
def file_engine(tmp_path):
    """`engine` in a SQLite file, for tests where two threads write at once (a graph stored on
    the layout thread while the page that asked for it finishes): one shared in-memory
    connection would mix their transactions."""
    engine = _engine(tmp_path / "lineage.db")
    yield engine
    _layouts_done()
    if not TEST_DB_URL:
        engine.dispose()


@pytest.fixture(autouse=True)
def _no_layout_left(monkeypatch):
    """Torn down before `monkeypatch` (which it asks for) puts back what the test changed."""
    yield
    _layouts_done()


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


@pytest.fixture
def client(engine):
    with _client_of(engine) as c:
        yield c


@pytest.fixture
def seeded(session):
    from app.documents.store import seed

    seed(session, SEED_DIR)
    return session


@pytest.fixture
def seed_dir() -> Path:
    return SEED_DIR


# --- one seeded database shared by the tests that only read ----------------------------------




@pytest.fixture(scope="session")
def read_engine(tmp_path_factory):
    """The seed data, loaded once per test session; every write to it fails. On SQLite a file,
    each connection its own, as the app has them: a graph drawn for a reader is stored (and
    refused here) on the layout thread while the reader's page finishes."""
    from app.documents.store import seed

    if TEST_DB_URL:
        url = Settings(database_url=_per_worker_database(TEST_DB_URL, "read")).sqlalchemy_url
        writer = make_engine(url)
        SQLModel.metadata.drop_all(writer)
        SQLModel.metadata.create_all(writer)
        with Session(writer) as s:
            seed(s, SEED_DIR)
        writer.dispose()
        engine = make_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('read') / 'lineage.db'}"
        writer = make_engine(url)
        SQLModel.metadata.create_all(writer)
        with Session(writer) as s:
            seed(s, SEED_DIR)
        writer.dispose()
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA query_only = ON")
    yield engine
    engine.dispose()


@pytest.fixture
def read_session(read_engine):
    with Session(read_engine) as session:
        yield session


@pytest.fixture(scope="session")
def _read_app_client(read_engine):
    with _client_of(read_engine) as c:
        yield c


@pytest.fixture
def read_client(_read_app_client):
    """A client of the shared seeded database, with no cookie left from an earlier test."""
    _read_app_client.cookies.clear()
    yield _read_app_client
    _read_app_client.cookies.clear()


@pytest.fixture
def dot_runs(monkeypatch):
    """The Graphviz sources laid out during the test, in order (each a real `dot` run)."""
    from app.graph import layouts

    runs = []
    real = layouts.run_dot

    def counting(source, **kw):
        runs.append(source)
        return real(source, **kw)

    monkeypatch.setattr(layouts, "run_dot", counting)
    return runs
