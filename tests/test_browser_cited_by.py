"""A much-cited resolution in chromium: its citers a hundred at a time, with htmx and without."""

import json
import os

import pytest

from tests.browser import chromium, empty_database_url, live_server, run_lineage, screenshot_dir

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

CITERS = 130


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = empty_database_url(tmp_path_factory, "cited-by")
    with live_server(url) as base:
        lines = [json.dumps({"symbol": f"A/RES/60/{n + 1}", "kind": "ga_resolution", "session": 60,
                             "date": f"2006-{1 + n // 28:02d}-{1 + n % 28:02d}",
                             "citations": [{"symbol": "A/RES/59/48", "verb": "回顾"}]})
                 for n in range(CITERS)]
        jsonl = tmp_path_factory.mktemp("citers") / "citers.jsonl"
        jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
        run_lineage({**os.environ, "LINEAGE_DATABASE_URL": url}, "import", str(jsonl), "--quiet")
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _citers(page) -> list[str]:
    return page.locator("#cited-by ol.cited-by a.citing").all_inner_texts()


def test_next_page_of_citers_swaps_in_place(server, browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(server + "/documents/A/RES/59/48")
    total = int(page.locator("#cited-by h2 small").inner_text().strip("()"))  # the seeds cite it too
    assert CITERS < total <= 200
    first = _citers(page)
    assert len(first) == 100
    page.locator("#cited-by a[rel=next]").click()
    page.locator("#cited-by .range", has_text="101–").wait_for()
    rest = _citers(page)
    # htmx replaced the list alone: same page, the document's heading still above it
    assert page.url == server + "/documents/A/RES/59/48"
    assert page.locator("h1.doc-title").inner_text() == "A/RES/59/48"
    assert len(rest) == total - 100 and not set(rest) & set(first)
    page.screenshot(path=str(screenshot_dir() / "cited-by-page-2.png"), full_page=False)
    context.close()


def test_pages_of_citers_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/documents/A/RES/59/48")
    first = _citers(page)
    page.locator("#cited-by a[rel=next]").click()
    page.wait_for_url("**/documents/A/RES/59/48?cited_by_page=2")
    second = _citers(page)
    assert len(first) == 100 and second and not set(first) & set(second)
    context.close()
