"""Nothing a small request buys may be large: a response is at most K times its request.

The adversarial input is one paragraph listing thousands of symbols (`第1/1号、第1/2号、…`):
repeating the paragraph in each of its citations made 90 KB of text answer with 319 MB of JSON.
Now a citation points to its paragraph (`paragraph_index`), each paragraph goes out once, and a
citation's `paragraph` is the words around it (app/citations/excerpt.py).
"""

import io
import json
import tracemalloc

import pytest
from bs4 import BeautifulSoup

from app.exports.jsonl import export_lines
from app.citations import extract
from app.citations.excerpt import EXCERPT_WIDTH, excerpts
from app.documents.extract import PER_PAGE
from app.documents.store import DocumentIn, ingest_document

# What one citation costs in JSON (its fixed keys, about 250 bytes, and its excerpt) over what it
# costs in the densest text (`第1/2号、`, 12 bytes in UTF-8): the answer may grow linearly with
# the request, by at most this much (measured: 11-14).
K = 20
# The pretty-printed JSON and the GraphML exports spend ~500 bytes of markup on each citation's
# sixteen fields (measured: 25-42 for this list; the CSVs 4-7).
K_EXPORT = 50


def _list_of_symbols(lang: str, n: int) -> str:
    if lang == "zh":
        return "大会，\n回顾其" + "、".join(f"第{i % 70 + 1}/{i % 97 + 1}号" for i in range(n)) + "决议，\n"
    return ("The General Assembly,\nRecalling its "
            + ", ".join(f"resolution {i % 70 + 1}/{i % 97 + 1}" for i in range(n)) + ",\n")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_extract_api_answers_a_list_of_thousands_of_symbols_in_a_bounded_size(client, lang):
    text = _list_of_symbols(lang, 3000)
    request = json.dumps({"text": text}, ensure_ascii=False).encode()
    response = client.post("/api/extract", content=request, headers={"content-type": "application/json"})
    assert response.status_code == 200
    body = response.json()
    # (one page of them: POST /api/extract answers PER_PAGE at a time)
    assert body["citations_total"] > 1000 and len(body["citations"]) == PER_PAGE
    assert len(response.content) <= K * len(request), (len(response.content), len(request))
    # The paragraph goes out once; each citation points to it and quotes only its neighbourhood.
    paragraphs = {p["index"]: p["text"] for p in body["paragraphs"]}
    assert len(body["paragraphs"]) == len(paragraphs) == 1
    for c in body["citations"]:
        paragraph = paragraphs[c["paragraph_index"]]
        assert c["raw"] in c["paragraph"]
        assert len(c["paragraph"]) <= 2 * EXCERPT_WIDTH + len(c["raw"]) + 2
        assert c["paragraph"].strip("…") in paragraph


def test_an_ordinary_paragraph_is_quoted_whole(client):
    text = "大会，\n回顾其2004年12月2日第59/48号决议，\n"
    body = client.post("/api/extract", json={"text": text}).json()
    (c,) = body["citations"]
    assert c["paragraph"] == "回顾其2004年12月2日第59/48号决议，"
    assert body["paragraphs"] == [{"index": c["paragraph_index"], "text": c["paragraph"], "location": "preamble"}]


def test_excerpts_of_a_paragraph_together_stay_within_twice_its_length():
    paragraph = "回顾其" + "、".join(f"第{i}/1号" for i in range(1, 2000)) + "决议"
    raws = [f"{i}/1" for i in range(1, 2000)]
    out = excerpts(paragraph, raws)
    assert all(raw in e for raw, e in zip(raws, out))
    assert sum(len(e) for e in out) <= 2 * len(paragraph) + 2 * len(out)


def _peak(text: str) -> int:
    tracemalloc.start()
    try:
        found = extract(text)
        assert found
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_extractor_s_memory_grows_linearly_with_the_list(lang):
    """Four times the citations in one paragraph cost about four times the memory, not sixteen:
    the citations share their paragraph's one string."""
    small, large = _peak(_list_of_symbols(lang, 1000)), _peak(_list_of_symbols(lang, 4000))
    assert large < 6 * small, (small, large)
    found = extract(_list_of_symbols(lang, 100))
    assert len({id(c.paragraph) for c in found}) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_stored_list_of_symbols_gives_bounded_pages_api_and_exports(client, session, lang):
    text = _list_of_symbols(lang, 3000)
    size = len(text.encode())
    result = ingest_document(session, DocumentIn(key="list", kind="other", text=text))
    assert result.citations > 1000

    page = client.get("/documents/list")
    assert page.status_code == 200 and len(page.content) <= K * size, (len(page.content), size)
    quotes = BeautifulSoup(page.text, "html.parser").select("#cites blockquote.paragraph, .cites blockquote.paragraph")
    assert len(quotes) == 1

    api = client.get("/api/documents/list")
    assert len(api.content) <= K * size, (len(api.content), size)
    assert len(api.json()["paragraphs"]) == 1

    # A document it cites: its cited-by list shows the citer's paragraph once per page.
    cited = client.get(api.json()["cites"][0]["url"])
    assert cited.status_code == 200 and len(cited.content) <= K * size
    for name in ("citations.csv", "lineage.json", "lineage.graphml", "documents.csv"):
        export = client.get(f"/export/{name}")
        assert export.status_code == 200
        assert len(export.content) <= K_EXPORT * size, (name, len(export.content), size)

    lines = list(export_lines(session))
    assert sum(len(line.encode()) for line in lines) <= K * size
    (doc_line,) = [json.loads(line) for line in lines if '"key": "list"' in line]
    assert len(doc_line["paragraphs"]) == 1
    assert all("paragraph" not in c for c in doc_line["citations"])
