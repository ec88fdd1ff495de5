"""The full-text index: FTS5 trigram tables on SQLite, pg_trgm indexes on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The statements as this revision ran them (app/search/fts.py has today's): the paragraphs' index moved
# to the paragraph table in 0008, and a migration must do what it did whatever the code says now.
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


def _statements(drop: bool = False) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    if dialect == "postgresql":
        return POSTGRESQL_DROP if drop else POSTGRESQL
    return []


def upgrade() -> None:
    for sql in _statements():
        op.execute(sql)


def downgrade() -> None:
    for sql in _statements(drop=True):
        op.execute(sql)
