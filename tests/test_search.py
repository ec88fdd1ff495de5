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


# A paragraph the extractor joined across a line break, and one that is a line of the text as it is.
BROKEN = "大会，\n回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48\n号决议，\n又回顾其第64/183号决议，\n"


def _stored_paragraphs(session, key: str) -> dict[str, bool]:
    from sqlalchemy import text

    return {t: bool(v) for t, v in session.connection().execute(text(
        "SELECT p.text, p.verbatim FROM paragraph p JOIN document d ON d.id = p.document_id WHERE d.key = :k"),
        {"k": key}).all()}


def _in_paragraph_index(session, phrase: str) -> int:
    from sqlalchemy import text

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's own index of paragraphs")
    return session.connection().execute(
        text("SELECT count(*) FROM paragraph_fts WHERE paragraph_fts MATCH :p"), {"p": f'"{phrase}"'}).scalar_one()


def test_a_paragraph_joined_across_lines_is_searched_apart_and_one_that_is_in_the_text_is_not(session):
    ingest_document(session, DocumentIn(key="broken", kind="other", text=BROKEN))
    assert _stored_paragraphs(session, "broken") == {
        "回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48 号决议，": False, "又回顾其第64/183号决议，": True}
    # the joined words are in no line of the text: found through the paragraph's own index
    hits, total = queries.full_text(session, "第59/48 号决议")
    assert total == 1 and [(h.document.key, h.where) for h in hits] == [("broken", "paragraph")]
    # a verbatim paragraph's words are found in the text, where they are
    hits, total = queries.full_text(session, "第64/183号")
    assert total == 1 and [(h.document.key, h.where) for h in hits] == [("broken", "text")]
    if session.get_bind().dialect.name == "sqlite":
        assert _in_paragraph_index(session, "第59/48 号决议") == 1
        assert _in_paragraph_index(session, "第64/183号") == 0


def test_a_text_edited_around_an_unchanged_paragraph_keeps_it_searchable(session):
    """The same paragraph, once a line of the text, then broken across two: its words stay found
    (the writer compares whether it is verbatim, not only its words)."""
    first = "大会，\n回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48 号决议，\n"
    broken = first.replace("59/48 ", "59/48\n")  # the same paragraph and citation, joined by the extractor
    ingest_document(session, DocumentIn(key="edited", kind="other", text=first))
    assert list(_stored_paragraphs(session, "edited").values()) == [True]
    ingest_document(session, DocumentIn(key="edited", kind="other", text=broken))
    assert _stored_paragraphs(session, "edited")["回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48 号决议，"] is False
    assert [h.document.key for h in queries.full_text(session, "第59/48 号决议")[0]] == ["edited"]
    # and back: taken out of the paragraphs' index as it was put in, found in the text again
    ingest_document(session, DocumentIn(key="edited", kind="other", text=first))
    assert [h.document.key for h in queries.full_text(session, "第59/48 号决议")[0]] == ["edited"]
    if session.get_bind().dialect.name == "sqlite":
        assert _in_paragraph_index(session, "第59/48 号决议") == 0
