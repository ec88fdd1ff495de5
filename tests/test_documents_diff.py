"""Paragraph diff of two texts: alignment, statuses, character-level changes, bad input."""

import copy
import random
import time

import pytest

from app.budget import Deadline, OverBudget
from app.config import get_settings
from app.web import urls
from app.documents.queries import by_ref
from app.documents.diff import (
    BAND, CUT_WORK, INLINE_MAX_CHARS, SECTIONS, SHARED, TOKEN_PAIRS, WORK_BUDGET, Para, align, compared_chars,
    diff_texts, inline, parse_spec, sections,
)
from app.documents.store import DocumentIn, ingest_document
from tests.helpers import soup

CSTO_LETTER = "seed-002-cad8b63664231793"
CSTO_DRAFT = "seed-004-5f2f1bc2f128ea34"
SCO_LETTER = "seed-000-02a8ab7b9388f710"


def _rows(page, section):
    return page.select(f'section[data-section="{section}"] ol.diff > li.para')


def _text(li, keep: str) -> str:
    """The paragraph as it reads in one text: `a` drops <ins>, `b` drops <del>."""
    span = copy.copy(li.select_one("span.text"))
    drop = "ins" if keep == "a" else "del"
    for tag in span.find_all(drop):
        tag.decompose()
    return span.get_text()


def test_inline_diff_is_character_by_character_for_chinese():
    segs = inline("提及其 2004 年 12 月 2 日第 59/50 号决议", "又提及大会 2004 年 12 月 2 日第 59/50 号决议")
    assert segs[0] == ("insert", "又")
    assert ("delete", "其") in segs and ("insert", "大会") in segs
    assert "".join(s for op, s in segs if op != "insert") == "提及其 2004 年 12 月 2 日第 59/50 号决议"
    assert "".join(s for op, s in segs if op != "delete") == "又提及大会 2004 年 12 月 2 日第 59/50 号决议"


def test_inline_diff_is_word_by_word_for_english():
    segs = inline("Recalling its resolution 64/183", "Recalling also its resolutions 64/183")
    assert ("insert", "also ") in segs or ("insert", " also") in segs
    assert ("delete", "resolution") in segs and ("insert", "resolutions") in segs


def test_align_finds_added_removed_changed_and_moved():
    a = [Para(0, None, "甲甲甲甲甲甲"), Para(1, None, "乙乙乙乙乙乙"), Para(2, None, "丙丙丙丙丙丙"),
         Para(3, None, "丁丁丁丁丁丁")]
    b = [Para(0, None, "丙丙丙丙丙丙"), Para(1, None, "甲甲甲甲甲甲"), Para(2, None, "乙乙乙乙乙戊"),
         Para(3, None, "己己己己己己")]
    rows = [(r.status, r.a.position if r.a else None, r.b.position if r.b else None) for r in align(a, b)]
    assert ("moved", 2, 0) in rows
    assert ("same", 0, 1) in rows
    assert ("changed", 1, 2) in rows
    assert ("removed", 3, None) in rows and ("added", None, 3) in rows
    assert len(rows) == 5


def test_csto_letter_against_the_71st_session_draft(read_session, read_client):
    r = read_client.get(f"/diff/{CSTO_LETTER}...{CSTO_DRAFT}")
    assert r.status_code == 200
    page = soup(r)
    assert page.select_one("a.doc-a")["href"] == f"/documents/{CSTO_LETTER}"
    assert page.select_one("a.doc-b")["href"] == f"/documents/{CSTO_DRAFT}"
    pre, op = _rows(page, "preamble"), _rows(page, "operative")
    assert pre and op
    statuses = {li["data-status"] for li in pre + op}
    assert {"added", "removed", "changed", "moved"} <= statuses
    # 59/50: "提及其 …" became "又提及大会 …": changed, character by character
    row = next(li for li in pre if "59/50" in li.get_text())
    assert row["data-status"] == "changed"
    assert [t.get_text() for t in row.select("ins")][:2] == ["又", "大会"]
    assert _text(row, "a").startswith("提及其 2004 年 12 月 2 日第 59/50 号决议")
    assert _text(row, "b").startswith("又提及大会 2004 年 12 月 2 日第 59/50 号决议")
    # the new "审议了秘书长…的报告" paragraph is added, whole
    first = pre[0]
    assert first["data-status"] == "added" and first.select_one("ins").get_text().startswith("审议了秘书长")
    # the 64th-session letter's report request (65th session) became the 73rd
    report = next(li for li in op if "执行情况" in li.get_text() and li["data-status"] == "changed")
    assert "第六十五届" in _text(report, "a") and "第七十三届" in _text(report, "b")
    assert {"六", "五"} <= {d.get_text() for d in report.select("del")}  # 六十五 -> 七十三
    assert {"七", "三"} <= {i.get_text() for i in report.select("ins")}
    assert report.select_one("span.number").get_text(strip=True) == "4 → 8"
    # preambular paragraphs are never paired with operative ones
    assert all(li.select_one("span.number") is None for li in pre)


def test_sco_letter_against_a_77_l_107(read_session, read_client):
    page = soup(read_client.get(f"/diff/{SCO_LETTER}...A/77/L.107"))
    pre, op = _rows(page, "preamble"), _rows(page, "operative")
    assert len([li for li in pre if li["data-status"] != "removed"]) >= 20  # A/77/L.107 has 23
    report = next(li for li in op if "提交" in li.get_text() and li["data-status"] == "changed")
    assert "七十九" in "".join(i.get_text() for i in report.select("ins"))
    assert "____" in "".join(d.get_text() for d in report.select("del"))
    summary = page.select_one("p.diff-summary").get_text()
    assert "新增" in summary and "移动" in summary


def test_diff_of_a_text_with_itself_is_all_unchanged(read_session):
    d = diff_texts(by_ref(read_session, CSTO_DRAFT).text, by_ref(read_session, CSTO_DRAFT).text)
    assert d.count("same") == sum(len(s.rows) for s in d.sections) > 0


def test_every_chain_link_offers_compare_with_previous(read_session, read_client):
    page = soup(read_client.get(urls.organization("CSTO")))
    links = page.select("ol.chain > li")
    draft = next(li for li in links if li["data-key"] == CSTO_DRAFT)
    href = draft.select_one("a.compare-previous")["href"]
    assert href == f"/diff/{CSTO_LETTER}...{CSTO_DRAFT}"
    assert read_client.get(href).status_code == 200
    # the first text of the chain has nothing before it; links without text offer nothing
    assert next(li for li in links if li["data-key"] == CSTO_LETTER).select_one("a.compare-previous") is None
    assert all(li.select_one("a.compare-previous") is None for li in links if "no-text" in li["class"])
    sco = soup(read_client.get(urls.organization("SCO"))).select_one('ol.chain > li[data-key="A/77/L.107"]')
    assert sco.select_one("a.compare-previous")["href"] == f"/diff/{SCO_LETTER}...A/77/L.107"


def test_parse_spec():
    assert parse_spec("A/RES/64/183...A/77/L.107") == ("A/RES/64/183", "A/77/L.107")
    assert parse_spec("S/RES/1631(2005)...seed-004-x") == ("S/RES/1631(2005)", "seed-004-x")


def test_bad_specs_and_documents_are_4xx(read_session, read_client):
    for spec in ("nothing", "a...b...c", "...A/77/L.107", "A/77/L.107..."):
        r = read_client.get(f"/diff/{spec}")
        assert r.status_code == 400, spec
        assert "FIRST...SECOND" in soup(r).select_one("p.message").get_text()
    r = read_client.get(f"/diff/A/RES/99/999...{CSTO_DRAFT}")
    assert r.status_code == 404 and "A/RES/99/999" in r.text
    r = read_client.get(f"/diff/64/183...{CSTO_DRAFT}")  # found by its normalized symbol, but no text
    assert r.status_code == 422 and "A/RES/64/183" in r.text
    assert read_client.get("/diff/").status_code in (400, 404)


# --- bounded: texts of hundreds of paragraphs, paragraphs of thousands of characters ----------


def _numbered(lang: str, n: int, edit_every: int = 0) -> str:
    """A resolution of `n` numbered paragraphs, a quarter of them preambular, alike but for their
    numbers; with `edit_every`, every such paragraph edited a little (a word or a character
    added): the shape of the two texts that took 20 s to compare."""
    def edited(i: int) -> bool:
        return bool(edit_every) and i % edit_every == 0

    if lang == "zh":
        lines = ["大会，"]
        lines += [f"{'又' if edited(i) else ''}回顾其2004年12月{i % 28 + 1}日第{i}/{i % 97 + 1}号决议关于序言段落{i}"
                  "以及联合国与区域组织之间合作的问题，" for i in range(1, n // 4 + 1)]
        lines += [f"{i}. {'还' if edited(i) else ''}请秘书长向大会第{i % 9 + 71}届会议提交关于第{i}段和议程项目"
                  f"{i * 7 % 101}的报告，并继续与会员国就本决议的执行情况进行协商；" for i in range(1, n - n // 4 + 1)]
    else:
        lines = ["The General Assembly,"]
        lines += [f"Recalling {'also ' if edited(i) else ''}its resolution {i}/{i % 97 + 1} of {i % 28 + 1} December "
                  f"2004 on the matter of preambular paragraph {i} and the cooperation between the United Nations "
                  "and regional organizations," for i in range(1, n // 4 + 1)]
        lines += [f"{i}. The General Assembly {'further ' if edited(i) else ''}requests the Secretary-General to "
                  f"submit a report on paragraph {i} concerning item {i * 7 % 101} of the agenda to its seventy-"
                  f"{i % 9 + 1} session, and to continue the consultations with the Member States on the "
                  "implementation of the present resolution;" for i in range(1, n - n // 4 + 1)]
    return "\n".join(lines) + "\n"


def _sides(segments) -> tuple[str, str]:
    return ("".join(s for op, s in segments if op != "insert"), "".join(s for op, s in segments if op != "delete"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_work_of_a_diff_grows_with_the_paragraphs_not_their_square(lang):
    """Every paragraph of 400 edited: four times the paragraphs of 100 cost four times the
    pairs scored and the tokens compared (every pair scored was 16 times), and each paragraph
    is still paired with its own."""
    small = diff_texts(_numbered(lang, 100), _numbered(lang, 100, edit_every=1))
    large = diff_texts(_numbered(lang, 400), _numbered(lang, 400, edit_every=1))
    assert large.count("changed") == 400
    assert all(r.a.position == r.b.position and r.a.number == r.b.number for s in large.sections for r in s.rows)
    assert large.effort.pairs <= 4.5 * small.effort.pairs, (small.effort, large.effort)
    assert large.effort.tokens <= 4.5 * small.effort.tokens, (small.effort, large.effort)
    assert large.effort.pairs <= (2 * BAND + 1 + SHARED) * 400


def test_an_edited_and_moved_paragraph_is_found_among_hundreds():
    sa, sb = sections(_numbered("en", 400)), sections(_numbered("en", 400, edit_every=1))
    b = sb["operative"]
    b = b[:10] + b[11:250] + [b[10]] + b[250:]  # the 11th paragraph, edited, now 250th
    rows = align(sa["operative"], [Para(k, p.number, p.text) for k, p in enumerate(b)])
    assert [(r.a.position, r.b.position) for r in rows if r.status == "moved"] == [(10, 249)]
    assert {r.status for r in rows} == {"changed", "moved"}


def _alternating(n: int) -> tuple[str, str]:
    return "甲乙" * n, "乙甲" * n


def _edited(n: int) -> tuple[str, str]:
    """Characters of a small set (each repeated, none found once), one in fifty replaced."""
    chars = "的会议大决定国联合组织秘书长报告请执行情况第届提交区域合作和与在关于"
    draw = random.Random(n)
    a = "".join(draw.choice(chars) for _ in range(2 * n))
    return a, "".join("变" if i % 50 == 0 else c for i, c in enumerate(a))


def _repeated(n: int) -> tuple[str, str]:
    return "甲" * 2 * n, "甲" * (2 * n - 1) + "乙"


@pytest.mark.parametrize("shape, rows", [(_alternating, 2), (_edited, 1), (_repeated, 1)])
def test_one_huge_paragraph_is_compared_in_linear_work(shape, rows):
    """Two paragraphs of thousands of characters: the work grows with their length, and the
    rows still turn one into the other (two alternating characters, shifted by one, have no run
    found once in each: they are shown removed and added)."""
    work = []
    for n in (2_000, 8_000):
        a, b = shape(n)
        found = diff_texts(f"大会，\n1. {a}\n", f"大会，\n1. {b}\n")
        section = found.sections[1].rows
        assert len(section) == rows
        assert "".join(r.a.text for r in section if r.a) == a and "".join(r.b.text for r in section if r.b) == b
        assert all(_sides(r.segments) == (a, b) for r in section if r.status == "changed")
        work.append(found.effort.tokens + found.effort.cut)
    assert work[1] <= 4.5 * work[0], work
    assert work[1] <= CUT_WORK * 2 * 16_000 + WORK_BUDGET


def test_the_work_of_a_diff_stops_at_its_budget():
    """Paragraphs that SequenceMatcher compares at the cost of the product of their lengths:
    once a diff has spent WORK_BUDGET, the rest is compared by cutting, and still right."""
    a = "大会，\n" + "".join(f"{i}. {'甲乙' * 150}\n" for i in range(1, 150))
    b = "大会，\n" + "".join(f"{i}. {'乙甲' * 150}\n" for i in range(1, 150))
    found = diff_texts(a, b)
    assert found.effort.tokens <= WORK_BUDGET < found.effort.tokens + TOKEN_PAIRS
    assert found.effort.cut > 0
    for row in found.sections[1].rows:
        assert row.status in ("changed", "moved", "added", "removed")
        if row.segments:
            assert _sides(row.segments) == (row.a.text, row.b.text)


def test_a_diff_past_its_deadline_stops():
    text = _numbered("zh", 100)
    with pytest.raises(OverBudget):
        diff_texts(text, _numbered("zh", 100, edit_every=1), Deadline(-1))
    with pytest.raises(OverBudget):
        inline(text, text[::-1], Deadline(-1))


def _apply(old: list[str], patch: list[str]) -> list[str]:
    """`old` with the hunks of one section's unified diff applied (checking its context)."""
    out: list[str] = []
    k = 0
    for line in patch:
        if line.startswith("@@"):
            start = int(line.split()[1].split(",")[0].lstrip("-"))
            length = int(line.split()[1].split(",")[1])
            start = start - 1 if length else start
            out += old[k:start]
            k = start
        elif line[0] in " -":
            assert old[k] == line[1:], (k, line)
            k += 1
            if line[0] == " ":
                out.append(line[1:])
        elif line[0] == "+":
            out.append(line[1:])
    return out + old[k:]


def _check_unified(body: str, a_text: str, b_text: str, label_a: str, label_b: str) -> None:
    """The unified diff turns each section of the first text into the second's."""
    lines = body.splitlines()
    sa, sb = sections(a_text), sections(b_text)

    def as_lines(paras):
        return [" ".join((f"{p.number}. {p.text}" if p.number else p.text).splitlines()) for p in paras]

    for name in SECTIONS:
        header = f"--- {label_a} ({name})"
        if header not in lines:
            assert as_lines(sa[name]) == as_lines(sb[name])
            continue
        start = lines.index(header)
        assert lines[start + 1] == f"+++ {label_b} ({name})"
        end = next((k for k in range(start + 2, len(lines)) if lines[k].startswith("--- ")), len(lines))
        assert _apply(as_lines(sa[name]), lines[start + 2:end]) == as_lines(sb[name])


def test_the_seed_diff_as_a_download(read_session, read_client):
    page = soup(read_client.get(f"/diff/{CSTO_LETTER}...{CSTO_DRAFT}"))
    href = page.select_one("a.download")["href"]
    assert href == f"/diff/{CSTO_LETTER}...{CSTO_DRAFT}.txt"
    r = read_client.get(href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"].startswith("attachment;")
    letter, draft = by_ref(read_session, CSTO_LETTER), by_ref(read_session, CSTO_DRAFT)
    _check_unified(r.text, letter.text, draft.text, CSTO_LETTER, CSTO_DRAFT)
    assert any(line.startswith("+2. 赞赏地注意到集体安全条约组织") for line in r.text.splitlines())
    assert read_client.get(f"/diff/A/RES/99/999...{CSTO_DRAFT}.txt").status_code == 404


def _import(session, key_or_symbol: str, text: str):
    symbol = key_or_symbol if "/" in key_or_symbol else None
    return ingest_document(session, DocumentIn(key=None if symbol else key_or_symbol, symbol=symbol,
                                               kind="draft_resolution" if symbol else "other", text=text)).document


@pytest.mark.parametrize("lang, n", [("zh", 1_200), ("en", 600)])
def test_texts_over_the_limit_are_offered_as_a_download(client, session, lang, n):
    """Too long to compare inline (here ~140,000 characters, two paragraphs in a hundred
    edited): the page says so in the reader's language and links the unified diff."""
    a_text, b_text = _numbered(lang, n), _numbered(lang, n, edit_every=50)
    a, b = _import(session, "long-a", a_text), _import(session, "A/80/L.9", b_text)
    assert compared_chars(sections(a_text), sections(b_text)) > INLINE_MAX_CHARS
    r = client.get(urls.diff(a, b), params={"lang": lang})
    assert r.status_code == 200
    page = soup(r)
    message = page.select_one("section.diff-too-long p.message").get_text()
    assert f"{INLINE_MAX_CHARS:,}" in message
    assert ("too long" in message) if lang == "en" else ("太长" in message)
    assert page.select_one("a.doc-a")["href"] == "/documents/long-a"
    assert page.select_one("a.doc-b")["href"] == "/documents/A/80/L.9"
    assert not page.select("ol.diff")
    href = page.select_one("section.diff-too-long a.download")["href"]
    assert href == "/diff/long-a...A/80/L.9.txt"
    download = client.get(href)
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="diff-long-a...A_80_L.9.txt"'
    _check_unified(download.text, a_text, b_text, "long-a", "A/80/L.9")
    assert sum(line.startswith("+") and not line.startswith("+++") for line in download.text.splitlines()) == n // 50


def _cpu_seconds(client, *urls_: str) -> list[float]:
    """The least CPU time of this process (the app's threads included) that each page took, of
    three tries taken in turn: other processes on the machine do not count."""
    best = [float("inf")] * len(urls_)
    for _ in range(3):
        for k, url in enumerate(urls_):
            start = time.process_time()
            r = client.get(url)
            best[k] = min(best[k], time.process_time() - start)
            assert r.status_code == 200
    return best


def test_the_diff_page_of_imported_texts_takes_time_linear_in_their_paragraphs(client, session):
    """Through the route: 400 paragraphs each edited take about four times 100 (they took 16
    times, 20 s for 200 English ones), and the page pairs each paragraph with its own."""
    urls_ = {}
    for n in (100, 400):
        a = _import(session, f"n{n}-a", _numbered("zh", n))
        b = _import(session, f"n{n}-b", _numbered("zh", n, edit_every=1))
        urls_[n] = urls.diff(a, b)
    page = soup(client.get(urls_[400]))
    rows = _rows(page, "operative")
    assert len(rows) == 300 and {li["data-status"] for li in rows} == {"changed"}
    assert all(li.select_one("span.number").get_text(strip=True) == f"{k} → {k}" for k, li in enumerate(rows, 1))
    assert all(li.select_one("ins").get_text() == "还" for li in rows[4::5])
    small, large = _cpu_seconds(client, urls_[100], urls_[400])
    assert large <= 6 * small, (small, large)


def test_the_diff_page_passes_the_request_budget(client, session, monkeypatch):
    a, b = _import(session, "a", _numbered("zh", 50)), _import(session, "b", _numbered("zh", 50, edit_every=1))
    monkeypatch.setattr(get_settings(), "request_budget_seconds", 1e-9)
    for url in (urls.diff(a, b), urls.diff_text(a, b)):
        try:
            r = client.get(url)
        except OverBudget:
            continue  # no handler installed: the deadline reached the route
        assert r.status_code == 503, url
