"""The timeline graph: the page with the SVG inline, and the SVG alone."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup

from app.chains.queries import scope as read_scope
from app.db import SessionDep
from app.documents import labels
from app.graph import layout as graph
from app.i18n import request_lang, t
from app.web import urls
from app.web.errors import organization_or_404
from app.web.render import render

router = APIRouter(include_in_schema=False)


def _timeline(request: Request, session, org):
    lang = request_lang(request)
    scope = read_scope(session, org)
    orgs = {o.acronym: o for o in scope.organizations}

    def lane_label(lane: str) -> str:
        if lane == graph.SHARED:
            return t("lane_shared", lang)
        if lane == graph.OTHER:
            return t("lane_other", lang)
        o = orgs.get(lane)
        return f"{lane}\n{o.name_zh if lang == 'zh' else o.name_en}" if o else lane

    timeline = graph.build(
        scope, label=partial(labels.document_label, lang=lang), url=urls.document,
        lane_label=lane_label, lang=lang,
    )
    try:
        svg = graph.render_svg(timeline, undated_label=t("undated", lang))
    except graph.GraphvizMissing:
        raise HTTPException(
            status_code=503,
            detail="The timeline needs Graphviz's `dot` (Debian package graphviz): "
            "run `make system-deps`.",
        ) from None
    return timeline, svg


def _graph_page(request: Request, session, org):
    timeline, svg = _timeline(request, session, org)
    return render(request, "graph.html", {
        "org": org, "timeline": timeline, "svg": Markup(svg),
        "verb_styles": graph.VERB_STYLES,
    })


def _svg(request: Request, session, org) -> Response:
    _, svg = _timeline(request, session, org)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    return Response(body.encode("utf-8"), media_type="image/svg+xml")


@router.get("/graph")
def graph_all(request: Request, session: SessionDep):
    return _graph_page(request, session, None)


@router.get("/graph.svg")
def graph_all_svg(request: Request, session: SessionDep):
    return _svg(request, session, None)


@router.get("/organizations/{acronym}/graph")
def graph_organization(request: Request, session: SessionDep, acronym: str):
    return _graph_page(request, session, organization_or_404(session, acronym))


@router.get("/organizations/{acronym}/graph.svg")
def graph_organization_svg(request: Request, session: SessionDep, acronym: str):
    return _svg(request, session, organization_or_404(session, acronym))
