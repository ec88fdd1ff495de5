"""`lineage ingest`: the five seed PDFs into an empty database give the chains `lineage seed`
gives; the same files again change nothing; hostile files are refused with one line each and
leave nothing behind."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, func, select

from app.cli import main
from app.db import make_engine
from app.documents import files
from app.documents.intake import ingest_paths, organization_key
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
