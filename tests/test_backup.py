"""`lineage backup` and `lineage restore`: a round trip gives identical data."""

from sqlmodel import Session, delete

from app.backup import backup, restore
from app.config import Settings
from app.documents.store import seed
from app.migrate import upgrade
from app.models import Citation, Document
from tests.conftest import SEED_DIR
from tests.test_bulk import _state
from tests.test_migrations import empty_database  # noqa: F401  (fixture)


def test_backup_then_restore_gives_identical_data(empty_database, tmp_path):  # noqa: F811
    url, engine = empty_database
    upgrade(url)
    settings = Settings(database_url=url)
    with Session(engine) as s:
        seed(s, SEED_DIR)
        before = _state(s)
    path = tmp_path / "lineage.backup"
    backup(settings, path)
    assert path.stat().st_size > 0

    with Session(engine) as s:
        s.exec(delete(Citation))
        s.exec(delete(Document))
        s.commit()
        assert _state(s)[1] == []
    engine.dispose()  # restore replaces the tables under any open connection

    restore(settings, path)
    with Session(engine) as s:
        assert _state(s) == before


def test_restore_refuses_a_missing_backup(tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError):
        restore(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"), tmp_path / "nope")
