"""What a person sees and clicks, in Debian's chromium driven by Playwright."""

import pytest

from tests.browser import chromium, empty_database_url, live_server, screenshot_dir

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_server(empty_database_url(tmp_path_factory, "browser")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_sco_chain_from_home_page(server, page):
    page.goto(server + "/")
    page.get_by_role("link", name="SCO").click()
    page.wait_for_url("**/organizations/SCO")
    labels = page.locator("ol.chain > li a.label").all_inner_texts()
    assert labels[0] == "A/RES/59/48" and labels[-2:] == ["A/77/L.107", "A/79/L.124"]
    assert "2008年11月20日信函（附决议草案）" in labels
    # where the texts Lineage holds end, the facts from public sources begin, visibly
    mark = page.locator("ol.chain > li.sources-begin .sources-mark")
    assert mark.is_visible() and page.locator("ol.chain > li.sources-begin a.label").inner_text() == "A/79/L.124"
    page.screenshot(path=str(screenshot_dir() / "sco-chain.png"), full_page=True)


def test_live_search_then_follow_to_the_document(server, page):
    page.goto(server + "/")
    page.get_by_role("searchbox").fill("1631 (2005)")
    result = page.locator("#search-results .exact a")
    result.wait_for()
    result.click()
    page.wait_for_url("**/documents/S/RES/1631(2005)")
    assert page.locator("#cited-by li.citation").count() == 3


def test_search_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    page.get_by_role("searchbox").fill("第59/48号决议")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/documents/A/RES/59/48")
    assert page.locator("h1").inner_text() == "A/RES/59/48"
    context.close()


def test_timeline_graph_click_a_node_to_its_document(server, page):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(server + "/")
    page.locator('tr[data-acronym="SCO"] td.graph a').click()
    page.wait_for_url("**/organizations/SCO/graph")
    svg = page.locator("figure.timeline-graph svg.timeline")
    assert svg.is_visible()
    assert page.locator("svg.timeline g.doc").count() >= 10
    assert page.locator("svg.timeline g.cite").count() >= 10
    page.screenshot(path=str(screenshot_dir() / "sco-graph.png"), full_page=True)
    node = page.locator('svg.timeline g.doc[data-key="A/RES/64/183"] a')
    node.scroll_into_view_if_needed()
    node.click()
    page.wait_for_url("**/documents/A/RES/64/183")
    assert page.locator("h1").inner_text() == "A/RES/64/183"


def test_whole_graph_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1600, "height": 900})
    page = context.new_page()
    page.goto(server + "/graph")
    assert page.locator("svg.timeline g.doc").count() >= 25
    page.screenshot(path=str(screenshot_dir() / "graph.png"), full_page=True)
    page.locator('svg.timeline g.doc[data-key="seed-004-5f2f1bc2f128ea34"] a').click()
    page.wait_for_url("**/documents/seed-004-5f2f1bc2f128ea34")
    context.close()
