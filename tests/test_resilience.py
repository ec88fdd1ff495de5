"""Concurrency and crashes: writers beside readers, and SIGKILL in the middle of an import."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from app.config import PROJECT_ROOT, Settings
from app.db import make_engine
from app.documents.store import DocumentIn, ingest_document
from app.models import Citation, Document
from tests.browser import live_server
from tests.conftest import TEST_DB_URL
from tests.test_migrations import empty_database  # noqa: F401  (fixture)

READ_PAGES = ["/", "/organizations/SCO", "/organizations/CSTO", "/documents/A/RES/59/48",
              "/documents/S/RES/1631(2005)", "/search?q=观察员地位", "/api/organizations/CIS/chain"]


def _counts(engine):
    with Session(engine) as s:
        return (s.exec(select(func.count()).select_from(Document)).one(),
                s.exec(select(func.count()).select_from(Citation)).one())


def _text(i: int) -> str:
    return (f"大会，\n回顾其2004年12月2日第59/48号决议和2009年12月18日第64/183号决议，\n"
            f"又回顾安全理事会2005年10月17日第1631(2005)号决议，\n1. 决定继续审议第{i}项。\n")


@pytest.fixture
def database(empty_database, tmp_path):  # noqa: F811
    url, engine = empty_database
    engine.dispose()
    return url


def test_writers_beside_readers_lose_nothing(database):
    # six readers stand for six people, who would come from as many addresses: the share of
    # heavy requests (the search) per address is lifted (app/web/limits.py)
    with live_server(database, {"LINEAGE_HEAVY_PER_CLIENT": "100"}) as base:
        engine = make_engine(Settings(database_url=database).sqlalchemy_url)
        docs_before, cits_before = _counts(engine)
        statuses, errors = [], []
        writing = threading.Event()
        writing.set()

        def read():
            with httpx.Client(base_url=base, timeout=30) as client:
                while writing.is_set():
                    for path in READ_PAGES:
                        try:
                            statuses.append((path, client.get(path).status_code))
                        except httpx.HTTPError as exc:
                            errors.append(repr(exc))

        def write(worker: int):
            for i in range(15):
                try:
                    with Session(engine) as s:
                        ingest_document(s, DocumentIn(
                            symbol=f"A/{90 + worker}/L.{i + 1}", kind="draft_resolution", organization="SCO",
                            session=90 + worker, text=_text(i)))
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    errors.append(repr(exc))

        readers = [threading.Thread(target=read) for _ in range(6)]
        writers = [threading.Thread(target=write, args=(w,)) for w in range(3)]
        for t in readers + writers:
            t.start()
        for t in writers:
            t.join(timeout=120)
        writing.clear()
        for t in readers:
            t.join(timeout=60)

        assert errors == []
        assert statuses and {code for _, code in statuses} == {200}
        docs_after, cits_after = _counts(engine)
        assert docs_after == docs_before + 3 * 15
        assert cits_after == cits_before + 3 * 15 * 3
        engine.dispose()


def _jsonl(path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({
                "symbol": f"A/RES/80/{i + 1}", "kind": "ga_resolution", "session": 80,
                "citations": [
                    {"symbol": "A/RES/59/48", "verb": "回顾", "date": "2004-12-02", "paragraph": f"回顾{i}"},
                    {"symbol": "A/RES/64/183", "verb": "又回顾", "paragraph": f"又回顾{i}"},
                    {"symbol": f"A/RES/79/{i + 1}", "verb": "提及", "paragraph": f"提及{i}"},
                ],
            }, ensure_ascii=False) + "\n")


def test_sigkill_during_an_import_leaves_a_consistent_database(database, tmp_path):
    env = {**os.environ, "LINEAGE_DATABASE_URL": database}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=PROJECT_ROOT, check=True)
    source = tmp_path / "bulk.jsonl"
    _jsonl(source, 1200)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "import", str(source), "--batch-size", "50", "--quiet"],
        env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    engine = make_engine(Settings(database_url=database).sqlalchemy_url)
    deadline = time.monotonic() + 60
    while _counts(engine)[0] < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with Session(engine) as s:
        imported = s.exec(select(Document).where(Document.symbol.like("A/RES/80/%"))).all()
        assert 0 < len(imported) < 1200, "the kill should land in the middle"
        per_doc = dict(s.exec(select(Citation.citing_id, func.count()).group_by(Citation.citing_id)).all())
        # Every document is whole: all three of its citations, or it is not there at all.
        assert {per_doc.get(d.id) for d in imported} == {3}
        orphans = s.exec(select(func.count()).select_from(Citation).where(
            Citation.citing_id.not_in(select(Document.id)) | Citation.cited_id.not_in(select(Document.id)))).one()
        assert orphans == 0
        if database.startswith("sqlite"):
            assert s.connection().execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()

    # Importing again finishes the job, and the file is then wholly in.
    subprocess.run([sys.executable, "-m", "app.cli", "import", str(source), "--quiet"], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True)
    engine = make_engine(Settings(database_url=database).sqlalchemy_url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Document).where(
            Document.symbol.like("A/RES/80/%"))).one() == 1200
    engine.dispose()


def test_sigkill_in_the_middle_of_an_admin_save(database):
    """The server dies between writing a document and committing it: after a restart the
    database has no trace of that save, and the same save then goes through."""
    import re

    from app.documents import form as editing
    from tests.admin_support import PASSWORD, sco_form
    from tests.browser import SERVERS, run_lineage

    env = {**os.environ, "LINEAGE_DATABASE_URL": database, "LINEAGE_ADMIN_PASSWORD": PASSWORD,
           "LINEAGE_SECRET_KEY": "resilience-" + os.urandom(8).hex()}
    run_lineage(env, "migrate")
    run_lineage(env, "create-admin", "alice")

    def save(base):
        client = httpx.Client(base_url=base, timeout=120)
        token = lambda path: re.search(r'name="csrftoken" value="([^"]+)"', client.get(path).text).group(1)  # noqa: E731
        login = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrftoken": token("/login")})
        assert login.status_code == 303
        form = {**sco_form(), "csrftoken": token("/admin/documents/new"), "action": "save",
                "previewed": editing.digest(sco_form()["text"]), "accept_warnings": "on"}
        return client, form

    with live_server(database, extra_env={**env, "LINEAGE_FAULT_PAUSE_BEFORE_COMMIT": "60"}) as base:
        client, form = save(base)
        thread = threading.Thread(target=lambda: _swallow(client.post, "/admin/documents/new", data=form))
        thread.start()
        engine = make_engine(Settings(database_url=database).sqlalchemy_url)
        # The save is inside its transaction once its citations are written (not yet visible).
        time.sleep(4)
        assert thread.is_alive(), "the save should be held open before its commit"
        SERVERS[base].send_signal(signal.SIGKILL)
        thread.join(timeout=30)
        client.close()

    with Session(engine) as s:
        assert s.exec(select(Document).where(Document.symbol == "A/79/L.99")).first() is None
        # (`lineage seed`, which the server ran first, has its own entries: the save's are alice's)
        assert s.connection().execute(text("SELECT count(*) FROM auditentry WHERE username = 'alice'")).scalar() == 0
        orphans = s.exec(select(func.count()).select_from(Citation).where(
            Citation.citing_id.not_in(select(Document.id)))).one()
        assert orphans == 0
        if database.startswith("sqlite"):
            assert s.connection().execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()

    with live_server(database, extra_env=env, seed=False) as base:
        client, form = save(base)
        assert client.post("/admin/documents/new", data=form).status_code == 303
        assert client.get("/organizations/SCO").text.count("A/79/L.99") >= 1
        client.close()


def _swallow(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except httpx.HTTPError:
        pass  # the server was killed under this request: that is the point
