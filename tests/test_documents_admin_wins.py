"""Every change is audited, and an admin's edit wins: `lineage ingest`, `lineage import` (and
`lineage seed`) write audit entries under their own names, and leave the fields an admin set as
the admin set them, reporting the values they did not apply; the admin answers them at
/admin/conflicts.

The story the tests tell is the one reported: an admin corrected A/77/L.107, then an operator
ran `lineage ingest` and `lineage import` of it, which overwrote the correction and left no trace.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.users import create_admin
from app.citations import extract
from app.cli import main
from app.db import make_engine
from app.documents import audit, history
from app.documents.intake import ingest_paths
from app.documents.queries import by_symbol, stored_citations
from app.documents.store import seed
from app.exports.jsonl import import_jsonl
from app.migrate import upgrade
from app.models import AdminField, AuditEntry, Document
from tests.admin_support import PASSWORD, admin, admin_client, login, no_slowdown, submit, token  # noqa: F401
from tests.conftest import SEED_DIR, TEST_DB_URL, _client_of
from tests.helpers import soup

L107 = "A/77/L.107"
EDIT = "/admin/documents/A/77/L.107/edit"
SEED_TEXT = (SEED_DIR / "001_0fd7e56c3f5b41c3.txt").read_text(encoding="utf-8")
# The file an operator ingests: the seed text with a paragraph more (so its text is new).
FILE_TEXT = SEED_TEXT + "\n 3. 决定将题为“联合国同上海合作组织的合作”的分项目列入第七十八届会议临时议程。\n"
FILE_TITLE = "联合国同上海合作组织的合作"  # what `lineage ingest` reads as the file's title
ADMIN_TITLE = "联合国同上海合作组织的合作（管理员订正）"
IMPORT_TITLE = "导入文件所写的标题"


def _edit_data(session: Session, **changes) -> dict:
    """The edit form of A/77/L.107 as the page fills it, with `changes`."""
    session.expire_all()
    doc = by_symbol(session, L107)
    data = {"symbol": L107, "kind": doc.kind, "organization": "SCO", "session": "77", "date": "",
            "title": doc.title, "text": doc.text, "version": str(doc.version)}
    data.update(changes)
    return data


def _line(**fields) -> str:
    return json.dumps({"symbol": L107, "kind": "draft_resolution", "organization": "SCO", "session": 77,
                       "language": "zh", "text": FILE_TEXT, **fields}, ensure_ascii=False) + "\n"


def _entries(session: Session, username: str) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.username == username)
                             .order_by(AuditEntry.id)).all())


def _doc(session: Session) -> Document:
    session.expire_all()
    return by_symbol(session, L107)


def _conflict_rows(client, lang: str = "en") -> list[dict]:
    page = soup(client.get(f"/admin/conflicts?lang={lang}"))
    return [{"document": tr["data-document"], "field": tr["data-field"],
             "kept": tr.select_one(".kept").get_text(" ", strip=True),
             "offered": tr.select_one(".offered").get_text(" ", strip=True),
             "by": tr.select_one(".by").get_text(" ", strip=True),
             "accept": tr.select_one("form.accept"), "keep": tr.select_one("form.keep")}
            for tr in page.select("table.conflicts tr.conflict")]


def _post_form(client, form):
    """Submit a page's form as a browser would: its action, its hidden fields."""
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    assert form["method"] == "post" and data["csrftoken"] == client.csrf
    return client.post(form["action"], data=data, follow_redirects=False)


# --- the commands as an operator runs them, after an admin's edit through the admin form --------


@pytest.mark.skipif(bool(TEST_DB_URL), reason="the commands and the app on one SQLite file")
def test_an_admins_edit_survives_ingest_and_import_which_are_audited_and_report_the_conflict(
        tmp_path, cli_database, capsys, no_slowdown):
    url = cli_database
    upgrade(url)
    assert main(["seed"]) == 0
    engine = make_engine(url)
    with Session(engine) as session, _client_of(engine) as client:
        create_admin(session, "alice", PASSWORD)
        assert login(client).status_code == 303
        client.csrf = token(client, "/admin")
        assert submit(client, EDIT, _edit_data(session, title=ADMIN_TITLE)).status_code == 303
        assert _doc(session).title == ADMIN_TITLE
        capsys.readouterr()

        # `lineage ingest` of a file for the same symbol: its new text applies, its title does not.
        path = tmp_path / "A-77-L.107.txt"
        path.write_text(FILE_TEXT, encoding="utf-8")
        assert main(["ingest", str(path), "--quiet"]) == 0
        out = capsys.readouterr().out.splitlines()
        doc = _doc(session)
        assert (doc.title, doc.text, doc.source) == (ADMIN_TITLE, FILE_TEXT, "A-77-L.107.txt")
        status = next(i for i, ln in enumerate(out) if ln.startswith("updated"))
        assert out[status + 1] == (f"conflict  {path}: {L107} title: kept {json.dumps(ADMIN_TITLE, ensure_ascii=False)},"
                                   f" not applied {json.dumps(FILE_TITLE, ensure_ascii=False)}")
        assert out[-1].startswith("1 files: 0 added, 1 updated") and out[-1].endswith(", 1 conflicts")
        [ingested] = _entries(session, "lineage ingest")
        assert (ingested.action, ingested.document_id, ingested.document_label) == ("edit", doc.id, L107)
        assert "text" in history.changed_fields(ingested.before, ingested.after)
        assert "title" not in history.changed_fields(ingested.before, ingested.after)
        assert ingested.before["text"] == SEED_TEXT and ingested.after == audit.snapshot(session, doc)

        # `lineage import` of a line for it: its source applies, its title does not.
        lines = tmp_path / "in.jsonl"
        lines.write_text(_line(title=IMPORT_TITLE, source="import.jsonl"), encoding="utf-8")
        assert main(["import", str(lines), "--quiet"]) == 0
        out = capsys.readouterr().out.splitlines()
        doc = _doc(session)
        assert (doc.title, doc.source) == (ADMIN_TITLE, "import.jsonl")
        assert out == [
            f"{lines}:1: conflict: {L107} title: kept {json.dumps(ADMIN_TITLE, ensure_ascii=False)},"
            f" not applied {json.dumps(IMPORT_TITLE, ensure_ascii=False)}",
            "imported 1 (added 0, changed 1), unchanged 0, refused 0, conflicts 1"]
        [imported] = _entries(session, "lineage import")
        assert history.changed_fields(imported.before, imported.after) == ["source", "provenance"]
        assert imported.after == audit.snapshot(session, doc)

        # The admin sees the conflict (the latest value brought for the field), in both languages.
        [row] = _conflict_rows(client)
        assert (row["document"], row["field"]) == (L107, "title")
        assert ADMIN_TITLE in row["kept"] and IMPORT_TITLE in row["offered"]
        assert row["by"].startswith("lineage import")
        zh = soup(client.get("/admin/conflicts?lang=zh"))
        assert zh.select_one("h1").get_text(strip=True) == "冲突"
        assert zh.select_one("tr.conflict .field").get_text(strip=True) == "标题"
        audit_page = soup(client.get("/admin/audit"))
        assert {r.select_one(".who").get_text() for r in audit_page.select("table.audit tbody tr")} >= {
            "alice", "lineage ingest", "lineage import"}

        # Accepting the command's value: written as the admin's edit; the field is no longer theirs.
        assert _post_form(client, row["accept"]).status_code == 303
        doc = _doc(session)
        assert doc.title == IMPORT_TITLE
        assert _conflict_rows(client) == []
        assert history.changed_fields(_entries(session, "alice")[-1].before, _entries(session, "alice")[-1].after) \
            == ["title"]
        lines.write_text(_line(title="又一个标题", source="import.jsonl"), encoding="utf-8")
        assert main(["import", str(lines), "--quiet"]) == 0
        assert capsys.readouterr().out.splitlines()[-1].endswith("conflicts 0")
        assert _doc(session).title == "又一个标题"
    engine.dispose()


# --- the same rules through the functions the commands call (both engines) -------------------


def test_without_an_admin_edit_the_commands_values_apply_and_are_audited(seeded, session, tmp_path):
    path = tmp_path / "A-77-L.107.txt"
    path.write_text(FILE_TEXT, encoding="utf-8")
    report = ingest_paths(session, [path])
    assert [s for _, s, _ in report.results] == ["updated"] and report.conflicts == []
    doc = _doc(session)
    assert (doc.title, doc.text, doc.source) == (FILE_TITLE, FILE_TEXT, "A-77-L.107.txt")
    [entry] = _entries(session, "lineage ingest")
    assert entry.action == "edit" and entry.after == audit.snapshot(session, doc)

    report = import_jsonl(session, io.StringIO(_line(title=IMPORT_TITLE)))
    assert (report.changed, report.conflicts) == (1, [])
    assert _doc(session).title == IMPORT_TITLE
    [entry] = _entries(session, "lineage import")
    assert "title" in history.changed_fields(entry.before, entry.after)
    assert session.exec(select(func.count()).select_from(AdminField)).one() == 0


def test_a_new_document_from_a_command_is_audited_as_an_add(seeded, session):
    report = import_jsonl(session, io.StringIO(_line(symbol="A/78/L.1", session=78, title="新的")))
    assert report.added == 1
    [entry] = _entries(session, "lineage import")
    doc = by_symbol(session, "A/78/L.1")
    assert (entry.action, entry.before, entry.document_id) == ("add", None, doc.id)
    assert entry.after == audit.snapshot(session, doc)


def test_a_repeated_unchanged_ingest_or_import_writes_no_audit_entry(seeded, session, tmp_path):
    path = tmp_path / "A-77-L.107.txt"
    path.write_text(FILE_TEXT, encoding="utf-8")
    assert [s for _, s, _ in ingest_paths(session, [path]).results] == ["updated"]
    assert [s for _, s, _ in ingest_paths(session, [path]).results] == ["unchanged"]
    assert len(_entries(session, "lineage ingest")) == 1
    line = _line(title=IMPORT_TITLE)
    assert import_jsonl(session, io.StringIO(line)).changed == 1
    assert import_jsonl(session, io.StringIO(line)).unchanged == 1
    assert len(_entries(session, "lineage import")) == 1
    # the same line once more, meeting a field an admin set: reported again, written once
    admin_edit(session, title=ADMIN_TITLE)
    for _ in range(2):
        again = import_jsonl(session, io.StringIO(line))
        assert (again.unchanged, len(again.conflicts)) == (1, 1)
    assert len(_entries(session, "lineage import")) == 1


def admin_edit(session: Session, **changes):
    """An admin's save through the form's path (`audit.save`), as the route makes it."""
    from app.documents import form as forms

    doc = _doc(session)
    form = forms.FormIn.from_document(session, doc)
    for name, value in changes.items():
        setattr(form, name, value)
    form.previewed = forms.digest(forms.normalize_text(form.text))
    prep = forms.prepare(session, form, doc=doc)
    forms.check_save(prep)
    assert prep.ok and not prep.errors, prep.errors
    outcome = audit.save(session, prep, "alice", doc=doc)
    assert outcome.ok, outcome.message
    return outcome


def test_a_text_an_admin_edited_keeps_its_citations_language_and_source(seeded, session, tmp_path):
    """The rule for citations: the admin's text is theirs, and so are the citations in it; the
    file's other fields still apply."""
    # the admin removes a citation (and its link)
    text = SEED_TEXT.replace("2012 年 11 月 19 日第 67/15 号、", "").replace("https://undocs.org/ch/A/RES/67/15\n", "")
    admin_edit(session, text=text)
    mine = [(c.cited_symbol, c.start) for c in stored_citations(session, _doc(session))]
    assert "A/RES/67/15" not in {s for s, _ in mine}
    before = _doc(session)
    language, source, version = before.language, before.source, before.version
    file = (before.provenance or {}).get("file")  # the seed's text has none
    path = tmp_path / "A-77-L.107.txt"
    path.write_text(FILE_TEXT, encoding="utf-8")
    report = ingest_paths(session, [path])
    doc = _doc(session)
    assert doc.text == text and (doc.language, doc.source) == (language, source)
    assert [(c.cited_symbol, c.start) for c in stored_citations(session, doc)] == mine
    assert doc.provenance.get("file") == file  # the kept text's file, not this one's
    assert [c.split(": kept")[0] for _, c in report.conflicts] == [f"{L107} text", f"{L107} citations"]
    theirs = len(extract(FILE_TEXT))
    assert f"kept {len(mine)} citations: " in report.conflicts[1][1]
    assert f"not applied {theirs} citations: " in report.conflicts[1][1] and theirs == len(mine) + 1
    # What the file says of the rest applies (the same but where each fact is stated), audited.
    [entry] = _entries(session, "lineage ingest")
    assert history.changed_fields(entry.before, entry.after) == ["provenance"]
    assert doc.provenance["session"] == {"file": "A-77-L.107.txt", "quote": "第七十七届会议"}
    assert doc.version == version + 1
    # Accepting the file's text brings its citations with it.
    outcome = audit.accept(session, doc.id, "text", "alice", doc.version)
    assert outcome.ok
    doc = _doc(session)
    assert doc.text == FILE_TEXT and "A/RES/67/15" in {c.cited_symbol for c in stored_citations(session, doc)}
    assert history.admin_fields(session, doc.id) == {}


def test_an_import_keeps_a_bounded_report_of_its_conflicts_and_counts_them_all(seeded, session, monkeypatch):
    from app.exports import jsonl

    admin_edit(session, title=ADMIN_TITLE)
    monkeypatch.setattr(jsonl, "KEPT_CONFLICTS", 2)
    told = []
    lines = "".join(_line(title=f"标题 {n}") for n in range(5))
    report = import_jsonl(session, io.StringIO(lines), on_conflict=lambda n, line: told.append(n))
    assert (len(report.conflicts), report.conflict_count, told) == (2, 5, [1, 2, 3, 4, 5])
    assert report.summary().endswith("conflicts 5")
    [(_, waiting)] = [(c.field, c.offered) for c in history.open_conflicts(session, page=1, per_page=10)[0]]
    assert waiting == "标题 4"  # the latest


def test_seed_again_keeps_an_admins_title_and_says_so(seeded, session):
    admin_edit(session, title=ADMIN_TITLE)
    counts = seed(session, SEED_DIR)
    assert _doc(session).title == ADMIN_TITLE
    assert [(c.field, c.kept, c.offered) for c in counts["conflicts"]] == [
        ("title", ADMIN_TITLE, FILE_TITLE)]


def test_the_document_its_audit_entry_and_its_conflicts_are_written_together(seeded, session, monkeypatch):
    """A line that fails after the writer wrote the document leaves nothing of it: no document
    change, no audit entry, no conflict."""
    admin_edit(session, title=ADMIN_TITLE)
    before = audit.snapshot(session, _doc(session))
    entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
    real = history.offer

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        raise ValueError("the disk is full")

    monkeypatch.setattr(history, "offer", failing)
    report = import_jsonl(session, io.StringIO(_line(title=IMPORT_TITLE, source="import.jsonl")))
    assert report.errors == [(1, "the disk is full")] and report.conflicts == []
    assert audit.snapshot(session, _doc(session)) == before
    assert session.exec(select(func.count()).select_from(AuditEntry)).one() == entries
    assert history.open_conflicts(session, page=1, per_page=10) == ([], 0)


def test_keeping_the_admins_value_answers_the_conflict_and_the_field_stays_theirs(seeded, session):
    admin_edit(session, title=ADMIN_TITLE)
    import_jsonl(session, io.StringIO(_line(title=IMPORT_TITLE)))
    doc = _doc(session)
    assert audit.keep(session, doc.id, "title").ok
    assert history.open_conflicts(session, page=1, per_page=10) == ([], 0)
    assert not audit.keep(session, doc.id, "title").ok  # answered already
    again = import_jsonl(session, io.StringIO(_line(title=IMPORT_TITLE)))
    assert len(again.conflicts) == 1 and _doc(session).title == ADMIN_TITLE


def test_editing_the_field_again_answers_its_conflict(seeded, session):
    admin_edit(session, title=ADMIN_TITLE, date="2023-07-10")
    import_jsonl(session, io.StringIO(_line(title=IMPORT_TITLE, date="2023-07-11")))
    assert {c.field for c in history.open_conflicts(session, page=1, per_page=10)[0]} == {"title", "date"}
    admin_edit(session, title="第三个标题")
    [left] = history.open_conflicts(session, page=1, per_page=10)[0]
    assert (left.field, left.kept, left.offered) == ("date", "2023-07-10", "2023-07-11")


# --- the admin page -------------------------------------------------------------------------------


def test_the_conflicts_page_is_paged_and_its_answers_need_the_token(admin_client, session, monkeypatch):
    from app.web import admin as admin_routes

    admin_edit(session, title=ADMIN_TITLE, date="2023-07-10")
    import_jsonl(session, io.StringIO(_line(title=IMPORT_TITLE, date="2023-07-11")))
    monkeypatch.setattr(admin_routes, "CONFLICTS_PER_PAGE", 1)
    first, second = soup(admin_client.get("/admin/conflicts")), soup(admin_client.get("/admin/conflicts?page=2"))
    fields = [p.select_one("tr.conflict")["data-field"] for p in (first, second)]
    assert sorted(fields) == ["date", "title"]
    assert first.select_one("nav.pager a[rel=next]")["href"] == "/admin/conflicts?page=2"
    assert admin_client.get("/admin/conflicts?page=3").status_code == 404
    doc = _doc(session)
    forged = admin_client.post(f"/admin/conflicts/{doc.id}/title/keep", data={"csrftoken": "forged"},
                               follow_redirects=False)
    assert forged.status_code == 403
    assert admin_client.post(f"/admin/conflicts/{doc.id}/nofield/keep", data={"csrftoken": admin_client.csrf},
                             follow_redirects=False).status_code == 404
    stale = admin_client.post(f"/admin/conflicts/{doc.id}/title/accept",
                              data={"csrftoken": admin_client.csrf, "version": str(doc.version - 1)},
                              follow_redirects=False)
    assert stale.status_code == 409 and soup(stale).select_one(".message.error[role=alert]")
    assert _doc(session).title == ADMIN_TITLE


def test_every_protected_field_has_a_label_in_the_admin():
    from app.web.admin import FIELD_LABELS

    assert set(FIELD_LABELS) == set(history.PROTECTED)
