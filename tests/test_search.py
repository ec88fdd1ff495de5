"""Full-text search: CJK-aware, with snippets and paging; symbols still go to the document."""

import pytest

from app.search import queries
from app.documents.store import DocumentIn, ingest_document
from tests.helpers import soup, texts


@pytest.mark.parametrize(
    "q, expected_key",
    [
        ("观察员地位", "A/77/L.107"),  # five characters: the trigram index
        ("青岛", "A/77/L.107"),  # two characters: trigram alone finds nothing
        ("渠道", "seed-004-5f2f1bc2f128ea34"),
        ("独联体", "seed-003-ab0cfefe5dc38822"),
    ],
)
def test_full_text_finds_chinese_words_of_any_length(read_session, q, expected_key):
    hits, total = queries.full_text(read_session, q)
    assert expected_key in [h.document.key for h in hits]
    assert total == len(hits)
    hit = next(h for h in hits if h.document.key == expected_key)
    assert queries.MARK_OPEN + q + queries.MARK_CLOSE in hit.snippet


def test_one_character_query(read_session):
    hits, _ = queries.full_text(read_session, "渠")
    assert [h.document.key for h in hits] == ["seed-004-5f2f1bc2f128ea34"]


def test_search_page_shows_highlighted_snippets(read_client, read_session):
    page = soup(read_client.get("/search", params={"q": "反恐战略"}))
    hits = page.select("ol.hits li.hit")
    assert hits
    assert all(h.select_one("mark").get_text() == "反恐战略" for h in hits)


def test_snippets_are_escaped(client, session):
    ingest_document(session, DocumentIn(key="x-1", kind="other", text="前文 <script>alert(1)</script> 观察员 后文"))
    response = client.get("/search", params={"q": "观察员"})
    assert "<script>alert(1)</script>" not in response.text
    assert soup(response).select_one("li.hit mark").get_text() == "观察员"


def test_paging(client, session):
    for i in range(25):
        ingest_document(session, DocumentIn(key=f"d-{i:02}", kind="other", text=f"第{i}号 合作备忘录"))
    first = client.get("/api/search", params={"q": "合作备忘录", "per_page": 10}).json()
    assert first["total"] == 25 and len(first["results"]) == 10
    last = client.get("/api/search", params={"q": "合作备忘录", "per_page": 10, "page": 3}).json()
    assert len(last["results"]) == 5
    keys = {r["url"] for p in (1, 2, 3)
            for r in client.get("/api/search", params={"q": "合作备忘录", "per_page": 10, "page": p}).json()["results"]}
    assert len(keys) == 25
    assert queries.full_text(session, "合作备忘录", page=4, per_page=10) == ([], 25)  # past the end: still the total
    page = soup(client.get("/search", params={"q": "合作备忘录"}))
    assert page.select_one("nav.pager a[rel=next]")["href"] == "/search?q=%E5%90%88%E4%BD%9C%E5%A4%87%E5%BF%98%E5%BD%95&page=2"


def test_symbol_query_still_goes_to_the_document(read_client, read_session):
    body = read_client.get("/api/search", params={"q": "第59/48号决议"}).json()
    assert body["document_url"] == "/documents/A/RES/59/48" and body["results"] == []
    assert "[[" in read_client.get("/api/search", params={"q": "上海合作组织"}).json()["results"][0]["snippet"]


def test_search_finds_a_word_in_a_cited_paragraph_only(session):
    from app.citations import Citation as Found

    cit = Found(symbol="A/RES/59/48", raw="59/48", start=0, end=5, verb="回顾", verb_class="recall", date=None,
                location="preamble", paragraph="回顾独一无二的段落第59/48号决议", paragraph_index=0, footnote=None,
                called_from=None, link=None)
    ingest_document(session, DocumentIn(key="no-text", kind="other"), citations=[cit])
    hits, _ = queries.full_text(session, "独一无二")
    assert [(h.document.key, h.where) for h in hits] == [("no-text", "paragraph")]


def test_full_text_ignores_latin_case_and_counts_a_document_once(session):
    from app.citations import Citation as Found

    paragraph = "回顾UNCTAD的报告第59/48号决议"
    cit = Found(symbol="A/RES/59/48", raw="59/48", start=paragraph.index("59/48"), end=paragraph.index("59/48") + 5,
                verb="回顾", verb_class="recall", date=None, location="preamble", paragraph=paragraph,
                paragraph_index=0, footnote=None, called_from=None, link=None)
    ingest_document(session, DocumentIn(key="both", kind="other", text=paragraph + "\n又提及Unctad秘书处"),
                    citations=[cit])
    for q in ("unctad", "UNCTAD", "Unctad秘书处"):
        hits, total = queries.full_text(session, q)
        assert total == 1, q  # in its text and in a paragraph it quotes: one document
        assert [(h.document.key, h.where) for h in hits] == [("both", "text")]
