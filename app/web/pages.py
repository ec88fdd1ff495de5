"""Server-rendered pages. Each handler parses, queries, renders."""

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from app import queries, urls
from app.config import get_settings
from app.lookup import lookup
from app.db import SessionDep
from app.symbols import normalize
from app.web import views
from app.web.errors import NotFound
from app.web.forms import TextFormDep
from app.web.render import is_htmx, render

router = APIRouter()
PER_PAGE = 20
# A much-cited resolution has hundreds of citers: the document page lists them by the hundred.
CITED_BY_PER_PAGE = 100


@router.get("/", include_in_schema=False)
def home(request: Request, session: SessionDep):
    # Only the members: the citations of every chain are the organization pages' business.
    summaries = [(org, queries.chain_members(session, org)) for org in queries.organizations(session)]
    return render(request, "index.html", {"summaries": summaries})


@router.get("/organizations/{acronym}", include_in_schema=False)
def organization(
    request: Request, session: SessionDep, acronym: str, as_of: str | None = Query(None, max_length=40)
):
    org = queries.organization(session, acronym)
    if org is None:
        raise NotFound(f"No organization {acronym!r} in Lineage.")
    point = views.as_of_or_400(as_of)  # a date (2015-01-01) or a session (69)
    links = queries.chain(session, org, as_of=point.date if point else None)
    return render(
        request, "organization.html",
        {"org": org, "links": links, "as_of": point, **views.chain_context(session, org, links)},
        fragment="_chain.html",
    )


@router.get("/documents/{ref:path}", include_in_schema=False)
def document(
    request: Request, session: SessionDep, ref: str,
    cited_by_page: int = Query(1, ge=1, le=100_000),
):
    doc = queries.by_ref_or_symbol(session, ref)
    if doc is None:
        raise NotFound(f"Lineage has no document {ref!r}.")
    if urls.document_ref(doc) != ref:
        # 59/48 or a/res/59/48 in the address: send the reader to the one URL of the document.
        return RedirectResponse(urls.document(doc, cited_by_page=cited_by_page), status_code=301)
    cited_by, total = queries.cited_by_page(session, doc, cited_by_page, CITED_BY_PER_PAGE)
    if cited_by_page > 1 and not cited_by:
        raise NotFound(f"{urls.document_ref(doc)} has {total} citations: there is no page {cited_by_page} of them.")
    return render(
        request,
        "document.html",
        {"doc": doc, "cites": queries.cites(session, doc), "cited_by": cited_by, "cited_by_total": total,
         "cited_by_page": cited_by_page, "cited_by_per_page": CITED_BY_PER_PAGE, "cited_by_pages": max(1, -(-total // CITED_BY_PER_PAGE))},
        fragment="_cited_by.html",
    )


@router.get("/search", include_in_schema=False)
def search(
    request: Request, session: SessionDep, q: str = Query("", max_length=500),
    page: int = Query(1, ge=1, le=10_000),
):
    q = q.strip()
    ctx = {"q": q, "symbol": None, "error": None, "matches": [], "exact": None, "hits": [], "total": 0,
           "page": page, "per_page": PER_PAGE}
    if q:
        norm = normalize(q)
        ctx["symbol"], ctx["error"] = norm.symbol, norm.error
        if norm.symbol:
            exact = queries.by_symbol(session, norm.symbol)
            if exact is not None and not is_htmx(request):
                return RedirectResponse(urls.document(exact), status_code=303)
            ctx["exact"] = exact
            fragment = norm.symbol.removeprefix("A/RES/").removeprefix("S/RES/")
        else:
            fragment = q
        ctx["matches"] = [d for d in queries.symbol_matches(session, fragment) if d is not ctx["exact"]]
        if not norm.symbol:
            ctx["hits"], ctx["total"] = queries.full_text(session, q, page=page, per_page=PER_PAGE)
    return render(request, "search.html", ctx, fragment="_search_results.html")


@router.get("/extract", include_in_schema=False)
def extract_form(request: Request):
    return render(request, "extract.html", {"text": "", "result": None, "error": None})


@router.post("/extract", include_in_schema=False)
def extract_page(request: Request, session: SessionDep, form: TextFormDep):
    text = form.get("text") or ""
    text = text if isinstance(text, str) else ""
    limit = get_settings().max_text_bytes
    if len(text.encode("utf-8")) > limit:
        ctx = {"text": "", "result": None, "error": f"The text is over {limit // 1_000_000} MB."}
        return render(request, "extract.html", ctx, status_code=413)
    result = lookup(session, text) if text.strip() else None
    ctx = {"text": text, "result": result, "segments": result.segments(text) if result else [], "error": None}
    return render(request, "extract.html", ctx, fragment="_extract_result.html")
