"""Lookup: POST /api/extract and the /extract page, on the seeds and on an English text."""

from app.config import get_settings
from tests.conftest import SEED_DIR
from tests.helpers import soup

ENGLISH = """The General Assembly,
Recalling its resolution 59/48 of 2 December 2004, by which it granted observer status to the
Shanghai Cooperation Organization,
Recalling also Security Council resolution 1631 (2005) of 17 October 2005,
1. Requests the Secretary-General to submit to the General Assembly at its ninety-ninth session a report
on the implementation of resolution 99/999;
"""


def test_api_extract_marks_found_and_unknown(read_client, read_session):
    text = (SEED_DIR / "001_0fd7e56c3f5b41c3.txt").read_text(encoding="utf-8")
    body = read_client.post("/api/extract", json={"text": text}).json()
    assert body["lang"] == "zh"
    first = body["citations"][0]
    assert (first["symbol"], first["verb"], first["date"], first["found"]) == (
        "A/RES/59/48", "还回顾", "2004-12-02", True)
    assert first["url"] == "/documents/A/RES/59/48"
    assert text[first["start"]:first["end"]] == "59/48"
    assert body["unknown"] == []


def test_api_extract_english(read_client, read_session):
    body = read_client.post("/api/extract", json={"text": ENGLISH}).json()
    assert body["lang"] == "en"
    got = [(c["symbol"], c["verb"], c["date"], c["found"]) for c in body["citations"]]
    assert got == [
        ("A/RES/59/48", "Recalling", "2004-12-02", True),
        ("S/RES/1631(2005)", "Recalling also", "2005-10-17", True),
        ("A/RES/99/999", "Requests", None, False),
    ]
    assert body["unknown"] == ["A/RES/99/999"]


def test_api_extract_refuses_text_over_1_mb(client):
    limit = get_settings().max_text_bytes
    response = client.post("/api/extract", json={"text": "决" * (limit // 3 + 1)})
    assert response.status_code == 413
    assert "MB" in response.json()["error"]


def test_api_extract_refuses_an_absurd_body(client):
    response = client.post("/api/extract", content=b"x" * (9 * get_settings().max_text_bytes),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_api_extract_needs_text(client):
    response = client.post("/api/extract", json={"txt": "x"})
    assert response.status_code == 422 and "text" in response.json()["error"]


def test_extract_page_highlights_and_links_every_citation(read_client, read_session):
    assert soup(read_client.get("/extract")).select_one("form.extract textarea[name=text]") is not None
    page = soup(read_client.post("/extract", data={"text": ENGLISH}))
    cites = page.select("pre.annotated a.cite")
    assert [a["data-symbol"] for a in cites] == ["A/RES/59/48", "S/RES/1631(2005)", "A/RES/99/999"]
    assert [a.get_text() for a in cites] == ["59/48", "1631 (2005)", "99/999"]
    assert cites[0]["href"] == "/documents/A/RES/59/48" and "found" in cites[0]["class"]
    assert "unknown" in cites[2]["class"]
    assert [li.get_text(strip=True) for li in page.select("ul.unknown li")] == ["A/RES/99/999"]
    # The text reads as it was pasted, citations included.
    assert page.select_one("pre.annotated").get_text() == ENGLISH


def test_extract_page_fragment_for_htmx(read_client, read_session):
    page = soup(read_client.post("/extract", data={"text": ENGLISH}, headers={"HX-Request": "true"}))
    assert page.select_one("header") is None and page.select_one("#extract-result") is not None


def test_extract_page_takes_a_chinese_text_up_to_the_limit(read_client, read_session):
    """URL-encoding triples Chinese bytes: a 0.9 MB text must not hit Starlette's 1 MiB field cap."""
    text = "回顾第59/48号决议，" * (900_000 // 30)
    response = read_client.post("/extract", data={"text": text})
    assert response.status_code == 200
    assert soup(response).select_one(".count").get_text() == f"({900_000 // 30})"
    over = read_client.post("/extract", data={"text": text * 2})
    assert over.status_code == 413 and "MB" in soup(over).select_one(".message.error").get_text()
