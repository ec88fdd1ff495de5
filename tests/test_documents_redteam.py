"""`lineage ingest` and the upload against an attacker and a clumsy operator: an interrupted
run, odd file names, symlink loops, pipes, unreadable files, the same document twice, two
documents under one name, a symbol that another document holds, a burst of uploads. Each gets a
one-line refusal or a correct result: never a traceback, never data lost or merged."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from app.documents import files
from app.documents import upload as uploads
from app.documents.intake import file_key, ingest_paths
from app.models import Document
from tests import un_documents as u
from tests.admin_support import admin, admin_client, login, no_slowdown, token  # noqa: F401
from tests.conftest import SEED_DIR, TEST_DB_URL
from tests.helpers import soup

DRAFT = SEED_DIR / "004_5f2f1bc2f128ea34.txt"  # a draft whose page states no symbol


def _variants(folder: Path, n: int) -> dict[str, str]:
    """`n` different texts without a symbol, one file each: name -> text."""
    folder.mkdir(parents=True, exist_ok=True)
    base = DRAFT.read_text(encoding="utf-8")
    out = {}
    for i in range(n):
        text = base.replace("第七十一届会议", f"第七十一届会议\n\n附件{i}", 1)
        (folder / f"d{i:02d}.txt").write_text(text, encoding="utf-8")
        out[f"d{i:02d}"] = text
    return out


def _cli(url: str, *args, **kw):
    env = {"LINEAGE_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=u.ROOT, **kw)


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file, the embedded default")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_ingest_stores_whole_batches_and_the_same_command_completes(tmp_path, sig):
    texts = _variants(tmp_path / "in", 24)
    url = f"sqlite:///{tmp_path / 'lineage.db'}"
    assert subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env={"LINEAGE_DATABASE_URL": url},
                          cwd=u.ROOT, timeout=120).returncode == 0
    run = _cli(url, "ingest", str(tmp_path / "in"), "--quiet", "--batch-size", "4")
    seen = 0
    for line in run.stdout:
        seen += line.startswith("added")
        if seen == 6:  # the first batch committed, the second under way
            run.send_signal(sig)
            break
    out, err = run.communicate(timeout=120)
    assert "Traceback" not in err
    if sig == signal.SIGINT:
        assert run.returncode == 130 and "run the same command again" in err
    from app.db import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        stored = s.exec(select(Document.key, Document.text).where(Document.text.is_not(None))).all()
    # whole batches of whole files: nothing half-written
    assert len(stored) % 4 == 0 and 4 <= len(stored) < 24
    assert all(text == texts[key.removeprefix("file-")] for key, text in stored)
    again = _cli(url, "ingest", str(tmp_path / "in"), "--quiet")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert f"{24 - len(stored)} added" in out and f"{len(stored)} unchanged" in out
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Document).where(Document.text.is_not(None))).one() == 24
    engine.dispose()


def test_odd_names_loops_pipes_and_dangling_links(session, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    odd = os.fsdecode(b"draft-\xff\xfe.txt")  # not UTF-8: a name from another system
    shutil.copy(DRAFT, src / odd)
    (src / "loop").symlink_to("..")  # a folder that contains itself
    (src / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    os.mkfifo(src / "pipe.pdf")  # reading it would wait forever
    report = ingest_paths(session, [src, src / "pipe.pdf", tmp_path / "missing"])
    got = [(Path(p).name, s, d) for p, s, d in report.results]
    assert sorted(got) == sorted([
        (odd, "added", file_key(odd)),
        ("loop", "refused", "a link out of the folder: not followed"),
        ("gone.pdf", "refused", "a broken link (what it points to does not exist)"),
        ("pipe.pdf", "refused", "not a regular file: a named pipe (FIFO)"),  # in the folder
        ("pipe.pdf", "refused", "not a regular file: a named pipe (FIFO)"),  # and named
        ("missing", "refused", "no such file or folder"),
    ])
    # two names that differ only in bytes that are not UTF-8 are two keys
    assert file_key(odd) != file_key(os.fsdecode(b"draft-\xfe\xff.txt"))
    doc = session.exec(select(Document).where(Document.key == file_key(odd))).one()
    assert doc.provenance["file"]["name"] == "draft-\ufffd\ufffd.txt" and doc.source == "draft-\ufffd\ufffd.txt"


def test_an_unreadable_file_is_refused_and_the_others_go_in(session, tmp_path):
    src = tmp_path / "in"
    _variants(src, 2)
    (src / "d01.txt").unlink()
    unreadable = tmp_path / "d01.txt"
    if os.geteuid() == 0:
        # root reads every file it owns: a write-only file of the kernel's, which no one reads
        # (named on the command line: a link in the folder to it would be a link out of the folder)
        unreadable.symlink_to("/proc/sys/vm/drop_caches")
    else:
        unreadable.write_text("大会，\n", encoding="utf-8")
        unreadable.chmod(0)
    report = ingest_paths(session, [src, unreadable])
    assert [(Path(p).name, s, d) for p, s, d in report.results] == [
        ("d00.txt", "added", "file-d00"), ("d01.txt", "refused", "cannot read the file: Permission denied")]


def test_the_same_file_under_two_names_is_one_document(session, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    pdf = u.pdf_bytes("004_5f2f1bc2f128ea34.txt")
    (src / "a.pdf").write_bytes(pdf)
    (src / "b.pdf").write_bytes(pdf)
    first = ingest_paths(session, [src])
    assert [(Path(p).name, s, d) for p, s, d in first.results] == [
        ("a.pdf", "added", "file-a"), ("b.pdf", "unchanged", "file-a")]
    (tmp_path / "c.pdf").write_bytes(pdf)  # and in a later run
    assert ingest_paths(session, [tmp_path / "c.pdf"]).results[0][1:] == ("unchanged", "file-a")
    assert session.exec(select(func.count()).select_from(Document).where(Document.text.is_not(None))).one() == 1
    # a PDF with a symbol under a second name: unchanged, its provenance still names the first
    (src / "one.pdf").write_bytes(u.pdf_bytes("001_0fd7e56c3f5b41c3.txt"))
    (src / "two.pdf").write_bytes(u.pdf_bytes("001_0fd7e56c3f5b41c3.txt"))
    report = ingest_paths(session, [src / "one.pdf", src / "two.pdf"])
    assert [s for _, s, _ in report.results] == ["added", "unchanged"]
    doc = session.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    assert doc.provenance["file"]["name"] == "one.pdf"


def test_two_documents_under_one_name_are_not_merged(session, tmp_path):
    _variants(tmp_path / "a", 1)
    other = _variants(tmp_path / "b", 2)
    (tmp_path / "b" / "d01.txt").rename(tmp_path / "b" / "d00.txt")  # another text, the same name
    first = (tmp_path / "a" / "d00.txt").read_text(encoding="utf-8")
    report = ingest_paths(session, [tmp_path / "a", tmp_path / "b"])
    status = [(s, d) for _, s, d in report.results]
    assert status[0] == ("added", "file-d00")
    assert status[1][0] == "refused" and "another text of the same document (file-d00)" in status[1][1]
    assert report.refused == 1 and other
    assert session.exec(select(Document.text).where(Document.key == "file-d00")).one() == first


def test_a_symbol_that_another_document_holds_is_refused_and_both_stay(seeded, session, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(DRAFT.read_text(encoding="utf-8"), encoding="utf-8")
    assert ingest_paths(session, [path]).results[0][1:] == ("added", "file-notes")
    held = session.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    before = (held.key, held.text)
    # the same file, corrected: its page now states a symbol the seed's draft has
    path.write_text("A/77/L.107\n\n" + DRAFT.read_text(encoding="utf-8"), encoding="utf-8")
    report = ingest_paths(session, [path])
    assert report.results[0][1:] == ("refused", "A/77/L.107 already belongs to another document")
    session.expire_all()
    held = session.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    assert (held.key, held.text) == before
    notes = session.exec(select(Document).where(Document.key == "file-notes")).one()
    assert notes.symbol is None and notes.text == DRAFT.read_text(encoding="utf-8")


def test_a_burst_of_uploads_starts_at_most_a_few_readers(admin_client, tmp_path, monkeypatch):
    """Each reader may take a gigabyte: a burst gets a clear answer each, and no more than
    `MAX_READERS` readers at once."""
    log = tmp_path / "running"
    log.mkdir()
    fake = (
        "import os, sys, time, json\n"
        f"d = {str(log)!r}; me = os.path.join(d, str(os.getpid())); open(me, 'w').close()\n"
        "time.sleep(1.0); n = len([f for f in os.listdir(d) if f.isdigit()])\n"
        "open(os.path.join(d, 'max'), 'a').write(f'{n}\\n'); os.remove(me); sys.stdin.buffer.read()\n"
        "print(json.dumps({'text': '大会，\\n', 'format': 'txt', 'pages': 1, 'furniture': []}))\n"
    )
    monkeypatch.setattr(files, "isolated_command", lambda name=None: [sys.executable, "-c", fake])
    answers = []

    def send():
        answers.append(admin_client.post("/admin/documents/new?lang=en",
                                         data={"csrftoken": admin_client.csrf, "action": "read"},
                                         files={"file": ("a.txt", "大会，\n".encode())}))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 6 and {r.status_code for r in answers} <= {200, 422}
    said = [soup(r).select_one("#f-file-error") for r in answers]
    busy = [e for e in said if e is not None]
    assert all("send it again" in e.get_text() for e in busy), [e.get_text() for e in busy]
    most = max(int(n) for n in (log / "max").read_text().split())
    assert most <= uploads.MAX_READERS and len(answers) - len(busy) >= 1


def test_a_database_without_its_tables_is_said_so_not_blamed_on_the_file(tmp_path):
    from app.db import make_engine

    _variants(tmp_path / "in", 1)
    engine = make_engine(f"sqlite:///{tmp_path / 'unmigrated.db'}")
    with Session(engine) as s:
        report = ingest_paths(s, [tmp_path / "in"])
    engine.dispose()
    [(_, status, detail)] = report.results
    assert status == "refused" and detail.startswith("not stored: database error") and "\n" not in detail


def test_copies_of_one_text_in_a_run_are_one_document_and_a_rerun_changes_nothing(session, tmp_path):
    pdf = u.pdf_bytes("001_0fd7e56c3f5b41c3.txt")
    for k in range(3):  # byte-different copies of one PDF (a trailing comment), one text
        (tmp_path / f"copy{k}.pdf").write_bytes(pdf + f"%copy {k}\n".encode())
    first = ingest_paths(session, [tmp_path])
    assert [(s, d) for _, s, d in first.results] == [("added", "file-copy0")] + [("unchanged", "file-copy0")] * 2
    again = ingest_paths(session, [tmp_path])
    assert {s for _, s, _ in again.results} == {"unchanged"}
