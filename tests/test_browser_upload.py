"""In Debian's chromium: an admin drops a seed PDF on the add form and saves it without typing a
field; and the same without JavaScript (pick the file, read it, save)."""

import pytest

from tests import un_documents as u
from tests.browser import admin_server, browser, log_in_editor, screenshot_dir  # noqa: F401

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # an empty database: the organization the PDF names is new to Lineage, as it is on a clean clone
    yield from admin_server(tmp_path_factory, "browser-upload", seed=False)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    return {p.stem[:3]: p for p in u.write_all(tmp_path_factory.mktemp("browser-pdfs"), "pdf")}


def test_drop_a_pdf_on_the_add_form_and_save_it_without_typing(server, browser, pdfs):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in_editor(page, server)
    page.goto(server + "/admin/documents/new")
    # the file lands on the drop field; htmx posts it at once and swaps the filled form in
    page.set_input_files("#f-file", str(pdfs["001"]))
    page.locator("#fields p.evidence[data-field='symbol']").wait_for()
    assert page.get_by_label("Symbol", exact=True).input_value() == "A/77/L.107"
    assert page.get_by_label("Session", exact=True).input_value() == "77"
    assert page.get_by_label("Kind", exact=True).input_value() == "draft_resolution"
    assert page.get_by_label("Title", exact=True).input_value() == "联合国同上海合作组织的合作"
    assert "上海合作组织" in page.locator("#f-organization option:checked").inner_text()
    assert page.locator("#fields p.evidence[data-field='session'] q").inner_text() == "第七十七届会议"
    assert page.locator("#preview tr[data-symbol='A/RES/64/183']").count() == 1
    page.screenshot(path=str(screenshot_dir() / "admin-upload-filled.png"), full_page=True)

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/documents/A/77/L.107")
    assert page.locator("h1").inner_text() == "A/77/L.107"
    assert "64/183" in page.locator("#cites").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]
    context.close()


def test_without_javascript_pick_read_and_save(server, browser, pdfs):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    log_in_editor(page, server)
    page.goto(server + "/admin/documents/new")
    page.set_input_files("#f-file", str(pdfs["003"]))
    page.get_by_role("button", name="Read the file").click()
    page.locator("#fields p.evidence[data-field='date']").wait_for()
    assert page.get_by_label("Adoption date", exact=True).input_value() == "2013-10-22"
    assert page.get_by_label("Kind", exact=True).input_value() == "letter"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/documents/**")
    assert "48/237" in page.locator("#cites").inner_text()
    context.close()


@pytest.mark.parametrize("name, make, says", [
    ("broken.pdf", lambda: b"%PDF-1.4\n" + b"\x00" * 200, "unreadable PDF"),
    ("huge.pdf", lambda: b"%PDF-1.4\n" + b"0" * 8_500_000, "8 MB"),
])
def test_a_dropped_file_that_cannot_be_read_is_said_so_by_the_field(server, browser, tmp_path, name, make, says):
    """A form refused (422), or a body over the request limit (413), is swapped in like a good
    one: the file field says why."""
    path = tmp_path / name
    path.write_bytes(make())
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in_editor(page, server)
    page.goto(server + "/admin/documents/new")
    page.set_input_files("#f-file", str(path))
    page.locator("#f-file-error").wait_for()
    assert says in page.locator("#f-file-error").inner_text()
    context.close()
