"""The chain's reads: the organizations, each chain with its links (what each text recalls of
the chain and which earlier resolutions it leaves out). What the graph draws is app.graph.scope's
read, what the exports write app.exports.formats'. Which documents belong to a chain is `app.chains.membership`'s rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import func
from sqlmodel import Session, select

from app.calendar import sort_date
from app.chains.membership import chain_members_with_text, known_from_sources
from app.documents.queries import documents_by_ids, source_facts_of
from app.models import Citation, Document, Organization
from app.symbols import DocumentKind


class OrganizationName(NamedTuple):
    id: int
    acronym: str
    name_zh: str
    name_en: str
    observer_symbol: str


def organizations(session: Session) -> list[OrganizationName]:
    """Every organization's names, by acronym, as rows (the admin form lists them all)."""
    o = Organization.__table__.c
    return [OrganizationName(*r) for r in session.execute(
        select(o.id, o.acronym, o.name_zh, o.name_en, o.observer_symbol).order_by(o.acronym))]


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
    # Known only from public sources: no text, placed in the series by a source.
    from_source: bool = False
    # The first such link after the last text Lineage holds: where the sources take over.
    sources_begin: bool = False
    facts: list = field(default_factory=list)  # its SourceFact rows


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
    mark_sources(links, source_facts_of(session, [link.document for link in links if link.document.public_facts]))
    return links


def mark_sources(links: list[ChainLink], facts: dict[int, list]) -> None:
    """Give each link its facts from public sources, and mark the first link known only from them
    after the last text Lineage holds."""
    last_text = max((i for i, link in enumerate(links) if link.has_text), default=-1)
    begun = False
    for i, link in enumerate(links):
        link.facts = facts.get(link.document.id, [])
        link.from_source = known_from_sources(link.document, link.has_text)
        if link.from_source and i > last_text and not begun:
            link.sources_begin = begun = True
