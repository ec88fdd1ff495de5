"""The audit log, and the admin's changes that it records: save, delete and restore.

Each change goes through `app.documents.store` in one transaction with an `AuditEntry` that holds
the document in full before and after (`snapshot`), so that any change, a delete included, can be
undone by `restore`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.citations import Citation as Found
from app.config import get_settings
from app.documents import history, labels, store
from app.documents.form import Prepared
from app.documents.history import SNAPSHOT_FIELDS, changed_fields  # noqa: F401  (the audit pages' names)
from app.documents.queries import by_ref
from app.documents.store import DocumentIn, StaleDocument, delete_document, ingest_document
from app.i18n import Msg
from app.models import AuditEntry, Document


def snapshot(session: Session, doc: Document) -> dict[str, Any]:
    """The document in full, as JSON (`history.snapshot_of`): its fields, its organization and
    the resolution it became by symbol, its citations, and the paragraphs they are in (each once,
    by index)."""
    return store.snapshot(session, doc.id)


def from_snapshot(snap: Mapping[str, Any]) -> tuple[DocumentIn, list[Found]]:
    data = DocumentIn(
        key=snap.get("key"), symbol=snap.get("symbol"), kind=snap.get("kind") or "other",
        text=snap.get("text"), organization=snap.get("organization"), session=snap.get("session"),
        date=dt.date.fromisoformat(snap["date"]) if snap.get("date") and snap.get("date_source") == "text" else None,
        title=snap.get("title"), title_en=snap.get("title_en"), language=snap.get("language"),
        source=snap.get("source"), became=snap.get("became"), provenance=snap.get("provenance") or {},
    )
    # Older snapshots carry each citation's paragraph with it; newer ones each paragraph once.
    paragraphs = snap.get("paragraphs") or {}
    cits = [
        Found.from_json({**c, "paragraph": c.get("paragraph", paragraphs.get(str(c.get("paragraph_index")), ""))})
        for c in snap.get("citations") or []
    ]
    return data, cits


# --- saving, deleting, restoring ------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    status: int = 200
    document: Document | None = None
    entry: AuditEntry | None = None
    message: Msg | None = None
    changes: list[Msg] = field(default_factory=list)  # what another admin changed meanwhile
    unchanged: bool = False


def what_changed(session: Session, document_id: int, since_version: int) -> list[Msg]:
    """Who changed a document, when and what, after the version a form was opened at."""
    out = []
    for e in audit_entries_for(session, document_id):
        version = max((e.before or {}).get("version") or 0, (e.after or {}).get("version") or 0)
        if version <= since_version and not (e.action == "delete" and version >= since_version):
            continue
        out.append(Msg("stale_change", {
            "who": e.username, "when": e.at.strftime("%Y-%m-%d %H:%M"), "action": e.action,
            "what": ", ".join(changed_fields(e.before, e.after)) or "—",
        }))
    return out


def _stale(session: Session, doc_id: int | None, version: int | None, label: str) -> Outcome:
    session.rollback()
    current = session.get(Document, doc_id) if doc_id else None
    if current is None or current.text is None:
        return Outcome(False, 409, message=Msg("stale_deleted", {"label": label}),
                       changes=what_changed(session, doc_id, version or 0) if doc_id else [])
    return Outcome(False, 409, document=current, message=Msg("stale", {"label": label}),
                   changes=what_changed(session, doc_id, version or 0))


def _refused(session: Session, exc: Exception) -> Outcome:
    """The store refused the change (a bad value, a constraint): nothing is written, and why."""
    session.rollback()
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
    return Outcome(False, 409, message=Msg("err_save", {"reason": reason}))


def save(session: Session, prep: Prepared, username: str, *, doc: Document | None = None) -> Outcome:
    """Store a checked form (`prep.ok`): the document, its corrected citations, and (by the
    writer, in the same transaction) its audit entry and the fields it makes the admin's."""
    assert prep.data is not None
    target = doc if doc is not None else prep.fills
    doc_id = target.id if target is not None else None
    label = labels.document_label(target) if target is not None else (prep.data.symbol or "")
    try:
        result = ingest_document(
            session, prep.data, citations=prep.citations, commit=False,
            document_id=doc.id if doc is not None else None, expected_version=prep.version,
            actor=username, admin=True,
        )
    except StaleDocument:
        if doc is None:  # someone else added this symbol's text meanwhile
            session.rollback()
            return Outcome(False, 409, message=Msg("err_symbol_taken", {"symbol": prep.data.symbol}))
        return _stale(session, doc_id, prep.version, label)
    except (ValueError, IntegrityError) as exc:
        return _refused(session, exc)
    document = result.document
    if doc is not None and not result.changed:
        session.rollback()
        return Outcome(True, document=session.get(Document, doc_id), unchanged=True)
    entry = session.get(AuditEntry, result.entry_id)
    pause = get_settings().fault_pause_before_commit
    if pause:
        time.sleep(pause)  # the crash tests kill the server here (tests/test_resilience.py)
    session.commit()
    return Outcome(True, 303, document=document, entry=entry)


def delete(session: Session, doc: Document, username: str, version: int) -> Outcome:
    doc_id, label = doc.id, labels.document_label(doc)
    try:
        delete_document(session, doc, expected_version=version, commit=False, actor=username)
    except StaleDocument:
        return _stale(session, doc_id, version, label)
    session.commit()
    return Outcome(True, 303)


def current_of(session: Session, snap: Mapping[str, Any]) -> Document | None:
    """The document a snapshot is of, as it is now (None when gone)."""
    doc = by_ref(session, snap["symbol"]) if snap.get("symbol") else None
    if doc is None and snap.get("key"):
        doc = by_ref(session, snap["key"])
    return doc


def restore(session: Session, entry: AuditEntry, username: str) -> Outcome:
    """Bring back the document as it was before `entry`; the state it replaces is audited too."""
    snap = entry.before
    if not snap or snap.get("text") is None:
        return Outcome(False, 422, message=Msg("err_nothing_to_restore"))
    current = current_of(session, snap)
    has_text = current is not None and current.text is not None
    data, cits = from_snapshot(snap)
    try:
        result = ingest_document(
            session, data, citations=cits, commit=False,
            document_id=current.id if has_text else None,
            expected_version=current.version if current is not None else None,
            actor=username, admin=True, restored_from=entry.id,
        )
    except StaleDocument:
        session.rollback()
        return Outcome(False, 409, message=Msg("err_restore_busy"))
    except (ValueError, IntegrityError) as exc:
        return _refused(session, exc)
    if not result.changed:
        session.rollback()
        return Outcome(True, document=current, unchanged=True)
    new = session.get(AuditEntry, result.entry_id)
    session.commit()
    return Outcome(True, 303, document=result.document, entry=new)


# --- the values commands brought for fields an admin set ---------------------------------------


def accept(session: Session, document_id: int, field: str, username: str, version: int) -> Outcome:
    """An admin takes the value a command brought for a field they set: it is written as their
    edit (audited), and the field is no longer theirs, so a later command may update it. A text
    comes with the citations offered with it."""
    doc = session.get(Document, document_id)
    known = history.admin_fields(session, document_id)
    if doc is None or field not in known or known[field].offered_by is None:
        return Outcome(False, 409, message=Msg("err_conflict_gone"))
    if doc.version != version:
        return Outcome(False, 409, message=Msg("err_conflict_stale", {"label": labels.document_label(doc)}))
    fields = [field]
    if field == "text" and "citations" in known and known["citations"].offered_by is not None:
        fields.append("citations")
    snap = snapshot(session, doc)
    for name in fields:
        snap = history.with_value(snap, name, known[name].offered)
    data, cits = from_snapshot(snap)
    try:
        result = ingest_document(session, data, citations=cits, commit=False, document_id=doc.id,
                                 expected_version=version, actor=username, admin=True)
    except StaleDocument:
        session.rollback()
        return Outcome(False, 409, message=Msg("err_conflict_stale", {"label": labels.document_label(doc)}))
    except (ValueError, IntegrityError) as exc:
        return _refused(session, exc)
    history.unmark(session, result.document_id, fields)
    session.commit()
    return Outcome(True, 303, document=result.document)


def keep(session: Session, document_id: int, field: str) -> Outcome:
    """An admin keeps their value: the command's is dropped (the document does not change)."""
    if not history.answer(session, document_id, field):
        session.rollback()
        return Outcome(False, 409, message=Msg("err_conflict_gone"))
    session.commit()
    return Outcome(True, 303)


def audit_time(entry: AuditEntry) -> str:
    return entry.at.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


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
