"""Which documents make up an organization's chain, in one place.

A chain holds the organization's own texts, its observer-status resolution, and the documents
its texts cite in a paragraph that names the series (`Organization.series_titles`): the writer
marks those citations `in_series` (`in_series` below) and the reads select by that mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import or_
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from app.calendar import sort_date
from app.models import Citation, Document, Organization
from app.symbols import DocumentKind

_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", text)


def in_series(paragraph: str, series_titles: Iterable[str]) -> bool:
    """Whether a citing paragraph names one of the series ("回顾其关于联合国同上海合作组织的合作的…"),
    whatever line breaks or spaces the text puts inside the title."""
    squashed = _squash(paragraph)
    return any(_squash(t) in squashed for t in series_titles)


_KIND_ORDER = {DocumentKind.letter: 0, DocumentKind.draft_resolution: 1}


def chain_order(doc) -> tuple:
    """A chain's order: by time (`sort_date`); on one day a letter, then its draft, then the
    resolution; then by key."""
    return (sort_date(doc), _KIND_ORDER.get(doc.kind, 2), doc.key)


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
    return sorted(((d, bool(t)) for d, t in rows), key=lambda r: chain_order(r[0]))


def known_from_sources(doc: Document, has_text: bool) -> bool:
    """A member Lineage has no text for that public sources place in its series (facts with
    their URLs in SourceFact rows, seed_data/public_facts.json). It is a member like any text of
    the organization, so its session counts as present when the anomaly rules look for gaps."""
    return not has_text and doc.public_facts and doc.organization_id is not None


def chain_members(session: Session, org: Organization) -> list[Document]:
    """The organization's texts, its observer-status resolution, and the documents its texts cite
    in a paragraph that names the series ("回顾其关于联合国同上海合作组织的合作的…第64/183号…")."""
    return [d for d, _ in chain_members_with_text(session, org)]
