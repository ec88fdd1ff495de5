"""Ranges of sessions readers name are drawn and kept in the worker's memory, within a bound in
bytes; only the default views are stored. A burst of distinct ranges neither writes to the
database nor queues without end. Real SQLite files, the real `dot` (counted), and a `dot` that
waits for the test's word to play a slow layout."""

import os
import shutil
import stat
import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from fastapi.testclient import TestClient

from app.config import get_settings
from app.db import make_engine
from app.graph import drawings, layouts
from app.graph import scope as graph_scope
from app.i18n import t
from app.models import Document, GraphLayout, Organization
from app.web import urls
from tests.conftest import TEST_DB_URL, app_on
from tests.helpers import soup

REAL_DOT = shutil.which("dot")
pytestmark = pytest.mark.skipif(REAL_DOT is None, reason="Graphviz's dot is not installed")

# Thirty distinct ranges over the seed data's sessions (48-80), one to twelve sessions wide.
RANGES = [(a, a + w - 1) for a, w in ((48 + (i * 7) % 30, 1 + (i * 5) % 12) for i in range(30))]
assert len(set(RANGES)) == 30


@pytest.fixture
def engine(file_engine):
    """A SQLite file (conftest.file_engine): its size is measured, and drawings are stored on
    the layout thread."""
    return file_engine




@pytest.fixture
def waits(monkeypatch):
    """Readers wait for their drawing (as long as a test needs) unless told otherwise."""
    settings = get_settings()
    monkeypatch.setattr(settings, "graph_wait_seconds", 30.0)
    monkeypatch.setattr(settings, "graph_timeout_seconds", 20.0)
    return settings


def _stored(session) -> set[tuple[str, str]]:
    session.expire_all()
    return set(session.execute(select(GraphLayout.scope, GraphLayout.lang)).all())


def _rows(session) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(GraphLayout)).scalar_one()


def _disk(engine) -> int:
    """Bytes of the database on disk: the file and its write-ahead log."""
    path = engine.url.database
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def _svg_ok(r) -> bool:
    return r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.skipif(bool(TEST_DB_URL), reason="measures the SQLite file")
def test_thirty_ranges_leave_the_database_as_it_was(seeded, client, dot_runs, waits):
    """Each range is drawn and served (the page with its SVG, the SVG alone, in both languages),
    yet no row is added and the file does not grow: the earlier code added a row a range."""
    seeded.commit()
    rows, size = _rows(seeded), _disk(seeded.get_bind())
    for i, sessions in enumerate(RANGES):
        lang = ("zh", "en")[i % 2]
        if i % 3:
            assert _svg_ok(client.get(urls.graph_svg(sessions=sessions) + f"&lang={lang}")), sessions
        else:
            page = soup(client.get(urls.graph(sessions=sessions) + f"&lang={lang}"))
            assert page.select_one("figure.timeline-graph svg.timeline") is not None, sessions
    layouts.drawer.wait()
    assert dot_runs  # they were laid out, here and now
    assert _rows(seeded) == rows and _disk(seeded.get_bind()) == size


def test_a_range_asked_again_is_served_from_memory_without_dot(seeded, client, dot_runs, waits, monkeypatch):
    sessions = (59, 64)
    first = soup(client.get(urls.graph(sessions=sessions)))
    assert first.select_one("figure.timeline-graph svg.timeline") is not None and len(dot_runs) == 1
    layouts.drawer.wait()

    def unread(*_a, **_kw):
        raise AssertionError("the graph's documents were read")

    # Served by its name and the data version alone, as a stored drawing is.
    monkeypatch.setattr(graph_scope, "for_everything", unread)
    again = soup(client.get(urls.graph(sessions=sessions)))
    assert _svg_ok(client.get(urls.graph_svg(sessions=sessions)))
    assert again.select_one("p.graph-counts").get_text() == first.select_one("p.graph-counts").get_text()
    assert len(dot_runs) == 1
    assert _stored(seeded) == set()  # from memory: nothing was stored


def test_a_page_past_the_last_names_the_same_drawing(seeded, client, dot_runs, waits):
    """A page of lanes past the last is the last page: its drawing is found by its source's
    digest and laid out once, however many pages are named."""
    for page in (1, 7, 900):
        assert _svg_ok(client.get(urls.graph_svg(sessions=(59, 64), page=page)))
    assert len(dot_runs) == 1
    assert _stored(seeded) == set()


def test_memory_holds_no_more_than_its_bound_and_drops_the_least_recently_used():
    from app.graph.memory import Memory

    def drawing(n):
        return layouts.Drawing(svg=f"<svg>{n}</svg>" + "x" * 5_000, routing="spline")

    m = Memory(max_bytes=100_000)
    for n in range(5):
        m.keep_drawing(f"d{n}", drawing(n))
    assert m.drawing("d0") is not None  # read: now the most recently used
    n = 5
    while len(m) == n:  # until the first drawing is pushed out
        m.keep_drawing(f"d{n}", drawing(n))
        n += 1
        assert m.size <= 100_000
    assert m.drawing("d1") is None and m.drawing("d0") is not None and m.drawing(f"d{n - 1}") is not None
    for more in range(n, n + 50):  # about 250 KB more asked to be kept
        m.keep_drawing(f"d{more}", drawing(more))
        assert m.size <= 100_000
    assert len(m) < 25
    # a drawing over an eighth of the bound is not kept: it would push out many
    m.keep_drawing("big", layouts.Drawing(svg="x" * 10_000, routing="spline"))
    m.keep_drawing("huge", layouts.Drawing(svg="x" * 20_000, routing="spline"))
    assert m.drawing("big") is not None and m.drawing("huge") is None and m.size <= 100_000
    off = Memory(max_bytes=0)
    off.keep_drawing("d", drawing(0))
    assert len(off) == 0 and off.size == 0


def test_ranges_past_the_bound_are_forgotten_not_stored(seeded, client, dot_runs, waits, monkeypatch):
    """With room for a few drawings, thirty ranges keep the memory within its bound, the
    oldest are forgotten (laid out again when asked again), and nothing is stored."""
    from app.graph import memory as memory_module
    from app.graph.memory import memory

    assert _svg_ok(client.get(urls.graph_svg(sessions=RANGES[0])))
    layouts.drawer.wait()
    one = memory.size
    monkeypatch.setattr(memory, "_max_bytes", 4 * one)
    monkeypatch.setattr(memory_module, "MAX_SHARE", 1)
    for sessions in RANGES:
        assert _svg_ok(client.get(urls.graph_svg(sessions=sessions)))
        layouts.drawer.wait()
        assert memory.size <= 4 * one
    runs = len(dot_runs)
    assert runs > 4  # more drawings than the memory holds
    assert _svg_ok(client.get(urls.graph_svg(sessions=RANGES[0])))
    assert len(dot_runs) == runs + 1  # forgotten, so drawn again
    assert _stored(seeded) == set()


def test_default_views_are_stored_and_survive_a_restart(seeded, client, dot_runs, waits):
    """Stored: each organization's graph and the overall one without a range, in each language
    asked for; a range is not. After a restart (a new engine and an empty memory) the defaults are
    served from the database, with no layout."""
    defaults = [urls.graph() + "?lang=zh", urls.graph() + "?lang=en", urls.graph("SCO") + "?lang=zh",
                urls.graph_svg("SCO") + "?lang=en"]
    for url in defaults + [urls.graph(sessions=(59, 64)), urls.graph_svg(sessions=(50, 55))]:
        assert client.get(url).status_code == 200, url
    layouts.drawer.wait()
    assert _stored(seeded) == {("all", "zh"), ("all", "en"), ("org:SCO", "zh"), ("org:SCO", "en")}
    runs = len(dot_runs)

    from app.graph.memory import memory

    memory.clear()  # the worker's memory goes with it
    engine = make_engine(seeded.get_bind().url.render_as_string(hide_password=False))
    app = app_on(engine)
    try:
        with TestClient(app) as again:
            for url in defaults:
                r = again.get(url)
                assert r.status_code == 200 and "<svg" in r.text, url
    finally:
        app.dependency_overrides.clear()
        engine.dispose()
    assert len(dot_runs) == runs


def test_a_summarized_record_stores_its_usual_sessions_page_by_page(seeded, client, waits, monkeypatch):
    """In a record drawn as a summary the default views are the last sessions' pages of lanes,
    also when a reader names those very sessions; other sessions are not stored."""
    monkeypatch.setattr(graph_scope, "MAX_NODES", 6)
    monkeypatch.setattr(graph_scope, "LANES_PER_PAGE", 2)
    last = seeded.execute(select(func.max(Document.session))).scalar_one()
    usual = (last - graph_scope.DEFAULT_SESSIONS + 1, last)
    for url in (urls.graph() + "?lang=zh", urls.graph(page=2), urls.graph(sessions=usual) + "&lang=en",
                urls.graph(sessions=(59, 64)), urls.graph(sessions=(usual[0] - 1, usual[1]))):
        assert client.get(url).status_code == 200, url
    layouts.drawer.wait()
    key = f"all:{usual[0]}-{usual[1]}"
    assert _stored(seeded) == {(f"{key}:1", "zh"), (f"{key}:2", "zh"), (f"{key}:1", "en")}


def test_after_a_change_a_kept_range_is_laid_out_anew_not_served_stale(seeded, client, dot_runs, waits):
    sessions = (70, 78)  # SCO's draft A/77/L.107 stands in it
    assert "联合国同上海合作组织的合作" in client.get(urls.graph(sessions=sessions)).text
    layouts.drawer.wait()
    assert drawings.ready(seeded, None, "zh", sessions=sessions) is not None
    doc = seeded.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    doc.title = "联合国同上海合作组织的合作（修订）"
    seeded.add(doc)
    seeded.commit()
    assert drawings.ready(seeded, None, "zh", sessions=sessions) is None  # the kept view is not current
    runs = len(dot_runs)
    page = client.get(urls.graph(sessions=sessions))
    assert "联合国同上海合作组织的合作（修订）" in page.text
    assert len(dot_runs) == runs + 1
    assert _stored(seeded) == set()


# Ranges whose drawings differ in the seed data (many ranges draw the same documents, and one
# drawing is one layout whatever the range that asked for it).
DISTINCT = [(48, 48), (48, 59), (49, 49), (49, 59), (53, 64), (54, 65), (56, 67), (58, 69), (60, 71), (62, 73),
            (64, 75)]


def _blocking_dot(tmp_path, monkeypatch):
    """A `dot` that waits until the file it returns exists, then draws with the real one."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    release, pids = tmp_path / "release", tmp_path / "pids"
    script = bindir / "dot"
    script.write_text(f"#!/bin/sh\necho $$ >> {pids}\n"
                      f"while [ ! -e {release} ]; do sleep 0.05; done\nexec {REAL_DOT} \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return release, pids


def _lines(path) -> int:
    return len(path.read_text().split()) if path.exists() else 0


def test_a_burst_of_ranges_waits_in_a_bounded_queue_behind_the_default_views(seeded, client, dot_runs, tmp_path,
                                                                               monkeypatch):
    """One `dot` at a time; at most `graph_queue` ranges asked for at once, the others answered
    at once (the SVG: 503 and Retry-After; the page: the list, and why); a default view is still
    taken, and drawn before the ranges waiting."""
    settings = get_settings()
    monkeypatch.setattr(settings, "graph_wait_seconds", 0.0)
    monkeypatch.setattr(settings, "graph_queue", 3)
    keys = {drawings.prepare(seeded, None, "zh", url=urls.document, sessions=r).key for r in DISTINCT}
    assert len(keys) == len(DISTINCT)
    release, pids = _blocking_dot(tmp_path, monkeypatch)
    try:
        burst = DISTINCT[:10]
        busy = DISTINCT[10]
        answers = [client.get(urls.graph_svg(sessions=s)) for s in burst]
        assert all(r.status_code == 503 and r.headers["retry-after"] for r in answers)
        said = [r.json()["error"] for r in answers]
        assert said == [t("graph_pending", "zh")] * 3 + [t("graph_busy", "zh")] * 7
        page = soup(client.get(urls.graph(sessions=busy)))
        assert page.select_one("p.graph-message")["data-routing"] == "busy"
        assert page.select("section.graph-as-list li")
        assert layouts.drawer.asked() == (0, 3)
        sco = soup(client.get(urls.graph("SCO")))
        assert sco.select_one("p.graph-message")["data-routing"] == "pending"
        assert layouts.drawer.asked() == (1, 3)
        deadline = time.monotonic() + 20
        while _lines(pids) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _lines(pids) == 1  # the others wait for it
    finally:
        release.touch()
        layouts.drawer.wait()
    org = seeded.exec(select(Organization).where(Organization.acronym == "SCO")).one()
    assert dot_runs[1] == drawings.prepare(seeded, org, "zh", url=urls.document).source  # ahead of the ranges
    assert len(dot_runs) == 4 and layouts.drawer.asked() == (0, 0)
    assert _stored(seeded) == {("org:SCO", "zh")}
    assert _svg_ok(client.get(urls.graph_svg(sessions=burst[2])))  # kept
    assert len(dot_runs) == 4
