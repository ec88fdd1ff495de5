"""The table of symbol shapes (`app.symbols.SHAPES`): every row works in every stage, and every
stage tries the rows in the table's order.

A new row needs its case in `CARRIES` (what `parse` reads from its example)."""

from __future__ import annotations

import re

import pytest

from app.citations import find
from app.citations.clean import fold
from app.citations.find import Found, find_symbols
from app.symbols import KINDS, SHAPES, SymbolInfo, normalize, parse
from app import symbols

# row -> (session, year) that `parse` gives for the row's example
CARRIES: dict[str, tuple[int | None, int | None]] = {
    "ga": (59, None),
    "spec": (None, None),
    "sc": (None, 2005),
    "old": (25, None),
    "prst": (None, 2010),
    "draft": (77, None),
    "ga_report": (71, 2016),
    "sc_report": (None, 2016),
    "let": (None, 2009),
}

LETTERED = SHAPES[-1]


def _first(column: str, symbol: str):
    """The first row, in the table's order, whose `column` pattern matches `symbol`."""
    return next(s for s in SHAPES if getattr(s, column) and re.match(getattr(s, column), symbol))


def test_every_row_has_its_case_and_a_unique_name():
    names = [s.name for s in SHAPES]
    assert len(set(names)) == len(names)
    assert set(CARRIES) == set(names)
    assert all(s.name.isidentifier() for s in SHAPES)  # the finder's group names


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
def test_every_rows_example_normalizes_parses_and_is_found(shape):
    ex = shape.example
    assert shape.kind in KINDS
    # normalizer: the example is canonical, and the written form becomes it
    assert normalize(ex).symbol == ex
    if shape.written:
        assert normalize(shape.written).symbol == ex
    # the row that normalizes it is this row, or the lettered row where this one has no pattern
    assert _first("compact", ex) is (shape if shape.compact else LETTERED)
    # parser: the row that claims the example is this row, and it says what the row says
    assert _first("parse", ex) is shape
    assert parse(ex) == SymbolInfo(ex, shape.kind, *CARRIES[shape.name])
    # finder: the example stands on its own in a text
    text = f"see {ex}."
    assert find_symbols(fold(text)) == [Found(4, 4 + len(ex), ex)]


@pytest.mark.parametrize("shape", [s for s in SHAPES if s.find], ids=lambda s: s.name)
def test_every_rows_fragment_finds_its_written_form(shape):
    written = shape.written or shape.example
    # a bare number counts behind `resolution`, a lettered symbol anywhere
    text = f"resolution {written} of" if shape.anchored else f"see {written} of"
    folded = fold(text)
    start = text.index(written)
    assert find_symbols(folded) == [Found(start, start + len(written), shape.example)]
    assert find._SYMBOL.match(folded, start).lastgroup == shape.name
    if shape.anchored:
        # with no anchor a bare number is no citation (a page number, an agenda item...)
        assert find_symbols(fold(f"see {written} of")) == []


def test_the_stages_use_the_tables_order():
    groups = find._SYMBOL.groupindex
    assert sorted(groups, key=groups.get) == [s.name for s in SHAPES if s.find]
    assert find._ANCHORED == {s.name for s in SHAPES if s.find and s.anchored}
    assert [(p.pattern, c) for p, c in symbols._CANONICAL] == [
        (s.compact, s.canonical) for s in SHAPES if s.compact
    ]
    assert [(p.pattern, s) for p, s in symbols._PARSE] == [(s.parse, s) for s in SHAPES if s.parse]


def test_the_lettered_row_comes_last_because_it_accepts_every_shape():
    # Tried first, it would take the other rows' symbols: `A/RES/059/048` would stay as written,
    # `S/RES/1631(2005)` would lose its year.
    assert LETTERED.name == "let"
    for shape in SHAPES[:-1]:
        assert re.match(LETTERED.compact, shape.example), shape.name
        assert re.match(LETTERED.parse, shape.example), shape.name
    assert normalize("A/RES/059/048").symbol == "A/RES/59/48"
    assert parse("S/RES/1631(2005)").kind == "sc_resolution"
