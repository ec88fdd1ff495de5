"""Every `lineage` command on a database that was never migrated says so in one line and exits
non-zero, or does its work (`migrate`, `restore`, `extract`): never a traceback."""

import os
import subprocess
import sys

import pytest

from app.config import PROJECT_ROOT
from tests.conftest import SEED_DIR, TEST_DB_URL

pytestmark = pytest.mark.skipif(bool(TEST_DB_URL), reason="a fresh SQLite file per command")


def _lineage(tmp_path, *args, db="fresh.db"):
    env = {**os.environ, "LINEAGE_DATABASE_URL": f"sqlite:///{tmp_path / db}", "LINEAGE_ADMIN_PASSWORD": "a long password 1"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [
    ["seed"], ["seed", "--if-empty"], ["import", "{jsonl}"], ["export", "{out}"], ["create-admin", "someone"],
    ["backup", "{out}"], ["serve", "--port", "1"],
], ids=lambda a: a[0] + ("-if-empty" if "--if-empty" in a else ""))
def test_a_command_on_an_unmigrated_database_says_so_in_one_line(tmp_path, args):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"symbol": "A/RES/64/183"}\n')
    args = [a.format(jsonl=jsonl, out=tmp_path / "out") for a in args]
    run = _lineage(tmp_path, *args)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [f"lineage {args[0]}: the database is not migrated: run `lineage migrate` first"]


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
    import sqlite3

    assert _lineage(tmp_path, "migrate").returncode == 0
    con = sqlite3.connect(tmp_path / "fresh.db")
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    for args in (["migrate"], ["seed"]):
        run = _lineage(tmp_path, *args)
        assert run.returncode == 1 and "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "9999" in run.stderr
