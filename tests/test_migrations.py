"""The Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

import json

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from app.config import Settings
from app.db import make_engine
from app.migrate import check, upgrade
from tests.conftest import TEST_DB_URL


@pytest.fixture
def empty_database(tmp_path):
    if TEST_DB_URL:
        url = TEST_DB_URL
        engine = make_engine(Settings(database_url=url).sqlalchemy_url)
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
        engine = make_engine(url)
    yield url, engine
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def test_upgrade_builds_every_table_and_matches_the_models(empty_database):
    url, engine = empty_database
    upgrade(url)
    tables = set(inspect(engine).get_table_names())
    assert {"organization", "document", "citation", "alembic_version"} <= tables
    # Raises if autogenerate would find any difference between models and migrations.
    check(url)


def test_upgrade_twice_is_harmless(empty_database):
    url, _ = empty_database
    upgrade(url)
    upgrade(url)
    check(url)


def test_migrated_database_has_the_full_text_index(empty_database):
    """Search on a migrated database (as `make run` makes it), not only on create_all's."""
    from sqlmodel import Session

    from app.search import queries
    from app.documents.store import DocumentIn, ingest_document

    url, engine = empty_database
    upgrade(url)
    with Session(engine) as s:
        ingest_document(s, DocumentIn(key="k", kind="other", text="上海合作组织观察员地位"))
        assert [h.document.key for h in queries.full_text(s, "观察员地位")[0]] == ["k"]
        assert [h.document.key for h in queries.full_text(s, "地位")[0]] == ["k"]
        if engine.dialect.name == "sqlite":
            names = {r[0] for r in s.connection().exec_driver_sql("SELECT name FROM sqlite_master").all()}
            assert {"document_fts", "paragraph_fts", "document_fts_ai", "paragraph_fts_ai"} <= names
        else:
            names = set(s.connection().exec_driver_sql("SELECT indexname FROM pg_indexes").scalars())
            assert {"ix_document_text_trgm", "ix_paragraph_text_trgm"} <= names


def test_0008_moves_each_paragraph_out_of_its_citations_once_and_back(empty_database):
    """Citations stored with a copy of their paragraph each (0005) keep their paragraphs: one row
    per (document, paragraph) in `paragraph`, searchable; a downgrade puts the copies back."""
    from sqlmodel import Session

    from app.search import queries
    from app.migrate import alembic_config

    url, engine = empty_database
    upgrade(url, "0005")
    para = "回顾其第1/1号、第1/2号和第1/3号决议，"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO document (id, key, kind, provenance, created_at, updated_at, version) VALUES "
            "(1, 'k', 'other', '{}', '2026-01-01', '2026-01-01', 1), "
            "(2, 'A/RES/1/1', 'ga_resolution', '{}', '2026-01-01', '2026-01-01', 1)"))
        for position in range(3):
            conn.execute(text(
                "INSERT INTO citation (citing_id, position, cited_symbol, cited_id, verb_class, raw, start, \"end\", "
                "location, paragraph, paragraph_index, in_series) VALUES (1, :p, 'A/RES/1/1', 2, 'recall', '1/1', "
                ":p, :p, 'preamble', :para, :idx, false)"), {"p": position, "para": para if position < 2 else "另一段",
                                                            "idx": 1 if position < 2 else 4})
    upgrade(url)
    check(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT document_id, idx, text FROM paragraph ORDER BY idx")).all() == [
            (1, 1, para), (1, 4, "另一段")]
        assert "paragraph" not in {c["name"] for c in inspect(conn).get_columns("citation")}
    with Session(engine) as s:
        # Found in the paragraph index, not in any text (the document has none).
        assert [h.document.key for h in queries.full_text(s, "第1/2号")[0]] == ["k"]
        assert [h.document.key for h in queries.full_text(s, "段")[0]] == ["k"]
    from alembic import command

    command.downgrade(alembic_config(url), "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT position, paragraph FROM citation ORDER BY position")).all() == [
            (0, para), (1, para), (2, "另一段")]
        assert "paragraph" not in inspect(conn).get_table_names()


def test_0015_indexes_apart_only_the_paragraphs_that_are_not_in_their_text(empty_database):
    """Paragraphs stored before 0015 are marked verbatim or not by the test the writer uses; the
    paragraphs' own index then holds only the others, and every word stays found, before and
    after a downgrade."""
    from alembic import command
    from sqlmodel import Session

    from app.migrate import alembic_config
    from app.search import queries

    url, engine = empty_database
    upgrade(url, "0014")
    text_ = "大会，\n回顾其第1/1号决议，\n又回顾其第1/2\n号决议，\n"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO document (id, key, kind, text, provenance, created_at, updated_at, version) VALUES "
            "(1, 'k', 'other', :t, '{}', '2026-01-01', '2026-01-01', 1), "
            "(2, 'no-text', 'other', NULL, '{}', '2026-01-01', '2026-01-01', 1)"), {"t": text_})
        conn.execute(text("INSERT INTO paragraph (document_id, idx, text) VALUES "
                          "(1, 1, '回顾其第1/1号决议，'), (1, 2, '又回顾其第1/2 号决议，'), (2, 0, '提及其第1/3号决议')"))
    upgrade(url)
    check(url)

    def searched() -> dict[str, list[tuple[str, str]]]:
        with Session(engine) as s:
            return {q: [(h.document.key, h.where) for h in queries.full_text(s, q)[0]]
                    for q in ("第1/1号", "第1/2 号", "第1/3号")}

    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text(
            "SELECT document_id, idx, verbatim FROM paragraph ORDER BY document_id, idx"))] == [
            (1, 1, True), (1, 2, False), (2, 0, False)]
        if engine.dialect.name == "sqlite":
            held = conn.execute(text("SELECT rowid / 4194304 FROM paragraph_fts WHERE paragraph_fts MATCH :p"),
                                {"p": '"号决议"'}).scalars().all()
            assert sorted(held) == [1, 2]  # the joined paragraph and the text-less document's, not the line
    found = {"第1/1号": [("k", "text")], "第1/2 号": [("k", "paragraph")], "第1/3号": [("no-text", "paragraph")]}
    assert searched() == found
    command.downgrade(alembic_config(url), "0014")
    with engine.connect() as conn:
        assert "verbatim" not in {c["name"] for c in inspect(conn).get_columns("paragraph")}
        if engine.dialect.name == "sqlite":
            held = conn.execute(text("SELECT rowid / 4194304 FROM paragraph_fts WHERE paragraph_fts MATCH :p"),
                                {"p": '"号决议"'}).scalars().all()
            assert sorted(held) == [1, 1, 2]


def test_0016_indexes_the_texts_stored_before_it_by_their_pairs_of_characters(empty_database):
    """Texts and joined paragraphs stored before 0016 are found by a word of one or two
    characters from the new index (SQLite) or a scan (PostgreSQL); a downgrade takes the index
    and its triggers away."""
    from alembic import command
    from sqlmodel import Session

    from app.migrate import alembic_config
    from app.search import queries

    url, engine = empty_database
    upgrade(url, "0015")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO document (id, key, kind, text, provenance, created_at, updated_at, version) VALUES "
            "(1, 'k', 'other', '大会，回顾青岛渠', '{}', '2026-01-01', '2026-01-01', 1), "
            "(2, 'no-text', 'other', NULL, '{}', '2026-01-01', '2026-01-01', 1)"))
        conn.execute(text("INSERT INTO paragraph (document_id, idx, text, verbatim) VALUES "
                          "(1, 1, '回顾青岛渠', TRUE), (2, 0, '提及鹦鹉', FALSE)"))
    upgrade(url)
    check(url)
    with Session(engine) as s:
        found = {q: [h.document.key for h in queries.full_text(s, q)[0]] for q in ("青岛", "渠", "鹦鹉", "鹉", "岛渠", "大")}
    assert found == {"青岛": ["k"], "渠": ["k"], "鹦鹉": ["no-text"], "鹉": ["no-text"], "岛渠": ["k"], "大": ["k"]}
    command.downgrade(alembic_config(url), "0015")
    with engine.connect() as conn:
        names = set(conn.execute(text(
            "SELECT name FROM sqlite_master" if engine.dialect.name == "sqlite" else
            "SELECT tablename FROM pg_tables")).scalars())
    assert not {n for n in names if "pairs" in n}


@pytest.mark.parametrize("documents, kept", [
    # drawn whole: the overall graph is `all`; every range was a reader's
    (20, {"org:SCO", "all"}),
    # drawn as a summary: the last eight sessions (73-80), each page of lanes
    (200, {"org:SCO", "all:73-80:1", "all:73-80:2"}),
], ids=["a small record", "a summarized record"])
def test_0017_keeps_only_the_default_drawings(empty_database, documents, kept):
    """The drawings earlier versions stored for every range a reader named go; each
    organization's graph and the overall one as first shown stay."""
    url, engine = empty_database
    upgrade(url, "0016")
    scopes = ["org:SCO", "all", "all:73-80:1", "all:73-80:2", "all:59-64:1", "all:72-80:1", "all:7-8:3"]
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO document (id, key, kind, session, provenance, created_at, updated_at, version) "
            "VALUES (:id, :key, 'other', :session, '{}', '2026-01-01', '2026-01-01', 1)"),
            [{"id": i, "key": f"k{i}", "session": 1 + i * 79 // (documents - 1)} for i in range(documents)])
        conn.execute(text(
            "INSERT INTO graph_layout (digest, scope, lang, svg, routing, seconds, created_at) "
            "VALUES (:digest, :scope, :lang, '<svg/>', 'spline', 0.1, '2026-01-01')"),
            [{"digest": f"{scope}-{lang}", "scope": scope, "lang": lang} for scope in scopes for lang in ("zh", "en")])
    upgrade(url)
    with engine.connect() as conn:
        left = set(conn.execute(text("SELECT scope, lang FROM graph_layout")).all())
    assert left == {(scope, lang) for scope in kept for lang in ("zh", "en")}


def test_0018_marks_the_fields_admins_set_before_it_from_the_audit_log(empty_database):
    """A database whose admins corrected documents before 0018 (the audit log says which fields
    each save changed) has those fields marked as theirs, so no command overwrites them after the
    upgrade; a field of a document whose text an admin deleted is not. A downgrade drops the table."""
    from alembic import command
    from sqlmodel import Session

    from app.documents import history
    from app.migrate import alembic_config

    url, engine = empty_database
    upgrade(url, "0017")

    def snap(title, text_, citations=()):
        return json.dumps({"symbol": "A/77/L.107", "title": title, "text": text_, "citations": list(citations),
                           "version": 1}, ensure_ascii=False)

    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO document (id, key, symbol, kind, title, text, provenance, created_at, updated_at, version) "
            "VALUES (1, 'A/77/L.107', 'A/77/L.107', 'draft_resolution', '订正', '新全文', '{}', '2026-01-01', "
            "'2026-01-01', 3), (2, 'A/77/L.1', 'A/77/L.1', 'draft_resolution', NULL, NULL, '{}', '2026-01-01', "
            "'2026-01-01', 3)"))
        entries = [
            (1, "alice", "edit", 1, snap("原标题", "全文"), snap("订正", "全文")),
            (2, "bob", "edit", 1, snap("订正", "全文"), snap("订正", "新全文", [{"symbol": "A/RES/1/1"}])),
            (3, "alice", "edit", 2, snap("甲", "全文"), snap("乙", "全文")),
            (4, "alice", "delete", 2, snap("乙", "全文"), None),
        ]
        for id_, who, action, doc, before, after in entries:
            conn.execute(text(
                "INSERT INTO auditentry (id, at, username, action, document_id, document_label, before, after) "
                "VALUES (:id, '2026-01-02 00:00:00', :who, :action, :doc, 'x', :before, :after)"),
                {"id": id_, "who": who, "action": action, "doc": doc, "before": before, "after": after})
    upgrade(url)
    check(url)
    with Session(engine) as s:
        marks = {f: r.set_by for f, r in history.admin_fields(s, 1).items()}
        assert marks == {"title": "alice", "text": "bob", "citations": "bob"}
        assert history.admin_fields(s, 2) == {}
    command.downgrade(alembic_config(url), "0017")
    with engine.connect() as conn:
        assert "admin_field" not in inspect(conn).get_table_names()
    upgrade(url)  # and up again
    check(url)
