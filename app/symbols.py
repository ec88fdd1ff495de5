"""The one UN document symbol normalizer (see docs/extraction.md, "The normalized symbol").

Used by the citation extractor (`app.citations`), by search and by the admin form, so that
`59/48`, `第59/48号决议`, `a/res/59/48` and `resolution 59/48` all become `A/RES/59/48`.

The shapes a symbol may have are one table, `SHAPES`, one row per shape (like eyecite's
reporters). A row holds what every stage needs to know of its shape:

- the finder (`app.citations.find`): a regex fragment that finds the shape in running text, and
  whether it is a bare number (`59/48`, `1631(2005)`) that counts only with an anchor (`第…号`,
  `resolution(s)`) around it;
- the normalizer (`normalize`): a regex on the compact form (upper-cased, spaces removed) and the
  function that turns its match into the canonical symbol, or says why it is none;
- the parser (`parse`): a regex on the normalized symbol, whose named groups `session`, `roman`
  and `year` give what the symbol carries, and the kind it gives;
- an example, as the normalizer returns it, and how text usually writes it where that differs.

Each stage builds its patterns from the rows that fill its column, in the order of `SHAPES`,
once at import time; in each stage the first row that matches wins. A row that leaves a column
empty is handled there by a more general row further down: `S/PRST/2010/1` is found and
normalized as a lettered symbol, and only the parser tells it apart. So the specific shapes come
first and the lettered symbol, which accepts them all, comes last. Adding a shape is adding a
row (and its case in tests/test_symbols_shapes.py).

Pure standard library; no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "KINDS",
    "MAX_LENGTH",
    "SHAPES",
    "DocumentKind",
    "Normalized",
    "Shape",
    "SymbolInfo",
    "candidates",
    "normalize",
    "parse",
]

#: Longest input `normalize` accepts. Real symbols are < 40 characters; the longest joint
#: symbols (`A/71/160-S/2016/621`) are ~20.
MAX_LENGTH = 80

# New-style GA resolution symbols (`A/RES/31/1` …) began with the 31st session (1976); before
# that resolutions were numbered `2625 (XXV)`. A bare `N/M` with N < 31 is therefore a fraction,
# a page number (`3/4` in a PDF footer, seed 001) or a day/month, never a resolution.
FIRST_NEW_STYLE_SESSION = 31
LAST_PLAUSIBLE_SESSION = 199


class DocumentKind(StrEnum):
    """What a document is: `parse` tells it from a symbol, the admin form and the facts give it."""

    ga_resolution = "ga_resolution"
    sc_resolution = "sc_resolution"
    draft_resolution = "draft_resolution"
    letter = "letter"
    presidential_statement = "presidential_statement"
    report = "report"
    other = "other"


KINDS = tuple(k.value for k in DocumentKind)


@dataclass(frozen=True, slots=True)
class Normalized:
    """Result of `normalize`: exactly one of `symbol` / `error` is set."""

    symbol: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.symbol is not None


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """What a normalized symbol says about itself (see `parse`)."""

    symbol: str
    kind: str
    session: int | None
    year: int | None


# --------------------------------------------------------------------------- the shapes
# (the module's docstring says how the stages read the table)

#: What a row's `canonical` returns: (symbol, None), or (None, the reason it is no symbol).
Canonical = tuple[str | None, str | None]


@dataclass(frozen=True)
class Shape:
    """One row of `SHAPES`: one shape of symbol, with what each stage needs to know of it."""

    # names the row; the finder's group for the row is named after it
    name: str
    # what `parse` says the symbol is (one of `app.symbols.KINDS`)
    kind: str
    # the symbol as the normalizer returns it, and as text usually writes it
    example: str
    written: str | None = None
    # Finder: a regex fragment matching the symbol after its first character (the finder reads
    # that character, `[0-9A-Z]`, first, so that the engine skips other text in C): a fragment
    # begins with a lookbehind saying which first characters it takes. The finder tries only
    # where a `/` or `(` follows within a few characters (`app.citations.find._LEAD`), so every
    # shape it finds holds one early. None: the lettered row finds the shape.
    find: str | None = None
    # the fragment finds a bare number, which counts only with an anchor (`第`, `号`, `resolution`)
    anchored: bool = False
    # Normalizer: a regex on the compact form and what makes the canonical symbol of its match.
    # None: the lettered row accepts the shape as written.
    compact: str | None = None
    canonical: Callable[[re.Match[str]], Canonical] | None = None
    # Parser: a regex on the normalized symbol; its groups `session` (digits), `roman` (a session
    # numeral) and `year` give what the symbol carries
    parse: str | None = None
    # the symbol also carries the year that stands anywhere in it (`A/71/160-S/2016/621`)
    year_anywhere: bool = False


# What makes the canonical symbol of a row's compact match (the rows' `canonical`).


def _ga(m: re.Match[str]) -> Canonical:
    full, session, number = m.group(1), int(m.group(2)), int(m.group(3))
    if full:
        return f"A/RES/{session}/{number}", None
    # A bare `N/M` may be a fraction, a page number or a date: it must be a plausible resolution.
    compact = m.string
    if number == 0:
        return None, f"{compact!r}: resolution number 0 does not exist"
    if session < FIRST_NEW_STYLE_SESSION:
        return None, (
            f"{compact!r} looks like a fraction, a page number or a date: General Assembly "
            f"resolutions are numbered session/number only from the "
            f"{FIRST_NEW_STYLE_SESSION}st session on"
        )
    if session > LAST_PLAUSIBLE_SESSION:
        return None, f"{compact!r}: session {session} is not a plausible General Assembly session"
    return f"A/RES/{session}/{number}", None


def _ga_special(m: re.Match[str]) -> Canonical:
    return f"A/RES/{m.group(1)}-{int(m.group(2))}/{int(m.group(3))}", None


def _ga_old(m: re.Match[str]) -> Canonical:
    number, pre, roman, post = m.groups()
    session = roman_to_int(roman)
    if session is None or session > 30:
        return None, f"{m.string!r}: ({roman}) is not an old-style session numeral (I to XXX)"
    if pre and post:
        return None, f"{m.string!r}: two part letters"
    letter = pre or post or ""
    return f"A/RES/{int(number)}({roman}){letter}", None


def _sc(m: re.Match[str]) -> Canonical:
    number, year = int(m.group(1)), int(m.group(2))
    if not (1946 <= year <= 2199) or number == 0:
        return None, f"{m.string!r}: not a plausible Security Council resolution (number/year)"
    return f"S/RES/{number}({year})", None


def _lettered(m: re.Match[str]) -> Canonical:
    if not any(c.isdigit() for c in m.string):
        return None, f"{m.string!r} has no number: a UN document symbol always carries one"
    return m.string, None


# a joint symbol may break after its hyphen (`A/71/160-` ⏎ `S/2016/621`, gold case
# regression_symbol_broken_inside_joint_symbol): the joined paragraph then has `- `
_SEG = r"[A-Za-z0-9]{1,12}(?:\.[A-Za-z0-9]{1,12}){0,2}(?:-\s{0,2}[A-Za-z0-9]{1,12}(?:\.[A-Za-z0-9]{1,12}){0,2})?"

#: The shapes, in the one order every stage tries them: the specific ones first, the lettered
#: symbol, which accepts them all, last.
SHAPES: tuple[Shape, ...] = (
    # New-style GA resolution: `59/48`, `49 / 57`, `A/RES/59/48`.
    Shape(
        name="ga",
        kind="ga_resolution",
        example="A/RES/59/48",
        written="59/48",
        find=r"(?<=\d)\d{0,2}\s{0,2}/\s{0,2}\d{1,4}(?![A-Za-z0-9/])",
        anchored=True,
        compact=r"^(A/RES/)?(\d{1,3})/(\d{1,4})$",
        canonical=_ga,
        parse=r"^A/RES/(?P<session>\d+)/\d+$",
    ),
    # Special and emergency special sessions: `S-30/1 号决议` (seed 001 footnote 5), `ES-10/19`.
    Shape(
        name="spec",
        kind="ga_resolution",
        example="A/RES/ES-10/19",
        written="ES-10/19",
        find=r"(?:(?<=E)S|(?<=S))-\s{0,2}\d{1,2}\s{0,2}/\s{0,2}\d{1,4}(?![A-Za-z0-9/])",
        compact=r"^(?:A/RES/)?(E?S)-(\d{1,2})/(\d{1,4})$",
        canonical=_ga_special,
        parse=r"^A/RES/E?S-\d+/\d+$",
    ),
    # Security Council: `1631(2005)`, `1631 (2005)`, fullwidth `1631（2005）` once folded.
    Shape(
        name="sc",
        kind="sc_resolution",
        example="S/RES/1631(2005)",
        written="1631 (2005)",
        find=r"(?<=\d)\d{0,3}\s{0,2}\(\s{0,2}(?:19|20|21)\d{2}\s{0,2}\)",
        anchored=True,
        compact=r"^(?:S/RES/)?(\d{1,4})\((\d{4})\)$",
        canonical=_sc,
        parse=r"^S/RES/\d+\((?P<year>\d{4})\)$",
    ),
    # Old-style GA, sessions I to XXX: `2625 (XXV)`, `217 A (III)`.
    Shape(
        name="old",
        kind="ga_resolution",
        example="A/RES/2625(XXV)",
        written="2625 (XXV)",
        find=r"(?<=\d)\d{0,3}\s{0,2}(?:[A-Z]\s{0,2})?\(\s{0,2}[IVXLC]{1,7}\s{0,2}\)",
        anchored=True,
        compact=r"^(?:A/RES/)?(\d{1,4})([A-Z])?\(([IVXLC]{1,7})\)([A-Z])?$",
        canonical=_ga_old,
        parse=r"^A/RES/\d+\((?P<roman>[IVXLC]+)\)[A-Z]?$",
    ),
    # Security Council presidential statement.
    Shape(
        name="prst",
        kind="presidential_statement",
        example="S/PRST/2010/1",
        parse=r"^S/PRST/(?P<year>\d{4})/\d+",
    ),
    # Draft resolution, of the Assembly or of a committee: `A/77/L.107`, `A/C.3/64/L.23/Rev.1`.
    Shape(
        name="draft",
        kind="draft_resolution",
        example="A/77/L.107",
        parse=r"^A/(?:[A-Z][A-Z0-9.]*/)*?(?:(?P<session>\d{1,3})|E?S-\d+)/L\.\d+",
    ),
    # General Assembly document, alone or joint: `A/71/160`, `A/71/160-S/2016/621`.
    Shape(
        name="ga_report",
        kind="report",
        example="A/71/160-S/2016/621",
        parse=r"^A/(?P<session>\d{1,3})/\d+",
        year_anywhere=True,
    ),
    # Security Council document: `S/2016/621`.
    Shape(
        name="sc_report",
        kind="report",
        example="S/2016/621",
        parse=r"^S/(?P<year>\d{4})/\d+",
    ),
    # Any other lettered symbol, and the catch-all of the rows above: an upper-case series (A, S,
    # E, ST, UNEP...), then `/`-separated components, which may carry `.` and `-` (joint
    # symbols), and one trailing `(2005)` / `(XXV)`: `E/2009/28`, `A/C.3/64/L.23`,
    # `UNEP/EA.5/Res.1`, `(E/2009/28)`, `S/RES/1631 (2005)`, `A/53/L.21/Rev.1`; a joint symbol
    # stands on its own too (seed 004 footnote 1).
    Shape(
        name="let",
        kind="other",
        example="E/2009/28",
        find=(
            rf"(?<=[A-Z])[A-Z]{{0,9}}(?:\.\d{{1,3}})?(?:\s{{0,2}}/\s{{0,2}}{_SEG}){{1,8}}"
            r"(?:\s?\((?:\d{4}|[IVXLC]{1,7})\))?(?![A-Za-z0-9])"
        ),
        compact=(
            r"^[A-Z]{1,10}(?:\.\d{1,3})?"
            r"(?:/[A-Za-z0-9]{1,12}(?:\.[A-Za-z0-9]{1,12}){0,2}(?:-[A-Za-z0-9]{1,12}(?:\.[A-Za-z0-9]{1,12})?)?){1,8}"
            r"(?:\((?:\d{4}|[IVXLC]{1,7})\))?$"
        ),
        canonical=_lettered,
        # matches every symbol; the session where an A/ symbol carries one
        parse=r"^(?:A/(?:[A-Z][A-Z0-9.]*/)*?(?P<session>\d{1,3})/)?",
        year_anywhere=True,
    ),
)


# --------------------------------------------------------------------------- helpers

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_ROMAN_RE = re.compile(r"^(?:C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")


def roman_to_int(s: str) -> int | None:
    """`'XXV'` -> 25; None for anything that is not a well-formed roman numeral."""
    if not s or not _ROMAN_RE.match(s):
        return None
    total = 0
    prev = 0
    for ch in reversed(s):
        v = _ROMAN[ch]
        if v < prev:
            total -= v
        else:
            total += v
            prev = v
    return total or None


# Words around a symbol that the normalizer strips (the table in docs/extraction.md).
_URL_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.)?undocs\.org/(?:(?:[a-z]{2}(?:-[a-z]{2,4})?)/)?", re.I
)
_LEAD_WORDS = re.compile(
    r"^(?:(?:the\s+)?(?:general\s+assembly|security\s+council|GA|SC)\s+)?"
    r"(?:resolutions?|res\.?|résolutions?|resolución|resoluciones|резолюци[яи]|决议|決議)"
    r"(?![/A-Za-z])\s*(?:no\.\s*)?",
    re.I,
)
_CJK_WRAP_HEAD = re.compile(r"^(?:大会|大會|安全理事会|安全理事會|安理会|安理會)?\s*第\s*")
_CJK_WRAP_TAIL = re.compile(r"\s*[号號]\s*(?:决议|決議|文件)?\s*$")
_TRAIL_PUNCT = re.compile(r"[\s.,;:。，；：、]+$")
_WS = re.compile(r"\s+")
# Spaces and line breaks a symbol may carry when written or broken across lines: around `/`,
# `(`, `)`, `-`, `.` (`49 / 57`, `S/RES/1631 (2005)`, `S/PRST/` + newline + `2010/1`) and the
# part letter of `217 A (III)`. Any other space separates words: `see A/71/160` is no symbol.
_WS_INNER = re.compile(r"\s*([/().\-])\s*")
_WS_PART_LETTER = re.compile(r"(^|/)(\d{1,4})\s+([A-Za-z])(?=\(|$)")

# Canonical spellings of the suffix words that are not upper-cased (`Rev.1`, `Add.1`...).
_TITLE_WORDS = {"REV": "Rev", "ADD": "Add", "CORR": "Corr", "AMEND": "Amend", "SUB": "Sub"}
_TITLE_RE = re.compile(r"(?<![A-Z])(REV|ADD|CORR|AMEND|SUB)\.(?=\d|$)")
# `UNEP/EA.5/Res.1`: `Res.` followed by a number is title-cased; `A/RES/` stays upper-case.
_RES_DOT_RE = re.compile(r"(?<=/)RES\.(?=\d)")

# The shapes of symbols, in the table's order: the compact form's patterns and the normalized
# symbol's, each with its row.
_CANONICAL = tuple((re.compile(s.compact), s.canonical) for s in SHAPES if s.compact)
_PARSE = tuple((re.compile(s.parse), s) for s in SHAPES if s.parse)

# Shapes that are *not* symbols, recognised to give a precise error.
_DATE_SHAPES = (
    re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$"),
    re.compile(r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}$"),
    re.compile(
        r"^\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}$", re.I
    ),
    re.compile(
        r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}$", re.I
    ),
)
_SESSION_SHAPES = (
    re.compile(r"^第?\s*[一二三四五六七八九十百零〇\d]+\s*届(?:会议|會議)?$"),
    re.compile(r"^(?:[a-z]+-)?[a-z]+(?:th|st|nd|rd)\s+(?:special\s+|emergency\s+)?session$", re.I),
    re.compile(r"^\d{1,3}(?:th|st|nd|rd)\s+session$", re.I),
    re.compile(r"^(?:session\s+)?\d{1,3}$", re.I),
)


def _fold(text: str) -> str:
    # NFKC folds fullwidth digits, letters and punctuation (`５９／５０`, `（2005）`).
    return unicodedata.normalize("NFKC", text)


def _canonical_case(s: str) -> str:
    s = s.upper()
    s = _TITLE_RE.sub(lambda m: _TITLE_WORDS[m.group(1)] + ".", s)
    s = _RES_DOT_RE.sub("Res.", s)
    return s


def _strip_wrapping(s: str) -> str:
    s = _URL_PREFIX.sub("", s)
    s = _LEAD_WORDS.sub("", s)
    s = _CJK_WRAP_HEAD.sub("", s)
    s = _CJK_WRAP_TAIL.sub("", s)
    s = _TRAIL_PUNCT.sub("", s)
    return s.strip()


def _canonical(compact: str) -> tuple[str | None, str | None]:
    """`compact` is upper-cased and space-free. Returns (symbol, error), or (None, None) when it
    has no shape of `SHAPES`."""
    for pattern, canonical in _CANONICAL:
        m = pattern.match(compact)
        if m:
            return canonical(m)
    return None, None


def normalize(text: str) -> Normalized:
    """Normalize one symbol as written into its canonical form.

    In: any string (`'第 59/48 号决议'`, `'a/res/59/48'`, `'1631 （2005）'`, `'217 A (III)'`,
    `'https://undocs.org/ch/S/RES/1631(2005)'`).
    Out: `Normalized(symbol='A/RES/59/48', error=None)`, or `Normalized(None, reason)` where
    `reason` says in words why the input is not a symbol (empty, too long, looks like a date,
    looks like a session number, unknown shape...). Idempotent: normalizing a returned symbol
    returns it unchanged.
    """
    if not isinstance(text, str):
        return Normalized(None, "not a string")
    if not text.strip():
        return Normalized(None, "empty: no symbol given")
    if len(text) > MAX_LENGTH:
        return Normalized(
            None, f"too long ({len(text)} characters; a symbol has at most {MAX_LENGTH})"
        )
    s = _fold(text).strip()
    s = _strip_wrapping(s)
    if not s:
        return Normalized(None, f"{text.strip()!r} holds no symbol, only the words around one")
    shown = _WS.sub(" ", text.strip())
    for shape in _DATE_SHAPES:
        if shape.match(s):
            return Normalized(None, f"{shown!r} looks like a date, not a symbol")
    for shape in _SESSION_SHAPES:
        if shape.match(s):
            return Normalized(None, f"{shown!r} looks like a session number, not a symbol")
    compact = _WS_PART_LETTER.sub(r"\1\2\3", _WS_INNER.sub(r"\1", s))
    if _WS.search(compact):
        return Normalized(
            None, f"{s!r} is not a UN document symbol: it has spaces between words"
        )
    compact = _canonical_case(compact)
    symbol, error = _canonical(compact)
    if symbol is not None:
        return Normalized(symbol, None)
    if error is not None:
        return Normalized(None, error)
    if compact.isdigit():
        if len(compact) == 4 and compact[:2] in ("19", "20"):
            return Normalized(None, f"{compact!r} looks like a year, not a symbol")
        return Normalized(
            None,
            f"{compact!r} is a bare number: give the session (59/48) or, for the Security "
            f"Council, the year (1631 (2005))",
        )
    return Normalized(
        None,
        f"{s!r} is not a UN document symbol (expected e.g. A/RES/59/48, 59/48, "
        f"S/RES/1631(2005), S/PRST/2010/1, A/77/L.107)",
    )


# --------------------------------------------------------------------------- parse

_P_YEAR = re.compile(r"(?:^|/)((?:19|20)\d{2})(?=/|\(|$)")


def parse(symbol: str) -> SymbolInfo:
    """Say what a symbol is.

    In: a symbol (normalized or not; it is normalized first).
    Out: `SymbolInfo(symbol, kind, session, year)` with kind one of `ga_resolution`,
    `sc_resolution`, `draft_resolution`, `presidential_statement`, `report`, `other`, and the
    session / year the symbol carries (`A/RES/64/183` -> session 64, `S/RES/1631(2005)` ->
    year 2005, `A/RES/2625(XXV)` -> session 25, `A/RES/S-30/1` -> neither).
    Raises ValueError (with the normalizer's reason) when the input is not a symbol.
    """
    n = normalize(symbol)
    if n.symbol is None:
        raise ValueError(n.error)
    s = n.symbol
    for pattern, shape in _PARSE:
        m = pattern.match(s)
        if m:
            break
    else:  # unreachable: the table's last row matches every symbol
        raise AssertionError(f"{s!r} matches no row of SHAPES")
    groups = m.groupdict()
    session = year = None
    if groups.get("session"):
        session = int(groups["session"])
    elif groups.get("roman"):
        session = roman_to_int(groups["roman"])
    if groups.get("year"):
        year = int(groups["year"])
    elif shape.year_anywhere:
        # `A/71/160-S/2016/621`: a joint report carries both the session and the year.
        year_m = _P_YEAR.search(s)
        year = int(year_m.group(1)) if year_m else None
    return SymbolInfo(s, shape.kind, session, year)


# --------------------------------------------------------------------------- candidates

_CAND_TOKEN = re.compile(
    r"(?:[A-Za-z]{1,10}(?:\.\d{1,3})?/)?(?:[A-Za-z0-9.\-]{1,14}/){0,7}"
    r"[A-Za-z0-9.\-]{1,14}(?:\s?\((?:\d{4}|[IVXLCivxlc]{1,7})\))?"
)
_LOOSE_PAIR = re.compile(r"^\s*(\d{2,3})\s*[\s.\-_:,]\s*(\d{1,4})\s*$")


def candidates(text: str) -> list[str]:
    """Tolerant search helper: the normalized symbols a user may have meant by `text`.

    In: free text typed into a search box (`'59/48'`, `'res 59 48'`, `'1631 2005'`,
    `'see A/71/160 and S/PRST/2010/1'`).
    Out: distinct normalized symbols, best guess first; `[]` when nothing fits.
    """
    out: list[str] = []

    def add(sym: str | None) -> None:
        if sym and sym not in out:
            out.append(sym)

    if not isinstance(text, str) or not text.strip():
        return out
    whole = normalize(text)
    add(whole.symbol)
    folded = _fold(text)[:2000]
    for m in _CAND_TOKEN.finditer(folded):
        tok = m.group(0).strip(".-")
        if "/" in tok or "(" in tok:
            add(normalize(tok).symbol)
    stripped = _strip_wrapping(folded.strip())
    m = _LOOSE_PAIR.match(stripped)
    if m:
        a, b = m.group(1), m.group(2)
        add(normalize(f"{a}/{b}").symbol)
        if len(b) == 4 and b[:2] in ("19", "20"):
            add(normalize(f"{a}({b})").symbol)
    m = re.match(r"^\s*(\d{1,4})\s*[\s(]\s*((?:19|20)\d{2})\s*\)?\s*$", stripped)
    if m:
        add(normalize(f"{m.group(1)}({m.group(2)})").symbol)
    return out
