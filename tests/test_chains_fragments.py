"""The chain as its page shows it, rendered by the writer (app/web/chain_html.py).

On a real database file (or PostgreSQL with LINEAGE_TEST_DATABASE_URL): the page serves the
stored list, which equals a fresh render of the rows; a list stored by another version of
Lineage is not served, the page renders the chain itself, and `refresh` renders it again; the
htmx request gets the same list; and each link names a bounded number of the resolutions it
recalls or leaves out, then says how many earlier ones there are, linking to its document page.
"""

import dataclasses
import datetime as dt
import json
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update
from sqlmodel import Session, SQLModel

from app.citations import Citation as Found
from app.db import make_engine
from app.documents import public_facts
from app.documents.store import DocumentIn, ingest_document, seed, upsert_organization
from app.models import ChainHtml, Organization
from app.web import chain_html as fragments, urls
from tests.conftest import SEED_DIR, TEST_DB_URL, _client_of, _engine
from tests.helpers import soup, texts

LONG = "LONG"
LONG_TITLE = "联合国同长链组织的合作"
LENGTH = 30  # more than twice the bound: lists are cut, and "and N earlier" counts the rest


@pytest.fixture
def file_engine(tmp_path):
    """A database file (PostgreSQL on the second pass), migrated as `create_all` makes it."""
    if TEST_DB_URL:
        yield _engine()
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'lineage.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def file_session(file_engine):
    with Session(file_engine) as session:
        yield session


@pytest.fixture
def file_client(file_engine):
    with _client_of(file_engine) as c:
        yield c


@pytest.fixture
def seeded_file(file_session):
    seed(file_session, SEED_DIR)
    return file_session


def _org_id(session, acronym: str) -> int:
    return session.execute(select(Organization.id).where(Organization.acronym == acronym)).scalar_one()


def _store_by_hand(session, acronym: str) -> None:
    """A stored list of this version, written by hand: a page showing it read the stored row."""
    session.execute(update(ChainHtml.__table__).where(ChainHtml.organization_id == _org_id(session, acronym))
                    .values(html='<ol class="chain" id="chain"><li class="link">stored</li></ol>'))
    session.commit()


def _chain_list(markup: str):
    """The chain's list in a page or a fragment, parsed."""
    found = BeautifulSoup(markup, "html.parser").select_one("ol.chain")
    assert found is not None
    return found


def _stored(session, org_id: int, lang: str):
    return session.execute(select(ChainHtml.__table__).where(
        ChainHtml.organization_id == org_id, ChainHtml.lang == lang)).one()


# --- stored, served, and equal to a fresh render -----------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_serves_the_stored_chain_which_a_fresh_render_equals(seeded_file, file_client, lang):
    for acronym in ("SCO", "CSTO", "CIS"):
        org_id = _org_id(seeded_file, acronym)
        row = _stored(seeded_file, org_id, lang)
        assert row.version == fragments.render_version()
        assert row.html == fragments.render(seeded_file, org_id)[lang]
        page = file_client.get(urls.organization(acronym, lang=lang))
        assert page.status_code == 200
        assert _chain_list(page.text) == _chain_list(row.html)


def test_the_page_reads_the_stored_chain_not_the_rows(seeded_file, file_client):
    """A stored list of this version is what the page shows (here one written by hand)."""
    _store_by_hand(seeded_file, "SCO")
    page = soup(file_client.get("/organizations/SCO"))
    assert texts(page.select("ol.chain > li")) == ["stored"]


def test_a_chain_stored_by_another_version_is_rendered_from_rows_until_refreshed(seeded_file, file_client):
    org_id = _org_id(seeded_file, "SCO")
    fresh = fragments.render(seeded_file, org_id)
    seeded_file.execute(update(ChainHtml.__table__).where(ChainHtml.organization_id == org_id).values(
        version="0" * 64, html='<ol class="chain" id="chain"><li class="link">old markup</li></ol>'))
    seeded_file.commit()

    for lang in ("zh", "en"):
        page = file_client.get(urls.organization("SCO", lang=lang))
        assert _chain_list(page.text) == _chain_list(fresh[lang])
        fragment = file_client.get(urls.organization("SCO", lang=lang), headers={"HX-Request": "true"})
        assert _chain_list(fragment.text) == _chain_list(fresh[lang])

    assert fragments.refresh(seeded_file) == 1  # SCO only: the others are of this version
    seeded_file.commit()
    for lang in ("zh", "en"):
        row = _stored(seeded_file, org_id, lang)
        assert (row.version, row.html) == (fragments.render_version(), fresh[lang])
    assert fragments.refresh(seeded_file) == 0


def test_the_htmx_request_gets_the_stored_list_alone(seeded_file, file_client):
    org_id = _org_id(seeded_file, "CSTO")
    response = file_client.get("/organizations/CSTO", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = BeautifulSoup(response.text, "html.parser")
    assert fragment.select_one("html, body, header, form.as-of") is None
    assert _chain_list(response.text) == _chain_list(_stored(seeded_file, org_id, "zh").html)


def test_a_new_outcome_from_public_sources_reaches_the_stored_chain(seeded_file, file_client):
    """`lineage seed` with a changed public facts file: the draft's outcome line changes on the
    chain page, as the writer re-renders the chain it is a link of."""
    pub = next(p for p in public_facts.read(SEED_DIR) if p.key == "A/79/L.124")
    assert pub.outcome is not None
    changed = dataclasses.replace(pub, outcome=dataclasses.replace(pub.outcome, date=dt.date(2025, 1, 2)))
    assert public_facts.apply(seeded_file, changed)
    seeded_file.commit()

    org_id = _org_id(seeded_file, "SCO")
    assert _stored(seeded_file, org_id, "zh").html == fragments.render(seeded_file, org_id)["zh"]
    page = soup(file_client.get("/organizations/SCO"))
    link = next(li for li in page.select("ol.chain > li") if li["data-key"] == "A/79/L.124")
    assert link.select_one("time.outcome-date")["datetime"] == "2025-01-02"


def test_an_as_of_page_is_rendered_from_rows(seeded_file, file_client):
    """A point in time is never stored: its chain is the rows placed before it."""
    _store_by_hand(seeded_file, "SCO")
    page = soup(file_client.get("/organizations/SCO?as_of=70"))
    labels = [a.get_text(strip=True) for a in page.select("ol.chain > li a.label")]
    assert labels[0] == "A/RES/59/48" and "A/RES/71/14" not in labels


# --- each link's lists are bounded -------------------------------------------------------------


def _symbol(i: int) -> str:
    return f"A/RES/{41 + i}/10"


def _cites(indexes) -> list[Found]:
    return [Found(symbol=_symbol(j), raw=_symbol(j), start=n, end=n + 1, verb="回顾", verb_class="recall",
                  date=None, location="preamble", paragraph=f"回顾其关于{LONG_TITLE}的第{_symbol(j)}号决议，",
                  paragraph_index=n, footnote=None, called_from=None, link=None)
            for n, j in enumerate(indexes)]


@pytest.fixture
def long_chain(file_session):
    """A series of LENGTH resolutions, each recalling only the one before it, but the last,
    which recalls them all."""
    upsert_organization(file_session, acronym=LONG, name_zh="长链组织", name_en="Long chain organization",
                        observer_symbol=_symbol(0), series_titles=[LONG_TITLE])
    file_session.commit()
    for i in range(LENGTH):
        cited = range(i) if i == LENGTH - 1 else range(max(0, i - 1), i)
        ingest_document(file_session, DocumentIn(
            symbol=_symbol(i), kind="ga_resolution", organization=LONG, session=41 + i,
            date=dt.date(1986 + i, 12, 1), text=f"大会，\n{LONG_TITLE} {i}\n"), citations=_cites(cited))
    return file_session


def _named_and_more(p) -> tuple[list[str], object]:
    return texts(p.select("a:not(.more)")), p.select_one("a.more")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_link_names_at_most_the_bound_then_counts_the_earlier_ones(long_chain, file_client, lang):
    page = soup(file_client.get(urls.organization(LONG, lang=lang)))
    links = page.select("ol.chain > li")
    assert [li.select_one("a.label").get_text(strip=True) for li in links] == [_symbol(i) for i in range(LENGTH)]
    short = [_symbol(i)[len("A/RES/"):] for i in range(LENGTH)]
    for i, li in enumerate(links):
        recalled = list(range(i)) if i == LENGTH - 1 else list(range(max(0, i - 1), i))
        left_out = [j for j in range(i) if j not in recalled]
        for selector, expected in ((".recalls", recalled), (".leaves-out", left_out)):
            p = li.select_one(selector)
            if not expected:
                assert p is None or not p.select("a"), (i, selector)
                continue
            named, more = _named_and_more(p)
            bound = fragments.LIST_BOUND
            # the latest ones, nearest to the link, in chain order
            assert named == [short[j] for j in expected[-bound:]], (i, selector)
            if len(expected) > bound:
                assert more is not None, (i, selector)
                assert more["href"] == urls.document_by_symbol(_symbol(i))
                assert int(re.search(r"\d+", more.get_text()).group()) == len(expected) - bound
            else:
                assert more is None, (i, selector)


def test_a_long_chain_page_grows_linearly(long_chain, file_client):
    """Each link adds at most a bound's worth of names: the page of a chain twice as long is
    about twice as large, not four times."""
    page = file_client.get(f"/organizations/{LONG}")
    names = len(soup(page).select("ol.chain .recalls a, ol.chain .leaves-out a"))
    assert names <= LENGTH * 2 * (fragments.LIST_BOUND + 1)
    assert names < LENGTH * (LENGTH - 1) / 2  # what listing every earlier resolution would name


def test_and_n_earlier_leads_to_the_document_page_which_lists_every_cite(long_chain, file_client):
    page = soup(file_client.get(f"/organizations/{LONG}"))
    last = page.select("ol.chain > li")[-1]
    more = last.select_one(".recalls a.more")
    doc = soup(file_client.get(more["href"]))
    cites = {li["data-symbol"] for li in doc.select("#cites li.citation")}
    assert cites == {_symbol(j) for j in range(LENGTH - 1)}


def test_a_writer_with_nothing_to_render_removes_the_pages_it_would_leave_stale(seeded_file, file_client,
                                                                               monkeypatch):
    """A process that writes without the web layer's renderer registered deletes the stored
    pages of the chains it changes: their pages are rendered from rows, never stale."""
    from app.chains import readmodel

    monkeypatch.setattr(readmodel, "_render_chain_pages", None)
    text = "大会，\n回顾其关于联合国同集体安全条约组织的合作的2010年12月13日第65/122号决议，\n"
    ingest_document(seeded_file, DocumentIn(symbol="A/80/L.1", kind="draft_resolution", text=text,
                                            organization="CSTO", session=80))
    csto, sco = _org_id(seeded_file, "CSTO"), _org_id(seeded_file, "SCO")
    kept = {r.organization_id for r in seeded_file.execute(select(ChainHtml.__table__))}
    assert csto not in kept and sco in kept
    page = soup(file_client.get("/organizations/CSTO"))
    assert page.select("ol.chain > li a.label")[-1].get_text(strip=True) == "A/80/L.1"

    monkeypatch.undo()
    assert fragments.refresh(seeded_file) == 1


def test_an_import_renders_each_chain_it_rewrites_once_at_the_end_never_serving_a_stale_one(
        seeded_file, file_engine, file_client, monkeypatch):
    """`lineage import` commits a batch at a time and each batch rewrites the same chains again:
    rendering them each time would cost every batch the chains' whole length. Meanwhile their
    pages are rendered from rows (never a stored list of an earlier batch); at the end each chain
    is rendered once, and equals a fresh render."""
    import io

    from app.chains import readmodel
    from app.exports.jsonl import export_lines, import_jsonl

    lines = list(export_lines(seeded_file))
    with Session(file_engine) as other:
        other.execute(ChainHtml.__table__.delete())
        other.commit()
    assert fragments.refresh(seeded_file) == 3
    seeded_file.commit()
    # the same texts again, each with a paragraph more recalling another resolution: every chain changes
    changed = []
    for line in lines:
        obj = json.loads(line)
        if obj.get("text"):
            obj["text"] += "\n\n还回顾其2004年12月2日第59/48号决议，\n"
        changed.append(json.dumps(obj, ensure_ascii=False))
    assert changed != lines

    rendered: list[list[int]] = []
    real = readmodel._render_chain_pages
    monkeypatch.setattr(readmodel, "_render_chain_pages",
                        lambda session, ids: (rendered.append(list(ids)), real(session, ids))[1])
    served_during: list[bool] = []

    def watch(_n):  # after each batch: what a reader gets is a list stored now, or none
        with Session(file_engine) as reader:
            for row in reader.execute(select(ChainHtml.__table__)):
                served_during.append(row.html == fragments.render(reader, row.organization_id)[row.lang])

    report = import_jsonl(seeded_file, io.StringIO("\n".join(changed) + "\n"), batch_size=2, progress=watch)
    assert not report.errors and report.changed >= 3
    assert all(served_during)
    assert len(rendered) == 1 and sorted(rendered[0]) == sorted(
        seeded_file.execute(select(Organization.id)).scalars())
    stored = seeded_file.execute(select(ChainHtml.__table__)).all()
    assert len(stored) == 6
    assert all(r.html == fragments.render(seeded_file, r.organization_id)[r.lang] for r in stored)
    page = soup(file_client.get("/organizations/SCO"))
    assert page.select("ol.chain > li")


def test_lineage_migrate_renders_again_the_chains_of_another_version(cli_database, capsys):
    """After an upgrade, `lineage migrate` renders every stored chain page of another version
    again (and `lineage rebuild` all of them), so the pages read them instead of rendering."""
    from app.cli import main

    url = cli_database
    assert main(["migrate"]) == 0
    assert main(["seed"]) == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(update(ChainHtml.__table__).where(ChainHtml.lang == "en").values(version="old"))
    capsys.readouterr()
    assert main(["migrate"]) == 0
    assert "rendered 3 chains again" in capsys.readouterr().out
    with Session(engine) as s:
        rows = s.execute(select(ChainHtml.__table__)).all()
        assert len(rows) == 6 and {r.version for r in rows} == {fragments.render_version()}
        assert all(r.html == fragments.render(s, r.organization_id)[r.lang] for r in rows)
    assert main(["migrate"]) == 0
    assert "rendered" not in capsys.readouterr().out
    engine.dispose()
