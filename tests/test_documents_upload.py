"""The admin form takes a file: read, it fills every field its page states with the words that
state them beside each; the person saves the form as it stands. A pasted text fills the empty
fields the same way. A file that cannot be read is said so by the file field, never a 500."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlmodel import select

from app.documents import upload as uploads
from app.documents.intake import organization_key
from app.models import Document, Organization
from app.chains.queries import chain
from tests import un_documents as u
from tests.admin_support import (  # noqa: F401
    admin, admin_client, login, no_slowdown, token,
)
from tests.helpers import soup

NEW = "/admin/documents/new?lang=en"


@pytest.fixture
def bare_admin_client(client, admin, no_slowdown):
    """An admin on a database with nothing in it: no organization, no document."""
    assert login(client).status_code == 303
    client.csrf = token(client, "/admin")
    return client


def _read(client, name: str, data: bytes, **fields):
    return client.post(
        NEW, data={"csrftoken": client.csrf, "action": "read", **fields},
        files={"file": (name, data, "application/octet-stream")}, follow_redirects=False,
    )


def form_values(page) -> dict:
    """What a browser sends for the form as it stands (the Save button pressed)."""
    form = page.select_one("#doc-form")
    data = {}
    for el in form.select("input[name]"):
        kind = el.get("type", "text")
        if kind in ("file", "submit"):
            continue
        if kind == "checkbox" and not el.has_attr("checked"):
            continue
        data[el["name"]] = el.get("value", "")
    for el in form.select("select[name]"):
        chosen = el.select_one("option[selected]")
        data[el["name"]] = chosen["value"] if chosen else ""
    for el in form.select("textarea[name]"):
        text = el.get_text()
        data[el["name"]] = text[1:] if text.startswith("\n") else text  # HTML drops the first newline
    return data


def _selected(page, name):
    opt = page.select_one(f"#f-{name} option[selected]")
    return opt["value"] if opt else None


def _evidence(page):
    return {p["data-field"]: p.q.get_text() for p in page.select("#fields p.evidence")}


def test_a_dropped_pdf_fills_the_form_with_its_evidence_and_saves(admin_client, session):
    name = "004_5f2f1bc2f128ea34.txt"
    response = _read(admin_client, "draft.pdf", u.pdf_bytes(name))
    assert response.status_code == 200, response.text
    page = soup(response)
    assert _selected(page, "kind") == "draft_resolution"
    assert _selected(page, "organization") == "CSTO"
    assert page.select_one("#f-session")["value"] == "71"
    assert page.select_one("#f-title")["value"] == "联合国同集体安全条约组织的合作"
    assert page.select_one("#f-symbol")["value"] == "" and page.select_one("#f-date")["value"] == ""
    ev = _evidence(page)
    assert ev["session"] == "第七十一届会议" and ev["kind"] == "决议草案"
    assert "集体安全条约组织" in ev["organization"]
    assert "symbol" not in ev and "date" not in ev  # the page states neither: nothing guessed
    assert "大会，" in page.select_one("#f-text").get_text()
    assert page.select("#preview table.citations-preview tbody tr")  # the citations to check

    saved = admin_client.post(NEW, data={**form_values(page), "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303, soup(saved).select(".field-error")
    session.expire_all()
    doc = session.exec(select(Document).where(Document.title == "联合国同集体安全条约组织的合作",
                                              Document.session == 71, Document.key != "seed-004-5f2f1bc2f128ea34")).one()
    assert doc.kind == "draft_resolution" and doc.provenance["session"]["quote"] == "第七十一届会议"


def test_an_organization_lineage_does_not_know_is_created_when_the_form_is_saved(bare_admin_client, session):
    response = _read(bare_admin_client, "letter.pdf", u.pdf_bytes("000_02a8ab7b9388f710.txt"))
    page = soup(response)
    key = organization_key("上海合作组织")
    assert _selected(page, "organization") == key
    assert page.select_one("#f-date")["value"] == "2008-11-20" and _selected(page, "kind") == "letter"
    assert session.exec(select(Organization)).all() == []  # reading writes nothing
    saved = bare_admin_client.post(NEW, data={**form_values(page), "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303, soup(saved).select(".field-error")
    session.expire_all()
    org = session.exec(select(Organization)).one()
    assert (org.acronym, org.name_zh, org.observer_symbol) == (key, "上海合作组织", "A/RES/59/48")
    assert [link.document.kind for link in chain(session, org)] == ["ga_resolution", "letter"]


def test_a_pasted_text_fills_the_empty_fields(admin_client):
    text = (u.SEED_DIR / "003_ab0cfefe5dc38822.txt").read_text(encoding="utf-8")
    # without JavaScript: the Preview button; a field the person typed stays as typed
    page = soup(admin_client.post(NEW, data={"csrftoken": admin_client.csrf, "action": "preview",
                                             "text": text, "title": "typed"}))
    assert _selected(page, "kind") == "letter" and _selected(page, "organization") == "CIS"
    assert page.select_one("#f-session")["value"] == "69" and page.select_one("#f-date")["value"] == "2013-10-22"
    assert page.select_one("#f-title")["value"] == "typed" and "title" not in _evidence(page)
    # with htmx: the live preview sends the filled fields out of band
    live = soup(admin_client.post("/admin/documents/new/preview?lang=en", headers={"HX-Request": "true"},
                                  data={"csrftoken": admin_client.csrf, "text": text}))
    fields = live.select_one("#fields[hx-swap-oob]")
    assert fields is not None and fields.select_one("#f-session")["value"] == "69"
    assert live.select_one("#preview") is not None
    # once they hold a value, the preview alone comes back
    again = soup(admin_client.post("/admin/documents/new/preview?lang=en", headers={"HX-Request": "true"},
                                   data={"csrftoken": admin_client.csrf, "text": text, "symbol": "",
                                         "kind": "letter", "organization": "CIS", "session": "69",
                                         "date": "2013-10-22", "title": "联合国同独立国家联合体的合作"}))
    assert again.select_one("#fields") is None


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b" " * (80 * 1024 * 1024))
    return buf.getvalue()


@pytest.mark.parametrize("name, data, reason", [
    ("broken.pdf", b"%PDF-1.4\n" + b"\x00" * 200, "unreadable PDF"),
    ("empty.pdf", b"", "empty file"),
    ("bomb.docx", _bomb(), "inflate"),
    ("notzip.docx", b"plain words", "not a zip"),
    ("image.pdf", None, "no text layer"),
    ("big.pdf", b"%PDF" + b"0" * uploads.MAX_UPLOAD_BYTES, "too large"),
    ("notes.odt", b"whatever", "not a PDF"),
])
def test_a_file_that_cannot_be_read_is_said_so_by_the_file_field(admin_client, name, data, reason):
    if data is None:
        from tests.test_documents_ingest import u_image_pdf

        data = u_image_pdf()
    response = _read(admin_client, name, data, title="kept")
    assert response.status_code == 422
    page = soup(response)
    assert reason in page.select_one("#f-file-error").get_text()
    assert page.select_one("#f-title")["value"] == "kept"  # what was typed is kept


@pytest.mark.parametrize("name", ["-dash.pdf", "-h.pdf", "--serve.pdf"])
def test_a_file_named_like_an_option_is_read_as_a_file(admin_client, name):
    """The name chooses the format and goes no further: the reader never sees it."""
    response = _read(admin_client, name, u.pdf_bytes("004_5f2f1bc2f128ea34.txt"))
    assert response.status_code == 200, soup(response).select_one("#f-file-error")
    page = soup(response)
    assert page.select_one("#f-file-error") is None
    assert page.select_one("#f-session")["value"] == "71" and _selected(page, "kind") == "draft_resolution"


@pytest.mark.parametrize("name", ["-h", "--help", "-"])
def test_a_file_named_like_an_option_without_a_suffix_is_refused_for_its_type(admin_client, name):
    response = _read(admin_client, name, u.pdf_bytes("004_5f2f1bc2f128ea34.txt"), title="kept")
    assert response.status_code == 422
    page = soup(response)
    assert "not a PDF, Word (.docx) or text file: no suffix" in page.select_one("#f-file-error").get_text()
    assert page.select_one("#f-title")["value"] == "kept"


def test_a_multipart_form_needs_its_token_wherever_it_stands(admin_client):
    pdf = u.pdf_bytes("004_5f2f1bc2f128ea34.txt")
    # no token at all: refused (403), never a 500; a token after the file is read like one before
    no_token = admin_client.post(NEW, data={"action": "read"}, files={"file": ("a.pdf", pdf)})
    assert no_token.status_code == 403
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n").encode() + pdf + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrftoken\"\r\n\r\n"
        f"{admin_client.csrf}\r\n--{boundary}--\r\n").encode()
    file_first = admin_client.post(NEW, content=body,
                                   headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert file_first.status_code == 200
    two_files = admin_client.post(NEW, data={"action": "read", "csrftoken": admin_client.csrf},
                                  files=[("file", ("a.pdf", pdf)), ("file", ("b.pdf", pdf))])
    assert two_files.status_code == 400


def test_a_file_over_the_request_limit_gets_the_form_again_with_the_message(admin_client):
    """Over the 8 MB ceiling on request bodies: a page's form comes back (413) with the message
    by its file field; an API client still gets JSON."""
    from app.config import get_settings

    ceiling = 8 * get_settings().max_text_bytes
    big = b"%PDF-1.4\n" + b"0" * ceiling
    response = _read(admin_client, "huge.pdf", big)
    assert response.status_code == 413
    page = soup(response)
    assert "8 MB" in page.select_one("#f-file-error").get_text()
    assert page.select_one("#doc-form input[name=csrftoken]")["value"]  # a form to send again
    # the same with htmx (a dropped file): the page, for the form to be swapped in
    dropped = admin_client.post(NEW, data={"csrftoken": admin_client.csrf, "action": "read"},
                                files={"file": ("huge.pdf", big)}, headers={"HX-Request": "true"})
    assert dropped.status_code == 413 and soup(dropped).select_one("#doc-form #f-file-error")
    # the extract page's form too
    extract = admin_client.post("/extract", data={"text": "决" * (ceiling // 8)})
    assert extract.status_code == 413
    assert "8 MB" in soup(extract).select_one(".message.error").get_text()
    # an API client, or a form post that asks for JSON, keeps the JSON error
    api = admin_client.post("/api/extract", content=b"x" * (ceiling + 1), headers={"content-type": "application/json"})
    assert api.status_code == 413 and "8 MB" in api.json()["error"]
    wants_json = admin_client.post(NEW, data={"csrftoken": admin_client.csrf}, files={"file": ("h.pdf", big)},
                                   headers={"accept": "application/json"})
    assert wants_json.status_code == 413 and "error" in wants_json.json()


def test_an_anonymous_form_over_the_limit_gets_json_not_the_admin_page(client):
    from app.config import get_settings

    big = b"0" * (8 * get_settings().max_text_bytes + 1)
    response = client.post(NEW, data={"csrftoken": "x"}, files={"file": ("h.pdf", big)}, follow_redirects=False)
    assert response.status_code == 413 and "error" in response.json()
