"""PDF and Word files laid out like UN documents, made from the seed texts during the test run.

A seed text is cut into its logical paragraphs by the extractor's own `split`, then set again
as the UN prints it: a masthead on the first page (the symbol where the seed states one, the
distribution lines where the seed has them), a running header with the symbol, a footer with
the page number (`3/4`) and a job number, the recycling line on the first page, footnotes at
the foot of the page that calls them (the call a superscript), and the undocs hyperlinks as
link annotations. Nothing here is read back by the tests: only the bytes are.

PDF: reportlab with Debian's WenQuanYi Micro Hei (TTC subfont 0). DOCX: python-docx, with real
footnotes (word/footnotes.xml) added to the package, since python-docx cannot write them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from app.citations.clean import is_cjk, split

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed_data"
FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT = "WQYMicroHei"

_SUP = re.compile(r"<sup>\s*([^<>]{1,4}?)\s*</sup>")
_HEADING = re.compile(r"^#{1,6}\s*")
_MASTHEAD = re.compile(r"^(?:Distr\.?\s*:.*|Original\s*:.*|Chinese|English|French|Russian|Spanish|Arabic"
                       r"|\d{1,2}\s+[A-Z][a-z]+\s+\d{4})$")


@dataclass
class Para:
    runs: list[tuple[str, bool]]  # (text, superscript)
    calls: list[str] = field(default_factory=list)  # footnote marks called, in order


@dataclass
class Note:
    mark: str
    text: str


@dataclass
class Layout:
    symbol: str | None
    masthead: list[str]
    items: list[Para | Note]  # text order; a Note stands where the seed defines it
    links: list[tuple[int, str]]  # (index of the item before the link line, url)
    job: str


def _facts(name: str) -> dict:
    facts = json.loads((SEED_DIR / "facts.json").read_text(encoding="utf-8"))
    return next(d for d in facts["documents"] if d["file"] == name)


def _bare_call(mark: str) -> re.Pattern[str]:
    # a footnote mark written as a plain number or star right after a word or a closing mark
    # (seed 001: `议程》1 提出`, `成果文件5 在`, `：* 决议草案`; seed 003: `的声明， 1 其中`)
    m = re.escape(mark)
    return re.compile(
        rf"(?<=[\u2e80-\uffff》”’)]) ?{m}(?=[ \u2e80-\uffff]|$)(?![ ]?[年月日号條条卷届次个])"
    )


@cache
def layout(name: str) -> Layout:
    """The seed text `name` (e.g. `001_0fd7e56c3f5b41c3.txt`) as paragraphs, notes and links."""
    text = (SEED_DIR / name).read_text(encoding="utf-8")
    doc = split(text)
    fact = _facts(name)
    symbol = (fact.get("symbol") or {}).get("value")
    masthead = [ln.strip() for ln in text.splitlines()[:8] if _MASTHEAD.match(ln.strip())]
    items: list[Para | Note] = []
    for p in doc.paragraphs:
        if p.kind == "footnote":
            items.append(Note(p.mark or "", p.text))
            continue
        t = _HEADING.sub("", p.text)
        if t in masthead:
            continue
        runs: list[tuple[str, bool]] = []
        calls: list[str] = []
        pos = 0
        for m in _SUP.finditer(t):
            runs.append((t[pos : m.start()], False))
            runs.append((m.group(1), True))
            calls.append(m.group(1))
            pos = m.end()
        runs.append((t[pos:], False))
        items.append(Para([r for r in runs if r[0]], calls))
    # plain-number calls: for each note nobody calls with <sup>, the last match in the
    # nearest body paragraph before its definition
    for i, note in enumerate(items):
        if not isinstance(note, Note) or any(
            isinstance(p, Para) and note.mark in p.calls for p in items
        ):
            continue
        pat = _bare_call(note.mark)
        for j in range(i - 1, -1, -1):
            p = items[j]
            if not isinstance(p, Para):
                continue
            hits = [(k, m) for k, (s, sup) in enumerate(p.runs) if not sup
                    for m in pat.finditer(s)]
            if hits:
                k, m = hits[-1]
                s = p.runs[k][0]
                mark_at = m.start() + (1 if s[m.start()] == " " else 0)
                before, after = s[:mark_at].rstrip(), s[m.end():]
                new = [(before, False), (note.mark, True), (after, False)]
                p.runs[k : k + 1] = [r for r in new if r[0]]
                p.calls.append(note.mark)
                break
    starts = [p.start for p in doc.paragraphs]
    links = []
    for ln in doc.links:
        before = sum(1 for s in starts if s < ln.start) - 1
        links.append((max(before, 0), ln.url))
    job = f"{int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) % 100:02d}-" \
          f"{int(hashlib.sha256(name.encode()).hexdigest()[6:12], 16) % 100000:05d}"
    if "23-16564" in text:
        job = "23-16564"
    return Layout(symbol, masthead, items, links, job)


# --------------------------------------------------------------------------- PDF


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))


def _units(runs: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Break points: every CJK character, every Latin word, every space; a superscript stays
    with what precedes it."""
    out: list[tuple[str, bool]] = []
    for text, sup in runs:
        if sup:
            out.append((text, True))
            continue
        for m in re.finditer(r"[\u2e80-\uffff“”‘’—…·]|[^\s\u2e80-\uffff“”‘’—…·]+|\s", text):
            out.append((m.group(0), False))
    return out


BODY, LEAD, NOTE, NOTE_LEAD, SUP = 11.0, 17.0, 8.5, 11.5, 6.5


def pdf_bytes(name: str, *, pages_extra: int = 0, body: float = 11.0, note: float = 8.5) -> bytes:
    """The seed text `name` as a PDF laid out like a UN document (`body` and `note`: the font
    sizes of the text and of the footnotes)."""
    global BODY, NOTE, LEAD, NOTE_LEAD
    saved = BODY, NOTE, LEAD, NOTE_LEAD
    BODY, NOTE, LEAD, NOTE_LEAD = body, note, body * 17 / 11, note * 11.5 / 8.5
    try:
        return _pdf_bytes(name, pages_extra)
    finally:
        BODY, NOTE, LEAD, NOTE_LEAD = saved


def _pdf_bytes(name: str, pages_extra: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    _register_font()
    lay = layout(name)
    W, H = A4
    left, right, top, bottom, indent = 72.0, W - 72.0, H - 120.0, 96.0, 22.0
    width = right - left

    def sw(s: str, size: float) -> float:
        return stringWidth(s, FONT, size)

    def wrap(units: list[tuple[str, bool]], first_indent: float, size: float, avail: float):
        lines: list[list[tuple[str, bool]]] = []
        cur: list[tuple[str, bool]] = []
        x = first_indent
        for u, sup in units:
            w = sw(u, SUP if sup else size)
            if not sup and u.isspace() and not cur:
                continue
            if cur and not sup and x + w > avail and not u.isspace():
                while cur and cur[-1][0].isspace():
                    cur.pop()
                lines.append(cur)
                cur, x = [], 0.0
            cur.append((u, sup))
            x += w
        while cur and cur[-1][0].isspace():
            cur.pop()
        if cur:
            lines.append(cur)
        return lines

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(lay.symbol or name)
    notes = {n.mark: n for n in lay.items if isinstance(n, Note)}
    note_lines = {
        m: wrap(_units([(n.text, False)]), 0.0, NOTE, width - 18) for m, n in notes.items()
    }

    # lay the body out into pages first (the footer needs the page count)
    pages: list[dict] = [{"lines": [], "notes": [], "links": []}]
    y = top
    placed: set[str] = set()
    para_page: dict[int, int] = {}

    def notes_height(marks: list[str]) -> float:
        return (14.0 + sum(len(note_lines[m]) * NOTE_LEAD for m in marks)) if marks else 0.0

    for idx, item in enumerate(lay.items):
        if isinstance(item, Note):
            if not any(item.mark in p.calls for p in lay.items if isinstance(p, Para)):
                if item.mark not in placed:  # never called: at the foot of this page
                    pages[-1]["notes"].append(item.mark)
                    placed.add(item.mark)
            continue
        for k, ln in enumerate(wrap(_units(item.runs), indent, BODY, width)):
            new = [u for u, sup in ln if sup and u in notes and u not in placed]
            need = notes_height(pages[-1]["notes"] + new)
            if y - LEAD < bottom + need:
                pages.append({"lines": [], "notes": [], "links": []})
                y = top
            pages[-1]["lines"].append((y, indent if k == 0 else 0.0, ln))
            for m in new:
                pages[-1]["notes"].append(m)
                placed.add(m)
            y -= LEAD
        y -= 6.0
        para_page[idx] = len(pages) - 1
    for before, url in lay.links:
        p = max((para_page[i] for i in para_page if i <= before), default=0)
        pages[p]["links"].append(url)
    for _ in range(pages_extra):
        pages.append({"lines": [], "notes": [], "links": []})

    total = len(pages)
    for n, page in enumerate(pages, start=1):
        c.setFont(FONT, 9)
        if n == 1:
            # masthead: the organ on the left, the symbol and distribution lines on the right
            c.setFont(FONT, 16)
            c.drawString(left, H - 60, "联合国")
            c.setFont(FONT, 14)
            c.drawString(left, H - 82, "大会")
            c.setFont(FONT, 9)
            ys = H - 50
            for line in ([lay.symbol] if lay.symbol else []) + lay.masthead:
                c.drawRightString(right, ys, line)
                ys -= 11
            c.drawString(left, 40, lay.job)
            c.drawRightString(right, 40, "请回收")
            c.drawRightString(right, 30, "Please recycle")
        else:
            if lay.symbol:
                c.drawString(left if n % 2 == 0 else right - sw(lay.symbol, 9), H - 50, lay.symbol)
            foot = f"{n}/{total}"
            if n % 2 == 0:
                c.drawString(left, 50, foot)
                c.drawRightString(right, 50, lay.job)
            else:
                c.drawString(left, 50, lay.job)
                c.drawRightString(right, 50, foot)
        for y, x0, ln in page["lines"]:
            x = left + x0
            for u, sup in ln:
                if sup:
                    c.setFont(FONT, SUP)
                    c.drawString(x, y + 4.0, u)
                    x += sw(u, SUP)
                else:
                    c.setFont(FONT, BODY)
                    c.drawString(x, y, u)
                    x += sw(u, BODY)
        if page["notes"]:
            ny = bottom - 4 + notes_height(page["notes"]) - 14.0
            c.setLineWidth(0.5)
            c.line(left, ny + 10, left + 120, ny + 10)
            for m in page["notes"]:
                for k, ln in enumerate(note_lines[m]):
                    c.setFont(FONT, NOTE)
                    if k == 0:
                        c.drawString(left + 4, ny, m)
                    c.drawString(left + 18, ny, "".join(u for u, _ in ln))
                    ny -= NOTE_LEAD
        for k, url in enumerate(page["links"]):
            c.linkURL(url, (right - 20, 100 + 6 * k, right - 14, 104 + 6 * k), relative=0)
        c.showPage()
    c.save()
    return buf.getvalue()


# --------------------------------------------------------------------------- DOCX

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(name: str) -> bytes:
    """The seed text `name` as a Word document: header with the symbol, footer with a page
    number field and the job number, superscript calls, real footnotes."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lay = layout(name)
    d = docx.Document()
    sec = d.sections[0]
    sec.header.paragraphs[0].text = lay.symbol or ""
    fp = sec.footer.paragraphs[0]
    fp.add_run(lay.job + "    ")
    for kind, txt in (("begin", None), (None, " PAGE "), ("end", None)):
        r = fp.add_run()
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.text = txt
        r._r.append(el)
    for line in lay.masthead:
        d.add_paragraph(line)
    note_ids: dict[str, int] = {}
    notes = {n.mark: n for n in lay.items if isinstance(n, Note)}
    uncalled = [m for m in notes if not any(m in p.calls for p in lay.items if isinstance(p, Para))]
    # each undocs link wraps the first mention of its symbol no other link has taken, as Word
    # files carry them; a link to a symbol the text never writes goes, empty, after the paragraph
    # the seed lists it after
    paras = [p for p in lay.items if isinstance(p, Para)]
    wrap_at: dict[int, list[tuple[str, str]]] = {}
    taken: dict[tuple[int, str], int] = {}
    for before, url in lay.links:
        short = re.sub(r"^A/RES/|^S/RES/", "", url.split("/", 4)[-1])
        for k, p in enumerate(paras):
            text = "".join(t for t, sup in p.runs if not sup)
            if text.count(short) > taken.get((k, short), 0):
                taken[(k, short)] = taken.get((k, short), 0) + 1
                wrap_at.setdefault(k, []).append((short, url))
                break
        else:
            k = max((i for i, p in enumerate(paras) if lay.items.index(p) <= before), default=0)
            wrap_at.setdefault(k, []).append(("", url))
    for k, item in enumerate(paras):
        p = d.add_paragraph()
        links = list(wrap_at.get(k, []))
        runs: list[tuple[str, bool, str | None]] = []
        for text, sup in item.runs:
            while not sup and links and links[0][0] and links[0][0] in text:
                short, url = links.pop(0)
                i = text.index(short)
                runs += [(text[:i], False, None), (short, False, url)]
                text = text[i + len(short):]
            runs.append((text, sup, None))
        runs += [("", False, url) for short, url in links]
        for text, sup, url in runs:
            if url is not None:
                _hyperlink(p, text, url)
                continue
            if not text:
                continue
            if sup and text in notes and text not in note_ids:
                note_ids[text] = len(note_ids) + 1
                r = p.add_run()
                rpr = OxmlElement("w:rPr")
                va = OxmlElement("w:vertAlign")
                va.set(qn("w:val"), "superscript")
                rpr.append(va)
                r._r.append(rpr)
                ref = OxmlElement("w:footnoteReference")
                ref.set(qn("w:id"), str(note_ids[text]))
                if not text.isdigit():
                    ref.set(qn("w:customMarkFollows"), "1")
                r._r.append(ref)
                if not text.isdigit():
                    p.add_run(text).font.superscript = True
            else:
                p.add_run(text).font.superscript = sup
    for m in uncalled:  # a note nothing calls: a plain paragraph, as some conversions leave it
        d.add_paragraph(f"{m} {notes[m].text}")
    out = io.BytesIO()
    d.save(out)
    return _add_footnotes(out.getvalue(), {i: notes[m].text for m, i in note_ids.items()})


def _hyperlink(paragraph, text: str, url: str) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    h = OxmlElement("w:hyperlink")
    h.set(qn("r:id"), rid)
    if text:
        r = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = text
        t.set(qn("xml:space"), "preserve")
        r.append(t)
        h.append(r)
    paragraph._p.append(h)


def _add_footnotes(data: bytes, notes: dict[int, str]) -> bytes:
    from xml.sax.saxutils import escape

    body = "".join(
        f'<w:footnote w:id="{i}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {escape(t)}</w:t></w:r></w:p>'
        f"</w:footnote>"
        for i, t in notes.items()
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{_W}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
        f"</w:r></w:p></w:footnote>{body}</w:footnotes>"
    )
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
                )
            elif info.filename == "word/_rels/document.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdFootnotes1" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
                    b"</Relationships>",
                )
            z.writestr(info, content)
        z.writestr("word/footnotes.xml", xml.encode("utf-8"))
    return out.getvalue()


SEED_FILES = sorted(p.name for p in SEED_DIR.glob("*.txt"))


def write_all(folder: Path, kind: str = "pdf") -> list[Path]:
    """Every seed as `kind` (pdf or docx) in `folder`; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in SEED_FILES:
        path = folder / (Path(name).stem + "." + kind)
        path.write_bytes(pdf_bytes(name) if kind == "pdf" else docx_bytes(name))
        out.append(path)
    return out


__all__ = ["SEED_FILES", "docx_bytes", "is_cjk", "layout", "pdf_bytes", "write_all"]
