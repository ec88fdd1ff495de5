"""Every URL the templates and the API print. Templates never format paths by hand."""

import re
from urllib.parse import quote, urlencode

from app.config import get_settings

# Symbols keep their slashes and parentheses in URLs, as on undocs: /documents/S/RES/1631(2005).
_SAFE = "/()-.~"
# What quote() leaves as it is (ASCII letters and digits, "_.-~", and _SAFE): nearly every symbol
# and key, and a page prints dozens of them. Matching costs a tenth of quoting.
_UNCHANGED = re.compile(r"[A-Za-z0-9_.~/()-]*")


def _q(value: str) -> str:
    return value if _UNCHANGED.fullmatch(value) else quote(value, safe=_SAFE)


def _with_query(path: str, **params) -> str:
    params = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(params)}" if params else path


def public(path: str) -> str:
    """`path` where readers reach it: under LINEAGE_PUBLIC_URL when it is set, else as it is
    (relative). Feeds and exports print these; no URL is ever made from a request's Host."""
    return get_settings().public_url + path


def home(page: int | None = None) -> str:
    return _with_query("/", page=page if page and page > 1 else None)


def organization(acronym: str, **params) -> str:
    return _with_query(f"/organizations/{_q(acronym)}", **params)


def document_ref(doc) -> str:
    """The identifier of a document in URLs: its symbol, else its stable key."""
    return doc.symbol or doc.key


def document(doc, cited_by_page: int | None = None) -> str:
    return _with_query(
        f"/documents/{_q(document_ref(doc))}",
        cited_by_page=cited_by_page if cited_by_page and cited_by_page > 1 else None,
    )


def document_by_symbol(symbol: str) -> str:
    return f"/documents/{_q(symbol)}"


def search(q: str | None = None, page: int | None = None) -> str:
    return _with_query("/search", q=q, page=page if page and page > 1 else None)


def extract_page() -> str:
    return "/extract"


def undocs(symbol: str, lang: str = "zh") -> str:
    return f"https://undocs.org/{lang}/{_q(symbol)}"


def static(path: str) -> str:
    return f"/static/{path}"


def api_organizations(page: int | None = None, per_page: int | None = None) -> str:
    return _with_query("/api/organizations", page=page, per_page=per_page)


def api_organization_chain(acronym: str) -> str:
    return f"/api/organizations/{_q(acronym)}/chain"


def api_document(doc) -> str:
    return f"/api/documents/{_q(document_ref(doc))}"


def with_lang(path: str, lang: str, params=None) -> str:
    """The same page in the other language, keeping its other query parameters (?as_of=…)."""
    kept = [(k, v) for k, v in (params.multi_items() if params is not None else []) if k != "lang"]
    return f"{path}?{urlencode(kept + [('lang', lang)])}"


# --- the admin (issue 4) -------------------------------------------------------------------


def login(next: str | None = None) -> str:
    return _with_query("/login", next=next)


def logout() -> str:
    return "/logout"


def admin_home(*, symbol: str = "", organization: str = "", session: int | None = None, page: int = 1) -> str:
    """The admin's list of texts, filtered and paged."""
    return _with_query("/admin", symbol=symbol or None, organization=organization or None, session=session,
                       page=page if page > 1 else None)


def admin_new(symbol: str | None = None) -> str:
    return _with_query("/admin/documents/new", symbol=symbol)


def admin_new_preview() -> str:
    return "/admin/documents/new/preview"


def admin_edit(doc) -> str:
    # The symbol keeps its slashes; the route matches `/admin/documents/{ref:path}/edit`.
    return f"/admin/documents/{_q(document_ref(doc))}/edit"


def admin_edit_preview(doc) -> str:
    return f"/admin/documents/{_q(document_ref(doc))}/preview"


def admin_delete(doc) -> str:
    return f"/admin/documents/{_q(document_ref(doc))}/delete"


def admin_audit(before: int | None = None) -> str:
    return _with_query("/admin/audit", before=before)


def admin_audit_entry(entry_id: int) -> str:
    return f"/admin/audit/{entry_id}"


def admin_restore(entry_id: int) -> str:
    return f"/admin/audit/{entry_id}/restore"


def admin_conflicts(page: int = 1) -> str:
    """The values commands brought for fields admins set, not applied."""
    return _with_query("/admin/conflicts", page=page if page > 1 else None)


def admin_conflict_accept(document_id: int, field: str) -> str:
    return f"/admin/conflicts/{document_id}/{_q(field)}/accept"


def admin_conflict_keep(document_id: int, field: str) -> str:
    return f"/admin/conflicts/{document_id}/{_q(field)}/keep"


# --- Issue 5 views: graph, anomalies, unresolved, diff, feeds, exports -----------------------


def graph(acronym: str | None = None, *, sessions: tuple[int, int] | None = None, page: int = 1) -> str:
    """An organization's timeline, or the overall one (a range of sessions, a page of lanes)."""
    if acronym:
        return f"/organizations/{_q(acronym)}/graph"
    return "/graph" + _graph_query(sessions, page)


def graph_svg(acronym: str | None = None, *, sessions: tuple[int, int] | None = None, page: int = 1) -> str:
    if acronym:
        return f"/organizations/{_q(acronym)}/graph.svg"
    return "/graph.svg" + _graph_query(sessions, page)


def _graph_query(sessions: tuple[int, int] | None, page: int) -> str:
    params = {}
    if sessions:
        params["from"], params["to"] = sessions
    if page > 1:
        params["page"] = page
    return "?" + urlencode(params) if params else ""


def anomalies(page: int | None = None) -> str:
    return _with_query("/anomalies", page=page if page and page > 1 else None)


def unresolved(page: int | None = None) -> str:
    return _with_query("/unresolved", page=page if page and page > 1 else None)


def diff(a, b) -> str:
    """/diff/{a}...{b}: two documents by symbol or key, slashes kept."""
    return f"/diff/{_q(document_ref(a))}...{_q(document_ref(b))}"


def diff_text(a, b) -> str:
    """/diff/{a}...{b}.txt: the unified diff by paragraph of two documents, as a download."""
    return f"{diff(a, b)}.txt"


def organization_feed(acronym: str) -> str:
    return f"/organizations/{_q(acronym)}/feed.atom"


def citing_feed(doc) -> str:
    return f"/documents/{_q(document_ref(doc))}/citing.atom"


def export(name: str, acronym: str | None = None) -> str:
    """name: documents.csv, citations.csv, lineage.json or lineage.graphml."""
    return f"/organizations/{_q(acronym)}/export/{name}" if acronym else f"/export/{name}"
