"""The anomaly rules on plain records: no database, no HTML.

A chain is a list of links as `app.chains.queries.chain` returns them; here each is built by a
small factory, so every rule's case reads as a table of sessions, kinds and citations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import count

import pytest

from app.chains import anomalies as rules

_ids = count(1)
ORG = 1


@dataclass
class Doc:
    symbol: str | None
    kind: str = "ga_resolution"
    session: int | None = None
    date: dt.date | None = None
    organization_id: int | None = ORG
    became_id: int | None = None
    id: int = field(default_factory=lambda: next(_ids))


@dataclass
class Cite:
    cited_id: int | None
    cited_symbol: str
    cited_date: dt.date | None = None


@dataclass
class Link:
    document: Doc
    cites: list[Cite] = field(default_factory=list)
    became: Doc | None = None
    has_text: bool = True


@dataclass
class Org:
    observer_symbol: str = "A/RES/60/1"
    id: int = ORG


def res(session: int, number: int = 10, **kw) -> Doc:
    """A General Assembly resolution of the series, dated in December of its session."""
    kw.setdefault("date", dt.date(1945 + session, 12, 1))
    return Doc(f"A/RES/{session}/{number}", session=session, **kw)


def cites(*docs: Doc, date: dt.date | None = None) -> list[Cite]:
    return [Cite(d.id, d.symbol, date) for d in docs]


def chain(*docs: Doc, recalls_previous: bool = True) -> list[Link]:
    """Links in order; each text cites the one before it unless told otherwise."""
    links = []
    for i, d in enumerate(docs):
        links.append(Link(d, cites(docs[i - 1]) if recalls_previous and i else []))
    return links


def names(found) -> list[tuple[str, str | None]]:
    return [(a.rule, a.document.symbol) for a in found]


# --- cadence and the series' sessions -----------------------------------------------------------


@pytest.mark.parametrize("sessions, expected", [
    ([64, 65, 67, 69, 71, 73, 75, 77], 2),  # SCO: annual, then biennial
    ([62, 63, 64, 66], 1),
    ([62, 64, 66, 70], 2),
    ([64, 69], None),  # too short to have a rhythm
    ([50, 55, 60, 62], None),  # mostly five-yearly
    ([], None),
])
def test_cadence(sessions, expected):
    assert rules.cadence(sessions) == expected


def test_the_series_leaves_out_the_observer_resolution_and_other_organizations_texts():
    observer = Doc("A/RES/60/1", session=60, organization_id=None)
    letter = Doc(None, kind="letter", date=dt.date(2008, 11, 20))
    became = res(64)
    other_orgs = Doc("A/63/L.1", kind="draft_resolution", session=63, organization_id=2)
    report = Doc("A/63/100", kind="report", session=63)
    links = [Link(observer), Link(letter, became=became), Link(became), Link(other_orgs), Link(report)]
    # the letter stands for the resolution it became, so its session is 64, not 63
    assert rules.series_sessions(links, Org()) == [64]


# --- gap ----------------------------------------------------------------------------------------


def test_a_missing_session_of_a_biennial_series_is_flagged_on_the_first_text_after_it():
    r62, r64, r66, r70 = res(62), res(64), res(66), res(70)
    found = rules.gaps(chain(r62, r64, r66, r70), Org())
    assert names(found) == [("gap", "A/RES/70/10")]
    assert found[0].sessions == [68] and found[0].cadence == 2


def test_no_gap_without_a_rhythm_or_after_the_latest_text():
    assert rules.gaps(chain(res(62), res(67)), Org()) == []
    assert rules.gaps(chain(res(62), res(63), res(64)), Org()) == []


# --- no_predecessor -----------------------------------------------------------------------------


def test_a_text_that_does_not_cite_the_resolution_before_it():
    r62, r64, r66 = res(62), res(64), res(66)
    links = chain(r62, r64, r66)
    links[2].cites = cites(r62)  # skips 64/10
    found = rules.missing_predecessors(links, Org())
    assert names(found) == [("no_predecessor", "A/RES/66/10")]
    assert found[0].other is r64


def test_a_letter_stands_for_the_resolution_it_became():
    r62 = res(62)
    r64 = res(64)
    letter = Doc(None, kind="letter", date=dt.date(2009, 7, 14), became_id=r64.id)
    r66 = res(66)
    links = [Link(r62), Link(letter, cites(r62), became=r64), Link(r64, cites(r62)), Link(r66, cites(letter))]
    # citing the letter counts as citing 64/10; the letter is checked against 62/10
    assert rules.missing_predecessors(links, Org()) == []


def test_a_text_lineage_has_no_words_of_is_not_checked():
    r62, r64 = res(62), res(64)
    links = [Link(r62), Link(r64, has_text=False)]
    assert rules.missing_predecessors(links, Org()) == []


# --- self_citation ------------------------------------------------------------------------------


def test_a_text_citing_itself_or_the_resolution_it_became():
    r64 = res(64)
    draft = Doc("A/64/L.20", kind="draft_resolution", session=64, became_id=r64.id)
    links = [Link(r64, cites(r64)), Link(draft, cites(r64))]
    found = rules.self_citations(links, {r64.id: r64, draft.id: draft})
    assert names(found) == [("self_citation", "A/RES/64/10"), ("self_citation", "A/64/L.20")]
    assert found[1].symbol == "A/RES/64/10"


def test_a_self_citation_by_symbol_alone():
    r64 = res(64)
    links = [Link(r64, [Cite(None, "A/RES/64/10")])]
    assert names(rules.self_citations(links, {})) == [("self_citation", "A/RES/64/10")]


# --- future_citation ----------------------------------------------------------------------------


def test_a_citation_of_a_later_document_by_date_or_by_session():
    r64, r66 = res(64), res(66)
    later_by_date = [Link(r64, cites(r66))]
    found = rules.future_citations(later_by_date, {r66.id: r66})
    assert names(found) == [("future_citation", "A/RES/64/10")]
    assert found[0].cited_date == r66.date and found[0].citing_date == r64.date

    undated = Doc("A/RES/67/5", session=67)
    assert names(rules.future_citations([Link(r64, cites(undated))], {undated.id: undated})) == [
        ("future_citation", "A/RES/64/10")]


def test_the_date_a_citation_gives_wins_and_letters_may_be_ahead():
    r64 = res(64)
    cited = Doc("A/RES/50/1", session=50, date=None)
    said_later = [Link(r64, cites(cited, date=dt.date(2011, 1, 1)))]
    assert names(rules.future_citations(said_later, {cited.id: cited})) == [("future_citation", "A/RES/64/10")]

    letter = Doc(None, kind="letter", session=65)  # a letter for the next session is no anomaly
    assert rules.future_citations([Link(r64, cites(letter))], {letter.id: letter}) == []


def test_a_later_document_is_flagged_once_and_not_without_a_text():
    r64, r66 = res(64), res(66)
    twice = [Link(r64, cites(r66, r66))]
    assert len(rules.future_citations(twice, {r66.id: r66})) == 1
    assert rules.future_citations([Link(r64, cites(r66), has_text=False)], {r66.id: r66}) == []


# --- all of them ------------------------------------------------------------------------------


def test_chain_anomalies_come_in_chain_order_then_rule_order():
    r62, r64, r66, r70 = res(62), res(64), res(66), res(70)
    links = chain(r62, r64, r66, r70)
    links[1].cites = cites(r62, r64)  # 64/10 cites itself
    links[3].cites = []  # 70/10 cites nothing: no predecessor, and 68 is missing
    found = rules.chain_anomalies(links, Org())
    assert names(found) == [
        ("self_citation", "A/RES/64/10"),
        ("gap", "A/RES/70/10"),
        ("no_predecessor", "A/RES/70/10"),
    ]
    grouped = rules.by_document(found)
    assert [a.rule for a in grouped[r70.id]] == ["gap", "no_predecessor"]
    assert r62.id not in grouped
