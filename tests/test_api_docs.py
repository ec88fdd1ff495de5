"""/docs works offline and under the site's Content-Security-Policy: Swagger UI comes from
static/vendor (a pinned npm package), and its start-up script is a file, not inline code."""

from urllib.parse import urlparse

import pytest

from tests.browser import chromium, empty_database_url, live_server
from tests.helpers import soup


def test_docs_load_only_files_of_this_site(client):
    page = soup(client.get("/docs"))
    scripts = page.find_all("script")
    assert scripts and all(s.get("src") and not s.get_text(strip=True) for s in scripts)  # no inline code
    assets = [s["src"] for s in scripts] + [link["href"] for link in page.find_all("link", href=True)]
    for url in assets:
        parsed = urlparse(url)
        assert not parsed.netloc and url.startswith("/static/"), url
        response = client.get(url)
        assert response.status_code == 200 and len(response.content) > 100, url
    assert any(url.startswith("/static/vendor/") for url in assets)


def test_no_page_fetches_docs_assets_from_elsewhere(client):
    # ReDoc and the OAuth2 redirect page would load a CDN script or run an inline one.
    for path in ("/redoc", "/docs/oauth2-redirect"):
        response = client.get(path)
        assert response.status_code == 404 or "cdn." not in response.text


@pytest.mark.browser
def test_docs_render_in_chromium_without_a_csp_violation(tmp_path_factory):
    pytest.importorskip("playwright.sync_api")
    with live_server(empty_database_url(tmp_path_factory, "docs"), seed=False) as base, chromium() as browser:
        context = browser.new_context()
        # Every violation of the policy, whether chromium logs it or not.
        context.add_init_script(
            "window.__cspViolations = []; document.addEventListener('securitypolicyviolation',"
            " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));")
        page = context.new_page()
        problems, elsewhere = [], []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith((base, "data:")) else None)
        page.goto(base + "/docs")
        page.locator(".opblock").first.wait_for(timeout=30_000)
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/extract" in op for op in operations), operations
        # Open one operation: the expanded view renders too, under the same policy.
        page.locator(".opblock-summary").first.click()
        page.locator(".opblock-body").first.wait_for()
        violations = page.evaluate("window.__cspViolations || []")
        context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not violations and not elsewhere, (violations, elsewhere)
