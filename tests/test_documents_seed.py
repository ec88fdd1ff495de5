"""The seed data: facts with their sources, idempotent loading, facts derived from citations."""

import datetime as dt
import json
import re

from sqlmodel import func, select

from app.documents import queries
from app.documents.store import seed
from app.models import Citation, Document, Organization


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _sources(fact):
    if isinstance(fact, dict):
        if "quote" in fact:
            yield fact
        for v in fact.values():
            yield from _sources(v)
    elif isinstance(fact, list):
        for v in fact:
            yield from _sources(v)


def test_every_fact_quotes_its_source(seed_dir):
    facts = json.loads((seed_dir / "facts.json").read_text(encoding="utf-8"))
    sources = list(_sources(facts))
    assert len(sources) > 30
    for src in sources:
        if "file" in src:
            text = (seed_dir / src["file"]).read_text(encoding="utf-8")
            assert _squash(src["quote"]) in _squash(text), src
        else:
            assert src["ref"] == "project brief"


def test_every_seed_text_has_facts(seed_dir):
    facts = json.loads((seed_dir / "facts.json").read_text(encoding="utf-8"))
    listed = {d["file"] for d in facts["documents"]}
    assert listed == {p.name for p in seed_dir.glob("*.txt")}


def _snapshot(session):
    docs = session.exec(select(Document).order_by(Document.key)).all()
    cits = session.exec(select(Citation).order_by(Citation.citing_id, Citation.position)).all()
    return (
        [(d.id, d.key, d.symbol, d.date, d.updated_at, d.became_id) for d in docs],
        [(c.id, c.citing_id, c.cited_symbol, c.verb, c.cited_date) for c in cits],
    )


def test_seeding_twice_changes_nothing(session, seed_dir):
    first = seed(session, seed_dir)
    assert first["documents"] == 5 and first["organizations"] == 3
    before = _snapshot(session)
    second = seed(session, seed_dir)
    assert second["changed"] == 0
    assert _snapshot(session) == before


def test_dates_of_cited_resolutions_come_from_the_citations(read_session):
    r = queries.by_symbol(read_session, "A/RES/64/183")
    assert r.text is None
    assert (r.date, r.date_source) == (dt.date(2009, 12, 18), "citation")
    assert queries.by_symbol(read_session, "A/RES/64/256").date == dt.date(2010, 3, 2)
    assert queries.by_symbol(read_session, "A/RES/48/237").date == dt.date(1994, 3, 24)


def test_drafts_point_to_the_resolution_they_became(read_session):
    letter = queries.by_ref(read_session, "seed-000-02a8ab7b9388f710")
    assert read_session.get(Document, letter.became_id).symbol == "A/RES/64/183"
    csto = queries.by_ref(read_session, "seed-002-cad8b63664231793")
    assert read_session.get(Document, csto.became_id).symbol == "A/RES/64/256"
    # The texts say nothing of what the CIS draft or the 71st-session CSTO draft became.
    assert queries.by_ref(read_session, "seed-003-ab0cfefe5dc38822").became_id is None
    assert queries.by_ref(read_session, "seed-004-5f2f1bc2f128ea34").became_id is None


def test_the_71st_session_csto_draft_has_no_invented_symbol(read_session):
    draft = queries.by_ref(read_session, "seed-004-5f2f1bc2f128ea34")
    assert draft.symbol is None and draft.date is None and draft.session == 71
    assert draft.kind == "draft_resolution"


def test_organizations_carry_their_observer_resolution(read_session):
    orgs = {o.acronym: o for o in read_session.exec(select(Organization)).all()}
    assert {a: o.observer_symbol for a, o in orgs.items()} == {
        "SCO": "A/RES/59/48", "CSTO": "A/RES/59/50", "CIS": "A/RES/48/237"
    }
    assert orgs["SCO"].name_zh == "上海合作组织"


def test_no_citation_without_its_document(read_session):
    orphans = read_session.exec(
        select(func.count()).select_from(Citation).where(Citation.cited_id.is_(None))
    ).one()
    assert orphans == 0
