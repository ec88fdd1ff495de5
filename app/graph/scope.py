"""What a timeline graph draws, read from the read model's stored rows (app/chains/readmodel.py)
in a fixed number of statements whatever the record's size: chain members (`chain_member`),
cited-by counts (`cited_count`), the organizations citing each document
(`cited_by_organization`), the documents' light rows and the citations of the chains' texts.

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
from typing import NamedTuple

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.calendar import session_of, sort_date
from app.models import ChainMember, Citation, CitedByOrganization, CitedCount, Document, Organization

D = Document.__table__.c
C = Citation.__table__.c
O = Organization.__table__.c
M = ChainMember.__table__.c

MAX_NODES = 120  # documents one drawing holds at most: more are neither readable nor quick to read
SHARED_MAX = 15  # most-cited documents the shared lane of a summary holds
LANES_PER_PAGE = 8
DEFAULT_SESSIONS = 8  # sessions a summary shows when no range is asked for
MAX_SESSIONS = 12  # the widest range a summary draws


class OrgRow(NamedTuple):
    id: int
    acronym: str
    name_zh: str
    name_en: str
    observer_symbol: str


@dataclass
class GraphScope:
    organization: OrgRow | None
    organizations: list[OrgRow]  # in lane order: a summary's page of lanes, else by acronym
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
    # the organizations the drawing names, by acronym (its lanes' labels)
    all_organizations: dict[str, OrgRow] = field(default_factory=dict)


_ORG_COLUMNS = (O.id, O.acronym, O.name_zh, O.name_en, O.observer_symbol)


def for_organization(session: Session, org, *, max_nodes: int | None = None) -> GraphScope:
    """`org`'s chain (stored in order), what its texts cite, what a letter or draft of it became."""
    max_nodes = max_nodes or MAX_NODES
    this = OrgRow(org.id, org.acronym, org.name_zh, org.name_en, org.observer_symbol)
    members = [r[0] for r in session.execute(
        select(M.document_id).where(M.organization_id == org.id).order_by(M.position))]
    return _scope(session, this, members, max_nodes=max_nodes, chains={this.acronym: members})


class View(NamedTuple):
    """What the overall graph shows for a request: every document (`whole`), or a summary of the
    sessions `sessions` and the page `page` (of `pages`) of lanes."""
    whole: bool
    sessions: tuple[int, int] | None
    page: int
    pages: int
    bounds: tuple[int, int]
    # The view a reader gets without naming sessions (a page of its lanes): it is stored, the
    # ranges readers name are not (app/graph/memory.py).
    default: bool = True

    @property
    def key(self) -> str:
        """The graph's name among the stored drawings."""
        return "all" if self.whole else f"all:{self.sessions[0]}-{self.sessions[1]}:{self.page}"


def everything_view(session: Session, *, sessions: tuple[int, int] | None = None, page: int = 1,
                    max_nodes: int | None = None) -> View:
    """Which view of the overall graph a request gets, in one statement."""
    max_nodes = max_nodes or MAX_NODES
    org_count = select(func.count()).select_from(Organization.__table__).scalar_subquery()
    # Whether the record is small enough to draw whole needs only max_nodes + 1 rows counted.
    upto = select(func.count()).select_from(select(D.id).limit(max_nodes + 1).subquery()).scalar_subquery()
    # Apart, each of min and max is one look-up in ix_document_session (together, a scan).
    lo = select(func.min(D.session)).scalar_subquery()
    hi = select(func.max(D.session)).scalar_subquery()
    count, lo_all, hi_all, orgs = session.execute(select(upto, lo, hi, org_count)).one()
    lo_all, hi_all = (lo_all or 1), (hi_all or 1)
    pages = max(1, -(-orgs // LANES_PER_PAGE))
    if sessions is None and count <= max_nodes:
        return View(True, None, 1, 1, (lo_all, hi_all))
    usual = (max(lo_all, hi_all - DEFAULT_SESSIONS + 1), hi_all)
    # Naming the usual sessions of a record drawn as a summary asks for its default view.
    default = sessions is None or (count > max_nodes and tuple(sessions) == usual)
    return View(False, sessions or usual, min(max(1, page), pages), pages, (lo_all, hi_all), default)


def for_everything(session: Session, *, sessions: tuple[int, int] | None = None, page: int = 1,
                   max_nodes: int | None = None, view: View | None = None) -> GraphScope:
    """Every document of a small record; a summary (sessions, a page of lanes) of a large one."""
    max_nodes = max_nodes or MAX_NODES
    view = view or everything_view(session, sessions=sessions, page=page, max_nodes=max_nodes)
    if view.whole:
        ids = [r[0] for r in session.execute(select(D.id))]
        return _scope(session, None, ids, max_nodes=max_nodes)
    page, pages = view.page, view.pages
    lane_orgs = [OrgRow(*r) for r in session.execute(
        select(*_ORG_COLUMNS).order_by(O.acronym).offset((page - 1) * LANES_PER_PAGE).limit(LANES_PER_PAGE))]
    lo, hi = view.sessions
    chains: dict[str, list[int]] = {o.acronym: [] for o in lane_orgs}
    acronym = {o.id: o.acronym for o in lane_orgs}
    members: dict[int, None] = {}
    for org_id, doc_id, doc_session, date in session.execute(
        select(M.organization_id, M.document_id, D.session, D.date).join(Document.__table__, D.id == M.document_id)
        .where(M.organization_id.in_(list(acronym))).order_by(M.organization_id, M.position)
    ):
        s = session_of(SimpleNamespace(session=doc_session, date=date))
        if s is not None and lo <= s <= hi:
            chains[acronym[org_id]].append(doc_id)
    for o in lane_orgs:  # in lane order, each document once
        members.update(dict.fromkeys(chains[o.acronym]))
    out = _scope(session, None, list(members), max_nodes=max_nodes, shared_max=SHARED_MAX, chains=chains)
    out.summary, out.sessions, out.lanes_page, out.lanes_pages = True, (lo, hi), page, pages
    out.session_bounds = view.bounds
    out.organizations = lane_orgs
    out.all_organizations.update({o.acronym: o for o in lane_orgs})
    return out


def _scope(session: Session, org: OrgRow | None, member_ids: list[int], *, max_nodes: int,
           shared_max: int | None = None, chains: dict | None = None) -> GraphScope:
    members = list(dict.fromkeys(member_ids))
    member_set = set(members)
    cites = session.execute(
        select(C.citing_id, C.cited_id, C.position, C.verb, C.verb_class)
        .where(C.citing_id.in_(members)).order_by(C.citing_id, C.position)).all()
    cited = Counter(c.cited_id for c in cites if c.cited_id is not None and c.cited_id not in member_set)
    room = max(0, max_nodes - len(members))
    if shared_max is not None:
        room = min(room, shared_max)
    keep = [i for i, _ in sorted(cited.items(), key=lambda kv: (-kv[1], kv[0]))[:room]]
    left_out = len(cited) - len(keep)
    docs = _documents(session, members + keep)
    ids = {d.id for d in docs}
    # Only the organizations the drawing names are read: its lanes are among them.
    orgs: dict[str, OrgRow] = {org.acronym: org} if org is not None else {}
    doc_orgs: dict[int, set[str]] = {}
    citing_orgs: dict[int, set[str]] = {}
    cbo = CitedByOrganization.__table__.c
    # The chains a document stands in are the organizations it belongs to.
    for found, doc_column, org_column, table in ((doc_orgs, M.document_id, M.organization_id, ChainMember),
                                                  (citing_orgs, cbo.document_id, cbo.organization_id,
                                                   CitedByOrganization)):
        for doc_id, *row in session.execute(
            select(doc_column, *_ORG_COLUMNS).select_from(table.__table__)
            .join(Organization.__table__, O.id == org_column).where(doc_column.in_(ids))
        ):
            o = orgs.setdefault(row[1], OrgRow(*row))
            found.setdefault(doc_id, set()).add(o.acronym)
    cc = CitedCount.__table__.c
    citers = dict(session.execute(select(cc.document_id, cc.citers).where(cc.document_id.in_(ids))).all())
    cites = [c for c in cites if c.cited_id in ids]
    docs.sort(key=lambda d: (sort_date(d), d.key))
    named = sorted(orgs.values(), key=lambda o: o.acronym)
    return GraphScope(organization=org, organizations=named, documents=docs, citations=cites,
                      doc_orgs=doc_orgs, citing_orgs=citing_orgs, citers=citers, left_out=left_out,
                      chains=chains or {}, all_organizations=dict(orgs))


def _documents(session: Session, ids: list[int]) -> list:
    """Light rows (no text) of `ids` and of what each became: what a node shows and where it stands."""
    became = aliased(Document)
    out = []
    for r in session.execute(
        select(D.id, D.key, D.symbol, D.kind, D.session, D.date, D.title, D.title_en,
               D.organization_id, D.text.is_not(None).label("has_text"),
               case((D.symbol.is_(None), D.provenance)).label("provenance"))
        .where(or_(D.id.in_(ids), D.id.in_(select(became.became_id).where(became.id.in_(ids)))))
    ):
        date = r.date if r.date is None or isinstance(r.date, dt.date) else dt.date.fromisoformat(str(r.date)[:10])
        out.append(SimpleNamespace(
            id=r.id, key=r.key, symbol=r.symbol, kind=r.kind, session=r.session, date=date,
            title=r.title, title_en=r.title_en, organization_id=r.organization_id,
            has_text=bool(r.has_text), provenance=r.provenance or {}))
    return out
