"""The admin pages: the document form (add, edit, delete) and the audit log.

Thin handlers: parse the form (`form.FormIn`), check and preview it (`form.prepare`), save
through `audit.save` (which writes through `app.documents.store`), render. Every page works
without JavaScript; htmx only refreshes the citation preview while the text is typed. Every
non-GET request here needs the CSRF token (app/web/security.py); no GET changes anything.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from app.chains.queries import organizations
from app.db import SessionDep
from app.documents import audit, form as forms, history
from app.documents import upload as uploads
from app.documents.intake import organization_for
from app.documents.queries import AdminFilter, citer_count, texts_page
from app.models import AuditEntry, Document
from app.i18n import Msg, N_
from app.symbols import KINDS, normalize, parse
from app.web import urls
from app.web.csrf import require_csrf
from app.web.errors import NotFound, document_or_404
from app.web.forms import form_reader
from app.web.limits import body_refused
from app.web.login import AdminDep
from app.web.render import render_admin

# Every request here that can change something needs the session's CSRF token.
router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])


# Ids beyond what a column holds are a 422, not a database error.
QueryId = Annotated[int | None, Query(ge=1, le=forms.MAX_INT)]
PathId = Annotated[int, Path(ge=1, le=forms.MAX_INT)]

FormDep = Annotated[FormData, Depends(form_reader(max_fields=5 * forms.MAX_ROWS + 100))]


async def _read_upload(form: FormDep) -> uploads.Upload | None:
    # awaited on the event loop (the reader is a process of its own): no thread waits on it
    return await uploads.read_upload(form.get("file"))


UploadDep = Annotated[uploads.Upload | None, Depends(_read_upload)]


# --- documents ----------------------------------------------------------------------------


# The whole record has ~15,000 texts a scale unit: the list comes a hundred at a time.
TEXTS_PER_PAGE = 100


@router.get("/admin")
def admin_home(
    request: Request, session: SessionDep, user: AdminDep,
    symbol: str = Query("", max_length=120), organization: str = Query("", max_length=16),
    session_no: str = Query("", alias="session", max_length=6), page: int = Query(1, ge=1, le=100_000),
):
    symbol, organization, session_no = symbol.strip(), organization.strip(), session_no.strip()
    orgs = organizations(session)
    errors = {}
    where = AdminFilter(symbol=symbol)
    if organization:
        org = next((o for o in orgs if o.acronym.upper() == organization.upper()), None)
        if org is None:
            errors["organization"] = Msg("err_organization", {"value": organization})
        else:
            where.organization_id, organization = org.id, org.acronym
    if session_no:
        if session_no.isdigit() and 1 <= int(session_no) <= 999:
            where.session = int(session_no)
        else:
            errors["session"] = Msg("err_session_number", {"value": session_no})
    rows, total = ([], 0) if errors else texts_page(session, where, page, TEXTS_PER_PAGE)
    pages = max(1, -(-total // TEXTS_PER_PAGE))
    if page > pages:
        raise NotFound(f"{total} texts match: there is no page {page} of them.")
    ctx = {"documents": rows, "total": total, "page": page, "pages": pages, "per_page": TEXTS_PER_PAGE,
           "organizations": orgs, "errors": errors,
           "filters": {"symbol": symbol, "organization": organization,
                       "session": where.session if where.session is not None else session_no}}
    return render_admin(request, "admin/index.html", ctx, user=user, fragment="admin/_documents.html",
                        status_code=400 if errors else 200)


def _form_page(request, session, user, prep: forms.Prepared, *, doc: Document | None = None,
               status_code: int = 200, outcome: audit.Outcome | None = None, fragment: str | None = None,
               filled: uploads.Filled | None = None):
    limit = body_refused(request)
    if limit is not None:  # a form whose body was over the limit, shown again
        prep.errors["file"] = Msg("err_request_too_big", {"limit": limit // 1_000_000,
                                                          "file": uploads.MAX_UPLOAD_BYTES // 1_000_000})
    ctx = {
        "evidence": filled.evidence if filled else {},
        "new_org": filled.new_organization if filled else None,
        "doc": doc, "prep": prep, "form": prep.form, "outcome": outcome,
        "organizations": organizations(session), "kinds": KINDS,
        "verbs": forms.verb_suggestions(),
        "action_url": urls.admin_edit(doc) if doc is not None else urls.admin_new(),
        "preview_url": urls.admin_edit_preview(doc) if doc is not None else urls.admin_new_preview(),
        "version": outcome.document.version if outcome and outcome.document else prep.form.version,
    }
    return render_admin(request, "admin/document_form.html", ctx, user=user, status_code=status_code,
                   fragment=fragment)


def _prepare(session, form: FormData, doc: Document | None, upload: uploads.Upload | None, *, saving: bool):
    """Check the form, filled with what its file's (or its pasted text's) page states. An
    organization the page names and Lineage does not know is created in the save's own
    transaction, and only then."""
    form_in = forms.FormIn.from_form(form)
    if upload is not None and upload.text is not None:
        form_in.text = upload.text
        form_in.previewed = ""
        filled = uploads.fill(session, form_in, upload.text, replace=True, filename=upload.filename)
    else:
        # a text not previewed yet (just pasted) fills the empty fields
        new_text = form_in.previewed != forms.digest(forms.normalize_text(form_in.text))
        filled = uploads.fill(session, form_in, form_in.text, replace=False, apply=new_text)
    check = form_in
    if filled.new_organization is not None:
        if saving:
            organization_for(session, filled.new_organization, filled.new_organization["filename"])
        else:
            check = dataclasses.replace(form_in, organization="")
    prep = forms.prepare(session, check, doc=doc)
    prep.form = form_in
    if upload is not None and upload.error is not None:
        prep.errors["file"] = Msg("err_file", {"name": upload.filename, "reason": upload.error})
        prep.status = 422
    if prep.data is not None and doc is None and filled.evidence:
        prep.data.provenance = {**prep.data.provenance,
                                **{k: {"quote": q, "stated_on_page": True} for k, q in filled.evidence.items()}}
    return prep, filled


def _submit(request, session, user, form: FormData, doc: Document | None, upload: uploads.Upload | None = None):
    """Preview or save a submitted form; re-show it, with the reasons, when it cannot be saved.
    A file read (picked, or dropped with htmx) fills the form and shows it for checking."""
    saving = form.get("action") == "save" and upload is None
    prep, filled = _prepare(session, form, doc, upload, saving=saving)
    if not saving:
        return _form_page(request, session, user, prep, doc=doc, status_code=prep.status, filled=filled)
    forms.check_save(prep)
    if not prep.ok or prep.errors:
        return _form_page(request, session, user, prep, doc=doc, status_code=prep.status, filled=filled)
    outcome = audit.save(session, prep, user.username, doc=doc)
    if outcome.unchanged:
        return _form_page(request, session, user, forms.prepare(
            session, forms.FormIn.from_document(session, outcome.document), doc=outcome.document),
            doc=outcome.document, outcome=outcome)
    if not outcome.ok:
        return _form_page(request, session, user, prep, doc=doc, status_code=outcome.status, outcome=outcome,
                          filled=filled)
    return RedirectResponse(urls.document(outcome.document), status_code=303)


@router.get("/admin/documents/new")
def new_document(request: Request, session: SessionDep, user: AdminDep, symbol: str = ""):
    norm = normalize(symbol) if symbol else None
    form = forms.FormIn(symbol=symbol.strip()[:200], kind=parse(norm.symbol).kind if norm and norm.symbol else "")
    prep = forms.Prepared(form=form, text="")
    return _form_page(request, session, user, prep)


@router.post("/admin/documents/new")
def create_document(request: Request, session: SessionDep, user: AdminDep, form: FormDep, upload: UploadDep):
    return _submit(request, session, user, form, None, upload)


@router.post("/admin/documents/new/preview")
def preview_new(request: Request, session: SessionDep, user: AdminDep, form: FormDep):
    prep, filled = _prepare(session, form, None, None, saving=False)
    # a pasted text that filled empty fields sends them too, out of band
    return _form_page(request, session, user, prep, filled=filled,
                      fragment="admin/_preview_fill.html" if filled.filled else "admin/_preview.html")


@router.get("/admin/documents/{ref:path}/edit")
def edit_document(request: Request, session: SessionDep, user: AdminDep, ref: str):
    doc = document_or_404(session, ref)
    if doc.text is None:
        # Known only from its citers: adding its text is the add form's job.
        return RedirectResponse(urls.admin_new(symbol=doc.symbol), status_code=303)
    prep = forms.prepare(session, forms.FormIn.from_document(session, doc), doc=doc)
    return _form_page(request, session, user, prep, doc=doc)


@router.post("/admin/documents/{ref:path}/edit")
def update_document(request: Request, session: SessionDep, user: AdminDep, ref: str, form: FormDep,
                    upload: UploadDep):
    return _submit(request, session, user, form, document_or_404(session, ref), upload)


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


# --- the values commands brought for fields an admin set ----------------------------------------

CONFLICTS_PER_PAGE = 50

# Each protected field's name as the page shows it.
FIELD_LABELS = {
    "symbol": N_("field_symbol"), "kind": N_("field_kind"), "session": N_("field_session"),
    "date": N_("field_date"), "title": N_("field_title"), "title_en": N_("field_title_en"),
    "organization": N_("field_organization"), "became": N_("field_became"), "text": N_("field_text"),
    "citations": N_("field_citations"),
}

FieldName = Annotated[str, Path(max_length=16)]


def _conflicts_page(request, session, user, page: int, outcome: audit.Outcome | None = None):
    rows, total = history.open_conflicts(session, page=page, per_page=CONFLICTS_PER_PAGE)
    pages = max(1, -(-total // CONFLICTS_PER_PAGE))
    if page > pages:
        raise NotFound(f"{total} conflicts wait: there is no page {page} of them.")
    return render_admin(request, "admin/conflicts.html",
                        {"conflicts": rows, "total": total, "page": page, "pages": pages, "outcome": outcome,
                         "describe": history.describe, "field_labels": FIELD_LABELS},
                        user=user, status_code=outcome.status if outcome else 200)


@router.get("/admin/conflicts")
def conflicts(request: Request, session: SessionDep, user: AdminDep, page: int = Query(1, ge=1, le=100_000)):
    return _conflicts_page(request, session, user, page)


def _answer(request, session, user, outcome: audit.Outcome):
    if not outcome.ok:
        return _conflicts_page(request, session, user, 1, outcome)
    return RedirectResponse(urls.admin_conflicts(), status_code=303)


@router.post("/admin/conflicts/{document_id}/{field}/accept")
def accept_conflict(request: Request, session: SessionDep, user: AdminDep, document_id: PathId,
                    field: FieldName, form: FormDep):
    if field not in FIELD_LABELS:
        raise NotFound(f"No field {field!r}.")
    version = forms.whole_number(form.get("version", "")) or 0
    return _answer(request, session, user, audit.accept(session, document_id, field, user.username, version))


@router.post("/admin/conflicts/{document_id}/{field}/keep")
def keep_conflict(request: Request, session: SessionDep, user: AdminDep, document_id: PathId,
                  field: FieldName):
    if field not in FIELD_LABELS:
        raise NotFound(f"No field {field!r}.")
    return _answer(request, session, user, audit.keep(session, document_id, field))
