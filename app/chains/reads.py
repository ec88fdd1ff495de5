"""Reads of the read model (app/chains/readmodel.py) for the pages and the API: a few SQL
statements each, whatever the size of the record, into small typed records.

Every list is a page: `Page` carries its rows, its number, its size and the total, and the
pages are in a stable order that an index gives (organizations by acronym, anomalies by
organization then chain order, unresolved symbols most cited first).

The statements are SQLAlchemy Core over the tables, built once per process with bound
parameters: building a select of a few dozen labelled columns over aliases cost more than
running it (bench/README.md), and a Core statement skips the ORM's compile step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import bindparam, case, func, select, true
from sqlalchemy.orm import Session

from app.calendar import sort_date
from app.chains.queries import CHAIN_CITATION_COLUMNS, mark_sources
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
    became_id: int | None = None  # the resolution a draft became (the anomaly rules ask)


def _doc():
    """A fresh alias of the document table (a statement joins it once per role)."""
    return Document.__table__.alias()


def _label_columns(doc) -> list:
    # `text IS NOT NULL` and the provenance only where it names the document: SQLite never reads
    # through a text (bench/README.md).
    d = doc.c
    return [*document_columns(d), d.date_source, d.text.is_not(None), case((d.symbol.is_(None), d.provenance)),
            d.organization_id, d.public_facts, d.outcome, d.outcome_date, d.vote,
            d.votes_yes, d.votes_no, d.votes_abstain, d.became_id]


_LABEL_WIDTH = len(DocLabel._fields)


def _label(row, start: int) -> DocLabel | None:
    values = tuple(row[start:start + _LABEL_WIDTH])
    return None if values[0] is None else DocLabel(*values)


# --- organizations --------------------------------------------------------------------------


@cache
def _organization_stmt():
    o = Organization.__table__
    return select(o).where(func.upper(o.c.acronym) == bindparam("acronym"))


def organization(session: Session, acronym: str):
    """An organization by its acronym, whatever its case, as a row of its columns."""
    return session.execute(_organization_stmt(), {"acronym": acronym.upper()}).first()



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


_ORG_WIDTH = 7  # the organization's own columns, before its first and latest documents


def _organizations_select():
    o, s = Organization.__table__.c, ChainSummary.__table__
    first, latest = _doc(), _doc()
    return (
        select(o.id, o.acronym, o.name_zh, o.name_en, o.observer_symbol, func.coalesce(s.c.length, 0),
               func.coalesce(s.c.anomalies, 0), *_label_columns(first), *_label_columns(latest))
        .select_from(Organization.__table__)
        .join(s, s.c.organization_id == o.id, isouter=True)
        .join(first, first.c.id == s.c.first_id, isouter=True)
        .join(latest, latest.c.id == s.c.latest_id, isouter=True)
    )


@cache
def _organizations_stmts():
    page = (_organizations_select().order_by(Organization.__table__.c.acronym)
            .offset(bindparam("offset")).limit(bindparam("limit")))
    one = _organizations_select().where(Organization.__table__.c.id == bindparam("org_id"))
    total = select(func.count()).select_from(Organization.__table__)
    return page, one, total


def _organization_row(r) -> OrganizationRow:
    n = _ORG_WIDTH
    return OrganizationRow(*r[:n], _label(r, n), _label(r, n + _LABEL_WIDTH))


def organizations_page(session: Session, page: int = 1, per_page: int = 50) -> Page[OrganizationRow]:
    """Organizations by acronym, each with its chain's length, first and latest document."""
    stmt, _, total_stmt = _organizations_stmts()
    rows = [_organization_row(r) for r in
            session.execute(stmt, {"offset": (page - 1) * per_page, "limit": per_page})]
    total = session.execute(total_stmt).scalar_one()
    return Page(rows, page, per_page, total)


def organization_summary(session: Session, org_id: int) -> OrganizationRow | None:
    """One organization's row of `organizations_page`."""
    r = session.execute(_organizations_stmts()[1], {"org_id": org_id}).first()
    return None if r is None else _organization_row(r)


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


_ANOMALY_HEAD = 7


@cache
def _anomalies_stmt():
    doc, other = _doc(), _doc()
    a = ChainAnomaly.__table__.c
    return (
        select(a.organization_id, a.rule, a.symbol, a.sessions, a.cadence, a.cited_date, a.citing_date,
               *_label_columns(doc), *_label_columns(other))
        .select_from(ChainAnomaly.__table__)
        .join(doc, doc.c.id == a.document_id)
        .join(other, other.c.id == a.other_id, isouter=True)
        .where(a.organization_id.in_(bindparam("org_ids", expanding=True)))
        .order_by(a.organization_id, a.seq)
    )


def _anomaly_rows(session: Session, org_ids: list[int]) -> dict[int, list[AnomalyRow]]:
    out: dict[int, list[AnomalyRow]] = {i: [] for i in org_ids}
    if not org_ids:
        return out
    n = _ANOMALY_HEAD
    for r in session.execute(_anomalies_stmt(), {"org_ids": list(org_ids)}):
        out[r[0]].append(AnomalyRow(r[1], _label(r, n), _label(r, n + _LABEL_WIDTH), r[2], list(r[3] or []),
                                    r[4], r[5], r[6]))
    return out


def anomalies_page(session: Session, page: int = 1, per_page: int = 20) -> tuple[Page, int]:
    """A page of organizations (by acronym), each with its chain's anomalies in chain order; and
    how many anomalies there are in all."""
    orgs = organizations_page(session, page, per_page)
    found = _anomaly_rows(session, [o.id for o in orgs.rows])
    total = session.execute(_anomaly_total_stmt()).scalar_one()
    return Page([(o, found[o.id]) for o in orgs.rows], page, per_page, orgs.total), total


@cache
def _anomaly_total_stmt():
    return select(func.coalesce(func.sum(ChainSummary.__table__.c.anomalies), 0))


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


@cache
def _unresolved_stmts():
    u = UnresolvedSymbol.__table__
    doc = _doc()
    page = (
        select(u.c.symbol, u.c.citers, u.c.mentions, *_label_columns(doc))
        .select_from(u)
        .join(doc, doc.c.id == u.c.document_id, isouter=True)
        .order_by(u.c.citers.desc(), u.c.mentions.desc(), u.c.symbol)
        .offset(bindparam("offset")).limit(bindparam("limit"))
    )
    citing = _doc()
    c, first = UnresolvedCiter.__table__, UnresolvedCiter.__table__.alias()
    # Each symbol's first citers, read off the (symbol, sort_date, citing_key) index: a
    # much-cited symbol costs no more than another.
    firsts = (select(first.c.citing_id).where(first.c.symbol == c.c.symbol)
              .order_by(first.c.sort_date, first.c.citing_key).limit(bindparam("citers")).correlate(c))
    citers = (
        select(c.c.symbol, *_label_columns(citing)).select_from(c)
        .join(citing, citing.c.id == c.c.citing_id)
        .where(c.c.symbol.in_(bindparam("symbols", expanding=True)), c.c.citing_id.in_(firsts))
        .order_by(c.c.symbol, c.c.sort_date, c.c.citing_key)
    )
    # PostgreSQL runs the correlated subquery above once per citer of the page's symbols (every
    # citer of the most cited ones); a LATERAL join runs it once per symbol. SQLite has no LATERAL.
    lfirst = UnresolvedCiter.__table__.alias()
    firsts_lateral = (select(lfirst.c.citing_id, lfirst.c.sort_date, lfirst.c.citing_key)
                      .where(lfirst.c.symbol == u.c.symbol)
                      .order_by(lfirst.c.sort_date, lfirst.c.citing_key).limit(bindparam("citers"))
                      .lateral("firsts"))
    lciting = _doc()
    citers_lateral = (
        select(u.c.symbol, *_label_columns(lciting)).select_from(u)
        .join(firsts_lateral, true()).join(lciting, lciting.c.id == firsts_lateral.c.citing_id)
        .where(u.c.symbol.in_(bindparam("symbols", expanding=True)))
        .order_by(u.c.symbol, firsts_lateral.c.sort_date, firsts_lateral.c.citing_key)
    )
    total = select(func.count()).select_from(u)
    return page, citers, citers_lateral, total


def unresolved_page(session: Session, page: int = 1, per_page: int = 50, citers: int = 10) -> Page[UnresolvedRow]:
    """Cited symbols Lineage has no text for, most cited first (citing documents, then mentions,
    then symbol), each with its first `citers` citing documents by date."""
    page_stmt, citers_stmt, citers_lateral, total_stmt = _unresolved_stmts()
    entries = [(r[0], _label(r, 3), r[1], r[2])
               for r in session.execute(page_stmt, {"offset": (page - 1) * per_page, "limit": per_page})]
    by_symbol: dict[str, list[DocLabel]] = {e[0]: [] for e in entries}
    if entries:
        if session.get_bind().dialect.name == "postgresql":
            citers_stmt = citers_lateral
        for r in session.execute(citers_stmt, {"symbols": list(by_symbol), "citers": citers}):
            by_symbol[r[0]].append(_label(r, 1))
    total = session.execute(total_stmt).scalar_one()
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
    cites: list = field(default_factory=list)  # only for `chain_as_of`: what the anomaly rules read


@cache
def _chain_stmt():
    doc, became = _doc(), _doc()
    m = ChainMember.__table__.c
    return (
        select(m.has_text, m.recalls, m.leaves_out, *_label_columns(doc), *_label_columns(became))
        .select_from(ChainMember.__table__)
        .join(doc, doc.c.id == m.document_id)
        .join(became, became.c.id == doc.c.became_id, isouter=True)
        .where(m.organization_id == bindparam("org_id")).order_by(m.position)
    )


def chain(session: Session, org_id: int) -> list[StoredLink]:
    """An organization's chain in order, each link with what it recalls and leaves out, and its
    facts from public sources: two statements, whatever the chain's length."""
    links, facts = _stored_links(session, org_id)
    mark_sources(links, facts)
    return links


def chain_as_of(session: Session, org_id: int, cutoff: dt.date) -> list[StoredLink]:
    """The chain as it stood on `cutoff`: the stored links placed on or before it (`sort_date`),
    each with its citations (as rows of CHAIN_CITATION_COLUMNS) for the anomaly rules, which run
    again on the fewer links. A link's earlier resolutions all stand before it, so what it
    recalls and leaves out is as stored. Four statements, whatever the chain's length."""
    links, facts = _stored_links(session, org_id)
    links = [link for link in links if sort_date(link.document) <= cutoff]
    mark_sources(links, facts)
    by_id = {link.document.id: link for link in links}
    if by_id:
        for c in session.execute(_chain_cites_stmt(), {"ids": list(by_id)}):
            by_id[c.citing_id].cites.append(c)
    return links


@cache
def _chain_cites_stmt():
    c = Citation.__table__.c
    return (select(*(c[col.key] for col in CHAIN_CITATION_COLUMNS))
            .where(c.citing_id.in_(bindparam("ids", expanding=True))).order_by(c.citing_id, c.position))


def _stored_links(session: Session, org_id: int) -> tuple[list[StoredLink], dict[int, list]]:
    rows = session.execute(_chain_stmt(), {"org_id": org_id}).all()
    by_id = {r[3]: _label(r, 3) for r in rows}
    links = [
        StoredLink(_label(r, 3), _label(r, 3 + _LABEL_WIDTH), r[0],
                   [by_id[i] for i in r[1] if i in by_id], [by_id[i] for i in r[2] if i in by_id])
        for r in rows
    ]
    # every member's facts, not only those flagged, so that the page's statements stay fixed
    return links, source_facts_of(session, [link.document for link in links])


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
