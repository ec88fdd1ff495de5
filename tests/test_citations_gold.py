"""Table-driven gold tests for the citation extractor (contract: docs/extraction.md).

The gold in tests/gold/ was written by hand from the contract, not from the code:
  - tests/gold/seeds/*.json  one file per seed text in seed_data/
  - tests/gold/cases.toml    short texts, one [[case]] each

Every expected citation is compared exactly on symbol, raw, verb, verb_class, date (ISO),
location, footnote and link, in order, as one list (so a failure shows the full diff);
then text[start:end] == raw, the paragraph prefix and, for footnote citations, the prefix
of the calling paragraph are checked.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"

FIELDS = ("symbol", "raw", "verb", "verb_class", "date", "location", "footnote", "link")
VERB_CLASSES = {"recall", "refer", "reaffirm", "note", "welcome", "bear_in_mind", "other"}
LOCATIONS = {"preamble", "operative", "footnote", "body"}


# --------------------------------------------------------------------------- loading


def _read_text(path: Path) -> str:
    # newline="" keeps the file exactly as given, so offsets match it.
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def _norm_expect(e: dict) -> dict:
    out = {k: e.get(k) for k in FIELDS}
    out["paragraph_starts"] = e.get("paragraph_starts")
    out["called_from_starts"] = e.get("called_from_starts")
    return out


def _load_seeds() -> list[dict]:
    items = []
    for p in sorted((GOLD / "seeds").glob("*.json")):
        d = json.loads(p.read_text(encoding="utf-8"))
        items.append(
            {
                "id": "seed:" + p.stem,
                "lang": d.get("lang", "zh"),
                "text": _read_text(ROOT / d["file"]),
                "expect": [_norm_expect(c) for c in d["citations"]],
            }
        )
    return items


def _load_cases() -> list[dict]:
    with open(GOLD / "cases.toml", "rb") as fh:
        data = tomllib.load(fh)
    items = []
    for c in data["case"]:
        items.append(
            {
                "id": "case:" + c["name"],
                "lang": c.get("lang"),
                "text": c["text"],
                "expect": [_norm_expect(e) for e in c.get("expect", [])],
            }
        )
    return items


SEEDS = _load_seeds()
CASES = _load_cases()
ALL = SEEDS + CASES


# --------------------------------------------------------------------------- helpers


def _iso(d) -> str | None:
    if d is None:
        return None
    if isinstance(d, (_dt.date, _dt.datetime)):
        return d.isoformat()[:10]
    return str(d)


def _actual_row(c) -> tuple:
    return (
        c.symbol,
        c.raw,
        c.verb,
        c.verb_class,
        _iso(c.date),
        c.location,
        c.footnote,
        c.link,
    )


def _expected_row(e: dict) -> tuple:
    return tuple(e[k] for k in FIELDS)


def _paragraph_texts(text: str, lang) -> dict[int, str]:
    """paragraph_index -> paragraph text, as `app.citations.paragraphs` gives them."""
    from app.citations import paragraphs

    return {p.index: p.text for p in paragraphs(text, lang)}


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("item", ALL, ids=[i["id"] for i in ALL])
def test_extract_gold(item):
    from app.citations import extract

    text = item["text"]
    cites = extract(text, item["lang"])

    # 1. the whole list, in order: one assert so a failure shows the full diff
    actual = [_actual_row(c) for c in cites]
    expected = [_expected_row(e) for e in item["expect"]]
    assert actual == expected

    # 2. sorted by start, offsets into the text exactly as given
    starts = [c.start for c in cites]
    assert starts == sorted(starts), "citations are not sorted by start"
    for c in cites:
        assert text[c.start : c.end] == c.raw, (c.symbol, c.start, c.end)

    # 3. paragraph prefixes and footnote callers
    paras = None
    for c, e in zip(cites, item["expect"]):
        if e["paragraph_starts"] is not None:
            assert c.paragraph.startswith(e["paragraph_starts"]), (
                c.symbol,
                e["paragraph_starts"],
                c.paragraph[:40],
            )
        if e["location"] != "footnote":
            assert c.called_from is None, (c.symbol, c.called_from)
        if e["called_from_starts"] is not None:
            assert c.called_from is not None, (c.symbol, "called_from is None")
            if paras is None:
                paras = _paragraph_texts(text, item["lang"])
            caller = paras.get(c.called_from)
            assert caller is not None, (c.symbol, f"no paragraph {c.called_from}")
            assert caller.startswith(e["called_from_starts"]), (
                c.symbol,
                e["called_from_starts"],
                caller[:40],
            )


def test_gold_self_check():
    """The gold itself: raw occurs in the text (in order), fields are well formed,
    paragraph prefixes occur in the text."""
    problems = []
    for item in ALL:
        text = item["text"]
        flat = _squash(text)
        pos = 0
        for e in item["expect"]:
            where = f"{item['id']} {e['symbol']}"
            raw = e["raw"]
            if not raw or raw not in text:
                problems.append(f"{where}: raw {raw!r} not in text")
            else:
                i = text.find(raw, pos)
                if i < 0:
                    problems.append(f"{where}: raw {raw!r} out of text order")
                else:
                    pos = i + 1
            if e["verb_class"] not in VERB_CLASSES:
                problems.append(f"{where}: bad verb_class {e['verb_class']!r}")
            if e["verb"] is None and e["verb_class"] != "other":
                problems.append(f"{where}: null verb must give verb_class other")
            if e["verb"] is not None and e["verb"] not in text:
                problems.append(f"{where}: verb {e['verb']!r} not in text")
            if e["location"] not in LOCATIONS:
                problems.append(f"{where}: bad location {e['location']!r}")
            if (e["location"] == "footnote") != (e["footnote"] is not None):
                problems.append(f"{where}: footnote mark and location disagree")
            if e["called_from_starts"] is not None and e["location"] != "footnote":
                problems.append(f"{where}: called_from_starts on a non-footnote citation")
            if e["date"] is not None:
                try:
                    _dt.date.fromisoformat(e["date"])
                except ValueError:
                    problems.append(f"{where}: bad date {e['date']!r}")
            if e["link"] is not None and e["link"] not in text:
                problems.append(f"{where}: link {e['link']!r} not in text")
            for key in ("paragraph_starts", "called_from_starts"):
                s = e[key]
                if s is not None and _squash(s) not in flat:
                    problems.append(f"{where}: {key} {s!r} not in text")
    assert not problems, "\n".join(problems)
