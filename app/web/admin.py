"""The admin pages: the document form (add, edit, delete) and the audit log.

Thin handlers: parse the form (`form.FormIn`), check and preview it (`form.prepare`), save
through `audit.save` (which writes through `app.documents.store`), render. Every page works
without JavaScript; htmx only refreshes the citation preview while the text is typed. Every
non-GET request here needs the CSRF token (app/web/security.py); no GET changes anything.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from app.chains.queries import organizations
from app.db import SessionDep
from app.documents import audit, form as forms
from app.documents.queries import citer_count, documents_with_text
from app.models import AuditEntry, Document
from app.symbols import KINDS, normalize, parse
from app.web import urls
from app.web.csrf import require_csrf
from app.web.errors import NotFound, document_or_404
from app.web.forms import form_reader
from app.web.login import AdminDep
from app.web.render import render_admin

# Every request here that can change something needs the session's CSRF token.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])


# Ids beyond what a column holds are a 422, not a database error.
QueryId = Annotated[int | None, Query(ge=1, le=forms.MAX_INT)]
PathId = Annotated[int, Path(ge=1, le=forms.MAX_INT)]

FormDep = Annotated[FormData, Depends(form_reader(max_fields=5 * forms.MAX_ROWS + 100))]


# --- documents ----------------------------------------------------------------------------


@router.get("/admin")
def admin_home(request: Request, session: SessionDep, user: AdminDep):
    return render_admin(request, "admin/index.html", {"documents": documents_with_text(session)}, user=user)


def _form_page(request, session, user, prep: forms.Prepared, *, doc: Document | None = None,
               status_code: int = 200, outcome: audit.Outcome | None = None, fragment: str | None = None):
    ctx = {
        "doc": doc, "prep": prep, "form": prep.form, "outcome": outcome,
        "organizations": organizations(session), "kinds": KINDS,
        "verbs": forms.verb_suggestions(),
        "action_url": urls.admin_edit(doc) if doc is not None else urls.admin_new(),
        "preview_url": urls.admin_edit_preview(doc) if doc is not None else urls.admin_new_preview(),
        "version": outcome.document.version if outcome and outcome.document else prep.form.version,
    }
    return render_admin(request, "admin/document_form.html", ctx, user=user, status_code=status_code,
                   fragment=fragment)


def _submit(request, session, user, form: FormData, doc: Document | None):
    """Preview or save a submitted form; re-show it, with the reasons, when it cannot be saved."""
    prep = forms.prepare(session, forms.FormIn.from_form(form), doc=doc)
    if form.get("action") != "save":
        return _form_page(request, session, user, prep, doc=doc, status_code=prep.status)
    forms.check_save(prep)
    if not prep.ok or prep.errors:
        return _form_page(request, session, user, prep, doc=doc, status_code=prep.status)
    outcome = audit.save(session, prep, user.username, doc=doc)
    if outcome.unchanged:
        return _form_page(request, session, user, forms.prepare(
            session, forms.FormIn.from_document(session, outcome.document), doc=outcome.document),
            doc=outcome.document, outcome=outcome)
    if not outcome.ok:
        return _form_page(request, session, user, prep, doc=doc, status_code=outcome.status, outcome=outcome)
    return RedirectResponse(urls.document(outcome.document), status_code=303)


@router.get("/admin/documents/new")
def new_document(request: Request, session: SessionDep, user: AdminDep, symbol: str = ""):
    norm = normalize(symbol) if symbol else None
    form = forms.FormIn(symbol=symbol.strip()[:200], kind=parse(norm.symbol).kind if norm and norm.symbol else "")
    prep = forms.Prepared(form=form, text="")
    return _form_page(request, session, user, prep)


@router.post("/admin/documents/new")
def create_document(request: Request, session: SessionDep, user: AdminDep, form: FormDep):
    return _submit(request, session, user, form, None)


@router.post("/admin/documents/new/preview")
def preview_new(request: Request, session: SessionDep, user: AdminDep, form: FormDep):
    prep = forms.prepare(session, forms.FormIn.from_form(form))
    return _form_page(request, session, user, prep, fragment="admin/_preview.html")


@router.get("/admin/documents/{ref:path}/edit")
def edit_document(request: Request, session: SessionDep, user: AdminDep, ref: str):
    doc = document_or_404(session, ref)
    if doc.text is None:
        # Known only from its citers: adding its text is the add form's job.
        return RedirectResponse(urls.admin_new(symbol=doc.symbol), status_code=303)
    prep = forms.prepare(session, forms.FormIn.from_document(session, doc), doc=doc)
    return _form_page(request, session, user, prep, doc=doc)


@router.post("/admin/documents/{ref:path}/edit")
def update_document(request: Request, session: SessionDep, user: AdminDep, ref: str, form: FormDep):
    return _submit(request, session, user, form, document_or_404(session, ref))


@router.post("/admin/documents/{ref:path}/preview")
def preview_edit(request: Request, session: SessionDep, user: AdminDep, ref: str, form: FormDep):
    doc = document_or_404(session, ref)
    prep = forms.prepare(session, forms.FormIn.from_form(form), doc=doc)
    return _form_page(request, session, user, prep, doc=doc, fragment="admin/_preview.html")


@router.get("/admin/documents/{ref:path}/delete")
def confirm_delete(request: Request, session: SessionDep, user: AdminDep, ref: str):
    doc = document_or_404(session, ref)
    return render_admin(request, "admin/delete.html",
                   {"doc": doc, "citers": citer_count(session, doc), "outcome": None}, user=user)


@router.post("/admin/documents/{ref:path}/delete")
def delete_document(request: Request, session: SessionDep, user: AdminDep, ref: str, form: FormDep):
    doc = document_or_404(session, ref)
    if doc.text is None:
        raise NotFound(f"{ref!r} has no text to delete.")
    version = form.get("version", "")
    outcome = audit.delete(session, doc, user.username, forms.whole_number(version) or 0)
    if not outcome.ok:
        current = outcome.document or doc
        return render_admin(request, "admin/delete.html",
                       {"doc": current, "citers": citer_count(session, current), "outcome": outcome},
                       user=user, status_code=outcome.status)
    return RedirectResponse(urls.admin_audit(), status_code=303)


# --- the audit log ------------------------------------------------------------------------


@router.get("/admin/audit")
def audit_log(request: Request, session: SessionDep, user: AdminDep, before: QueryId = None):
    entries = audit.audit_entries(session, before_id=before)
    return render_admin(request, "admin/audit.html",
                   {"entries": entries, "changed": audit.changed_fields, "when": audit.audit_time},
                   user=user)


def _audit_entry_page(request, user, entry: AuditEntry, outcome: audit.Outcome | None):
    return render_admin(
        request, "admin/audit_entry.html",
        {"entry": entry, "changed": audit.changed_fields(entry.before, entry.after),
         "when": audit.audit_time, "outcome": outcome,
         "pretty": lambda snap: json.dumps(snap, ensure_ascii=False, indent=2)},
        user=user, status_code=outcome.status if outcome else 200,
    )


@router.get("/admin/audit/{entry_id}")
def audit_entry(request: Request, session: SessionDep, user: AdminDep, entry_id: PathId):
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"No audit entry {entry_id}.")
    return _audit_entry_page(request, user, entry, None)


@router.post("/admin/audit/{entry_id}/restore")
def restore_entry(request: Request, session: SessionDep, user: AdminDep, entry_id: PathId):
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"No audit entry {entry_id}.")
    outcome = audit.restore(session, entry, user.username)
    if not outcome.ok:
        return _audit_entry_page(request, user, entry, outcome)
    return RedirectResponse(urls.document(outcome.document), status_code=303)
