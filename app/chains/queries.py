"""The chain's reads: the organizations, each chain with its links (what each text recalls of
the chain and which earlier resolutions it leaves out), and the scope the graph and exports
work on. Which documents belong to a chain is `app.chains.membership`'s rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from app.calendar import sort_date
from app.chains.membership import chain_members, chain_members_with_text
from app.documents.queries import documents_by_ids
from app.models import Citation, Document, Organization, Paragraph
from app.symbols import DocumentKind


def organizations(session: Session) -> list[Organization]:
    return list(session.exec(select(Organization).order_by(Organization.acronym)).all())


def organization(session: Session, acronym: str) -> Organization | None:
    return session.exec(
        select(Organization).where(func.upper(Organization.acronym) == acronym.upper())
    ).first()


@dataclass
class ChainLink:
    document: Document
    became: Document | None
    cites: list  # the citations, as rows of CHAIN_CITATION_COLUMNS
    recalls: list[Document] = field(default_factory=list)
    leaves_out: list[Document] = field(default_factory=list)
    has_text: bool = False


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
    # (document id, paragraph index) -> text: the paragraphs the citations are in, each once.
    paragraphs: dict[tuple[int, int], str] = field(default_factory=dict)


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
    citing = select(Paragraph.document_id, Paragraph.idx, Paragraph.text)
    if org is not None:
        citing = citing.where(Paragraph.document_id.in_({c.citing_id for c in cites_in}))
    paragraphs = {(d, i): text for d, i, text in session.exec(citing).all()}
    return Scope(
        organization=org, organizations=orgs, documents=docs, citations=cites_in, chains=chains,
        doc_orgs=doc_orgs, citing_orgs=citing_orgs, citers=citers, paragraphs=paragraphs,
    )
