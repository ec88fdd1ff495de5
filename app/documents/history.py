"""What the writer (`app.documents.store`) records of each change, in the change's transaction.

- The audit log: every write by a named actor that changes a document adds one `AuditEntry`,
  with the document in full before and after it (`snapshot_of`). The actor is an admin's user
  name, or the command that wrote: "lineage ingest", "lineage import", "lineage seed",
  "lineage sync". The admin pages and the commands write their entries here, through the
  writer, and nowhere else.
- The fields an admin set (`AdminField`): an admin's save marks each field of `PROTECTED` that
  it changed (an add: each it gave). A command's write leaves those fields as the admin set
  them and updates the others; where the command brought another value, that value is kept
  beside the field, not applied (a `Conflict`), until an admin accepts it or keeps theirs.
- The text and its citations: a text an admin set is theirs, and so are its citations: the
  citations a command extracted from another text are not applied while that text is not.
  Citations an admin corrected in a text they did not change are theirs too. A kept text keeps
  its language and source (they describe it), and each kept field keeps its own provenance entry
  (a kept text, its file's); the command's provenance applies to the rest.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from app.citations import models as citation_record
from app.models import CITATION_COLUMNS, AdminField, AuditEntry, Document, utcnow
from app.printing import shown

SNAPSHOT_FIELDS = ("key", "symbol", "kind", "session", "date", "date_source", "title", "title_en",
                   "language", "text", "source", "organization", "became", "provenance")

# The fields an admin sets and a command then leaves alone: those of the admin form, and the
# English title a restore can set. `key` and `date_source` follow the symbol and the date;
# `language` and `source` the text; `provenance` is kept field by field.
PROTECTED = ("symbol", "kind", "session", "date", "title", "title_en", "organization", "became", "text",
             "citations")
FOLLOW_TEXT = ("language", "source")

_ADMIN_FIELD = AdminField.__table__
_ENTRY = AuditEntry.__table__
_INSERT_ENTRY = insert(_ENTRY).returning(_ENTRY.c.id)  # one statement, compiled once


# --- snapshots --------------------------------------------------------------------------------


def citation_items(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Citation rows (their columns by name, `CITATION_COLUMNS`) as the snapshots list them:
    the extractor's record without its paragraph, which the snapshot holds once by index."""
    out = []
    for r in rows:
        item = citation_record.Citation(
            paragraph="", **{name: r[column] for name, column in CITATION_COLUMNS.items()}).to_json()
        del item["paragraph"]
        out.append(item)
    return out


def snapshot_of(doc: Any, *, organization: str | None, became: str | None, version: int,
                citations: list[Mapping[str, Any]], paragraphs: Mapping[int, str]) -> dict[str, Any]:
    """The document in full, as JSON: its fields (`doc`: a row or anything with them as
    attributes), its organization's acronym and the resolution it became by symbol (or key), its
    citations (rows, in order), and the paragraphs they are in, each once by index."""
    return {
        "key": doc.key, "symbol": doc.symbol, "kind": doc.kind, "session": doc.session,
        "date": doc.date.isoformat() if doc.date else None, "date_source": doc.date_source,
        "title": doc.title, "title_en": doc.title_en, "language": doc.language, "text": doc.text,
        "source": doc.source, "organization": organization, "became": became,
        "provenance": doc.provenance or {}, "version": version,
        **citations_of(citations, paragraphs),
    }


def citations_of(rows: list[Mapping[str, Any]], paragraphs: Mapping[int, str]) -> dict[str, Any]:
    """Citation rows and their paragraphs as a snapshot holds them (`citations`, `paragraphs`):
    also the value of the `citations` field in a conflict."""
    return {"citations": citation_items(rows),
            "paragraphs": {str(c["paragraph_index"]): paragraphs.get(c["paragraph_index"]) or "" for c in rows}}


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """The fields (and `citations`) that differ between two snapshots."""
    before, after = before or {}, after or {}
    names = [f for f in SNAPSHOT_FIELDS if f != "key" and before.get(f) != after.get(f)]
    if before.get("citations") != after.get("citations"):
        names.append("citations")
    return names


def citations_value(snap: Mapping[str, Any]) -> dict[str, Any]:
    """The `citations` field of a snapshot as a value of its own (with the paragraphs it needs)."""
    return {"citations": snap.get("citations") or [], "paragraphs": snap.get("paragraphs") or {}}


def field_value(snap: Mapping[str, Any], name: str) -> Any:
    """One field of a snapshot, as a conflict holds it."""
    if name == "citations":
        return citations_value(snap)
    if name == "date":
        return snap.get("date") if snap.get("date_source") == "text" else None
    return snap.get(name)


def with_value(snap: Mapping[str, Any], name: str, value: Any) -> dict[str, Any]:
    """A snapshot with one field set to `value` (as `field_value` gives it)."""
    out = dict(snap)
    if name == "citations":
        out["citations"], out["paragraphs"] = value.get("citations") or [], value.get("paragraphs") or {}
    elif name == "date":
        out["date"], out["date_source"] = value, "text" if value else None
    else:
        out[name] = value
    return out


# --- the audit log ----------------------------------------------------------------------------


def action_of(*, created: bool, had_text: bool, has_text: bool, restored_from: int | None) -> str:
    """The audit action of a write: as the admin pages name theirs."""
    if restored_from is not None:
        return "restore"
    return "add" if created or (not had_text and has_text) else "edit"


def entry_row(*, actor: str, action: str, document_id: int | None, label: str, before: dict[str, Any] | None,
              after: dict[str, Any] | None, restored_from: int | None = None) -> dict[str, Any]:
    """One audit entry, as the row it is written as."""
    return dict(at=utcnow(), username=actor[:80], action=action, document_id=document_id,
                document_label=label[:200], restored_from=restored_from, before=before, after=after)


def record(session: Session, **entry: Any) -> int:
    """Add one audit entry (`entry_row`'s fields) now; returns its id."""
    return session.execute(_INSERT_ENTRY, entry_row(**entry)).scalar_one()


class Trail:
    """The audit entries of a bulk command, written a batch at a time in one statement, in the
    batch's transaction (`lineage import`: an entry per changed line, thousands a minute).

    The command `write`s them before each commit, and `drop`s those of a line whose savepoint
    rolled back (what `mark` said before it). At most `MAX_ENTRIES` entries, or about `MAX_CHARS`
    characters of texts, are held: past that, `full` says to write them (between lines)."""

    MAX_ENTRIES = 500
    MAX_CHARS = 8_000_000

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._chars: list[int] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self._chars.append(sum(len((snap or {}).get("text") or "") for snap in (row["before"], row["after"])))

    def mark(self) -> int:
        return len(self.rows)

    def drop(self, mark: int) -> None:
        del self.rows[mark:], self._chars[mark:]

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.MAX_ENTRIES or sum(self._chars) >= self.MAX_CHARS

    def write(self, session: Session) -> None:
        if self.rows:
            session.execute(insert(_ENTRY), self.rows)
        self.rows, self._chars = [], []


# --- the fields an admin set, and the values commands brought for them ------------------------


@dataclass(frozen=True)
class Conflict:
    """A value a command brought for a field an admin set, not applied."""

    document: str  # the document's label
    document_id: int
    field: str
    kept: Any  # the admin's value, which stays
    offered: Any  # the command's, not applied

    def line(self) -> str:
        """One line for a command's summary: document, field, the value kept, the value not applied."""
        return (f"{printable(self.document)} {self.field}: kept {describe(self.field, self.kept)},"
                f" not applied {describe(self.field, self.offered)}")


def admin_fields(session: Session, document_id: int) -> dict[str, Any]:
    """The fields of a document an admin set, by name, with any value offered for each."""
    rows = session.execute(select(_ADMIN_FIELD).where(_ADMIN_FIELD.c.document_id == document_id)).all()
    return {r.field: r for r in rows}


def mark(session: Session, document_id: int, fields: Iterable[str], actor: str, known: Mapping[str, Any]) -> None:
    """An admin set these fields (their save changed them): they are theirs, and any value a
    command offered for them is answered (`known`: `admin_fields` as read before)."""
    now = utcnow()
    names = sorted(set(fields) & set(PROTECTED))
    fresh = [dict(document_id=document_id, field=f, set_by=actor[:80], set_at=now) for f in names if f not in known]
    if fresh:
        session.execute(insert(_ADMIN_FIELD), fresh)
    again = [f for f in names if f in known]
    if again:
        session.execute(update(_ADMIN_FIELD).where(_ADMIN_FIELD.c.document_id == document_id,
                                                   _ADMIN_FIELD.c.field.in_(again))
                        .values(set_by=actor[:80], set_at=now, offered_by=None, offered_at=None,
                                offered=None, kept=None))


def offer(session: Session, conflicts: Iterable[Conflict], actor: str, known: Mapping[str, Any]) -> None:
    """Keep the values a command brought and did not apply, beside the fields, unless the same
    value is already waiting there (a command run again changes nothing)."""
    for c in conflicts:
        row = known.get(c.field)
        offered = dict(offered_by=actor[:80], offered_at=utcnow(), offered=c.offered, kept=c.kept)
        if row is None:  # the citations of a text an admin set, marked with it
            text = known.get("text")
            session.execute(insert(_ADMIN_FIELD), [dict(
                document_id=c.document_id, field=c.field, set_by=text.set_by if text else actor[:80],
                set_at=text.set_at if text else utcnow(), **offered)])
        elif row.offered_by is None or row.offered != c.offered or row.kept != c.kept:
            session.execute(update(_ADMIN_FIELD).where(_ADMIN_FIELD.c.document_id == c.document_id,
                                                       _ADMIN_FIELD.c.field == c.field).values(**offered))


def unmark(session: Session, document_id: int, fields: Iterable[str]) -> None:
    """These fields are no longer an admin's (they accepted a command's value for them)."""
    session.execute(delete(_ADMIN_FIELD).where(_ADMIN_FIELD.c.document_id == document_id,
                                               _ADMIN_FIELD.c.field.in_(list(fields))))


def answer(session: Session, document_id: int, field: str) -> bool:
    """An admin keeps their value: the command's is dropped. Whether there was one."""
    return session.execute(
        update(_ADMIN_FIELD).where(_ADMIN_FIELD.c.document_id == document_id, _ADMIN_FIELD.c.field == field,
                                   _ADMIN_FIELD.c.offered_by.is_not(None))
        .values(offered_by=None, offered_at=None, offered=None, kept=None)).rowcount == 1


def forget(session: Session, document_id: int) -> None:
    """The document's text and fields are gone: nothing of it is an admin's any more."""
    session.execute(delete(_ADMIN_FIELD).where(_ADMIN_FIELD.c.document_id == document_id))


@dataclass
class OpenConflict:
    document_id: int
    document: str  # its label
    symbol: str | None  # with its key, for its addresses
    key: str
    version: int
    field: str
    set_by: str
    offered_by: str
    offered_at: dt.datetime
    kept: Any
    offered: Any


def open_conflicts(session: Session, *, page: int, per_page: int) -> tuple[list[OpenConflict], int]:
    """A page of the values commands brought for fields admins set, newest first, and how many
    wait in all."""
    from app.documents.labels import document_label

    where = _ADMIN_FIELD.c.offered_by.is_not(None)
    total = session.execute(select(func.count()).select_from(_ADMIN_FIELD).where(where)).scalar_one()
    d = Document.__table__
    rows = session.execute(
        select(_ADMIN_FIELD, d.c.symbol, d.c.key, d.c.kind, d.c.date, d.c.session, d.c.provenance, d.c.version)
        .join(d, d.c.id == _ADMIN_FIELD.c.document_id).where(where)
        .order_by(_ADMIN_FIELD.c.offered_at.desc(), _ADMIN_FIELD.c.document_id, _ADMIN_FIELD.c.field)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return [OpenConflict(
        document_id=r.document_id, document=document_label(r), symbol=r.symbol, key=r.key, version=r.version,
        field=r.field, set_by=r.set_by, offered_by=r.offered_by, offered_at=r.offered_at, kept=r.kept,
        offered=r.offered) for r in rows], total


# --- values as a person reads them --------------------------------------------------------------

_SHORT = 80


printable = shown  # app/printing.py: the one rule for text a command prints


def describe(field: str, value: Any) -> str:
    """A value in a few words: a string in quotes (shortened, with its length), a text's first
    words, a list of citations by count and first symbols, `none` for no value."""
    if value is None:
        return "none"
    if field == "citations":
        items = value.get("citations") or []
        symbols = [c.get("symbol") or "?" for c in items[:5]]
        return printable(f"{len(items)} citations" + (": " + ", ".join(symbols) + (", …" if len(items) > 5 else "")
                                                     if items else ""))
    if isinstance(value, str):
        flat = " ".join(value.split())
        short = flat if len(flat) <= _SHORT else flat[:_SHORT] + "…"
        extra = f" ({len(value)} characters)" if len(flat) > _SHORT else ""
        return printable(json.dumps(short, ensure_ascii=False)) + extra
    return printable(json.dumps(value, ensure_ascii=False))
