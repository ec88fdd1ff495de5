"""Search: a symbol goes to its document; any other text is searched in the texts."""

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from app.budget import Deadline
from app.config import get_settings
from app.db import SessionDep, statements_within
from app.documents.queries import by_symbol
from app.search.queries import full_text, symbol_matches
from app.symbols import normalize
from app.web import urls
from app.web.render import is_htmx, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 20


@router.get("/search")
def search(
    request: Request, session: SessionDep, q: str = Query("", max_length=500),
    page: int = Query(1, ge=1, le=10_000),
):
    q = q.strip()
    exact = None
    ctx = {"q": q, "symbol": None, "error": None, "matches": [], "exact": None, "hits": [], "total": 0,
           "page": page, "per_page": PER_PAGE}
    if q:
        norm = normalize(q)
        ctx["symbol"], ctx["error"] = norm.symbol, norm.error
        if norm.symbol:
            exact = by_symbol(session, norm.symbol)
            if exact is not None and not is_htmx(request):
                return RedirectResponse(urls.document(exact), status_code=303)
            ctx["exact"] = exact
            fragment = norm.symbol.removeprefix("A/RES/").removeprefix("S/RES/")
        else:
            fragment = q
        ctx["matches"] = [d for d in symbol_matches(session, fragment) if exact is None or d.id != exact.id]
        if not norm.symbol:
            with statements_within(session, Deadline(get_settings().request_budget_seconds)):
                ctx["hits"], ctx["total"] = full_text(session, q, page=page, per_page=PER_PAGE)
    return render(request, "search.html", ctx, fragment="_search_results.html")
