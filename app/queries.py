"""Every read the pages and the API need. Route handlers call these and render the result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column as text_column
from sqlalchemy import case, func, or_, union
from sqlalchemy import table as table_fts
from sqlalchemy.orm import aliased, defer
from sqlmodel import Session, select

from app.models import (
    AuditEntry,
    Citation,
    Document,
    DocumentKind,
    LoginAttempt,
    Organization,
    User,
)
from app.symbols import normalize


def by_symbol(session: Session, symbol: str) -> Document | None:
    return session.exec(select(Document).where(Document.symbol == symbol)).first()


def by_ref(session: Session, ref: str) -> Document | None:
    """A document by the identifier its URL carries: its symbol, else its key."""
    doc = by_symbol(session, ref)
    if doc is None:
        doc = session.exec(select(Document).where(Document.key == ref)).first()
    return doc


def organizations(session: Session) -> list[Organization]:
    return list(session.exec(select(Organization).order_by(Organization.acronym)).all())


def organization(session: Session, acronym: str) -> Organization | None:
    return session.exec(
        select(Organization).where(func.upper(Organization.acronym) == acronym.upper())
    ).first()


def sort_date(doc: Document) -> dt.date:
    """Where a document stands in time: its date, else the opening of its session.

    A General Assembly session N opens in September of 1945 + N; the 71st-session CSTO draft
    (seed 004) has no date, only its session, and stands after 69/12 (2014) by it.
    """
    if doc.date:
        return doc.date
    if doc.session:
        return dt.date(1945 + doc.session, 9, 1)
    return dt.date.max


@dataclass
class ChainLink:
    document: Document
    became: Document | None
    cites: list  # the citations, as rows of CHAIN_CITATION_COLUMNS
    recalls: list[Document] = field(default_factory=list)
    leaves_out: list[Document] = field(default_factory=list)
    has_text: bool = False


def chain_members_with_text(session: Session, org: Organization) -> list[tuple[Document, bool]]:
    """`chain_members`, each with whether Lineage has its text (the texts are not loaded)."""
    own = select(Document.id).where(Document.organization_id == org.id)
    series = select(Citation.cited_id).where(
        Citation.citing_id.in_(own), Citation.in_series, Citation.cited_id.is_not(None)
    )
    # The chain links to its members and shows their dates: their texts stay in the database,
    # and whether each has one is asked of it (bench/README.md: a quarter of the page's time).
    rows = session.exec(
        select(Document, Document.text.is_not(None)).options(defer(Document.text)).where(
            or_(
                Document.organization_id == org.id,
                Document.symbol == org.observer_symbol,
                Document.id.in_(series),
            )
        )
    ).all()
    kind_order = {DocumentKind.letter: 0, DocumentKind.draft_resolution: 1}
    return sorted(((d, bool(t)) for d, t in rows), key=lambda r: (sort_date(r[0]), kind_order.get(r[0].kind, 2), r[0].key))


def chain_members(session: Session, org: Organization) -> list[Document]:
    """The organization's texts, its observer-status resolution, and the documents its texts cite
    in a paragraph that names the series ("回顾其关于联合国同上海合作组织的合作的…第64/183号…")."""
    return [d for d, _ in chain_members_with_text(session, org)]


# What the chain page, its anomalies and the chain API read of each citation: plain rows, not
# ORM objects with their paragraphs (building those was most of the page's time at scale).
CHAIN_CITATION_COLUMNS = (
    Citation.id, Citation.citing_id, Citation.position, Citation.cited_id, Citation.cited_symbol,
    Citation.cited_date, Citation.verb, Citation.verb_class, Citation.location, Citation.in_series,
)


def chain(session: Session, org: Organization, as_of: dt.date | None = None) -> list[ChainLink]:
    """The chain in date order, each link with what it cites and which earlier resolutions of the
    chain it recalls or leaves out (only for links whose text Lineage has)."""
    members = chain_members_with_text(session, org)
    if as_of is not None:
        members = [m for m in members if sort_date(m[0]) <= as_of]
    ids = [d.id for d, _ in members]
    cites: dict[int, list] = {i: [] for i in ids}
    for c in session.exec(
        select(*CHAIN_CITATION_COLUMNS).where(Citation.citing_id.in_(ids))
        .order_by(Citation.citing_id, Citation.position)
    ).all():
        cites[c.citing_id].append(c)
    became = documents_by_ids(session, (d.became_id for d, _ in members))

    links = []
    earlier: list[Document] = []  # the General Assembly resolutions before this link
    for doc, has_text in members:
        link = ChainLink(document=doc, became=became.get(doc.became_id), cites=cites[doc.id], has_text=has_text)
        if has_text:
            cited_ids = {c.cited_id for c in link.cites}
            link.recalls = [d for d in earlier if d.id in cited_ids]
            link.leaves_out = [d for d in earlier if d.id not in cited_ids]
        if doc.kind == DocumentKind.ga_resolution:
            earlier.append(doc)
        links.append(link)
    return links


def cites(session: Session, doc: Document) -> list[tuple[Citation, Any]]:
    """What `doc` cites, in order, each with the cited document as a row of `documents_by_ids`
    (None when Lineage does not know the symbol)."""
    found = session.exec(
        select(Citation).where(Citation.citing_id == doc.id).order_by(Citation.position)
    ).all()
    docs = documents_by_ids(session, (c.cited_id for c in found))
    return [(c, docs.get(c.cited_id)) for c in found]


def cited_by(session: Session, doc: Document) -> list[tuple[Citation, Any]]:
    """Every citation of `doc`, oldest citing document first, each with the citing document as
    a row of `documents_by_ids` with its times (their texts are not shown)."""
    return cited_by_page(session, doc, times=True)[0]


def cited_by_page(
    session: Session, doc: Document, page: int = 1, per_page: int | None = None, *, times: bool = False
) -> tuple[list[tuple[Citation, Any]], int]:
    """One page of `cited_by`, and how many citations there are in all.

    A much-cited resolution has hundreds of citers (1,919 for the most cited at whole-UN scale):
    they are ordered by their dates, which only Python knows how to complete (`sort_date`), so the
    order is taken over light rows and only the page's citations are loaded with paragraphs."""
    refs = session.exec(
        select(Citation.id, Citation.citing_id, Citation.position).where(Citation.cited_id == doc.id)
    ).all()
    docs = documents_by_ids(session, (r.citing_id for r in refs), times=times)
    refs = sorted(refs, key=lambda r: (sort_date(docs[r.citing_id]), docs[r.citing_id].key, r.position))
    if per_page is not None:
        refs_page = refs[(page - 1) * per_page: page * per_page]
    else:
        refs_page = refs
    ids = [r.id for r in refs_page]
    found = {c.id: c for c in session.exec(select(Citation).where(Citation.id.in_(ids))).all()} if ids else {}
    return [(found[r.id], docs[r.citing_id]) for r in refs_page], len(refs)


def symbol_matches(session: Session, fragment: str, limit: int = 20) -> list[Document]:
    """Documents whose symbol contains `fragment`, shortest first: the close matches of a search."""
    if not fragment.isascii():
        return []  # every symbol is ASCII (app/symbols.py): a Chinese word is in none of them
    pattern = f"%{fragment}%"
    order = (func.length(Document.symbol), Document.symbol)
    # SQLite's LIKE already ignores ASCII case, as its lower() only lowers ASCII: the same test
    # as ILIKE's lower(symbol) LIKE lower(?), without a lower() call per row.
    if session.get_bind().dialect.name == "sqlite":
        contains = Document.symbol.like(pattern)
    else:
        contains = Document.symbol.ilike(pattern)
    # The substring test cannot use an index, but it can scan the symbol index (symbol, id)
    # instead of the table with every text in it: pick the ids there, then load those rows.
    ids = select(Document.id).where(Document.symbol.is_not(None), contains).order_by(*order).limit(limit)
    return list(session.exec(select(Document).where(Document.id.in_(ids)).order_by(*order)).all())


# --- full-text search ------------------------------------------------------------------------

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # private-use marks: escaped text, then <mark>


@dataclass
class TextHit:
    document: Document
    snippet: str  # plain text with MARK_OPEN/MARK_CLOSE around the matches
    where: str  # "text" or "paragraph"


def _snippet(text: str, q: str, width: int = 40) -> str:
    i = text.lower().find(q.lower())
    if i < 0:
        return text[: 2 * width]
    start, end = max(0, i - width), min(len(text), i + len(q) + width)
    return (
        ("…" if start else "") + text[start:i] + MARK_OPEN + text[i:i + len(q)] + MARK_CLOSE
        + text[i + len(q):end] + ("…" if end < len(text) else "")
    )


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def full_text(session: Session, q: str, page: int = 1, per_page: int = 20) -> tuple[list[TextHit], int]:
    """Documents whose text, or a paragraph they cite from, contains `q`; newest first.

    SQLite answers queries of three characters or more from the FTS5 trigram index; shorter
    ones (the many 1- and 2-character Chinese words, which trigram cannot index) by a scan, so
    they are still correct. PostgreSQL uses ILIKE, which its pg_trgm indexes serve.
    """
    q = q.strip()
    if not q:
        return [], 0
    order = (Document.date.desc().nulls_last(), Document.session.desc().nulls_last(), Document.key)
    if session.get_bind().dialect.name == "sqlite" and len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        in_text = select(text_column("rowid").label("id")).select_from(table_fts("document_fts")).where(
            text_column("document_fts").op("MATCH")(phrase))
        in_paragraph = select(Citation.citing_id).where(Citation.id.in_(
            select(text_column("rowid")).select_from(table_fts("citation_fts")).where(
                text_column("citation_fts").op("MATCH")(phrase))))
        matched = union(in_text, in_paragraph).subquery()
        total = session.exec(select(func.count()).select_from(matched)).one()
        # `id + 0` keeps SQLite from looking each match up by rowid: it walks ix_document_recent
        # in page order and stops after the page, instead of sorting every match (a common word
        # is in most documents).
        page_ids = select(Document.id).where((Document.id + 0).in_(select(matched.c.id)))
    else:
        pattern = _like(q)
        where = or_(
            Document.text.ilike(pattern, escape="\\"),
            Document.id.in_(select(Citation.citing_id).where(Citation.paragraph.ilike(pattern, escape="\\"))),
        )
        total = session.exec(select(func.count()).select_from(Document).where(where)).one()
        page_ids = select(Document.id).where(where)
    ids = session.exec(page_ids.order_by(*order).offset((page - 1) * per_page).limit(per_page)).all()
    by_id = {d.id: d for d in session.exec(select(Document).where(Document.id.in_(ids))).all()} if ids else {}
    docs = [by_id[i] for i in ids]
    hits = []
    for doc in docs:
        if doc.text and q.lower() in doc.text.lower():
            hits.append(TextHit(doc, _snippet(doc.text, q), "text"))
            continue
        para = session.exec(
            select(Citation.paragraph).where(Citation.citing_id == doc.id, Citation.paragraph.ilike(_like(q), escape="\\"))
        ).first()
        hits.append(TextHit(doc, _snippet(para or "", q), "paragraph"))
    return hits, total


# --- Issue 5: views (timeline graph, anomalies, unresolved citations, feeds, exports) ---------
# Reads only; the computation on what they return lives in app/views/.


@dataclass
class Scope:
    """A set of documents and the citations their texts make, with what each organization
    makes of them: the input of the timeline graph and of the exports.

    `chains` maps an acronym to the ids of its chain (`chain_members`); `citing_orgs` maps a
    document id to the acronyms of the organizations whose texts cite it and `citers` to the ids
    of the documents citing it, both over the whole database, so that a citation several texts
    share shows as shared in one organization's graph too.
    """

    organization: Organization | None
    organizations: list[Organization]
    documents: list[Document]
    citations: list[Citation]
    chains: dict[str, list[int]]
    doc_orgs: dict[int, set[str]]
    citing_orgs: dict[int, set[str]]
    citers: dict[int, set[int]]


def scope(session: Session, org: Organization | None = None) -> Scope:
    """Everything (org None), or one organization's chain plus what its chain's texts cite."""
    orgs = organizations(session)
    acronym_by_id = {o.id: o.acronym for o in orgs}
    chains = {o.acronym: [d.id for d in chain_members(session, o)] for o in orgs}
    all_cites = list(
        session.exec(select(Citation).order_by(Citation.citing_id, Citation.position)).all()
    )
    owner_rows = session.exec(
        select(Document.id, Document.organization_id).where(Document.organization_id.is_not(None))
    ).all()
    doc_orgs: dict[int, set[str]] = {}
    for doc_id, org_id in owner_rows:
        doc_orgs.setdefault(doc_id, set()).add(acronym_by_id[org_id])
    for acronym, ids in chains.items():
        for doc_id in ids:
            doc_orgs.setdefault(doc_id, set()).add(acronym)
    citing_orgs: dict[int, set[str]] = {}
    citers: dict[int, set[int]] = {}
    for c in all_cites:
        if c.cited_id is None:
            continue
        citers.setdefault(c.cited_id, set()).add(c.citing_id)
        citing_orgs.setdefault(c.cited_id, set()).update(doc_orgs.get(c.citing_id, ()))

    if org is None:
        docs = list(session.exec(select(Document)).all())
        cites_in = all_cites
    else:
        members = set(chains.get(org.acronym, []))
        cites_in = [c for c in all_cites if c.citing_id in members]
        ids = members | {c.cited_id for c in cites_in if c.cited_id is not None}
        docs = list(session.exec(select(Document).where(Document.id.in_(ids))).all()) if ids else []
        became = {d.became_id for d in docs if d.became_id and d.became_id not in ids}
        if became:  # the resolution a chain's letter or draft became belongs with it
            docs += session.exec(select(Document).where(Document.id.in_(became))).all()
    docs.sort(key=lambda d: (sort_date(d), d.key))
    return Scope(
        organization=org, organizations=orgs, documents=docs, citations=cites_in, chains=chains,
        doc_orgs=doc_orgs, citing_orgs=citing_orgs, citers=citers,
    )


def documents_by_ids(session: Session, ids, *, times: bool = False) -> dict[int, Any]:
    """Documents a page only labels, links to and dates, as rows: id, key, symbol, kind, session,
    date, date_source, title, title_en, has_text, provenance (only for a document without a
    symbol: its label needs it) and, with `times` (for feeds), created_at and updated_at.

    Loading them whole was a quarter of the chain page's time (bench/README.md). The columns are
    those the table stores before `text`, and `text IS NOT NULL`, so SQLite never reads a text:
    a column stored after it (became_id, provenance, …) means reading through the whole text.
    """
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    columns = [Document.id, Document.key, Document.symbol, Document.kind, Document.session, Document.date,
               Document.date_source, Document.title, Document.title_en,
               Document.text.is_not(None).label("has_text"),
               case((Document.symbol.is_(None), Document.provenance)).label("provenance")]
    if times:
        columns += [Document.created_at, Document.updated_at]
    return {d.id: d for d in session.exec(select(*columns).where(Document.id.in_(ids))).all()}


@dataclass
class UnresolvedSymbol:
    """A cited symbol Lineage has no text for, with the citations that name it."""

    symbol: str
    document: Document | None
    mentions: int
    citers: list[Document]


def unresolved(session: Session) -> list[UnresolvedSymbol]:
    """Every cited symbol without a text, most cited first (citing documents, then mentions)."""
    cited = aliased(Document)
    citing = aliased(Document)
    rows = session.exec(
        select(Citation, cited, citing)
        .join(cited, Citation.cited_id == cited.id, isouter=True)
        .join(citing, Citation.citing_id == citing.id)
        .where(or_(Citation.cited_id.is_(None), cited.text.is_(None)))
        .order_by(Citation.cited_symbol, Citation.citing_id, Citation.position)
    ).all()
    found: dict[str, UnresolvedSymbol] = {}
    for c, doc, by in rows:
        entry = found.setdefault(c.cited_symbol, UnresolvedSymbol(c.cited_symbol, doc, 0, []))
        entry.mentions += 1
        if all(d.id != by.id for d in entry.citers):
            entry.citers.append(by)
    for entry in found.values():
        entry.citers.sort(key=lambda d: (sort_date(d), d.key))
    return sorted(found.values(), key=lambda e: (-len(e.citers), -e.mentions, e.symbol))


# --- the admin (issue 4) -------------------------------------------------------------------


def by_ref_or_symbol(session: Session, ref: str) -> Document | None:
    """`by_ref`, else the document whose symbol `ref` is another way of writing (`a/77/l.107`)."""
    doc = by_ref(session, ref)
    if doc is None:
        norm = normalize(ref)
        doc = by_symbol(session, norm.symbol) if norm.symbol else None
    return doc


def user_by_name(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def failed_logins(
    session: Session, *, username: str, address: str, since: dt.datetime
) -> tuple[int, int, dt.datetime | None]:
    """Failed logins since `since`: for the username, for the address, and the oldest of them."""
    recent = LoginAttempt.at >= since
    by_user = session.exec(
        select(func.count()).select_from(LoginAttempt).where(recent, LoginAttempt.username == username)
    ).one()
    by_address = session.exec(
        select(func.count()).select_from(LoginAttempt).where(recent, LoginAttempt.address == address)
    ).one()
    oldest = session.exec(
        select(func.min(LoginAttempt.at)).where(
            recent, or_(LoginAttempt.username == username, LoginAttempt.address == address)
        )
    ).one()
    return by_user, by_address, oldest


def stored_citations(session: Session, doc: Document) -> list[Citation]:
    return list(
        session.exec(select(Citation).where(Citation.citing_id == doc.id).order_by(Citation.position)).all()
    )


def citer_count(session: Session, doc: Document) -> int:
    """How many documents cite `doc`."""
    return session.exec(
        select(func.count(func.distinct(Citation.citing_id))).where(Citation.cited_id == doc.id)
    ).one()


def is_referenced(session: Session, doc: Document) -> bool:
    """Whether something other than its own text keeps `doc` in Lineage: a citation of it, a
    draft that became it, an organization whose observer-status resolution it is."""
    if session.exec(select(Citation.id).where(Citation.cited_id == doc.id).limit(1)).first():
        return True
    if session.exec(select(Document.id).where(Document.became_id == doc.id).limit(1)).first():
        return True
    return bool(
        doc.symbol
        and session.exec(select(Organization.id).where(Organization.observer_symbol == doc.symbol)).first()
    )


def documents_with_text(session: Session) -> list[Document]:
    """The texts an admin can edit, most recently changed first."""
    return list(
        session.exec(
            select(Document).where(Document.text.is_not(None)).order_by(Document.updated_at.desc(), Document.key)
        ).all()
    )


def audit_entries(session: Session, *, limit: int = 50, before_id: int | None = None) -> list[AuditEntry]:
    """The audit log, newest first; `before_id` pages back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.exec(query).all())


def audit_entries_for(session: Session, document_id: int) -> list[AuditEntry]:
    """The changes of one document, oldest first."""
    return list(
        session.exec(
            select(AuditEntry).where(AuditEntry.document_id == document_id).order_by(AuditEntry.id)
        ).all()
    )
