"""`lineage ingest`: the five seed PDFs into an empty database give the chains `lineage seed`
gives; the same files again change nothing; hostile files are refused with one line each and
leave nothing behind."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, func, select

from app.cli import main
from app.db import make_engine
from app.documents import files
from app.documents.intake import file_key, ingest_paths, organization_key
from app.documents.store import seed
from app.models import Citation, Document, Organization
from app.chains.queries import chain
from tests import un_documents as u
from tests.conftest import SEED_DIR, TEST_DB_URL


def _chains(session: Session) -> dict[str, list[tuple]]:
    """Each organization's chain as a reader sees it: members in order with kind, session, date.
    The links known only from public sources (seed_data/public_facts.json, which `seed` also
    loads) are left out: files bring texts, not those facts."""
    out = {}
    for org in session.exec(select(Organization)).all():
        out[org.name_zh] = [
            (link.document.symbol, link.document.kind, link.document.session, link.document.date)
            for link in chain(session, org) if not link.from_source
        ]
    return out


@pytest.fixture(scope="module")
def seed_chains():
    engine = make_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        seed(s, SEED_DIR)
        got = _chains(s)
    assert set(got) == {"上海合作组织", "集体安全条约组织", "独立国家联合体"}
    return got


@pytest.fixture(scope="module")
def pdf_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seed-pdfs")
    u.write_all(folder / "nested", "pdf")  # a folder inside the folder: found recursively
    return folder


def test_ingesting_the_seed_pdfs_gives_the_seed_chains(session, pdf_dir, seed_chains):
    report = ingest_paths(session, [pdf_dir])
    assert [s for _, s, _ in report.results] == ["added"] * 5
    assert _chains(session) == seed_chains
    # the organizations are filed under their names until an admin gives them an acronym
    orgs = {o.name_zh: o for o in session.exec(select(Organization)).all()}
    assert orgs["上海合作组织"].acronym == organization_key("上海合作组织")
    assert (orgs["上海合作组织"].observer_symbol, orgs["集体安全条约组织"].observer_symbol,
            orgs["独立国家联合体"].observer_symbol) == ("A/RES/59/48", "A/RES/59/50", "A/RES/48/237")
    # every fact stored cites the file and the words that state it
    draft = session.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    assert draft.provenance["session"] == {"file": "001_0fd7e56c3f5b41c3.pdf", "quote": "第七十七届会议"}
    assert draft.provenance["file"]["format"] == "pdf"

    again = ingest_paths(session, [pdf_dir])
    assert [s for _, s, _ in again.results] == ["unchanged"] * 5


def test_into_a_seeded_database_the_pdfs_join_the_known_organizations(seeded, session, pdf_dir):
    ingest_paths(session, [pdf_dir])
    assert {o.acronym for o in session.exec(select(Organization)).all()} == {"SCO", "CSTO", "CIS"}
    sco = session.exec(select(Organization).where(Organization.acronym == "SCO")).one()
    symbols = [link.document.symbol for link in chain(session, sco)]
    assert "A/77/L.107" in symbols and "A/RES/75/268" in symbols


def test_a_changed_file_is_updated_and_a_refused_one_leaves_nothing(session, tmp_path):
    src = tmp_path / "docs"
    src.mkdir()
    shutil.copy(SEED_DIR / "004_5f2f1bc2f128ea34.txt", src / "draft.txt")
    (src / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage")
    report = ingest_paths(session, [src])
    status = {p.rsplit("/", 1)[-1]: (s, d) for p, s, d in report.results}
    assert status["draft.txt"][0] == "added"
    assert status["broken.pdf"][0] == "refused" and "PDF" in status["broken.pdf"][1]
    assert report.refused == 1
    (src / "draft.txt").write_text(
        (SEED_DIR / "004_5f2f1bc2f128ea34.txt").read_text(encoding="utf-8").replace("第七十一届会议", "第七十二届会议", 1),
        encoding="utf-8",
    )
    report = ingest_paths(session, [src / "draft.txt"])
    assert report.results[0][1] == "updated"
    doc = session.exec(select(Document).where(Document.key == "file-draft")).one()
    assert doc.session == 72


def _bomb_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<" + b" " * (files.MAX_DOCX_INFLATED + 10))
    return buf.getvalue()


def _many_pages_pdf() -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(files.MAX_PAGES + 1):
        pdf.new_page(100, 100)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


HOSTILE = {
    "empty.pdf": (lambda: b"", "empty file"),
    "corrupt.pdf": (lambda: b"%PDF-1.4\n" + b"\x00\xff" * 500, "unreadable PDF"),
    "notpdf.pdf": (lambda: b"<html>hello</html>", "not a PDF"),
    "pages.pdf": (_many_pages_pdf, "too many pages"),
    "notzip.docx": (lambda: b"just some text", "not a zip"),
    "bomb.docx": (_bomb_docx, "would inflate"),
    "latin1.txt": (lambda: "caf\xe9".encode("latin-1"), "not UTF-8"),
    "image.pdf": (lambda: u_image_pdf(), "no text layer"),
}


def u_image_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(50, 50, 200, 200, fill=1)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_reason(name):
    make, reason = HOSTILE[name]
    with pytest.raises(files.Refused, match=reason):
        files.read_bytes(make(), name)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "huge.pdf"
    with open(big, "wb") as fh:
        fh.truncate(files.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(files.Refused, match="too large"):
        files.read_path(big)


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file, the embedded default")
def test_lineage_migrate_then_ingest_on_an_empty_database(tmp_path, pdf_dir, seed_chains):
    """The command as a person runs it: one line per file, one line per refused file (no
    traceback), exit 1 when anything was refused, the chains of `lineage seed`."""
    bad = tmp_path / "bad"
    bad.mkdir()
    for name, (make, _reason) in HOSTILE.items():
        (bad / name).write_bytes(make())
    url = f"sqlite:///{tmp_path / 'lineage.db'}"
    env = {"LINEAGE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                              env=env, cwd=u.ROOT, timeout=300)

    assert run("migrate").returncode == 0
    ok = run("ingest", str(pdf_dir), "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert sum(ln.startswith("added") for ln in ok.stdout.splitlines()) == 5 and "0 refused" in ok.stdout
    out = run("ingest", str(pdf_dir), str(bad), "--quiet")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    refused = [ln for ln in out.stderr.splitlines() if ln.startswith("refused")]
    assert len(refused) == len(HOSTILE)
    assert "5 unchanged" in out.stdout and f"{len(HOSTILE)} refused" in out.stdout
    from app.db import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        assert _chains(s) == seed_chains
        assert s.exec(select(func.count()).select_from(Document).where(Document.text.is_not(None))).one() == 5
        assert s.exec(select(func.count()).select_from(Citation)).one() > 0
    engine.dispose()


def test_an_admin_gives_an_organization_its_acronym(session, pdf_dir):
    from app.documents.intake import name_organization

    ingest_paths(session, [pdf_dir])
    key = organization_key("上海合作组织")
    name_organization(session, key, "SCO", "Shanghai Cooperation Organization")
    org = session.exec(select(Organization).where(Organization.acronym == "SCO")).one()
    assert org.name_en == "Shanghai Cooperation Organization" and len(chain(session, org)) == 10
    with pytest.raises(ValueError, match="already"):
        name_organization(session, organization_key("独立国家联合体"), "SCO")
    with pytest.raises(ValueError, match="no organization"):
        name_organization(session, "ORG-NOPE", "XYZ")
    # the same files again find it under its new name: nothing changes
    assert {s for _, s, _ in ingest_paths(session, [pdf_dir]).results} == {"unchanged"}


def test_ingest_reads_each_file_under_the_limits_of_an_upload(session, pdf_dir, monkeypatch):
    """A file that outlasts the reading time is refused, nothing of it stored, and the reader
    runs in a process of its own under the memory and CPU limits."""
    monkeypatch.setattr(files, "ISOLATED_WALL_SECONDS", 0.01)
    report = ingest_paths(session, [pdf_dir])
    assert {(s, d) for _, s, d in report.results} == {("refused", "reading the file took more than 0.01 s")}
    assert session.exec(select(func.count()).select_from(Document)).one() == 0
    monkeypatch.undo()
    with files.IsolatedReader() as reader:
        assert reader.read("大会，\n".encode(), "a.txt").text == "大会，\n"
        limits = {ln[:26].strip(): ln[26:].split() for ln in
                  open(f"/proc/{reader._proc.pid}/limits").read().splitlines()[1:]}
    assert limits["Max address space"][:2] == [str(files.ISOLATED_MEMORY_BYTES)] * 2
    assert int(limits["Max cpu time"][0]) <= files.ISOLATED_CPU_SECONDS + 2


# --------------------------------------------------------------------------- what a folder holds

DRAFT = SEED_DIR / "004_5f2f1bc2f128ea34.txt"  # a draft whose page states no symbol


def _draft(n: int | str) -> str:
    """A text without a symbol, different for each `n`."""
    return DRAFT.read_text(encoding="utf-8").replace("第七十一届会议", f"第七十一届会议\n\n附件{n}", 1)


def _stored_texts(session) -> list[str]:
    session.expire_all()
    return session.exec(select(Document.text).where(Document.text.is_not(None))).all()


def test_a_folder_is_never_left_through_a_link(session, tmp_path):
    """`ln -s /etc/passwd passwd.txt` and its kin: a link out of the folder (absolute, by `..`,
    a linked folder, a link to a link out) is refused with its reason and nothing of what it
    points to is stored; a link to a file inside the folder is that file, read once."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (outside / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "real.txt").write_text(_draft(1), encoding="utf-8")
    (src / "passwd.txt").symlink_to(outside / "passwd")  # absolute
    (src / "sub" / "up.txt").symlink_to("../../outside/passwd")  # `..`
    (src / "etc").symlink_to(outside)  # a folder outside
    (src / "sub" / "hop.txt").symlink_to(src / "passwd.txt")  # a link inside to a link out
    (src / "sub" / "dots.txt").symlink_to("../sub/../../in/../outside/passwd.txt")
    (src / "alias.txt").symlink_to("real.txt")  # inside: the same file
    (src / "sub" / "back").symlink_to("..")  # a folder inside: its files are read where they are
    report = ingest_paths(session, [src])
    got = {p.removeprefix(str(src) + "/"): (s, d) for p, s, d in report.results}
    out = ("refused", "a link out of the folder: not followed")
    assert got == {
        "real.txt": ("added", "file-real"),
        "alias.txt": ("skipped", f"the same file as {src / 'real.txt'}, read once"),
        "passwd.txt": out, "sub/up.txt": out, "etc": out, "sub/hop.txt": out, "sub/dots.txt": out,
        "sub/back": ("skipped", "a link to a folder inside the folder: its files are read there"),
    }
    assert report.refused == 5 and report.skipped == 2
    assert _stored_texts(session) == [_draft(1)]


def test_a_link_named_on_the_command_line_is_followed(session, tmp_path):
    """What the person named is what they asked for: a link given as a path is read (a link
    to a folder is walked as that folder, whose own links out are still refused)."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "letter.txt").write_text(_draft(2), encoding="utf-8")
    (tmp_path / "named.txt").symlink_to(tmp_path / "elsewhere" / "letter.txt")
    (tmp_path / "folder").symlink_to(tmp_path / "elsewhere")
    report = ingest_paths(session, [tmp_path / "named.txt", tmp_path / "folder"])
    assert [(Path(p).name, s, d) for p, s, d in report.results] == [
        ("letter.txt", "skipped", f"the same file as {tmp_path / 'named.txt'}, read once"),
        ("named.txt", "added", "file-named")]


@pytest.mark.parametrize("first, second", [
    ("决议草案甲.txt", "决议草案乙.txt"),  # both slugs empty: both were `file-file`
    ("Letter 1.txt", "letter-1.txt"),  # both were `file-letter-1`
    ("file.txt", "文件.txt"),
    ("Draft.txt", "draft.txt"),
    ("a b.txt", "a_b.txt"),
])
def test_two_names_are_two_documents_across_runs(session, tmp_path, first, second):
    """Two file names never share a key: ingested in separate runs, the second is added beside
    the first, whose text stays; the same name again finds its own document."""
    for name, n in ((first, "first"), (second, "second")):
        (tmp_path / name).write_text(_draft(n), encoding="utf-8")
    one = ingest_paths(session, [tmp_path / first]).results
    two = ingest_paths(session, [tmp_path / second]).results
    assert [r[1] for r in one + two] == ["added", "added"] and one[0][2] != two[0][2]
    assert sorted(_stored_texts(session)) == sorted([_draft("first"), _draft("second")])
    (tmp_path / first).write_text(_draft("first, corrected"), encoding="utf-8")
    again = ingest_paths(session, [tmp_path / first]).results
    assert again[0][1:] == ("updated", one[0][2])
    assert sorted(_stored_texts(session)) == sorted([_draft("first, corrected"), _draft("second")])


@pytest.mark.parametrize("name, key", [
    # a name that is already a slug keeps the key it always had
    ("draft.txt", "file-draft"), ("d00.pdf", "file-d00"), ("a-b-1.docx", "file-a-b-1"),
    ("x" * 100 + ".txt", "file-" + "x" * 100),
])
def test_a_name_that_is_a_slug_keeps_its_key(name, key):
    assert file_key(name) == key


def test_file_keys_are_stable_distinct_and_fit():
    lossy = ["Letter 1.txt", "letter 1.txt", "LETTER-1.txt", "letter_1.txt", "决议草案甲.txt", "决议草案乙.txt",
             "file.txt.txt", ".hidden.txt", "a--b.txt", "-dash.pdf", "x" * 101 + ".txt", "é" * 200 + ".pdf",
             os.fsdecode(b"caf\xff.txt"), os.fsdecode(b"caf\xfe.txt"), "bad\nname.txt"]
    keys = [file_key(n) for n in lossy]
    assert keys == [file_key(n) for n in lossy]  # the same name, the same key
    assert len(set(keys)) == len(keys)
    # a key made with a hash has a double hyphen, which no name that is a slug gives
    assert all("--" in k and file_key(k.removeprefix("file-") + ".txt") != k for k in keys)
    assert all(len(k) <= 120 and re.fullmatch(r"file-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?-[0-9a-f]{16}", k) for k in keys)
    assert file_key("draft.pdf") == file_key("draft.docx")  # one document in two formats
    assert file_key("决议草案甲.txt") == "file--" + hashlib.sha256("决议草案甲".encode()).hexdigest()[:16]
    assert file_key("Letter 1.txt") == "file-letter-1--" + hashlib.sha256(b"Letter 1").hexdigest()[:16]


def test_a_document_stored_under_the_old_key_keeps_it(session, tmp_path):
    """Before keys were unique, `Letter 1.txt` was stored as `file-letter-1`: the same name
    again updates that document; `letter-1.txt`, whose key it holds, is refused, never merged."""
    from app.documents.store import DocumentIn, ingest_document

    ingest_document(session, DocumentIn(
        key="file-letter-1", kind="other", text=_draft("old"), source="Letter 1.txt",
        provenance={"file": {"name": "Letter 1.txt", "sha256": "0" * 64, "format": "txt", "pages": 1}}))
    (tmp_path / "Letter 1.txt").write_text(_draft("old, corrected"), encoding="utf-8")
    (tmp_path / "letter-1.txt").write_text(_draft("another"), encoding="utf-8")
    report = ingest_paths(session, [tmp_path / "Letter 1.txt"])
    assert report.results[0][1:] == ("updated", "file-letter-1")
    report = ingest_paths(session, [tmp_path / "letter-1.txt"])
    [(_, status, detail)] = report.results
    assert status == "refused" and "file-letter-1 is held by the document of another file (Letter 1.txt" in detail
    assert _stored_texts(session) == [_draft("old, corrected")]


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file, the embedded default")
def test_every_path_gets_one_escaped_line(tmp_path):
    """`lineage ingest` prints one line per path met, the name escaped onto it (a newline, an
    escape sequence, a byte that is not UTF-8), with its status and reason: a named pipe, a
    device, a broken link and a link out of the folder are refused (exit 1), a file of another
    type skipped; never a traceback."""
    src = tmp_path / "in"
    src.mkdir()
    names = {"bad\nname.txt": "bad\\nname.txt", "red\x1b[31m.txt": "red\\x1b[31m.txt",
             os.fsdecode(b"caf\xff.txt"): "caf\\xff.txt", "-x.txt": "-x.txt"}
    for k, name in enumerate(names):
        (src / name).write_text(_draft(k), encoding="utf-8")
    (src / "-dash.pdf").write_bytes(u.pdf_bytes("001_0fd7e56c3f5b41c3.txt"))
    (src / "决议.txt").write_text(_draft("决议"), encoding="utf-8")
    (src / "-h").write_text("help?", encoding="utf-8")
    (src / "notes.md").write_text("# notes", encoding="utf-8")
    os.mkfifo(src / "pipe.txt")
    (src / "null.txt").symlink_to("/dev/null")
    (src / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (src / "passwd.txt").symlink_to("/etc/passwd")
    url = f"sqlite:///{tmp_path / 'lineage.db'}"
    env = {"LINEAGE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, env=env,
                              cwd=u.ROOT, timeout=300)

    assert run("migrate").returncode == 0
    done = run("ingest", str(src), "--quiet")
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")  # strict: nothing raw
    assert done.returncode == 1 and "Traceback" not in err
    lines = {ln.split(f" {src}/", 1)[1]: ln.split(f" {src}/", 1)[0].strip()
             for ln in (out + err).splitlines() if f" {src}/" in ln}
    statuses = {name.split(":")[0].split(" (")[0]: status for name, status in lines.items()}
    assert statuses == {
        **{shown: "added" for shown in names.values()}, "-dash.pdf": "added", "决议.txt": "added", "-h": "skipped",
        "notes.md": "skipped", "pipe.txt": "refused", "null.txt": "refused", "gone.pdf": "refused",
        "passwd.txt": "refused"}
    assert f"refused   {src}/pipe.txt: not a regular file: a named pipe (FIFO)" in err.splitlines()
    assert f"refused   {src}/passwd.txt: a link out of the folder: not followed" in err.splitlines()
    assert f"skipped   {src}/-h: not a PDF, Word (.docx) or text file: no suffix" in out.splitlines()
    assert "12 files: 6 added, 0 updated, 0 unchanged, 4 refused, 2 skipped" in out
    assert not any(ln.startswith(("name.txt", "[31m")) for ln in (out + err).splitlines())
    # a terminal that is not UTF-8 gets escapes too, never a traceback
    env["PYTHONIOENCODING"] = "latin-1"
    again = run("ingest", str(src / "决议.txt"), str(src / "pipe.txt"), "--quiet")
    assert again.returncode == 1 and "Traceback" not in again.stderr.decode("latin-1")
    assert f"{src}/\\u51b3\\u8bae.txt" in again.stdout.decode("latin-1")
