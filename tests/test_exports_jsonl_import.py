"""`lineage import` checks every line as the admin form checks a document, reports each bad line
as FILE:LINE: reason and goes on, never merges two documents, commits per batch, and ends with a
summary; the exit status is 1 when any line was refused."""

import io
import json
import sqlite3

import pytest
from sqlmodel import Session, func, select

from app.cli import main
from app.db import make_engine
from app.documents.store import DocumentIn, ingest_document
from app.exports.jsonl import import_jsonl
from app.migrate import upgrade
from app.models import Citation, Document
from tests.conftest import TEST_DB_URL

GOOD = {"symbol": "A/RES/64/183", "kind": "ga_resolution", "session": 64, "date": "2009-12-18",
        "text": "大会，\n回顾其2004年12月2日第59/48号决议，\n"}


def _line(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


BAD_LINES = {
    "invalid UTF-8": b'{"symbol": "A/RES/65/124", "title": "\xff\xfe"}',
    "overflowing number": _line({"symbol": "A/RES/65/124", "session": 10**30}),
    "overflowing offset": _line({"symbol": "A/RES/65/124", "citations": [{"symbol": "59/48", "start": 2**40}]}),
    "huge integer": b'{"symbol": "A/RES/65/124", "session": ' + b"9" * 5000 + b"}",
    "not a number": b'{"symbol": "A/RES/65/124", "session": NaN}',
    "wrong type": _line({"symbol": "A/RES/65/124", "title": ["not", "a", "string"]}),
    "wrong type of kind": _line({"symbol": "A/RES/65/124", "kind": 7}),
    "deep nesting": b'{"symbol": "A/RES/65/124", "provenance": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}",
    "became itself": _line({"symbol": "A/77/L.107", "kind": "draft_resolution", "became": "A/77/L.107"}),
    "unknown kind": _line({"symbol": "A/RES/65/124", "kind": "edict"}),
    "self-citation": _line({"symbol": "A/RES/65/124", "kind": "ga_resolution",
                            "citations": [{"symbol": "A/RES/65/124", "verb": "回顾"}]}),
    "lone surrogate": b'{"symbol": "A/RES/65/124", "title": "\\ud800"}',
    "NUL deep in a value": b'{"symbol": "A/RES/65/124", "provenance": {"a": ["x\\u0000"]}}',
    "date in the future": _line({"symbol": "A/RES/65/124", "date": "2999-01-01"}),
    "session that does not fit the symbol": _line({"symbol": "A/RES/65/124", "kind": "ga_resolution", "session": 12}),
    "unknown organization": _line({"symbol": "A/RES/65/124", "organization": "NOPE"}),
    "verb too long": _line({"symbol": "A/RES/65/124", "citations": [{"symbol": "59/48", "verb": "回" * 61}]}),
    "text over 1 MB": _line({"symbol": "A/RES/65/124", "text": "字" * 400_000}),
}


@pytest.mark.parametrize("name", BAD_LINES)
def test_each_bad_line_is_refused_with_its_number_and_the_import_goes_on(session, name):
    data = b"\n".join([_line(GOOD), BAD_LINES[name], _line({**GOOD, "symbol": "A/RES/65/124", "session": 65,
                                                            "date": "2010-12-08"})]) + b"\n"
    report = import_jsonl(session, io.BytesIO(data))
    assert [n for n, _ in report.errors] == [2], report.errors
    assert report.errors[0][1] and "\n" not in report.errors[0][1]
    assert (report.added, report.refused) == (2, 1)
    texts = session.exec(select(Document.symbol).where(Document.text.is_not(None))).all()
    assert sorted(texts) == ["A/RES/64/183", "A/RES/65/124"]


def test_a_line_naming_one_document_s_key_and_another_s_symbol_is_refused(session):
    ingest_document(session, DocumentIn(key="letter-1", kind="letter", text="大会，\n回顾其第59/48号决议，\n"))
    ingest_document(session, DocumentIn(symbol="A/RES/60/1", kind="ga_resolution"))  # known from a citer only
    ingest_document(session, DocumentIn(symbol="A/RES/64/183", kind="ga_resolution", text="大会，\n回顾其第60/1号决议，\n"))
    before = session.exec(select(Document.id, Document.key, Document.symbol).order_by(Document.id)).all()
    lines = [
        {"key": "letter-1", "symbol": "A/RES/64/183", "kind": "letter"},
        {"key": "letter-1", "symbol": "A/RES/60/1", "kind": "letter"},
        {"key": "A/RES/64/183", "symbol": "A/RES/60/1", "kind": "ga_resolution"},
    ]
    report = import_jsonl(session, io.StringIO("\n".join(json.dumps(x) for x in lines)))
    assert [n for n, _ in report.errors] == [1, 2, 3]
    assert all("merge" in reason for _, reason in report.errors)
    session.expire_all()
    assert session.exec(select(Document.id, Document.key, Document.symbol).order_by(Document.id)).all() == before


def test_a_line_for_a_stored_document_updates_it(session):
    report = import_jsonl(session, io.StringIO(json.dumps(GOOD, ensure_ascii=False)))
    assert (report.added, report.changed, report.unchanged) == (1, 0, 0)
    again = import_jsonl(session, io.StringIO(json.dumps({**GOOD, "title": "新标题"}, ensure_ascii=False)))
    assert (again.added, again.changed, again.unchanged, again.refused) == (0, 1, 0, 0)


@pytest.mark.skipif(bool(TEST_DB_URL), reason="reads the SQLite file from a second connection")
def test_the_command_commits_per_batch_reports_file_line_reasons_and_a_summary(tmp_path, monkeypatch, capsys,
                                                                                cli_database):
    url = cli_database
    db = tmp_path / "lineage.db"
    upgrade(url)
    lines = [_line({**GOOD, "symbol": f"A/RES/64/{n}", "key": None}) for n in range(1, 6)]
    lines.insert(2, b"{broken")
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    # What another connection sees committed when each line is read: per batch of 2, not per line.
    seen = []
    import app.exports.jsonl as jsonl

    real = jsonl.import_jsonl

    def watching(session, fh, batch_size, progress, **kwargs):
        def look(n):
            con = sqlite3.connect(db)
            seen.append(con.execute("SELECT count(*) FROM document WHERE text IS NOT NULL").fetchone()[0])
            con.close()
            progress(n)
        return real(session, fh, batch_size=batch_size, progress=look, **kwargs)

    monkeypatch.setattr(jsonl, "import_jsonl", watching)
    status = main(["import", str(path), "--batch-size", "2", "--quiet"])
    out, err = capsys.readouterr()
    assert status == 1
    assert err.strip().splitlines() == [f"{path}:3: not valid JSON: Expecting property name enclosed in double quotes at column 2"]
    assert out.strip().splitlines()[-1] == "imported 5 (added 5, changed 0), unchanged 0, refused 1, conflicts 0"
    assert seen == [0, 0, 2, 2, 2, 4]
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Document).where(Document.text.is_not(None))).one() == 5
        assert s.exec(select(func.count()).select_from(Citation)).one() == 5
    engine.dispose()


def test_a_nul_or_a_lone_surrogate_is_found_wherever_the_line_holds_it(session):
    """Most lines skip the walk over every value; one that may hold a NUL or a lone surrogate
    (an escape, or text given as str) is walked, and the reason says where."""
    lines = io.StringIO("\n".join([
        json.dumps({"symbol": "A/RES/65/124", "provenance": {"a": ["x\x00"]}}),
        '{"symbol": "A/RES/65/124", "title": "\ud800"}',
        json.dumps({**GOOD, "title": "没有转义"}, ensure_ascii=False),
    ]) + "\n")
    report = import_jsonl(session, lines)
    assert report.errors == [(1, "provenance.a[0] contains a NUL character"),
                             (2, "title contains a lone surrogate, which is not Unicode text")]
    assert report.added == 1
