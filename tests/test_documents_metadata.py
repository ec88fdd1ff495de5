"""Metadata read from the page equals what seed_data/facts.json states, for each seed as text,
as a PDF and as a Word file; every fact's evidence is the words at its offsets; what the page
does not state stays empty."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.documents import files
from app.documents.metadata import en_ordinal, read, zh_number
from tests import un_documents as u

FACTS = json.loads((u.SEED_DIR / "facts.json").read_text(encoding="utf-8"))
ORG_NAME = {o["acronym"]["value"]: o["name_zh"]["value"] for o in FACTS["organizations"]}


def _v(fact):
    return fact["value"] if isinstance(fact, dict) else fact


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("un-meta")
    return {kind: u.write_all(folder / kind, kind) for kind in ("pdf", "docx")}


def _text(made, name: str, kind: str) -> str:
    if kind == "txt":
        return (u.SEED_DIR / name).read_text(encoding="utf-8")
    path = next(p for p in made[kind] if p.stem == name.removesuffix(".txt"))
    return files.read_path(path).text


@pytest.mark.parametrize("kind", ["txt", "pdf", "docx"])
@pytest.mark.parametrize("name", u.SEED_FILES)
def test_metadata_equals_the_facts(made, name, kind):
    text = _text(made, name, kind)
    md = read(text)
    fact = next(d for d in FACTS["documents"] if d["file"] == name)
    assert md.value("kind") == _v(fact["kind"])
    assert md.value("session") == _v(fact["session"])
    assert md.value("title") == _v(fact["title"])
    assert md.value("organization")["name"] == ORG_NAME[_v(fact["organization"])]
    assert md.value("symbol") == (_v(fact["symbol"]) if "symbol" in fact else None)
    expected_date = _v(fact["date"]) if "date" in fact else None
    assert md.value("date") == (dt.date.fromisoformat(expected_date) if expected_date else None)
    assert md.value("language") == "zh"
    for name_ in md.FIELDS:
        f = getattr(md, name_)
        if f is None:
            continue
        assert f.evidence, name_
        for ev in f.evidence:
            assert text[ev.start : ev.end] == ev.quote and ev.quote.strip(), (name_, ev)


def test_a_drafts_sponsors_and_agenda_item():
    text = (u.SEED_DIR / "001_0fd7e56c3f5b41c3.txt").read_text(encoding="utf-8")
    md = read(text)
    assert md.value("sponsors") == ["阿塞拜疆", "中国", "印度", "哈萨克斯坦", "吉尔吉斯斯坦",
                                     "巴基斯坦", "俄罗斯联邦", "塔吉克斯坦", "乌兹别克斯坦"]
    assert md.value("agenda_item") == "127(s)"
    # a letter has no sponsors and no agenda item on its page
    letter = read((u.SEED_DIR / "000_02a8ab7b9388f710.txt").read_text(encoding="utf-8"))
    assert letter.sponsors is None and letter.agenda_item is None


ENGLISH_DRAFT = """A/77/L.107

Seventy-seventh session
Agenda item 127 (s)
Cooperation between the United Nations and regional and other organizations: cooperation
between the United Nations and the Shanghai Cooperation Organization

Azerbaijan, China, India, Trinidad and Tobago and Uzbekistan:* draft resolution

Cooperation between the United Nations and the Shanghai Cooperation Organization

The General Assembly,

Recalling its resolution 59/48 of 2 December 2004,
"""

ENGLISH_LETTER = """Sixty-fourth session

Letter dated 14 July 2009 from the Permanent Representative of the Russian Federation to the United Nations addressed to the Secretary-General

I have the honour to request the inclusion in the agenda of the sixty-fourth session of the General Assembly of a supplementary item entitled "Cooperation between the United Nations and the Collective Security Treaty Organization".
"""

ENGLISH_RESOLUTION = """Resolution adopted by the General Assembly on 18 December 2009

Cooperation between the United Nations and the Shanghai Cooperation Organization

The General Assembly,
"""


def test_english_pages():
    md = read(ENGLISH_DRAFT)
    assert (md.value("symbol"), md.value("session"), md.value("agenda_item"), md.value("kind")) == (
        "A/77/L.107", 77, "127(s)", "draft_resolution")
    assert md.value("sponsors") == ["Azerbaijan", "China", "India", "Trinidad and Tobago", "Uzbekistan"]
    assert md.value("title") == "Cooperation between the United Nations and the Shanghai Cooperation Organization"
    assert md.value("organization")["name"] == "Shanghai Cooperation Organization"
    assert md.value("language") == "en" and md.date is None

    md = read(ENGLISH_LETTER)
    assert (md.value("kind"), md.value("date"), md.value("session")) == ("letter", dt.date(2009, 7, 14), 64)
    assert md.value("organization")["name"] == "Collective Security Treaty Organization"

    md = read(ENGLISH_RESOLUTION)
    assert (md.value("kind"), md.value("date")) == ("ga_resolution", dt.date(2009, 12, 18))
    assert md.value("title").startswith("Cooperation between")
    assert md.value("organization")["name"] == "Shanghai Cooperation Organization"


def test_nothing_stated_nothing_read():
    md = read("大会，\n\n回顾其第 59/48 号决议，\n")
    assert all(getattr(md, f) is None for f in md.FIELDS if f != "language")
    assert read("").to_json() == {f: None for f in md.FIELDS}
    # the umbrella item names no organization
    assert read("联合国同各区域组织及其他组织的合作：\n").organization is None


def test_numbers():
    assert [zh_number(s) for s in ("七十七", "六十四", "十八", "一百零一", "五", "x")] == [77, 64, 18, 101, 5, None]
    assert [en_ordinal(s) for s in ("Seventy-seventh", "Sixtieth", "fifth", "Nineteenth", "Foo")] == [77, 60, 5, 19, None]
