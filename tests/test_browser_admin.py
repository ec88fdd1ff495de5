"""The admin as a person uses it, in Debian's chromium: log in, paste a text, fix the preview,
save, find the text at the end of its chain. And the same form without JavaScript."""

import pytest

from tests.admin_support import SCO_TEXT, SCO_TITLE
from tests.browser import admin_server, browser, log_in_editor, screenshot_dir  # noqa: F401

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # the one way to an admin account: `lineage create-admin`, with the password from the environment
    yield from admin_server(tmp_path_factory, "browser-admin", seed=True)


def _fill(page, symbol, kind, organization, session, date, title, text):
    page.get_by_label("Symbol", exact=True).fill(symbol)
    page.get_by_label("Kind", exact=True).select_option(kind)
    page.get_by_label("Organization", exact=True).select_option(organization)
    page.get_by_label("Session", exact=True).fill(session)
    page.get_by_label("Adoption date", exact=True).fill(date)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Text", exact=True).fill(text)


def test_paste_fix_the_preview_save_and_see_the_chain(server, browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in_editor(page, server)
    page.get_by_role("link", name="Add a document").first.click()
    page.wait_for_url("**/admin/documents/new")
    _fill(page, "A/79/L.99", "draft_resolution", "SCO", "79", "2025-09-02", SCO_TITLE, SCO_TEXT)

    # The live preview (htmx) lists what the extractor found, as editable rows.
    rows = page.locator("#preview tr[data-key]:not([data-key=''])")
    rows.first.wait_for()
    assert rows.count() == 9
    row_183 = page.locator("#preview tr[data-symbol='A/RES/64/183']")
    assert row_183.locator("input[name$='-verb']").input_value() == "回顾"
    # Fix the preview: 64/183 is "又回顾", and 61/210 is left out.
    row_183.locator("input[name$='-verb']").fill("又回顾")
    page.locator("#preview tr[data-symbol='A/RES/61/210']").get_by_role("checkbox").uncheck()
    page.screenshot(path=str(screenshot_dir() / "admin-preview.png"), full_page=True)

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/documents/A/79/L.99")
    cites = page.locator("#cites").inner_text()
    assert "又回顾" in cites and "61/210" not in cites

    page.goto(server + "/organizations/SCO")
    labels = page.locator("ol.chain > li a.label").all_inner_texts()
    assert labels[-1] == "A/79/L.99" and labels[0] == "A/RES/59/48"
    page.screenshot(path=str(screenshot_dir() / "admin-sco-chain.png"), full_page=True)
    context.close()


LETTER = """ 大会，

 还回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48号决议，

 1. 决定在第八十一届会议临时议程内列入这个项目。
"""


def test_the_form_works_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    log_in_editor(page, server)
    page.goto(server + "/admin/documents/new")
    _fill(page, "A/80/L.7", "draft_resolution", "", "80", "2025-10-02", "Test", LETTER)
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview tr[data-symbol='A/RES/59/48']").wait_for()
    # An error is shown next to its field, with what was typed kept.
    page.get_by_label("Adoption date", exact=True).fill("2008-10-02")
    page.get_by_role("button", name="Save").click()
    assert "does not fit the date" in page.locator("#f-session-error").inner_text()
    assert page.get_by_label("Symbol", exact=True).input_value() == "A/80/L.7"
    page.get_by_label("Adoption date", exact=True).fill("2025-10-02")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/documents/A/80/L.7")
    assert page.locator("h1").inner_text() == "A/80/L.7"
    context.close()
