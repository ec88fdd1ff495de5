"""The read model (app/chains/readmodel.py): what the writer keeps equals what a rebuild computes.

A Hypothesis state machine applies random histories of adds, admin edits, deletes, restores from
the audit log, bulk imports (with a bad line now and then), an admin's answers to the values
commands brought for fields they set, and organization changes to a small world of symbols, and
after every step compares every derived row with a rebuild from the documents and citations, and
each stored chain page with a fresh render of its rows.
READMODEL_EXAMPLES sets how many histories (default 30).
"""

import datetime as dt
import os
import io
import json

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select
from sqlmodel import Session

from app.documents import audit, history
from app.exports.jsonl import import_jsonl
from app.chains import readmodel
from app.citations import Citation as Found
from app.documents.store import DocumentIn, StaleDocument, ingest_document, upsert_organization
from app.models import (
    AuditEntry,
    ChainAnomaly,
    ChainHtml,
    ChainMember,
    ChainSummary,
    CitedByOrganization,
    CitedCount,
    Document,
    Organization,
    UnresolvedCiter,
    UnresolvedSymbol,
)
from app.web import chain_html
from tests.conftest import _engine

ORGS = {
    "AAA": ("联合国同甲组织的合作", ["A/RES/60/1", "A/RES/61/1"]),
    "BBB": ("联合国同乙组织的合作", ["A/RES/50/1", "A/RES/62/2"]),
}
TEXTS = ["A/RES/60/1", "A/RES/61/1", "A/RES/62/2", "A/RES/63/3", "A/RES/64/4", "A/RES/66/6",
         "A/61/L.1", "A/62/L.2", "A/63/L.3"]
CITED_ONLY = ["A/RES/50/1", "A/RES/58/8", "S/RES/1631(2005)"]
DATES = st.one_of(st.none(), st.dates(dt.date(2003, 1, 1), dt.date(2013, 12, 31)))


def _kind(symbol: str) -> str:
    return "draft_resolution" if "/L." in symbol else "ga_resolution"


citation = st.fixed_dictionaries({
    "symbol": st.sampled_from(TEXTS + CITED_ONLY),
    "date": DATES,
    "series": st.sampled_from([None, "AAA", "BBB"]),
    "verb_class": st.sampled_from(["recall", "refer", "other"]),
})
document = st.fixed_dictionaries({
    "symbol": st.sampled_from(TEXTS),
    "organization": st.sampled_from([None, "AAA", "BBB"]),
    "session": st.one_of(st.none(), st.integers(58, 67)),
    "date": DATES,
    "became": st.one_of(st.none(), st.sampled_from(TEXTS[:6])),
    "citations": st.lists(citation, max_size=4),
})


def _found(spec: list[dict]) -> list[Found]:
    out = []
    for i, c in enumerate(spec):
        title = ORGS[c["series"]][0] if c["series"] else "有关问题"
        out.append(Found(
            symbol=c["symbol"], raw=c["symbol"], start=i, end=i + 1, verb="回顾", verb_class=c["verb_class"],
            date=c["date"], location="preamble", paragraph=f"回顾其关于{title}的第{c['symbol']}号决议，",
            paragraph_index=i, footnote=None, called_from=None, link=None,
        ))
    return out


def _data(spec: dict) -> DocumentIn:
    return DocumentIn(
        symbol=spec["symbol"], kind=_kind(spec["symbol"]), text=f"正文 {spec['symbol']} {len(spec['citations'])}",
        organization=spec["organization"], session=spec["session"], date=spec["date"],
        became=spec["became"] if _kind(spec["symbol"]) == "draft_resolution" else None,
    )


def derived_rows(session: Session) -> dict[str, list]:
    """Every derived row, in a stable order (anomaly ids are surrogate keys: left out)."""
    def rows(table, *order, skip=()):
        cols = [c for c in table.__table__.c if c.name not in skip]
        return [tuple(r) for r in session.execute(select(*cols).order_by(*order))]

    return {
        "members": rows(ChainMember, ChainMember.organization_id, ChainMember.position),
        "summaries": rows(ChainSummary, ChainSummary.organization_id),
        "anomalies": rows(ChainAnomaly, ChainAnomaly.organization_id, ChainAnomaly.seq, skip=("id",)),
        "counts": rows(CitedCount, CitedCount.document_id),
        "citing organizations": rows(CitedByOrganization, CitedByOrganization.document_id,
                                     CitedByOrganization.organization_id),
        "unresolved": rows(UnresolvedSymbol, UnresolvedSymbol.symbol),
        "citers": rows(UnresolvedCiter, UnresolvedCiter.symbol, UnresolvedCiter.citing_id),
        "dates": [tuple(r) for r in session.execute(
            select(Document.id, Document.date, Document.date_source).order_by(Document.id))],
        "chain html": rows(ChainHtml, ChainHtml.organization_id, ChainHtml.lang),
    }


def assert_chain_html_is_a_fresh_render(session: Session) -> None:
    """Every organization's stored chain, in every language, is what rendering its rows now gives,
    and of this version."""
    stored = {(r.organization_id, r.lang): r for r in session.execute(select(ChainHtml.__table__))}
    fresh = {(org_id, lang): html for org_id in session.execute(select(Organization.id)).scalars()
             for lang, html in chain_html.render(session, org_id).items()}
    assert set(stored) == set(fresh)
    for key, html in fresh.items():
        assert stored[key].version == chain_html.render_version(), key
        assert stored[key].html == html, key


def assert_matches_rebuild(session: Session) -> None:
    assert_chain_html_is_a_fresh_render(session)
    kept = derived_rows(session)
    readmodel.rebuild(session)
    rebuilt = derived_rows(session)
    session.rollback()
    for name in kept:
        assert kept[name] == rebuilt[name], name


class History(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.engine = _engine()
        self.session = Session(self.engine)
        for acronym, (title, observers) in ORGS.items():
            upsert_organization(self.session, acronym=acronym, name_zh=acronym, name_en=acronym,
                                observer_symbol=observers[0], series_titles=[title])
        self.session.commit()

    def teardown(self):
        self.session.close()

    def _with_text(self) -> list[Document]:
        return list(self.session.exec(select(Document).where(Document.text.is_not(None)).order_by(Document.id)).scalars())

    @rule(spec=document)
    def add_or_ingest(self, spec):
        try:  # as a command would (`lineage sync`): the fields an admin set stay theirs
            ingest_document(self.session, _data(spec), citations=_found(spec["citations"]), actor="lineage sync")
        except ValueError:
            self.session.rollback()

    @precondition(lambda self: self._with_text())
    @rule(data=st.data(), spec=document)
    def admin_edit(self, data, spec):
        doc = data.draw(st.sampled_from(self._with_text()))
        try:
            ingest_document(self.session, _data(spec), citations=_found(spec["citations"]), commit=False,
                            document_id=doc.id, expected_version=doc.version, actor="tester", admin=True)
            self.session.commit()
        except (ValueError, StaleDocument):
            self.session.rollback()

    @precondition(lambda self: self._with_text())
    @rule(data=st.data())
    def admin_delete(self, data):
        doc = data.draw(st.sampled_from(self._with_text()))
        audit.delete(self.session, doc, "tester", doc.version)

    @rule(data=st.data())
    def admin_restore(self, data):
        deleted = list(self.session.exec(
            select(AuditEntry).where(AuditEntry.action == "delete").order_by(AuditEntry.id)).scalars())
        if deleted:
            audit.restore(self.session, data.draw(st.sampled_from(deleted)), "tester")

    @rule(specs=st.lists(document, min_size=1, max_size=3), bad=st.booleans())
    def bulk_import(self, specs, bad):
        lines = []
        for spec in specs:
            d = _data(spec)
            lines.append(json.dumps({
                "symbol": d.symbol, "kind": d.kind, "text": d.text, "organization": d.organization,
                "session": d.session, "date": d.date.isoformat() if d.date else None, "became": d.became,
                "citations": [{**c, "date": c["date"].isoformat() if c["date"] else None,
                               "paragraph": f.paragraph, "paragraph_index": f.paragraph_index}
                              for c, f in zip(spec["citations"], _found(spec["citations"]))],
            }, ensure_ascii=False).replace('"series": null, ', "").replace('"series": "AAA", ', "")
                .replace('"series": "BBB", ', ""))
        if bad:
            lines.insert(1, json.dumps({"symbol": "A/RES/60/1", "citations": [{"symbol": "not a symbol"}]}))
        entries = self._entries("lineage import")
        report = import_jsonl(self.session, io.StringIO("\n".join(lines) + "\n"), batch_size=2)
        # an audit entry for each line that changed something, none for a refused one
        assert self._entries("lineage import") - entries == report.added + report.changed

    def _entries(self, username: str) -> int:
        return len(self.session.exec(select(AuditEntry.id).where(AuditEntry.username == username)).all())

    @rule(data=st.data(), accept=st.booleans())
    def answer_a_conflict(self, data, accept):
        waiting = history.open_conflicts(self.session, page=1, per_page=100)[0]
        if waiting:
            event("a conflict answered")
            c = data.draw(st.sampled_from(waiting))
            if accept:
                audit.accept(self.session, c.document_id, c.field, "tester", c.version)
            else:
                audit.keep(self.session, c.document_id, c.field)

    @invariant()
    def the_admins_values_stay(self):
        """A value a command brought for a field an admin set waits beside the admin's, which
        the document still has."""
        for c in history.open_conflicts(self.session, page=1, per_page=100)[0]:
            snap = audit.snapshot(self.session, self.session.get(Document, c.document_id))
            assert history.field_value(snap, c.field) == c.kept, c

    @rule(acronym=st.sampled_from(sorted(ORGS)), which=st.integers(0, 1))
    def change_observer(self, acronym, which):
        title, observers = ORGS[acronym]
        upsert_organization(self.session, acronym=acronym, name_zh=acronym, name_en=acronym,
                            observer_symbol=observers[which], series_titles=[title])
        self.session.commit()

    @invariant()
    def kept_rows_equal_a_rebuild(self):
        assert_matches_rebuild(self.session)


TestHistory = History.TestCase
TestHistory.settings = settings(
    max_examples=int(os.environ.get("READMODEL_EXAMPLES", 30)), stateful_step_count=10, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_seed_rows(seeded):
    """The seed: three chains, their lengths and ends as the home page showed them before, each
    run on by the links known only from public sources (seed_data/public_facts.json)."""
    import json

    from app.chains import reads
    from app.config import PROJECT_ROOT

    sourced = json.loads((PROJECT_ROOT / "seed_data" / "public_facts.json").read_text(encoding="utf-8"))
    new = {}
    for entry in sourced["documents"]:  # a document the file places in a series is a new link
        if entry.get("organization"):
            acronym = entry["organization"]["value"]
            new[acronym] = new.get(acronym, 0) + 1
    page = reads.organizations_page(seeded)
    assert [(o.acronym, o.length) for o in page.rows] == [
        ("CIS", 2 + new.get("CIS", 0)), ("CSTO", 7 + new.get("CSTO", 0)), ("SCO", 10 + new.get("SCO", 0))]
    assert page.rows[2].first.symbol == "A/RES/59/48"
    assert_matches_rebuild(seeded)


def test_rebuild_corrects_rows_written_behind_the_writers_back(seeded):
    """`lineage rebuild` restores derived rows that something other than the writer broke."""
    kept = derived_rows(seeded)
    seeded.execute(ChainMember.__table__.delete())
    seeded.execute(UnresolvedSymbol.__table__.delete())
    seeded.execute(CitedByOrganization.__table__.delete())
    seeded.commit()
    readmodel.rebuild(seeded)
    seeded.commit()
    assert derived_rows(seeded) == kept


def test_the_records_of_a_document_share_one_list_of_its_naming_fields():
    # Facts (the rules) and DocLabel (the pages) both start with DOCUMENT_FIELDS, read by the same columns
    from app.chains.reads import DocLabel, _label_columns

    names = tuple(name for name, _ in readmodel.DOCUMENT_FIELDS)
    assert readmodel.Facts._fields[:len(names)] == DocLabel._fields[:len(names)] == names
    assert [c.key for c in readmodel._FACT_COLUMNS[:len(names)]] == list(names)
    assert [c.key for c in _label_columns(Document.__table__.alias())[:len(names)]] == list(names)
def test_a_save_that_changes_no_fact_leaves_the_chains_citing_the_document_alone(seeded, monkeypatch):
    """A new title for a resolution that a chain cites but does not hold recomputes its own
    rows, not that chain; a new date (a fact the chain reads) reaches it. The rows equal a
    rebuild either way."""
    cited = ingest_document(seeded, DocumentIn(
        symbol="A/RES/70/5", kind="ga_resolution", session=70, date=dt.date(2015, 12, 7), title="有关问题",
        text="大会，\n注意到有关问题，\n")).document
    ingest_document(seeded, DocumentIn(
        symbol="A/RES/71/9", kind="ga_resolution", organization="SCO", session=71, date=dt.date(2016, 11, 21),
        text="大会，\n回顾其2015年12月7日第70/5号决议，\n"))
    sco = seeded.execute(select(ChainMember.organization_id).join(Document, Document.id == ChainMember.document_id)
                         .where(Document.symbol == "A/RES/71/9")).scalar_one()
    assert seeded.execute(select(ChainMember).where(ChainMember.document_id == cited.id)).first() is None

    recomputed: list[set[int]] = []
    compute = readmodel.compute_chains
    monkeypatch.setattr(readmodel, "compute_chains",
                        lambda s, ids: recomputed.append(set(ids or ())) or compute(s, ids))
    data, cits = audit.from_snapshot(audit.snapshot(seeded, cited))
    data.title = "新的标题"
    result = ingest_document(seeded, data, citations=cits, document_id=cited.id, expected_version=cited.version)
    assert result.changed and result.document.title == "新的标题"
    assert sco not in set().union(*recomputed)
    assert_matches_rebuild(seeded)

    recomputed.clear()
    data.date = dt.date(2015, 12, 8)
    ingest_document(seeded, data, citations=cits, document_id=cited.id,
                    expected_version=seeded.get(Document, cited.id).version)
    assert sco in set().union(*recomputed)
    assert_matches_rebuild(seeded)


def test_a_new_citer_of_a_chain_s_resolution_leaves_that_chain_alone(seeded, monkeypatch):
    """A document outside every chain that cites a chain's resolution changes that
    resolution's citers (its counts), not the chain: a bulk import's batch recomputes the chains
    its own documents are in, not every chain whose resolutions they cite."""
    member = seeded.execute(select(Document.id, Document.symbol, ChainMember.organization_id).join(
        ChainMember, ChainMember.document_id == Document.id).where(
        Document.symbol == "A/RES/64/183")).one()
    recomputed: list[set[int]] = []
    compute = readmodel.compute_chains
    monkeypatch.setattr(readmodel, "compute_chains",
                        lambda s, ids: recomputed.append(set(ids or ())) or compute(s, ids))
    ingest_document(seeded, DocumentIn(key="letter-9", kind="letter", text="回顾大会第64/183号决议，\n"))
    assert member.organization_id not in set().union(*recomputed)
    count = seeded.execute(select(CitedCount.citers).where(CitedCount.document_id == member.id)).scalar_one()
    assert count >= 1
    assert_matches_rebuild(seeded)


def test_a_symbol_taken_from_a_cited_only_document_keeps_the_organizations_citing_it(session):
    """An admin gives a letter the symbol that a text-less document held: the organization whose
    text cited that symbol now cites the letter."""
    org = next(iter(ORGS))
    title, observers = ORGS[org]
    upsert_organization(session, acronym=org, name_zh=org, name_en=org, observer_symbol=observers[0],
                        series_titles=[title])
    ingest_document(session, DocumentIn(symbol="A/RES/63/3", kind="ga_resolution", organization=org,
                                        text="正文", session=63), citations=_found([
        {"symbol": "A/RES/58/8", "date": None, "series": None, "verb_class": "recall"}]))
    letter = ingest_document(session, DocumentIn(key="letter-1", kind="letter", text="一封信")).document
    ingest_document(session, DocumentIn(symbol="A/RES/58/8", kind="ga_resolution", text="一封信"),
                    document_id=letter.id, expected_version=letter.version)
    org_id = session.execute(select(Organization.id).where(Organization.acronym == org)).scalar_one()
    assert session.execute(select(CitedByOrganization.organization_id).where(
        CitedByOrganization.document_id == letter.id)).scalars().all() == [org_id]
    assert_matches_rebuild(session)
