"""Timeline graphs laid out once per data version under hard limits, and what a reader gets when
Graphviz fails, hangs or eats memory: a simpler drawing or the documents as a list, never a 500,
never a process left behind. Fake `dot` programs on PATH play the failures; the real one draws."""

import os
import shutil
import signal
import stat
import sys
import threading
import time

import pytest
from sqlmodel import select

from app.web import urls
from app.config import get_settings
from app.graph import layouts
from app.graph import scope as graph_scope
from app.graph.dot import LayoutFailed, run_dot
from app.models import Document, GraphLayout, Organization
from tests.helpers import soup

REAL_DOT = shutil.which("dot")
pytestmark = pytest.mark.skipif(REAL_DOT is None, reason="Graphviz's dot is not installed")


@pytest.fixture
def engine(file_engine):
    """A SQLite file (conftest.file_engine): drawings are stored on the layout thread."""
    return file_engine


def _fake_dot(tmp_path, monkeypatch, body: str):
    """A `dot` on PATH ahead of the real one; it appends its pid to `pids`."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    script = bindir / "dot"
    script.write_text(f"#!/bin/sh\necho $$ >> {tmp_path / 'pids'}\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "pids"


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _pids(path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


@pytest.fixture
def limits(monkeypatch):
    settings = get_settings()

    def set_(timeout=20.0, wait=30.0, memory=1024):
        monkeypatch.setattr(settings, "graph_timeout_seconds", timeout)
        monkeypatch.setattr(settings, "graph_wait_seconds", wait)
        monkeypatch.setattr(settings, "graph_memory_mb", memory)

    set_()
    return set_




def test_a_graph_is_laid_out_once_and_then_served_from_storage(seeded, client, dot_runs, limits):
    first = client.get(urls.graph("SCO"))
    assert first.status_code == 200
    assert len(dot_runs) == 1
    svg = client.get(urls.graph_svg("SCO"))
    again = client.get(urls.graph("SCO"))
    assert svg.status_code == again.status_code == 200
    assert len(dot_runs) == 1  # the page, the raw SVG and a second visit: one layout
    assert soup(again).select_one("figure.timeline-graph svg.timeline") is not None
    layouts.drawer.wait()  # stored after its first reader had it
    rows = seeded.exec(select(GraphLayout)).all()
    assert [(r.scope, r.lang, r.routing) for r in rows] == [("org:SCO", "zh", "spline")]
    # another language is another drawing
    assert client.get(urls.graph("SCO") + "?lang=en").status_code == 200
    assert len(dot_runs) == 2


def test_a_changed_graph_is_drawn_anew_and_replaces_the_old_drawing(seeded, client, dot_runs, limits):
    client.get(urls.graph("SCO"))
    doc = seeded.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    doc.title = "联合国同上海合作组织的合作（修订）"
    seeded.add(doc)
    seeded.commit()
    page = client.get(urls.graph("SCO"))
    assert len(dot_runs) == 2
    assert "联合国同上海合作组织的合作（修订）" in page.text
    layouts.drawer.wait()
    seeded.expire_all()
    assert len(seeded.exec(select(GraphLayout).where(GraphLayout.scope == "org:SCO")).all()) == 1


def test_dot_failing_on_curved_edges_falls_back_to_straight_ones(seeded, client, tmp_path, monkeypatch, limits):
    # dot's real failure on some organizations' graphs, played until the edges are straight
    pids = _fake_dot(tmp_path, monkeypatch, (
        f'input=$(cat)\ncase "$input" in *"splines=line"*) printf "%s" "$input" | {REAL_DOT} "$@"; exit $?;; esac\n'
        'echo "Error: lost 12 34 edge; triangulation failed" >&2\nexit 1'))
    r = client.get(urls.graph("SCO"))
    assert r.status_code == 200
    page = soup(r)
    assert page.select_one("figure.timeline-graph svg.timeline") is not None
    assert len(page.select("svg.timeline g.doc")) >= 5
    assert page.select_one("p.graph-message")["data-routing"] == "line"
    assert len(_pids(pids)) == 3  # spline, polyline, line
    assert all(_gone(p) for p in _pids(pids))


def test_dot_that_always_fails_gives_the_documents_as_a_list_and_a_reason(seeded, client, tmp_path, monkeypatch, limits):
    _fake_dot(tmp_path, monkeypatch, 'cat > /dev/null\necho "Error: trouble in init_rank" >&2\nexit 1')
    r = client.get(urls.graph("SCO"))
    assert r.status_code == 200
    page = soup(r)
    assert page.select_one("svg.timeline") is None
    message = page.select_one("p.graph-message")
    assert message["data-routing"] == "failed" and "trouble in init_rank" in message.get_text()
    listed = {li["data-key"] for li in page.select("section.graph-as-list li")}
    assert {"A/RES/59/48", "A/RES/64/183", "A/77/L.107"} <= listed
    assert page.select_one("section.graph-as-list a[href='/documents/A/RES/64/183']") is not None
    svg = client.get(urls.graph_svg("SCO"))
    assert svg.status_code == 422 and "trouble in init_rank" in svg.json()["error"]


def test_dot_that_hangs_is_killed_at_its_time_limit(seeded, client, tmp_path, monkeypatch, limits):
    pids = _fake_dot(tmp_path, monkeypatch, "cat > /dev/null\nexec sleep 600")
    limits(timeout=0.5, wait=30)
    started = time.monotonic()
    r = client.get(urls.graph("CIS"))
    assert r.status_code == 200
    assert time.monotonic() - started < 15
    page = soup(r)
    assert page.select_one("p.graph-message")["data-routing"] == "failed"
    assert "timeout" in page.select_one("p.graph-message").get_text()
    assert page.select("section.graph-as-list li")
    assert len(_pids(pids)) == 3 and all(_gone(p) for p in _pids(pids))


def test_a_reader_does_not_wait_for_a_slow_layout(seeded, client, tmp_path, monkeypatch, limits):
    """Past the wait the page answers with the list and says the drawing is coming; the
    layout goes on in the background, under its own limit, and is gone after it."""
    pids = _fake_dot(tmp_path, monkeypatch, "cat > /dev/null\nexec sleep 600")
    limits(timeout=1.0, wait=0.2)
    started = time.monotonic()
    r = client.get(urls.graph("CSTO"))
    assert time.monotonic() - started < 3
    assert r.status_code == 200
    assert soup(r).select_one("p.graph-message")["data-routing"] == "pending"
    svg = client.get(urls.graph_svg("CSTO"))
    assert svg.status_code == 503 and svg.headers["retry-after"] and "error" in svg.json()
    deadline = time.monotonic() + 20
    while (len(_pids(pids)) < 3 or not all(_gone(p) for p in _pids(pids))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_pids(pids)) == 3 and all(_gone(p) for p in _pids(pids))


def test_a_layout_over_its_memory_limit_fails_instead_of_growing(tmp_path, monkeypatch):
    _fake_dot(tmp_path, monkeypatch, f'exec {sys.executable} -c "b = bytearray(2 * 1024 ** 3)"')
    started = time.monotonic()
    with pytest.raises(LayoutFailed):
        run_dot("digraph { a -> b }", timeout=20, memory_mb=200)
    assert time.monotonic() - started < 15


def test_a_drawing_reaches_its_readers_before_it_is_stored():
    """The first reader gets the drawing as soon as dot is done; storing it comes after, and
    meanwhile the graph counts as asked for, so no other reader lays it out again."""
    drawer = layouts.Drawer()
    release, stored = threading.Event(), []

    def store(drawing):
        assert release.wait(10)
        stored.append(drawing)

    future = drawer.submit("g", lambda: "drawing", then=store)
    assert future.result(timeout=10) == "drawing" and stored == []
    assert drawer.submit("g", lambda: pytest.fail("laid out twice")) is future
    release.set()
    drawer.wait()
    assert stored == ["drawing"]
    again = drawer.submit("g", lambda: "anew")
    assert again is not future and again.result(timeout=10) == "anew"


def test_a_failed_layout_reaches_its_readers_and_is_not_stored():
    drawer = layouts.Drawer()
    stored = []

    def fail():
        raise LayoutFailed("timeout")

    future = drawer.submit("g", fail, then=stored.append)
    with pytest.raises(LayoutFailed):
        future.result(timeout=10)
    drawer.wait()
    assert stored == [] and drawer.submit("g", lambda: "anew").result(timeout=10) == "anew"


REPORT_LIMITS = """cat > /dev/null
exec {python} -c '
import ctypes, resource, signal
sig = ctypes.c_int()
ctypes.CDLL(None).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
print(resource.getrlimit(resource.RLIMIT_AS)[1], resource.getrlimit(resource.RLIMIT_CPU)[1], sig.value)
'"""


@pytest.mark.parametrize("setpriv", [True, False], ids=["setpriv and prlimit", "in the forked child"])
def test_dot_starts_under_its_limits_either_way(tmp_path, monkeypatch, setpriv):
    """With util-linux's setpriv and prlimit (Debian) the limits are set by them; without, by the
    forked child. Either way dot runs with the memory and CPU limits, and dies with its thread."""
    from app import confine

    _fake_dot(tmp_path, monkeypatch, REPORT_LIMITS.format(python=sys.executable))
    if setpriv:
        assert confine._wrappers() is not None  # Debian's util-linux: the tests' machine has them
    else:
        monkeypatch.setattr(confine, "_wrappers", lambda: None)
    out = run_dot("digraph { a -> b }", timeout=4.2, memory_mb=300).split()
    assert [int(x) for x in out] == [300 * 1024 * 1024, 6, signal.SIGKILL]


def test_a_setpriv_that_cannot_set_the_signal_is_not_used(tmp_path, monkeypatch):
    """An older util-linux (before 2.33) has setpriv without --pdeathsig: dot is then started
    as before, from the forked child, rather than every layout failing."""
    from app import confine

    bindir = tmp_path / "old"
    bindir.mkdir()
    (bindir / "setpriv").write_text("#!/bin/sh\necho 'setpriv: unrecognized option' >&2\nexit 1\n")
    (bindir / "setpriv").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    confine._wrappers.cache_clear()
    try:
        assert confine._wrappers() is None
        assert b"<svg" in run_dot("digraph { a -> b }", timeout=20, memory_mb=512)
    finally:
        confine._wrappers.cache_clear()


def test_the_real_dot_lays_out_under_the_limits():
    svg = run_dot('digraph { a -> b [id="e"] }', timeout=20, memory_mb=512)
    assert b"<svg" in svg and b'id="e"' in svg


def test_the_whole_record_beyond_a_drawing_is_summarized(seeded, client, monkeypatch, limits):
    """Past `MAX_NODES` documents the overall graph draws a window of sessions and a page of
    lanes, with the most-cited shared documents; links page and zoom without JavaScript."""
    monkeypatch.setattr(graph_scope, "MAX_NODES", 6)
    monkeypatch.setattr(graph_scope, "LANES_PER_PAGE", 2)
    page = soup(client.get(urls.graph()))
    assert page.select_one("p.graph-summary") is not None
    assert len(page.select("svg.timeline g.doc")) <= 6
    lanes = {g["data-lane"] for g in page.select("svg.timeline g.doc")} - {"shared", "other"}
    assert lanes <= {"CIS", "CSTO"}
    next_link = page.select_one("nav.graph-lanes a[rel=next]")["href"]
    second = soup(client.get(next_link))
    assert {g["data-lane"] for g in second.select("svg.timeline g.doc")} - {"shared", "other"} <= {"SCO"}
    form = page.select_one("form.graph-range")
    assert form["method"] == "get" and {i["name"] for i in form.select("input")} == {"from", "to", "page"}
    zoomed = client.get(urls.graph(sessions=(59, 64)))
    assert zoomed.status_code == 200
    sessions = {int(g.get_text().split()[0]) for g in soup(zoomed).select("svg.timeline g.node.axis text")
                if g.get_text().split() and g.get_text().split()[0].isdigit()}
    assert sessions and sessions <= set(range(59, 65))


@pytest.mark.parametrize("query", ["?from=70&to=60", "?from=1&to=100", "?from=60", "?from=x&to=3"])
def test_a_bad_session_range_is_a_clear_400(seeded, client, query, limits):
    r = client.get("/graph" + query)
    assert r.status_code in (400, 422)
    assert r.status_code != 500


def _every_graph(session) -> list[tuple[object, dict]]:
    from app.chains.queries import organizations

    return [(o, {}) for o in organizations(session)] + [(None, {}), (None, {"sessions": (59, 64)})]


def _graph_url(org, kw) -> str:
    return urls.graph(org.acronym) if org is not None else urls.graph(**kw)


def test_a_current_drawing_is_served_without_reading_what_the_graph_shows(seeded, client, dot_runs, limits,
                                                                            monkeypatch):
    first = soup(client.get(urls.graph("SCO")))
    client.get(urls.graph_svg("SCO"))  # the same drawing: marked current by the layout thread
    layouts.drawer.wait()  # the restamp, if any, is done

    def unread(*_a, **_kw):
        raise AssertionError("the graph's documents were read")

    monkeypatch.setattr(graph_scope, "for_organization", unread)
    again = soup(client.get(urls.graph("SCO")))
    svg = client.get(urls.graph_svg("SCO"))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert again.select_one("figure.timeline-graph svg.timeline") is not None
    # the page says the same beside the drawing
    assert again.select_one("p.graph-counts").get_text() == first.select_one("p.graph-counts").get_text()
    assert len(dot_runs) == 1


def test_any_change_is_checked_again_and_only_what_changed_is_laid_out_anew(seeded, client, dot_runs, limits):
    """After a change, no drawing is served as current until its graph was read again; a graph
    whose Graphviz source is the same keeps its drawing (no layout), a changed one is redrawn."""
    from app.graph import drawings

    graphs = _every_graph(seeded)
    for org, kw in graphs:
        assert client.get(_graph_url(org, kw)).status_code == 200
        layouts.drawer.wait()

    def keys():
        seeded.expire_all()
        return {g.scope_key: g.key for g in (drawings.prepare(seeded, org, "zh", url=urls.document, **kw)
                                              for org, kw in graphs)}

    before, runs = keys(), len(dot_runs)
    assert all(drawings.ready(seeded, org, "zh", **kw) is not None for org, kw in graphs)

    doc = seeded.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    doc.title = "联合国同上海合作组织的合作（修订）"
    seeded.add(doc)
    seeded.commit()
    # nothing is current any more: none is served without its graph read again
    assert all(drawings.ready(seeded, org, "zh", **kw) is None for org, kw in graphs)
    pages = {}
    for org, kw in graphs:
        pages[_graph_url(org, kw)] = client.get(_graph_url(org, kw))
        # the tests' one SQLite connection is shared by every thread: one writer at a time
        layouts.drawer.wait()
    after = keys()
    changed = {scope for scope in before if before[scope] != after[scope]}
    assert "org:SCO" in changed and len(changed) < len(before)
    assert len(dot_runs) - runs == len(changed)  # a layout exactly for each graph that changed
    assert "联合国同上海合作组织的合作（修订）" in pages[urls.graph("SCO")].text
    # each drawing now current again, and the one served is the one its source gives
    for org, kw in graphs:
        ready = drawings.ready(seeded, org, "zh", **kw)
        g = drawings.prepare(seeded, org, "zh", url=urls.document, **kw)
        assert ready is not None and ready.drawing.svg == g.drawing.svg
        assert ready.shown == g.shown


def test_a_change_by_any_writer_advances_the_data_version(seeded):
    from sqlalchemy import text

    from app import data_version

    seen = [data_version.current(seeded)]
    doc = seeded.exec(select(Document).where(Document.symbol == "A/77/L.107")).one()
    for sql in ("UPDATE document SET title_en = 'x' WHERE id = :id",
                "DELETE FROM citation WHERE citing_id = :id",
                "UPDATE organization SET name_en = name_en || ' ' WHERE id = (SELECT min(id) FROM organization)"):
        seeded.execute(text(sql), {"id": doc.id})
        seeded.commit()
        seen.append(data_version.current(seeded))
    assert seen == sorted(set(seen)) and len(seen) == 4


def test_a_drawing_stored_by_other_code_is_checked_again(seeded, client, dot_runs, limits, monkeypatch):
    from app.graph import drawings

    assert client.get(urls.graph("SCO")).status_code == 200
    layouts.drawer.wait()
    org = graph_scope.OrgRow(*seeded.exec(select(Organization.id, Organization.acronym, Organization.name_zh,
                                                 Organization.name_en, Organization.observer_symbol)
                                          .where(Organization.acronym == "SCO")).one())
    assert drawings.ready(seeded, org, "zh") is not None
    monkeypatch.setattr(layouts, "code_version", lambda: "other code")
    assert drawings.ready(seeded, org, "zh") is None
    assert client.get(urls.graph("SCO")).status_code == 200
    layouts.drawer.wait()
    assert drawings.ready(seeded, org, "zh") is not None
    assert len(dot_runs) == 1  # the same source: restamped, not laid out again
