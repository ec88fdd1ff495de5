"""PDF and Word files made from the seed texts give the seeds' gold citations.

The files are made during the run (tests/un_documents.py): a masthead, a running header with
the symbol, a footer with the page number and job number, the recycling line, footnotes at the
page foot, superscript calls, undocs link annotations. Each is read back by
`app.documents.files` and run through the extractor; the citations must equal the seed's gold
file on every field that does not depend on where the text stands in the file (offsets and
paragraph numbers belong to the file's own text): symbol, the symbol as written (white space
aside: the PDF breaks its lines elsewhere), verb, verb class, date, location, footnote mark,
link, the paragraph's opening words and, for a footnote, the opening words of the paragraph
that calls it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import re

import pytest

from app.citations import extract, paragraphs
from app.documents import files
from tests import un_documents as u

GOLD = u.ROOT / "tests" / "gold" / "seeds"


def _squash(s: str | None) -> str | None:
    return None if s is None else re.sub(r"\s+", "", s)


def _rows_from_text(text: str) -> list[dict]:
    cites = extract(text)
    paras = {p.index: p.text for p in paragraphs(text)}
    rows = []
    for c in cites:
        assert text[c.start : c.end] == c.raw
        rows.append(
            {
                "symbol": c.symbol,
                "raw": _squash(c.raw),
                "verb": c.verb,
                "verb_class": c.verb_class,
                "date": c.date.isoformat() if c.date else None,
                "location": c.location,
                "footnote": c.footnote,
                "link": c.link,
                "paragraph": _squash(c.paragraph),
                "caller": _squash(paras.get(c.called_from)) if c.called_from is not None else None,
            }
        )
    return rows


def _gold(name: str) -> list[dict]:
    d = json.loads((GOLD / (name.removesuffix(".txt") + ".json")).read_text(encoding="utf-8"))
    return d["citations"]


FIELDS = ("symbol", "verb", "verb_class", "date", "location", "footnote", "link")


def _matches(r: dict, g: dict) -> bool:
    return (
        r["raw"] == _squash(g["raw"])
        and all(r[k] == g[k] for k in FIELDS)
        and (not g["paragraph_starts"] or r["paragraph"].startswith(_squash(g["paragraph_starts"])))
        and (not g["called_from_starts"]
             or bool(r["caller"] and r["caller"].startswith(_squash(g["called_from_starts"]))))
    )


def _assert_equals_gold(name: str, text: str, *, in_order: bool = True) -> None:
    """Every gold citation found once and nothing else; in the gold's order when `in_order`
    (a Word file has no pages: its footnotes follow the paragraph that calls them, so they
    come earlier in its text than at a page foot)."""
    rows = _rows_from_text(text)
    gold = _gold(name)
    if in_order:
        assert [tuple(r[k] for k in ("raw", *FIELDS)) for r in rows] == [
            tuple([_squash(g["raw"])] + [g[k] for k in FIELDS]) for g in gold
        ]
        bad = [(r["symbol"], r["paragraph"][:30]) for r, g in zip(rows, gold) if not _matches(r, g)]
        assert not bad
        return
    left = list(rows)
    missing = []
    for g in gold:
        hit = next((r for r in left if _matches(r, g)), None)
        if hit is None:
            missing.append(g)
        else:
            left.remove(hit)
    assert (missing, left) == ([], [])


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("un-files")
    return {kind: u.write_all(folder / kind, kind) for kind in ("pdf", "docx")}


@pytest.mark.parametrize("name", u.SEED_FILES)
def test_pdf_gives_the_gold_citations(made, name):
    path = next(p for p in made["pdf"] if p.stem == name.removesuffix(".txt"))
    got = files.read_path(path)
    assert got.format == "pdf" and got.pages >= 2
    _assert_equals_gold(name, got.text)


@pytest.mark.parametrize("name", u.SEED_FILES)
def test_docx_gives_the_gold_citations(made, name):
    path = next(p for p in made["docx"] if p.stem == name.removesuffix(".txt"))
    got = files.read_path(path)
    assert got.format == "docx"
    _assert_equals_gold(name, got.text, in_order=False)


def test_page_furniture_stays_out_of_the_paragraphs(made):
    path = next(p for p in made["pdf"] if p.stem.startswith("001_"))
    got = files.read_path(path)
    # what the pages carry besides the text was seen, and kept out
    assert {"23-16564", "请回收", "Please recycle", "联合国", "大会"} <= set(got.furniture)
    assert any(re.fullmatch(r"\d/\d", f) for f in got.furniture)
    body = [p.text for p in paragraphs(got.text)]
    for text in body:
        assert "23-16564" not in text and "Please recycle" not in text and "请回收" not in text
        assert not re.search(r"(?<![\d/])\d/\d(?![\d/])", text), text
    # a paragraph broken by the page end is one paragraph, its footnotes after it
    joined = [t for t in body if t.startswith("回顾大会在第 71/14 号决议中")]
    assert len(joined) == 1 and joined[0].endswith("第二十三次会议，")


def test_a_text_file_is_read_as_it_is(tmp_path):
    src = u.SEED_DIR / u.SEED_FILES[1]
    got = files.read_path(src)
    assert got.text == src.read_text(encoding="utf-8") and got.format == "txt"


def test_an_image_only_pdf_is_refused(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.rect(72, 400, 300, 200, fill=1)  # a page with only a picture on it
    c.showPage()
    c.save()
    with pytest.raises(files.Refused, match="no text layer"):
        files.read_path(path)


def test_reading_in_a_process_of_its_own_gives_the_same_text(made):
    path = next(p for p in made["pdf"] if p.stem.startswith("004_"))
    assert files.read_isolated(path.read_bytes(), path.name) == files.read_path(path)
    with pytest.raises(files.Refused, match="not a PDF"):
        files.read_isolated(b"hello", "x.pdf")
    with pytest.raises(files.Refused, match="memory and time"):
        files.result_of(-9, b"")


def test_damaged_files_are_read_or_refused_never_an_exception(made):
    """Truncated and bit-flipped copies of the seed files: each gives a text or a `Refused`."""
    import random

    rng = random.Random(13)
    for kind in ("pdf", "docx"):
        data = made[kind][2].read_bytes()
        variants = [data[: len(data) * k // 10] for k in range(1, 10)]
        for _ in range(25):
            b = bytearray(data)
            for _ in range(rng.randint(1, 40)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            variants.append(bytes(b))
        for v in variants:
            try:
                got = files.read_bytes(v, "x." + kind)
            except files.Refused as e:
                assert str(e) and "\n" not in str(e)
            else:
                assert isinstance(got.text, str)


@pytest.mark.parametrize("name", ["001_0fd7e56c3f5b41c3.txt", "004_5f2f1bc2f128ea34.txt"])
def test_footnotes_one_point_smaller_than_the_text(tmp_path, name):
    """The UN's own sizes: 10 pt text, 9 pt footnotes."""
    path = tmp_path / "un-sizes.pdf"
    path.write_bytes(u.pdf_bytes(name, body=10.0, note=9.0))
    _assert_equals_gold(name, files.read_path(path).text)


@pytest.mark.parametrize("footer", ["3 / 4 23-16564 (C)", "23-16564 (C) 3/4", "12/40", "*2316564*"])
def test_the_extractor_the_pdf_reader_and_the_metadata_reader_know_the_same_footers(footer):
    """One definition of page and job numbers (app.citations.clean): a footer line the PDF
    reader keeps out of the text is furniture to the extractor too, and a symbol above it is a
    running header to the metadata reader."""
    from app.documents import metadata

    assert files._FURNITURE.match(footer)
    text = f"A/77/L.107\n\n{footer}\n\n大会，\n\n回顾其 2004 年 12 月 2 日第 59/48 号决议，\n"
    assert all(footer not in p.text for p in paragraphs(text))
    later = "大会，\n\n" + "回顾其 2004 年 12 月 2 日第 59/48 号决议，\n\n" * 8 + f"A/77/L.107\n\n{footer}\n"
    assert metadata.read(later).value("symbol") == "A/77/L.107"


# --------------------------------------------------------------------------- the reader process


@pytest.mark.parametrize("name", ["-dash.pdf", "-h.pdf", "--serve.pdf", "--format=txt.pdf"])
def test_a_file_name_is_never_an_option_of_the_reader(name):
    """The reader is handed the bytes and the format ("pdf", "docx", "txt"): no name is on its
    command line for an option parser to read."""
    data = u.pdf_bytes("004_5f2f1bc2f128ea34.txt")
    assert files.read_isolated(data, name) == files.read_bytes(data, "x.pdf")
    with files.IsolatedReader() as reader:
        assert reader.read(data, name) == files.read_bytes(data, "x.pdf")
        assert not any(name in arg for arg in open(f"/proc/{reader._proc.pid}/cmdline").read().split("\0"))


@pytest.mark.parametrize("name", ["-h", "--help", "-"])
def test_a_name_without_a_known_suffix_is_refused_before_any_reader(name):
    with pytest.raises(files.Refused, match="no suffix"):
        files.read_isolated(b"%PDF-1.4\n", name)
    with files.IsolatedReader() as reader:
        with pytest.raises(files.Refused, match="no suffix"):
            reader.read(b"%PDF-1.4\n", name)
        assert reader._proc is None  # none was started for it


def slow_pdf(pages: int = files.MAX_PAGES) -> bytes:
    """A small PDF that takes minutes of CPU to read: every page shows one content stream of
    8,400 characters."""
    line = "x" * 140
    content = "\n".join(["BT /F1 5 Tf 10 830 Td 6 TL", *[f"({line}) '" for _ in range(60)], "ET"]).encode()
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: f"<< /Type /Pages /Kids [{' '.join(f'{5 + i} 0 R' for i in range(pages))}] /Count {pages} >>".encode(),
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            4: b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"}
    for i in range(pages):
        objs[5 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n in sorted(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


# The parent: reads the slow PDF as `lineage ingest` does (one reader for many files) or as the
# admin form's upload does (a reader a file, awaited on the event loop).
PARENT = """
import sys
import anyio
from app import confine
from app.documents import files, upload
data = open(sys.argv[2], "rb").read()
if sys.argv[1].endswith("without util-linux"):
    confine._wrappers = lambda: None  # no setpriv and prlimit: the reader sees to it itself
    assert files.isolated_command()[0] == sys.executable
if sys.argv[1].startswith("ingest"):
    with files.IsolatedReader() as reader:
        reader.read(data, "slow.pdf")
else:
    class Field:
        filename = "slow.pdf"
        async def read(self, n):
            return data
    anyio.run(upload.read_upload, Field())
"""

# Its parent: a subreaper, which the reader is handed to when its parent dies, and which tells
# how the reader ended and how much CPU it had had.
WATCHER = """
import ctypes, os, signal, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
parent = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[2:]])
tick = os.sysconf("SC_CLK_TCK")
deadline = time.monotonic() + 120

def stat(pid):
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()

reader = None
while time.monotonic() < deadline:  # until the reader has been at work for a while
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = stat(pid)
            argv = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        if int(fields[1]) == parent.pid and b"app.documents.files" in argv:
            reader = int(pid)
            busy = (int(fields[11]) + int(fields[12])) / tick
            break
    if reader is not None and busy >= 2.0:
        break
    time.sleep(0.05)
else:
    sys.exit("the reader never got to work")
parent.send_signal(signal.SIGKILL)
parent.wait()
while time.monotonic() < deadline:
    try:
        pid, status, usage = os.wait4(reader, os.WNOHANG)
    except ChildProcessError:  # not handed to this process yet
        pid = 0
    if pid:
        how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
        print(how, usage.ru_utime + usage.ru_stime)
        sys.exit(0)
    time.sleep(0.05)
sys.exit("the reader outlived the deadline")
"""


@pytest.mark.parametrize("way", ["ingest", "upload", "ingest without util-linux", "upload without util-linux"])
def test_the_reader_dies_with_its_parent(tmp_path, way):
    """A killed `lineage ingest` or server takes its reader with it (the death signal), rather
    than leave it reading for up to the CPU limit: killed with SIGKILL as soon as its parent
    dies, long before its limit."""
    pdf = tmp_path / "slow.pdf"
    pdf.write_bytes(slow_pdf())
    done = subprocess.run([sys.executable, "-c", WATCHER, PARENT, way, str(pdf)], capture_output=True,
                          text=True, cwd=u.ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    how, number, cpu = done.stdout.split()
    assert (how, int(number)) == ("signal", signal.SIGKILL), done.stdout
    assert float(cpu) < files.ISOLATED_CPU_SECONDS / 3, done.stdout  # killed at work, not at its limit
