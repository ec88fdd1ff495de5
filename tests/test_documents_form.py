"""The admin document form: add with a corrected preview, edit with its diff, validation, stale
forms, delete with confirmation, restore from the audit log."""

import datetime as dt

import pytest
from sqlmodel import func, select

from app.documents import queries
from app.models import AuditEntry, Citation, Document
from tests.admin_support import (  # noqa: F401
    SCO_TEXT, admin, admin_client, login, no_slowdown, preview_rows, rows_as_form, sco_form, submit, token,
)
from tests.helpers import chain_labels, soup

NEW = "/admin/documents/new"
NEW_EN = NEW + "?lang=en"
PREVIEW = "/admin/documents/new/preview"
EDIT_L107 = "/admin/documents/A/77/L.107/edit"


# `lineage seed`'s own changes are in the audit log too: the admin's are those by alice.
BY_ALICE = AuditEntry.username == "alice"


def _count(session, model=Document, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _stored(session, symbol):
    session.expire_all()
    doc = queries.by_symbol(session, symbol)
    return doc, (queries.stored_citations(session, doc) if doc else [])


def _field_error(page, name):
    el = page.select_one(f"#f-{name}-error")
    return el.get_text(" ", strip=True) if el else None


# --- the add form ----------------------------------------------------------------------------


def test_the_form_labels_its_fields_in_both_languages(admin_client):
    en = soup(admin_client.get(NEW_EN))
    labels = {lab.get_text(strip=True): lab["for"] for lab in en.select("form.doc-form label[for]")}
    for name, field in [("Symbol", "symbol"), ("Kind", "kind"), ("Organization", "organization"),
                        ("Session", "session"), ("Adoption date", "date"), ("Title", "title"), ("Text", "text")]:
        assert en.select_one(f"#{labels[name]}")["name"] == field
    zh = soup(admin_client.get(NEW + "?lang=zh"))
    assert {lab.get_text(strip=True) for lab in zh.select("form.doc-form label[for]")} >= {
        "文号", "类型", "组织", "届会", "通过日期", "标题", "全文"}


def test_the_text_feeds_a_live_preview_and_htmx_carries_the_token(admin_client):
    page = soup(admin_client.get(NEW))
    area = page.select_one("textarea#f-text")
    assert area["hx-post"] == PREVIEW
    assert area["hx-trigger"] == "input changed delay:500ms"
    assert area["hx-target"] == "#preview"
    assert admin_client.csrf in page.body["hx-headers"]
    assert page.select_one("#preview") is not None


def test_htmx_preview_returns_the_rows_fragment(admin_client):
    response = admin_client.post(PREVIEW, data=sco_form(), headers={"HX-Request": "true", "x-csrftoken": admin_client.csrf})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="preview"')
    rows = preview_rows(soup(response))
    found = [r for r in rows if r["key"]]
    assert [r["symbol"] for r in found] == [
        "A/RES/59/48", "A/RES/64/183", "A/RES/65/124", "A/RES/67/15", "A/RES/69/11", "A/RES/71/14",
        "A/RES/73/334", "A/RES/75/268", "A/RES/61/210",
    ]
    assert found[0]["verb"] == "还回顾" and found[0]["date"] == "2004-12-02" and found[0]["keep"]
    assert [r["status"] for r in rows[-2:]] == ["blank", "blank"]


def test_the_preview_button_works_without_javascript(admin_client, session):
    response = submit(admin_client, NEW, sco_form(title="我的标题"), action="preview")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("#f-title")["value"] == "我的标题"
    assert page.select_one("#f-text").get_text().strip() == SCO_TEXT.strip()
    assert len([r for r in preview_rows(page) if r["key"]]) == 9
    assert page.select_one("input[name=previewed]")["value"]
    assert queries.by_symbol(session, "A/79/L.99") is None


def test_save_stores_the_document_and_the_chain_shows_it(admin_client, session):
    response = submit(admin_client, NEW, sco_form())
    assert response.status_code == 303
    assert response.headers["location"] == "/documents/A/79/L.99"
    doc, cites = _stored(session, "A/79/L.99")
    assert (doc.kind, doc.session, doc.date, doc.date_source) == ("draft_resolution", 79, dt.date(2025, 9, 2), "text")
    assert doc.text == SCO_TEXT and doc.version == 1
    assert len(cites) == 9 and cites[1].in_series
    page = soup(admin_client.get("/documents/A/79/L.99"))
    assert page.select_one("h1").get_text(strip=True) == "A/79/L.99"
    assert chain_labels(soup(admin_client.get("/organizations/SCO")))[-1] == "A/79/L.99"
    entry = session.exec(select(AuditEntry).where(BY_ALICE)).one()
    assert (entry.action, entry.username, entry.before) == ("add", "alice", None)
    assert entry.after["symbol"] == "A/79/L.99" and len(entry.after["citations"]) == 9


def test_saving_before_seeing_the_preview_shows_it_first(admin_client, session):
    response = submit(admin_client, NEW_EN, sco_form(), previewed=False)
    assert response.status_code == 422
    page = soup(response)
    assert "check them, then save" in page.select_one("#preview").get_text()
    assert len([r for r in preview_rows(page) if r["key"]]) == 9
    assert queries.by_symbol(session, "A/79/L.99") is None
    # Saving what was shown goes through.
    data = {**sco_form(), "previewed": page.select_one("input[name=previewed]")["value"]}
    assert submit(admin_client, NEW, data).status_code == 303


def test_preview_rows_can_be_corrected_before_saving(admin_client, session):
    rows = preview_rows(soup(submit(admin_client, NEW, sco_form(), action="preview")))
    by_symbol = {r["symbol"]: r for r in rows if r["key"]}
    by_symbol["A/RES/61/210"]["keep"] = False  # a false find
    by_symbol["A/RES/64/183"]["verb"] = "又回顾"  # a verb changed
    by_symbol["A/RES/65/124"]["date"] = "2010-12-14"  # a date changed
    blank = [r for r in rows if r["status"] == "blank"]
    blank[0].update(symbol="第70/1号决议", verb="考虑到")  # a missed citation, as a person types it
    blank[1].update(symbol="64/183", verb="注意到")  # found in the text: placed where it stands
    response = submit(admin_client, NEW, {**sco_form(), **rows_as_form(rows)})
    assert response.status_code == 303, soup(response).select_one(".message")
    _, cites = _stored(session, "A/79/L.99")
    symbols = [c.cited_symbol for c in cites]
    assert "A/RES/61/210" not in symbols
    assert symbols[-1] == "A/RES/70/1"  # not in the text: last
    first_183 = next(c for c in cites if c.cited_symbol == "A/RES/64/183")
    assert (first_183.verb, first_183.verb_class) == ("又回顾", "recall")
    assert next(c for c in cites if c.cited_symbol == "A/RES/65/124").cited_date == dt.date(2010, 12, 14)
    added = cites[-1]
    assert (added.verb, added.verb_class, added.location, added.start, added.end) == ("考虑到", "other", "body", 0, 0)
    placed = [c for c in cites if c.cited_symbol == "A/RES/64/183"][1]
    assert SCO_TEXT[placed.start:placed.end] == "64/183" and placed.location == "preamble" and placed.in_series


def test_corrections_survive_a_text_change(admin_client):
    rows = preview_rows(soup(submit(admin_client, NEW, sco_form(), action="preview")))
    next(r for r in rows if r["symbol"] == "A/RES/61/210")["keep"] = False
    longer = SCO_TEXT.replace("注意到上海合作组织致力于", "又回顾其第 70/1 号决议，注意到上海合作组织致力于")
    page = soup(admin_client.post(
        PREVIEW, data={**sco_form(text=longer), **rows_as_form(rows)},
        headers={"HX-Request": "true", "x-csrftoken": admin_client.csrf},
    ))
    again = {r["symbol"]: r for r in preview_rows(page) if r["key"]}
    assert again["A/RES/61/210"]["keep"] is False
    assert again["A/RES/70/1"]["keep"] is True


# --- validation ----------------------------------------------------------------------------


def _tomorrow() -> str:
    return (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"symbol": "A/RES/59/"}, "symbol", "Not a UN document symbol"),
        ({"symbol": "第七十九届会议"}, "symbol", "looks like a session number"),
        ({"symbol": "2025-09-02"}, "symbol", "looks like a date"),
        ({"symbol": "A/77/L.107", "session": "77", "date": "2023-07-01"}, "symbol", "already in Lineage"),
        ({"date": _tomorrow(), "session": ""}, "date", "cannot be after today"),
        ({"date": "1945-06-26", "symbol": "", "session": ""}, "date", "before 1946"),
        ({"date": "2025-02-30"}, "date", "YYYY-MM-DD"),
        ({"session": "sixty"}, "session", "whole number"),
        ({"session": "78"}, "session", "belongs to session 79"),
        ({"symbol": "", "kind": "letter", "session": "82", "date": "2025-09-02"}, "session", "does not fit"),
        ({"symbol": "", "kind": "letter", "session": "78", "date": "2025-10-02"}, "session", "does not fit"),
        ({"symbol": "", "kind": "ga_resolution", "session": "79", "date": "2025-10-02"}, "session", "does not fit"),
        ({"symbol": "A/RES/64/999", "kind": "ga_resolution", "session": "", "date": "2008-11-20"}, "date", "does not fit"),
        ({"kind": ""}, "kind", "Choose a kind"),
        ({"kind": "treaty"}, "kind", "Choose a kind"),
        ({"organization": "NATO"}, "organization", "No organization"),
        ({"text": "  \n "}, "text", "Paste the text"),
    ],
)
def test_bad_input_reshows_the_form_with_a_message_next_to_the_field(admin_client, session, changes, field, message):
    before = _count(session)
    data = sco_form(**changes)
    response = submit(admin_client, NEW_EN, data)
    assert response.status_code == 422
    page = soup(response)
    assert message in _field_error(page, field)
    assert page.select_one(f"#f-{field}")["aria-invalid"] == "true"
    assert page.select_one(".message.error[role=alert]") is not None
    # What the person typed is all still there.
    for name in ("symbol", "session", "date", "title"):
        assert page.select_one(f"#f-{name}")["value"] == data[name]
    assert page.select_one("#f-text").get_text()[1:] == data["text"] or field == "text"
    session.expire_all()
    assert _count(session) == before


def test_a_text_over_the_limit_is_refused_with_413(admin_client, session):
    big = SCO_TEXT + "联合国" * 120_000  # over 1 MB of UTF-8
    response = submit(admin_client, NEW_EN, sco_form(text=big))
    assert response.status_code == 413
    page = soup(response)
    assert "too large" in _field_error(page, "text")
    assert page.select_one("#f-symbol")["value"] == "A/79/L.99"
    assert queries.by_symbol(session, "A/79/L.99") is None


def test_a_chinese_text_just_under_the_limit_is_saved(admin_client, session):
    # URL-encoded, its 0.94 MB of UTF-8 take 2.8 MB: more than a form field may hold by default.
    text = SCO_TEXT + "上海合作组织" * 52_000
    assert len(text.encode()) < 1_000_000 < len(text.encode()) * 3
    assert submit(admin_client, NEW, sco_form(text=text)).status_code == 303
    assert queries.by_symbol(session, "A/79/L.99").text == text


def test_nul_characters_are_dropped_not_stored(admin_client, session):
    # PostgreSQL cannot store a NUL; a text pasted from a PDF may carry one.
    data = sco_form(text=SCO_TEXT.replace("大会，", "大会\x00，"), title="标\x00题")
    assert submit(admin_client, NEW, data).status_code == 303
    doc = queries.by_symbol(session, "A/79/L.99")
    assert doc.text == SCO_TEXT and doc.title == "标题"


def test_a_letter_or_draft_may_be_for_the_next_session(admin_client, session):
    # Seed 000: a letter of 2008-11-20 (63rd session) for the 64th session.
    data = sco_form(symbol="", kind="letter", session="64", date="2008-11-20", text=SCO_TEXT)
    assert submit(admin_client, NEW, data).status_code in (303, 422)
    response = submit(admin_client, NEW, {**data, "accept_warnings": "on"})
    assert response.status_code == 303


def test_a_document_cannot_cite_itself(admin_client, session):
    rows = preview_rows(soup(submit(admin_client, NEW, sco_form(), action="preview")))
    next(r for r in rows if r["status"] == "blank")["symbol"] = "A/79/L.99"
    response = submit(admin_client, NEW_EN, {**sco_form(), **rows_as_form(rows)})
    assert response.status_code == 422
    row = soup(response).select_one("tr[data-symbol='A/79/L.99']")
    assert "cannot cite itself" in row.select_one(".field-error").get_text()
    assert queries.by_symbol(session, "A/79/L.99") is None


def test_a_bad_symbol_in_a_row_is_shown_on_that_row(admin_client):
    rows = preview_rows(soup(submit(admin_client, NEW, sco_form(), action="preview")))
    rows[0]["symbol"] = "see above"
    response = submit(admin_client, NEW_EN, {**sco_form(), **rows_as_form(rows)})
    assert response.status_code == 422
    row = soup(response).select("#preview tbody tr")[0]
    assert row.select_one("input[name$='-symbol']")["value"] == "see above"
    assert "Not a symbol" in row.select_one(".field-error").get_text()


LATER = """ 大会，

 回顾其2010年12月13日第65/124号决议和第59/48号决议，

 1. 决定继续审议这个问题。
"""


def test_citing_a_later_document_needs_the_warning_accepted(admin_client, session):
    data = sco_form(symbol="A/RES/63/999", kind="ga_resolution", session="63", date="2009-06-01", text=LATER)
    response = submit(admin_client, NEW_EN, data)
    assert response.status_code == 422
    page = soup(response)
    warnings = page.select_one("#preview .warnings")
    assert "A/RES/65/124 is dated 2010-12-13, after this document (2009-06-01)" in warnings.get_text()
    assert "Tick “I accept the warnings” to save" in warnings.get_text()
    assert queries.by_symbol(session, "A/RES/63/999") is None
    assert submit(admin_client, NEW, {**data, "accept_warnings": "on"}).status_code == 303


def test_adding_the_text_of_a_cited_document_fills_it_in(admin_client, session):
    cited = queries.by_symbol(session, "A/RES/64/183")
    assert cited.text is None
    data = sco_form(symbol="64/183", kind="ga_resolution", session="64", date="2009-12-18", text=LATER)
    page = soup(submit(admin_client, NEW, data, action="preview"))
    assert "already known from what cites it" in soup(
        submit(admin_client, NEW_EN, data, action="preview")).select_one("#preview").get_text()
    assert page.select_one("#f-symbol-error") is None
    assert submit(admin_client, NEW, {**data, "accept_warnings": "on"}).status_code == 303
    doc, _ = _stored(session, "A/RES/64/183")
    assert doc.id == cited.id and doc.text == LATER and doc.organization_id is not None
    assert [c.symbol for c in queries.page_cited_by(session.connection(), doc.id, 1, 100)[0]] == ["A/77/L.107"]
    assert _count(session, Document, Document.symbol == "A/RES/64/183") == 1


# --- the edit form -------------------------------------------------------------------------


def test_the_edit_form_shows_what_is_stored(admin_client, session):
    page = soup(admin_client.get(EDIT_L107))
    assert page.select_one("#f-symbol")["value"] == "A/77/L.107"
    assert page.select_one("#f-kind option[selected]")["value"] == "draft_resolution"
    assert page.select_one("#f-organization option[selected]")["value"] == "SCO"
    assert page.select_one("input[name=version]")["value"] == "1"
    doc, cites = _stored(session, "A/77/L.107")
    assert page.select_one("#f-text").get_text()[1:] == doc.text
    rows = [r for r in preview_rows(page) if r["key"]]
    assert [r["symbol"] for r in rows] == [c.cited_symbol for c in cites]
    assert {r["status"] for r in rows} == {"unchanged"}


@pytest.mark.parametrize("ref", ["A/77/L.107", "seed-000-02a8ab7b9388f710", "a/77/l.107"])
def test_the_edit_url_takes_a_symbol_with_slashes_or_a_key(admin_client, ref):
    assert admin_client.get(f"/admin/documents/{ref}/edit").status_code == 200


def test_the_edit_url_of_unknown_or_textless_documents(admin_client):
    assert admin_client.get("/admin/documents/A/RES/1/2/edit").status_code == 404
    response = admin_client.get("/admin/documents/A/RES/64/183/edit", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith(NEW + "?symbol=")
    assert soup(admin_client.get(response.headers["location"])).select_one("#f-symbol")["value"] == "A/RES/64/183"


def _edit_data(session, **changes):
    doc = queries.by_symbol(session, "A/77/L.107")
    data = {"symbol": "A/77/L.107", "kind": doc.kind, "organization": "SCO", "session": "77", "date": "",
            "title": doc.title, "text": doc.text, "version": str(doc.version)}
    data.update(changes)
    return data


def test_a_text_change_previews_the_difference_from_the_stored_citations(admin_client, session):
    doc = queries.by_symbol(session, "A/77/L.107")
    text = (doc.text.replace("和 2021 年 3 月 25 日第 75/268 号决议", "决议")
            .replace("https://undocs.org/ch/A/RES/75/268\n", "")
            .replace("2010 年 12 月 13 日第 65/124 号", "2010 年 12 月 14 日第 65/124 号")
            .replace("注意到上海合作组织致力于", "又回顾其第 76/1 号决议，注意到上海合作组织致力于"))
    page = soup(submit(admin_client, EDIT_L107 + "?lang=en", _edit_data(session, text=text), action="preview"))
    status = {(r["symbol"], r["status"]) for r in preview_rows(page) if r["key"]}
    assert ("A/RES/76/1", "added") in status
    assert ("A/RES/65/124", "changed") in status
    assert ("A/RES/64/183", "unchanged") in status
    removed = [li["data-symbol"] for li in page.select("#preview ul.removed li")]
    assert removed == ["A/RES/75/268"]
    assert "1 added, 1 changed, 1 removed" in page.select_one(".diff-summary").get_text()


def test_an_edit_is_saved_with_a_new_version_and_audited(admin_client, session):
    response = submit(admin_client, EDIT_L107, _edit_data(session, title="新标题", date="2023-07-10"))
    assert response.status_code == 303 and response.headers["location"] == "/documents/A/77/L.107"
    doc, cites = _stored(session, "A/77/L.107")
    assert (doc.title, doc.date, doc.version) == ("新标题", dt.date(2023, 7, 10), 2)
    assert len(cites) == 13
    entry = session.exec(select(AuditEntry).where(BY_ALICE)).one()
    assert entry.action == "edit" and entry.before["title"] != entry.after["title"]
    assert entry.before["version"] == 1 and entry.after["version"] == 2


def test_saving_an_unchanged_form_changes_nothing(admin_client, session):
    response = submit(admin_client, EDIT_L107, _edit_data(session))
    assert response.status_code == 200
    assert soup(response).select_one(".message.notice[role=status]") is not None
    doc, _ = _stored(session, "A/77/L.107")
    assert doc.version == 1 and _count(session, AuditEntry, BY_ALICE) == 0


def test_corrections_are_kept_and_shown_on_the_next_edit(admin_client, session):
    rows = preview_rows(soup(admin_client.get(EDIT_L107)))
    next(r for r in rows if r["symbol"] == "A/RES/61/210")["keep"] = False
    next(r for r in rows if r["symbol"] == "A/RES/70/1")["verb"] = "铭记"
    assert submit(admin_client, EDIT_L107, {**_edit_data(session), **rows_as_form(rows)}).status_code == 303
    _, cites = _stored(session, "A/77/L.107")
    assert "A/RES/61/210" not in [c.cited_symbol for c in cites]
    assert next(c for c in cites if c.cited_symbol == "A/RES/70/1").verb_class == "bear_in_mind"
    again = {r["symbol"]: r for r in preview_rows(soup(admin_client.get(EDIT_L107))) if r["key"]}
    assert again["A/RES/61/210"]["keep"] is False and again["A/RES/70/1"]["verb"] == "铭记"


def test_a_stale_form_is_refused_and_says_what_changed(admin_client, client, session, engine):
    from app.accounts.users import create_admin

    stale = _edit_data(session, title="Alice's title")
    # Bob, another admin, saves the same document first.
    create_admin(session, "bob", "bob's long password")
    from fastapi.testclient import TestClient

    bob = TestClient(client.app)
    assert login(bob, "bob", "bob's long password").status_code == 303
    bob.csrf = token(bob, "/admin")
    assert submit(bob, EDIT_L107, _edit_data(session, title="Bob's title")).status_code == 303

    response = submit(admin_client, EDIT_L107 + "?lang=en", stale)
    assert response.status_code == 409
    page = soup(response)
    message = page.select_one(".message.error").get_text(" ", strip=True)
    assert "changed by someone else" in message and "bob" in message and "title" in message
    assert page.select_one("#f-title")["value"] == "Alice's title"
    assert page.select_one("input[name=version]")["value"] == "2"
    doc, _ = _stored(session, "A/77/L.107")
    assert doc.title == "Bob's title"
    # Having seen the message, Alice saves on purpose.
    assert submit(admin_client, EDIT_L107, {**stale, "version": "2"}).status_code == 303
    doc, _ = _stored(session, "A/77/L.107")
    assert doc.title == "Alice's title" and doc.version == 3


def test_changing_the_symbol_moves_the_document(admin_client, session):
    data = _edit_data(session, symbol="A/77/L.108")
    assert submit(admin_client, EDIT_L107, data).status_code == 303
    session.expire_all()
    assert queries.by_symbol(session, "A/77/L.107") is None
    doc = queries.by_ref(session, "A/77/L.108")
    assert doc.key == "A/77/L.108"
    assert admin_client.get("/documents/A/77/L.108").status_code == 200


# --- delete and restore --------------------------------------------------------------------


def test_delete_asks_for_confirmation_first(admin_client, session):
    page = soup(admin_client.get("/admin/documents/A/77/L.107/delete"))
    form = page.select_one("form.confirm")
    assert form["method"] == "post" and form["action"] == "/admin/documents/A/77/L.107/delete"
    assert form.select_one("input[name=version]")["value"] == "1"
    assert queries.by_symbol(session, "A/77/L.107").text is not None


def test_delete_then_restore_from_the_audit_log(admin_client, session):
    doc, cites = _stored(session, "A/77/L.107")
    text, stored = doc.text, [(c.cited_symbol, c.verb, c.cited_date, c.start) for c in cites]
    response = admin_client.post("/admin/documents/A/77/L.107/delete",
                                 data={"csrftoken": admin_client.csrf, "version": "1"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/audit"
    # Its text goes; what public sources say of it (its adoption) stays, on a page without text.
    gone = soup(admin_client.get("/documents/A/77/L.107"))
    assert gone.select_one(".no-text-note") and gone.select_one("#public-facts a.source")
    assert "A/77/L.107" not in chain_labels(soup(admin_client.get("/organizations/SCO")))

    audit = soup(admin_client.get("/admin/audit"))
    row = audit.select_one("tr[data-action=delete]")
    restore = row.select_one("form.restore")
    assert restore["method"] == "post"
    response = admin_client.post(restore["action"], data={"csrftoken": admin_client.csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/documents/A/77/L.107"
    doc, cites = _stored(session, "A/77/L.107")
    assert doc.text == text
    assert [(c.cited_symbol, c.verb, c.cited_date, c.start) for c in cites] == stored
    assert chain_labels(soup(admin_client.get("/organizations/SCO")))[-2:] == ["A/77/L.107", "A/79/L.124"]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "restore")).one()
    assert entry.restored_from == session.exec(select(AuditEntry.id).where(AuditEntry.action == "delete")).one()


def test_deleting_a_cited_text_keeps_the_document_its_citers_name(admin_client, session):
    data = sco_form(symbol="A/RES/64/183", kind="ga_resolution", session="64", date="2009-12-18",
                    text=LATER, accept_warnings="on")
    assert submit(admin_client, NEW, data).status_code == 303
    doc, _ = _stored(session, "A/RES/64/183")
    response = admin_client.post("/admin/documents/A/RES/64/183/delete",
                                 data={"csrftoken": admin_client.csrf, "version": str(doc.version)},
                                 follow_redirects=False)
    assert response.status_code == 303
    doc, cites = _stored(session, "A/RES/64/183")
    assert doc.text is None and cites == [] and doc.organization_id is None
    assert doc.date == dt.date(2009, 12, 18) and doc.date_source == "citation"
    assert [c.symbol for c in queries.page_cited_by(session.connection(), doc.id, 1, 100)[0]] == ["A/77/L.107"]


def test_a_stale_delete_is_refused(admin_client, session):
    submit(admin_client, EDIT_L107, _edit_data(session, title="changed"))
    response = admin_client.post("/admin/documents/A/77/L.107/delete",
                                 data={"csrftoken": admin_client.csrf, "version": "1"}, follow_redirects=False)
    assert response.status_code == 409
    assert queries.by_symbol(session, "A/77/L.107").text is not None


def test_an_edit_can_be_undone_from_the_audit_log(admin_client, session):
    title = queries.by_symbol(session, "A/77/L.107").title
    submit(admin_client, EDIT_L107, _edit_data(session, title="wrong title"))
    entry = session.exec(select(AuditEntry).where(BY_ALICE)).one()
    detail = soup(admin_client.get(f"/admin/audit/{entry.id}"))
    assert "wrong title" in detail.select_one(".after pre").get_text()
    assert detail.select_one(".fields").get_text(strip=True) == "title"
    response = admin_client.post(f"/admin/audit/{entry.id}/restore", data={"csrftoken": admin_client.csrf},
                                 follow_redirects=False)
    assert response.status_code == 303
    doc, _ = _stored(session, "A/77/L.107")
    assert doc.title == title
    # Restoring again changes nothing, and says so.
    again = admin_client.post(f"/admin/audit/{entry.id}/restore", data={"csrftoken": admin_client.csrf},
                              follow_redirects=False)
    assert again.status_code == 303 and _count(session, AuditEntry, BY_ALICE) == 2


def test_the_audit_log_records_who_when_and_what(admin_client, session):
    submit(admin_client, NEW, sco_form())
    submit(admin_client, EDIT_L107, _edit_data(session, title="x"))
    admin_client.post("/admin/documents/A/79/L.99/delete", data={"csrftoken": admin_client.csrf, "version": "1"})
    page = soup(admin_client.get("/admin/audit?lang=en"))
    rows = [r for r in page.select("table.audit tbody tr") if r.select_one(".who").get_text() != "lineage seed"]
    assert [r["data-action"] for r in rows] == ["delete", "edit", "add"]
    assert {r.select_one(".who").get_text() for r in rows} == {"alice"}
    assert all(r.select_one("time")["datetime"] for r in rows)
    assert rows[1].select_one(".fields").get_text() == "title"
    # A delete and an edit can be restored; an add has no "before".
    assert rows[0].select_one("form.restore") and rows[1].select_one("form.restore")
    assert rows[2].select_one("form.restore") is None
