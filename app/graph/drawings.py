"""A timeline graph as a page needs it: what it shows, its Graphviz source's digest, its drawing.

Shared by the pages (app/web/graph.py) and `lineage draw-graphs`, which lays out every graph
ahead of its first reader (after an import, say).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from app.config import get_settings
from app.documents import labels
from app.graph import layout as graph
from app.graph import layouts
from app.graph import scope as graph_scope
from app.i18n import t

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    org: object
    scope: object
    timeline: graph.Timeline
    name: str
    key: str
    scope_key: str
    lang: str
    dot_kwargs: dict
    drawing: layouts.Drawing | None


def prepare(session, org, lang: str, *, url: Callable[[object], str], sessions: tuple[int, int] | None = None,
            page: int = 1) -> Prepared:
    """What the graph shows (a bounded read), its Graphviz source's digest, its stored drawing;
    `url` gives a document's address (its node's link)."""
    if org is not None:
        scope = graph_scope.for_organization(session, org)
    else:
        scope = graph_scope.for_everything(session, sessions=sessions, page=page)
    orgs = scope.all_organizations

    def lane_label(lane: str) -> str:
        if lane == graph.SHARED:
            return t("lane_shared", lang)
        if lane == graph.OTHER:
            return t("lane_other", lang)
        o = orgs.get(lane)
        return f"{lane}\n{o.name_zh if lang == 'zh' else o.name_en}" if o else lane

    timeline = graph.build(
        scope, label=partial(labels.document_label, lang=lang), url=url,
        lane_label=lane_label, lang=lang,
    )
    name = f"{t('graph_of', lang)} · {org.acronym}" if org else t("graph_all", lang)
    dot_kwargs = {"undated_label": t("undated", lang)}
    key = layouts.digest(graph.to_dot(timeline, **dot_kwargs).source, name)
    if org is not None:
        scope_key = f"org:{org.acronym}"
    elif scope.summary:
        scope_key = f"all:{scope.sessions[0]}-{scope.sessions[1]}:{scope.lanes_page}"
    else:
        scope_key = "all"
    return Prepared(org=org, scope=scope, timeline=timeline, name=name, key=key, scope_key=scope_key,
                    lang=lang, dot_kwargs=dot_kwargs, drawing=layouts.load(session, key))


def draw(g: Prepared, engine) -> layouts.Drawing:
    """Lay `g` out under the configured limits and store the drawing (or the failure)."""
    settings = get_settings()
    started = time.monotonic()
    drawing = layouts.lay_out(g.timeline, name=g.name, timeout=settings.graph_timeout_seconds,
                              memory_mb=settings.graph_memory_mb, **g.dot_kwargs)
    try:
        layouts.store(engine, key=g.key, scope=g.scope_key, lang=g.lang, drawing=drawing,
                      seconds=time.monotonic() - started)
    except Exception:  # noqa: BLE001 - the drawing is still served; the next reader stores it
        log.exception("storing the layout of %s failed", g.scope_key)
    return drawing
