"""The full-text index, for SQLite (FTS5, trigram tokenizer) and PostgreSQL (pg_trgm).

The statements live here once: the Alembic migration runs them, and so does `create_all` (through
DDL events), so tests on a fresh database have the same index as a migrated one. On SQLite the
index is an external-content FTS5 table kept in step by triggers, so no writer can forget it.
"""

from sqlalchemy import DDL, event

from app.models import Citation, Document

# Objects Alembic's autogenerate must not treat as unknown (see migrations/env.py).
FTS_NAMES = {"document_fts", "citation_fts"}
TRGM_INDEXES = {"ix_document_text_trgm", "ix_citation_paragraph_trgm"}

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_fts USING fts5("
    "text, content='document', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS citation_fts USING fts5("
    "paragraph, content='citation', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS document_fts_ai AFTER INSERT ON document BEGIN "
    "INSERT INTO document_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS document_fts_ad AFTER DELETE ON document BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS document_fts_au AFTER UPDATE OF text ON document BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO document_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS citation_fts_ai AFTER INSERT ON citation BEGIN "
    "INSERT INTO citation_fts(rowid, paragraph) VALUES (new.id, new.paragraph); END",
    "CREATE TRIGGER IF NOT EXISTS citation_fts_ad AFTER DELETE ON citation BEGIN "
    "INSERT INTO citation_fts(citation_fts, rowid, paragraph) VALUES ('delete', old.id, old.paragraph); END",
    "CREATE TRIGGER IF NOT EXISTS citation_fts_au AFTER UPDATE OF paragraph ON citation BEGIN "
    "INSERT INTO citation_fts(citation_fts, rowid, paragraph) VALUES ('delete', old.id, old.paragraph); "
    "INSERT INTO citation_fts(rowid, paragraph) VALUES (new.id, new.paragraph); END",
    # Rows that existed before the index (a database migrated with data) go in too.
    "INSERT INTO document_fts(document_fts) VALUES ('rebuild')",
    "INSERT INTO citation_fts(citation_fts) VALUES ('rebuild')",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS document_fts_ai", "DROP TRIGGER IF EXISTS document_fts_ad",
    "DROP TRIGGER IF EXISTS document_fts_au", "DROP TRIGGER IF EXISTS citation_fts_ai",
    "DROP TRIGGER IF EXISTS citation_fts_ad", "DROP TRIGGER IF EXISTS citation_fts_au",
    "DROP TABLE IF EXISTS document_fts", "DROP TABLE IF EXISTS citation_fts",
]

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_document_text_trgm ON document USING gin (text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_citation_paragraph_trgm ON citation USING gin (paragraph gin_trgm_ops)",
]

POSTGRESQL_DROP = ["DROP INDEX IF EXISTS ix_document_text_trgm", "DROP INDEX IF EXISTS ix_citation_paragraph_trgm"]


def statements(dialect: str, drop: bool = False) -> list[str]:
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    if dialect == "postgresql":
        return POSTGRESQL_DROP if drop else POSTGRESQL
    return []


def _install_events() -> None:
    # After the citation table exists (it comes after document), both tables are there.
    for sql in SQLITE:
        event.listen(Citation.__table__, "after_create", DDL(sql).execute_if(dialect="sqlite"))
    for sql in POSTGRESQL:
        event.listen(Citation.__table__, "after_create", DDL(sql).execute_if(dialect="postgresql"))
    for sql in SQLITE_DROP:
        event.listen(Document.__table__, "before_drop", DDL(sql).execute_if(dialect="sqlite"))


_install_events()
