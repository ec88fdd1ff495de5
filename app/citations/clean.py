"""Stage 1: clean a UN text into logical paragraphs (docs/extraction.md, "Logical paragraphs").

In: the text exactly as given. Out: a `Document` holding

- `folded`: the text with fullwidth forms folded to ASCII (`５９／５０` -> `59/50`, `（` -> `(`,
  `，` -> `,`). The fold is *length-preserving* (one character for one character), so an offset
  into `folded` is the same offset into the original text;
- `paragraphs`: the logical paragraphs (body paragraphs and footnotes) in text order, each
  reassembled from its physical lines with an `OffsetMap` back to the original text;
- `links`: the undocs URLs; page furniture, rules and link lines are dropped.

Two layouts occur (seeds/README: texts converted from PDF or from markdown):

- **pdf** (seeds 001, 003): physical lines separated by blank lines; a paragraph starts with an
  indent space, a continuation line starts in column 0. A line only wraps when it is (nearly)
  full, so a column-0 line after a *short* line starts a new paragraph (seed 001: the
  headings `第七十七届会议` / `议程项目 127(s)`; seed 003: the signature after `…分发为荷。`).
- **markdown** (seeds 000, 002, 004): one paragraph per line or per block of adjacent lines,
  blank lines between paragraphs.

In both, footnote blocks (after a rule, or `<sup>N</sup> …` at the start of a line) and page
furniture may stand in the middle of a paragraph (seed 004: `…和 2013` ⏎ footnotes ⏎
`年 8 月 6 日的声明，…`): the paragraph goes on after them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from .languages import LANGUAGES

__all__ = [
    "BARCODE",
    "Document",
    "JOB_NUMBER",
    "PAGE_NUMBER",
    "OffsetMap",
    "Paragraph",
    "ends_clause",
    "fold",
    "is_cjk",
    "split",
]

# --------------------------------------------------------------------------- folding

_FOLD_TABLE: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE.update(
    {
        0x3000: 0x20,  # ideographic space
        0x00A0: 0x20,  # no-break space
        0x2007: 0x20,
        0x202F: 0x20,
        0x2010: 0x2D,  # hyphens / en dash inside joint symbols (A/71/160–S/2016/621)
        0x2011: 0x2D,
        0x2012: 0x2D,
        0x2013: 0x2D,
        0x2215: 0x2F,  # division slash
        0x2044: 0x2F,  # fraction slash
        0xFE50: 0x2C,  # small comma
        0xFE51: 0x2C,  # small ideographic comma -> ',' (a clause separator either way)
    }
)


_FOLD_CHARS = {chr(k): chr(v) for k, v in _FOLD_TABLE.items()}
_FOLDABLE = re.compile("[" + "".join(re.escape(c) for c in sorted(_FOLD_CHARS)) + "]")


def fold(text: str) -> str:
    """Fold fullwidth forms (and a few look-alikes) to ASCII, one character for one.

    In: any text. Out: a string of the same length where `folded[i]` is the folded form of
    `text[i]`, so every offset found in the folded text is an offset into `text`.
    """
    # `str.translate` looks every character up in a dict (slow on CJK text); a few
    # `str.replace` passes over the characters that do occur are ~7x faster.
    for ch in set(_FOLDABLE.findall(text)):
        text = text.replace(ch, _FOLD_CHARS[ch])
    return text


def is_cjk(ch: str) -> bool:
    """True for the characters the paragraph-joining rule treats as CJK.

    CJK ideographs, CJK punctuation (`，。《》「」`), fullwidth forms, and the curly quotes
    `“”‘’` and `—…·` that Chinese text uses as full-width punctuation.
    """
    return ch >= "\u2e80" or ch in _CJK_PUNCT


_CJK_PUNCT = "“”‘’—…·"


# --------------------------------------------------------------------------- offset map


class OffsetMap:
    """Maps offsets in a reassembled paragraph back to offsets in the original text.

    A paragraph is the concatenation of original slices `segs[k] = (start, end)` with either
    nothing or one space between them. `joined_starts[k]` is where slice k begins in the
    joined string. Lookups are O(log n) (bisect), building is O(number of slices).
    """

    __slots__ = ("segs", "joined_starts")

    def __init__(self, segs: list[tuple[int, int]], joined_starts: list[int]):
        self.segs = segs
        self.joined_starts = joined_starts

    def to_original(self, j: int) -> int:
        """Offset in the original text of the joined character at `j`.

        A position that falls on an inserted join space maps to the end of the slice before it.
        """
        k = bisect_right(self.joined_starts, j) - 1
        if k < 0:
            return self.segs[0][0]
        s, e = self.segs[k]
        pos = s + (j - self.joined_starts[k])
        return pos if pos < e else e

    def span_to_original(self, js: int, je: int) -> tuple[int, int]:
        """Original (start, end) of the joined span [js, je): a half-open span whose end is
        just past the original character of `je - 1`."""
        if je <= js:
            s = self.to_original(js)
            return s, s
        return self.to_original(js), self.to_original(je - 1) + 1


# --------------------------------------------------------------------------- model


class Paragraph:
    """One logical paragraph: a body paragraph or a footnote.

    A plain class (not a dataclass): thousands are made per document and a lean `__init__`
    matters for throughput (bench/extract.py).
    """

    # defaults shared by every instance until set
    mark: str | None = None  # footnote mark ("1", "*") for a footnote
    numbered = False  # starts with an operative number `1.`
    anchor = False  # `大会，` / `The General Assembly,`
    annex = False  # `附件二` / `Annex`: ends a resolution
    call_lines: list[tuple[int, str]] = []  # (seg index, mark) of bare call-mark lines; never mutated
    index = -1
    location = "body"
    text = ""  # reassembled from the original text (the `paragraph` field); set by `finish`
    folded = ""  # the same, folded (what the finders read)
    omap: "OffsetMap | None" = None

    def __init__(self, kind: str, segs: list[tuple[int, int]], last_width: int, def_pos: int):
        self.kind = kind  # "body" | "footnote"
        self.segs = segs  # original (start, end) of each physical line's content
        self.last_width = last_width  # display width of its last physical line (pdf layout)
        self.def_pos = def_pos  # offset of the footnote's mark (call binding)

    def __repr__(self) -> str:
        return f"Paragraph({self.index}, {self.kind}, {self.text[:30]!r})"

    @property
    def start(self) -> int:
        return self.segs[0][0] if self.segs else self.def_pos

    def finish(self, text: str, folded: str) -> None:
        """Join the slices: nothing between two CJK characters, one space otherwise."""
        segs = self.segs
        if len(segs) == 1:
            s, e = segs[0]
            self.text = text[s:e]
            self.folded = folded[s:e]
            self.omap = OffsetMap(segs, [0])
            return
        parts_o: list[str] = []
        parts_f: list[str] = []
        starts: list[int] = []
        pos = 0
        prev_last = ""
        P = _CJK_PUNCT
        prev_seg = (0, 0)
        for s, e in segs:
            if parts_o:
                # the join rule reads the original characters (a fullwidth `，` is CJK);
                # `is_cjk` inlined
                nxt = text[s]
                if not ((prev_last >= "\u2e80" or prev_last in P) and (nxt >= "\u2e80" or nxt in P)) and not (
                    folded[prev_seg[1] - 1] in _SYMBOL_CHARS
                    and folded[s] in _SYMBOL_CHARS
                    and _broken_symbol(folded, prev_seg, (s, e))
                ):
                    parts_o.append(" ")
                    parts_f.append(" ")
                    pos += 1
            starts.append(pos)
            parts_o.append(text[s:e])
            parts_f.append(folded[s:e])
            pos += e - s
            prev_last = text[e - 1]
            prev_seg = (s, e)
        self.text = "".join(parts_o)
        self.folded = "".join(parts_f)
        self.omap = OffsetMap(segs, starts)


# A symbol broken by a line break anywhere inside it (`第 64/1` ⏎ `83 号`, `S/PRST/2010/` ⏎ `1`,
# `1631(20` ⏎ `05)`): PDF text breaks wherever the line is full. Its two halves join with
# nothing, so the finder sees one symbol, when they make one that the normalizer accepts and the
# break could not stand between two separate things (a digit on both sides, letters inside a
# series name, or a `/`, `(`, `)`, `-` or `.` at the break).
_SYMBOL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/().-")
_TAIL = re.compile(r"[A-Z0-9/().\-]{1,40}$")
_HEAD = re.compile(r"[A-Z0-9/().\-]{1,40}")


def _broken_symbol(folded: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    from app.symbols import normalize

    lt = _TAIL.search(folded, max(left[0], left[1] - 40), left[1])
    rh = _HEAD.match(folded, right[0], min(right[1], right[0] + 40))
    if lt is None or rh is None:
        return False
    a, b = lt.group(0), rh.group(0).rstrip(".")
    if not (
        a[-1] in "/(-."
        or b[0] in "/).-"
        or (a[-1].isdigit() and b[0].isdigit())
        # inside a series name (`S/P` ⏎ `RST/2010/1`), not after a complete part
        or (a[-1].isalpha() and b[0].isalpha() and a.rsplit("/", 1)[-1].isalpha())
    ):
        return False
    joined = (a + b).lstrip("(")
    if "/" not in joined and "(" not in joined:
        return False
    return normalize(joined).symbol is not None


@dataclass(slots=True)
class Link:
    url: str  # as written
    start: int  # of the URL
    end: int
    sym_start: int  # of the symbol part of the URL
    sym_end: int
    line: str  # the whole line, stripped


@dataclass(slots=True)
class Document:
    text: str
    folded: str
    layout: str
    paragraphs: list[Paragraph]
    links: list[Link]


# --------------------------------------------------------------------------- line patterns

_RULE = re.compile(r"^(?:_{3,}|-{3,}|\*{3,}|—{3,}|={3,}|(?:_\s){3,}_?)$")
_URL_LINE = re.compile(r"^(?:<?(?:https?://|www\.)\S+>?\s*)+$")
# after `undocs.org`: an optional lower-case language segment (`ch`, `zh`, `en`, `zh-CN`; a symbol
# series is upper-case, `ST/…`), then the symbol
_UNDOCS_TAIL = re.compile(
    r"/(?:(?:[a-z]{2}(?:-[A-Za-z]{2,4})?)/)?(?P<sym>[A-Za-z0-9][^\s<>\"'\]，。；、]{0,80})"
)
# Page furniture that every reader of a UN page knows (the PDF reader and the metadata reader
# in app/documents use these too): a page number `3/4`, a job number `23-16564` or `23-16564 (C)`,
# the barcode line `*2316564*`.
PAGE_NUMBER = r"\d{1,3}\s?/\s?\d{1,3}"
JOB_NUMBER = r"\d{2}-\d{5}(?:\s?\([A-Z]\))?"
BARCODE = r"\*\d{7,8}\*"
_LETTERED_LINE = (
    r"[A-Z]{1,10}(?:\.\d{1,3})?(?:/[A-Za-z0-9.\-]{1,20}){1,8}(?:\s?\((?:\d{4}|[IVXLC]{1,7})\))?"
)
# Page furniture (docs: "a line that holds only the document's own symbol", page and job
# numbers `3/4 23-16564` (seed 001), distribution lines `Distr.: General` (seed 002)).
_FURNITURE = re.compile(
    rf"^(?:(?:{PAGE_NUMBER}\s+)?{JOB_NUMBER}(?:\s+{PAGE_NUMBER})?"
    rf"|{PAGE_NUMBER}"
    rf"|{BARCODE}"
    rf"|(?:(?:{PAGE_NUMBER}|{JOB_NUMBER})\s+)*{_LETTERED_LINE}(?:\s+(?:{PAGE_NUMBER}|{JOB_NUMBER}))*"
    rf")$"
)
_MASTHEAD = re.compile(
    r"^(?:Distr\.?\s*:?.{0,30}|Original\s*:.{0,30}|(?:Arabic|Chinese|English|French|Russian|"
    r"Spanish)(?:\s+and\s+\w+)?|General\s+Assembly|Security\s+Council|United\s+Nations"
    r"|(?:\d{1,2}\s+[A-Z][a-z]+\s+\d{4}))$"
)
_MASTHEAD_START = re.compile(r"^(?:Distr\.?\s*:|Original\s*:)")
_SUP_DEF = re.compile(r"^<sup>\s*([0-9]{1,3}|[*†‡]{1,3}|[a-z])\s*</sup>\s*")
_MD_DEF = re.compile(r"^\[\^([^\]\s]{1,8})\]:\s*")
_BARE_DEF = re.compile(r"^([0-9]{1,3}|\*{1,3}|[†‡])(?:\s+(?![年月日号號条條卷届屆次个個%])(?=\S)|$)")
_BARE_MARK_LINE = re.compile(r"^(?:[0-9]{1,3}|\*{1,3}|[†‡]|<sup>\s*\w{1,4}\s*</sup>)$")
_NUMBERED = re.compile(r"^\d{1,3}\s?\.(?!\d)")
_HEADING = re.compile(r"^#{1,6}\s")
_BULLET = re.compile(r"^[-*+•]\s")
_ANCHOR = re.compile(
    r"^(?:#{1,6}\s*)?(?:" + "|".join(a for lang in LANGUAGES for a in lang.anchors) + r")\s*[,،]$"
)
_ANCHOR_LAST = frozenset(",،")
_ANNEXES = [a for lang in LANGUAGES for a in lang.annexes]
_ANNEX_FIRST = frozenset("#" + "".join(a[0] for a in _ANNEXES))
_ANNEX = re.compile(r"^(?:#{1,6}\s*)?(?:" + "|".join(_ANNEXES) + r")\s*$")
# A paragraph (markdown layout) is "open" - it goes on after a footnote block or furniture -
# when its last line does not end a clause (seed 004: `…包括 2010 年 1 月 13 日<sup>3</sup> 和 2013`).
_TRAILING_CALLS = re.compile(r"(?:\s*(?:<sup>[^<>]{0,8}</sup>|\[\^[^\]]{1,8}\]))+\s*$")
_CLOSED_END = ",.;:!?。，；：！？、)）]】》”\"'"
# Markdown layout: an adjacent line still starts a new paragraph after a clause end when it
# begins like a paragraph (a capital letter, or a lexicon verb: set by pipeline).
_NEW_PARA_START_LATIN = re.compile(r"^[A-Z]")


def _links(text: str, folded: str) -> list[Link]:
    """Every undocs URL in the text, in order: in link lists (seeds 001/003) and inline
    (a markdown `[59/48](https://undocs.org/…)`).

    Found from the literal `undocs.org` (a `str.find`, fast) rather than by a regex scan of
    the whole text."""
    out: list[Link] = []
    i = folded.find("undocs.org")
    while i != -1:
        m = _UNDOCS_TAIL.match(folded, i + 10)
        if m is not None:
            start = i
            if folded.startswith("www.", start - 4):
                start -= 4
            if folded.startswith("https://", start - 8):
                start -= 8
            elif folded.startswith("http://", start - 7):
                start -= 7
            sym_s, sym_e = m.span("sym")
            sym = folded[sym_s:sym_e].rstrip(".,;:")
            if sym.count(")") > sym.count("("):
                sym = sym[: sym.rfind(")")]
            end = sym_s + len(sym)
            ls = folded.rfind("\n", 0, start) + 1
            le = folded.find("\n", end)
            line = text[ls : le if le != -1 else len(text)].strip()
            out.append(Link(text[start:end], start, end, sym_s, end, line))
        i = folded.find("undocs.org", i + 10)
    return out


def _width(s: str) -> int:
    # Display width without a per-character loop: CJK characters are 3 bytes in UTF-8 and two
    # columns wide, ASCII one byte and one column.
    return (len(s.encode("utf-8", "surrogatepass")) + len(s)) >> 1


def _last_char(line: str) -> str:
    """A line's last character, its trailing footnote calls aside ('' when there is none)."""
    last = _TRAILING_CALLS.sub("", line).rstrip()
    return last[-1] if last else ""


def ends_clause(line: str) -> bool:
    """Whether a paragraph's last line ends a clause (`，`, `。`, `;` …, its footnote calls
    aside). One that does not (`…包括 2013`, a heading) goes on after footnotes or furniture, so
    a reader laying out a file (app/documents/files.py) puts its footnotes after one that does."""
    c = _last_char(line)
    return bool(c) and c in _CLOSED_END


def _is_open_md(p: Paragraph, folded: str) -> bool:
    if not p.segs:
        return False
    s, e = p.segs[-1]
    c = _last_char(folded[s:e])
    return bool(c) and c not in _CLOSED_END


# One match per non-blank line: group 1 is the line's content without surrounding spaces.
_LINE = re.compile(r"^[^\S\n]*(\S(?:[^\n]*\S)?)", re.M)
# Lines that may be something other than running text: those that start with an ASCII or a
# marker character, or are short (`大会，`, `附件二`, `Генеральная Ассамблея,`). A long line
# that starts with a CJK character is always text, which spares most regex tests.
_SPECIAL_FIRST = frozenset("†‡•—")


def split(text: str, folded: str | None = None, verb_start: re.Pattern[str] | None = None) -> Document:
    """Cut `text` into logical paragraphs, footnotes, links; drop furniture.

    In: the original text (and its `fold`, computed when not given); `verb_start`, a compiled
    pattern that `match`es when a line begins with a lexicon verb (markdown layout: a line
    that begins with a verb after a clause end starts a new paragraph).
    Out: a `Document`; paragraphs carry their original slices, reassembled text and
    `OffsetMap`, in order of their first character.
    """
    if folded is None:
        folded = fold(text)
    # ---- non-blank physical lines: (content start, content end, indented, adjacent), where
    # `adjacent` means no blank line stands between it and the previous non-blank line
    lines: list[tuple[int, int, bool, bool]] = []
    append = lines.append
    prev_ce = -1
    count = folded.count
    indented = 0
    for m in _LINE.finditer(folded):
        cs, ce = m.span(1)
        ls = m.start()
        if cs > ls:
            indented += 1
            append((cs, ce, True, prev_ce >= 0 and count("\n", prev_ce, ls) == 1))
        else:
            append((cs, ce, False, prev_ce >= 0 and count("\n", prev_ce, ls) == 1))
        prev_ce = ce
    if not lines:
        return Document(text, folded, "markdown", [], [])
    # Paragraph-start indents (a leading space) only occur in PDF conversions; the markdown
    # seeds have none. Short texts count too (gold case regression_date_broken_across_lines_in_list).
    layout = "pdf" if indented and indented * 100 >= len(lines) * 15 else "markdown"

    measure = 0
    widths: list[int] = []
    if layout == "pdf":
        # display width without a per-character loop (see `_width`); link lines count too
        # (they are few and short, the 90th percentile does not move)
        widths = [
            (len(folded[cs:ce].encode("utf-8", "surrogatepass")) + ce - cs) >> 1
            for cs, ce, _, _ in lines
        ]
        measure = sorted(widths)[min(len(widths) - 1, (len(widths) * 9) // 10)]
        if measure > 120:
            # PDF lines are < ~100 columns; one-line-per-paragraph text with some indented
            # lines is markdown after all
            layout = "markdown"
            measure = 0
    full_at = measure * 8 // 10
    pdf = layout == "pdf"

    paragraphs: list[Paragraph] = []
    cur: Paragraph | None = None  # last body paragraph (continuations attach to it)
    cur_fn: Paragraph | None = None  # current footnote
    in_fn = False  # inside a footnote block
    prev_para: Paragraph | None = None  # paragraph the previous physical line went to
    after_call = False  # previous line was a bare call-mark line (seed 003 `1`)
    interrupted = False  # furniture / footnotes / links stood after cur's last line
    pending_def: tuple[str, int] | None = None  # bare mark line in a footnote block
    masthead = False
    last_def_num = 0

    for li, (cs, ce, indent, adjacent) in enumerate(lines):
        if not adjacent:  # a blank line stood before this one
            prev_para = None
            after_call = False
        first = folded[cs]
        if (
            pdf
            and ce - cs > 40
            and first >= "\u2e80"
            and pending_def is None
            and not after_call
            and not in_fn
        ):
            # Fast path for the bulk of a PDF-converted Chinese text: a long line of running
            # text, outside a footnote block. Indented, it starts a paragraph; in column 0 it
            # goes on with the current one when that one's last line was full.
            masthead = False
            width = widths[li]
            if not indent and cur is not None and cur.last_width >= full_at:
                cur.segs.append((cs, ce))
                cur.last_width = width
                prev_para = cur
                interrupted = False
                continue
            interrupted = False
            cur_fn = None
            cur = prev_para = Paragraph("body", [(cs, ce)], width, cs)
            paragraphs.append(cur)
            continue
        line = folded[cs:ce]
        # Only lines that start with an ASCII or marker character can be links, rules,
        # furniture, footnote marks, numbered paragraphs or headings; only short lines can be
        # `大会，` or `附件二`. Long CJK-led lines (most of a Chinese text) skip every test.
        special = first < "\x80" or first in _SPECIAL_FIRST
        short = ce - cs <= 40

        # -- links (undocs hyperlink lists, seeds 001/003)
        if special and first in "hw<" and _URL_LINE.match(line):
            # (the links themselves are collected from the whole text, see `_links`)
            prev_para = None
            interrupted = True
            continue

        width = widths[li] if pdf else 0

        # -- the text of a footnote whose mark stood alone on the line before (seed 003)
        if pending_def is not None:
            mark, mpos = pending_def
            pending_def = None
            cur_fn = Paragraph(kind="footnote", segs=[(cs, ce)], last_width=width, def_pos=mpos)
            cur_fn.mark = mark
            paragraphs.append(cur_fn)
            prev_para = cur_fn
            continue

        anchor = annex = numbered = False
        if special:
            # -- rules open a footnote block
            if first in "_-*—=" and _RULE.match(line):
                in_fn = True
                cur_fn = None
                prev_para = None
                interrupted = True
                continue

            # -- page furniture (short lines only)
            if ce - cs <= 60:
                if _FURNITURE.match(line):
                    prev_para = None
                    interrupted = True
                    continue
                if _MASTHEAD.match(line):
                    if _MASTHEAD_START.match(line):
                        masthead = True
                    # a date alone is furniture only under `Distr.: General` (seed 002 masthead)
                    if masthead or not first.isdigit():
                        prev_para = None
                        interrupted = True
                        continue
            masthead = False

            # -- a footnote mark alone on its line
            if ce - cs <= 12 and _BARE_MARK_LINE.match(line):
                mark = line.strip("<sup>/ ")
                if not in_fn and prev_para is not None and prev_para is cur:
                    # a call right under a body line (seed 003: `的声明，` ⏎ `1` ⏎ ` 其中强调`):
                    # part of the paragraph, and the next line goes on with it
                    assert cur is not None
                    if not cur.call_lines:
                        cur.call_lines = []
                    cur.call_lines.append((len(cur.segs), mark))
                    cur.segs.append((cs, ce))
                    cur.last_width += width
                    after_call = True
                    continue
                # a definition whose text is on the next line (seed 003 footnote 1)
                pending_def = (mark, cs)
                in_fn = True
                prev_para = None
                continue

            # -- footnote definitions
            m = None
            if first == "<":
                m = _SUP_DEF.match(line)
            elif first == "[":
                m = _MD_DEF.match(line)
            elif in_fn:
                m = _BARE_DEF.match(line)
                if m is not None and m.group(1).isdigit():
                    num = int(m.group(1))
                    # footnote numbers go up; `1` may restart them (numbering per page)
                    if last_def_num and num <= last_def_num and num != 1:
                        m = None
            if m is not None and cs + m.end() < ce:
                mark = m.group(1)
                if mark.isdigit():
                    last_def_num = int(mark)
                in_fn = True
                cur_fn = Paragraph(
                    kind="footnote", segs=[(cs + m.end(), ce)], last_width=width, def_pos=cs
                )
                cur_fn.mark = mark
                paragraphs.append(cur_fn)
                prev_para = cur_fn
                interrupted = True
                continue

            numbered = first.isdigit() and _NUMBERED.match(line) is not None
            block_start = (
                numbered
                or (first == "#" and _HEADING.match(line) is not None)
                or (first in "-*+•" and _BULLET.match(line) is not None)
            )
        else:
            masthead = False
            block_start = False
        if short:
            # `大会，` ends with a comma; `附件二` / `## Annex` start with one of a few characters
            if line[-1] in _ANCHOR_LAST:
                anchor = _ANCHOR.match(line) is not None
            elif first in _ANNEX_FIRST:
                annex = _ANNEX.match(line) is not None
            block_start = block_start or anchor or annex

        target: Paragraph | None = None
        if after_call and prev_para is not None and prev_para is cur:
            target = cur
        elif pdf:
            if not indent and not block_start:
                if in_fn and cur_fn is not None and cur_fn.last_width >= full_at:
                    # a footnote wraps like a paragraph; one that ends a sentence is complete
                    if folded[cur_fn.segs[-1][1] - 1] not in "。.":
                        target = cur_fn
                if target is None and cur is not None and cur.last_width >= full_at:
                    target = cur
        else:
            if prev_para is not None and not block_start:
                if not prev_para.anchor:
                    s_, e_ = prev_para.segs[-1]
                    prev_end = folded[e_ - 1]
                    if prev_end == ">" or prev_end == "]":
                        prev_end = _last_char(folded[s_:e_])
                    clause_ended = prev_end in ",.;:。，；：" and prev_end != ""
                    starts_para = clause_ended and bool(
                        _NEW_PARA_START_LATIN.match(line)
                        or (verb_start is not None and verb_start.match(line))
                    )
                    if not starts_para:
                        target = prev_para
            elif prev_para is None and interrupted and not block_start and cur is not None:
                if _is_open_md(cur, folded):
                    target = cur

        if target is not None:
            target.segs.append((cs, ce))
            # after a call line the physical line goes on (seed 003: `…的声明，` `1` ` 其中强调联合国`
            # is one line of the PDF), so its widths add up
            target.last_width = target.last_width + width if after_call else width
            after_call = False
            prev_para = target
            if target.kind == "body":
                in_fn = False
                interrupted = False
            continue

        after_call = False
        in_fn = False
        cur_fn = None
        interrupted = False
        p = Paragraph("body", [(cs, ce)], width, cs)
        if numbered:
            p.numbered = True
        if anchor:
            p.anchor = True
        if annex:
            p.annex = True
        paragraphs.append(p)
        cur = p
        prev_para = p

    links = _links(text, folded) if "undocs.org" in folded else []
    # (no sort needed: a paragraph is created at its first line, so they come in text order)
    for i, p in enumerate(paragraphs):
        p.index = i
        p.finish(text, folded)
    return Document(text, folded, layout, paragraphs, links)
