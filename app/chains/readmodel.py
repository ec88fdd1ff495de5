"""The read model: everything the pages derive from the citations, stored when it is written.

Stored rows (app/models.py): each organization's chain members in order, with what each link
recalls of the chain and which earlier resolutions it leaves out (`chain_member`); a summary per
chain (`chain_summary`); its anomalies (`chain_anomaly`); the chain as its page shows it, in each
language (`chain_html`, rendered by app/web/chain_html.py); cited-by counts (`cited_count`);
unresolved symbols with their counts and their citers in date order (`unresolved_symbol`,
`unresolved_citer`); the organizations whose own texts cite each document
(`cited_by_organization`); and the citation-given dates of documents whose own text gives none
(`document.date`).

The writer (app/documents/store.py) calls `touch` with the documents a change concerns, and the
rows they reach are recomputed before the transaction commits: a listener on every session applies them,
so no commit path can forget to. `update_for` applies them at once; `rebuild` recomputes
everything from documents, citations and organizations. Both run the same computation over a
set of organizations, symbols and documents, so they agree by construction (but for the
organizations citing a document, which a change keeps pair by pair from the texts it changed:
recomputing them reads every text of an organization), and tests/test_chains_readmodel.py
checks it on random histories.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import delete, distinct, event, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.calendar import sort_date
from app.chains import anomalies as rules
from app.chains.membership import chain_order
from app.models import (
    ChainAnomaly,
    ChainHtml,
    ChainMember,
    ChainSummary,
    Citation,
    CitedByOrganization,
    CitedCount,
    Document,
    Organization,
    UnresolvedCiter,
    UnresolvedSymbol,
)
from app.symbols import DocumentKind

# Bound parameters per IN list: SQLite allows 32,766 in all, PostgreSQL 65,535.
CHUNK = 900


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    values = sorted(v for v in set(values) if v is not None)
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


#: What names and places a document: the first fields of every record of one that the chain
#: code reads (`Facts` here, `reads.DocLabel` for the pages), in this order.
DOCUMENT_FIELDS: tuple[tuple[str, Any], ...] = (
    ("id", int),
    ("key", str),
    ("symbol", str | None),
    ("kind", str),
    ("session", int | None),
    ("date", dt.date | None),
)


def document_columns(doc: Any) -> list[Any]:
    """The columns of `DOCUMENT_FIELDS` of `doc` (`Document` or an alias of it), in their order."""
    return [getattr(doc, name) for name, _ in DOCUMENT_FIELDS]


class Facts(NamedTuple):
    """What the chain rules read of a document."""

    __annotations__ = dict(DOCUMENT_FIELDS)  # id, key, symbol, kind, session, date; then:
    organization_id: int | None
    became_id: int | None
    has_text: bool


_FACT_COLUMNS = (*document_columns(Document), Document.organization_id, Document.became_id,
                 Document.text.is_not(None).label("has_text"))


class Cite(NamedTuple):
    cited_id: int | None
    cited_symbol: str
    cited_date: dt.date | None


@dataclass
class Link:
    """One link of a chain as the anomaly rules read it (app/chains/anomalies.py)."""

    document: Facts
    became: Facts | None
    cites: list[Cite]
    has_text: bool
    recalls: list[int] = field(default_factory=list)
    leaves_out: list[int] = field(default_factory=list)


class _Org(NamedTuple):
    id: int
    observer_symbol: str


def _facts(session: Session, ids: Iterable[int]) -> dict[int, Facts]:
    out: dict[int, Facts] = {}
    for chunk in _chunks(ids):
        for row in session.execute(select(*_FACT_COLUMNS).where(Document.id.in_(chunk))):
            out[row.id] = Facts(*row)
    return out


def _in(column, values: list | None):
    """`column IN values`, or no condition at all when `values` is None (everything)."""
    return column.in_(values) if values is not None else True


def _rows(session: Session, stmt_for, values: Iterable | None):
    """Run `stmt_for(chunk)` over `values` in chunks, or once with None (everything)."""
    if values is None:
        yield from session.execute(stmt_for(None))
        return
    for chunk in _chunks(values):
        yield from session.execute(stmt_for(chunk))


# --- chains -----------------------------------------------------------------------------------


def compute_chains(session: Session, org_ids: Iterable[int] | None) -> dict[int, tuple[list[Link], list]]:
    """The chains of `org_ids` (None: every organization), each as its links in order and its
    anomalies, from documents and citations alone."""
    ids = None if org_ids is None else sorted(set(org_ids))
    orgs = [_Org(*r) for r in _rows(
        session, lambda c: select(Organization.id, Organization.observer_symbol).where(_in(Organization.id, c)), ids)]
    if not orgs:
        return {}
    ids = [o.id for o in orgs] if ids is not None else None
    members: dict[int, set[int]] = {o.id: set() for o in orgs}
    own_org: dict[int, int] = {}
    for doc_id, org_id in _rows(session, lambda c: select(Document.id, Document.organization_id).where(
            Document.organization_id.is_not(None), _in(Document.organization_id, c)), ids):
        if org_id in members:
            members[org_id].add(doc_id)
            own_org[doc_id] = org_id
    by_observer: dict[str, list[int]] = defaultdict(list)
    for o in orgs:
        by_observer[o.observer_symbol].append(o.id)
    for doc_id, symbol in _rows(session, lambda c: select(Document.id, Document.symbol).where(
            Document.symbol.in_(c)), list(by_observer)):
        for org_id in by_observer[symbol]:
            members[org_id].add(doc_id)
    # A paragraph of an organization's own text that names its series puts what it cites there.
    for citing_id, cited_id in _rows(session, lambda c: select(Citation.citing_id, Citation.cited_id).where(
            Citation.in_series, Citation.cited_id.is_not(None), Citation.citing_id.in_(c)), list(own_org)):
        members[own_org[citing_id]].add(cited_id)

    every_member = set().union(*members.values())
    facts = _facts(session, every_member)
    cites: dict[int, list[Cite]] = defaultdict(list)
    for row in _rows(session, lambda c: select(
            Citation.citing_id, Citation.cited_id, Citation.cited_symbol, Citation.cited_date
    ).where(Citation.citing_id.in_(c)).order_by(Citation.citing_id, Citation.position), list(every_member)):
        cites[row.citing_id].append(Cite(row.cited_id, row.cited_symbol, row.cited_date))
    others = {f.became_id for f in facts.values()} | {c.cited_id for cs in cites.values() for c in cs}
    facts.update(_facts(session, others - set(facts)))

    out = {}
    for org in orgs:
        docs = sorted((facts[i] for i in members[org.id] if i in facts), key=chain_order)
        links, earlier = [], []
        for doc in docs:
            link = Link(doc, facts.get(doc.became_id), cites.get(doc.id, []), doc.has_text)
            if doc.has_text:
                cited_ids = {c.cited_id for c in link.cites}
                link.recalls = [d for d in earlier if d in cited_ids]
                link.leaves_out = [d for d in earlier if d not in cited_ids]
            if doc.kind == DocumentKind.ga_resolution:
                earlier.append(doc.id)
            links.append(link)
        found = rules.chain_anomalies(links, org, facts)
        out[org.id] = (links, found)
    return out


def _write_chains(session: Session, org_ids: list[int] | None, chains: dict) -> None:
    for table in (ChainMember, ChainSummary, ChainAnomaly):
        column = table.__table__.c.organization_id
        if org_ids is None:
            session.execute(delete(table.__table__))
        else:
            for chunk in _chunks(org_ids):
                session.execute(delete(table.__table__).where(column.in_(chunk)))
    members, summaries, anomalies = [], [], []
    for org_id, (links, found) in chains.items():
        for position, link in enumerate(links):
            members.append(dict(organization_id=org_id, document_id=link.document.id, position=position,
                                has_text=link.has_text, recalls=link.recalls, leaves_out=link.leaves_out))
        summaries.append(dict(organization_id=org_id, length=len(links),
                              first_id=links[0].document.id if links else None,
                              latest_id=links[-1].document.id if links else None, anomalies=len(found)))
        for seq, a in enumerate(found):
            anomalies.append(dict(
                organization_id=org_id, seq=seq, rule=a.rule, document_id=a.document.id,
                other_id=a.other.id if a.other is not None else None, symbol=a.symbol,
                sessions=list(a.sessions), cadence=a.cadence, cited_date=a.cited_date, citing_date=a.citing_date,
            ))
    for table, rows in ((ChainMember, members), (ChainSummary, summaries), (ChainAnomaly, anomalies)):
        if rows:
            session.execute(insert(table.__table__), rows)


# How the chain pages are rendered from the rows just written: the web layer owns the templates
# and the URLs, and registers it (app/web/chain_html.py; the app and the `lineage` command
# import it).
_render_chain_pages: Callable[[Session, Iterable[int] | None], None] | None = None


def render_chain_pages_with(render: Callable[[Session, Iterable[int] | None], None]) -> None:
    """Have the writer render, with `render(session, org_ids)`, the pages of the chains it
    rewrites (None: every chain), in the same transaction."""
    global _render_chain_pages
    _render_chain_pages = render


_DEFERRED = "chain pages deferred"


@contextmanager
def chain_pages_deferred(session: Session) -> Iterator[None]:
    """For a run of many commits that rewrite the same chains again and again (an import):
    each commit drops the stored pages of the chains it rewrites instead of rendering them
    (their pages render from rows meanwhile, right, only slower), and on leaving, the chains
    rewritten are rendered once, in a transaction of their own, the caller's having been
    committed. A run that stops halfway leaves them to be rendered by `lineage migrate`, which
    renders every missing one. Rendering each time would cost every batch its chains' whole
    length again, and an import would slow down as its chains grow."""
    rewritten: set[int] = set()
    session.info[_DEFERRED] = rewritten
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)
    if rewritten and _render_chain_pages is not None:
        writer_lock(session)
        _render_chain_pages(session, sorted(rewritten))
        session.commit()


def _write_chain_html(session: Session, org_ids: Iterable[int] | None) -> None:
    deferred = session.info.get(_DEFERRED)
    if deferred is not None and org_ids is not None:
        org_ids = list(org_ids)
        deferred.update(org_ids)
    elif _render_chain_pages is not None:
        _render_chain_pages(session, org_ids)
        return
    # Nothing here renders them: the stored pages of these chains would be stale, so they go,
    # and their pages are rendered from rows until `lineage migrate` renders them.
    table = ChainHtml.__table__
    if org_ids is None:
        session.execute(delete(table))
        return
    for chunk in _chunks(org_ids):
        session.execute(delete(table).where(table.c.organization_id.in_(chunk)))


# --- cited-by counts --------------------------------------------------------------------------


def _write_counts(session: Session, doc_ids: list[int] | None) -> None:
    table = CitedCount.__table__

    def counts(chunk):
        return select(Citation.cited_id, func.count(distinct(Citation.citing_id)), func.count()).where(
            Citation.cited_id.is_not(None), _in(Citation.cited_id, chunk)).group_by(Citation.cited_id)

    if doc_ids is None:
        session.execute(delete(table))
        session.execute(insert(table).from_select(["document_id", "citers", "citations"], counts(None)))
        return
    for chunk in _chunks(doc_ids):
        session.execute(delete(table).where(table.c.document_id.in_(chunk)))
        session.execute(insert(table).from_select(["document_id", "citers", "citations"], counts(chunk)))


# --- the organizations whose texts cite a document ------------------------------------------


def _citing_organizations(chunk, org_ids: list[int] | None = None):
    """(cited document, organization) for every citation of a document of `chunk` made by an
    organization's own text (a document of the organization, or the resolution that granted
    it observer status); only those of `org_ids` when given.

    The citing texts are found from the organization's side (its few texts, off the
    organization_id index) when `org_ids` is given: from the cited side, a much-cited
    document's every citer would be read, and a citer's row is read past its text."""
    citer = aliased(Document)
    # `+ 0`: the organizations' texts lead (SQLite otherwise starts from the cited side's index)
    cited = Citation.cited_id if org_ids is None else Citation.cited_id + 0
    own = (select(Citation.cited_id, citer.organization_id)
           .select_from(citer).join(Citation, Citation.citing_id == citer.id)
           .where(Citation.cited_id.is_not(None), citer.organization_id.is_not(None),
                  _in(citer.organization_id, org_ids), _in(cited, chunk)))
    observer = (select(Citation.cited_id, Organization.id)
                .select_from(Organization).join(citer, citer.symbol == Organization.observer_symbol)
                .join(Citation, Citation.citing_id == citer.id)
                .where(Citation.cited_id.is_not(None), _in(Organization.id, org_ids), _in(Citation.cited_id, chunk)))
    return own.union(observer)


def write_citing_organizations(session: Session, doc_ids: Iterable[int] | None,
                               org_ids: Iterable[int] | None = None) -> None:
    """Recompute the `cited_by_organization` rows of `doc_ids` (None: every document), only
    those naming `org_ids` when given (the organizations whose texts changed)."""
    table = CitedByOrganization.__table__
    columns = ["document_id", "organization_id"]
    if doc_ids is None:
        session.execute(delete(table))
        session.execute(insert(table).from_select(columns, _citing_organizations(None)))
        return
    orgs = None if org_ids is None else sorted(set(org_ids) - {None})
    if orgs == []:
        return
    for chunk in _chunks(doc_ids):
        session.execute(delete(table).where(table.c.document_id.in_(chunk), _in(table.c.organization_id, orgs)))
        session.execute(insert(table).from_select(columns, _citing_organizations(chunk, orgs)))


def _update_citing_organizations(session: Session, citers: Iterable[int], uncited: Iterable[int]) -> None:
    """Bring the `cited_by_organization` rows up to date with a change of the `citers`' own
    citations or facts: a pair each of their citations as an organization's text makes is kept,
    and a row of an `uncited` document stays only while another text of its organization still
    cites it. The work is that of the change, however many texts the organizations have."""
    table = CitedByOrganization.__table__
    cite, doc = Citation.__table__, Document.__table__
    c2, d2 = cite.alias("other_citation"), doc.alias("other_citer")
    still_own = (select(c2.c.id).select_from(c2.join(d2, d2.c.id == c2.c.citing_id))
                 .where(c2.c.cited_id == table.c.document_id, d2.c.organization_id == table.c.organization_id))
    still_observer = (select(c2.c.id).select_from(c2.join(d2, d2.c.id == c2.c.citing_id).join(
        Organization.__table__, Organization.__table__.c.observer_symbol == d2.c.symbol))
        .where(c2.c.cited_id == table.c.document_id, Organization.__table__.c.id == table.c.organization_id))
    for chunk in _chunks(uncited):
        session.execute(delete(table).where(table.c.document_id.in_(chunk), ~still_own.exists(),
                                            ~still_observer.exists()))

    def made(chunk):
        own = (select(cite.c.cited_id, doc.c.organization_id).select_from(cite.join(doc, doc.c.id == cite.c.citing_id))
               .where(cite.c.citing_id.in_(chunk), cite.c.cited_id.is_not(None), doc.c.organization_id.is_not(None)))
        observer = (select(cite.c.cited_id, Organization.__table__.c.id).select_from(
            cite.join(doc, doc.c.id == cite.c.citing_id).join(
                Organization.__table__, Organization.__table__.c.observer_symbol == doc.c.symbol))
            .where(cite.c.citing_id.in_(chunk), cite.c.cited_id.is_not(None)))
        return own.union(observer)

    pairs = {tuple(r) for r in _rows(session, made, citers)}
    if not pairs:
        return
    kept: set[tuple[int, int]] = set()
    orgs = sorted({o for _, o in pairs})
    for chunk in _chunks({d for d, _ in pairs}):
        kept.update(tuple(r) for r in session.execute(
            select(table.c.document_id, table.c.organization_id).where(
                table.c.document_id.in_(chunk), table.c.organization_id.in_(orgs))))
    rows = [dict(document_id=d, organization_id=o) for d, o in sorted(pairs - kept)]
    if rows:
        session.execute(insert(table), rows)


# --- unresolved symbols -----------------------------------------------------------------------


def _unresolved_citations(cited):
    """The condition of a citation that names a document Lineage has no text for."""
    return or_(Citation.cited_id.is_(None), cited.text.is_(None))


def _write_unresolved(session: Session, symbols: Iterable[str] | None,
                      whole: Iterable[str] | None = None, citers: Iterable[int] = ()) -> None:
    """Recompute the unresolved rows: the counts of `symbols` (None: everything), the citer rows
    of the `whole` symbols (those whose cited document may have gained or lost its text), and
    the citer rows of the `citers` (documents whose citations, date or key may have changed).

    A symbol's counts are an aggregate over an index; its citers are rewritten only where they
    changed, so a much-cited symbol costs a save no more than a rarely cited one."""
    cited = aliased(Document)
    sym_table, citer_table = UnresolvedSymbol.__table__, UnresolvedCiter.__table__
    symbols = None if symbols is None else sorted(set(symbols) - {None})
    whole = None if symbols is None else sorted(set(whole or ()) - {None})
    citers = sorted(set(citers))

    def counts(chunk):
        return (select(Citation.cited_symbol, func.min(Citation.cited_id), func.count(distinct(Citation.citing_id)),
                       func.count())
                .join(cited, Citation.cited_id == cited.id, isouter=True)
                .where(_unresolved_citations(cited), _in(Citation.cited_symbol, chunk))
                .group_by(Citation.cited_symbol))

    columns = ["symbol", "document_id", "citers", "mentions"]
    if symbols is None:
        session.execute(delete(sym_table))
        session.execute(insert(sym_table).from_select(columns, counts(None)))
        session.execute(delete(citer_table))
    else:
        for chunk in _chunks(symbols):
            session.execute(delete(sym_table).where(sym_table.c.symbol.in_(chunk)))
            session.execute(insert(sym_table).from_select(columns, counts(chunk)))
        for chunk in _chunks(whole):
            session.execute(delete(citer_table).where(citer_table.c.symbol.in_(chunk)))
        for chunk in _chunks(citers):
            session.execute(delete(citer_table).where(citer_table.c.citing_id.in_(chunk)))

    def pairs(condition):
        return select(Citation.cited_symbol, Citation.citing_id).distinct().join(
            cited, Citation.cited_id == cited.id, isouter=True).where(_unresolved_citations(cited), condition)

    found: set[tuple[str, int]] = set()
    if symbols is None:
        found.update(tuple(r) for r in session.execute(pairs(True)))
    else:
        found.update(tuple(r) for r in _rows(session, lambda c: pairs(Citation.cited_symbol.in_(c)), whole))
        found.update(tuple(r) for r in _rows(session, lambda c: pairs(Citation.citing_id.in_(c)), citers))
    facts = _facts(session, {i for _, i in found})
    rows = [dict(symbol=s, citing_id=i, sort_date=sort_date(facts[i]), citing_key=facts[i].key)
            for s, i in sorted(found) if i in facts]
    if rows:
        session.execute(insert(citer_table), rows)


# --- citation-given dates ---------------------------------------------------------------------


def _refresh_dates(session: Session, doc_ids: Iterable[int] | None) -> set[int]:
    """Set the citation-given date of each document whose own text or facts give none: the date
    its citers state most often (ties: the earliest). Returns the ids whose date changed."""
    ids = None if doc_ids is None else sorted(set(doc_ids) - {None})
    # Only those without a date of their own: a much-cited resolution's citers are not counted
    # each time one more cites it.
    dated = {doc_id: (date, source) for doc_id, date, source in _rows(
        session, lambda c: select(Document.id, Document.date, Document.date_source).where(
            or_(Document.date_source.is_(None), Document.date_source != "text"), _in(Document.id, c)), ids)}
    tally: dict[int, Counter] = defaultdict(Counter)
    for cited_id, cited_date, n in _rows(session, lambda c: select(
            Citation.cited_id, Citation.cited_date, func.count()
    ).where(Citation.cited_date.is_not(None), Citation.cited_id.is_not(None), _in(Citation.cited_id, c))
            .group_by(Citation.cited_id, Citation.cited_date), None if ids is None else list(dated)):
        tally[cited_id][cited_date] += n
    changes = []
    for doc_id, (date, source) in dated.items():
        counts = tally.get(doc_id)
        want = (min(counts, key=lambda d: (-counts[d], d)), "citation") if counts else (None, None)
        if (date, source) != want:
            changes.append({"id": doc_id, "date": want[0], "date_source": want[1]})
    for change in changes:
        session.execute(update(Document.__table__).where(Document.__table__.c.id == change["id"])
                        .values(date=change["date"], date_source=change["date_source"]))
    changed = {c["id"] for c in changes}
    if changed:
        # Documents of these ids the session holds would still show their old dates.
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Document) and obj.id in changed:
                session.expire(obj, ["date", "date_source"])
    return changed


def derived_date(session: Session, doc_id: int | None) -> tuple[dt.date | None, str | None]:
    """The date the citers of one document state most often (ties: the earliest), if any.

    "64/183 was adopted 2009-12-18" is known only because A/77/L.107 says so; such a date is
    derived from the stored citations, never typed in by hand.
    """
    if doc_id is None:
        return None, None
    row = session.execute(
        select(Citation.cited_date, func.count().label("n")).where(
            Citation.cited_id == doc_id, Citation.cited_date.is_not(None))
        .group_by(Citation.cited_date).order_by(func.count().desc(), Citation.cited_date).limit(1)
    ).first()
    return (row.cited_date, "citation") if row else (None, None)


# --- what a change reaches --------------------------------------------------------------------


@dataclass
class Pending:
    documents: set[int] = field(default_factory=set)  # their rows or citations changed
    facts: set[int] = field(default_factory=set)  # their date, session, kind, text or symbol may have
    cites: set[int] = field(default_factory=set)  # their own citations changed
    organizations: set[int] = field(default_factory=set)
    uncited: set[int] = field(default_factory=set)  # may have lost a citation from an organization's text


def _pending(session: Session) -> Pending:
    return session.info.setdefault("readmodel", Pending())


# Any 64-bit number no other part of Lineage takes as an advisory lock.
_WRITER_LOCK = 0x4C696E6561676501


def writer_lock(session: Session) -> None:
    """One writer at a time, until its transaction ends: on PostgreSQL, two saves touching the same
    chain would each delete and rewrite its rows and the second would trip over the first's. Taken
    before the writer's first change, so no writer waits for it while holding a row another
    needs. SQLite already lets one writer in at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_WRITER_LOCK)))


def touch(session: Session, doc_ids: Iterable[int | None] = (), *, facts: Iterable[int | None] = (),
          cites: Iterable[int | None] = (), organizations: Iterable[int | None] = (),
          uncited: Iterable[int | None] = ()) -> None:
    """Note what a write changed; the derived rows it reaches are recomputed before the commit.

    `doc_ids`: every document whose row, or whose citations in or out, changed (the document
    itself, what it cited before and after, the resolution it became). `facts`: those whose own
    facts (date, session, kind, text, symbol, became) may have changed; their citers' chains are
    checked again. `cites`: those whose own citations changed (their facts did not, or they
    would be in `facts`). `organizations`: organizations created or changed. `uncited`: documents
    that a document of `facts` or `cites` may no longer cite as part of an organization's texts
    (what it cited before and no longer does; all it cited before when its organization or
    symbol changed, or it went).
    """
    p = _pending(session)
    p.documents.update(i for i in doc_ids if i is not None)
    p.facts.update(i for i in facts if i is not None)
    p.cites.update(i for i in cites if i is not None)
    p.documents |= p.facts | p.cites
    p.organizations.update(i for i in organizations if i is not None)
    p.uncited.update(i for i in uncited if i is not None)
    p.documents |= p.uncited


def update_for(session: Session, doc_ids: Iterable[int] = (), *, facts: Iterable[int] | None = None,
               organizations: Iterable[int] = ()) -> None:
    """Recompute at once the derived rows that `doc_ids` reach (with `touch`'s meaning; `facts`
    defaults to all of them), and whatever was touched before."""
    doc_ids = list(doc_ids)
    touch(session, doc_ids, facts=doc_ids if facts is None else facts, organizations=organizations)
    apply_pending(session)


def apply_pending(session: Session) -> None:
    """Recompute what the touched documents and organizations reach (the session's listener
    calls this before each commit).

    A document only cited by a change (in `documents` alone) gains or loses a citer: its counts,
    its citation-given date and its own unresolved symbol's counts change, but not its chains,
    nor what it cites. Only the documents whose own facts or citations changed reach further, so
    what a bulk import's batch recomputes does not grow with what is already stored."""
    p = session.info.pop("readmodel", None)
    if p is None or not (p.documents or p.organizations):
        return
    session.flush()
    docs = set(p.documents)
    facts = set(p.facts) | _refresh_dates(session, docs)
    docs |= facts
    own = facts | p.cites

    orgs = set(p.organizations)
    cm, cite, doc = ChainMember.__table__, Citation.__table__, Document.__table__
    orgs.update(r[0] for r in _rows(session, lambda c: select(cm.c.organization_id).where(
        cm.c.document_id.in_(c)), own))
    orgs.update(r[0] for r in _rows(session, lambda c: select(doc.c.organization_id).where(
        doc.c.id.in_(c), doc.c.organization_id.is_not(None)), own))
    symbols = {r[0] for r in _rows(session, lambda c: select(doc.c.symbol).where(
        doc.c.id.in_(c), doc.c.symbol.is_not(None)), facts)}
    orgs.update(r[0] for r in _rows(session, lambda c: select(Organization.id).where(
        Organization.observer_symbol.in_(c)), symbols))
    # The chains whose links cite a document whose facts changed (a citation of a later
    # document), or stand for a resolution that did (a draft's session is its resolution's).
    orgs.update(r[0] for r in _rows(session, lambda c: select(cm.c.organization_id).distinct().join(
        cite, cite.c.citing_id == cm.c.document_id).where(cite.c.cited_id.in_(c)), facts))
    orgs.update(r[0] for r in _rows(session, lambda c: select(cm.c.organization_id).distinct().join(
        doc, doc.c.id == cm.c.document_id).where(doc.c.became_id.in_(c)), facts))
    orgs.discard(None)
    if orgs:
        _write_chains(session, sorted(orgs), compute_chains(session, orgs))
        _write_chain_html(session, orgs)

    # Every writer names what a changed document cited before and cites now in `documents`.
    counted = set(docs)
    counted.update(r[0] for r in _rows(session, lambda c: select(cite.c.cited_id).where(
        cite.c.citing_id.in_(c), cite.c.cited_id.is_not(None)), own))
    _write_counts(session, sorted(counted))

    if p.organizations:
        # An organization whose observer resolution changed: what it cited before and what it cites now.
        cbo = CitedByOrganization.__table__
        reached = {r[0] for r in _rows(session, lambda c: select(cbo.c.document_id).where(
            cbo.c.organization_id.in_(c)), p.organizations)}
        reached.update(r[0] for r in _rows(session, lambda c: select(cite.c.cited_id).join(
            doc, doc.c.id == cite.c.citing_id).join(Organization, Organization.observer_symbol == doc.c.symbol).where(
            Organization.id.in_(c), cite.c.cited_id.is_not(None)), p.organizations))
        reached.update(r[0] for r in _rows(session, lambda c: select(cite.c.cited_id).join(
            doc, doc.c.id == cite.c.citing_id).where(doc.c.organization_id.in_(c), cite.c.cited_id.is_not(None)),
            p.organizations))
        write_citing_organizations(session, reached, p.organizations)
    _update_citing_organizations(session, own, p.uncited)

    uc, us = UnresolvedCiter.__table__, UnresolvedSymbol.__table__
    # Symbols whose cited document may have gained or lost its text: all their citers change (a
    # citation-given date is none of theirs).
    whole = {r[0] for r in _rows(session, lambda c: select(cite.c.cited_symbol).where(cite.c.cited_id.in_(c)),
                                 p.facts)}
    whole.update(r[0] for r in _rows(session, lambda c: select(us.c.symbol).where(us.c.document_id.in_(c)), p.facts))
    touched = set(whole)
    # The symbols a document cites change only with its own citations, and its citer rows only
    # with its citations, date or key: every writer names such a document in `facts` or `cites`.
    # What it cited unresolved before (its citer rows), and what it cites unresolved now: a
    # symbol with a text is in no row, however many cite it.
    touched.update(r[0] for r in _rows(session, lambda c: select(uc.c.symbol).where(uc.c.citing_id.in_(c)), own))
    cited = doc.alias("cited")
    touched.update(r[0] for r in _rows(session, lambda c: select(cite.c.cited_symbol).join(
        cited, cited.c.id == cite.c.cited_id, isouter=True).where(
        cite.c.citing_id.in_(c), or_(cite.c.cited_id.is_(None), cited.c.text.is_(None))), own))
    # A text-less document that gained or lost a citer: its symbol's counts.
    touched.update(r[0] for r in _rows(session, lambda c: select(us.c.symbol).where(us.c.document_id.in_(c)), docs))
    if touched:
        _write_unresolved(session, touched, whole, own)
    session.flush()


def rebuild(session: Session, *, citing_organizations: bool = True, chain_html: bool = True) -> dict[str, int]:
    """Recompute every derived row from documents, citations and organizations
    (`citing_organizations=False`, `chain_html=False`: all but those, for a database whose
    tables are still to come)."""
    session.info.pop("readmodel", None)
    session.flush()
    redated = _refresh_dates(session, None)
    chains = compute_chains(session, None)
    _write_chains(session, None, chains)
    if chain_html:
        _write_chain_html(session, None)
    _write_counts(session, None)
    if citing_organizations:
        write_citing_organizations(session, None)
    _write_unresolved(session, None)
    session.flush()
    return {"organizations": len(chains), "redated": len(redated)}


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        apply_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("readmodel", None)  # rolled back: nothing to recompute
