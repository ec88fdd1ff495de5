"""Layouts drawn once per data version, kept, and served from where they are kept.

The default views of each graph (app/graph/drawings.py: `Prepared.default`) are stored in the
database, as below; the views readers name besides (ranges of sessions) are kept the same way in
the worker's memory only, within a bound (app/graph/memory.py).

A drawing is keyed by the digest of the Graphviz source it was laid out from: the source holds
every node, edge, label and lane, so a change to any document a graph shows gives a new digest
and a new drawing, and an unchanged graph is never laid out twice, by any worker. The newest
drawing of a graph replaces the older ones (`scope` and `lang` name the graph).

Building that source means reading everything the graph shows, which costs a page more than
serving the drawing. So a drawing is also stamped with the data version it was found to show
(app/data_version.py: every change to organizations, documents or citations advances it): while
the stamp is current, a page reads the drawing by its graph's name alone (`current`). After a
change, the graph's first reader builds the source again: the same digest only restamps the
drawing (`restamp`), another one lays it out anew.

Layouts run in one background thread per worker (`Drawer`), never in a request: a request that
finds no drawing asks for one and waits for it a short while without holding a thread or a
database connection (`LINEAGE_GRAPH_WAIT_SECONDS`); past that it answers with the chain as a
list and says the drawing is on its way. The thread runs one `dot` at a time, and the layouts
asked for wait in bounded queues (`Drawer`): past them a reader gets the list at once.
Each layout runs under `app.graph.dot`'s limits. When
dot fails or runs out of time with curved edges, the same graph is tried with polyline and then
straight edges; when all fail, the failure is stored too (a reader gets the list and the reason,
and the layout is not retried until the graph changes).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.config import get_settings
from app.graph.dot import LayoutFailed, run_dot
from app.models import DataVersion, GraphLayout, utcnow
from app.graph import layout as graph

T = TypeVar("T")

log = logging.getLogger(__name__)

# Bump when the drawing code changes what it makes of the same source: old drawings are redrawn.
LAYOUT_VERSION = "1"
ROUTINGS = ("spline", "polyline", "line")  # tried in this order
MAX_PENDING = 64  # layouts of default views asked for and not yet drawn, per worker; more are refused


@dataclass
class Drawing:
    svg: str | None  # the finished SVG document, or None: show the list
    routing: str  # spline | polyline | line | failed | pending | busy
    message: str | None = None  # why there is no drawing, or which edges it fell back to


def digest(source: str, name: str) -> str:
    return hashlib.sha256(f"{LAYOUT_VERSION}\n{name}\n{source}".encode("utf-8")).hexdigest()


def lay_out(timeline: graph.Timeline, *, name: str, timeout: float, memory_mb: int, source: str | None = None,
            **dot_kwargs) -> Drawing:
    """Run dot on the timeline, falling back to simpler edge routing; never raises but for a
    missing Graphviz. `source`: the timeline's Graphviz source, when already built."""
    reasons = []
    for routing in ROUTINGS:
        if routing == "spline" and source is not None:
            text = source
        else:
            g = graph.to_dot(timeline, **dot_kwargs)
            if routing != "spline":
                g.attr(splines=routing)
            text = g.source
        try:
            raw = run_dot(text, timeout=timeout, memory_mb=memory_mb)
        except LayoutFailed as exc:
            reasons.append(f"{routing}: {exc.reason}")
            log.warning("dot failed (%s edges): %s", routing, exc.reason)
            continue
        try:
            svg = graph.finish_svg(raw, timeline, name=name)
        except Exception as exc:  # noqa: BLE001 - output dot wrote but XML cannot read
            reasons.append(f"{routing}: unreadable SVG ({type(exc).__name__})")
            continue
        return Drawing(svg=svg, routing=routing, message="; ".join(reasons) or None)
    return Drawing(svg=None, routing="failed", message="; ".join(reasons))


# The code and words that make a drawing out of the data: the source's shape, what is drawn, the
# labels, the session axis, the links, the translations. Read as files (nothing here imports the web).
_CODE = ("app/graph/layout.py", "app/graph/scope.py", "app/graph/drawings.py", "app/documents/labels.py",
         "app/calendar.py", "app/web/urls.py")


def _code_version() -> str:
    """A digest of the code that draws (`_CODE`): a drawing stored by other code is not current,
    and its first reader compares its source's digest (laid out again only if the source changed)."""
    from app.config import PROJECT_ROOT

    h = hashlib.sha256()
    catalogs = sorted((PROJECT_ROOT / "locales").glob("*/LC_MESSAGES/messages.po"))
    for path in [*(PROJECT_ROOT / f for f in _CODE), *catalogs]:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@functools.cache
def code_version() -> str:
    return _code_version()


def stamp(data_version: int | None) -> str | None:
    """What a drawing is stamped with: the data version it shows, and the version of the code that
    drew it. None: no data version, so nothing is current."""
    return None if data_version is None else f"{LAYOUT_VERSION}:{code_version()}:{data_version}"


@dataclass
class Stored:
    drawing: Drawing
    digest: str
    stamp: str | None
    facts: dict | None


def load(session: Session, key: str) -> Stored | None:
    row = session.execute(
        select(GraphLayout.svg, GraphLayout.routing, GraphLayout.message, GraphLayout.stamp, GraphLayout.facts)
        .where(GraphLayout.digest == key)
    ).first()
    if row is None:
        return None
    return Stored(Drawing(svg=row.svg, routing=row.routing, message=row.message), key, row.stamp, row.facts)


def current(session: Session, *, scope: str, lang: str) -> tuple[Stored | None, int | None]:
    """The drawing of a graph stored as showing the data as they are now (its stamp is the
    current data version), and that version, in one statement; (None, version) when there is
    no such drawing or it may be out of date; (None, None) without a data version."""
    layout = GraphLayout.__table__
    row = session.execute(
        select(DataVersion.version, GraphLayout.digest, GraphLayout.svg, GraphLayout.routing, GraphLayout.message,
               GraphLayout.stamp, GraphLayout.facts)
        .select_from(DataVersion.__table__.outerjoin(layout, and_(layout.c.scope == scope, layout.c.lang == lang)))
        .where(DataVersion.id == 1)
    ).first()
    if row is None:
        return None, None
    if row.digest is None or row.stamp is None or row.facts is None or row.stamp != stamp(row.version):
        return None, row.version
    drawing = Drawing(svg=row.svg, routing=row.routing, message=row.message)
    return Stored(drawing, row.digest, row.stamp, row.facts), row.version


def store(engine: Engine, *, key: str, scope: str, lang: str, drawing: Drawing, seconds: float,
          stamp: str | None = None, facts: dict | None = None) -> None:
    """Keep `drawing` as the graph's current one; older drawings of the same graph go."""
    with Session(engine) as s:
        s.execute(delete(GraphLayout).where(GraphLayout.scope == scope, GraphLayout.lang == lang,
                                            GraphLayout.digest != key))
        if s.execute(select(GraphLayout.id).where(GraphLayout.digest == key)).first() is None:
            s.add(GraphLayout(digest=key, scope=scope, lang=lang, svg=drawing.svg, routing=drawing.routing,
                              message=drawing.message, seconds=round(seconds, 3), created_at=utcnow(),
                              stamp=stamp, facts=facts))
        else:
            s.execute(update(GraphLayout).where(GraphLayout.digest == key).values(stamp=stamp, facts=facts))
        try:
            s.commit()
        except IntegrityError:  # another worker stored the same drawing first
            s.rollback()


def restamp(engine: Engine, *, key: str, stamp: str | None, facts: dict) -> None:
    """The drawing `key` was found to show the data of `stamp`: say so, without laying it out."""
    with Session(engine) as s:
        s.execute(update(GraphLayout).where(GraphLayout.digest == key).values(stamp=stamp, facts=facts))
        s.commit()


class Drawer:
    """One layout at a time per worker, each asked for once however many readers ask.

    Two queues, both bounded. The default views (each organization's graph, the overall one's
    pages as first shown: a set the data bound) and restamps go first, up to MAX_PENDING asked
    for at once. Views readers name (ranges of sessions: any number of them, by anyone) go after,
    at most `LINEAGE_GRAPH_QUEUE` asked for at once: a burst of distinct ranges neither makes a
    queue without end nor holds the default drawings up. Beyond either bound the answer is no
    (None), and the reader gets the list."""

    def __init__(self, *, later_max: int | None = None):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-layout")
        self._pending: dict[str, Future] = {}
        self._queues: tuple[deque, deque] = (deque(), deque())  # first, later
        self._later = 0  # of `_pending`, the jobs asked for with `later`
        self._later_max = later_max  # None: the setting, read at each submit
        self._lock = threading.Lock()

    def _later_limit(self) -> int:
        return self._later_max if self._later_max is not None else get_settings().graph_queue

    def submit(self, key: str, job: Callable[[], T], then: Callable[[T], None] | None = None, *,
               later: bool = False) -> Future | None:
        """The future result of `key`'s job (one already asked for, or a new one); None when too
        many of its kind (`later` or not) wait already. `then(result)` runs after the result is
        handed to whoever waits for it (storing a drawing need not hold up its first reader), and
        the key stays asked for until it is done, so no reader lays the same graph out again
        meanwhile."""
        limit = self._later_limit() if later else MAX_PENDING
        with self._lock:
            fut = self._pending.get(key)
            if fut is not None:
                return fut
            if (self._later if later else len(self._pending) - self._later) >= limit:
                return None
            fut = self._pending[key] = Future()
            self._later += later
            item = (key, fut, job, then, later)
            self._queues[later].append(item)
        try:
            self._pool.submit(self._run_next)
        except BaseException:  # the pool is shut down (the worker is stopping)
            with self._lock:
                if item in self._queues[later]:
                    self._queues[later].remove(item)
            self._forget(key, later)
            raise
        return fut

    def _run_next(self) -> None:
        """Run the first job waiting (the pool runs this once per job asked for)."""
        with self._lock:
            key, fut, job, then, later = (self._queues[0] or self._queues[1]).popleft()
        try:
            if not fut.set_running_or_notify_cancel():
                return  # cancelled before it started: nobody waits for it
            try:
                result = job()
            except BaseException as exc:  # noqa: BLE001 - handed to the readers who wait
                fut.set_exception(exc)
                return
            fut.set_result(result)
            if then is not None:
                try:
                    then(result)
                except Exception:  # noqa: BLE001 - the readers have their result; say what failed after
                    log.exception("after the layout of %s", key)
        finally:
            self._forget(key, later)

    def _forget(self, key: str, later: bool) -> None:
        with self._lock:
            if self._pending.pop(key, None) is not None:
                self._later -= later

    def asked(self) -> tuple[int, int]:
        """How many jobs are asked for and not done: (first, later)."""
        with self._lock:
            return len(self._pending) - self._later, self._later

    def wait(self) -> None:
        """Until every job asked for so far is done, storing included (a job asked for later
        may run first: the pool is gone through again until none of them is left)."""
        with self._lock:
            asked = dict(self._pending)
        while True:
            self._pool.submit(lambda: None).result()
            with self._lock:
                if not any(self._pending.get(key) is fut for key, fut in asked.items()):
                    return


drawer = Drawer()
