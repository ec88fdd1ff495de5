"""What a timeline graph draws, read in a bounded number of statements whatever the record's size.

- One organization: its chain, what the chain's texts cite, and what a letter or draft of it
  became. Past `max_nodes` documents, the chain stays whole and what it cites is cut to the most
  cited documents (the page says how many were left out).
- Everything, when the record holds at most `max_nodes` documents: every document.
- Everything, in a larger record: a window of sessions and a page of organizations (lanes), each
  lane its chain's documents in the window, and the shared lane the documents those texts cite
  most. A person reads lanes and the few texts they share; 20,000 boxes are unreadable, and dot
  cannot lay them out in any time a reader waits.

The result has the shape `layout.build` reads (`GraphScope`): the documents, the citations their texts make, which organizations each belongs to and is cited by, and how many documents cite each.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import case, func, select, tuple_
from sqlmodel import Session

from app.calendar import session_of, sort_date
from app.chains.membership import chain_members
from app.chains.queries import organizations
from app.models import Citation, Document, Organization

D = Document.__table__.c
C = Citation.__table__.c
O = Organization.__table__.c

MAX_NODES = 120  # documents one drawing holds at most: more are neither readable nor quick to read
SHARED_MAX = 15  # most-cited documents the shared lane of a summary holds
LANES_PER_PAGE = 8
DEFAULT_SESSIONS = 8  # sessions a summary shows when no range is asked for
MAX_SESSIONS = 12  # the widest range a summary draws


@dataclass
class GraphScope:
    organization: Organization | None
    organizations: list
    documents: list
    citations: list
    doc_orgs: dict[int, set[str]]
    citing_orgs: dict[int, set[str]]
    citers: dict[int, int]
    # what the drawing leaves out, for the page to say so
    left_out: int = 0
    summary: bool = False
    sessions: tuple[int, int] | None = None
    lanes_page: int = 1
    lanes_pages: int = 1
    session_bounds: tuple[int, int] | None = None
    chains: dict[str, list[int]] = field(default_factory=dict)


def document_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Document.__table__)).scalar_one()


def for_organization(session: Session, org: Organization, *, max_nodes: int | None = None) -> GraphScope:
    max_nodes = max_nodes or MAX_NODES
    orgs = organizations(session)
    members = [d.id for d in chain_members(session, org)]
    return _scope(session, org, orgs, members, max_nodes=max_nodes, chains={org.acronym: members})


def for_everything(session: Session, *, sessions: tuple[int, int] | None = None, page: int = 1,
                   max_nodes: int | None = None) -> GraphScope:
    """Every document of a small record; a summary (sessions, a page of lanes) of a large one."""
    max_nodes = max_nodes or MAX_NODES
    orgs = organizations(session)
    if sessions is None and document_count(session) <= max_nodes:
        ids = [r[0] for r in session.execute(select(D.id))]
        return _scope(session, None, orgs, ids, max_nodes=max_nodes)
    bounds = session.execute(select(func.min(D.session), func.max(D.session))).one()
    lo_all, hi_all = (bounds[0] or 1), (bounds[1] or 1)
    if sessions is None:
        sessions = (max(lo_all, hi_all - DEFAULT_SESSIONS + 1), hi_all)
    pages = max(1, -(-len(orgs) // LANES_PER_PAGE))
    page = min(max(1, page), pages)
    lane_orgs = orgs[(page - 1) * LANES_PER_PAGE: page * LANES_PER_PAGE]
    lo, hi = sessions
    chains: dict[str, list[int]] = {}
    members: list[int] = []
    for o in lane_orgs:
        ids = [d.id for d in chain_members(session, o) if _in_window(d, lo, hi)]
        chains[o.acronym] = ids
        members += [i for i in ids if i not in members]
    out = _scope(session, None, lane_orgs, members, max_nodes=max_nodes, shared_max=SHARED_MAX,
                 chains=chains)
    out.summary, out.sessions, out.lanes_page, out.lanes_pages = True, (lo, hi), page, pages
    out.session_bounds = (lo_all, hi_all)
    out.organizations = lane_orgs
    return out


def _in_window(doc, lo: int, hi: int) -> bool:
    s = session_of(doc)
    return s is not None and lo <= s <= hi


def _scope(session: Session, org, orgs, member_ids: list[int], *, max_nodes: int,
           shared_max: int | None = None, chains: dict | None = None) -> GraphScope:
    members = list(dict.fromkeys(member_ids))
    member_set = set(members)
    cites = []
    for chunk in _chunks(members):
        cites += session.execute(
            select(C.citing_id, C.cited_id, C.position, C.verb, C.verb_class)
            .where(C.citing_id.in_(chunk)).order_by(C.citing_id, C.position)).all()
    cited = Counter(c.cited_id for c in cites if c.cited_id is not None and c.cited_id not in member_set)
    room = max(0, max_nodes - len(members))
    if shared_max is not None:
        room = min(room, shared_max)
    keep = [i for i, _ in sorted(cited.items(), key=lambda kv: (-kv[1], kv[0]))[:room]]
    left_out = len(cited) - len(keep)
    ids = member_set | set(keep)
    became = set()
    for chunk in _chunks(sorted(ids)):
        became.update(r[0] for r in session.execute(
            select(D.became_id).where(D.id.in_(chunk), D.became_id.is_not(None))))
    ids |= became
    docs = _documents(session, sorted(ids))
    acronyms = {o.id: o.acronym for o in organizations(session)}
    observers: dict[str, set[str]] = {}
    for o in organizations(session):
        if o.observer_symbol:
            observers.setdefault(o.observer_symbol, set()).add(o.acronym)
    doc_orgs, citing_orgs, citers = _organizations_of(session, docs, acronyms, observers)
    cites = [c for c in cites if c.cited_id in ids]
    docs.sort(key=lambda d: (sort_date(d), d.key))
    return GraphScope(organization=org, organizations=list(orgs), documents=docs, citations=cites,
                      doc_orgs=doc_orgs, citing_orgs=citing_orgs, citers=citers, left_out=left_out,
                      chains=chains or {})


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i: i + size]


def _documents(session: Session, ids: list[int]) -> list:
    """Light rows (no text): what a node shows and where it stands."""
    out = []
    for chunk in _chunks(ids):
        for r in session.execute(
            select(D.id, D.key, D.symbol, D.kind, D.session, D.date, D.title, D.title_en,
                   D.organization_id, D.text.is_not(None).label("has_text"),
                   case((D.symbol.is_(None), D.provenance)).label("provenance"))
            .where(D.id.in_(chunk))
        ):
            date = r.date if r.date is None or isinstance(r.date, dt.date) else dt.date.fromisoformat(str(r.date)[:10])
            out.append(SimpleNamespace(
                id=r.id, key=r.key, symbol=r.symbol, kind=r.kind, session=r.session, date=date,
                title=r.title, title_en=r.title_en, organization_id=r.organization_id,
                has_text=bool(r.has_text), provenance=r.provenance or {}))
    return out


def _organizations_of(session: Session, docs: list, acronyms: dict, observers: dict):
    """For each document: the organizations it belongs to (its own, and the chains it stands in:
    as an observer-status resolution, or cited in a series paragraph of an organization's text),
    the organizations whose texts cite it, and how many documents cite it.

    Every read goes through an index: the citing ids come from the covering (cited_id,
    citing_id) index, the organization of each from the (organization_id) index, and only the
    citations made by an organization's texts are read for their `in_series` flag.
    """
    org_of = dict(session.execute(select(D.id, D.organization_id).where(D.organization_id.is_not(None))).all())
    observer_ids = {}
    if observers:
        observer_ids = dict(session.execute(select(D.id, D.symbol).where(D.symbol.in_(list(observers)))).all())
    doc_orgs: dict[int, set[str]] = {}
    for d in docs:
        owners = set(observers.get(d.symbol, set()))
        if d.organization_id is not None:
            owners.add(acronyms[d.organization_id])
        if owners:
            doc_orgs[d.id] = owners
    citing_orgs: dict[int, set[str]] = {}
    citers: dict[int, set[int]] = {}
    by_org_texts: list[tuple[int, int]] = []
    for chunk in _chunks([d.id for d in docs]):
        for cited_id, citing_id in session.execute(select(C.cited_id, C.citing_id).where(C.cited_id.in_(chunk))):
            citers.setdefault(cited_id, set()).add(citing_id)
            found = set(observers.get(observer_ids.get(citing_id), ()))
            if citing_id in org_of:
                found.add(acronyms[org_of[citing_id]])
                by_org_texts.append((cited_id, citing_id))
            if found:
                citing_orgs.setdefault(cited_id, set()).update(found)
    for chunk in _chunks(sorted(set(by_org_texts))):
        for cited_id, citing_id in session.execute(
            select(C.cited_id, C.citing_id).where(tuple_(C.cited_id, C.citing_id).in_(chunk), C.in_series)
        ):
            doc_orgs.setdefault(cited_id, set()).add(acronyms[org_of[citing_id]])
    return doc_orgs, citing_orgs, {k: len(v) for k, v in citers.items()}
