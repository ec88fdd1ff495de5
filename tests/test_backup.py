"""`lineage backup` and `lineage restore`: a round trip gives identical data, and a restore
checks the backup before it touches the database: a corrupt, truncated, foreign or too new
backup is refused with a one-line reason and the database is left as it was."""

import re
import secrets
import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session, delete

from app.backup import RestoreRefused, backup, restore
from app.cli import main
from app.config import Settings
from app.db import make_engine
from app.documents.store import seed
from app.migrate import upgrade
from app.models import Citation, Document
from tests.conftest import SEED_DIR, TEST_DB_URL
from tests.test_exports_jsonl import _state


@pytest.fixture
def live(tmp_path):
    """A migrated, seeded database of its own (on PostgreSQL a database made for the test):
    restore renames and replaces it, so it must not be the one the other tests share."""
    if TEST_DB_URL:
        base = make_url(Settings(database_url=TEST_DB_URL).sqlalchemy_url)
        name = f"{base.database}_restore_{secrets.token_hex(3)}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(TEST_DB_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    settings = Settings(database_url=url)
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as s:
        seed(s, SEED_DIR)
    engine.dispose()
    yield settings
    if TEST_DB_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _snapshot(settings: Settings):
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as s:
            return _state(s)
    finally:
        engine.dispose()


def _empty_it(settings: Settings) -> None:
    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as s:
        s.exec(delete(Citation))
        s.exec(delete(Document))
        s.commit()
    engine.dispose()


def test_backup_then_restore_gives_identical_data(live, tmp_path):
    before = _snapshot(live)
    path = tmp_path / "lineage.backup"
    backup(live, path)
    assert path.stat().st_size > 0
    _empty_it(live)
    assert _snapshot(live)[1] == []

    restore(live, path)
    assert _snapshot(live) == before


def test_restore_refuses_a_missing_backup(live, tmp_path):
    with pytest.raises(RestoreRefused, match="no backup"):
        restore(live, tmp_path / "nope")


def _good_backup(live, tmp_path):
    path = tmp_path / "good.backup"
    backup(live, path)
    return path


def _corrupt(path, tmp_path):
    data = bytearray(path.read_bytes())
    # Scribble over the middle pages: table b-trees and rows, not just free space.
    for i in range(len(data) // 4, len(data) * 3 // 4, 97):
        data[i] = (data[i] + 0x5A) % 256
    bad = tmp_path / "corrupt.backup"
    bad.write_bytes(bytes(data))
    return bad


def _truncated(path, tmp_path):
    bad = tmp_path / "truncated.backup"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return bad


def _unrelated(_path, tmp_path):
    bad = tmp_path / "unrelated.backup"
    if TEST_DB_URL:
        bad.write_bytes(b"PGDMP" + bytes(range(256)) * 8)  # a header, then nothing pg_restore reads
    else:
        con = sqlite3.connect(bad)
        con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        con.execute("INSERT INTO notes (body) VALUES ('shopping list')")
        con.commit()
        con.close()
    return bad


def _not_a_database(_path, tmp_path):
    bad = tmp_path / "text.backup"
    bad.write_text("these are not the bytes of any database\n" * 200)
    return bad


def _newer_revision(path, tmp_path, live=None):
    bad = tmp_path / "newer.backup"
    if TEST_DB_URL:
        engine = make_engine(live.sqlalchemy_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        engine.dispose()
        backup(live, bad)  # the test puts the live revision back
    else:
        shutil.copy(path, bad)
        con = sqlite3.connect(bad)
        con.execute("UPDATE alembic_version SET version_num = '9999'")
        con.commit()
        con.close()
    return bad


@pytest.mark.parametrize("spoil, reason", [
    (_corrupt, r"integrity|pg_restore|not a usable|migrated"),
    (_truncated, r"integrity|pg_restore|not a usable"),
    (_unrelated, r"not a Lineage|pg_restore can read"),
    (_not_a_database, r"not a usable|pg_restore can read"),
    (_newer_revision, r"revision 9999"),
], ids=["corrupt", "truncated", "unrelated", "not-a-database", "newer-revision"])
def test_a_bad_backup_is_refused_and_the_database_is_left_as_it_was(live, tmp_path, spoil, reason, capsys, monkeypatch):
    good = _good_backup(live, tmp_path)
    if spoil is _newer_revision:
        bad = spoil(good, tmp_path, live)
        if TEST_DB_URL:  # put the live revision back as it was
            engine = make_engine(live.sqlalchemy_url)
            with engine.begin() as conn:
                from app.backup import _known_revisions

                conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": _known_revisions()[1]})
            engine.dispose()
    else:
        bad = spoil(good, tmp_path)
    before = _snapshot(live)
    files_before = sorted(p.name for p in tmp_path.iterdir())

    monkeypatch.setenv("LINEAGE_DATABASE_URL", live.database_url)
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        status = main(["restore", str(bad)])
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert status != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("restore refused: ")
    assert re.search(reason, err), err
    assert _snapshot(live) == before
    # No scratch file is left beside the database.
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file migrated at an older revision")
def test_a_backup_of_an_older_revision_is_migrated_on_restore(tmp_path):
    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(old_url, "0005")
    con = sqlite3.connect(tmp_path / "old.db")
    con.execute("INSERT INTO document (id, key, kind, provenance, created_at, updated_at, version) "
                "VALUES (1, 'k', 'other', '{}', '2026-01-01', '2026-01-01', 1)")
    con.commit()
    con.close()
    live = Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(live.database_url)
    restore(live, tmp_path / "old.db")
    engine = make_engine(live.sqlalchemy_url)
    with engine.connect() as conn:
        from app.backup import _known_revisions

        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _known_revisions()[1]
        assert conn.execute(text("SELECT key FROM document")).scalars().all() == ["k"]
    engine.dispose()


@pytest.mark.skipif(not TEST_DB_URL, reason="pg_restore --list")
def test_pg_restore_tool_is_there():
    assert subprocess.run(["pg_restore", "--version"], capture_output=True).returncode == 0
