"""axe-core's WCAG 2 A and AA rules on every kind of page, in Debian's chromium.

axe-core is the pinned npm package (package.json), read from node_modules: it is a test tool, so
it is not copied into static/ for readers. It is evaluated through the DevTools protocol, which
the pages' Content-Security-Policy (no inline script) does not apply to, so the pages are checked
under the very policy they are served with.
"""

import os

import pytest

from app.config import PROJECT_ROOT
from tests.admin_support import PASSWORD
from tests.browser import chromium, empty_database_url, live_server, run_lineage

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe's tags for them).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

PUBLIC_PAGES = {
    "home": "/",
    "chain": "/organizations/SCO",
    "chain as of": "/organizations/SCO?as_of=64",
    "document": "/documents/A/RES/59/48",
    "document without text": "/documents/A/RES/61/210",
    "search": "/search?q=合作",
    "search without results": "/search?q=不存在的词语",
    "anomalies": "/anomalies",
    "unresolved": "/unresolved",
    "organization graph": "/organizations/SCO/graph",
    "graph": "/graph",
    "diff": "/diff/seed-002-cad8b63664231793...seed-004-5f2f1bc2f128ea34",
    "extract": "/extract",
    "not found": "/organizations/NOPE",
    "login": "/login",
}
ADMIN_PAGES = {
    "admin": "/admin",
    "admin filtered": "/admin?organization=SCO&symbol=L.",
    "admin new document": "/admin/documents/new",
    "admin edit": "/admin/documents/A/RES/64/183/edit",
    "admin delete": "/admin/documents/A/RES/64/183/delete",
    "admin audit": "/admin/audit",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = empty_database_url(tmp_path_factory, "browser-axe")
    with live_server(url) as base:
        env = {**os.environ, "LINEAGE_DATABASE_URL": url, "LINEAGE_ADMIN_PASSWORD": PASSWORD}
        run_lineage(env, "create-admin", "editor")
        yield base


@pytest.fixture(scope="module")
def browser():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (npm ci)")
    with chromium() as b:
        yield b


def violations(page) -> list[str]:
    """axe-core's WCAG 2 A/AA violations on the page as loaded, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {node['target']}"
        for v in result["violations"] for node in v["nodes"][:3]
    ]


def _check(page, base: str, path: str) -> list[str]:
    response = page.goto(base + path)
    assert response is not None and response.status < 500, path
    page.wait_for_load_state("networkidle")
    return violations(page)


@pytest.mark.parametrize("lang", ["zh-CN", "en-US"])
def test_public_pages_pass_wcag2_aa(server, browser, lang):
    context = browser.new_context(locale=lang, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = {name: _check(page, server, path) for name, path in PUBLIC_PAGES.items()}
    context.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_extract_result_passes_wcag2_aa(server, browser):
    context = browser.new_context(locale="zh-CN", java_script_enabled=True)
    page = context.new_page()
    page.goto(server + "/extract")
    page.locator("form.extract textarea").fill("回顾其2004年12月2日第59/48号决议和第99/999号决议，")
    page.locator("form.extract button[type=submit]").click()
    # the result is swapped in by htmx after its response: waited for itself ("networkidle" can
    # come first on a loaded machine)
    page.locator("a[href='/documents/A/RES/59/48']").first.wait_for(timeout=10_000)
    found = violations(page)
    context.close()
    assert found == []


def test_a_paged_extract_result_passes_wcag2_aa(server, browser):
    # More citations than a page holds: the range, the buttons to the other pages, and the note
    # that more unknown symbols were found than are listed.
    listing = "、".join(f"{60 + i % 20}/{i % 97 + 1}" for i in range(1200))
    context = browser.new_context(locale="zh-CN", java_script_enabled=True)
    page = context.new_page()
    page.goto(server + "/extract")
    page.locator("form.extract textarea").fill(f"大会，\n回顾第{listing}号决议，\n")
    page.locator("form.extract button[type=submit]").click()
    page.locator("nav.pager button").first.wait_for(timeout=10_000)
    page.locator("nav.pager button").first.click()
    page.locator("nav.pager button").nth(1).wait_for(timeout=10_000)
    found = violations(page)
    context.close()
    assert found == []


def test_admin_pages_pass_wcag2_aa(server, browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server + "/login?lang=en")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin")
    found = {name: _check(page, server, path) for name, path in ADMIN_PAGES.items()}
    # The audit log has an entry once something was saved: a new title through the edit form.
    page.goto(server + "/admin/documents/A/77/L.107/edit")
    page.get_by_label("Title", exact=True).fill("联合国同上海合作组织的合作（axe）")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    page.goto(server + "/admin/audit")
    entries = page.locator("a[href^='/admin/audit/']")
    assert entries.count() >= 1
    found["admin audit entry"] = _check(page, server, entries.first.get_attribute("href"))
    context.close()
    assert {name: v for name, v in found.items() if v} == {}
