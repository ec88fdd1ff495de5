"""Table-driven tests of app.symbols (docs/extraction.md, "The normalized symbol")."""

from __future__ import annotations

import pytest

from app.symbols import SymbolInfo, candidates, normalize, parse

# (as written, normalized) - the table of the contract first, then forms seen in the seeds
NORMALIZE = [
    # docs table
    ("59/48", "A/RES/59/48"),
    ("第59/48号决议", "A/RES/59/48"),
    ("A/RES/59/48", "A/RES/59/48"),
    ("a/res/59/48", "A/RES/59/48"),
    ("resolution 59/48", "A/RES/59/48"),
    ("1631(2005)", "S/RES/1631(2005)"),
    ("1631 (2005)", "S/RES/1631(2005)"),
    ("第1631(2005)号决议", "S/RES/1631(2005)"),
    ("S/RES/1631 (2005)", "S/RES/1631(2005)"),
    ("1631（2005）", "S/RES/1631(2005)"),
    ("S-30/1", "A/RES/S-30/1"),
    ("A/RES/S-30/1", "A/RES/S-30/1"),
    ("ES-10/19", "A/RES/ES-10/19"),
    ("2625 (XXV)", "A/RES/2625(XXV)"),
    ("217 A (III)", "A/RES/217(III)A"),
    ("A/77/L.107", "A/77/L.107"),
    ("A/53/L.21/Rev.1", "A/53/L.21/Rev.1"),
    ("A/77/L.107/Add.1", "A/77/L.107/Add.1"),
    ("A/77/L.107/Corr.1", "A/77/L.107/Corr.1"),
    ("a/77/l.107/corr.1", "A/77/L.107/Corr.1"),
    ("A/53/L.21/REV.1", "A/53/L.21/Rev.1"),
    ("S/PRST/2010/1", "S/PRST/2010/1"),
    ("A/71/160-S/2016/621", "A/71/160-S/2016/621"),
    ("E/2009/28", "E/2009/28"),
    ("A/71/160", "A/71/160"),
    ("S/2016/621", "S/2016/621"),
    # fullwidth, spaces and line breaks inside a symbol (seed 004 `第 49/57 号`, brief)
    ("第５９／５０号", "A/RES/59/50"),
    ("49 / 57", "A/RES/49/57"),
    ("第 49/57 号决议", "A/RES/49/57"),
    ("S/PRST/\n\n2010/1", "S/PRST/2010/1"),
    ("A/71/160-\n\nS/2016/621", "A/71/160-S/2016/621"),
    ("ES-\n\n11/1", "A/RES/ES-11/1"),
    ("Ａ/ＲＥＳ/５９/４８", "A/RES/59/48"),
    ("第 1540(2004)号决议", "S/RES/1540(2004)"),
    ("S-30/1 号决议", "A/RES/S-30/1"),
    ("第59/48號決議", "A/RES/59/48"),
    ("General Assembly resolution 70/1", "A/RES/70/1"),
    ("Security Council resolution 1631 (2005)", "S/RES/1631(2005)"),
    ("resolutions 64/183", "A/RES/64/183"),
    # undocs links (seeds 001, 003)
    ("https://undocs.org/ch/A/RES/59/48", "A/RES/59/48"),
    ("http://undocs.org/ch/S/RES/1631(2005)", "S/RES/1631(2005)"),
    ("https://undocs.org/A/RES/S-30/1", "A/RES/S-30/1"),
    ("https://undocs.org/zh/S/PRST/2010/1", "S/PRST/2010/1"),
    # more series
    ("A/C.3/77/L.5", "A/C.3/77/L.5"),
    ("E/CN.6/2020/3", "E/CN.6/2020/3"),
    ("ST/SGB/2019/1", "ST/SGB/2019/1"),
    ("A/RES/2625 (XXV)", "A/RES/2625(XXV)"),
    ("A/RES/217 A (III)", "A/RES/217(III)A"),
    ("A/RES/59/48.", "A/RES/59/48"),
    (" 59/48 ", "A/RES/59/48"),
]


@pytest.mark.parametrize("raw,expected", NORMALIZE, ids=[r for r, _ in NORMALIZE])
def test_normalize(raw, expected):
    n = normalize(raw)
    assert n.ok and n.error is None, n.error
    assert n.symbol == expected
    # idempotent
    assert normalize(n.symbol).symbol == n.symbol


# (input, a word the reason must contain)
ERRORS = [
    ("", "empty"),
    ("   \n", "empty"),
    ("x" * 81, "too long"),
    ("A/RES/" + "1" * 80, "too long"),
    ("2009-12-18", "date"),
    ("18 December 2009", "date"),
    ("2009年12月18日", "date"),
    ("12/18/2009", "date"),
    ("第六十四届会议", "session"),
    ("sixty-fourth session", "session"),
    ("64th session", "session"),
    ("64", "session"),
    ("3/4", "page number"),  # `3/4 23-16564` PDF footer (seed 001)
    ("1/2", "fraction"),
    ("2005", "year"),
    ("1631", "bare number"),
    ("127(s)", "not a UN document symbol"),  # agenda item (seed 001)
    ("hello", "not a UN document symbol"),
    ("see A/71/160", "spaces between words"),
    ("HIV/AIDS", "no number"),
    ("第号决议", "only the words"),
    ("2625 (XXXV)", "old-style"),  # session 35 used new-style symbols
    ("1631 (1200)", "Security Council"),
    ("250/1", "session 250"),
]


@pytest.mark.parametrize("raw,word", ERRORS, ids=[repr(r[:20]) for r, _ in ERRORS])
def test_normalize_errors(raw, word):
    n = normalize(raw)
    assert not n.ok and n.symbol is None
    assert n.error and word.lower() in n.error.lower(), n.error


def test_normalize_not_a_string():
    assert normalize(None).error  # type: ignore[arg-type]


PARSE = [
    ("A/RES/64/183", "ga_resolution", 64, None),
    ("59/48", "ga_resolution", 59, None),
    ("A/RES/S-30/1", "ga_resolution", None, None),
    ("A/RES/ES-10/19", "ga_resolution", None, None),
    ("A/RES/2625(XXV)", "ga_resolution", 25, None),
    ("217 A (III)", "ga_resolution", 3, None),
    ("S/RES/1631(2005)", "sc_resolution", None, 2005),
    ("A/77/L.107", "draft_resolution", 77, None),
    ("A/53/L.21/Rev.1", "draft_resolution", 53, None),
    ("A/77/L.107/Add.1", "draft_resolution", 77, None),
    ("A/C.3/77/L.5", "draft_resolution", 77, None),
    ("S/PRST/2010/1", "presidential_statement", None, 2010),
    ("A/71/160-S/2016/621", "report", 71, 2016),
    ("A/71/160", "report", 71, None),
    ("S/2016/621", "report", None, 2016),
    ("E/2009/28", "other", None, 2009),
    ("ST/SGB/2019/1", "other", None, 2019),
]


@pytest.mark.parametrize("raw,kind,session,year", PARSE, ids=[p[0] for p in PARSE])
def test_parse(raw, kind, session, year):
    info = parse(raw)
    assert isinstance(info, SymbolInfo)
    assert info.symbol == normalize(raw).symbol
    assert (info.kind, info.session, info.year) == (kind, session, year)


def test_parse_rejects_non_symbols_with_the_reason():
    with pytest.raises(ValueError, match="date"):
        parse("2009-12-18")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("59/48", ["A/RES/59/48"]),
        ("res 59 48", ["A/RES/59/48"]),
        ("59-48", ["A/RES/59/48"]),
        ("1631 2005", ["S/RES/1631(2005)"]),
        ("see A/71/160 and S/PRST/2010/1", ["A/71/160", "S/PRST/2010/1"]),
        ("nothing here", []),
        ("", []),
    ],
)
def test_candidates(text, expected):
    assert candidates(text) == expected


def test_normalized_is_frozen():
    n = normalize("59/48")
    with pytest.raises(AttributeError):
        n.symbol = "x"  # type: ignore[misc]
