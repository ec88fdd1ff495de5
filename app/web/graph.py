"""The timeline graph: the page with the SVG inline, and the SVG alone.

Each graph is drawn once per version of its data by app.graph (a background thread, under
limits) and kept: its default views stored, the ranges readers name in the worker's memory
(app/graph/drawings.py says which is which). A drawing kept as showing the data as they are is
served by its graph's name alone; otherwise these handlers read what the graph shows, look the
drawing up by its source's digest, and wait a short while for one not yet drawn, on the event
loop.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from app.config import get_settings
from app.db import SessionDep, release
from app.graph import drawings, layouts
from app.graph import layout as graph
from app.graph import scope as graph_scope
from app.graph.dot import GraphvizMissing
from app.i18n import request_lang, t
from app.web import urls
from app.web.errors import RETRY_AFTER, organization_or_404
from app.web.render import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


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
    """The drawing kept (stored, or in memory); else one asked of the layout thread and waited
    for a short while (on the event loop: no thread and no connection is held meanwhile); else
    none yet ("pending"), or none at all while the drawer has as many as it takes ("busy")."""
    settings = get_settings()
    if g.drawing is not None:
        if not g.default:  # found by its source's digest: served by its name too until the data change
            drawings.remember(g, engine, g.drawing)
        elif not g.current:  # the same drawing, for data changed since: say it still shows them
            done = layouts.drawer.submit(f"stamp:{g.key}:{g.stamp}", partial(drawings.restamp, g, engine))
            if done is not None:  # a short write, waited for as a layout would be
                try:
                    await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(done)), settings.graph_wait_seconds)
                except TimeoutError:
                    pass
        return g.drawing
    # Laid out, the drawing goes to the readers waiting for it, then is kept for every later one.
    future = layouts.drawer.submit(g.key, partial(drawings.lay_out, g),
                                   then=lambda laid: drawings.keep(g, engine, *laid), later=not g.default)
    if future is None:
        return layouts.Drawing(svg=None, routing="busy")
    try:
        drawing, _seconds = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)),
                                                   settings.graph_wait_seconds)
    except TimeoutError:
        return layouts.Drawing(svg=None, routing="pending")
    except GraphvizMissing:
        raise HTTPException(
            status_code=503,
            detail="The timeline needs Graphviz's `dot` (Debian package graphviz): run `make system-deps`.",
        ) from None
    if not g.default:  # laid out for another reader's name of the same graph, maybe
        drawings.remember(g, engine, drawing)
    return drawing


def _drawing_message(drawing: layouts.Drawing, lang: str) -> str | None:
    if drawing.routing == "pending":
        return t("graph_pending", lang)
    if drawing.routing == "busy":
        return t("graph_busy", lang)
    if drawing.routing == "failed":
        return t("graph_failed", lang).format(reason=drawing.message or "?")
    if drawing.routing != "spline":
        return t("graph_simpler_edges", lang)
    return None


async def _ready(request: Request, session, org, sessions, page: int) -> drawings.Ready | None:
    return await run_in_threadpool(partial(drawings.ready, session, org, request_lang(request),
                                           sessions=sessions, page=page))


async def _prepare(request: Request, session, org, sessions, page: int) -> drawings.Prepared:
    prepare = partial(drawings.prepare, session, org, request_lang(request), url=urls.document,
                      sessions=sessions, page=page)
    return await run_in_threadpool(prepare)


async def _graph_page(request: Request, session, org, sessions=None, page: int = 1):
    ready = await _ready(request, session, org, sessions, page)
    if ready is not None:
        drawing, shown, lanes, lang = ready.drawing, ready.shown, [], request_lang(request)
    else:
        g = await _prepare(request, session, org, sessions, page)
        await release(session)  # no connection is held while the layout is waited for
        drawing, shown, lang = await _drawing(g, session.get_bind()), g.shown, g.lang
        lanes = [(label, [n for n in g.timeline.nodes if n.lane == lane]) for lane, label in g.timeline.lanes]
    return render(request, "graph.html", {
        "org": org, "shown": shown, "drawing": drawing,
        "svg": Markup(drawing.svg) if drawing.svg else None, "lanes": lanes,
        "message": _drawing_message(drawing, lang), "verb_styles": graph.VERB_STYLES,
    })


async def _svg(request: Request, session, org, sessions=None, page: int = 1) -> Response:
    ready = await _ready(request, session, org, sessions, page)
    if ready is not None:
        drawing, lang = ready.drawing, request_lang(request)
    else:
        g = await _prepare(request, session, org, sessions, page)
        await release(session)
        drawing, lang = await _drawing(g, session.get_bind()), g.lang
    if drawing.svg is None:
        message = _drawing_message(drawing, lang)
        status = 503 if drawing.routing in ("pending", "busy") else 422
        headers = {"Retry-After": str(RETRY_AFTER)} if status == 503 else None
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
    org = await run_in_threadpool(organization_or_404, session, acronym)
    return await _graph_page(request, session, org)


@router.get("/organizations/{acronym}/graph.svg")
async def graph_organization_svg(request: Request, session: SessionDep, acronym: str):
    org = await run_in_threadpool(organization_or_404, session, acronym)
    return await _svg(request, session, org)
