"""What a UN document's own page says about it, each fact with the words that say it.

Pure: a text in, a `Metadata` out, no I/O. Chinese and English. Read:

- `symbol`: a line holding only a symbol in the masthead, or as a running header beside the
  page and job numbers (seed 001: `A/77/L.107` ⏎ `3/4 23-16564`);
- `session` (`第七十七届会议`, `Seventy-seventh session`) and `agenda_item` (`议程项目 127(s)`);
- `kind`: the first heading that names one: a letter (`…给秘书长的信`, `Letter dated … addressed
  to the Secretary-General`), a draft resolution (`决议草案`), a resolution (`Resolution adopted
  by the General Assembly on …`), a report or a note by the Secretary-General; else what the
  symbol says (`A/77/L.107` is a draft);
- `title`: the title a letter asks to include (`题为“…”`, `entitled “…”`), or the heading under
  a draft's or resolution's heading;
- `date`: a letter's date, or the adoption date where the page states it (never the
  distribution date of the masthead);
- `sponsors` (a draft's `阿塞拜疆、中国…和乌兹别克斯坦：决议草案`), `language` (the masthead's
  `Chinese`, else the script the text is written in);
- `organization`: the organization a series title names (`联合国同…的合作`, `Cooperation between
  the United Nations and …`), as written; the umbrella item (`…同各区域组织及其他组织的合作`)
  names none.

Every field has `evidence`: the words as they stand in the text and their offsets (`start`,
`end`, into the text as given, so `text[start:end] == quote`). What the page does not state is
None: nothing is guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from app.citations import detect_language, paragraphs
from app.citations.clean import JOB_NUMBER, PAGE_NUMBER
from app.symbols import normalize, parse

__all__ = ["Evidence", "Fact", "Metadata", "read"]


@dataclass(frozen=True)
class Evidence:
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class Fact:
    value: Any
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        v = self.value.isoformat() if isinstance(self.value, dt.date) else self.value
        return {"value": v, "evidence": [e.__dict__ for e in self.evidence]}


@dataclass
class Metadata:
    symbol: Fact | None = None
    session: Fact | None = None
    agenda_item: Fact | None = None
    kind: Fact | None = None
    title: Fact | None = None
    date: Fact | None = None
    sponsors: Fact | None = None
    language: Fact | None = None
    organization: Fact | None = None  # value: {"name", "lang", "series_title"}
    notes: list[str] = field(default_factory=list)

    FIELDS = ("symbol", "session", "agenda_item", "kind", "title", "date", "sponsors",
              "language", "organization")

    def value(self, name: str) -> Any:
        f = getattr(self, name)
        return None if f is None else f.value

    def to_json(self) -> dict[str, Any]:
        return {k: (getattr(self, k).to_json() if getattr(self, k) else None) for k in self.FIELDS}


# --------------------------------------------------------------------------- numbers and dates

_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}


def zh_number(s: str) -> int | None:
    """`七十七` -> 77, `一百零一` -> 101, `十八` -> 18; None for anything else."""
    if not s or any(c not in _ZH_DIGITS and c not in "十百" for c in s):
        return None
    total, cur = 0, 0
    for c in s:
        if c == "百":
            total += (cur or 1) * 100
            cur = 0
        elif c == "十":
            total += (cur or 1) * 10
            cur = 0
        else:
            cur = _ZH_DIGITS[c]
    return total + cur


_EN_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9}
_EN_TEENS = {"tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
             "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}
_EN_TENTHS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
              "seventieth": 70, "eightieth": 80, "ninetieth": 90}


def en_ordinal(s: str) -> int | None:
    """`Seventy-seventh` -> 77, `Sixtieth` -> 60, `Fifth` -> 5; None for anything else."""
    w = s.lower().replace("–", "-")
    if w in _EN_UNITS:
        return _EN_UNITS[w]
    if w in _EN_TEENS:
        return _EN_TEENS[w]
    if w in _EN_TENTHS:
        return _EN_TENTHS[w]
    if "-" in w:
        tens, unit = w.split("-", 1)
        if tens in _EN_TENS and unit in _EN_UNITS:
            return _EN_TENS[tens] + _EN_UNITS[unit]
    return None


_MONTHS = {m: i for i, m in enumerate(
    ("January February March April May June July August September October November December").split(), 1)}
_ZH_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
_EN_DATE = r"\d{1,2}\s+(?:" + "|".join(_MONTHS) + r")\s+\d{4}"


def parse_date(s: str) -> dt.date | None:
    m = re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", s.strip())
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})\s+([A-Z][a-z]+)\s+(\d{4})", s.strip())
        if m and m[2] in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2]], int(m[1]))
    except ValueError:
        return None
    return None


# --------------------------------------------------------------------------- patterns

_HEAD_MARKS = re.compile(r"^#{1,6}\s*")
_SYMBOL_LINE = re.compile(r"^[^\S\n]*([A-Z]{1,6}(?:/[A-Za-z0-9.()\-]{1,20}){1,7})[^\S\n]*$", re.M)
_PAGE_JOB = re.compile(rf"^\s*(?:{PAGE_NUMBER}|{JOB_NUMBER})(?:\s+(?:{PAGE_NUMBER}|{JOB_NUMBER}))*\s*$")
_LANGUAGE = {"Chinese": "zh", "English": "en", "French": "fr", "Russian": "ru", "Spanish": "es",
             "Arabic": "ar"}
_LANGUAGE_LINE = re.compile(r"^[^\S\n]*(Chinese|English|French|Russian|Spanish|Arabic)[^\S\n]*$", re.M)

_SESSION_ZH = re.compile(r"第([〇零一二三四五六七八九十百]{1,6})届会议")
_SESSION_EN = re.compile(r"\b([A-Z][a-z]+(?:-[a-z]+)?)\s+session\b")
_AGENDA = re.compile(r"(?:议程项目|Agenda\s+items?)\s*(\d{1,3}(?:\s*\([a-z]{1,3}\))?)")

_LETTER_ZH = re.compile(
    rf"^(?P<date>{_ZH_DATE})(?P<from>[^。]{{1,300}}?)给(?:秘书长|大会主席|安全理事会主席)的(?:同文)?信$"
)
_LETTER_EN = re.compile(
    rf"^(?:Identical\s+)?[Ll]etters?\s+dated\s+(?P<date>{_EN_DATE})\s+from\s+(?P<from>.{{1,400}}?)"
    r"\s+addressed\s+to\s+the\s+(?:Secretary-General|President)"
)
# after the sponsors' colon, the call of the footnote that says the list may change (`：* 决议草案`)
_CALL = r"(?:<sup>[^<>]{1,4}</sup>|\*{1,3})?"
_DRAFT_ZH = re.compile(rf"(?:^|[：:]\s*{_CALL}\s*)(?P<kind>(?:订正)?决议草案)$")
_DRAFT_EN = re.compile(rf"(?:^|:\s*{_CALL}\s*)(?P<kind>(?:[Rr]evised\s+)?[Dd]raft\s+resolution)$")
_RESOLUTION_ZH = re.compile(rf"^(?P<date>{_ZH_DATE})大会(?:通过的)?决议$")
_RESOLUTION_EN = re.compile(rf"^Resolution\s+adopted\s+by\s+the\s+General\s+Assembly\s+on\s+(?P<date>{_EN_DATE})$")
_SC_RESOLUTION_ZH = re.compile(rf"^安全理事会(?:\s*)(?P<date>{_ZH_DATE})第\s*\d+\s*次会议通过$")
_SC_RESOLUTION_EN = re.compile(rf"^Adopted\s+by\s+the\s+Security\s+Council\s+at\s+its\s+\d+\w*\s+meeting,\s+on\s+(?P<date>{_EN_DATE})$")
_REPORT = re.compile(r"^(?:秘书长的报告|Report\s+of\s+the\s+Secretary-General)$")
_NOTE = re.compile(r"^(?:秘书长的说明|Note\s+by\s+the\s+Secretary-General)$")

_TITLE_QUOTED_ZH = re.compile(r"题为[“\"「](?P<t>[^”\"」]{2,200})[”\"」]")
_TITLE_QUOTED_EN = re.compile(r"entitled\s+[“\"](?P<t>[^”\"]{2,300})[”\"]")
_SERIES_ZH = re.compile(r"联合国(?:同|与|和)(?P<org>[^，。；、“”]{2,60}?)(?:之间)?的合作")
_SERIES_EN = re.compile(
    r"[Cc]ooperation\s+between\s+the\s+United\s+Nations\s+and\s+(?:the\s+)?"
    r"(?P<org>[A-Z][^,.;:“”\"\n]{2,120}?)(?=\s*(?:$|[,.;:”\"]))"
)
_UMBRELLA = re.compile(r"各区域组织|区域组织及其他|regional\s+and\s+other\s+organizations", re.I)
# Country names with 和/and inside them: the list's last `和` must not cut them.
_JOINED_NAMES = ("特立尼达和多巴哥", "波斯尼亚和黑塞哥维那", "圣多美和普林西比", "安提瓜和巴布达",
                 "圣基茨和尼维斯", "圣文森特和格林纳丁斯", "塞尔维亚和黑山",
                 "Trinidad and Tobago", "Bosnia and Herzegovina", "Sao Tome and Principe",
                 "Antigua and Barbuda", "Saint Kitts and Nevis", "Saint Vincent and the Grenadines")


class _Para:
    """A paragraph's text (headings' `#` marks off) and the way back to the original offsets."""

    def __init__(self, p, shift: int):
        self.p = p
        self.text = p.text[shift:]
        self.shift = shift

    def evidence(self, text: str, js: int, je: int) -> Evidence:
        s, e = self.p.omap.span_to_original(js + self.shift, je + self.shift)
        return Evidence(text[s:e], s, e)


def _paras(text: str, lang: str) -> list[_Para]:
    out = []
    for p in paragraphs(text, lang):
        if p.kind != "body" or not p.text or p.omap is None:
            continue
        m = _HEAD_MARKS.match(p.text)
        q = _Para(p, m.end() if m else 0)
        if q.text.strip():
            out.append(q)
    return out


# --------------------------------------------------------------------------- the reader


def read(text: str) -> Metadata:
    """Everything the page states about the document, with its evidence (see the module doc)."""
    md = Metadata()
    if not isinstance(text, str) or not text.strip():
        return md
    lang = detect_language(text)
    paras = _paras(text, lang)
    # the front matter: up to the resolution's `大会，` / `The General Assembly,`
    head = []
    for q in paras[:60]:
        if q.p.anchor:
            break
        head.append(q)

    md.symbol = _symbol(text)
    md.language = _language(text, lang, paras)
    md.session = _first(text, head, _SESSION_ZH, lambda m: zh_number(m[1])) or _first(
        text, head, _SESSION_EN, lambda m: en_ordinal(m[1]))
    md.agenda_item = _first(text, head, _AGENDA, lambda m: re.sub(r"\s+", "", m[1]))
    _kind_title_date(md, text, head, paras)
    if md.kind is None and md.symbol is not None:
        kind = parse(md.symbol.value).kind
        if kind != "other":
            md.kind = Fact(kind, md.symbol.evidence)
    md.organization = _organization(text, md, head)
    return md


def _first(text: str, head: list[_Para], pattern: re.Pattern[str], convert) -> Fact | None:
    for q in head:
        for m in pattern.finditer(q.text):
            value = convert(m)
            if value is not None:
                return Fact(value, (q.evidence(text, m.start(), m.end()),))
    return None


def _symbol(text: str) -> Fact | None:
    lines = [m for m in _SYMBOL_LINE.finditer(text[:200_000])]
    nonblank_starts = [m.start() for m in re.finditer(r"^[^\S\n]*\S", text[:5000], re.M)][:10]
    limit = nonblank_starts[-1] if nonblank_starts else 0
    found: dict[str, list[Evidence]] = {}
    for m in lines:
        sym = normalize(m[1]).symbol
        if not sym:
            continue
        nxt = text[m.end(): m.end() + 200].lstrip()
        nxt_line = nxt.split("\n", 1)[0] if nxt else ""
        # in the masthead, or a running header over the page and job numbers
        if m.start() <= limit or _PAGE_JOB.match(nxt_line):
            found.setdefault(sym, []).append(Evidence(m[1], m.start(1), m.end(1)))
    if not found:
        return None
    sym = max(found, key=lambda s: (len(found[s]), -found[s][0].start))
    return Fact(sym, tuple(found[sym][:3]))


def _language(text: str, lang: str, paras: list[_Para]) -> Fact | None:
    m = _LANGUAGE_LINE.search(text[:3000])
    if m:
        return Fact(_LANGUAGE[m[1]], (Evidence(m[1], m.start(1), m.end(1)),))
    if not paras:
        return None
    # no masthead: the language the text is written in, shown by its opening words
    q = paras[0]
    return Fact(lang, (q.evidence(text, 0, min(len(q.text), 20)),))


def _kind_title_date(md: Metadata, text: str, head: list[_Para], paras: list[_Para]) -> None:
    for i, q in enumerate(head):
        para = q.text.strip()
        m = _LETTER_ZH.match(para) or _LETTER_EN.match(para)
        if m:
            md.kind = Fact("letter", (q.evidence(text, 0, len(q.text)),))
            d = parse_date(m["date"])
            if d:
                md.date = Fact(d, (q.evidence(text, m.start("date"), m.end("date")),))
            # the title: the item the letter asks to include, as it quotes it
            for r in head[i + 1 : i + 6]:
                tm = _TITLE_QUOTED_ZH.search(r.text) or _TITLE_QUOTED_EN.search(r.text)
                if tm:
                    md.title = Fact(tm["t"].strip(), (r.evidence(text, tm.start("t"), tm.end("t")),))
                    break
            return
        m = _DRAFT_ZH.search(para) or _DRAFT_EN.search(para)
        if m:
            md.kind = Fact("draft_resolution", (q.evidence(text, m.start("kind"), m.end("kind")),))
            before = para[: m.start()].rstrip(" ：:*")
            if before:
                md.sponsors = Fact(_split_sponsors(before), (q.evidence(text, 0, len(before)),))
            elif i > 0 and head[i - 1].text.rstrip().endswith(("：", ":")):
                prev = head[i - 1]
                b = prev.text.rstrip().rstrip("：: *")
                md.sponsors = Fact(_split_sponsors(b), (prev.evidence(text, 0, len(b)),))
            md.title = _heading_after(text, head, i)
            return
        m = _RESOLUTION_ZH.match(para) or _RESOLUTION_EN.match(para)
        if m:
            md.kind = Fact("ga_resolution", (q.evidence(text, 0, len(q.text)),))
            d = parse_date(m["date"])
            if d:
                md.date = Fact(d, (q.evidence(text, m.start("date"), m.end("date")),))
            md.title = _heading_after(text, head, i)
            return
        m = _SC_RESOLUTION_ZH.match(para) or _SC_RESOLUTION_EN.match(para)
        if m:
            md.kind = Fact("sc_resolution", (q.evidence(text, 0, len(q.text)),))
            d = parse_date(m["date"])
            if d:
                md.date = Fact(d, (q.evidence(text, m.start("date"), m.end("date")),))
            return
        if _REPORT.match(para):
            md.kind = Fact("report", (q.evidence(text, 0, len(q.text)),))
            return
        if _NOTE.match(para):
            md.kind = Fact("other", (q.evidence(text, 0, len(q.text)),))
            return


def _heading_after(text: str, head: list[_Para], i: int) -> Fact | None:
    for r in head[i + 1 : i + 3]:
        line = r.text.strip()
        if 2 <= len(line) <= 200 and line[-1] not in "，,。.；;：:":
            start = r.text.index(line)
            return Fact(line, (r.evidence(text, start, start + len(line)),))
    return None


def _split_sponsors(s: str) -> list[str]:
    protected = s
    for k, name in enumerate(_JOINED_NAMES):
        protected = protected.replace(name, f"\x01{k}\x02")
    if re.search(r"[\u4e00-\u9fff]", protected):
        items = protected.split("、")
        last = items.pop()
        items += [x for x in last.rsplit("和", 1)]
    else:
        items = re.split(r",\s*", protected)
        last = items.pop()
        items += [x for x in re.split(r"\s+and\s+", last, maxsplit=1)]
    out = []
    for x in items:
        x = re.sub(r"\x01(\d+)\x02", lambda m: _JOINED_NAMES[int(m[1])], x).strip(" *")
        if x:
            out.append(x)
    return out


def _organization(text: str, md: Metadata, head: list[_Para]) -> Fact | None:
    """The organization the document's series title names; the title first, then the front
    matter (an agenda sub-item `联合国同各区域组织及其他组织的合作：联合国同…的合作`)."""
    sources: list[tuple[_Para | None, str, int]] = []
    if md.title is not None:
        sources.append((None, md.title.value, md.title.evidence[0].start))
    for q in head:
        sources.append((q, q.text, 0))
    for q, t, base in sources:
        for pat, lang in ((_SERIES_ZH, "zh"), (_SERIES_EN, "en")):
            for m in pat.finditer(t):
                org = m["org"].strip()
                if _UMBRELLA.search(org) or _UMBRELLA.search(m.group(0)):
                    continue
                value = {"name": org, "lang": lang, "series_title": m.group(0)}
                if q is None:
                    ev = md.title.evidence
                else:
                    ev = (q.evidence(text, m.start(), m.end()),)
                return Fact(value, ev)
    return None
