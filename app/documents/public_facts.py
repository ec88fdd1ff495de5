"""Facts from the public record: what became of the series' drafts after the seed texts.

`seed_data/public_facts.json` lists documents by key (the symbol where there is one), each fact
as `{"value": ..., "source": {"url": ..., "note": ...}}`: the organization, kind, session,
symbol and English title of a document Lineage has no text for, what became of a draft
(`outcome`: adopted or not, on a date, by consensus or a recorded vote with its counts), the
resolution it became where a source states it, and a `disagreement` between sources. A document
the seed texts already give keeps what they say and only gains these facts; a new one is created
through the one writer (`ingest.ingest_document`) as a document without text.

`parse` is pure and refuses a file that breaks these rules with a message naming the document;
`load` writes, and loading the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.chains import readmodel
from app.documents.queries import by_ref
from app.models import Document, DocumentKind, SourceFact

FILE_NAME = "public_facts.json"
VOTES = ("consensus", "recorded")
# The facts a document entry may carry, in the order its page lists them.
FACTS = ("symbol", "organization", "kind", "session", "title_en", "outcome", "became", "disagreement")
# Hosts whose pages are the UN's own: a fact from anywhere else must say so in a note.
UN_HOSTS = ("press.un.org", "www.un.org", "un.org", "undocs.org", "documents.un.org",
            "digitallibrary.un.org", "docs.un.org")


@dataclass(frozen=True)
class Outcome:
    adopted: bool
    date: dt.date | None = None
    vote: str | None = None  # consensus | recorded
    yes: int | None = None
    no: int | None = None
    abstain: int | None = None


@dataclass(frozen=True)
class Fact:
    fact: str
    value: Any
    url: str
    note: str | None = None


@dataclass(frozen=True)
class PublicDocument:
    key: str
    facts: tuple[Fact, ...]
    symbol: str | None = None
    organization: str | None = None
    kind: str | None = None
    session: int | None = None
    title_en: str | None = None
    outcome: Outcome | None = None
    became: str | None = None


def is_un_source(url: str) -> bool:
    """Whether `url` is on one of the UN's own sites."""
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    return any(host == h or host.endswith("." + h) for h in UN_HOSTS)


def _outcome(key: str, value: Any) -> Outcome:
    if not isinstance(value, dict) or not isinstance(value.get("adopted"), bool):
        raise ValueError(f"{key}: outcome needs 'adopted': true or false")
    date = value.get("date")
    try:
        date = dt.date.fromisoformat(date) if date else None
    except (TypeError, ValueError):
        raise ValueError(f"{key}: outcome date {date!r} is not YYYY-MM-DD") from None
    vote = value.get("vote")
    if vote is not None and vote not in VOTES:
        raise ValueError(f"{key}: vote must be one of {', '.join(VOTES)}, not {vote!r}")
    counts = {name: value.get(name) for name in ("yes", "no", "abstain")}
    for name, n in counts.items():
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            raise ValueError(f"{key}: vote count {name!r} must be a whole number")
    if vote != "recorded" and any(n is not None for n in counts.values()):
        raise ValueError(f"{key}: vote counts go with a recorded vote only")
    return Outcome(adopted=value["adopted"], date=date, vote=vote, **counts)


def parse(data: Any) -> list[PublicDocument]:
    """The documents of a parsed public_facts.json; ValueError names the first entry that is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise ValueError("public facts: expected an object with a 'documents' list")
    out = []
    for i, entry in enumerate(data["documents"]):
        key = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key:
            raise ValueError(f"public facts: document {i} has no key")
        unknown = set(entry) - {"key", *FACTS}
        if unknown:
            raise ValueError(f"{key}: unknown fact {sorted(unknown)[0]!r}")
        facts = []
        values: dict[str, Any] = {}
        for name in FACTS:
            if name not in entry:
                continue
            fact = entry[name]
            source = fact.get("source") if isinstance(fact, dict) else None
            url = source.get("url") if isinstance(source, dict) else None
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                raise ValueError(f"{key}: the {name} fact has no source URL")
            note = source.get("note")
            if not is_un_source(url) and not note:
                raise ValueError(f"{key}: the {name} fact's source is not the UN's, and no note says so")
            values[name] = fact.get("value")
            facts.append(Fact(fact=name, value=fact.get("value"), url=url, note=note))
        kind = values.get("kind")
        if kind is not None and kind not in DocumentKind.__members__:
            raise ValueError(f"{key}: unknown kind {kind!r}")
        session = values.get("session")
        if session is not None and (not isinstance(session, int) or isinstance(session, bool)):
            raise ValueError(f"{key}: session must be a number")
        out.append(PublicDocument(
            key=key, facts=tuple(facts), symbol=values.get("symbol"),
            organization=values.get("organization"), kind=kind, session=session,
            title_en=values.get("title_en"),
            outcome=_outcome(key, values["outcome"]) if "outcome" in values else None,
            became=values.get("became"),
        ))
    return out


def read(seed_dir: Path) -> list[PublicDocument]:
    path = seed_dir / FILE_NAME
    if not path.exists():
        return []
    return parse(json.loads(path.read_text(encoding="utf-8")))


def _replace_facts(session: Session, doc: Document, facts: tuple[Fact, ...]) -> bool:
    existing = session.exec(
        select(SourceFact).where(SourceFact.document_id == doc.id).order_by(SourceFact.position)
    ).all()
    wanted = [(i, f.fact, f.value, f.url, f.note) for i, f in enumerate(facts)]
    if [(s.position, s.fact, s.value, s.url, s.note) for s in existing] == wanted:
        return False
    for s in existing:
        session.delete(s)
    session.flush()
    for position, fact, value, url, note in wanted:
        session.add(SourceFact(document_id=doc.id, position=position, fact=fact, value=value, url=url, note=note))
    session.flush()
    return True


def apply(session: Session, pub: PublicDocument, *, actor: str | None = None) -> bool:
    """Record one document's public facts (creating it, without text, if Lineage lacks it, as
    `actor`'s change); returns whether anything changed. Does not commit."""
    # the writer imports this module for `seed`: its helpers are imported when called
    from app.documents.store import DocumentIn, _placeholder, _set, ingest_document

    doc = by_ref(session, pub.key)
    changed = False
    if doc is None:
        if pub.organization is None or pub.kind is None:
            raise ValueError(f"{pub.key}: a document Lineage lacks needs its organization and kind")
        doc = ingest_document(session, DocumentIn(
            key=None if pub.symbol else pub.key, symbol=pub.symbol, kind=pub.kind,
            organization=pub.organization, session=pub.session, title_en=pub.title_en,
            became=pub.became,
        ), commit=False, actor=actor).document
        changed = True
    elif pub.became:
        changed |= _set(doc, became_id=_placeholder(session, pub.became).id)
    o = pub.outcome
    changed |= _set(
        doc,
        outcome=None if o is None else ("adopted" if o.adopted else "not_adopted"),
        outcome_date=o.date if o else None,
        vote=o.vote if o else None,
        votes_yes=o.yes if o else None,
        votes_no=o.no if o else None,
        votes_abstain=o.abstain if o else None,
        public_facts=True,
    )
    session.flush()
    changed |= _replace_facts(session, doc, pub.facts)
    if changed:
        # What became of it (and the resolution it became) is in the chains it is a link of,
        # as their pages show them.
        readmodel.touch(session, [doc.id], facts=[doc.id])
    return changed


def load(session: Session, seed_dir: Path, *, actor: str | None = None) -> dict[str, int]:
    """Apply every document of `seed_dir`'s public facts file; does not commit."""
    counts = {"public_documents": 0, "public_changed": 0}
    for pub in read(seed_dir):
        counts["public_documents"] += 1
        counts["public_changed"] += apply(session, pub, actor=actor)
    return counts
