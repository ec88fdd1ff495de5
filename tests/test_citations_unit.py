"""Focused unit tests of the extractor stages (contract: docs/extraction.md).

Whole-document expectations live in the gold (tests/test_citations_gold.py); these tests pin one
rule each, with small table-driven texts.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.citations import Citation, detect_language, extract, paragraphs, resolve
from app.citations.clean import OffsetMap, fold
from app.citations.find import find_calls, find_dates, find_symbols
from app.citations.verbs import LEXICONS, governing, lexicon

ROOT = Path(__file__).resolve().parent.parent
D = datetime.date


def one(text: str, lang: str | None = None) -> Citation:
    cs = extract(text, lang)
    assert len(cs) == 1, [c.symbol for c in cs]
    return cs[0]


def symbols(text: str, lang: str | None = None) -> list[str]:
    return [c.symbol for c in extract(text, lang)]


def check_offsets(text: str, cs: list[Citation]) -> None:
    assert [c.start for c in cs] == sorted(c.start for c in cs)
    for c in cs:
        assert text[c.start : c.end] == c.raw


# --------------------------------------------------------------------------- clean: folding


def test_fold_is_length_preserving_and_folds_fullwidth():
    text = "第５９／５０号决议（２００５），Ａ／ＲＥＳ　x"
    f = fold(text)
    assert len(f) == len(text)
    assert f == "第59/50号决议(2005),A/RES x"


def test_fold_leaves_other_text_alone():
    text = "回顾《联合国宪章》。——“合作”"
    assert fold(text) == text


@pytest.mark.parametrize(
    "text,raw,symbol",
    [
        ("大会，\n\n回顾其第５９／５０号决议，\n", "５９／５０", "A/RES/59/50"),
        ("大会，\n\n提及第１６３１（２００５）号决议，\n", "１６３１（２００５）", "S/RES/1631(2005)"),
        ("大会，\n\n回顾第 1631 （2005） 号决议，\n", "1631 （2005）", "S/RES/1631(2005)"),
        ("大会，\n\n审议了报告（Ａ／７１／１６０），\n", "Ａ／７１／１６０", "A/71/160"),
    ],
)
def test_offsets_map_back_to_the_original_with_fullwidth_input(text, raw, symbol):
    c = one(text)
    assert c.symbol == symbol
    assert c.raw == raw == text[c.start : c.end]


# --------------------------------------------------------------------------- clean: offset map


def test_offset_map_across_join_spaces():
    text = "ab\n\ncd"
    om = OffsetMap([(0, 2), (4, 6)], [0, 3])  # joined "ab cd"
    assert [om.to_original(j) for j in range(5)] == [0, 1, 2, 4, 5]
    assert om.span_to_original(1, 4) == (1, 5)
    assert text[slice(*om.span_to_original(0, 5))] == "ab\n\ncd"


def test_symbol_broken_across_lines_keeps_the_break_in_raw():
    text = " 大会， \n\n 1. 表示注意到秘书长的报告(A/71/160-\n\nS/2016/621)； \n"
    c = one(text)
    assert c.symbol == "A/71/160-S/2016/621"
    assert c.raw == "A/71/160-\n\nS/2016/621"
    assert c.location == "operative"


# --------------------------------------------------------------------------- clean: paragraphs

PDF = (
    " 第七十七届会议   \n\n议程项目 127(s)   \n\n"
    " 大会， \n\n"
    " 回顾联合国的宗旨之一是在维护国际和平与安全及解决属于经济、社会、文\n\n"
    "化或人道主义性质的国际问题方面开展合作， \n\n"
    " 还回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48\n\n"
    "号决议， \n\n"
    "__________________ \n\n"
    " 1 第 70/1 号决议。 \n\n"
    "https://undocs.org/ch/A/RES/70/1\n"
    " A/77/L.107 \n\n 3/4 23-16564 \n\n"
    " 1. 欣见上海合作组织开展活动，\n"
)


def test_pdf_layout_reassembles_lines_and_drops_furniture():
    paras = paragraphs(PDF, "zh")
    texts = [p.text for p in paras]
    assert texts == [
        "第七十七届会议",
        "议程项目 127(s)",  # a short line ends its paragraph: a new one starts below
        "大会，",
        "回顾联合国的宗旨之一是在维护国际和平与安全及解决属于经济、社会、文化或人道主义性质的国际问题方面开展合作，",
        "还回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48 号决议，",
        "第 70/1 号决议。",
        "1. 欣见上海合作组织开展活动，",
    ]
    assert [p.kind for p in paras] == ["body"] * 5 + ["footnote", "body"]
    assert paras[5].mark == "1"
    assert [p.location for p in paras] == [
        "body", "body", "body", "preamble", "preamble", "footnote", "operative",
    ]
    assert [p.index for p in paras] == list(range(7))


def test_pdf_symbol_raw_excludes_the_haoju_two_lines_later():
    c = extract(PDF, "zh")[0]
    assert (c.symbol, c.raw, c.verb, c.date) == ("A/RES/59/48", "59/48", "还回顾", D(2004, 12, 2))


def test_markdown_paragraph_interrupted_by_footnotes_goes_on():
    # seed 004: `…包括 2010 年 1 月 13 日<sup>3</sup> 和 2013` / footnotes / `年 8 月 6 日的声明，<sup>4</sup>`
    text = (
        "大会，\n\n"
        "提及安全理事会主席各项相关声明，包括 2010 年 1 月 13 日<sup>3</sup> 和 2013\n\n"
        "<sup>3</sup> S/PRST/2010/1；见《安全理事会决议及决定》。\n\n"
        "年 8 月 6 日的声明，<sup>4</sup> 其中着重指出，\n\n"
        "满意地注意到进展，\n\n"
        "---\n\n"
        "<sup>4</sup> S/PRST/2013/12。\n"
    )
    paras = paragraphs(text, "zh")
    assert [p.text for p in paras] == [
        "大会，",
        "提及安全理事会主席各项相关声明，包括 2010 年 1 月 13 日<sup>3</sup> 和 2013 "
        "年 8 月 6 日的声明，<sup>4</sup> 其中着重指出，",
        "S/PRST/2010/1；见《安全理事会决议及决定》。",
        "满意地注意到进展，",
        "S/PRST/2013/12。",
    ]
    cs = extract(text, "zh")
    got = [(c.symbol, c.verb, c.date, c.location, c.footnote, c.called_from) for c in cs]
    assert got == [
        ("S/PRST/2010/1", "提及", D(2010, 1, 13), "footnote", "3", 1),
        ("S/PRST/2013/12", "提及", D(2013, 8, 6), "footnote", "4", 1),
    ]


def test_bare_call_line_between_lines_of_a_paragraph():
    # seed 003: `…的声明，` / `1` / ` 其中强调联合国` is one paragraph; footnote mark alone on its line
    text = (
        " 大会， \n\n"
        " 提及联合国安理会的有关决议，以及安理会主席的声明，包括 2010 年 1 月 13 日的声明，\n"
        "1\n"
        " 其中强调联合国伙伴关系的重要性， \n\n"
        "__________________ \n\n \n1\n S/PRST/2010/1。 \n"
    )
    paras = paragraphs(text, "zh")
    assert paras[1].text.endswith("的声明， 1 其中强调联合国伙伴关系的重要性，")
    c = one(text, "zh")
    assert (c.symbol, c.verb, c.date, c.footnote, c.called_from, c.paragraph) == (
        "S/PRST/2010/1", "提及", D(2010, 1, 13), "1", 1, "S/PRST/2010/1。",
    )


def test_masthead_is_furniture():
    text = "Distr.: General  \n11 August 2009  \nChinese  \nOriginal: Russian\n\n## 第六十四届会议\n"
    assert [p.text for p in paragraphs(text)] == ["## 第六十四届会议"]


@pytest.mark.parametrize(
    "line",
    [" A/77/L.107 ", "3/4 23-16564", "23-16564", "A/77/L.107 23-16564", "2/4"],
)
def test_page_furniture_is_no_citation(line):
    text = f"大会，\n\n回顾第 59/48 号决议，\n\n{line}\n\n又回顾，\n"
    assert symbols(text, "zh") == ["A/RES/59/48"]


# --------------------------------------------------------------------------- find: symbols

FIND = [
    # (folded paragraph, symbols)
    ("回顾 2004 年 12 月 2 日第 59/48 号决议给予", ["A/RES/59/48"]),
    ("第 64/183号、2010 年 12 月 13 日第 65/124 号和第 75/268 号决议", ["A/RES/64/183", "A/RES/65/124", "A/RES/75/268"]),
    ("又回顾第64/183、65/124和67/15号决议", ["A/RES/64/183", "A/RES/65/124", "A/RES/67/15"]),
    ("第 1631(2005)号决议", ["S/RES/1631(2005)"]),
    ("安全理事会第 1540(2004)号决议所设委员会", ["S/RES/1540(2004)"]),
    ("S-30/1 号决议,附件。", ["A/RES/S-30/1"]),
    ("见《正式记录》(E/2009/28),第一章", ["E/2009/28"]),
    ("A/71/160-S/2016/621。", ["A/71/160-S/2016/621"]),
    ("S/PRST/2010/1;见", ["S/PRST/2010/1"]),
    ("Recalling its resolutions 64/183 of 18 December 2009 and 65/124 of 13 December 2010,", ["A/RES/64/183", "A/RES/65/124"]),
    ("Security Council resolution 1631 (2005) of 17 October 2005", ["S/RES/1631(2005)"]),
    ("resolutions 1325 (2000), 1820 (2008) and 1888 (2009)", ["S/RES/1325(2000)", "S/RES/1820(2008)", "S/RES/1888(2009)"]),
    ("General Assembly resolution A/RES/44/25", ["A/RES/44/25"]),
    ("resolutions 217 A (III) and 2625 (XXV)", ["A/RES/217(III)A", "A/RES/2625(XXV)"]),
    ("resolution ES-10/19", ["A/RES/ES-10/19"]),
    ("draft A/53/L.21/Rev.1 and A/77/L.107/Add.1", ["A/53/L.21/Rev.1", "A/77/L.107/Add.1"]),
    ("第 49 / 57 号决议", ["A/RES/49/57"]),
    # never symbols (docs "What counts as a citation")
    ("请求在第六十四届会议临时议程内列入一个项目", []),
    ("议程项目 127(s)", []),
    ("我们谨依照大会议事规则第 13 条", []),
    ("联合国,《条约汇编》,第 2896 卷,第 50518 号。", []),
    ("3/4 23-16564", []),
    ("2008/09 两年期", []),
    ("12/18/2009", []),
    ("2/3 多数", []),
    ("59/48", []),  # a bare number without 第…号 or resolution is no citation
    ("paragraph 5 of the 2005 World Summit Outcome", []),
    ("第 55/488 号决定", []),  # a decision has no symbol of its own
    ("https://undocs.org/ch/A/RES/59/48", []),  # a link, not a mention
    ("HIV/AIDS and TCP/IP", []),
    ("1994 年 12 月 9 日宣言", []),
]


@pytest.mark.parametrize("text,expected", FIND, ids=[t[:30] for t, _ in FIND])
def test_find_symbols(text, expected):
    assert [f.symbol for f in find_symbols(fold(text))] == expected


# --------------------------------------------------------------------------- find: dates

DATES = [
    ("2009年12月18日", [D(2009, 12, 18)]),
    ("2014 年 11 月 11 日", [D(2014, 11, 11)]),
    ("18 December 2009", [D(2009, 12, 18)]),
    ("December 18, 2009", [D(2009, 12, 18)]),
    ("le 18 décembre 2009", [D(2009, 12, 18)]),
    ("de 18 de diciembre de 2009", [D(2009, 12, 18)]),
    ("от 18 декабря 2009 года", [D(2009, 12, 18)]),
    ("2016 年 4 月 19 至 21 日", []),  # a range is no date
    ("2016 年 4 月 19 日至 21 日", []),
    ("18-20 December 2009", []),
    ("2009 年", []),
    ("2008 年 1 月", []),
    ("2009 年 2 月 30 日", []),  # no such day
    ("自 2004 年以来", []),
]


@pytest.mark.parametrize("text,expected", DATES, ids=[t for t, _ in DATES])
def test_find_dates(text, expected):
    assert [d for _, _, d in find_dates(fold(text))] == expected


# --------------------------------------------------------------------------- verbs

VERBS = [
    # (paragraph, verb, class) for the one citation in it
    ("还回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48号决议，", "还回顾", "recall"),
    ("考虑到一些成员国为经济转型国家，并为此提及大会在 2006 年 12 月 20 日第 61/210 号决议中建议，", "提及", "refer"),
    ("提及安全理事会以往所有各项相关决议，包括 2005 年 10 月 17 日第 1631(2005) 号决议，", "提及", "refer"),
    ("强调区域安排的作用，并回顾1994年12月9日第49/57号决议，", "并回顾", "recall"),
    ("考虑到成员国中包括经济转型国家，在这方面回顾大会 2006 年 12 月 20 日第 61/210 号决议，", "回顾", "recall"),
    ("确认合作，并在这方面注意到第 71/14 号决议，", "注意到", "note"),
    ("满意地注意到第 71/14 号决议，", "满意地注意到", "note"),
    ("1. 表示赞赏地注意到秘书长的报告(A/71/160)，", "表示赞赏地注意到", "note"),
    ("又确认上海合作组织根据第 S-30/1 号决议发挥作用，", "又确认", "other"),
    ("欣见第 71/14 号决议，", "欣见", "welcome"),
    ("铭记第 71/14 号决议，", "铭记", "bear_in_mind"),
    ("重申第 71/14 号决议，", "重申", "reaffirm"),
    # traditional Chinese
    ("回顧其第 59/48 號決議，", "回顧", "recall"),
    ("歡迎第 59/48 號決議，", "歡迎", "welcome"),
    ("銘記第 59/48 號決議，", "銘記", "bear_in_mind"),
    ("考慮到第 59/48 號決議，", "考慮到", "other"),
    ("又注意到第 59/48 號決議，", "又注意到", "note"),
]


@pytest.mark.parametrize("para,verb,cls", VERBS, ids=[v for _, v, _ in VERBS])
def test_governing_verb_zh(para, verb, cls):
    c = one("大会，\n\n" + para + "\n", "zh")
    assert (c.verb, c.verb_class) == (verb, cls)


EN_VERBS = [
    ("Recalling its resolution 64/183,", "Recalling", "recall"),
    ("Recalling also its resolution 64/183,", "Recalling also", "recall"),
    ("Further recalling resolution 64/183,", "Further recalling", "recall"),
    ("Noting with appreciation resolution 64/183,", "Noting with appreciation", "note"),
    ("Taking note of resolution 64/183,", "Taking note of", "note"),
    ("Bearing in mind resolution 64/183,", "Bearing in mind", "bear_in_mind"),
    ("Welcoming the cooperation, and in this regard recalling resolution 64/183,", "recalling", "recall"),
    ("Stressing the role, including resolution 64/183,", "Stressing", "other"),
    ("1. Takes note of the report of the Secretary-General (A/71/160);", "Takes note of", "note"),
    ("2. Welcomes resolution 64/183;", "Welcomes", "welcome"),
    ("Reaffirming resolution 64/183,", "Reaffirming", "reaffirm"),
    ("Referring to resolution 64/183,", "Referring to", "refer"),
]


@pytest.mark.parametrize("para,verb,cls", EN_VERBS, ids=[v for _, v, _ in EN_VERBS])
def test_governing_verb_en(para, verb, cls):
    c = one("The General Assembly,\n\n" + para + "\n", "en")
    assert (c.verb, c.verb_class) == (verb, cls)


def test_no_verb_gives_other():
    c = one("1994 年 3 月 24 日，联合国大会授予独联体观察员地位(第 48/237 号决议)。\n", "zh")
    assert (c.verb, c.verb_class, c.location, c.date) == (None, "other", "body", None)


def test_lexicons_cover_the_doc_table():
    zh = LEXICONS["zh"].verbs
    for w in "回顾 又回顾 还回顾 并回顾 再回顾 提及 又提及 还提及 并提及 重申 又重申 还重申".split():
        assert w in zh
    assert zh["表示赞赏地注意到"] == "note" and zh["欣见"] == "welcome" and zh["审议了"] == "other"
    assert LEXICONS["en"].verbs["Recalling also"] == "recall"
    for lang, verb in [("fr", "Rappelant"), ("es", "Recordando"), ("ru", "ссылаясь на"), ("ar", "وإذ تشير إلى")]:
        assert LEXICONS[lang].verbs[verb] == "recall"
    assert lexicon("zh-Hant") is LEXICONS["zh"] and lexicon(None) is LEXICONS["en"]


def test_governing_is_the_last_verb_before():
    verbs = LEXICONS["zh"].clause_verbs(fold("回顾第1号，又注意到第2号，包括第3号"))
    assert [c for _, _, c in verbs] == ["recall", "note"]
    assert governing(verbs, 0) is None
    assert governing(verbs, 5)[2] == "recall"
    assert governing(verbs, 100)[2] == "note"


@pytest.mark.parametrize(
    "text,lang,verb",
    [
        ("L'Assemblée générale,\n\nRappelant sa résolution 64/183 du 18 décembre 2009,\n", "fr", "Rappelant"),
        ("La Asamblea General,\n\nRecordando su resolución 64/183, de 18 de diciembre de 2009,\n", "es", "Recordando"),
        ("Генеральная Ассамблея,\n\nссылаясь на свою резолюцию 64/183 от 18 декабря 2009 года,\n", "ru", "ссылаясь на"),
    ],
)
def test_other_languages(text, lang, verb):
    c = one(text, lang)
    assert (c.symbol, c.verb, c.verb_class, c.location) == ("A/RES/64/183", verb, "recall", "preamble")


# --------------------------------------------------------------------------- dates on citations


@pytest.mark.parametrize(
    "para,dates",
    [
        ("回顾 2004 年 12 月 2 日第 59/48 号决议，", [D(2004, 12, 2)]),
        ("还回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48号决议，", [D(2004, 12, 2)]),
        ("回顾其 2009年 12月 18日第 64/183号、第 65/124 号和 2021 年 3 月 25 日第 75/268 号决议，", [D(2009, 12, 18), None, D(2021, 3, 25)]),
        ("回顾大会在第 71/14 号决议中注意到 2018 年 6 月 9 日举行的会议，", [None]),
        ("回顾 2004 年 12 月 2 日，大会通过了第 59/48 号决议，", [None]),
    ],
)
def test_citation_dates_zh(para, dates):
    assert [c.date for c in extract("大会，\n\n" + para + "\n", "zh")] == dates


def test_citation_dates_en():
    text = (
        "The General Assembly,\n\n"
        "Recalling its resolutions 64/183 of 18 December 2009 and 65/124 of 13 December 2010,\n\n"
        "Recalling also Security Council resolution 1631 (2005) of 17 October 2005,\n"
    )
    got = [(c.symbol, c.date, c.verb) for c in extract(text, "en")]
    assert got == [
        ("A/RES/64/183", D(2009, 12, 18), "Recalling"),
        ("A/RES/65/124", D(2010, 12, 13), "Recalling"),
        ("S/RES/1631(2005)", D(2005, 10, 17), "Recalling also"),
    ]


# --------------------------------------------------------------------------- footnotes


def test_find_calls():
    f = fold("落实《2030 年可持续发展议程》1 提出,《条约》,2 将,成果文件5 在,第 13 条,有 4 个,<sup>6</sup>")
    assert [(m, bare) for m, _, bare in find_calls(f, frozenset("123456"))] == [
        ("1", True), ("2", True), ("5", True), ("6", False),
    ]


def test_pdf_footnotes_take_verb_and_called_from():
    text = (
        " 大会， \n\n"
        " 考虑到成员国承诺努力落实《2030 年可持续发展议程》1 提出的目标， \n\n"
        " 又确认上海合作组织根据 2016 年 4 月 19 至 21 日举行的特别会议的成果文件2 在打击毒品方面发挥作用， \n\n"
        "__________________ \n\n"
        " 1 第 70/1 号决议。 \n\n"
        " 2 S-30/1 号决议，附件。 \n"
    )
    got = [(c.symbol, c.verb, c.verb_class, c.date, c.footnote, c.called_from, c.paragraph) for c in extract(text, "zh")]
    assert got == [
        ("A/RES/70/1", "考虑到", "other", None, "1", 1, "第 70/1 号决议。"),
        ("A/RES/S-30/1", "又确认", "other", None, "2", 2, "S-30/1 号决议，附件。"),
    ]


def test_footnote_date_needs_nothing_but_words_before_the_call():
    base = "大会，\n\n提及{p}\n\n<sup>1</sup> S/PRST/2010/1。\n"
    date_of = lambda p: extract(base.format(p=p), "zh")[-1].date  # noqa: E731
    assert date_of("主席声明，包括 2010 年 1 月 13 日<sup>1</sup>，") == D(2010, 1, 13)
    assert date_of("2010 年 1 月 13 日的声明，<sup>1</sup>") == D(2010, 1, 13)
    assert date_of("2010 年 1 月 13 日的声明，其中强调<sup>1</sup>") is None  # a separator between
    assert date_of("2010 年 1 月 13 日第 59/48 号决议和声明<sup>1</sup>") is None  # a symbol between
    assert date_of("声明<sup>1</sup>") is None
    # else the footnote's own date for the symbol
    text = "大会，\n\n提及声明，<sup>1</sup>\n\n<sup>1</sup> 2010 年 1 月 13 日 S/PRST/2010/1。\n"
    assert one(text, "zh").date == D(2010, 1, 13)


def test_first_call_wins():
    text = (
        "大会，\n\n审议了秘书长的报告，<sup>1</sup>\n\n1. 表示赞赏地注意到秘书长的报告，<sup>1</sup>\n\n"
        "<sup>1</sup> A/71/160-S/2016/621。\n"
    )
    c = one(text, "zh")
    assert (c.verb, c.called_from, c.location) == ("审议了", 1, "footnote")


def test_english_footnote():
    text = (
        "The General Assembly,\n\n"
        "1. Takes note of the report on the implementation of resolution 62/70;1\n\n"
        "__________________\n"
        "1 See General Assembly resolution 70/1 of 25 September 2015.\n"
    )
    got = [(c.symbol, c.verb, c.date, c.location, c.footnote, c.called_from) for c in extract(text, "en")]
    assert got == [
        ("A/RES/62/70", "Takes note of", None, "operative", None, None),
        ("A/RES/70/1", "Takes note of", D(2015, 9, 25), "footnote", "1", 1),
    ]


# --------------------------------------------------------------------------- links


def test_links_corroborate_the_first_unclaimed_mention():
    text = (
        " 大会， \n\n 回顾第 59/48 号决议和第 71/14 号决议， \n\n 又回顾第 71/14 号决议， \n\n"
        "https://undocs.org/ch/A/RES/59/48\nhttps://undocs.org/ch/A/RES/59/48\n"
        "https://undocs.org/ch/A/RES/71/14\nhttps://undocs.org/ch/A/RES/71/14\n"
        "http://undocs.org/ch/S/RES/1631(2005)\n"
    )
    cs = extract(text, "zh")
    check_offsets(text, cs)
    got = [(c.symbol, c.link, c.location, c.verb) for c in cs]
    assert got == [
        ("A/RES/59/48", "https://undocs.org/ch/A/RES/59/48", "preamble", "回顾"),
        ("A/RES/71/14", "https://undocs.org/ch/A/RES/71/14", "preamble", "回顾"),
        ("A/RES/71/14", "https://undocs.org/ch/A/RES/71/14", "preamble", "又回顾"),
        # a link whose symbol is mentioned nowhere is a citation of its own
        ("S/RES/1631(2005)", "http://undocs.org/ch/S/RES/1631(2005)", "body", None),
    ]
    orphan = cs[-1]
    assert orphan.raw == "S/RES/1631(2005)" and orphan.date is None and orphan.verb_class == "other"


# --------------------------------------------------------------------------- location


def test_location_body_preamble_operative_footnote_and_annex():
    text = (
        "请求列入项目(第 48/237 号决议)。\n\n"
        "大会，\n\n"
        "回顾第 59/48 号决议，\n\n"
        "1. 欢迎第 60/1 号决议；\n\n"
        "(a) 又欢迎第 61/1 号决议；\n\n"
        "附件\n\n"
        "见第 62/1 号决议。\n"
    )
    got = [(c.symbol, c.location) for c in extract(text, "zh")]
    assert got == [
        ("A/RES/48/237", "body"),
        ("A/RES/59/48", "preamble"),
        ("A/RES/60/1", "operative"),
        ("A/RES/61/1", "operative"),
        ("A/RES/62/1", "body"),
    ]


def test_english_resolution_start_and_numbered_paragraphs():
    text = (
        "Letter citing resolution 48/237.\n\n"
        "The General Assembly,\n\n"
        "Recalling resolution 59/48,\n\n"
        "1. Welcomes resolution 60/1;\n"
    )
    assert [(c.symbol, c.location) for c in extract(text, "en")] == [
        ("A/RES/48/237", "body"), ("A/RES/59/48", "preamble"), ("A/RES/60/1", "operative"),
    ]


# --------------------------------------------------------------------------- the seeds


@pytest.mark.parametrize("path", sorted((ROOT / "seed_data").glob("*.txt")), ids=lambda p: p.stem)
def test_seed_offsets_and_fields(path):
    text = path.read_text(encoding="utf-8")
    cs = extract(text)
    assert cs
    check_offsets(text, cs)
    for c in cs:
        assert c.verb_class in {"recall", "refer", "reaffirm", "note", "welcome", "bear_in_mind", "other"}
        assert (c.verb is None) == (c.verb_class == "other") or c.verb_class == "other"
        assert (c.location == "footnote") == (c.footnote is not None)
        assert c.called_from is None or c.location == "footnote"


def test_seed_001_as_in_the_brief():
    text = (ROOT / "seed_data" / "001_0fd7e56c3f5b41c3.txt").read_text(encoding="utf-8")
    got = [(c.symbol, c.verb, c.date and c.date.isoformat(), c.location) for c in extract(text)]
    assert got == [
        ("A/RES/59/48", "还回顾", "2004-12-02", "preamble"),
        ("A/RES/64/183", "回顾", "2009-12-18", "preamble"),
        ("A/RES/65/124", "回顾", "2010-12-13", "preamble"),
        ("A/RES/67/15", "回顾", "2012-11-19", "preamble"),
        ("A/RES/69/11", "回顾", "2014-11-11", "preamble"),
        ("A/RES/71/14", "回顾", "2016-11-21", "preamble"),
        ("A/RES/73/334", "回顾", "2019-08-30", "preamble"),
        ("A/RES/75/268", "回顾", "2021-03-25", "preamble"),
        ("A/RES/71/14", "回顾", None, "preamble"),
        ("A/RES/70/1", "考虑到", None, "footnote"),
        ("A/RES/60/288", "注意到", None, "footnote"),
        ("A/RES/S-30/1", "又确认", None, "footnote"),
        ("A/RES/61/210", "回顾", "2006-12-20", "preamble"),
    ]


# --------------------------------------------------------------------------- API


def test_to_json_key_order_and_values():
    c = one("大会，\n\n回顾 2004 年 12 月 2 日第 59/48 号决议，\n", "zh")
    d = c.to_json()
    assert list(d)[:6] == ["symbol", "verb", "date", "paragraph", "start", "end"]
    assert list(d)[6:] == ["raw", "verb_class", "location", "paragraph_index", "footnote", "called_from", "link"]
    assert d["date"] == "2004-12-02"
    json.dumps(d, ensure_ascii=False)
    with pytest.raises(AttributeError):
        c.symbol = "x"  # type: ignore[misc]


def test_resolve_looks_each_symbol_up_once():
    cs = extract("大会，\n\n回顾第 59/48 号和第 60/1 号决议，又回顾第 59/48 号决议，\n", "zh")
    calls = []

    def lookup(sym):
        calls.append(sym)
        return {"A/RES/59/48": 1}.get(sym)

    out = resolve(cs, lookup)
    assert [(c.symbol, r) for c, r in out] == [("A/RES/59/48", 1), ("A/RES/60/1", None), ("A/RES/59/48", 1)]
    assert calls == ["A/RES/59/48", "A/RES/60/1"]


@pytest.mark.parametrize(
    "text,lang",
    [
        ("大会，回顾其第 59/48 号决议", "zh"),
        ("Distr.: General\n\n大会，\n\n回顾其第 59/48 号决议，合作，区域组织", "zh"),
        ("The General Assembly, Recalling its resolution 59/48", "en"),
        ("L'Assemblée générale, Rappelant sa résolution 59/48 et la résolution", "fr"),
        ("La Asamblea General, Recordando su resolución 59/48 y la resolución del", "es"),
        ("Генеральная Ассамблея, ссылаясь на свою резолюцию", "ru"),
        ("إن الجمعية العامة، وإذ تشير إلى قرارها", "ar"),
        ("", "en"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_extract_edge_inputs():
    assert extract("") == []
    assert extract(None) == []  # type: ignore[arg-type]
    assert extract("\n\n \n") == []


def test_package_imports_no_framework_or_app_module():
    code = (
        "import sys, app.citations; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlmodel', 'sqlalchemy', 'fastapi', 'starlette', 'pydantic')"
        " or (m.startswith('app.') and not (m in ('app.symbols', 'app.budget') or m.startswith('app.citations')))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize(
    "written, symbol",
    [("64/183", "A/RES/64/183"), ("1631(2005)", "S/RES/1631(2005)"),
     ("S/PRST/2010/1", "S/PRST/2010/1"), ("A/77/L.107", "A/77/L.107"), ("S-30/1", "A/RES/S-30/1"),
     ("A/71/160-S/2016/621", "A/71/160-S/2016/621")],
)
def test_symbol_broken_by_a_line_break_anywhere_inside_is_one_citation(written, symbol):
    # PDF text breaks a line wherever the page is full: between digits too, not only before 号
    for cut in range(1, len(written)):
        for brk in ("\n", "\n\n"):
            text = f" 大会，\n\n 回顾其2004年12月2日第 {written[:cut]}{brk}{written[cut:]} 号决议，\n"
            cs = extract(text, "zh")
            assert [(c.symbol, c.date) for c in cs] == [(symbol, D(2004, 12, 2))], (cut, repr(brk), cs)
            assert cs[0].raw == written[:cut] + brk + written[cut:]
            assert written in cs[0].paragraph.replace(" ", "")


def test_a_line_break_between_a_symbol_and_a_number_does_not_join_them():
    cs = extract(" 大会，\n\n 回顾其第 64/183 号和第 65/124\n\n2010 年的决议，\n", "zh")
    assert [c.symbol for c in cs] == ["A/RES/64/183", "A/RES/65/124"]
