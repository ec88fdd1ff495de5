"""Every `lineage` command on a database that was never migrated says so in one line and exits
non-zero, or does its work (`migrate`, `restore`, `extract`): never a traceback, never a "no
such table" halfway through.

The commands come from the parser itself, so a new command is covered the day it is added: it is
refused on such a database unless its subparser says it needs none (and it is named below)."""

import argparse
import os
import socket
import sqlite3
import subprocess
import sys

import pytest

from app.cli import ANY_DATABASE, MIGRATED, MIGRATED_AFTER_INPUT, NO_DATABASE, build_parser, database_needs, main
from app.config import PROJECT_ROOT
from tests.conftest import SEED_DIR, TEST_DB_URL

pytestmark = pytest.mark.skipif(bool(TEST_DB_URL), reason="a fresh SQLite file per command")

NOT_MIGRATED = "the database is not migrated: run `lineage migrate` first"
# The commands that run on a database that is not migrated, and why.
NOT_REFUSED = {"extract": NO_DATABASE, "migrate": ANY_DATABASE, "restore": ANY_DATABASE}


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def _argv(command: str, port: int) -> list[str]:
    """The command with a value for each of its positional arguments (a name that is also a
    path in the test's folder), and, for `serve`, a port already taken: were the command not
    refused, it would fail there rather than serve for ever."""
    argv = [command]
    for action in _subparsers()[command]._actions:
        if not action.option_strings:
            argv.append("placeholder")
    if "--port" in _subparsers()[command]._option_string_actions:
        argv += ["--port", str(port)]
    return argv


def _empty(path):
    path.write_bytes(b"")


def _never_made(path):
    pass


def _another_apps(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.commit()
    con.close()


REFUSED = sorted(c for c, need in database_needs().items() if need in (MIGRATED, MIGRATED_AFTER_INPUT))


def test_the_commands_that_run_on_any_database_are_the_ones_named_here():
    assert {c: need for c, need in database_needs().items() if c not in REFUSED} == NOT_REFUSED
    assert {"ingest", "rebuild", "draw-graphs", "name-organization", "seed", "serve"} <= set(REFUSED)


@pytest.mark.parametrize("make", [_never_made, _empty, _another_apps], ids=["no-file", "empty-file", "another-apps"])
@pytest.mark.parametrize("command", REFUSED)
def test_a_command_on_an_unmigrated_database_says_so_in_one_line(tmp_path, monkeypatch, capsys, command, make):
    from app.config import get_settings
    from app.db import get_engine

    db = tmp_path / "lineage.db"
    make(db)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINEAGE_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("LINEAGE_ADMIN_PASSWORD", "a long password 1")
    get_settings.cache_clear()
    get_engine.cache_clear()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    try:
        status = main(_argv(command, taken.getsockname()[1]))
    finally:
        taken.close()
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
    out, err = capsys.readouterr()
    assert status == 1
    assert err.splitlines() == [f"lineage {command}: {NOT_MIGRATED}"]
    assert out == ""


def _lineage(tmp_path, *args, db="fresh.db"):
    env = {**os.environ, "LINEAGE_DATABASE_URL": f"sqlite:///{tmp_path / db}", "LINEAGE_ADMIN_PASSWORD": "a long password 1"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_command_in_its_own_process_says_so_in_one_line_too(tmp_path):
    run = _lineage(tmp_path, "rebuild")
    assert run.returncode == 1
    assert run.stderr.splitlines() == [f"lineage rebuild: {NOT_MIGRATED}"]


def test_migrate_then_the_same_commands_work(tmp_path):
    assert _lineage(tmp_path, "migrate").returncode == 0
    run = _lineage(tmp_path, "seed", "--dir", str(SEED_DIR))
    assert run.returncode == 0, run.stderr


def test_restore_brings_a_backup_into_a_database_never_migrated(tmp_path):
    assert _lineage(tmp_path, "migrate", db="made.db").returncode == 0
    assert _lineage(tmp_path, "backup", str(tmp_path / "made.backup"), db="made.db").returncode == 0
    run = _lineage(tmp_path, "restore", str(tmp_path / "made.backup"))
    assert run.returncode == 0, run.stderr
    assert _lineage(tmp_path, "seed", "--dir", str(SEED_DIR)).returncode == 0


def test_a_database_of_a_newer_lineage_is_refused_by_migrate_in_one_line(tmp_path):
    assert _lineage(tmp_path, "migrate").returncode == 0
    con = sqlite3.connect(tmp_path / "fresh.db")
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    for args in (["migrate"], ["seed"]):
        run = _lineage(tmp_path, *args)
        assert run.returncode == 1 and "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "9999" in run.stderr
