"""Chain anomalies: what a reader of a series would want flagged on its links.

Four rules, each a pure function of an organization's chain (`app.chains.queries.chain`):

- `gap`: a session with no text in a series that was otherwise annual or biennial. The series'
  sessions are those of its General Assembly resolutions and of its own texts (a letter or
  draft stands for the resolution it became), the observer-status resolution left out: it
  belongs to another item. Its cadence is the most common step between successive sessions, if
  that step is 1 or 2 sessions and at least half of the steps are no longer; every longer step
  then misses the sessions the cadence expected. The flag goes on the first link after the gap.
  A series of fewer than three sessions has no cadence, and nothing after the latest text is a
  gap (the next one may simply not be out yet).
- `no_predecessor`: a text that does not cite its immediate predecessor, the previous General
  Assembly resolution of its chain. A letter or draft that became a resolution stands for it:
  it is checked against the resolution before the one it became, and citing the draft counts as
  citing the resolution (and the other way round).
- `self_citation`: a text citing itself, or a draft citing the resolution it became.
- `future_citation`: a citation of a document dated after the citing one (the date the citation
  gives, else the cited document's), or from a later session than the citing text's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from app.calendar import session_end, session_of

GAP = "gap"
NO_PREDECESSOR = "no_predecessor"
SELF_CITATION = "self_citation"
FUTURE_CITATION = "future_citation"
RULES = (GAP, NO_PREDECESSOR, SELF_CITATION, FUTURE_CITATION)

_SERIES_KINDS = {"ga_resolution", "draft_resolution", "letter"}


@dataclass
class Anomaly:
    rule: str
    document: object  # the link's Document the flag stands on
    other: object | None = None  # predecessor (no_predecessor) or cited Document
    sessions: list[int] = field(default_factory=list)  # gap: the sessions without a text
    cadence: int | None = None  # gap: 1 annual, 2 biennial
    symbol: str | None = None  # the cited symbol (self/future citation)
    cited_date: dt.date | None = None
    citing_date: dt.date | None = None


def _is_observer(doc, org) -> bool:
    return bool(doc.symbol) and doc.symbol == org.observer_symbol


def _in_series(link, org) -> bool:
    doc = link.document
    if _is_observer(doc, org) or doc.kind not in _SERIES_KINDS:
        return False
    return doc.kind == "ga_resolution" or doc.organization_id in (None, org.id)


def _link_session(link) -> int | None:
    """The session a link stands for: the one of the resolution it became, else its own."""
    if link.became is not None and session_of(link.became) is not None:
        return session_of(link.became)
    return session_of(link.document)


def series_sessions(links, org) -> list[int]:
    """Sessions of the series' resolutions and texts, ascending, without the observer resolution."""
    return sorted({s for link in links if _in_series(link, org) and (s := _link_session(link))})


def cadence(sessions: list[int]) -> int | None:
    """1 (annual) or 2 (biennial), or None when the series has no such rhythm."""
    steps = [b - a for a, b in zip(sessions, sessions[1:])]
    if len(steps) < 2:
        return None
    counts = Counter(s for s in steps if s in (1, 2))
    if not counts:
        return None
    best = max(counts, key=lambda s: (counts[s], s))  # ties: the longer, fewer false alarms
    regular = sum(1 for s in steps if s <= best)
    return best if regular * 2 >= len(steps) else None


def gaps(links, org) -> list[Anomaly]:
    sessions = series_sessions(links, org)
    step = cadence(sessions)
    if step is None:
        return []
    out = []
    for a, b in zip(sessions, sessions[1:]):
        if b - a <= step:
            continue
        missing = list(range(a + step, b, step))
        first_after = next(
            link.document for link in links if _in_series(link, org) and _link_session(link) == b
        )
        out.append(Anomaly(GAP, first_after, sessions=missing, cadence=step))
    return out


def _stands_for(link) -> int:
    """The id of the resolution a link counts as: what a letter or draft became, else itself."""
    return link.became.id if link.became is not None else link.document.id


def missing_predecessors(links, org) -> list[Anomaly]:
    out = []
    for i, link in enumerate(links):
        doc = link.document
        if not link.has_text or doc.kind not in _SERIES_KINDS:
            continue
        me = _stands_for(link)
        previous = None
        for prev in reversed(links[:i]):
            pdoc = prev.document
            stands = _stands_for(prev)
            if stands == me:
                continue
            if pdoc.kind == "ga_resolution" or prev.became is not None:
                previous = prev
                break
        if previous is None:
            continue
        accepted = {previous.document.id, _stands_for(previous)}
        # the letters and drafts that became the predecessor count as it too
        accepted |= {p.document.id for p in links if p.became is not None and p.became.id in accepted}
        cited = {c.cited_id for c in link.cites}
        if not cited & accepted:
            target = previous.became if previous.became is not None else previous.document
            out.append(Anomaly(NO_PREDECESSOR, doc, other=target))
    return out


def self_citations(links, documents: dict) -> list[Anomaly]:
    out = []
    for link in links:
        doc = link.document
        own = {doc.id} | ({doc.became_id} if doc.became_id else set())
        for c in link.cites:
            if c.cited_id in own or (doc.symbol and c.cited_symbol == doc.symbol):
                out.append(Anomaly(SELF_CITATION, doc, other=documents.get(c.cited_id),
                                   symbol=c.cited_symbol))
    return out


def future_citations(links, documents: dict) -> list[Anomaly]:
    out = []
    for link in links:
        doc = link.document
        if not link.has_text:
            continue
        # read once per link, not per citation: ORM attribute reads add up over a long chain
        doc_id, doc_date, doc_session = doc.id, doc.date, doc.session
        latest = doc_date or (session_end(doc_session) if doc_session else None)
        seen = set()
        for c in link.cites:
            cited = documents.get(c.cited_id)
            if cited is not None and cited.id == doc_id:
                continue
            cited_date = c.cited_date or (cited.date if cited is not None else None)
            later = bool(cited_date and latest and cited_date > latest)
            if not later and cited is not None and cited.session and doc_session:
                later = cited.session > doc_session and cited.kind != "letter"
            if later and c.cited_symbol not in seen:
                seen.add(c.cited_symbol)
                out.append(Anomaly(FUTURE_CITATION, doc, other=cited, symbol=c.cited_symbol,
                                   cited_date=cited_date, citing_date=doc_date))
    return out


def chain_anomalies(links, org, documents: dict | None = None) -> list[Anomaly]:
    """Every anomaly of one chain, in chain order then rule order.

    `documents` maps ids to the cited documents (for their dates and sessions); the chain's own
    documents are always in it.
    """
    docs = {link.document.id: link.document for link in links}
    docs.update(documents or {})
    found = gaps(links, org) + missing_predecessors(links, org) + self_citations(links, docs) \
        + future_citations(links, docs)
    order = {link.document.id: i for i, link in enumerate(links)}
    return sorted(found, key=lambda a: (order.get(a.document.id, 0), RULES.index(a.rule)))


def by_document(anomalies: list[Anomaly]) -> dict[int, list[Anomaly]]:
    """Anomalies grouped by the id of the link they stand on (for the chain page)."""
    out: dict[int, list[Anomaly]] = {}
    for a in anomalies:
        out.setdefault(a.document.id, []).append(a)
    return out
