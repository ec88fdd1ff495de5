"""The only writer of documents and citations.

Every path that stores a text (the seed loader, the admin form's save, delete and restore in
`app.documents.audit`, the JSON Lines import) goes through `ingest_document`, which extracts the citations, resolves them against the database and replaces
the document's outgoing citations in one transaction. Ingesting the same text again changes
nothing: rows are compared before they are written. In the same transaction it records the
change (`app.documents.history`): its audit entry, under the name of who made it, and the fields
an admin set, which nobody else's write overwrites.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, insert, or_, update
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from app.chains import readmodel
from app.chains.membership import in_series
from app.documents import history, labels, public_facts
from app.citations import Citation as Found
from app.citations import extract
from app.documents.queries import by_symbol, is_referenced, stored_citations
from app.models import (
    CITATION_COLUMNS, Citation, Document, Organization, Paragraph, citation_columns, paragraph_verbatim, utcnow,
)
from app.symbols import normalize, parse


@dataclass
class DocumentIn:
    """What a caller knows about a document before its citations are extracted."""

    key: str | None = None
    symbol: str | None = None
    kind: str = "other"
    text: str | None = None
    organization: str | None = None  # acronym
    session: int | None = None
    date: dt.date | None = None
    title: str | None = None
    title_en: str | None = None
    language: str | None = None
    source: str | None = None
    became: str | None = None  # symbol of the resolution a draft became
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class IngestResult:
    session: Session
    document_id: int
    created: bool
    changed: bool
    citations: int
    entry_id: int | None = None  # the audit entry of the change, when an actor made one
    # values brought for fields an admin set, not applied (`app.documents.history`)
    conflicts: list[history.Conflict] = field(default_factory=list)

    @cached_property
    def document(self) -> Document:
        """The stored document, loaded when first asked for (a bulk import seldom asks)."""
        return self.session.get(Document, self.document_id)


def document_key(symbol: str | None, key: str | None) -> str:
    if key:
        return key
    if symbol:
        return symbol
    raise ValueError("a document needs a symbol or a key")


def _placeholder(session: Session, symbol: str) -> Document:
    """The document for a cited symbol, created bare (no text) when Lineage has never seen it."""
    doc = by_symbol(session, symbol)
    if doc is None:
        info = parse(symbol)
        doc = Document(key=symbol, symbol=symbol, kind=info.kind, session=info.session)
        session.add(doc)
        session.flush()
        readmodel.touch(session, [doc.id], facts=[doc.id])
    return doc


def _placeholders(session: Session, symbols: Iterable[str]) -> dict[str, int]:
    """The ids of the documents for cited symbols (`_placeholder`), in one query for them all;
    the unknown ones are inserted as plain rows (an ORM object each was a bulk import's main cost)."""
    wanted = set(symbols)
    if not wanted:
        return {}
    ids = dict(session.exec(select(Document.symbol, Document.id).where(Document.symbol.in_(wanted))).all())
    missing = sorted(wanted - set(ids))
    if missing:
        now = utcnow()
        rows = [dict(key=s, symbol=s, kind=info.kind, session=info.session, provenance={},
                     created_at=now, updated_at=now, version=1)
                for s, info in ((s, parse(s)) for s in missing)]
        table = Document.__table__
        made = {r.symbol: r.id for r in session.execute(insert(table).returning(table.c.symbol, table.c.id), rows)}
        # A new document may hold an organization's observer-status symbol: its chain starts there.
        readmodel.touch(session, made.values(), facts=made.values())
        ids.update(made)
    return ids


def _set(obj: Any, **values: Any) -> bool:
    """Assign only what differs, so a second identical ingest leaves rows untouched."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _citation_rows(found: Sequence[Found]) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The citation rows, without what they are resolved to (the cited documents' ids, the
    series flag), and the paragraphs they are in (index -> text), each paragraph once.

    A citation that is only an undocs link (no paragraph of the text holds it) has its line for
    a paragraph, numbered from -1 down."""
    rows: list[dict[str, Any]] = []
    paragraphs: dict[int, str] = {}
    link_lines: dict[str, int] = {}
    for position, cit in enumerate(found):
        index = cit.paragraph_index
        if index is None:
            index = link_lines.setdefault(cit.paragraph, -1 - len(link_lines))
        if not paragraphs.get(index):  # a citation added by hand may come without its paragraph
            paragraphs[index] = cit.paragraph
        rows.append(dict(position=position, **{**citation_columns(cit), "paragraph_index": index}))
    return rows, paragraphs


def _rows_for(
    session: Session, found: Sequence[Found], series_titles: Iterable[str]
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The citation rows and the paragraphs they are in (`_citation_rows`), each row with the
    document it cites (made bare when unknown) and whether its paragraph names the series."""
    titles = list(series_titles)
    rows, paragraphs = _citation_rows(found)
    cited_ids = _placeholders(session, (r["cited_symbol"] for r in rows))
    for row, cit in zip(rows, found):
        row["cited_id"] = cited_ids[row["cited_symbol"]]
        row["in_series"] = in_series(cit.paragraph, titles)
    return rows, paragraphs


_COMPARED = ("position", "cited_id", "in_series", *CITATION_COLUMNS.values())
# What a citation says, whatever it resolves to: an admin's citations and a command's are compared on it.
_SAID = ("position", *CITATION_COLUMNS.values())
_CIT, _PARA = Citation.__table__, Paragraph.__table__


def _stored(session: Session, doc_id: int) -> tuple[list[Any], dict[int, tuple[str, bool]]]:
    """A document's citations (rows of `_COMPARED`, by name, in order) and its paragraphs
    (index -> (text, verbatim)), as stored."""
    existing = session.execute(
        select(*(_CIT.c[k] for k in _COMPARED)).where(_CIT.c.citing_id == doc_id).order_by(_CIT.c.position)
    ).mappings().all()
    stored = {i: (t, v) for i, t, v in session.execute(
        select(_PARA.c.idx, _PARA.c.text, _PARA.c.verbatim).where(_PARA.c.document_id == doc_id))}
    return existing, stored


def _replace_citations(
    session: Session, doc_id: int, rows: list[dict[str, Any]], paragraphs: dict[int, str], text: str | None,
    *, created: bool = False, existing: Sequence[Any] = (), stored: dict[int, tuple[str, bool]] | None = None,
) -> bool:
    """Replace the citations and paragraphs of `doc_id` with these, unless they are the same as
    the `existing` and `stored` ones (`_stored`; a document just `created` has none). A paragraph
    is stored with whether it is a run of `text`, the document's text (`verbatim`): a text edited
    around an unchanged paragraph can change that, so it is compared too."""
    table, ptable = _CIT, _PARA
    quoted = {i: (t, paragraph_verbatim(t, text)) for i, t in paragraphs.items()}
    new_paragraphs = [{"document_id": doc_id, "idx": i, "text": t, "verbatim": v} for i, (t, v) in quoted.items()]
    if created:
        if new_paragraphs:
            session.execute(insert(ptable), new_paragraphs)
        if rows:
            session.execute(insert(table), [{"citing_id": doc_id, **r} for r in rows])
        return bool(rows or paragraphs)
    stored = stored or {}
    if stored == quoted and [tuple(c[k] for k in _COMPARED) for c in existing] == \
            [tuple(r[k] for k in _COMPARED) for r in rows]:
        return False
    if existing:
        session.execute(delete(table).where(table.c.citing_id == doc_id))
    if stored:
        session.execute(delete(ptable).where(ptable.c.document_id == doc_id))
    if new_paragraphs:
        session.execute(insert(ptable), new_paragraphs)
    if rows:
        session.execute(insert(table), [{"citing_id": doc_id, **r} for r in rows])
    return True


def _found_of(rows: Sequence[Any], paragraphs: dict[int, str]) -> list[Found]:
    """Stored citation rows back as the extractor's records, to be written again as they are."""
    return [Found(paragraph=paragraphs.get(r["paragraph_index"], ""),
                  **{name: r[column] for name, column in CITATION_COLUMNS.items()}) for r in rows]


class StaleDocument(Exception):
    """The document changed, or went, since the admin form that edits it was opened."""

    def __init__(self, current_version: int | None):
        super().__init__(f"the document is now at version {current_version}")
        self.current_version = current_version


def new_key() -> str:
    """A stable key for a document without a symbol (a letter, say)."""
    return f"doc-{secrets.token_hex(6)}"


_DOC = Document.__table__
_ORG = Organization.__table__
# What the writer compares of a stored document before it writes.
_DOC_COLUMNS = ("id", "key", "symbol", "kind", "session", "date", "date_source", "title", "title_en", "language",
                "text", "source", "organization_id", "became_id", "provenance", "version")


# The columns the read model reads of a document (app.chains.readmodel.Facts, the unresolved
# citers' dates and keys), the text by whether there is one.
_FACT_FIELDS = frozenset({"key", "symbol", "kind", "session", "date", "date_source", "organization_id", "became_id"})


def document_row(session: Session, where) -> Any:
    """One stored document as a plain row of `_DOC_COLUMNS` (no ORM object: a bulk import reads
    one per line), or None."""
    return session.execute(select(*(_DOC.c[c] for c in _DOC_COLUMNS)).where(where).limit(1)).first()


def by_key_or_symbol(session: Session, key: str | None, symbol: str | None) -> tuple[Any, Any]:
    """The stored document whose key is `key` (else the one whose symbol is `symbol`, if any),
    and the one whose symbol is `symbol`, as `document_row`s, in one statement."""
    if not key and not symbol:
        return None, None
    conditions = [c for c in (_DOC.c.key == key if key else None, _DOC.c.symbol == symbol if symbol else None)
                  if c is not None]
    rows = session.execute(select(*(_DOC.c[c] for c in _DOC_COLUMNS)).where(or_(*conditions))).all()
    by_key = next((r for r in rows if key and r.key == key), None)
    holder = next((r for r in rows if symbol and r.symbol == symbol), None)
    return by_key or holder, holder


def _expire(session: Session, doc_id: int) -> None:
    """A Document of this id the session holds would still show what it was before a plain
    UPDATE: its attributes are read again when next used."""
    obj = session.identity_map.get(identity_key(Document, doc_id))
    if obj is not None:
        session.expire(obj)


def _claim(session: Session, doc_id: int, expected_version: int) -> None:
    """Bump the version only if it is still `expected_version`; else raise StaleDocument.

    One conditional UPDATE: of two admins saving the same version at once, the second finds the
    row changed (SQLite serializes the writes, PostgreSQL's row lock makes it wait), whatever
    either read before.
    """
    bumped = session.execute(
        update(_DOC).where(_DOC.c.id == doc_id, _DOC.c.version == expected_version)
        .values(version=_DOC.c.version + 1)
    ).rowcount
    _expire(session, doc_id)
    if bumped != 1:
        raise StaleDocument(session.execute(select(_DOC.c.version).where(_DOC.c.id == doc_id)).scalar())


def _absorb(session: Session, doc_id: int, symbol: str) -> None:
    """Give `symbol` to the document `doc_id` when a text-less document (known only from its
    citers) holds it: its citers and the drafts that became it now point to `doc_id`, and it goes."""
    other = by_symbol(session, symbol)
    if other is None or other.id == doc_id:
        return
    if other.text is not None:
        raise ValueError(f"{symbol} already belongs to another document")
    # Its citers' citations now name `doc_id`: their own citations changed.
    citers = set(session.execute(select(Citation.__table__.c.citing_id).where(
        Citation.__table__.c.cited_id == other.id)).scalars())
    session.exec(
        update(Citation).where(Citation.cited_id == other.id).values(cited_id=doc_id)
        .execution_options(synchronize_session=False)
    )
    session.exec(
        update(Document).where(Document.became_id == other.id).values(became_id=doc_id)
        .execution_options(synchronize_session=False)
    )
    readmodel.touch(session, [other.id], facts=[other.id], cites=citers, uncited=[other.id])
    session.delete(other)
    session.flush()


def _names(session: Session, organization_id: int | None, became_id: int | None) -> tuple[str | None, str | None]:
    """The acronym of an organization and the symbol (else key) of a document, by their ids, as
    the snapshots name them."""
    acronym = session.execute(select(_ORG.c.acronym).where(_ORG.c.id == organization_id)).scalar() \
        if organization_id is not None else None
    became = session.execute(select(_DOC.c.symbol, _DOC.c.key).where(_DOC.c.id == became_id)).first() \
        if became_id is not None else None
    return acronym, (became.symbol or became.key) if became else None


def _snapshot_of_row(session: Session, doc: Any, existing: Sequence[Any],
                     stored: dict[int, tuple[str, bool]]) -> dict[str, Any]:
    organization, became = _names(session, doc.organization_id, doc.became_id)
    return history.snapshot_of(doc, organization=organization, became=became, version=doc.version,
                               citations=existing, paragraphs={i: t for i, (t, _) in stored.items()})


def snapshot(session: Session, doc_id: int) -> dict[str, Any] | None:
    """The stored document `doc_id` in full, as the audit log keeps it (`history.snapshot_of`),
    or None when there is no such document."""
    session.flush()
    doc = document_row(session, _DOC.c.id == doc_id)
    if doc is None:
        return None
    existing, stored = _stored(session, doc_id)
    return _snapshot_of_row(session, doc, existing, stored)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def ingest_document(
    session: Session, data: DocumentIn, *, citations: Sequence[Found] | None = None,
    commit: bool = True, document_id: int | None = None, expected_version: int | None = None,
    actor: str | None = None, admin: bool = False, restored_from: int | None = None,
    trail: history.Trail | None = None,
) -> IngestResult:
    """Store one document and replace its outgoing citations, in one transaction.

    `data.text` is run through the extractor unless `citations` are given (the admin form passes
    the person's corrected list). Unknown cited symbols become text-less documents. Returns the
    document, whether it was created, and whether anything changed.

    The admin passes `document_id` to update exactly that document (its symbol may change; a key
    that was its symbol follows it), and `expected_version`, the version its form was opened at:
    StaleDocument is raised when the document has changed since. A symbol held by a text-less
    document is taken over from it.

    `actor` names who writes: an admin's user name (with `admin=True`; `restored_from`, the audit
    entry a restore brings back), or the command ("lineage ingest", "lineage import", "lineage
    sync"). A write by an actor that changes the document adds its audit entry
    (`IngestResult.entry_id`; or to `trail`, which the caller writes before it commits). An
    admin's write marks the fields it changed as theirs; any other
    write leaves those fields as the admin set them, applies the rest, and returns the values it
    brought for them (`IngestResult.conflicts`), which are kept for an admin to answer
    (`app.documents.history` has the rules).

    The rows are read and written as plain rows and statements, not ORM objects (an object per
    line was most of a bulk import's time); a Document of this id the session holds is expired,
    and `IngestResult.document` loads it when asked for.
    """
    if admin and not actor:
        raise ValueError("an admin's write names the admin")
    for name in ("key", "symbol", "text", "title", "title_en", "source"):
        value = getattr(data, name)
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL cannot store NUL, and no UN text contains one.
            raise ValueError(f"{name} contains a NUL byte")
    readmodel.writer_lock(session)
    session.flush()  # what the caller added as objects, before the plain statements below
    symbol = data.symbol
    if symbol:
        norm = normalize(symbol)
        if not norm.symbol:
            raise ValueError(f"invalid symbol {symbol!r}: {norm.error}")
        symbol = norm.symbol
    if document_id is not None:
        target = document_row(session, _DOC.c.id == document_id)
        if target is None:
            raise StaleDocument(None)
        key = (symbol or new_key()) if target.key == target.symbol else target.key
    else:
        target = None
        key = document_key(symbol, data.key)

    org = None
    if data.organization:
        org = session.execute(
            select(_ORG.c.id, _ORG.c.series_titles, _ORG.c.acronym).where(_ORG.c.acronym == data.organization)
        ).first()
        if org is None:
            raise ValueError(f"unknown organization {data.organization!r}")
    became_symbol = None
    if data.became:
        became = normalize(data.became)
        if not became.symbol:
            raise ValueError(f"invalid symbol {data.became!r}: {became.error}")
        became_symbol = became.symbol

    doc = target or by_key_or_symbol(session, key, symbol)[0]
    created = doc is None
    if not created and expected_version is not None:
        _claim(session, doc.id, expected_version)
    # The fields of the document an admin set: an admin's write marks more, another leaves them.
    known = {} if created else history.admin_fields(session, doc.id)
    guarded = set() if admin else set(known)
    if "text" in guarded:
        guarded.add("citations")  # a text's citations are the text's
    kept: dict[str, tuple[Any, Any]] = {}  # field -> (the admin's value, kept; the one not applied)
    if "symbol" in guarded and symbol != doc.symbol:
        kept["symbol"] = (doc.symbol, symbol)
        symbol = doc.symbol
    if not created and symbol and doc.symbol != symbol:
        _absorb(session, doc.id, symbol)
    old_became = None if created else doc.became_id
    existing, stored = ([], {}) if created else _stored(session, doc.id)

    date, date_source = (data.date, "text") if data.date else (
        (None, None) if created else readmodel.derived_date(session, doc.id))
    values = dict(
        symbol=symbol,
        kind=data.kind,
        session=data.session if data.session is not None else (parse(symbol).session if symbol else None),
        date=date,
        date_source=date_source,
        title=data.title,
        title_en=data.title_en,
        language=data.language,
        text=data.text,
        source=data.source,
        organization_id=org.id if org else None,
        provenance=data.provenance,
    )
    found = citations if citations is not None else (extract(data.text) if data.text else [])
    if guarded:
        for name in ("kind", "session", "title", "title_en"):
            if name in guarded and values[name] != getattr(doc, name):
                kept[name] = (getattr(doc, name), values[name])
                values[name] = getattr(doc, name)
        own_date = doc.date if doc.date_source == "text" else None
        if "date" in guarded and data.date != own_date:
            kept["date"] = (_iso(own_date), _iso(data.date))
            values["date"], values["date_source"] = (doc.date, "text") if own_date else \
                readmodel.derived_date(session, doc.id)
        if "organization" in guarded and values["organization_id"] != doc.organization_id:
            org = session.execute(select(_ORG.c.id, _ORG.c.series_titles, _ORG.c.acronym)
                                  .where(_ORG.c.id == doc.organization_id)).first() if doc.organization_id else None
            kept["organization"] = (org.acronym if org else None, data.organization)
            values["organization_id"] = doc.organization_id
        if "text" in guarded and values["text"] != doc.text:
            kept["text"] = (doc.text, values["text"])
            for name in ("text", *history.FOLLOW_TEXT):
                values[name] = getattr(doc, name)
        if "became" in guarded:
            own_became = _names(session, None, old_became)[1]
            if became_symbol != own_became:
                kept["became"] = (own_became, became_symbol)
        if "citations" in guarded:
            rows, paragraphs = _citation_rows(found)
            own_paragraphs = {i: t for i, (t, _) in stored.items()}
            if [tuple(c[k] for k in _SAID) for c in existing] != [tuple(r[k] for k in _SAID) for r in rows] \
                    or own_paragraphs != paragraphs:
                kept["citations"] = (history.citations_of(existing, own_paragraphs),
                                     history.citations_of(rows, paragraphs))
                found = _found_of(existing, own_paragraphs)
        if kept:
            # Each kept field keeps its own provenance (a kept text, its file's too).
            provenance, own = dict(values["provenance"] or {}), doc.provenance or {}
            for name in set(kept) | ({"file", *history.FOLLOW_TEXT} if "text" in kept else set()):
                if name in own:
                    provenance[name] = own[name]
                else:
                    provenance.pop(name, None)
            values["provenance"] = provenance

    # The row is written before the symbols it names are looked up (the resolution it became,
    # what it cites): a symbol it has just taken is then its own, not a new text-less document's.
    if created:
        now = utcnow()
        doc_id = session.execute(insert(_DOC).returning(_DOC.c.id), [
            dict(key=key, **values, created_at=now, updated_at=now, version=1)]).scalar_one()
        changes: dict[str, Any] = {}
    else:
        doc_id = doc.id
        changes = {name: value for name, value in {"key": key, **values}.items() if getattr(doc, name) != value}
        if target is None:
            changes.pop("key", None)  # found by its key or its symbol: the key stays
        if changes:
            session.execute(update(_DOC).where(_DOC.c.id == doc_id).values(**changes))

    if "became" in kept:
        became_id = old_became
    else:
        became_id = _placeholders(session, [became_symbol])[became_symbol] if became_symbol else None
    if became_id != old_became:
        session.execute(update(_DOC).where(_DOC.c.id == doc_id).values(became_id=became_id))
        changes["became_id"] = became_id

    before = {r["cited_id"] for r in existing}
    rows, paragraphs = _rows_for(session, found, org.series_titles if org else [])
    cites_changed = _replace_citations(session, doc_id, rows, paragraphs, values["text"], created=created,
                                       existing=existing, stored=stored)
    changed = bool(changes) or created
    if changed or cites_changed:
        # The derived rows this reaches (chains, counts, unresolved symbols, the cited documents'
        # dates) are recomputed before the transaction commits.
        after = {r["cited_id"] for r in rows}
        # Its title, language, source or provenance, and its own citations, are no fact the chains
        # that cite it read: a save that changes only those leaves them alone (a much-cited
        # resolution is cited from most chains).
        facts_changed = created or not _FACT_FIELDS.isdisjoint(changes) or \
            (doc.text is None) != (values["text"] is None)
        # Under another organization or symbol, it no longer cites anything as the texts it was.
        moved = not created and not {"organization_id", "symbol"}.isdisjoint(changes)
        readmodel.touch(session, {doc_id, became_id, old_became} | before | after,
                        facts=[doc_id] if facts_changed else [], cites=[doc_id] if cites_changed else [],
                        uncited=before if moved else before - after)
    if not created and (changed or cites_changed):
        stamp: dict[str, Any] = {"updated_at": utcnow()}
        if expected_version is None:
            stamp["version"] = (doc.version or 1) + 1
        session.execute(update(_DOC).where(_DOC.c.id == doc_id).values(**stamp))
    if not created:
        _expire(session, doc_id)

    # What is recorded of it: the audit entry, the fields an admin set, the values not applied.
    result = IngestResult(session=session, document_id=doc_id, created=created,
                          changed=changed or cites_changed, citations=len(rows))
    if result.changed and actor or kept:
        new = SimpleNamespace(key=key if created or target is not None else doc.key, **values)
        label = labels.document_label(new)
        if result.changed and actor:
            before_snap = None if created else _snapshot_of_row(session, doc, existing, stored)
            after_snap = history.snapshot_of(
                new, organization=org.acronym if org else None,
                became=kept["became"][0] if "became" in kept else became_symbol,
                version=1 if created else (doc.version or 1) + 1, citations=rows, paragraphs=paragraphs)
            entry = dict(actor=actor, action=history.action_of(
                created=created, had_text=not created and doc.text is not None,
                has_text=values["text"] is not None, restored_from=restored_from),
                document_id=doc_id, label=label, before=before_snap, after=after_snap, restored_from=restored_from)
            if trail is not None:
                trail.add(history.entry_row(**entry))
            else:
                result.entry_id = history.record(session, **entry)
            if admin:
                fields = set(history.changed_fields(before_snap, after_snap))
                history.mark(session, doc_id, fields | ({"citations"} if "text" in fields else set()), actor, known)
        if kept:
            result.conflicts = [history.Conflict(label, doc_id, name, mine, theirs)
                                for name, (mine, theirs) in kept.items()]
            history.offer(session, result.conflicts, actor or "lineage", known)
    if commit:
        session.commit()
        result.document  # loaded while the caller's session is surely open
    return result


def delete_document(
    session: Session, doc: Document, *, expected_version: int | None = None, commit: bool = True,
    actor: str | None = None,
) -> bool:
    """Remove a document's text, facts and citations; returns True when its row is gone too.

    A document that something still refers to (a citer, a draft that became it, an organization
    whose observer-status resolution it is) stays as what its citers say of it, like any cited
    document without text. Cited documents that were known only from this one go as well.
    Nothing of it is an admin's any more; an `actor`'s delete adds its audit entry.
    """
    readmodel.writer_lock(session)
    doc_id, label = doc.id, labels.document_label(doc)
    before = snapshot(session, doc_id) if actor is not None else None
    if expected_version is not None:
        _claim(session, doc.id, expected_version)
    history.forget(session, doc_id)
    cited = set(session.exec(select(Citation.cited_id).where(Citation.citing_id == doc.id)).all())
    cited |= {doc.became_id}
    for c in stored_citations(session, doc):
        session.delete(c)
    session.exec(delete(Paragraph).where(Paragraph.document_id == doc.id))
    session.flush()
    # A document with facts from public sources keeps them, as one that is cited keeps its citers.
    removed = not is_referenced(session, doc) and not doc.public_facts
    if removed:
        session.delete(doc)
    else:
        info = parse(doc.symbol) if doc.symbol else None
        date, date_source = readmodel.derived_date(session, doc.id)
        _set(
            doc, text=None, title=None, title_en=None, language=None, source=None,
            organization_id=None, became_id=None, provenance={}, date=date, date_source=date_source,
            kind=info.kind if info else doc.kind, session=info.session if info else doc.session,
        )
        doc.updated_at = utcnow()
        if expected_version is None:
            doc.version = (doc.version or 1) + 1
    session.flush()
    for other_id in cited - {None, doc.id}:
        other = session.get(Document, other_id)
        if other is not None and other.text is None and other.organization_id is None \
                and not other.public_facts and not is_referenced(session, other):
            session.delete(other)
    session.flush()
    readmodel.touch(session, cited | {doc_id}, facts=[doc_id], uncited=cited)
    if actor is not None:
        history.record(session, actor=actor, action="delete", document_id=doc_id, label=label, before=before,
                       after=None)
    if commit:
        session.commit()
    return removed


# --- the seed data -------------------------------------------------------------------------


def _value(fact: Any) -> Any:
    return fact["value"] if isinstance(fact, dict) and "value" in fact else fact


def load_facts(seed_dir: Path) -> dict[str, Any]:
    return json.loads((seed_dir / "facts.json").read_text(encoding="utf-8"))


def upsert_organization(
    session: Session, *, acronym: str, name_zh: str, name_en: str, observer_symbol: str,
    series_titles: list[str], provenance: dict[str, Any] | None = None,
) -> bool:
    """Create or update an organization; returns whether anything changed."""
    readmodel.writer_lock(session)
    org = session.exec(select(Organization).where(Organization.acronym == acronym)).first()
    created = org is None
    if org is None:
        org = Organization(acronym=acronym, name_zh="", name_en="", observer_symbol="")
        session.add(org)
    norm = normalize(observer_symbol)
    if not norm.symbol:
        raise ValueError(f"invalid observer-status symbol {observer_symbol!r}: {norm.error}")
    changed = _set(
        org,
        name_zh=name_zh,
        name_en=name_en,
        observer_symbol=norm.symbol,
        series_titles=list(series_titles),
        provenance=provenance or {},
    )
    session.flush()
    # The observer-status resolution starts the chain even if no text cites it.
    observer = _placeholder(session, org.observer_symbol)
    # Even unchanged, its observer-status resolution may have just been made again (the document
    # that held the symbol took another): the chain is checked either way.
    readmodel.touch(session, [observer.id], organizations=[org.id])
    return created or changed


SEED = "lineage seed"


def seed(session: Session, seed_dir: Path) -> dict[str, Any]:
    """Load the organizations and the seed texts of `seed_dir`, audited as "lineage seed"; a
    field an admin set stays theirs (`conflicts`: the seed's values not applied). Running it
    twice changes nothing."""
    facts = load_facts(seed_dir)
    counts: dict[str, Any] = {"organizations": 0, "documents": 0, "changed": 0}
    conflicts: list[history.Conflict] = []
    for fact in facts["organizations"]:
        counts["changed"] += upsert_organization(
            session,
            **{k: _value(v) for k, v in fact.items()},
            provenance={k: v["source"] for k, v in fact.items() if isinstance(v, dict) and "source" in v},
        )
        counts["organizations"] += 1
    for fact in facts["documents"]:
        path = seed_dir / fact["file"]
        with path.open(encoding="utf-8", newline="") as fh:
            text = fh.read()
        date = _value(fact.get("date"))
        became = fact.get("became")
        provenance = {k: v for k, v in fact.items() if isinstance(v, dict) and "source" in v}
        data = DocumentIn(
            key=fact.get("key"),
            symbol=_value(fact.get("symbol")),
            kind=_value(fact["kind"]),
            text=text,
            organization=_value(fact.get("organization")),
            session=_value(fact.get("session")),
            date=dt.date.fromisoformat(date) if date else None,
            title=_value(fact.get("title")),
            language="zh",
            source=f"seed_data/{fact['file']}",
            became=_value(became) if became else None,
            provenance={
                **{k: v["source"] for k, v in provenance.items()},
                **({"annexed_draft": True} if _value(fact.get("annexed_draft")) else {}),
                **({"became_reasoning": became["reasoning"]} if became else {}),
                **({"note": _value(fact["note"])} if fact.get("note") else {}),
            },
        )
        result = ingest_document(session, data, commit=False, actor=SEED)
        counts["documents"] += 1
        counts["changed"] += result.changed
        conflicts.extend(result.conflicts)
    # What the public record says after the seed texts, each fact with its source URL.
    public = public_facts.load(session, seed_dir, actor=SEED)
    counts["public_documents"] = public["public_documents"]
    counts["changed"] += public["public_changed"]
    counts["conflicts"] = conflicts
    session.commit()
    return counts


def database_is_empty(session: Session) -> bool:
    return session.exec(select(Document.id).limit(1)).first() is None
