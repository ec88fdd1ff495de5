"""Drawings that are not stored: kept in this worker's memory, least recently used first out,
within `LINEAGE_GRAPH_CACHE_MB`.

Only the default views of a graph are stored in the database (`Prepared.default` in
app/graph/drawings.py). Any other view (a range of sessions a reader asked for) can be asked for
in tens of thousands of ways, by anyone; stored, each would add a row of a drawing for ever.
Kept here instead, they cost at most the bound per worker, nothing on disk, and go with it.

Two kinds of entries share the bound:
- a drawing, by the digest of the Graphviz source it was laid out from (app/graph/layouts.py):
  everything it shows is in that source, so it is right whatever changed since;
- a view: (database, stamp, graph's name, language) -> that digest and what the page says beside
  the drawing. The stamp holds the data version (app/data_version.py), which every change to the
  data advances: a view kept before a change is never found after it (it only ages out), and
  the graph's first reader after the change reads what it shows again; if its source is the
  same, its digest finds the drawing here without another layout.

The database is named by its engine (a token per engine object), so that two databases in one
process (the tests') never answer for each other.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from collections import OrderedDict

from app.config import get_settings

ENTRY_OVERHEAD = 400  # bytes of Python objects per entry, beyond its strings
VIEW_OVERHEAD = 1000  # and a view's: its key, and what the page says beside the drawing
MAX_SHARE = 8  # a drawing over 1/MAX_SHARE of the bound is not kept: it would push out too many


def _drawing_cost(digest: str, drawing) -> int:
    return ENTRY_OVERHEAD + sys.getsizeof(digest) + sum(
        sys.getsizeof(s) for s in (drawing.svg, drawing.message, drawing.routing) if s is not None)


class Memory:
    """A byte-bounded LRU of drawings and views; safe to use from any thread."""

    def __init__(self, max_bytes: int | None = None):
        self._max_bytes = max_bytes  # None: the setting, read at each write
        self._entries: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()
        self._tokens: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._numbers = itertools.count(1)

    @property
    def max_bytes(self) -> int:
        if self._max_bytes is not None:
            return self._max_bytes
        return get_settings().graph_cache_mb * 1024 * 1024

    def _database(self, engine) -> int:
        with self._lock:
            token = self._tokens.get(engine)
            if token is None:
                token = self._tokens[engine] = next(self._numbers)
            return token

    def _get(self, key: tuple):
        hit = self._entries.get(key)
        if hit is None:
            return None
        self._entries.move_to_end(key)
        return hit[0]

    def _put(self, key: tuple, value, cost: int) -> None:
        limit = self.max_bytes
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old[1]
        if cost > limit // MAX_SHARE:
            return
        self._entries[key] = (value, cost)
        self.size += cost
        while self.size > limit and self._entries:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.size -= dropped

    def drawing(self, digest: str):
        """The drawing laid out from the source of `digest`, if kept."""
        with self._lock:
            return self._get(("drawing", digest))

    def keep_drawing(self, digest: str, drawing) -> None:
        with self._lock:
            self._put(("drawing", digest), drawing, _drawing_cost(digest, drawing))

    def view(self, engine, stamp: str | None, scope: str, lang: str):
        """(drawing, what the page says beside it) of the graph `scope` in `lang`, kept for the
        data of `stamp` in `engine`'s database; None if not kept (or its drawing went)."""
        if stamp is None:
            return None
        key = ("view", self._database(engine), stamp, scope, lang)
        with self._lock:
            found = self._get(key)
            if found is None:
                return None
            digest, shown = found
            drawing = self._get(("drawing", digest))
            return None if drawing is None else (drawing, shown)

    def keep_view(self, engine, stamp: str | None, scope: str, lang: str, digest: str, shown) -> None:
        """Say that, for the data of `stamp`, the graph `scope` in `lang` is the drawing `digest`."""
        if stamp is None:  # no data version: nothing is current
            return
        key = ("view", self._database(engine), stamp, scope, lang)
        with self._lock:
            self._put(key, (digest, shown), VIEW_OVERHEAD + sum(sys.getsizeof(s) for s in (stamp, scope, digest)))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0


memory = Memory()
