"""Errors as a person and a program expect them: an HTML page, or JSON under /api."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.budget import OverBudget
from app.chains.reads import organization
from app.documents.queries import by_ref, page_cited_by
from app.i18n import N_, request_lang, t
from app.web import urls
from app.web.render import render
from app.web.security import private_path, with_security_headers


class NotFound(Exception):
    def __init__(self, message: str):
        self.message = message


def document_or_404(session, ref: str):
    """The document a URL names (`app.documents.queries.by_ref`), or a 404 that says so."""
    doc = by_ref(session, ref)
    if doc is None:
        raise NotFound(f"Lineage has no document {ref!r}.")
    return doc


def organization_or_404(session, acronym: str, read=organization):
    """The organization a URL names, as a row of its columns (`app.chains.reads.organization`,
    or `read`, which may add columns), or a 404 that says so."""
    org = read(session, acronym)
    if org is None:
        raise NotFound(f"No organization {acronym!r} in Lineage.")
    return org


def citers_or_404(conn, doc, page: int, per_page: int) -> tuple[list, int]:
    """A page of what cites `doc` (queries.page_cited_by, on the Core connection `conn`) and how
    many citations there are, or a 404 for a page past their end: the document page's and the
    API's."""
    rows, total = page_cited_by(conn, doc.id, page, per_page)
    if page > 1 and not rows:
        raise NotFound(f"{urls.document_ref(doc)} has {total} citations: there is no page {page} of "
                       f"{per_page} of them.")
    return rows, total


def page_or_404(p, what: str):
    """A page of a list (app/chains/reads.Page), or a 404 for a page past its end."""
    if p.page > 1 and not p.rows:
        raise NotFound(f"There are {p.total} {what}: there is no page {p.page} of them.")
    return p


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _error(request: Request, status: int, message: str, detail=None, headers=None):
    if _wants_json(request):
        body = {"error": message}
        if detail is not None:
            body["detail"] = detail
        return JSONResponse(body, status_code=status, headers=headers)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status,
                  headers=headers)


# How long a client refused for want of time or place is asked to wait (Retry-After, seconds).
RETRY_AFTER = 5


def refusal(request: Request, status: int, key: str, **params):
    """A refusal of the heavy-request limits or the time budget (429, 503): the catalog's message
    `key` in the reader's language (English in JSON), and when to come back."""
    lang = "en" if _wants_json(request) else request_lang(request)
    message = t(key, lang).format(retry=RETRY_AFTER, **params)
    return _error(request, status, message, headers={"Retry-After": str(RETRY_AFTER)})


async def refuse_heavy(scope, receive, send, status: int, key: str) -> None:
    """The answer of `app.web.limits.HeavyLimit` to a request past its share."""
    response = refusal(Request(scope, receive), status, key)
    # The connection closes after the refusal: a body still on its way (975 KB of an extract)
    # is dropped by the kernel instead of read through by the server.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def install(app: FastAPI) -> None:
    @app.exception_handler(OverBudget)
    async def _over_budget(request: Request, exc: OverBudget):
        return refusal(request, 503, N_("err_over_budget"), seconds=f"{exc.seconds:g}")

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return _error(request, 404, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "Request refused."
        # Keep the handler's headers: a 405 must say which methods are allowed.
        return _error(request, exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
            for e in exc.errors()
        )
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return _error(request, 422, f"Invalid request: {problems}", detail)

    @app.exception_handler(UnicodeEncodeError)
    async def _not_unicode(request: Request, exc: UnicodeEncodeError):
        # JSON may spell a lone surrogate ("\ud800"), which no text can hold or store.
        return _error(request, 400, "The request holds text that is not valid Unicode (a lone surrogate).")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        # Starlette answers this outside every middleware, so the headers are added here.
        try:
            response = _error(request, 500, "Internal error: the request could not be answered.")
        except Exception:  # noqa: BLE001 - the error page itself failed: answer in plain text
            response = PlainTextResponse("Internal error.", status_code=500)
        response.raw_headers[:] = with_security_headers(response.raw_headers, private=private_path(request.url.path))
        return response


def openapi_with_our_errors(app: FastAPI):
    """The schema says what the API really answers on invalid input: `{"error", "detail"}`."""
    from fastapi.openapi.utils import get_openapi

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        schemas = spec.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = {
                "title": "HTTPValidationError",
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "detail": {"type": "array", "items": {"type": "object"}},
                },
            }
        schemas.setdefault("Error", {
            "title": "Error", "type": "object", "required": ["error"],
            "properties": {"error": {"type": "string"}},
        })
        # Any request can be malformed (a NUL byte, a body that is not JSON): it gets a 400.
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault("400", {
                    "description": "Malformed request",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
        app.openapi_schema = spec
        return spec

    return openapi
