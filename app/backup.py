"""Online, consistent backups: SQLite's backup API, or pg_dump / pg_restore on PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from app.config import Settings


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_url(settings: Settings) -> str:
    # libpq takes postgresql://…, not SQLAlchemy's postgresql+psycopg://…
    return make_url(settings.sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian package postgresql-client)")
    return path


def backup(settings: Settings, target: Path) -> None:
    """Copy the live database to `target` while readers and writers go on."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # a consistent snapshot, page by page, online
        finally:
            dest.close()
            source.close()
    elif url.startswith("postgresql"):
        subprocess.run([_tool("pg_dump"), "--format=custom", "--file", str(target), _pg_url(settings)],
                       check=True, capture_output=True)
    else:
        raise ValueError(f"backups are not supported for {url.split(':')[0]}")


def restore(settings: Settings, source: Path) -> None:
    """Replace the database's contents with the backup at `source`."""
    if not source.exists():
        raise FileNotFoundError(f"no backup at {source}")
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            src.execute("PRAGMA quick_check").fetchone()
            with dest:
                src.backup(dest)
        finally:
            src.close()
            dest.close()
    elif url.startswith("postgresql"):
        subprocess.run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "--dbname", _pg_url(settings), str(source)],
            check=True, capture_output=True,
        )
        # The dump loads its rows before it re-creates the change triggers: tell the running
        # workers' page caches (app/changes.py) that everything changed.
        import psycopg

        from app.changes import CHANNEL

        with psycopg.connect(_pg_url(settings), autocommit=True) as con:
            con.execute(f"NOTIFY {CHANNEL}")
    else:
        raise ValueError(f"restores are not supported for {url.split(':')[0]}")
