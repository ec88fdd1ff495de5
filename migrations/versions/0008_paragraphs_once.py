"""paragraphs kept once per document; a citation points to its paragraph instead of copying it

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from app.search import fts

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The citation paragraphs' index as 0003 made it (dropped here, made again by a downgrade).
_CITATION_FTS_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS citation_fts USING fts5("
    "paragraph, content='citation', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS citation_fts_ai AFTER INSERT ON citation BEGIN "
    "INSERT INTO citation_fts(rowid, paragraph) VALUES (new.id, new.paragraph); END",
    "CREATE TRIGGER IF NOT EXISTS citation_fts_ad AFTER DELETE ON citation BEGIN "
    "INSERT INTO citation_fts(citation_fts, rowid, paragraph) VALUES ('delete', old.id, old.paragraph); END",
    "CREATE TRIGGER IF NOT EXISTS citation_fts_au AFTER UPDATE OF paragraph ON citation BEGIN "
    "INSERT INTO citation_fts(citation_fts, rowid, paragraph) VALUES ('delete', old.id, old.paragraph); "
    "INSERT INTO citation_fts(rowid, paragraph) VALUES (new.id, new.paragraph); END",
    "INSERT INTO citation_fts(citation_fts) VALUES ('rebuild')",
]
_CITATION_FTS_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS citation_fts_ai", "DROP TRIGGER IF EXISTS citation_fts_ad",
    "DROP TRIGGER IF EXISTS citation_fts_au", "DROP TABLE IF EXISTS citation_fts",
]
_CITATION_TRGM = "CREATE INDEX IF NOT EXISTS ix_citation_paragraph_trgm ON citation USING gin (paragraph gin_trgm_ops)"
_CITATION_TRGM_DROP = "DROP INDEX IF EXISTS ix_citation_paragraph_trgm"

# The paragraphs' index as this revision made it (app/search/fts.py has today's: 0015 indexes
# only the paragraphs that are not a run of their text).
_PARAGRAPH_ROWID = "{0}.document_id * 4194304 + 2097152 + {0}.idx"
_PARAGRAPH_FTS_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS paragraph_fts USING fts5(text, content='', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ai AFTER INSERT ON paragraph BEGIN "
    f"INSERT INTO paragraph_fts(rowid, text) VALUES ({_PARAGRAPH_ROWID.format('new')}, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ad AFTER DELETE ON paragraph BEGIN "
    "INSERT INTO paragraph_fts(paragraph_fts, rowid, text) "
    f"VALUES ('delete', {_PARAGRAPH_ROWID.format('old')}, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_au AFTER UPDATE ON paragraph BEGIN "
    "INSERT INTO paragraph_fts(paragraph_fts, rowid, text) "
    f"VALUES ('delete', {_PARAGRAPH_ROWID.format('old')}, old.text); "
    f"INSERT INTO paragraph_fts(rowid, text) VALUES ({_PARAGRAPH_ROWID.format('new')}, new.text); END",
    "INSERT INTO paragraph_fts(rowid, text) "
    f"SELECT {_PARAGRAPH_ROWID.format('paragraph')}, text FROM paragraph",
]

_PARAGRAPH_DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS paragraph_fts_ai", "DROP TRIGGER IF EXISTS paragraph_fts_ad",
    "DROP TRIGGER IF EXISTS paragraph_fts_au", "DROP TABLE IF EXISTS paragraph_fts",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "paragraph",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "idx"),
    )
    # Each document's paragraphs once, from the copies its citations carried.
    op.execute(
        "INSERT INTO paragraph (document_id, idx, text) "
        "SELECT citing_id, paragraph_index, MIN(paragraph) FROM citation GROUP BY citing_id, paragraph_index"
    )
    if dialect == "sqlite":
        for sql in _CITATION_FTS_SQLITE_DROP:
            op.execute(sql)
        for sql in _PARAGRAPH_FTS_SQLITE:
            op.execute(sql)
    elif dialect == "postgresql":
        op.execute(_CITATION_TRGM_DROP)
        for sql in fts.POSTGRESQL_PARAGRAPHS:
            op.execute(sql)
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.drop_column("paragraph")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paragraph", sa.Text(), nullable=False, server_default=""))
    op.execute(
        "UPDATE citation SET paragraph = COALESCE((SELECT p.text FROM paragraph p "
        "WHERE p.document_id = citation.citing_id AND p.idx = citation.paragraph_index), '')"
    )
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.alter_column("paragraph", server_default=None)
    if dialect == "sqlite":
        for sql in _PARAGRAPH_DROP_SQLITE:
            op.execute(sql)
        for sql in _CITATION_FTS_SQLITE:
            op.execute(sql)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_paragraph_text_trgm")
        op.execute(_CITATION_TRGM)
    op.drop_table("paragraph")
