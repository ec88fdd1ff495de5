"""The documents: a document's page, two texts compared, the cited symbols without a text, and
the citations of a pasted text."""

import re

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.budget import Deadline
from app.chains import reads
from app.config import get_settings
from app.db import EngineDep, SessionDep, run_page
from app.documents import labels
from app.documents.diff import (
    INLINE_MAX_CHARS, BadSpec, compared_chars, diff_sections, diff_texts, parse_spec, sections, too_long, unified,
)
from app.documents.extract import PER_PAGE as EXTRACT_PER_PAGE, lookup
from app.documents.queries import became_of, page_cites, page_document, source_facts_of
from app.i18n import request_lang, t
from app.web import urls
from app.web.errors import NotFound, citers_or_404, document_or_404, page_or_404
from app.web.forms import TextFormDep
from app.web.limits import body_refused
from app.web.render import render

router = APIRouter(include_in_schema=False)
# A much-cited resolution has hundreds of citers: the document page lists them by the hundred.
CITED_BY_PER_PAGE = 100
# Up to this many citations, ordering them all takes about a millisecond at most: the page
# runs on the event loop on SQLite (app.db.run_page).
SMALL_CITED_BY = 300


@router.get("/documents/{ref:path}")
async def document(
    request: Request, engine: EngineDep, ref: str,
    cited_by_page: int = Query(1, ge=1, le=100_000),
):
    doc = await run_page(engine, page_document, ref)
    if doc is None:
        raise NotFound(f"Lineage has no document {ref!r}.")
    if urls.document_ref(doc) != ref:
        # 59/48 or a/res/59/48 in the address: send the reader to the one URL of the document.
        return RedirectResponse(urls.document(doc, cited_by_page=cited_by_page), status_code=301)
    # Its citers are ordered in SQL before a page of them is cut: much-cited ones go to a thread.
    return await run_page(engine, _document_page, request, doc, cited_by_page,
                          small=doc.cited_by_count <= SMALL_CITED_BY)


def _document_page(conn, request: Request, doc, cited_by_page: int):
    cited_by, total = citers_or_404(conn, doc, cited_by_page, CITED_BY_PER_PAGE)
    return render(
        request,
        "document.html",
        {"doc": doc, "cites": page_cites(conn, doc.id), "cited_by": cited_by, "cited_by_total": total,
         "public_facts": source_facts_of(conn, [doc])[doc.id] if doc.public_facts else [],
         "became": became_of(doc),
         "cited_by_page": cited_by_page, "cited_by_per_page": CITED_BY_PER_PAGE, "cited_by_pages": max(1, -(-total // CITED_BY_PER_PAGE))},
        fragment="_cited_by.html",
    )


@router.get("/extract")
def extract_form(request: Request):
    limit = body_refused(request)  # shown again for a form over the body limit
    error = f"What was sent is over {limit // 1_000_000} MB and was not received." if limit else None
    return render(request, "extract.html", {"text": "", "result": None, "error": error})


@router.post("/extract")
def extract_page(request: Request, session: SessionDep, form: TextFormDep):
    text = form.get("text") or ""
    text = text if isinstance(text, str) else ""
    limit = get_settings().max_text_bytes
    if len(text.encode("utf-8")) > limit:
        ctx = {"text": "", "result": None, "error": f"The text is over {limit // 1_000_000} MB."}
        return render(request, "extract.html", ctx, status_code=413)
    if not text.strip():
        return render(request, "extract.html", {"text": text, "result": None, "error": None},
                      fragment="_extract_result.html")
    # The text once more, and one page of its citations highlighted: the page's buttons post the
    # text again for the next one.
    page = form.get("page") or "1"
    page = page if isinstance(page, str) else ""
    result = lookup(session, text, deadline=Deadline(get_settings().request_budget_seconds))
    shown = result.page(int(page), EXTRACT_PER_PAGE) if _is_number(page) else None
    if shown is None:
        error = t("extract_no_page", request_lang(request)).format(total=len(result.citations), page=page[:20])
        return render(request, "extract.html", {"text": text, "result": None, "error": error}, status_code=404)
    ctx = {"text": text, "result": shown, "segments": shown.segments(text), "error": None}
    return render(request, "extract.html", ctx, fragment="_extract_result.html")


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 7


# Unresolved symbols by the fifty, each with its first ten citers and a link to the document
# page, which pages the rest.
UNRESOLVED_PER_PAGE = 50
UNRESOLVED_CITERS = 10


@router.get("/unresolved")
def unresolved(request: Request, session: SessionDep, page: int = Query(1, ge=1, le=100_000)):
    entries = page_or_404(reads.unresolved_page(session, page, UNRESOLVED_PER_PAGE, UNRESOLVED_CITERS),
                          "unresolved symbols")
    return render(request, "unresolved.html", {"entries": entries}, fragment="_unresolved.html")


def _compared(session, request: Request, spec: str):
    """The two documents of `/diff/{a}...{b}`, each with a text (else 400, 404 or 422)."""
    try:
        ref_a, ref_b = parse_spec(spec)
    except BadSpec as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    a, b = document_or_404(session, ref_a), document_or_404(session, ref_b)
    lang = request_lang(request)
    for doc in (a, b):
        if doc.text is None:
            raise HTTPException(
                status_code=422,
                detail=f"Lineage has no text of {labels.document_label(doc, lang)}: "
                "only what cites it, nothing to compare.",
            )
    return a, b


def _file_name(a, b) -> str:
    name = re.sub(r"[^A-Za-z0-9().-]+", "_", f"{urls.document_ref(a)}...{urls.document_ref(b)}")
    return f"diff-{name}.txt"


# Registered before the page, whose `{spec:path}` would take the `.txt` as well.
@router.get("/diff/{spec:path}.txt")
def diff_text(request: Request, session: SessionDep, spec: str):
    """The unified diff by paragraph of two texts, as a download: also for texts too long for the
    page, within the request's time."""
    deadline = Deadline(get_settings().request_budget_seconds)
    a, b = _compared(session, request, spec)
    found = diff_texts(a.text, b.text, deadline, segments=False)
    body = "".join(unified(found, urls.document_ref(a), urls.document_ref(b), deadline))
    return Response(body, media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{_file_name(a, b)}"'})


@router.get("/diff/{spec:path}")
def diff(request: Request, session: SessionDep, spec: str):
    deadline = Deadline(get_settings().request_budget_seconds)
    a, b = _compared(session, request, spec)
    sa = sections(a.text)
    deadline.check()
    sb = sections(b.text)
    deadline.check()
    if too_long(sa, sb):
        # Compared inline, such texts would make a page of megabytes: the download has them.
        ctx = {"a": a, "b": b, "diff": None, "chars": compared_chars(sa, sb), "limit": INLINE_MAX_CHARS}
        return render(request, "diff.html", ctx)
    return render(request, "diff.html", {"a": a, "b": b, "diff": diff_sections(sa, sb, deadline)})
