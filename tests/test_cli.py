"""The `lineage` command: extract, migrate, seed."""

import json
import subprocess
import sys

import pytest
from sqlmodel import Session, func, select

from app.cli import main
from app.db import make_engine
from app.models import Citation, Document
from tests.conftest import SEED_DIR, TEST_DB_URL


def test_extract_json_offsets_point_into_the_file(capsys):
    path = SEED_DIR / "001_0fd7e56c3f5b41c3.txt"
    assert main(["extract", str(path), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    text = path.read_text(encoding="utf-8")
    assert found, "no citation found"
    for item in found:
        assert list(item)[:6] == ["symbol", "verb", "date", "paragraph", "start", "end"]
        assert item["date"] is None or len(item["date"]) == 10
    first = found[0]
    assert (first["symbol"], first["verb"], first["date"]) == ("A/RES/59/48", "还回顾", "2004-12-02")
    assert text[first["start"]:first["end"]] == "59/48"
    assert [f["symbol"] for f in found if f["verb"] == "回顾"][:7] == [
        "A/RES/64/183", "A/RES/65/124", "A/RES/67/15", "A/RES/69/11", "A/RES/71/14",
        "A/RES/73/334", "A/RES/75/268",
    ]


def test_extract_is_a_console_script():
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "extract", str(SEED_DIR / "002_cad8b63664231793.txt"), "--json"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert [c["symbol"] for c in json.loads(out)] == ["A/RES/59/50", "S/RES/1631(2005)"]


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file, the embedded default")
def test_migrate_then_seed_twice_on_a_sqlite_file(cli_database, capsys):
    url = cli_database
    assert main(["migrate"]) == 0
    assert main(["seed", "--if-empty"]) == 0
    assert "seeded 3 organizations and 5 documents" in capsys.readouterr().out
    assert main(["seed"]) == 0
    assert "(0 changed)" in capsys.readouterr().out
    assert main(["seed", "--if-empty"]) == 0
    assert "skipped" in capsys.readouterr().out
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Document).where(Document.text.is_not(None))).one() == 5
        # 2 + 13 + 2 + 5 + 12 citations, as tests/gold/seeds lists them
        assert s.exec(select(func.count()).select_from(Citation)).one() == 34
    engine.dispose()


def _extract_listing(tmp_path, capsys, n: int) -> tuple[int, str]:
    listing = "、".join(f"第{60 + k % 20}/{k}号决议" for k in range(1, n + 1))
    path = tmp_path / f"many-{n}.txt"
    path.write_text(f"大会，\n回顾其{listing}，\n", encoding="utf-8")
    assert main(["extract", str(path), "--json"]) == 0
    return path.stat().st_size, capsys.readouterr().out


def test_extract_json_grows_with_the_file_not_its_square(tmp_path, capsys):
    # One paragraph that lists thousands of resolutions: with a copy of it in each citation the
    # output would grow with the square of the file (3,000 × 50 KB); with excerpts it grows as
    # the file does (each citation's ~17 bytes of text carry ~330 bytes of indented fields).
    small_size, small = _extract_listing(tmp_path, capsys, 1500)
    size, out = _extract_listing(tmp_path, capsys, 3000)
    found = json.loads(out)
    assert len(found) == 3000
    assert len(out.encode("utf-8")) < 25 * size
    assert len(out) < 2.2 * len(small)
    for item in found[:50]:
        assert item["raw"] in item["paragraph"]
        assert len(item["paragraph"]) < 200


def test_extract_paragraphs_lists_each_paragraph_once(capsys):
    path = SEED_DIR / "001_0fd7e56c3f5b41c3.txt"
    assert main(["extract", str(path), "--paragraphs"]) == 0
    out = json.loads(capsys.readouterr().out)
    text = path.read_text(encoding="utf-8")
    indexes = [p["index"] for p in out["paragraphs"]]
    assert indexes == sorted(set(indexes))
    assert {c["paragraph_index"] for c in out["citations"]} == set(indexes)
    by_index = {p["index"]: p["text"] for p in out["paragraphs"]}
    for c in out["citations"]:
        paragraph = by_index[c["paragraph_index"]]
        assert "".join(paragraph.split()) in "".join(text.split())  # the paragraph, joined up
        assert c["paragraph"].strip("…") in paragraph


def test_extract_of_a_file_that_is_not_utf8_says_so_in_one_line(tmp_path, capsys):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Résolution 59/48".encode("latin-1"))
    assert main(["extract", str(path), "--json"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("lineage extract:") and "not UTF-8" in err and "\n" not in err
