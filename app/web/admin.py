"""The admin pages: login, the document form (add, edit, delete) and the audit log.

Thin handlers: parse the form (`editing.FormIn`), check and preview it (`editing.prepare`), save
through `editing.save` (which writes through `ingest`), render. Every page works without
JavaScript; htmx only refreshes the citation preview while the text is typed. Every non-GET
request here needs the CSRF token (app/auth.py); no GET changes anything.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import anyio

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app import auth, editing, queries, urls
from app.auth import AdminDep
from app.db import SessionDep
from app.i18n import request_lang, t
from app.models import AuditEntry, Document, User
from app.symbols import normalize, parse
from app.web.errors import NotFound
from app.web.forms import form_reader
from app.web.render import render

router = APIRouter(include_in_schema=False)


FormDep = Annotated[FormData, Depends(form_reader(max_fields=5 * editing.MAX_ROWS + 100))]


def _render(request: Request, template: str, ctx: dict[str, Any], *, user: User | None = None,
            fragment: str | None = None, status_code: int = 200, headers: dict | None = None):
    lang = request_lang(request)

    def msg(m: editing.Msg | None) -> str:
        if m is None:
            return ""
        try:
            return t(m.key, lang).format(**m.params)
        except (KeyError, IndexError, ValueError):
            return t(m.key, lang)

    ctx = {"csrf_token": auth.csrf_token(request), "user": user, "msg": msg, **ctx}
    return render(request, template, ctx, fragment=fragment, status_code=status_code, headers=headers)


def _document(session, ref: str) -> Document:
    doc = queries.by_ref_or_symbol(session, ref)
    if doc is None:
        raise NotFound(f"Lineage has no document {ref!r}.")
    return doc


# --- login --------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = ""):
    return _render(request, "admin/login.html", {"next": auth.safe_next(next), "username": "", "error": None})


wait = anyio.sleep  # the tests count the waits here


@router.post("/login")
async def login(
    request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "",
):
    address = auth.client_address(request)
    # The slowdown after failed logins is waited here, on the event loop: in a handler thread,
    # a few failing logins would hold every thread the pages need (LINEAGE_WORKER_THREADS).
    delay = await run_in_threadpool(auth.login_delay, session, username, address)
    if delay:
        await wait(delay)
    result = await run_in_threadpool(auth.login, session, username, password, address, waited=True)
    if result.user is not None:
        auth.start_session(request, result.user)
        return RedirectResponse(auth.safe_next(next), status_code=303)
    error = (editing.Msg("login_throttled", {"seconds": result.retry_after}) if result.status == 429
             else editing.Msg("login_failed"))
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after else None
    return _render(request, "admin/login.html",
                   {"next": auth.safe_next(next), "username": username, "error": error},
                   status_code=result.status, headers=headers)


@router.post("/logout")
def logout(request: Request):
    auth.end_session(request)
    return RedirectResponse(urls.home(), status_code=303)


# --- documents ----------------------------------------------------------------------------


@router.get("/admin")
def admin_home(request: Request, session: SessionDep, user: AdminDep):
    return _render(request, "admin/index.html", {"documents": queries.documents_with_text(session)}, user=user)


def _form_page(request, session, user, prep: editing.Prepared, *, doc: Document | None = None,
               status_code: int = 200, outcome: editing.Outcome | None = None, fragment: str | None = None):
    ctx = {
        "doc": doc, "prep": prep, "form": prep.form, "outcome": outcome,
        "organizations": queries.organizations(session), "kinds": editing.KINDS,
        "verbs": editing.verb_suggestions(),
        "action_url": urls.admin_edit(doc) if doc is not None else urls.admin_new(),
        "preview_url": urls.admin_edit_preview(doc) if doc is not None else urls.admin_new_preview(),
        "version": outcome.document.version if outcome and outcome.document else prep.form.version,
    }
    return _render(request, "admin/document_form.html", ctx, user=user, status_code=status_code,
                   fragment=fragment)


def _submit(request, session, user, form: FormData, doc: Document | None):
    """Preview or save a submitted form; re-show it, with the reasons, when it cannot be saved."""
    prep = editing.prepare(session, editing.FormIn.from_form(form), doc=doc)
    if form.get("action") != "save":
        return _form_page(request, session, user, prep, doc=doc, status_code=prep.status)
    editing.check_save(prep)
    if not prep.ok or prep.errors:
        return _form_page(request, session, user, prep, doc=doc, status_code=prep.status)
    outcome = editing.save(session, prep, user.username, doc=doc)
    if outcome.unchanged:
        return _form_page(request, session, user, editing.prepare(
            session, editing.FormIn.from_document(session, outcome.document), doc=outcome.document),
            doc=outcome.document, outcome=outcome)
    if not outcome.ok:
        return _form_page(request, session, user, prep, doc=doc, status_code=outcome.status, outcome=outcome)
    return RedirectResponse(urls.document(outcome.document), status_code=303)


@router.get("/admin/documents/new")
def new_document(request: Request, session: SessionDep, user: AdminDep, symbol: str = ""):
    norm = normalize(symbol) if symbol else None
    form = editing.FormIn(symbol=symbol.strip()[:200], kind=parse(norm.symbol).kind if norm and norm.symbol else "")
    prep = editing.Prepared(form=form, text="")
    return _form_page(request, session, user, prep)


@router.post("/admin/documents/new")
def create_document(request: Request, session: SessionDep, user: AdminDep, form: FormDep):
    return _submit(request, session, user, form, None)


@router.post("/admin/documents/new/preview")
def preview_new(request: Request, session: SessionDep, user: AdminDep, form: FormDep):
    prep = editing.prepare(session, editing.FormIn.from_form(form))
    return _form_page(request, session, user, prep, fragment="admin/_preview.html")


@router.get("/admin/documents/{ref:path}/edit")
def edit_document(request: Request, session: SessionDep, user: AdminDep, ref: str):
    doc = _document(session, ref)
    if doc.text is None:
        # Known only from its citers: adding its text is the add form's job.
        return RedirectResponse(urls.admin_new(symbol=doc.symbol), status_code=303)
    prep = editing.prepare(session, editing.FormIn.from_document(session, doc), doc=doc)
    return _form_page(request, session, user, prep, doc=doc)


@router.post("/admin/documents/{ref:path}/edit")
def update_document(request: Request, session: SessionDep, user: AdminDep, ref: str, form: FormDep):
    return _submit(request, session, user, form, _document(session, ref))


@router.post("/admin/documents/{ref:path}/preview")
def preview_edit(request: Request, session: SessionDep, user: AdminDep, ref: str, form: FormDep):
    doc = _document(session, ref)
    prep = editing.prepare(session, editing.FormIn.from_form(form), doc=doc)
    return _form_page(request, session, user, prep, doc=doc, fragment="admin/_preview.html")


@router.get("/admin/documents/{ref:path}/delete")
def confirm_delete(request: Request, session: SessionDep, user: AdminDep, ref: str):
    doc = _document(session, ref)
    return _render(request, "admin/delete.html",
                   {"doc": doc, "citers": queries.citer_count(session, doc), "outcome": None}, user=user)


@router.post("/admin/documents/{ref:path}/delete")
def delete_document(request: Request, session: SessionDep, user: AdminDep, ref: str, form: FormDep):
    doc = _document(session, ref)
    if doc.text is None:
        raise NotFound(f"{ref!r} has no text to delete.")
    version = form.get("version", "")
    outcome = editing.delete(session, doc, user.username, int(version) if version.isdigit() else 0)
    if not outcome.ok:
        current = outcome.document or doc
        return _render(request, "admin/delete.html",
                       {"doc": current, "citers": queries.citer_count(session, current), "outcome": outcome},
                       user=user, status_code=outcome.status)
    return RedirectResponse(urls.admin_audit(), status_code=303)


# --- the audit log ------------------------------------------------------------------------


@router.get("/admin/audit")
def audit(request: Request, session: SessionDep, user: AdminDep, before: int | None = None):
    entries = queries.audit_entries(session, before_id=before)
    return _render(request, "admin/audit.html",
                   {"entries": entries, "changed": editing.changed_fields, "when": editing.audit_time},
                   user=user)


def _audit_entry_page(request, user, entry: AuditEntry, outcome: editing.Outcome | None):
    return _render(
        request, "admin/audit_entry.html",
        {"entry": entry, "changed": editing.changed_fields(entry.before, entry.after),
         "when": editing.audit_time, "outcome": outcome,
         "pretty": lambda snap: json.dumps(snap, ensure_ascii=False, indent=2)},
        user=user, status_code=outcome.status if outcome else 200,
    )


@router.get("/admin/audit/{entry_id}")
def audit_entry(request: Request, session: SessionDep, user: AdminDep, entry_id: int):
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"No audit entry {entry_id}.")
    return _audit_entry_page(request, user, entry, None)


@router.post("/admin/audit/{entry_id}/restore")
def restore(request: Request, session: SessionDep, user: AdminDep, entry_id: int):
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"No audit entry {entry_id}.")
    outcome = editing.restore(session, entry, user.username)
    if not outcome.ok:
        return _audit_entry_page(request, user, entry, outcome)
    return RedirectResponse(urls.document(outcome.document), status_code=303)
