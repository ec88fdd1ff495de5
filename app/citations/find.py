"""Stage 2: find symbols, dates and footnote calls in one reassembled paragraph.

Everything here reads the *folded* paragraph text (`clean.fold`: fullwidth `５９／５０`,
`（2005）`, `，` are ASCII) and returns offsets into it; `clean.OffsetMap` takes them back
to the original text. All patterns use bounded repetition only, so each scan is linear in the
paragraph length (tests/test_citations_properties.py checks 1 MB of adversarial text).
"""

from __future__ import annotations

import datetime
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter

from app.budget import UNLIMITED, Deadline
from app.symbols import SHAPES, Normalized
from app.symbols import normalize as _normalize

from .languages import LANGUAGES

__all__ = [
    "Found",
    "attach_date",
    "find_calls",
    "find_dates",
    "find_symbols",
    "normalize",
    "url_spans",
]


@lru_cache(maxsize=8192)
def normalize(raw: str) -> Normalized:
    """`app.symbols.normalize`, cached: the same few symbols recur across a corpus and
    `Normalized` is immutable."""
    return _normalize(raw)


# ------------------------------------------------------------------------------ symbols

# One pattern for every shape that has a finder fragment (`app.symbols.SHAPES`), in the table's
# order, each in a group named after its row. Every fragment follows the one character class
# `[0-9A-Z]` so that the regex engine can skip the (mostly CJK) text between candidates in C;
# the "not inside a longer token" test is a lookbehind taken after that first character.
_SYMBOL = re.compile(
    r"[0-9A-Z](?<![A-Za-z0-9/.\-].)(?:"
    + "|".join(f"(?P<{shape.name}>{shape.find})" for shape in SHAPES if shape.find)
    + ")"
)
# the rows whose fragment finds a bare number, which counts only with an anchor
_ANCHORED = frozenset(shape.name for shape in SHAPES if shape.find and shape.anchored)

# Where a symbol may start (a capital or a digit not inside a longer token), and how far before
# its first `/` or `(` it can start (lettered `ABCDEFGHIJ.123/`: 14; `ES-  10  /`: 9;
# `2625 A (`: 9; margin included).
_TOKEN_FIRST = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NOT_BEFORE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/.-")
# what may stand in a symbol before its first `/` or `(` (besides spaces): `ABC.12/`, `ES-10/`,
# `217 A (`, `1631 (`; never a lower-case letter, so `resolutions 64/183` stops at the space
_SYM_HEAD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_DIGITS_SET = frozenset("0123456789")
_LEAD = 24

# A bare number needs a context that makes it a resolution: `第…号` (Chinese) or
# `resolution(s)` before it (English and the other languages). Session numbers, article and
# paragraph numbers, agenda items `127(s)`, treaty numbers `第 2896 卷，第 50518 号` and page
# numbers `3/4` never get one (or fail `normalize`).
_RESOLUTION = "|".join(lang.resolution for lang in LANGUAGES if lang.resolution)
_KW_BEFORE = re.compile(
    f"(?:{_RESOLUTION})"
    r"\s{1,3}(?:(?:No|no|n°|№)\.?\s{0,2})?$",
    re.I,
)

_MONTH_NUM: dict[str, int] = {
    name.lower(): number for lang in LANGUAGES for name, number in lang.months.items()
}


def _months(lang) -> str:
    return "|".join(lang.months)


def _date(lang) -> str:
    """The day-first date of a language's table, its month names in place."""
    return lang.date.replace("{months}", _months(lang))


# Dates (docs: "A date is a full year, month and day"; a range `2016 年 4 月 19 至 21 日` is not).
# One digit-led pattern for the day-first forms of every language (so the engine skips
# non-digits in C), each a group named by its language, and a separate one for the month-first
# forms (`December 18, 2009`); month names are matched case-sensitively.
_DATED = [lang for lang in LANGUAGES if lang.date]
_DATE = re.compile(
    r"\d(?<!\d.)(?:" + "|".join(f"(?P<{lang.code}>{_date(lang)})" for lang in _DATED) + r")(?!\d)"
)
_DATE_US = re.compile(
    "|".join(lang.date_month_first.replace("{months}", _months(lang))
             for lang in LANGUAGES if lang.date_month_first) + r"(?!\d)"
)
_DIGITS = re.compile(r"\d+")
_HAS_MONTH = re.compile("(?:" + "|".join(_months(lang) for lang in LANGUAGES if lang.months) + ")")
_MONTH_WORD = re.compile(r"[^\W\d_]{3,}")
# `2016 年 4 月 19 日至 21 日`, `18-20 December 2009`: one end of a range is no date.
_RANGE_AFTER = re.compile(r"\s{0,3}(?:至|到|~|-|–|—|to\b|au\b|al\b)\s{0,3}\d")
_RANGE_NEXT = frozenset("至到~-–—ta")
_RANGE_PREV = frozenset("-–oulà")
_RANGE_BEFORE = re.compile(r"\d\s{0,3}(?:-|–|to|au|al|à)\s{0,3}$")
# Every form of a full date, without groups: used inside the list-gap pattern.
_DATE_ANY = "(?:" + "|".join(
    rf"\d{_date(lang)}" + (f"|{lang.date_month_first.replace('{months}', _months(lang))}"
                            if lang.date_month_first else "")
    for lang in _DATED
) + ")"
_RESOLUTION_IN_LISTS = "|".join(lang.resolution for lang in LANGUAGES if lang.resolution and lang.resolution_in_lists)
_DATE_OF = "|".join(dict.fromkeys(w for lang in LANGUAGES for w in lang.date_of))
_JOINED = "|".join(w for lang in LANGUAGES if not lang.spaced for w in lang.list_joiners)
_JOINED_SPACED = "|".join(w for lang in LANGUAGES if lang.spaced for w in lang.list_joiners)

# What may stand between two items of one list (`第 64/183号、2010 年 12 月 13 日第 65/124 号`,
# `第 64/183、65/124 和 67/15 号决议`, `resolutions 64/183 of 18 December 2009 and 65/124`).
_LIST_GAP = re.compile(
    r"\s{0,3}(?:[号號]\s{0,3}(?:决议|決議)?\s{0,3})?"
    rf"(?:,?\s{{0,3}}(?:{_DATE_OF})\s{{1,3}}{_DATE_ANY}\s{{0,3}})?"
    rf"(?:[,;、،]|{_JOINED})?\s{{0,3}}(?:(?:{_JOINED_SPACED})\s{{1,3}})?"
    rf"(?:(?:其|大会|大會)?\s{{0,3}}{_DATE_ANY}\s{{0,3}}(?:的\s{{0,3}})?)?"
    rf"(?:第\s{{0,3}})?(?:(?:{_RESOLUTION_IN_LISTS})\s{{1,3}})?",
    re.I,
)
_MAX_GAP = 120

# Date before a symbol (docs "Dates"): right before it, or with only a `关于…的` phrase between.
_DATE_GAP_BEFORE = re.compile(
    r"\s{0,3}(?:的\s{0,3})?(?:(?:关于|關於)[^。;]{0,200}?的\s{0,3})?(?:第\s{0,3})?"
    rf"(?:(?:{_RESOLUTION_IN_LISTS})\s{{1,3}})?",
    re.I,
)
# Date after a symbol (English `resolution 64/183 of 18 December 2009`).
_DATE_GAP_AFTER = re.compile(rf"\s{{0,3}},?\s{{0,3}}(?:{_DATE_OF})\s{{1,3}}", re.I)

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。；]{1,300}")


@dataclass(slots=True)
class Found:
    """A symbol found in a folded paragraph: offsets into that paragraph."""

    start: int
    end: int
    symbol: str


def url_spans(folded: str) -> list[tuple[int, int]]:
    """Spans of URLs in the text (symbols inside them are links, not mentions)."""
    if "://" not in folded and "www." not in folded:
        return []
    return [m.span() for m in _URL.finditer(folded)]


def _positions(text: str, chars: str) -> list[int]:
    """Offsets of the given characters, in order (`str.find` runs in C)."""
    out: list[int] = []
    several = 0
    for ch in chars:
        i = text.find(ch)
        if i != -1:
            several += 1
        while i != -1:
            out.append(i)
            i = text.find(ch, i + 1)
    if several > 1:
        out.sort()
    return out


# A paragraph may list a hundred thousand symbols: the deadline is checked every this many (well
# under a millisecond of work, so that the check can let readers go first: app/budget.py).
CHECK_EVERY = 16


def _scan_symbols(folded: str, deadline: Deadline = UNLIMITED) -> list[re.Match[str]]:
    """The matches `_SYMBOL.finditer(folded)` gives, found faster.

    Every symbol holds a `/` or a `(` no more than _LEAD characters after its first character,
    so only token starts in the _LEAD characters before such a candidate are tried (each one
    at most once). Digit-heavy CJK text (dates) then costs little; the work stays linear even on
    `1/1/1/1/…` (tests/test_citations_properties.py).
    """
    out: list[re.Match[str]] = []
    pos = 0  # end of the last match: the next one starts at or after it
    scanned = 0  # token starts before this offset have been tried
    match = _SYMBOL.match
    # candidates: every `/` and `(` (`str.find` runs in C)
    cands: list[int] = []
    i = folded.find("/")
    while i != -1:
        cands.append(i)
        i = folded.find("/", i + 1)
    i = folded.find("(")
    if i != -1:
        several = bool(cands)
        while i != -1:
            cands.append(i)
            i = folded.find("(", i + 1)
        if several:
            cands.sort()
    for n, c in enumerate(cands):
        if not n % CHECK_EVERY:
            deadline.check()
        if c < pos:
            continue
        lo = max(pos, scanned, c - _LEAD)
        scanned = c + 1
        # Walk back over the characters a symbol may have before its first `/` or `(`
        # (capitals, digits, `.`, `-`, spaces): it starts in that run. Usually 2-4 characters.
        r = c
        while r > lo and (folded[r - 1] in _SYM_HEAD or folded[r - 1].isspace()):
            r -= 1
        for x in range(r, c + 1):
            if folded[x] in _TOKEN_FIRST and (x == 0 or folded[x - 1] not in _NOT_BEFORE):
                m = match(folded, x)
                if m is not None:
                    out.append(m)
                    pos = scanned = m.end()
                    break
    return out


def find_symbols(folded: str, deadline: Deadline = UNLIMITED) -> list[Found]:
    """All symbol mentions in one folded paragraph, in order.

    In: a folded paragraph (and the deadline of the request, checked as the scan goes). Out: `[Found(start, end, symbol)]` with `symbol` normalized; `start`
    and `end` bound the symbol as written (without `第` / `号决议` / `resolution`).
    A bare number (`59/48`, `1631(2005)`, `2625 (XXV)`) counts only behind `第`, before `号`, or
    after `resolution(s)`, or as a further item of such a list.
    """
    # every symbol has a `/` or a `(` (cheap test first: most paragraphs cite nothing)
    if "/" not in folded and "(" not in folded:
        return []
    urls = url_spans(folded)
    out: list[Found] = []
    # consecutive bare items of one list: [anchored, is_decision, items]
    groups: list[list] = []
    group: list | None = None
    for n, m in enumerate(_scan_symbols(folded, deadline)):
        if not n % CHECK_EVERY:
            deadline.check()
        s, e = m.span()
        if urls:
            k = bisect_right(urls, (s, len(folded) + 1)) - 1
            if k >= 0 and urls[k][0] <= s < urls[k][1]:
                continue  # a symbol inside a URL is a link, not a mention
        sym = normalize(folded[s:e]).symbol
        if sym is None:
            continue
        if m.lastgroup not in _ANCHORED:
            group = None
            out.append(Found(s, e, sym))
            continue
        # bare number: chain it to the list it belongs to
        if group is not None:
            pe = group[2][-1][1]
            if s - pe > _MAX_GAP or not _LIST_GAP.fullmatch(folded, pe, s):
                group = None
        if group is None:
            group = [False, False, []]
            groups.append(group)
            # (plain string tests: a regex call costs more than the few characters it reads)
            prev = folded[max(0, s - 4) : s].rstrip()
            if prev:
                last = prev[-1]
                if last == "第":  # `第 59/48 号`
                    group[0] = True
                elif (last.isalpha() and last < "\u2e80" or last in ".°№") and _KW_BEFORE.search(
                    folded, max(0, s - 40), s
                ):
                    group[0] = True  # `resolution(s) 64/183`
        after = folded[e : e + 10].replace(" ", "")
        if after and (after[0] == "号" or after[0] == "號"):  # `59/48 号`
            group[0] = True
            if after[1:3] in ("决定", "決定"):
                group[1] = True  # `第 55/488 号决定`: a decision has no symbol of its own
        group[2].append((s, e, sym))
    if groups:
        for anchored, decision, items in groups:
            if anchored and not decision:
                for s, e, sym in items:
                    out.append(Found(s, e, sym))
        out.sort(key=_FOUND_START)
    return out


_FOUND_START = attrgetter("start")


@lru_cache(maxsize=4096)
def _date_value(txt: str, kind: str | None) -> datetime.date | None:
    nums = _DIGITS.findall(txt)
    try:
        if kind == "zh":
            return datetime.date(int(nums[0]), int(nums[1]), int(nums[2]))
        month = None
        for w in _MONTH_WORD.findall(txt):
            month = _MONTH_NUM.get(w.lower())
            if month:
                break
        if not month:
            return None
        if kind is None:  # `December 18, 2009`
            return datetime.date(int(nums[1]), month, int(nums[0]))
        return datetime.date(int(nums[-1]), month, int(nums[0]))
    except (ValueError, IndexError):
        return None


def find_dates(folded: str, latin_dates: bool = True) -> list[tuple[int, int, datetime.date]]:
    """Full dates (year, month and day) in a folded paragraph, in order, ranges left out.

    In: a folded paragraph. Out: `[(start, end, date)]`; `2014 年 11 月 11 日` broken across
    lines is one date once the paragraph is reassembled (seed 001, 69/11). `latin_dates=False`
    looks for Chinese dates only.
    """
    out: list[tuple[int, int, datetime.date]] = []
    if not latin_dates and "年" not in folded:
        return out
    matches: list[re.Match[str]] = []
    # Chinese dates: try the digit runs in the 8 characters before each `年` (a literal search)
    pos = 0
    match = _DATE.match
    for c in _positions(folded, "年"):
        if c < pos:
            continue
        # the year is the run of digits (and spaces) right before `年`
        lo = max(pos, c - 8)
        r = c
        while r > lo and (folded[r - 1] in _DIGITS_SET or folded[r - 1].isspace()):
            r -= 1
        for x in range(r, c):
            if folded[x] in _DIGITS_SET and (x == 0 or folded[x - 1] not in _DIGITS_SET):
                m = match(folded, x)
                if m is not None and m.lastgroup == "zh":
                    matches.append(m)
                    pos = m.end()
                    break
    # the other languages: only where a month name occurs (not looked for in Chinese texts,
    # whose only latin dates are masthead furniture)
    if latin_dates and _HAS_MONTH.search(folded):
        latin = [m for m in _DATE.finditer(folded) if m.lastgroup != "zh"]
        latin.extend(_DATE_US.finditer(folded))
        if latin:
            matches.extend(latin)
            matches.sort(key=lambda m: m.start())
    for m in matches:
        s, e = m.span()
        # ranges, tested with plain string operations first
        nxt = folded[e : e + 4].lstrip()
        if nxt and nxt[0] in _RANGE_NEXT and _RANGE_AFTER.match(folded, e):
            continue
        prv = folded[max(0, s - 8) : s].rstrip()
        if prv and prv[-1] in _RANGE_PREV and _RANGE_BEFORE.search(folded, max(0, s - 8), s):
            continue
        d = _date_value(m.group(0), m.lastgroup)
        if d is not None:
            out.append((s, e, d))
    return out


def attach_date(
    folded: str,
    found: list[Found],
    i: int,
    dates: list[tuple[int, int, datetime.date]],
    prefer_after: bool,
) -> datetime.date | None:
    """The date the paragraph gives for `found[i]` (docs "Dates"), or None.

    Before the symbol: the last date before it with only spaces, `的`, a `关于…的` phrase,
    `第` or `resolution` between, and no other symbol. After it (`64/183 of 18 December 2009`):
    a date right behind `of`. `prefer_after` (latin-script texts) tries the latter first.
    """
    if not dates:
        return None
    if prefer_after:
        return _date_after(folded, found, i, dates) or _date_before(folded, found, i, dates)
    return _date_before(folded, found, i, dates) or _date_after(folded, found, i, dates)


def _date_before(folded: str, found: list[Found], i: int, dates: list) -> datetime.date | None:
    f = found[i]
    k = bisect_right(dates, f.start, key=_END) - 1  # last date that ends before the symbol
    if k < 0:
        return None
    ds, de, d = dates[k]
    if i > 0 and ds < found[i - 1].end:
        return None  # another symbol stands between
    if _DATE_GAP_BEFORE.fullmatch(folded, de, f.start):
        return d
    return None


def _date_after(folded: str, found: list[Found], i: int, dates: list) -> datetime.date | None:
    f = found[i]
    m = _DATE_GAP_AFTER.match(folded, f.end)
    if m is None:
        return None
    k = bisect_left(dates, m.end(), key=_START)
    if k < len(dates) and dates[k][0] == m.end():
        if i + 1 >= len(found) or dates[k][1] <= found[i + 1].start:
            return dates[k][2]
    return None


def _START(d: tuple) -> int:
    return d[0]


def _END(d: tuple) -> int:
    return d[1]


# ------------------------------------------------------------------------ footnote calls

_SUP_CALL = re.compile(r"<sup>\s*([0-9]{1,3}|[*†‡]{1,3}|[a-z])\s*</sup>|\[\^([^\]\s]{1,8})\]")
# A bare call mark stuck to the word before it (`《2030 年可持续发展议程》1 提出`, `成果文件5 在`,
# `条约》，2 将`, seed 001) or one space after a closing mark or a date (`13 日 3 和`, gold case
# zh_footnote_bare_calls_after_dates); never a number that counts
# something (`年 月 日 号 条 卷 届 次 个`).
_BARE_CALL = re.compile(
    r"[0-9*†‡](?:(?<=[^\s\dA-Z/.\-(第].)|(?<=[》”」』),、:;日]\s.))[0-9*]{0,2}"
    r"(?=\s|$|[^\x00-\x7F])(?!\s{0,2}[年月日号號条條卷届屆次个個名项項%段款亿万千百])"
)


def find_calls(folded: str, marks: frozenset[str] | set[str]) -> list[tuple[str, int, bool]]:
    """Footnote calls in a folded body paragraph.

    In: the paragraph and the marks that the text defines. Out: `[(mark, position, bare)]`
    in order; `bare` is True for an unmarked number (`》1`), False for `<sup>1</sup>`/`[^1]`.
    """
    out: list[tuple[str, int, bool]] = []
    if "<sup>" in folded or "[^" in folded:
        for m in _SUP_CALL.finditer(folded):
            out.append((m.group(1) or m.group(2), m.start(), False))
    if marks:
        for m in _BARE_CALL.finditer(folded):
            if m.group(0) in marks:
                out.append((m.group(0), m.start(), True))
    out.sort(key=lambda t: t[1])
    return out
