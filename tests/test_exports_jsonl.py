"""Bulk JSON Lines: import with line-numbered errors, export, and the round trip."""

import io
import json

from sqlmodel import select

from app.exports.jsonl import export_lines, import_jsonl
from app.models import Citation, Document, Organization, SourceFact
from app.documents.queries import quoted


def _state(session):
    docs = session.exec(select(Document).order_by(Document.key)).all()
    by_id = {d.id: d.key for d in docs}
    return (
        sorted((o.acronym, o.name_zh, o.observer_symbol, tuple(o.series_titles))
               for o in session.exec(select(Organization)).all()),
        [(d.key, d.symbol, d.kind, d.session, d.date, d.date_source, d.title, d.text, by_id.get(d.became_id),
          d.outcome, d.outcome_date, d.vote, d.votes_yes, d.votes_no, d.votes_abstain, d.public_facts)
         for d in docs],
        sorted((by_id[f.document_id], f.position, f.fact, json.dumps(f.value), f.url, f.note)
               for f in session.exec(select(SourceFact)).all()),
        sorted((by_id[c.citing_id], c.position, c.cited_symbol, c.verb, c.cited_date, c.location, c.paragraph,
                c.start, c.end, c.in_series)
               for c in quoted(session, Citation.id.is_not(None))),
    )


def test_export_then_import_into_an_empty_database_gives_the_same_data(seeded, engine):
    lines = list(export_lines(seeded))
    assert json.loads(lines[0])["type"] == "organization"
    expected = _state(seeded)
    seeded.close()  # PostgreSQL: let drop_all take its locks

    from sqlmodel import Session, SQLModel

    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as fresh:
        report = import_jsonl(fresh, io.StringIO("\n".join(lines) + "\n"))
        assert report.errors == []
        assert expected[2], "the seed data has facts from public sources"
        assert _state(fresh) == expected
        again = import_jsonl(fresh, io.StringIO("\n".join(lines) + "\n"))
        assert again.imported == 0 and again.unchanged == len(lines)


def test_bad_lines_are_reported_with_their_number_and_good_lines_go_in(session):
    good = {"symbol": "A/RES/64/183", "kind": "ga_resolution", "session": 64, "date": "2009-12-18",
            "text": "大会，\n回顾其2004年12月2日第59/48号决议，\n"}
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({"kind": "ga_resolution"}),
        json.dumps({"symbol": "hello", "kind": "ga_resolution"}),
        json.dumps({"symbol": "A/RES/65/124", "date": "2010-13-45"}),
        json.dumps({"symbol": "A/RES/65/124", "citations": [{"symbol": "not a symbol"}]}),
        json.dumps({"symbol": "A/RES/67/15", "kind": "ga_resolution",
                    "citations": [{"symbol": "64/183", "verb": "回顾", "date": "2009-12-18"}]}),
    ]
    report = import_jsonl(session, io.StringIO("\n".join(lines)))
    assert [n for n, _ in report.errors] == [2, 3, 4, 5, 6]
    assert "not valid JSON" in report.errors[0][1]
    assert "symbol or a key" in report.errors[1][1]
    assert "YYYY-MM-DD" in report.errors[3][1]
    assert report.imported == 2
    r67 = session.exec(select(Document).where(Document.symbol == "A/RES/67/15")).one()
    cit = session.exec(select(Citation).where(Citation.citing_id == r67.id)).one()
    assert (cit.cited_symbol, cit.verb) == ("A/RES/64/183", "回顾")
    assert session.exec(select(Document).where(Document.symbol == "A/RES/65/124")).first() is None


def test_a_file_from_the_older_export_with_each_citation_s_paragraph_still_imports(session):
    """Exports written before paragraphs were kept once carry `paragraph` in every citation."""
    para = "回顾其第59/48号和第60/1号决议，"
    line = {"symbol": "A/RES/64/183", "kind": "ga_resolution", "citations": [
        {"symbol": "A/RES/59/48", "verb": "回顾", "paragraph": para, "paragraph_index": 1, "raw": "59/48"},
        {"symbol": "A/RES/60/1", "verb": "回顾", "paragraph": para, "paragraph_index": 1, "raw": "60/1"},
    ]}
    report = import_jsonl(session, io.StringIO(json.dumps(line, ensure_ascii=False) + "\n"))
    assert report.errors == [] and report.imported == 1
    assert [c.paragraph for c in quoted(session, Citation.id.is_not(None))] == [para, para]
    (exported,) = [json.loads(x) for x in export_lines(session) if "A/RES/64/183" in x and "citations" in x]
    assert exported["paragraphs"] == [{"index": 1, "text": para}]
    assert [c["paragraph_index"] for c in exported["citations"]] == [1, 1]


def test_a_text_with_an_undocs_link_of_its_own_is_stored_with_the_link_line_as_its_paragraph(session):
    from app.documents.store import DocumentIn, ingest_document

    text = "大会，\n回顾其第59/48号决议，\nhttps://undocs.org/ch/A/RES/60/1\n"
    ingest_document(session, DocumentIn(key="k", kind="other", text=text))
    cites = quoted(session, Citation.id.is_not(None))
    assert [(c.cited_symbol, c.paragraph_index, c.paragraph) for c in cites] == [
        ("A/RES/59/48", 1, "回顾其第59/48号决议，"),
        ("A/RES/60/1", -1, "https://undocs.org/ch/A/RES/60/1"),
    ]
