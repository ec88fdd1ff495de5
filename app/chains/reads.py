"""Reads of the read model (app/chains/readmodel.py) for the pages and the API: a few SQL
statements each, whatever the size of the record, into small typed records.

Every list is a page: `Page` carries its rows, its number, its size and the total, and the
pages are in a stable order that an index gives (organizations by acronym, anomalies by
organization then chain order, unresolved symbols most cited first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session, aliased

from app.chains.queries import mark_sources
from app.chains.readmodel import DOCUMENT_FIELDS, document_columns
from app.documents.queries import source_facts_of
from app.models import (
    ChainAnomaly,
    ChainMember,
    Citation,
    ChainSummary,
    Document,
    Organization,
    UnresolvedCiter,
    UnresolvedSymbol,
)

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    rows: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The 1-based number of the page's first row."""
        return (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


class DocLabel(NamedTuple):
    """What a page needs to name, date and link a document (app/documents/labels.py, app/web/urls.py)."""

    __annotations__ = dict(DOCUMENT_FIELDS)  # id, key, symbol, kind, session, date; then:
    date_source: str | None
    has_text: bool
    provenance: dict[str, Any] | None  # only for a document without a symbol: its label needs it
    # What a public source says became of it (templates/_outcome.html, app/chains/queries.mark_sources)
    organization_id: int | None = None
    public_facts: bool = False
    outcome: str | None = None
    outcome_date: dt.date | None = None
    vote: str | None = None
    votes_yes: int | None = None
    votes_no: int | None = None
    votes_abstain: int | None = None


def _label_columns(doc) -> list:
    # `text IS NOT NULL` and the provenance only where it names the document: SQLite never reads
    # through a text (bench/README.md).
    return [*document_columns(doc), doc.date_source, doc.text.is_not(None),
            case((doc.symbol.is_(None), doc.provenance)), doc.organization_id, doc.public_facts,
            doc.outcome, doc.outcome_date, doc.vote, doc.votes_yes, doc.votes_no, doc.votes_abstain]


_LABEL_WIDTH = len(DocLabel._fields)


def _label(row, start: int) -> DocLabel | None:
    values = tuple(row[start:start + _LABEL_WIDTH])
    return None if values[0] is None else DocLabel(*values)


# --- organizations --------------------------------------------------------------------------


class OrganizationRow(NamedTuple):
    id: int
    acronym: str
    name_zh: str
    name_en: str
    observer_symbol: str
    length: int
    anomalies: int
    first: DocLabel | None
    latest: DocLabel | None


def organizations_page(session: Session, page: int = 1, per_page: int = 50) -> Page[OrganizationRow]:
    """Organizations by acronym, each with its chain's length, first and latest document."""
    first, latest = aliased(Document), aliased(Document)
    org_columns = [Organization.id, Organization.acronym, Organization.name_zh, Organization.name_en,
                   Organization.observer_symbol, func.coalesce(ChainSummary.length, 0),
                   func.coalesce(ChainSummary.anomalies, 0)]
    stmt = (
        select(*org_columns, *_label_columns(first), *_label_columns(latest))
        .select_from(Organization)
        .join(ChainSummary, ChainSummary.organization_id == Organization.id, isouter=True)
        .join(first, first.id == ChainSummary.first_id, isouter=True)
        .join(latest, latest.id == ChainSummary.latest_id, isouter=True)
        .order_by(Organization.acronym).offset((page - 1) * per_page).limit(per_page)
    )
    n = len(org_columns)
    rows = [OrganizationRow(*r[:n], _label(r, n), _label(r, n + _LABEL_WIDTH)) for r in session.execute(stmt)]
    total = session.execute(select(func.count()).select_from(Organization)).scalar_one()
    return Page(rows, page, per_page, total)


def organization_summary(session: Session, org_id: int) -> OrganizationRow | None:
    """One organization's row of `organizations_page`."""
    first, latest = aliased(Document), aliased(Document)
    stmt = (
        select(Organization.id, Organization.acronym, Organization.name_zh, Organization.name_en,
               Organization.observer_symbol, func.coalesce(ChainSummary.length, 0),
               func.coalesce(ChainSummary.anomalies, 0), *_label_columns(first), *_label_columns(latest))
        .select_from(Organization)
        .join(ChainSummary, ChainSummary.organization_id == Organization.id, isouter=True)
        .join(first, first.id == ChainSummary.first_id, isouter=True)
        .join(latest, latest.id == ChainSummary.latest_id, isouter=True)
        .where(Organization.id == org_id)
    )
    r = session.execute(stmt).first()
    return None if r is None else OrganizationRow(*r[:7], _label(r, 7), _label(r, 7 + _LABEL_WIDTH))


# --- anomalies ------------------------------------------------------------------------------


class AnomalyRow(NamedTuple):
    rule: str
    document: DocLabel
    other: DocLabel | None
    symbol: str | None
    sessions: list[int]
    cadence: int | None
    cited_date: dt.date | None
    citing_date: dt.date | None


def _anomaly_rows(session: Session, org_ids: list[int]) -> dict[int, list[AnomalyRow]]:
    out: dict[int, list[AnomalyRow]] = {i: [] for i in org_ids}
    if not org_ids:
        return out
    doc, other = aliased(Document), aliased(Document)
    a = ChainAnomaly
    head = [a.organization_id, a.rule, a.symbol, a.sessions, a.cadence, a.cited_date, a.citing_date]
    stmt = (
        select(*head, *_label_columns(doc), *_label_columns(other))
        .join(doc, doc.id == a.document_id)
        .join(other, other.id == a.other_id, isouter=True)
        .where(a.organization_id.in_(org_ids))
        .order_by(a.organization_id, a.seq)
    )
    n = len(head)
    for r in session.execute(stmt):
        out[r[0]].append(AnomalyRow(r[1], _label(r, n), _label(r, n + _LABEL_WIDTH), r[2], list(r[3] or []),
                                    r[4], r[5], r[6]))
    return out


def anomalies_page(session: Session, page: int = 1, per_page: int = 20) -> tuple[Page, int]:
    """A page of organizations (by acronym), each with its chain's anomalies in chain order; and
    how many anomalies there are in all."""
    orgs = organizations_page(session, page, per_page)
    found = _anomaly_rows(session, [o.id for o in orgs.rows])
    total = session.execute(select(func.coalesce(func.sum(ChainSummary.anomalies), 0))).scalar_one()
    return Page([(o, found[o.id]) for o in orgs.rows], page, per_page, orgs.total), total


def chain_anomalies(session: Session, org_id: int) -> list[AnomalyRow]:
    """One chain's anomalies, in chain order then rule order."""
    return _anomaly_rows(session, [org_id])[org_id]


# --- unresolved symbols ---------------------------------------------------------------------


class UnresolvedRow(NamedTuple):
    symbol: str
    document: DocLabel | None
    citers_count: int
    mentions: int
    citers: list[DocLabel]  # the first few, oldest first

    @property
    def more(self) -> int:
        return self.citers_count - len(self.citers)


def _first_citers_lateral(symbols: list[str], citers: int, citing):
    """The same rows as `unresolved_page`'s IN (first citers), for PostgreSQL: it runs that
    correlated subquery once per citer of the page's symbols (every citer of the most cited
    ones), where a LATERAL join runs it once per symbol. SQLite has no LATERAL."""
    u, first = UnresolvedSymbol, aliased(UnresolvedCiter)
    firsts = (select(first.citing_id, first.sort_date, first.citing_key).where(first.symbol == u.symbol)
              .order_by(first.sort_date, first.citing_key).limit(citers).lateral("firsts"))
    return (select(u.symbol, *_label_columns(citing)).select_from(u)
            .join(firsts, true()).join(citing, citing.id == firsts.c.citing_id)
            .where(u.symbol.in_(symbols))
            .order_by(u.symbol, firsts.c.sort_date, firsts.c.citing_key))


def unresolved_page(session: Session, page: int = 1, per_page: int = 50, citers: int = 10) -> Page[UnresolvedRow]:
    """Cited symbols Lineage has no text for, most cited first (citing documents, then mentions,
    then symbol), each with its first `citers` citing documents by date."""
    u = UnresolvedSymbol
    doc = aliased(Document)
    head = [u.symbol, u.citers, u.mentions]
    stmt = (
        select(*head, *_label_columns(doc))
        .join(doc, doc.id == u.document_id, isouter=True)
        .order_by(u.citers.desc(), u.mentions.desc(), u.symbol)
        .offset((page - 1) * per_page).limit(per_page)
    )
    entries = [(r[0], _label(r, 3), r[1], r[2]) for r in session.execute(stmt)]
    by_symbol: dict[str, list[DocLabel]] = {e[0]: [] for e in entries}
    if entries:
        citing = aliased(Document)
        c, first = UnresolvedCiter, aliased(UnresolvedCiter)
        # Each symbol's first citers, read off the (symbol, sort_date, citing_key) index: a
        # much-cited symbol costs no more than another.
        firsts = (select(first.citing_id).where(first.symbol == c.symbol)
                  .order_by(first.sort_date, first.citing_key).limit(citers).correlate(c))
        stmt = (select(c.symbol, *_label_columns(citing)).join(citing, citing.id == c.citing_id)
                .where(c.symbol.in_(list(by_symbol)), c.citing_id.in_(firsts))
                .order_by(c.symbol, c.sort_date, c.citing_key))
        if session.get_bind().dialect.name == "postgresql":
            stmt = _first_citers_lateral(list(by_symbol), citers, citing)
        for r in session.execute(stmt):
            by_symbol[r[0]].append(_label(r, 1))
    total = session.execute(select(func.count()).select_from(u)).scalar_one()
    rows = [UnresolvedRow(s, d, n, m, by_symbol[s]) for s, d, n, m in entries]
    return Page(rows, page, per_page, total)


# --- one chain ------------------------------------------------------------------------------


@dataclass
class StoredLink:
    """One link of a chain as the writer stored it (app/chains/readmodel.py), with its facts from
    public sources (`mark_sources`)."""

    document: DocLabel
    became: DocLabel | None
    has_text: bool
    recalls: list[DocLabel]  # the chain's earlier resolutions this text cites
    leaves_out: list[DocLabel]  # and those it does not
    facts: list = field(default_factory=list)
    from_source: bool = False
    sources_begin: bool = False


def chain(session: Session, org_id: int) -> list[StoredLink]:
    """An organization's chain in order, each link with what it recalls and leaves out, and its
    facts from public sources: two statements, whatever the chain's length."""
    doc, became = aliased(Document), aliased(Document)
    m = ChainMember
    rows = session.execute(
        select(m.has_text, m.recalls, m.leaves_out, *_label_columns(doc), *_label_columns(became))
        .join(doc, doc.id == m.document_id)
        .join(became, became.id == doc.became_id, isouter=True)
        .where(m.organization_id == org_id).order_by(m.position)
    ).all()
    by_id = {r[3]: _label(r, 3) for r in rows}
    links = [
        StoredLink(_label(r, 3), _label(r, 3 + _LABEL_WIDTH), r[0],
                   [by_id[i] for i in r[1] if i in by_id], [by_id[i] for i in r[2] if i in by_id])
        for r in rows
    ]
    # every member's facts, not only those flagged, so that the page's statements stay fixed
    mark_sources(links, source_facts_of(session, [link.document for link in links]))
    return links


def chain_cites(session: Session, doc_ids: list[int]) -> dict[int, list[str]]:
    """The symbols each of `doc_ids` cites, in its order, each once."""
    out: dict[int, list[str]] = {i: [] for i in doc_ids}
    if doc_ids:
        for citing_id, symbol in session.execute(
            select(Citation.citing_id, Citation.cited_symbol).where(Citation.citing_id.in_(doc_ids))
            .order_by(Citation.citing_id, Citation.position)
        ):
            if symbol not in out[citing_id]:
                out[citing_id].append(symbol)
    return out
