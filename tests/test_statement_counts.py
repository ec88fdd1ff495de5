"""Each page runs a fixed number of SQL statements, whatever the size of the record.

Every page kind is asked once on the seed data and once on a corpus from bench/generate.py
(a fiftieth of scale 1: 400 documents, 4,800 citations, four series), and the statements each
runs are counted (SQLAlchemy's `before_cursor_execute`). A page that loops over the record, or
over its own rows, runs more statements on the larger corpus and fails here.
"""

import subprocess
import sys
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlmodel import Session, SQLModel

from app.config import PROJECT_ROOT
from app.chains.queries import organization
from app.db import make_engine
from app.documents.store import seed
from app.graph import drawings
from app.web import urls as u
from tests.conftest import app_on

SEED_DIR = PROJECT_ROOT / "seed_data"
# Small enough for the suite, large enough that every list holds more than the seed's few rows.
GENERATED_SCALE = "0.02"
# A page needs a few statements; none needs more than this.
MOST = 12


def _seed_engine(path):
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session, SEED_DIR)
    return engine


def _generated_engine(path):
    subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "generate.py"), "--scale", GENERATED_SCALE,
                    "--out", str(path), "--force"], check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    return make_engine(f"sqlite:///{path}")


def _urls(engine) -> dict[str, str]:
    """One URL of every page kind, picked alike in both records so that the pages have the same
    parts: a chain with a draft that became a resolution, the most cited document without a text,
    two texts known by their keys."""
    with engine.connect() as conn:
        one = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
        acronym = one("""SELECT o.acronym FROM organization o JOIN chain_member m ON m.organization_id = o.id
            JOIN document d ON d.id = m.document_id WHERE d.became_id IS NOT NULL ORDER BY o.acronym LIMIT 1""")
        cited = one("""SELECT d.symbol FROM document d JOIN citation c ON c.cited_id = d.id
            WHERE d.symbol IS NOT NULL AND d.text IS NULL GROUP BY d.id ORDER BY count(*) DESC, d.id LIMIT 1""")
        a, b = [r[0] for r in conn.execute(text("""SELECT key FROM document WHERE text IS NOT NULL
            AND symbol IS NULL ORDER BY id LIMIT 2"""))]
        # a text that cites and that nothing cites yet (as every seed text), with no draft behind
        # it and no facts from sources
        a_text = one("""SELECT coalesce(d.symbol, d.key) FROM document d WHERE d.text IS NOT NULL
            AND d.became_id IS NULL AND NOT d.public_facts
            AND EXISTS (SELECT 1 FROM citation c WHERE c.citing_id = d.id)
            AND NOT EXISTS (SELECT 1 FROM citation c WHERE c.cited_id = d.id) ORDER BY d.id LIMIT 1""")
    doc = quote(cited, safe="/()")
    return {
        "home": "/",
        "chain": f"/organizations/{acronym}",
        "chain as of": f"/organizations/{acronym}?as_of=70",
        "chain as of a date": f"/organizations/{acronym}?as_of=2015-01-01",
        "document": f"/documents/{doc}",
        "document with a text": f"/documents/{quote(a_text, safe='/()')}",
        "search text": "/search?q=" + quote("合作"),
        "search symbol": "/search?q=" + quote("第99999/1号"),
        "anomalies": "/anomalies",
        "unresolved": "/unresolved",
        "diff": f"/diff/{a}...{b}",
        "organization feed": f"/organizations/{acronym}/feed.atom",
        "citing feed": f"/documents/{doc}/citing.atom",
        "api organizations": "/api/organizations",
        "api chain": f"/api/organizations/{acronym}/chain",
        "api document": f"/api/documents/{doc}",
        "api search": "/api/search?q=" + quote("合作"),
        "api symbols": "/api/symbols?q=" + quote(cited),
        "organization graph": u.graph(acronym),
        "organization graph svg": u.graph_svg(acronym),
        "graph sessions": u.graph(sessions=_sessions(engine)),
        "graph sessions svg": u.graph_svg(sessions=_sessions(engine)),
        "graph lanes": u.graph(sessions=_sessions(engine), page=2),
    }


def _sessions(engine) -> tuple[int, int]:
    """The overall graph's last six sessions: a summary in both records (a range is asked for)."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(session) FROM document")).scalar_one()
    return last - 5, last


def _draw(engine, urls: dict[str, str]) -> None:
    """Lay the graphs out first, as `lineage draw-graphs` does: a page then reads its drawing,
    and no layout runs in the background while its statements are counted."""
    acronym = urls["chain"].rsplit("/", 1)[1]
    with Session(engine) as s:
        for org, kw in ((organization(s, acronym), {}), (None, {"sessions": _sessions(engine)}),
                        (None, {"sessions": _sessions(engine), "page": 2})):
            g = drawings.prepare(s, org, "zh", url=u.document, **kw)
            assert drawings.draw(g, engine).svg, g.scope_key


def _counts(engine) -> dict[str, int]:
    app = app_on(engine)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    _draw(engine, _urls(engine))
    event.listen(engine, "before_cursor_execute", count)
    counts = {}
    try:
        with TestClient(app) as client:
            for kind, url in _urls(engine).items():
                statements.clear()
                response = client.get(url, follow_redirects=False)
                assert response.status_code in (200, 303), (kind, url, response.status_code)
                counts[kind] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        app.dependency_overrides.clear()
    return counts


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("statements")
    seeded, generated = _seed_engine(folder / "seed.db"), _generated_engine(folder / "generated.db")
    try:
        yield _counts(seeded), _counts(generated)
    finally:
        seeded.dispose()
        generated.dispose()


def test_every_page_runs_as_many_statements_on_a_larger_record(counted):
    on_seed, on_generated = counted
    assert on_generated == on_seed


def test_every_page_runs_a_few_statements(counted):
    on_seed, _ = counted
    assert {kind: n for kind, n in on_seed.items() if n > MOST} == {}
