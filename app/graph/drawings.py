"""A timeline graph as a page needs it: what it shows, its Graphviz source's digest, its drawing;
or, while the data have not changed since the drawing was stored, the drawing alone (`ready`).

Shared by the pages (app/web/graph.py) and `lineage draw-graphs`, which lays out every graph
ahead of its first reader (after an import, say).

Which drawings are stored in the database (`Prepared.default`): those `lineage draw-graphs`
lays out, in each language a reader asks for, and only those:
- each organization's graph (`org:<acronym>`);
- the overall graph as a reader gets it without naming sessions: every document (`all`) in a
  record of at most `scope.MAX_NODES` documents; else the summary of the last
  `scope.DEFAULT_SESSIONS` sessions, each page of its lanes (`all:<from>-<to>:<page>`), and the
  same when a reader names those very sessions.
Any other view (a range of sessions a reader names) is kept in the worker's memory only
(app/graph/memory.py): anyone can name tens of thousands of them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from app import data_version
from app.config import get_settings
from app.documents import labels
from app.graph import layout as graph
from app.graph import layouts
from app.graph import scope as graph_scope
from app.graph.memory import memory
from app.i18n import t

log = logging.getLogger(__name__)


@dataclass
class Shown:
    """What the page says beside a drawing, stored with it (`GraphLayout.facts`)."""
    nodes: int
    edges: int
    left_out: int = 0
    summary: bool = False
    sessions: tuple[int, int] | None = None
    lanes: int = 0
    lanes_page: int = 1
    lanes_pages: int = 1
    session_bounds: tuple[int, int] | None = None

    @classmethod
    def of(cls, scope, timeline: graph.Timeline) -> Shown:
        return cls(nodes=len(timeline.nodes), edges=len(timeline.edges), left_out=scope.left_out,
                   summary=scope.summary, sessions=scope.sessions, lanes=len(scope.organizations),
                   lanes_page=scope.lanes_page, lanes_pages=scope.lanes_pages,
                   session_bounds=scope.session_bounds)

    def facts(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_facts(cls, facts: dict) -> Shown:
        out = cls(**{f.name: facts[f.name] for f in dataclasses.fields(cls) if f.name in facts})
        out.sessions = tuple(out.sessions) if out.sessions else None
        out.session_bounds = tuple(out.session_bounds) if out.session_bounds else None
        return out


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
    stamp: str | None = None  # the data version read before what the graph shows
    default: bool = True  # stored in the database (see the module's docstring), else kept in memory
    asked: str | None = None  # the graph's name as the request gave it (a page past the last, say)
    shown: Shown | None = None
    stored: layouts.Stored | None = None
    source: str | None = None  # the Graphviz source the digest is of (its curved-edge layout's)

    @property
    def current(self) -> bool:
        """Whether the stored drawing is stamped as showing the data read here."""
        return self.stored is not None and self.stored.stamp == self.stamp and self.stored.facts is not None


@dataclass
class Ready:
    """A drawing (stored, or kept in memory) that shows the data as they are: all a page needs,
    without what it shows."""
    drawing: layouts.Drawing
    shown: Shown


def scope_key(session, org, *, sessions: tuple[int, int] | None = None, page: int = 1,
              view: graph_scope.View | None = None) -> str:
    """The graph's name as a request gives it; `view`: the overall graph's, when already read."""
    if org is not None:
        return f"org:{org.acronym}"
    if sessions is not None:  # always a summary, and the page named (one beyond the last is no drawing)
        return f"all:{sessions[0]}-{sessions[1]}:{page}"
    return (view or graph_scope.everything_view(session, sessions=None, page=page)).key


def ready(session, org, lang: str, *, sessions: tuple[int, int] | None = None, page: int = 1) -> Ready | None:
    """The drawing of the graph, stored or kept in memory, if it shows the data as they are now
    and has a drawing (a failure's list needs what the graph shows): a statement or two."""
    scope = scope_key(session, org, sessions=sessions, page=page)
    stored, version = layouts.current(session, scope=scope, lang=lang)
    if stored is not None:
        return Ready(stored.drawing, Shown.from_facts(stored.facts)) if stored.drawing.svg is not None else None
    if sessions is None:  # a default view: stored or not at all
        return None
    kept = memory.view(session.get_bind(), layouts.stamp(version), scope, lang)
    if kept is None or kept[0].svg is None:
        return None
    return Ready(*kept)


def prepare(session, org, lang: str, *, url: Callable[[object], str], sessions: tuple[int, int] | None = None,
            page: int = 1) -> Prepared:
    """What the graph shows (a bounded read), its Graphviz source's digest, its stored drawing;
    `url` gives a document's address (its node's link)."""
    # Read before what the graph shows: a drawing stamped with it shows data at least this new.
    stamp = layouts.stamp(data_version.current(session))
    view = None
    if org is not None:
        scope = graph_scope.for_organization(session, org)
    else:
        view = graph_scope.everything_view(session, sessions=sessions, page=page)
        scope = graph_scope.for_everything(session, view=view)
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
    source = graph.to_dot(timeline, **dot_kwargs).source
    key = layouts.digest(source, name)
    asked = scope_key(session, org, sessions=sessions, page=page, view=view)
    stored = layouts.load(session, key)
    drawing = stored.drawing if stored else memory.drawing(key)
    return Prepared(org=org, scope=scope, timeline=timeline, name=name, key=key,
                    scope_key=f"org:{org.acronym}" if org is not None else view.key,
                    lang=lang, dot_kwargs=dot_kwargs, drawing=drawing, stamp=stamp,
                    default=view is None or view.default,
                    asked=asked,
                    shown=Shown.of(scope, timeline), stored=stored, source=source)


def restamp(g: Prepared, engine) -> None:
    """Say that `g`'s stored drawing shows the data `g` read (no layout: its source is the same)."""
    try:
        layouts.restamp(engine, key=g.key, stamp=g.stamp, facts=g.shown.facts())
    except Exception:  # noqa: BLE001 - the drawing is still served; the next reader tries again
        log.exception("restamping the layout of %s failed", g.scope_key)


def lay_out(g: Prepared) -> tuple[layouts.Drawing, float]:
    """Lay `g` out under the configured limits: the drawing (or the failure), and the seconds taken."""
    settings = get_settings()
    started = time.monotonic()
    drawing = layouts.lay_out(g.timeline, name=g.name, timeout=settings.graph_timeout_seconds,
                              memory_mb=settings.graph_memory_mb, source=g.source, **g.dot_kwargs)
    return drawing, time.monotonic() - started


def store(g: Prepared, engine, drawing: layouts.Drawing, seconds: float) -> None:
    """Keep `g`'s drawing (or its failure) for every later reader."""
    try:
        layouts.store(engine, key=g.key, scope=g.scope_key, lang=g.lang, drawing=drawing,
                      seconds=seconds, stamp=g.stamp, facts=g.shown.facts())
    except Exception:  # noqa: BLE001 - the drawing is still served; the next reader stores it
        log.exception("storing the layout of %s failed", g.scope_key)


def remember(g: Prepared, engine, drawing: layouts.Drawing) -> None:
    """Keep `drawing` of a view not stored (`g.default` false) in memory, for the data `g` read."""
    memory.keep_drawing(g.key, drawing)
    memory.keep_view(engine, g.stamp, g.asked, g.lang, g.key, g.shown)


def keep(g: Prepared, engine, drawing: layouts.Drawing, seconds: float) -> None:
    """Keep `g`'s drawing (or its failure) for every later reader: stored if `g` is a default
    view, else in this worker's memory."""
    if g.default:
        store(g, engine, drawing, seconds)
    else:
        remember(g, engine, drawing)


def draw(g: Prepared, engine) -> layouts.Drawing:
    """Lay `g` out under the configured limits and keep the drawing (or the failure)."""
    drawing, seconds = lay_out(g)
    keep(g, engine, drawing, seconds)
    return drawing
