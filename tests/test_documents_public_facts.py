"""Facts from public sources (seed_data/public_facts.json): the file, its loading, the pages and
the API that show them, and the anomaly rules that read them."""

import datetime as dt
import json
import subprocess
import sys

import pytest
from sqlmodel import select

from app.documents import public_facts
from app.documents import queries
from app.web import urls
from app.i18n import t
from app.documents.store import DocumentIn, ingest_document, seed, upsert_organization
from app.models import Document, SourceFact
from tests.conftest import SEED_DIR
from tests.helpers import chain_labels, soup

FILE = SEED_DIR / public_facts.FILE_NAME


def _entries():
    return json.loads(FILE.read_text(encoding="utf-8"))["documents"]


def _facts(entry):
    return [(name, fact) for name, fact in entry.items() if name != "key"]


# --- the file --------------------------------------------------------------------------------


def test_every_fact_in_the_file_has_a_source_url_un_or_noted():
    entries = _entries()
    assert len(entries) >= 3
    for entry in entries:
        assert _facts(entry), entry["key"]
        for name, fact in _facts(entry):
            url = fact["source"]["url"]
            assert url.startswith(("https://", "http://")), (entry["key"], name)
            # A UN page, or a note saying what the source is (and where sources disagree).
            assert public_facts.is_un_source(url) or fact["source"].get("note"), (entry["key"], name, url)


def test_where_sources_disagree_the_un_document_wins_and_the_note_says_so():
    disagreements = [(e["key"], f) for e in _entries() for n, f in _facts(e) if n == "disagreement"]
    assert disagreements
    for key, fact in disagreements:
        assert public_facts.is_un_source(fact["source"]["url"])
        assert fact["value"]["this"] == key  # Lineage keeps the UN document's symbol
        assert fact["value"]["other"] in fact["source"]["note"]


def test_the_file_parses_with_the_known_facts_of_the_brief():
    by_key = {d.key: d for d in public_facts.read(SEED_DIR)}
    sco = by_key["A/79/L.124"]
    assert (sco.organization, sco.kind, sco.session) == ("SCO", "draft_resolution", 79)
    assert sco.outcome == public_facts.Outcome(True, dt.date(2025, 9, 5), "recorded", 120, 27, 28)
    assert by_key["A/77/L.107"].outcome.date == dt.date(2023, 9, 1)


def test_is_un_source():
    assert public_facts.is_un_source("https://press.un.org/en/2025/ga12703.doc.htm")
    assert public_facts.is_un_source("https://undocs.org/A/77/L.107")
    assert not public_facts.is_un_source("http://eng.sectsco.org/news/20210330/737245.html")
    assert not public_facts.is_un_source("https://un.org.example.com/x")


def _one(**fact_overrides):
    fact = {"value": "SCO", "source": {"url": "https://press.un.org/x"}}
    fact.update(fact_overrides)
    return {"documents": [{"key": "A/80/L.1", "organization": fact}]}


@pytest.mark.parametrize("data, message", [
    (_one(source={}), "has no source URL"),
    (_one(source={"url": "press.un.org/x"}), "has no source URL"),
    (_one(source={"url": "https://example.com/x"}), "no note says so"),
    ({"documents": [{"key": "X", "outcome": {"value": {"adopted": True, "vote": "consensus", "yes": 3},
                                             "source": {"url": "https://press.un.org/x"}}}]},
     "recorded vote only"),
    ({"documents": [{"key": "X", "outcome": {"value": {"adopted": True, "date": "5 Sept 2025"},
                                             "source": {"url": "https://press.un.org/x"}}}]},
     "YYYY-MM-DD"),
    ({"documents": [{"key": "X", "rumour": {}}]}, "unknown fact"),
    ({"documents": [{"organization": {}}]}, "has no key"),
])
def test_a_bad_file_is_refused_naming_what_is_wrong(data, message):
    with pytest.raises(ValueError, match=message):
        public_facts.parse(data)


def test_lineage_seed_refuses_a_bad_file_with_one_line(tmp_path):
    for f in SEED_DIR.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / public_facts.FILE_NAME).write_text(json.dumps(_one(source={})), encoding="utf-8")
    db = tmp_path / "l.db"
    env = {"LINEAGE_DATABASE_URL": f"sqlite:///{db}", "PATH": ""}
    run = lambda *a: subprocess.run([sys.executable, "-m", "app.cli", *a], env=env, capture_output=True,
                                    text=True, timeout=120)
    assert run("migrate").returncode == 0
    result = run("seed", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["lineage seed: A/80/L.1: the organization fact has no source URL"]


# --- loading ------------------------------------------------------------------------------------


def test_loading_twice_changes_nothing(seeded):
    assert seed(seeded, SEED_DIR)["changed"] == 0
    rows = seeded.exec(select(SourceFact)).all()
    assert len(rows) == sum(len(_facts(e)) for e in _entries())


def test_a_document_known_only_from_a_source_has_no_text(read_session):
    doc = queries.by_symbol(read_session, "A/79/L.124")
    assert doc.text is None and doc.public_facts and doc.date is None
    assert (doc.outcome, doc.outcome_date, doc.vote) == ("adopted", dt.date(2025, 9, 5), "recorded")
    assert (doc.votes_yes, doc.votes_no, doc.votes_abstain) == (120, 27, 28)
    assert doc.became_id is None  # no source states its resolution number
    # A seed text keeps its text and gains its outcome.
    l107 = queries.by_symbol(read_session, "A/77/L.107")
    assert l107.text and (l107.outcome_date, l107.votes_yes, l107.votes_no, l107.votes_abstain) == (
        dt.date(2023, 9, 1), 80, 2, 47)


def test_a_jsonl_line_whose_fact_has_no_source_is_refused_and_nothing_of_it_stored(session):
    import io

    from app.exports.jsonl import import_jsonl

    line = {"key": "k-1", "kind": "draft_resolution",
            "public_facts": {"outcome": {"value": {"adopted": True}, "source": {}}}}
    report = import_jsonl(session, io.StringIO(json.dumps(line) + "\n"))
    assert report.errors == [(1, "k-1: the outcome fact has no source URL")]
    assert queries.by_ref(session, "k-1") is None


# --- pages -------------------------------------------------------------------------------------


def test_the_sco_chain_ends_with_a79_l124_adopted_on_2025_09_05_by_120_27_28(read_session, read_client):
    page = soup(read_client.get(urls.organization("SCO")))
    assert chain_labels(page)[-2:] == ["A/77/L.107", "A/79/L.124"]
    last = page.select("ol.chain > li")[-1]
    assert last.select_one(".outcome .outcome-date")["datetime"] == "2025-09-05"
    counts = last.select_one(".outcome .counts")
    assert (counts["data-yes"], counts["data-no"], counts["data-abstain"]) == ("120", "27", "28")
    assert last.select_one(".outcome .vote")["data-vote"] == "recorded"

    body = read_client.get("/api/organizations/SCO/chain").json()
    tail = body["chain"][-1]
    assert tail["symbol"] == "A/79/L.124" and tail["has_text"] is False and tail["from_source"] is True
    assert tail["outcome"] == {"adopted": True, "date": "2025-09-05", "vote": "recorded",
                               "yes": 120, "no": 27, "abstain": 28, "resolution": None}


@pytest.mark.parametrize("acronym, first_from_sources", [
    ("SCO", "A/79/L.124"), ("CSTO", "A/73/L.103"), ("CIS", "public-cis-71"),
])
def test_the_chain_marks_where_the_texts_end_and_the_sources_begin(read_session, read_client, acronym, first_from_sources):
    items = soup(read_client.get(urls.organization(acronym, lang="en"))).select("ol.chain > li")
    marked = [li for li in items if "sources-begin" in li["class"]]
    assert [li["data-key"] for li in marked] == [first_from_sources]
    assert marked[0].select_one(".sources-mark").get_text(strip=True) == t("sources_begin", "en")
    after = items[items.index(marked[0]):]
    assert all("from-source" in li["class"] for li in after)
    assert "from-source" not in items[items.index(marked[0]) - 1]["class"]  # the last text held
    assert all(li.select_one(".no-text-note").get_text(strip=True) == t("from_sources_note", "en") for li in after)


def test_each_rendered_fact_links_to_its_source(read_session, read_client):
    for entry in _entries():
        doc = queries.by_ref(read_session, entry["key"])
        page = soup(read_client.get(urls.document(doc)))
        shown = page.select("#public-facts dl.public-facts dd")
        wanted = _facts(entry)
        assert [dd["data-fact"] for dd in shown] == [name for name, _ in wanted], entry["key"]
        assert [dd.select_one("a.source")["href"] for dd in shown] == [f["source"]["url"] for _, f in wanted]
        for dd, (_, fact) in zip(shown, wanted):
            note = dd.select_one(".note")
            assert (note.get_text() if note else None) == fact["source"].get("note")
        api = read_client.get(f"/api/documents/{urls.document_ref(doc)}").json()
        assert [(f["fact"], f["url"]) for f in api["source_facts"]] == [(n, f["source"]["url"]) for n, f in wanted]


def test_each_outcome_on_a_chain_links_to_its_source(read_session, read_client):
    outcomes = {e["key"]: e["outcome"]["source"]["url"] for e in _entries() if "outcome" in e}
    seen = {}
    for acronym in ("SCO", "CSTO", "CIS"):
        for li in soup(read_client.get(urls.organization(acronym))).select("ol.chain > li"):
            line = li.select_one(".outcome-line")
            if line is not None:
                seen[li["data-key"]] = line.select_one("a.source")["href"]
    assert seen == outcomes


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_draft_without_a_known_resolution_number_says_so(read_session, read_client, lang):
    page = soup(read_client.get(f"/documents/A/79/L.124?lang={lang}"))
    outcome = page.select_one("p.outcome-line .outcome")
    assert outcome["data-outcome"] == "adopted"
    assert outcome.select_one(".number-unknown").get_text(strip=True) == t("adopted_number_unknown", lang)
    assert t("adopted_number_unknown", "en") == "adopted, number not yet known"
    # and no symbol is made up for it
    assert not page.select("a.resolution")
    assert not [a for a in page.select("a[href]") if a["href"].startswith("/documents/A/RES/79/")]
    chain = soup(read_client.get(f"/organizations/SCO?lang={lang}"))
    last = chain.select("ol.chain > li")[-1]
    assert last.select_one(".number-unknown").get_text(strip=True) == t("adopted_number_unknown", lang)


def test_a_draft_whose_resolution_a_source_states_links_to_it(seeded, client):
    pub = public_facts.parse({"documents": [{
        "key": "A/79/L.124",
        "outcome": {"value": {"adopted": True, "date": "2025-09-05"}, "source": {"url": "https://press.un.org/a"}},
        "became": {"value": "A/RES/79/999", "source": {"url": "https://undocs.org/b"}},
    }]})[0]
    public_facts.apply(seeded, pub)
    seeded.commit()
    page = soup(client.get("/documents/A/79/L.124?lang=en"))
    assert page.select_one("p.outcome-line a.resolution")["href"] == "/documents/A/RES/79/999"
    assert page.select_one("p.outcome-line .number-unknown") is None
    assert client.get("/api/documents/A/79/L.124").json()["outcome"]["resolution"] == "A/RES/79/999"


def test_deleting_the_text_of_a_document_keeps_its_facts_from_sources(seeded):
    from app.documents.store import delete_document

    doc = queries.by_symbol(seeded, "A/77/L.107")
    assert delete_document(seeded, doc) is False
    kept = queries.by_symbol(seeded, "A/77/L.107")
    assert kept.text is None and kept.outcome == "adopted" and kept.votes_yes == 80
    assert seeded.exec(select(SourceFact).where(SourceFact.document_id == kept.id)).all()
    # 75/268, now cited by nothing, keeps the fact that sources disagree on its number
    assert queries.by_symbol(seeded, "A/RES/75/268").public_facts


# --- anomalies ---------------------------------------------------------------------------------

TITLE = "联合国同测试组织的合作"


def _series(session, sessions_with_text, source_only):
    upsert_organization(session, acronym="TST", name_zh="测试组织", name_en="Test Organization",
                        observer_symbol="A/RES/60/1", series_titles=[TITLE])
    previous = "A/RES/60/1"
    for n in sessions_with_text:
        text = f"大会，\n\n回顾其关于{TITLE}的第{previous[6:]}号决议，\n\n1. 决定继续审议该项目。\n"
        ingest_document(session, DocumentIn(
            symbol=f"A/RES/{n}/10", kind="ga_resolution", text=text, organization="TST", session=n,
            date=dt.date(1945 + n, 12, 1), title=TITLE,
        ), commit=False)
        previous = f"A/RES/{n}/10"
    for n in source_only:
        public_facts.apply(session, public_facts.parse({"documents": [{
            "key": f"public-tst-{n}",
            "organization": {"value": "TST", "source": {"url": "https://press.un.org/t"}},
            "kind": {"value": "draft_resolution", "source": {"url": "https://press.un.org/t"}},
            "session": {"value": n, "source": {"url": "https://press.un.org/t"}},
            "outcome": {"value": {"adopted": True}, "source": {"url": "https://press.un.org/t"}},
        }]})[0])
    session.commit()


def _gaps(client):
    section = soup(client.get(urls.anomalies())).select_one('section[data-acronym="TST"]')
    return [li.get_text() for li in section.select('li.anomaly[data-rule="gap"]')]


def test_a_session_known_only_from_a_source_is_present_not_a_gap(session, client):
    _series(session, [62, 64, 68], source_only=[66])
    assert _gaps(client) == []


def test_without_that_source_the_same_session_is_a_gap(session, client):
    _series(session, [62, 64, 68], source_only=[])
    gaps = _gaps(client)
    assert len(gaps) == 1 and "66" in gaps[0]


def test_a_source_only_session_after_the_texts_extends_the_series(session, client):
    # 62, 64 with texts; 66 and 70 known from sources: 68 is the gap, flagged on the 70 link
    _series(session, [62, 64], source_only=[66, 70])
    page = soup(client.get(urls.organization("TST")))
    flagged = page.select_one('ol.chain > li[data-key="public-tst-70"] li.anomaly[data-rule="gap"]')
    assert flagged is not None and "68" in flagged.get_text()
    assert not page.select('li[data-key="public-tst-66"] li.anomaly')
    assert isinstance(queries.by_ref(session, "public-tst-70"), Document)
