"""Issue 5 views: timeline graph, anomalies, unresolved citations, diff, feeds, exports.

Thin handlers: parse, call `app.queries`, hand the result to `app.views.*`, render. This
router is included before `pages`, whose `/documents/{ref:path}` would otherwise swallow
`/documents/{ref}/citing.atom`.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from markupsafe import Markup

from app import labels, queries, urls
from app.config import get_settings
from app.db import SessionDep
from app.graph import drawings, layouts
from app.graph import scope as graph_scope
from app.graph.dot import GraphvizMissing
from app.i18n import request_lang, t
from app.symbols import normalize
from app.views import anomalies as anomaly_rules
from app.views import export, feeds, graph
from app.views import title as doc_title
from app.views.diff import BadSpec, diff_texts, parse_spec
from app.views.timepoint import BadAsOf, parse_as_of
from app.web.errors import NotFound
from app.web.render import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

EXPORTS = {
    "documents.csv": "text/csv; charset=utf-8",
    "citations.csv": "text/csv; charset=utf-8",
    "lineage.json": "application/json",
    "lineage.jsonl": "application/jsonl; charset=utf-8",
    "lineage.graphml": "application/graphml+xml; charset=utf-8",
}
ATOM = "application/atom+xml; charset=utf-8"


# --- helpers shared with the organization page -----------------------------------------------


def _org_or_404(session, acronym: str):
    org = queries.organization(session, acronym)
    if org is None:
        raise NotFound(f"No organization {acronym!r} in Lineage.")
    return org


def _doc_or_404(session, ref: str):
    doc = queries.by_ref(session, ref)
    if doc is None:
        norm = normalize(ref)
        if norm.symbol:
            doc = queries.by_symbol(session, norm.symbol)
    if doc is None:
        raise NotFound(f"Lineage has no document {ref!r}.")
    return doc


def as_of_or_400(value: str | None):
    """`?as_of=` as an `AsOf` (a date or a session), or a 400 saying what is expected."""
    try:
        return parse_as_of(value)
    except BadAsOf as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def chain_context(session, org, links) -> dict:
    """What the chain fragment shows beside each link: its anomalies, and the previous link that
    has a text (the "compare with previous" diff)."""
    cited_ids = {c.cited_id for link in links for c in link.cites}
    found = anomaly_rules.chain_anomalies(links, org, queries.documents_by_ids(session, cited_ids))
    previous: dict[int, object] = {}
    last_with_text = None
    for link in links:
        if last_with_text is not None:
            previous[link.document.id] = last_with_text
        if link.has_text:
            last_with_text = link.document
    return {"chain_anomalies": anomaly_rules.by_document(found), "previous_text": previous}


def _absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


# --- timeline graph ---------------------------------------------------------------------------


def _sessions_or_400(first: int | None, last: int | None) -> tuple[int, int] | None:
    if first is None and last is None:
        return None
    if first is None or last is None or first > last:
        raise HTTPException(status_code=400, detail="Give a range of sessions as ?from=60&to=67 (from ≤ to).")
    if last - first + 1 > graph_scope.MAX_SESSIONS:
        raise HTTPException(status_code=400,
                            detail=f"At most {graph_scope.MAX_SESSIONS} sessions in one drawing.")
    return first, last


async def _drawing(g: drawings.Prepared, engine) -> layouts.Drawing:
    """The stored drawing; else one asked of the layout thread and waited for a short while
    (on the event loop: no thread and no connection is held meanwhile); else none yet."""
    if g.drawing is not None:
        return g.drawing
    settings = get_settings()
    future = layouts.drawer.submit(g.key, partial(drawings.draw, g, engine))
    if future is None:
        return layouts.Drawing(svg=None, routing="busy")
    try:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), settings.graph_wait_seconds)
    except TimeoutError:
        return layouts.Drawing(svg=None, routing="pending")
    except GraphvizMissing:
        raise HTTPException(
            status_code=503,
            detail="The timeline needs Graphviz's `dot` (Debian package graphviz): run `make system-deps`.",
        ) from None


def _drawing_message(drawing: layouts.Drawing, lang: str) -> str | None:
    if drawing.routing in ("pending", "busy"):
        return t(f"graph_{drawing.routing}", lang)
    if drawing.routing == "failed":
        return t("graph_failed", lang).format(reason=drawing.message or "?")
    if drawing.routing != "spline":
        return t("graph_simpler_edges", lang)
    return None


async def _graph_page(request: Request, session, org, sessions=None, page: int = 1):
    g = await run_in_threadpool(drawings.prepare, session, org, request_lang(request), sessions, page)
    drawing = await _drawing(g, session.get_bind())
    lanes = [(label, [n for n in g.timeline.nodes if n.lane == lane]) for lane, label in g.timeline.lanes]
    return render(request, "graph.html", {
        "org": org, "timeline": g.timeline, "scope": g.scope, "drawing": drawing,
        "svg": Markup(drawing.svg) if drawing.svg else None, "lanes": lanes,
        "message": _drawing_message(drawing, g.lang), "verb_styles": graph.VERB_STYLES,
    })


async def _svg(request: Request, session, org, sessions=None, page: int = 1) -> Response:
    g = await run_in_threadpool(drawings.prepare, session, org, request_lang(request), sessions, page)
    drawing = await _drawing(g, session.get_bind())
    if drawing.svg is None:
        message = _drawing_message(drawing, g.lang)
        status = 503 if drawing.routing in ("pending", "busy") else 422
        headers = {"Retry-After": "5"} if status == 503 else None
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + drawing.svg
    return Response(body.encode("utf-8"), media_type="image/svg+xml")


SessionsFrom = Query(None, alias="from", ge=1, le=500)
SessionsTo = Query(None, alias="to", ge=1, le=500)
LanesPage = Query(1, ge=1, le=100_000)


@router.get("/graph")
async def graph_all(request: Request, session: SessionDep, first: int | None = SessionsFrom,
                    last: int | None = SessionsTo, page: int = LanesPage):
    return await _graph_page(request, session, None, _sessions_or_400(first, last), page)


@router.get("/graph.svg")
async def graph_all_svg(request: Request, session: SessionDep, first: int | None = SessionsFrom,
                        last: int | None = SessionsTo, page: int = LanesPage):
    return await _svg(request, session, None, _sessions_or_400(first, last), page)


@router.get("/organizations/{acronym}/graph")
async def graph_organization(request: Request, session: SessionDep, acronym: str):
    org = await run_in_threadpool(_org_or_404, session, acronym)
    return await _graph_page(request, session, org)


@router.get("/organizations/{acronym}/graph.svg")
async def graph_organization_svg(request: Request, session: SessionDep, acronym: str):
    org = await run_in_threadpool(_org_or_404, session, acronym)
    return await _svg(request, session, org)


# --- anomalies, unresolved --------------------------------------------------------------------


@router.get("/anomalies")
def anomalies(request: Request, session: SessionDep):
    per_org = []
    for org in queries.organizations(session):
        links = queries.chain(session, org)
        ctx = chain_context(session, org, links)
        found = [a for flags in ctx["chain_anomalies"].values() for a in flags]
        order = {link.document.id: i for i, link in enumerate(links)}
        found.sort(key=lambda a: (order.get(a.document.id, 0), anomaly_rules.RULES.index(a.rule)))
        per_org.append((org, found))
    return render(request, "anomalies.html", {"per_org": per_org, "rules": anomaly_rules.RULES})


@router.get("/unresolved")
def unresolved(request: Request, session: SessionDep):
    return render(request, "unresolved.html", {"entries": queries.unresolved(session)})


# --- diff ---------------------------------------------------------------------------------------


@router.get("/diff/{spec:path}")
def diff(request: Request, session: SessionDep, spec: str):
    try:
        ref_a, ref_b = parse_spec(spec)
    except BadSpec as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    a, b = _doc_or_404(session, ref_a), _doc_or_404(session, ref_b)
    lang = request_lang(request)
    for doc in (a, b):
        if doc.text is None:
            raise HTTPException(
                status_code=422,
                detail=f"Lineage has no text of {labels.document_label(doc, lang)}: "
                "only what cites it, nothing to compare.",
            )
    return render(request, "diff.html", {"a": a, "b": b, "diff": diff_texts(a.text, b.text)})


# --- Atom feeds -------------------------------------------------------------------------------


def _entry(request: Request, doc, lang: str, summary: str):
    name = labels.document_label(doc, lang)
    title = doc_title(doc, lang)
    return feeds.document_entry(
        doc, title=f"{name} — {title}" if title and title != name else name,
        url=_absolute(request, urls.document(doc)), summary=summary, categories=[doc.kind],
    )


def _doc_summary(doc, lang: str, has_text: bool) -> str:
    parts = [labels.kind_label(doc.kind, lang)]
    if doc.session:
        parts.append(f"{t('session', lang)} {doc.session}")
    if doc.date:
        parts.append(doc.date.isoformat())
    if not has_text:
        parts.append(t("no_text", lang))
    return " · ".join(parts)


@router.get("/organizations/{acronym}/feed.atom")
def organization_feed(request: Request, session: SessionDep, acronym: str):
    org = _org_or_404(session, acronym)
    lang = request_lang(request)
    members = queries.chain_members_with_text(session, org)
    name = org.name_zh if lang == "zh" else org.name_en
    feed = feeds.Feed(
        id=feeds.tag("organization", org.acronym),
        title=f"Lineage · {org.acronym} · {t('feed_org_title', lang)}",
        subtitle=name,
        self_url=_absolute(request, urls.organization_feed(org.acronym)),
        alternate_url=_absolute(request, urls.organization(org.acronym)),
        lang=lang,
        entries=feeds.newest_first([_entry(request, d, lang, _doc_summary(d, lang, has_text)) for d, has_text in members]),
    )
    return Response(feeds.to_atom(feed), media_type=ATOM)


@router.get("/documents/{ref:path}/citing.atom")
def citing_feed(request: Request, session: SessionDep, ref: str):
    doc = _doc_or_404(session, ref)
    lang = request_lang(request)
    grouped: dict[int, tuple[object, list]] = {}
    for c, citing in queries.cited_by(session, doc):
        grouped.setdefault(citing.id, (citing, []))[1].append(c)
    entries = []
    for citing, cits in grouped.values():
        verbs = ", ".join(dict.fromkeys(c.verb or "—" for c in cits))
        summary = f"{_doc_summary(citing, lang, citing.has_text)} — {verbs}: {feeds.plain(cits[0].paragraph)}"
        entries.append(_entry(request, citing, lang, summary))
    name = labels.document_label(doc, lang)
    feed = feeds.Feed(
        id=feeds.tag("citing", doc.key),
        title=f"Lineage · {t('feed_citing_title', lang)} {name}",
        subtitle=doc_title(doc, lang) or name,
        self_url=_absolute(request, urls.citing_feed(doc)),
        alternate_url=_absolute(request, urls.document(doc)),
        lang=lang,
        entries=feeds.newest_first(entries),
    )
    return Response(feeds.to_atom(feed), media_type=ATOM)


# --- exports ----------------------------------------------------------------------------------


def _export(request: Request, session, org, name: str) -> Response:
    if name not in EXPORTS:
        raise NotFound(f"No export {name!r}: Lineage exports {', '.join(EXPORTS)}.")
    member_ids = [d.id for d in queries.chain_members(session, org)] if org is not None else None
    engine = session.get_bind()
    acronym = org.acronym if org is not None else None
    base = str(request.base_url).rstrip("/")

    def url(doc):
        return base + urls.document(doc)

    def org_url(a):
        return base + urls.organization(a)

    def chunks():
        # Its own connection, held while the body is written: the request's session is closed
        # once the handler returns, before the first chunk leaves.
        with engine.connect() as conn:
            ids = export.scope_ids(conn, member_ids) if member_ids is not None else None
            documents = export.document_rows(conn, ids, url=url, undocs=urls.undocs)
            citations = export.citation_rows(conn, member_ids)
            if name == "documents.csv":
                yield from export.csv_chunks(documents, export.DOCUMENT_FIELDS)
            elif name == "citations.csv":
                yield from export.csv_chunks(citations, export.CITATION_FIELDS)
            elif name == "lineage.graphml":
                yield from export.graphml_chunks(acronym or "all", documents, citations)
            else:
                write = export.json_chunks if name == "lineage.json" else export.jsonl_chunks
                yield from write(acronym or "all", export.organization_rows(conn, acronym, url=org_url),
                                 documents, citations)

    filename = f"lineage-{acronym or 'all'}-{name}"
    return StreamingResponse(chunks(), media_type=EXPORTS[name],
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/export/{name}")
def export_all(request: Request, session: SessionDep, name: str):
    return _export(request, session, None, name)


@router.get("/organizations/{acronym}/export/{name}")
def export_organization(request: Request, session: SessionDep, acronym: str, name: str):
    return _export(request, session, _org_or_404(session, acronym), name)
