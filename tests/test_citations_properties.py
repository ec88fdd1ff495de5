"""Properties of the normalizer and the extractor (Hypothesis), and linear running time."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.citations import extract
from app.citations.clean import fold
from app.citations.find import _SYMBOL, _scan_symbols
from app.symbols import normalize

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# pieces of UN texts and of trouble: symbols, dates, list words, marks, furniture, links
TOKENS = [
    "第", "号", "號", "决议", "决定", "年", "月", "日", "至", "/", "(", ")", "（", "）", "／", "５",
    "0", "1", "2", "9", "59/48", "1631", "(2005)", "(XXV)", " A ", "ES-", "S-30/1", "A/RES/",
    "S/PRST/", "A/71/160-", "S/2016/621", "E/2009/28", "<sup>", "</sup>", "<sup>1</sup>", "[^1]",
    "\n", "\n\n", " ", "  ", "，", "、", "；", "：", "。", ",", ";", "回顾", "又回顾", "并", "为此",
    "提及", "注意到", "包括", "关于", "的", "大会，", "The General Assembly,", "Recalling",
    "Recalling also", "resolution ", "resolutions ", " and ", " of ", "18 December 2009",
    "2009年12月18日", "2014 年 11 月", "11 日", "__________", "---", " 1 ", "1\n", " * ",
    "https://undocs.org/ch/A/RES/59/48", "http://undocs.org/ch/S/RES/1631(2005)", "3/4 23-16564",
    " A/77/L.107 ", "Distr.: General", "附件", "1. ", "## ", "- ", "议程项目 127(s)",
    "第 2896 卷，第 50518 号", "\u3000", "\r\n", "\t", "《", "》", "”",
]
un_text = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
any_text = st.text(max_size=400)
symbolish = st.text(alphabet="0123456789/()-. AaRrEeSsLlPpTtXxVvIi第号决议（）／５\n", max_size=30)

VERB_CLASSES = {"recall", "refer", "reaffirm", "note", "welcome", "bear_in_mind", "other"}
LOCATIONS = {"preamble", "operative", "footnote", "body"}


# --------------------------------------------------------------------------- normalizer


@settings(SETTINGS, max_examples=100)
@given(st.one_of(any_text, symbolish, un_text))
def test_normalize_total_and_idempotent(text):
    n = normalize(text)
    assert (n.symbol is None) != (n.error is None)
    if n.symbol is not None:
        again = normalize(n.symbol)
        assert again.symbol == n.symbol
        assert len(n.symbol) <= 80 and " " not in n.symbol and "\n" not in n.symbol
    else:
        assert isinstance(n.error, str) and n.error


@SETTINGS
@given(
    st.sampled_from(["59/48", "A/RES/59/48", "1631(2005)", "S/PRST/2010/1", "A/53/L.21/Rev.1",
                     "217 A (III)", "ES-10/19", "A/71/160-S/2016/621", "E/2009/28"]),
    st.booleans(),
    st.booleans(),
)
def test_normalize_ignores_case_width_and_wrapping(symbol, lower, wide):
    base = normalize(symbol).symbol
    s = symbol.lower() if lower else symbol
    if wide:
        s = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)
    assert normalize(s).symbol == base
    assert normalize(f"第 {s} 号决议").symbol == base or "/" not in symbol and "(" in symbol


# --------------------------------------------------------------------------- extractor


def _check(text: str) -> None:
    cs = extract(text)
    starts = [c.start for c in cs]
    assert starts == sorted(starts)
    for c in cs:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end] == c.raw
        assert normalize(c.symbol).symbol == c.symbol
        assert c.verb_class in VERB_CLASSES
        assert c.location in LOCATIONS
        assert (c.location == "footnote") == (c.footnote is not None) or c.location != "footnote"
        assert c.verb is None or c.verb in c.paragraph or c.location == "footnote"
        c.to_json()


@SETTINGS
@given(un_text)
def test_extract_never_raises_on_un_like_text(text):
    _check(text)


@SETTINGS
@given(any_text)
def test_extract_never_raises_on_any_text(text):
    _check(text)


@SETTINGS
@given(st.text(alphabet="0123456789/(年月日第号\n<sup>", max_size=300))
def test_extract_never_raises_on_adversarial_alphabet(text):
    _check(text)


@SETTINGS
@given(un_text)
def test_fold_is_length_preserving(text):
    assert len(fold(text)) == len(text)


@SETTINGS
@given(st.one_of(un_text, st.text(alphabet="0123456789/()-. ASERCLXIVES年第号", max_size=120)))
def test_candidate_scan_equals_plain_regex_scan(text):
    # find._scan_symbols only tries positions near a `/` or `(`; it must find what finditer finds
    f = fold(text)
    assert [m.span() for m in _scan_symbols(f)] == [m.span() for m in _SYMBOL.finditer(f)]


# --------------------------------------------------------------------------- linear time

ADVERSARIAL = {
    # one 1 MB paragraph of `第1/1/1/…号决议，`: a `/` every other character
    "di_slashes": lambda n: ("第" + "1/" * 40 + "1号决议，") * (n // 86 + 1),
    # dates without a day: every `年` is a candidate that fails
    "year_month": lambda n: ("回顾第59/48号决议，" + "2009年12月" * 50) * (n // 410 + 1),
    # long runs of digits and slashes
    "digits_slashes": lambda n: ("1234567890/" * 7 + "//" + "9" * 30) * (n // 109 + 1),
    # `<sup>` never closed, and calls that all look back to one date
    "sup": lambda n: "<sup>1</sup> A/RES/59/48\n提及" + ("<sup>" * 20 + "2009年12月18日<sup>1</sup>，") * (n // 140),
    # one paragraph-long list of dated items, dates everywhere
    "dated_list": lambda n: "回顾" + ("2009年12月18日第59/48号、" + "2009年12月18日，" * 8) * (n // 120) + "决议，",
    # footnote definitions, marks alone on lines, furniture, short paragraphs
    "lines": lambda n: ("__________\n 1 见报告。\n1\n 3/4 23-16564 \n回顾，\n\n" * (n // 40)),
}


def _cpu(text: str) -> float:
    t = time.process_time()
    extract(text)
    return time.process_time() - t


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_linear_time(name):
    make = ADVERSARIAL[name]
    small, big = make(100_000), make(1_000_000)
    assert 8 * len(small) < len(big) < 12 * len(small)
    # CPU time, median of three for the small text (a shared machine makes single runs noisy),
    # and one retry for the big one
    t_small = max(sorted(_cpu(small) for _ in range(3))[1], 1e-3)
    t_big = _cpu(big)
    if t_big / t_small >= 20:
        t_big = min(t_big, _cpu(big))
    assert t_big / t_small < 20, (name, t_small, t_big)
