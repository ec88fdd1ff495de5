"""Text out of the files the UN publishes: PDF (pypdfium2), Word (python-docx), plain text.

In: a file's bytes and its name. Out: a `FileText` whose `text` the extractor reads exactly as
it reads a seed text, or `Refused` with a one-line reason.

A PDF page carries more than the document's paragraphs: the masthead (`联合国`, `大会`, the
symbol, `Distr.: General`, `Chinese`, `Original: Russian`), a running header (the symbol), a
footer (`3/4`, the job number `23-16564`, `请回收` / `Please recycle`), footnotes under a rule at
the page foot, and hyperlinks as link annotations. The page is read from the positions and sizes
of its characters, so that:

- furniture is recognized (top and bottom bands, the first page's masthead) and kept out of
  the paragraphs; the masthead lines the extractor knows as furniture (the symbol, the
  distribution lines) are kept at the top of the text, where the metadata reader finds them;
- physical lines are joined into logical paragraphs (a first-line indent, a short line, a
  larger gap or an operative number starts one; a paragraph goes on over a page break), by the
  extractor's own joining rule (nothing between two CJK characters, one space otherwise);
- superscript footnote calls become `<sup>N</sup>`, and each page's footnotes come after the
  paragraph that was running at its foot, under a rule, as `<sup>N</sup> text`;
- the undocs hyperlinks come after them, one a line, as in the seed texts.

The result is one paragraph a line with blank lines between (the extractor's markdown layout).
A PDF without a text layer (a scan) is refused: there is nothing to read without OCR.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import statistics
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.citations.clean import BARCODE, JOB_NUMBER, PAGE_NUMBER, ends_clause, is_cjk

__all__ = [
    "FileText",
    "MAX_FILE_BYTES",
    "MAX_PAGES",
    "MAX_TEXT_CHARS",
    "Refused",
    "SUFFIXES",
    "format_of",
    "load",
    "read_bytes",
    "read_format",
    "read_path",
]

#: Largest file read. UN documents are well under 5 MB; a larger file is refused before parsing.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Most pages read from a PDF. The longest reports run to a few hundred pages.
MAX_PAGES = 400
#: Most characters of text kept: the admin form and the API take 1 MB of text.
MAX_TEXT_CHARS = 1_000_000
#: A .docx is a zip: what its members may add up to once inflated, and how many there may be.
MAX_DOCX_INFLATED = 64 * 1024 * 1024
MAX_DOCX_MEMBERS = 2000
SUFFIXES = (".pdf", ".docx", ".txt")


class Refused(Exception):
    """A file Lineage will not read; `str(e)` is the reason, one line."""


@dataclass(frozen=True)
class FileText:
    text: str
    format: str  # "pdf" | "docx" | "txt"
    pages: int = 1
    furniture: tuple[str, ...] = ()  # the lines kept out of the text, in page order


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words (`os.stat_result.st_mode`)."""
    for test, words in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return words
    return "not a regular file"


def load(path: str | Path, *, identity: tuple[int, int] | None = None) -> bytes:
    """A regular file's bytes; `Refused` when it is too large (asked before reading), not a
    regular file (a pipe is never waited on: it is opened without blocking and refused) or
    unreadable. With `identity` (device, inode), as a folder's walk saw it: `path` is a resolved
    path, opened without following a link, and it must still be that file."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if identity else 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if identity and e.errno == errno.ELOOP:
            raise Refused("the file was replaced by a link while it was being read") from None
        raise Refused(f"cannot read the file: {e.strerror or e}") from None
    with os.fdopen(fd, "rb", buffering=0) as fh:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Refused(f"not a regular file: {kind_of(st.st_mode)}")
            if identity is not None and (st.st_dev, st.st_ino) != identity:
                raise Refused("the file was replaced by another while it was being read")
            if st.st_size > MAX_FILE_BYTES:
                raise Refused(f"file too large: {st.st_size:,} bytes (at most {MAX_FILE_BYTES:,})")
            os.set_blocking(fd, True)
            chunks, size = [], 0
            while size <= MAX_FILE_BYTES:  # it may have grown since
                chunk = fh.read(MAX_FILE_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as e:
            raise Refused(f"cannot read the file: {e.strerror or e}") from None
    if size > MAX_FILE_BYTES:
        raise Refused(f"file too large: more than {MAX_FILE_BYTES:,} bytes")
    return b"".join(chunks)


def read_path(path: str | Path) -> FileText:
    """Read a file from disk; `Refused` when it is too large, of another type or unreadable."""
    fmt = format_of(Path(path).name)
    return read_format(load(path), fmt)


def format_of(filename: str) -> str:
    """The format a file's name says it is ("pdf", "docx" or "txt"), or `Refused`."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise Refused(f"not a PDF, Word (.docx) or text file: {suffix or 'no suffix'}")
    return suffix[1:]


def read_bytes(data: bytes, filename: str) -> FileText:
    """Read a file's bytes; the type comes from the name's suffix and must match the content."""
    return read_format(data, format_of(filename))


def read_format(data: bytes, fmt: str) -> FileText:
    """Read a file's bytes as `fmt` ("pdf", "docx" or "txt": `format_of`)."""
    if "." + fmt not in SUFFIXES:
        raise Refused(f"not a PDF, Word (.docx) or text file: {fmt}")
    if not data:
        raise Refused("empty file")
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"file too large: {len(data):,} bytes (at most {MAX_FILE_BYTES:,})")
    if fmt == "pdf":
        out = _read_pdf(data)
    elif fmt == "docx":
        out = _read_docx(data)
    else:
        out = _read_txt(data)
    if "\x00" in out.text:
        raise Refused("the text contains NUL characters")
    if not out.text.strip():
        raise Refused("no text in the file")
    if len(out.text) > MAX_TEXT_CHARS:
        raise Refused(f"too much text: {len(out.text):,} characters (at most {MAX_TEXT_CHARS:,})")
    return out


# --------------------------------------------------------------------------- plain text


def _read_txt(data: bytes) -> FileText:
    if b"\x00" in data:
        raise Refused("not a text file (it contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Refused(f"not UTF-8 text (byte {e.start})") from None
    return FileText(text=text, format="txt")


# --------------------------------------------------------------------------- shared

_SYMBOL_ONLY = r"[A-Z]{1,6}(?:/[A-Za-z0-9.()\-]{1,20}){1,7}"
_RECYCLE = r"(?:请回收|請回收|Please\s+recycle|[♲♻])"
# One or more of these, and nothing else, make a header or footer line.
_FURNITURE = re.compile(
    rf"^(?:(?:{PAGE_NUMBER}|{JOB_NUMBER}|{BARCODE}|{_SYMBOL_ONLY}|{_RECYCLE})\s*)+$"
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DISTRIBUTION = re.compile(
    rf"^(?:Distr\.?\s*:.{{0,30}}|Original\s*:.{{0,30}}|(?:Arabic|Chinese|English|French|Russian|Spanish)"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}})$"
)
_ORGAN = re.compile(
    r"^(?:联\s?合\s?国|大\s?会|安\s?全\s?理\s?事\s?会|经济及社会理事会|United\s+Nations|General\s+Assembly"
    r"|Security\s+Council|Economic\s+and\s+Social\s+Council)$"
)
_SYMBOL_LINE = re.compile(rf"^{_SYMBOL_ONLY}$")
_NUMBERED = re.compile(r"^\d{1,3}\s?[.．](?!\d)")
_NOTE_START = re.compile(r"^(\d{1,3}|\*{1,3}|[†‡])(?:\s+|(?=[^\d\s./年月日号]))(?=\S)")


# A line this much smaller than the body text, under the page's last body line, is a footnote
# (UN documents: 10 pt text, 9 pt footnotes; the fixtures: 11 and 8.5).
_BODY_RATIO = 0.93


def _join(a: str, b: str) -> str:
    """The extractor's joining rule: nothing between two CJK characters, one space otherwise."""
    a, b = a.rstrip(), b.lstrip()
    if not a or not b:
        return a + b
    return a + b if is_cjk(a[-1]) and is_cjk(b[0]) else a + " " + b


def _kept_masthead(line: str) -> bool:
    """Masthead lines kept at the top of the text: the symbol and the distribution lines, which
    the extractor drops as furniture and the metadata reader reads."""
    return bool(_SYMBOL_LINE.match(line) or _DISTRIBUTION.match(line))


# --------------------------------------------------------------------------- PDF


@dataclass
class _Line:
    page: int
    x0: float
    x1: float
    top: float
    base: float
    size: float
    text: str  # with `<sup>…</sup>` around raised small characters
    plain: str  # without the markup


@dataclass
class _Page:
    number: int
    height: float
    lines: list[_Line] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def _open_pdf(data: bytes):
    import pypdfium2 as pdfium

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise Refused("not a PDF file (no %PDF header)")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e).split("\n")[0]
        if "password" in msg.lower():
            raise Refused("the PDF is encrypted (a password is needed)") from None
        raise Refused(f"unreadable PDF: {msg}") from None


def _pdf_pages(pdf) -> list[_Page]:
    import pypdfium2.raw as raw

    n_pages = len(pdf)
    if n_pages == 0:
        raise Refused("the PDF has no pages")
    if n_pages > MAX_PAGES:
        raise Refused(f"too many pages: {n_pages} (at most {MAX_PAGES})")
    pages: list[_Page] = []
    total_chars = 0
    x = __import__("ctypes").c_double
    for pno in range(n_pages):
        page = pdf[pno]
        height = page.get_height()
        tp = page.get_textpage()
        n = tp.count_chars()
        total_chars += n
        if total_chars > 4 * MAX_TEXT_CHARS:
            raise Refused(f"too much text: more than {MAX_TEXT_CHARS:,} characters")
        out = _Page(pno + 1, height)
        # characters in stream order; a new line where pdfium breaks one, or where the pen
        # jumps (a footer's job number and recycling line share a baseline)
        cur: list[tuple[str, float, float, float, float, float]] = []
        runs: list[list[tuple[str, float, float, float, float, float]]] = []
        ox, oy = x(), x()
        for i in range(n):
            code = raw.FPDFText_GetUnicode(tp.raw, i)
            # a damaged font may map to a lone surrogate, which no database or JSON takes
            ch = chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"
            if ch in "\r\n":
                if cur:
                    runs.append(cur)
                    cur = []
                continue
            if raw.FPDFText_IsGenerated(tp.raw, i):
                if ch == " " and cur:
                    cur.append((" ", cur[-1][2], cur[-1][2], cur[-1][3], cur[-1][4], 0.0))
                continue
            if ch in "\x00\ufffe\uffff":
                continue
            left, bottom, right, top = tp.get_charbox(i)
            raw.FPDFText_GetCharOrigin(tp.raw, i, ox, oy)
            size = raw.FPDFText_GetFontSize(tp.raw, i)
            if cur and ch != " ":
                prev = next((c for c in reversed(cur) if c[0] != " "), None)
                if prev is not None and (
                    left - prev[2] > 3 * max(size, prev[5], 1.0) or abs(oy.value - prev[4]) > max(size, prev[5])
                ):
                    runs.append(cur)
                    cur = []
            cur.append((ch, left, right, top, oy.value, size))
        if cur:
            runs.append(cur)
        for r in runs:
            line = _make_line(pno + 1, r)
            if line is not None:
                out.lines.append(line)
        out.lines.sort(key=lambda ln: (-ln.base, ln.x0))
        out.links = _page_links(page, tp)
        pages.append(out)
    return pages


def _make_line(page: int, chars) -> _Line | None:
    while chars and chars[-1][0] == " ":
        chars = chars[:-1]
    while chars and chars[0][0] == " ":
        chars = chars[1:]
    if not chars:
        return None
    real = [c for c in chars if c[0] != " "]
    size = max(c[5] for c in real)
    base_chars = [c for c in real if c[5] >= 0.85 * size]
    base = statistics.median(c[4] for c in base_chars)
    parts: list[str] = []
    plain: list[str] = []
    in_sup = False
    for ch, _l, _r, _t, oy, sz in chars:
        sup = ch != " " and sz < 0.8 * size and oy > base + 0.15 * size
        if sup and not in_sup:
            while parts and parts[-1] == " ":
                parts.pop()
            parts.append("<sup>")
            in_sup = True
        elif not sup and in_sup:
            parts.append("</sup>")
            in_sup = False
        parts.append(ch)
        plain.append(ch)
    if in_sup:
        parts.append("</sup>")
    return _Line(
        page=page,
        x0=min(c[1] for c in real),
        x1=max(c[2] for c in real),
        top=max(c[3] for c in real),
        base=base,
        size=size,
        text=re.sub(r" {2,}", " ", "".join(parts)),
        plain="".join(plain),
    )


def _page_links(page, tp) -> list[str]:
    """URLs of the page's link annotations, top to bottom."""
    import ctypes

    import pypdfium2.raw as raw

    found: list[tuple[float, float, str]] = []
    pos = ctypes.c_int(0)
    link = raw.FPDF_LINK()
    doc = page.pdf.raw
    while raw.FPDFLink_Enumerate(page.raw, pos, link):
        action = raw.FPDFLink_GetAction(link)
        if not action or raw.FPDFAction_GetType(action) != raw.PDFACTION_URI:
            continue
        size = raw.FPDFAction_GetURIPath(doc, action, None, 0)
        if size <= 0 or size > 2048:
            continue
        buf = ctypes.create_string_buffer(size)
        raw.FPDFAction_GetURIPath(doc, action, buf, size)
        url = buf.value.decode("utf-8", "replace")
        rect = raw.FS_RECTF()
        raw.FPDFLink_GetAnnotRect(link, rect)
        if url.startswith(("http://", "https://")) and "\n" not in url:
            found.append((-rect.top, rect.left, url))
        if len(found) > 1000:
            break
    # in annotation order, which is the order the document's producer wrote them in
    return [u for *_, u in found]


def _read_pdf(data: bytes) -> FileText:
    import pypdfium2 as pdfium

    pdf = _open_pdf(data)
    try:
        pages = _pdf_pages(pdf)
    except pdfium.PdfiumError as e:  # a damaged page or text layer
        raise Refused(f"unreadable PDF: {str(e).splitlines()[0] if str(e) else 'damaged page'}") from None
    finally:
        pdf.close()
    return _assemble(pages)


def _assemble(pages: list[_Page]) -> FileText:
    lines = [ln for p in pages for ln in p.lines]
    if not any(ln.plain.strip() for ln in lines):
        raise Refused("the PDF has no text layer (a scanned image?): nothing to read without OCR")

    sizes = Counter()
    for ln in lines:
        sizes[round(ln.size * 2) / 2] += len(ln.plain)
    body_size = sizes.most_common(1)[0][0]

    # header and footer bands; a line repeated in a band on several pages is furniture too
    def band(ln: _Line, page: _Page) -> bool:
        return ln.top > page.height * 0.88 or ln.base < page.height * 0.08

    repeated = Counter(
        re.sub(r"\d+", "#", ln.plain.strip()) for p in pages for ln in p.lines if band(ln, p)
    )
    furniture: list[str] = []
    masthead: list[str] = []
    body: list[list[_Line]] = []
    notes: list[list[_Line]] = []
    for page in pages:
        kept: list[_Line] = []
        seen_body = False
        for ln in page.lines:
            t = ln.plain.strip()
            is_furniture = False
            if band(ln, page) and (
                _FURNITURE.match(t) or _ORGAN.match(t) or _DISTRIBUTION.match(t)
                or (len(pages) > 1 and repeated[re.sub(r"\d+", "#", t)] > 1)
            ):
                is_furniture = True
            elif page.number == 1 and not seen_body and (
                _ORGAN.match(t) or _DISTRIBUTION.match(t) or _SYMBOL_LINE.match(t)
            ):
                is_furniture = True  # a masthead deeper than the band
            if is_furniture:
                furniture.append(t)
                if page.number == 1 and _kept_masthead(t) and t not in masthead:
                    masthead.append(t)
                continue
            seen_body = True
            kept.append(ln)
        # footnotes: smaller lines under the page's last body-size line
        last_body = min((ln.base for ln in kept if ln.size >= _BODY_RATIO * body_size), default=None)
        page_body = [ln for ln in kept if last_body is None or ln.base >= last_body or ln.size >= _BODY_RATIO * body_size]
        page_notes = [ln for ln in kept if ln not in page_body]
        body.append(page_body)
        notes.append(page_notes)

    all_body = [ln for pb in body for ln in pb]
    if not all_body:
        raise Refused("no text in the PDF besides its page furniture")
    # the left margin: the leftmost position at which several lines start (most paragraphs of
    # a resolution are one indented line, so the commonest start is the indent)
    starts = Counter(round(ln.x0) for ln in all_body if ln.size >= _BODY_RATIO * body_size)
    left = min((x for x, n in starts.items() if n >= 2), default=min(starts, default=0))
    rights = sorted(ln.x1 for ln in all_body)
    right = rights[int(len(rights) * 0.9)] if len(rights) > 1 else rights[0]
    gaps = [
        a.base - b.base
        for pb in body
        for a, b in zip(pb, pb[1:])
        if 0 < a.base - b.base < 3 * body_size
    ]
    leading = statistics.median(gaps) if gaps else body_size * 1.5

    blocks: list[str] = []
    para: str | None = None
    pending: list[str] = []  # footnotes and links of pages whose last paragraph is still open
    prev: _Line | None = None

    def close() -> None:
        nonlocal para
        if para is not None:
            blocks.append(para)
            open_ = not ends_clause(para)
            para = None
            if open_:
                return  # footnotes after it would make the extractor continue it past them
        if pending:
            blocks.extend(pending)
            pending.clear()

    for page, pb, pn in zip(pages, body, notes):
        for k, ln in enumerate(pb):
            t = ln.text.strip()
            new = (
                para is None
                or ln.x0 > left + 0.6 * ln.size
                # a short line ends its paragraph; a ragged right edge may leave a few
                # characters' room on a full one (a long number or symbol went to the next line)
                or (prev is not None and prev.x1 < right - 6 * prev.size)
                or bool(_NUMBERED.match(ln.plain.strip()))
                or (k > 0 and prev is not None and prev.base - ln.base > 1.25 * leading)
            )
            if new:
                close()
                para = t
            else:
                para = _join(para or "", t)
            prev = ln
        marks = _notes(pn)
        if marks:
            pending.append("__________________")
            pending.extend(marks)
        pending.extend(page.links)
    close()
    blocks.extend(pending)
    text = "\n\n".join(masthead + blocks) + "\n"
    return FileText(text=text, format="pdf", pages=len(pages), furniture=tuple(furniture))


def _notes(lines: list[_Line]) -> list[str]:
    """Footnote lines as `<sup>N</sup> text`, continuation lines joined to their note."""
    out: list[list[str]] = []
    for ln in lines:
        t = re.sub(r"</?sup>", "", ln.text).strip()
        m = _NOTE_START.match(t)
        if m is not None or not out:
            mark = m.group(1) if m else ""
            rest = t[m.end():] if m else t
            out.append([mark, rest.strip()])
        else:
            out[-1][1] = _join(out[-1][1], t)
    return [f"<sup>{mark}</sup> {rest}" if mark else rest for mark, rest in out]


# --------------------------------------------------------------------------- DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


def _check_zip(data: bytes) -> None:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Refused("not a Word (.docx) file: not a zip archive") from None
    infos = z.infolist()
    if len(infos) > MAX_DOCX_MEMBERS:
        raise Refused(f"not a plausible Word file: {len(infos)} parts in the archive")
    inflated = sum(i.file_size for i in infos)
    if inflated > MAX_DOCX_INFLATED:
        raise Refused(
            f"the Word file would inflate to {inflated:,} bytes (at most {MAX_DOCX_INFLATED:,}): refused"
        )
    if "word/document.xml" not in z.namelist():
        raise Refused("not a Word (.docx) file: no word/document.xml")


def _xml(blob: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(blob, parser)


def _read_docx(data: bytes) -> FileText:
    try:
        return _read_docx_checked(data)
    except Refused:
        raise
    except Exception as e:  # odd XML in a part python-docx reads lazily: a damaged file
        raise Refused(f"unreadable Word file ({type(e).__name__})") from None


def _read_docx_checked(data: bytes) -> FileText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_zip(data)
    try:
        d = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise Refused(f"unreadable Word file: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    except Exception as e:  # lxml syntax errors and the like: a damaged file
        raise Refused(f"unreadable Word file: {type(e).__name__}") from None

    notes: dict[str, str] = {}
    for rel in d.part.rels.values():
        if rel.reltype == _FOOTNOTES_REL and not rel.is_external:
            try:
                root = _xml(rel.target_part.blob)
            except Exception:
                raise Refused("unreadable Word file: damaged footnotes") from None
            for fn in root.iter(f"{_W}footnote"):
                if fn.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                text = "".join(t.text or "" for t in fn.iter(f"{_W}t")).strip()
                notes[fn.get(f"{_W}id", "")] = text

    furniture: list[str] = []
    masthead: list[str] = []
    for sec in d.sections[:1]:
        for hf in (sec.first_page_header, sec.header, sec.footer, sec.first_page_footer):
            try:
                lines = [p.text.strip() for p in hf.paragraphs if p.text.strip()]
            except Exception:
                lines = []
            for t in lines:
                furniture.append(t)
                if _SYMBOL_LINE.match(t) and t not in masthead:
                    masthead.append(t)

    blocks: list[str] = []
    pending: list[str] = []  # footnotes and links wait for a paragraph that ends a clause
    number = 0
    for p in d.paragraphs:
        parts: list[str] = []
        called: list[tuple[str, str]] = []
        custom_next = False
        for r in p._p.iter(f"{_W}r"):
            rpr = r.find(f"{_W}rPr")
            va = rpr.find(f"{_W}vertAlign") if rpr is not None else None
            sup = va is not None and va.get(f"{_W}val") == "superscript"
            ref = r.find(f"{_W}footnoteReference")
            if ref is not None:
                fid = ref.get(f"{_W}id", "")
                if ref.get(f"{_W}customMarkFollows") in ("1", "true", "on"):
                    custom_next = True  # the mark is the text of the next run
                    called.append(("", fid))
                    continue
                number += 1
                parts.append(f"<sup>{number}</sup>")
                called.append((str(number), fid))
                continue
            text = "".join(
                (t.text or "") if t.tag == f"{_W}t" else " " for t in r
                if t.tag in (f"{_W}t", f"{_W}tab", f"{_W}br")
            )
            if not text:
                continue
            if custom_next:
                custom_next = False
                called[-1] = (text.strip(), called[-1][1])
                parts.append(f"<sup>{text.strip()}</sup>")
            elif sup:
                parts.append(f"<sup>{text}</sup>")
            else:
                parts.append(text)
        line = re.sub(r"\s*\n\s*", " ", "".join(parts)).strip()
        line = line.replace("</sup><sup>", "")
        if not line:
            continue
        blocks.append(line)
        defs = [f"<sup>{m}</sup> {notes[fid]}" for m, fid in called if m and fid in notes and notes[fid]]
        if defs:
            pending.append("__________________")
            pending.extend(defs)
        # hyperlinks (undocs links corroborate the citations) one a line after the paragraph,
        # as the PDF reader puts a page's link annotations
        for h in p._p.iter(f"{_W}hyperlink"):
            rel = d.part.rels.get(h.get(_R_ID, ""))
            if rel is not None and rel.is_external and rel.target_ref.startswith(("http://", "https://")):
                pending.append(rel.target_ref.strip())
        if pending and ends_clause(line):
            blocks.extend(pending)
            pending.clear()
    blocks.extend(pending)
    if not blocks:
        raise Refused("no text in the Word file")
    text = "\n\n".join(masthead + blocks) + "\n"
    return FileText(text=text, format="docx", pages=1, furniture=tuple(furniture))


# --------------------------------------------------------------------------- isolated reading

#: Limits of the process that reads a file (a hostile PDF may try to exhaust either).
ISOLATED_MEMORY_BYTES = 1024 * 1024 * 1024
ISOLATED_CPU_SECONDS = 30
ISOLATED_WALL_SECONDS = 60
#: Where the reader starts (`python -m app.documents.files` imports the checkout's `app`).
READER_CWD = Path(__file__).resolve().parents[2]
_OVER_LIMITS = "the file could not be read within the memory and time allowed"


def isolated_command(fmt: str | None = None) -> list[str]:
    """The command that reads files in a process of its own under the memory and CPU limits
    above, killed when the thread that started it dies (app/confine.py): with `fmt` (a
    `format_of`: "pdf", "docx" or "txt"), one file's bytes on stdin and one JSON object out (the
    `FileText`, or `{"refused": reason}`); without, one file after another (`IsolatedReader`).
    No file name is ever on it: the reader is handed bytes, and resolves no name."""
    import sys

    from app import confine

    if fmt is not None and "." + fmt not in SUFFIXES:
        raise ValueError(f"not a format: {fmt!r}")
    cpu = ISOLATED_CPU_SECONDS if fmt is not None else None  # many files: counted afresh for each
    limits = ["--memory", str(ISOLATED_MEMORY_BYTES), "--cpu", str(ISOLATED_CPU_SECONDS)]
    one = ["--format", fmt] if fmt is not None else ["--serve"]
    command, _before = confine.command([sys.executable, "-m", "app.documents.files", *limits, *one],
                                       ISOLATED_MEMORY_BYTES, cpu)
    return command  # without util-linux's wrappers, the reader applies the limits to itself


def _from_reply(obj: dict) -> FileText:
    if "refused" in obj:
        raise Refused(obj["refused"])
    return FileText(obj["text"], obj["format"], obj["pages"], tuple(obj["furniture"]))


def result_of(returncode: int, stdout: bytes) -> FileText:
    """The `FileText` an isolated reader printed, or `Refused` with the reason it gave or died of."""
    import json

    if returncode != 0:
        raise Refused(_OVER_LIMITS)
    try:
        obj = json.loads(stdout)
    except ValueError:
        raise Refused("the file could not be read") from None
    return _from_reply(obj)


def read_isolated(data: bytes, filename: str) -> FileText:
    """`read_bytes` in a process of its own under memory, CPU and wall-clock limits."""
    import subprocess

    fmt = format_of(filename)
    try:
        out = subprocess.run(isolated_command(fmt), input=data, capture_output=True,
                             timeout=ISOLATED_WALL_SECONDS, cwd=READER_CWD)
    except subprocess.TimeoutExpired:
        raise Refused(f"reading the file took more than {ISOLATED_WALL_SECONDS} s") from None
    return result_of(out.returncode, out.stdout)


class IsolatedReader:
    """`read_bytes` under the limits of `read_isolated`, for many files one after another: one
    long-lived process reads them in turn (starting Python and pypdfium2 for each file costs ten
    times the reading of a seed PDF), with the CPU limit counted afresh for each file. A file
    that kills the process or outlasts the wall-clock limit is refused, and the next file gets a
    new process."""

    def __init__(self) -> None:
        self._proc = None

    def __enter__(self) -> "IsolatedReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()

    def read(self, data: bytes, filename: str) -> FileText:
        import json
        import struct
        import subprocess

        fmt = format_of(filename).encode()
        if len(data) > MAX_FILE_BYTES:
            raise Refused(f"file too large: {len(data):,} bytes (at most {MAX_FILE_BYTES:,})")
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._proc = subprocess.Popen(isolated_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, cwd=READER_CWD, bufsize=0)
        try:
            self._proc.stdin.write(struct.pack(">IQ", len(fmt), len(data)) + fmt)
            self._proc.stdin.write(data)
            (size,) = struct.unpack(">Q", self._receive(8))
            reply = json.loads(self._receive(size))
        except TimeoutError:  # before OSError, of which it is one
            self.close()
            raise Refused(f"reading the file took more than {ISOLATED_WALL_SECONDS} s") from None
        except (OSError, EOFError, ValueError, struct.error):  # it died of the limits: no reply
            self.close()
            raise Refused(_OVER_LIMITS) from None
        return _from_reply(reply)

    def _receive(self, n: int) -> bytes:
        import os
        import select
        import time

        deadline = time.monotonic() + ISOLATED_WALL_SECONDS
        fd = self._proc.stdout.fileno()
        chunks: list[bytes] = []
        while n > 0:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError("the reader process ended")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)


def _reply(data: bytes, fmt: str) -> dict:
    try:
        ft = read_format(data, fmt)
        return {"text": ft.text, "format": ft.format, "pages": ft.pages, "furniture": list(ft.furniture)}
    except Refused as e:
        return {"refused": str(e)}
    except MemoryError:
        return {"refused": "the file needs more memory to read than is allowed", "memory": True}
    except Exception as e:  # a damaged file that trips a library: refused, never a traceback
        return {"refused": f"unreadable file ({type(e).__name__})"}


def _main() -> None:
    import argparse
    import json
    import resource
    import struct
    import sys

    from app import confine

    parser = argparse.ArgumentParser()
    parser.add_argument("--memory", type=int, default=ISOLATED_MEMORY_BYTES)
    parser.add_argument("--cpu", type=int, default=ISOLATED_CPU_SECONDS)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--serve", action="store_true")
    mode.add_argument("--format", choices=[s[1:] for s in SUFFIXES])
    args = parser.parse_args()
    # what setpriv and prlimit did before this started, if they were there; else done here
    confine.apply(args.memory, None if args.serve else args.cpu)
    if not args.serve:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        sys.stdout.write(json.dumps(_reply(data, args.format), ensure_ascii=False))
        return
    # one file after another: a 12-byte header (format and data lengths), the format ("pdf",
    # "docx" or "txt"), the data; a reply is its length (8 bytes) and a JSON object
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        head = inp.read(12)
        if len(head) < 12:
            return  # the reading side is gone
        n_fmt, n_data = struct.unpack(">IQ", head)
        if n_fmt > 8 or n_data > MAX_FILE_BYTES:
            return
        fmt = inp.read(n_fmt).decode("ascii", "replace")
        data = inp.read(n_data)
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(used.ru_utime + used.ru_stime) + args.cpu + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
        reply = _reply(data, fmt)
        body = json.dumps(reply, ensure_ascii=False).encode("utf-8", "replace")
        out.write(struct.pack(">Q", len(body)) + body)
        out.flush()
        if reply.get("memory"):
            return  # what a failed allocation leaves behind is not worth keeping


if __name__ == "__main__":
    _main()
