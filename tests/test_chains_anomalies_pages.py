"""Chain anomalies: on the seed data (none) and on crafted series, on the chain page and /anomalies."""

import datetime as dt

import pytest

from app.web import urls
from app.documents.store import DocumentIn, ingest_document, upsert_organization
from tests.helpers import soup

TITLE = "联合国同测试组织的合作"


def _org(session):
    upsert_organization(
        session, acronym="TST", name_zh="测试组织", name_en="Test Organization",
        observer_symbol="A/RES/60/1", series_titles=[TITLE],
    )
    session.commit()


def _resolution(session, session_no: int, number: int, date: str, *cited: str, org="TST"):
    """A series resolution whose preamble recalls `cited` ("第64/10号决议"…), in order."""
    paras = [f"回顾其关于{TITLE}的第{c}号决议，" for c in cited]
    text = "\n\n".join(["决议", TITLE, "大会，", *paras, "1. 决定继续审议该项目。"]) + "\n"
    return ingest_document(session, DocumentIn(
        symbol=f"A/RES/{session_no}/{number}", kind="ga_resolution", text=text, organization=org,
        session=session_no, date=dt.date.fromisoformat(date), title=TITLE,
    )).document


def _flags(page, key) -> list[str]:
    return [li["data-rule"] for li in page.select(f'ol.chain > li[data-key="{key}"] ul.anomalies li.anomaly')]


def test_seed_chains_have_no_anomalies_but_the_sessions_no_source_covers(read_session, read_client):
    """The seed texts and the public facts leave one gap: the CIS texts of sessions 73 and 75,
    for which no source was found (sessions known only from a source count as present)."""
    page = soup(read_client.get(urls.anomalies()))
    sections = page.select("section.org-anomalies")
    assert [s["data-acronym"] for s in sections] == ["CIS", "CSTO", "SCO"]
    flags = page.select("li.anomaly")
    assert [f["data-rule"] for f in flags] == ["gap"]
    assert flags[0].find_parent("section")["data-acronym"] == "CIS"
    assert len(page.select("ul.anomaly-rules li")) == 4
    for acronym in ("SCO", "CSTO"):
        assert not soup(read_client.get(urls.organization(acronym))).select("li.anomaly")


def test_gap_missing_predecessor_and_their_links(seeded, client):
    _org(seeded)
    _resolution(seeded, 62, 10, "2007-12-01", "A/RES/60/1")
    _resolution(seeded, 64, 10, "2009-12-01", "62/10")
    _resolution(seeded, 66, 10, "2011-12-01", "64/10")
    # session 68 has no text; 70/10 recalls 64/10 but not its predecessor 66/10
    _resolution(seeded, 70, 10, "2015-12-01", "64/10")

    page = soup(client.get(urls.organization("TST")))
    assert _flags(page, "A/RES/70/10") == ["gap", "no_predecessor"]
    for key in ("A/RES/62/10", "A/RES/64/10", "A/RES/66/10", "A/RES/60/1"):
        assert _flags(page, key) == [], key
    gap = page.select_one('li[data-key="A/RES/70/10"] li.anomaly[data-rule="gap"]')
    assert "68" in gap.get_text()
    missing = page.select_one('li[data-key="A/RES/70/10"] li.anomaly[data-rule="no_predecessor"] a.other')
    assert missing["href"] == "/documents/A/RES/66/10"

    listed = soup(client.get(urls.anomalies())).select_one('section[data-acronym="TST"]')
    rules = [(li["data-key"], li["data-rule"]) for li in listed.select("li.anomaly")]
    assert rules == [("A/RES/70/10", "gap"), ("A/RES/70/10", "no_predecessor")]
    assert listed.select_one("a.anomaly-doc")["href"] == "/documents/A/RES/70/10"

    en = soup(client.get(urls.organization("TST") + "?lang=en"))
    assert "Gap: no text at session 68 (the series is biennial)" in en.get_text(" ", strip=True)


def test_self_citation_and_citation_of_a_later_document(seeded, client):
    _org(seeded)
    _resolution(seeded, 62, 10, "2007-12-01", "A/RES/60/1")
    text = "\n\n".join([
        "决议", TITLE, "大会，",
        f"回顾其关于{TITLE}的第62/10号决议，",
        "又回顾其2012年3月1日第66/99号决议，",  # dated after this 2009 text
        "还回顾其第64/10号决议，",  # itself
        "1. 决定继续审议该项目。",
    ])
    ingest_document(seeded, DocumentIn(symbol="A/RES/64/10", kind="ga_resolution", text=text,
                                       organization="TST", session=64, date=dt.date(2009, 12, 1)))
    page = soup(client.get(urls.organization("TST")))
    assert _flags(page, "A/RES/64/10") == ["self_citation", "future_citation"]
    future = page.select_one('li[data-key="A/RES/64/10"] li.anomaly[data-rule="future_citation"]')
    assert "A/RES/66/99" in future.get_text() and "2012-03-01" in future.get_text()
    assert future.select_one("a.other")["href"] == "/documents/A/RES/66/99"


def test_a_letter_that_became_a_resolution_stands_for_it(seeded, client):
    # CSTO: the 2009 letter became 64/256. A text of 65/122 that recalls only the observer
    # resolution leaves out its predecessor, 64/256 (not the letter, which has no symbol).
    def res_65_122(*cited):
        paras = [f"提及其第{c}号决议，" for c in cited]
        text = "\n\n".join(["大会，", *paras, "1. 决定继续审议该项目。"])
        ingest_document(seeded, DocumentIn(symbol="A/RES/65/122", kind="ga_resolution", text=text,
                                           organization="CSTO", session=65, date=dt.date(2010, 12, 13)))

    res_65_122("59/50")
    page = soup(client.get(urls.organization("CSTO")))
    assert _flags(page, "A/RES/65/122") == ["no_predecessor"]
    other = page.select_one('li[data-key="A/RES/65/122"] li.anomaly a.other')
    assert other["href"] == "/documents/A/RES/64/256"
    # the letter itself is checked against what came before 64/256: 59/50, which it cites
    assert _flags(page, "seed-002-cad8b63664231793") == []

    res_65_122("59/50", "64/256")
    assert _flags(soup(client.get(urls.organization("CSTO"))), "A/RES/65/122") == []


@pytest.mark.parametrize("as_of, flagged", [("2012-01-01", []), ("", ["gap", "no_predecessor"])])
def test_anomalies_follow_the_point_in_time(seeded, client, as_of, flagged):
    _org(seeded)
    _resolution(seeded, 62, 10, "2007-12-01", "A/RES/60/1")
    _resolution(seeded, 64, 10, "2009-12-01", "62/10")
    _resolution(seeded, 66, 10, "2011-12-01", "64/10")
    _resolution(seeded, 70, 10, "2015-12-01", "64/10")
    page = soup(client.get(urls.organization("TST", as_of=as_of)))
    assert [li["data-rule"] for li in page.select("li.anomaly")] == flagged
