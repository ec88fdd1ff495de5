"""paragraph.verbatim: whether a quoted paragraph is a run of its document's text as it stands;
on SQLite the paragraphs' full-text index keeps only the others (a verbatim paragraph's words are
found in the text's own index)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: Union[str, None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The statements as this revision runs them (app/search/fts.py has today's).
_ROWID = "{0}.document_id * 4194304 + 2097152 + {0}.idx"
_DROP = [
    "DROP TRIGGER IF EXISTS paragraph_fts_ai", "DROP TRIGGER IF EXISTS paragraph_fts_ad",
    "DROP TRIGGER IF EXISTS paragraph_fts_au", "DROP TABLE IF EXISTS paragraph_fts",
]
_CREATE = "CREATE VIRTUAL TABLE IF NOT EXISTS paragraph_fts USING fts5(text, content='', tokenize='trigram')"
_OTHERS_ONLY = [
    _CREATE,
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ai AFTER INSERT ON paragraph WHEN NOT new.verbatim BEGIN "
    f"INSERT INTO paragraph_fts(rowid, text) VALUES ({_ROWID.format('new')}, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ad AFTER DELETE ON paragraph WHEN NOT old.verbatim BEGIN "
    f"INSERT INTO paragraph_fts(paragraph_fts, rowid, text) VALUES ('delete', {_ROWID.format('old')}, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_au AFTER UPDATE ON paragraph BEGIN "
    f"INSERT INTO paragraph_fts(paragraph_fts, rowid, text) SELECT 'delete', {_ROWID.format('old')}, old.text "
    "WHERE NOT old.verbatim; "
    f"INSERT INTO paragraph_fts(rowid, text) SELECT {_ROWID.format('new')}, new.text WHERE NOT new.verbatim; END",
    f"INSERT INTO paragraph_fts(rowid, text) SELECT {_ROWID.format('paragraph')}, text FROM paragraph "
    "WHERE NOT verbatim",
]
# 0008's index, of every paragraph (made again by a downgrade)
_EVERY = [
    _CREATE,
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ai AFTER INSERT ON paragraph BEGIN "
    f"INSERT INTO paragraph_fts(rowid, text) VALUES ({_ROWID.format('new')}, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ad AFTER DELETE ON paragraph BEGIN "
    f"INSERT INTO paragraph_fts(paragraph_fts, rowid, text) VALUES ('delete', {_ROWID.format('old')}, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_au AFTER UPDATE ON paragraph BEGIN "
    f"INSERT INTO paragraph_fts(paragraph_fts, rowid, text) VALUES ('delete', {_ROWID.format('old')}, old.text); "
    f"INSERT INTO paragraph_fts(rowid, text) VALUES ({_ROWID.format('new')}, new.text); END",
    f"INSERT INTO paragraph_fts(rowid, text) SELECT {_ROWID.format('paragraph')}, text FROM paragraph",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # The index goes first: its update trigger would otherwise rewrite every row it holds.
        for sql in _DROP:
            op.execute(sql)
    op.add_column("paragraph", sa.Column("verbatim", sa.Boolean(), server_default=sa.false(), nullable=False))
    # The test of app.models.paragraph_verbatim: the paragraph occurs as it is in a text.
    if dialect == "postgresql":
        op.execute("UPDATE paragraph p SET verbatim = coalesce(strpos(d.text, p.text) > 0, false) "
                   "FROM document d WHERE d.id = p.document_id")
    else:
        op.execute("UPDATE paragraph SET verbatim = coalesce((SELECT instr(d.text, paragraph.text) > 0 "
                   "FROM document d WHERE d.id = paragraph.document_id), 0)")
    if dialect == "sqlite":
        for sql in _OTHERS_ONLY:
            op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for sql in _DROP:
            op.execute(sql)
    with op.batch_alter_table("paragraph") as batch:
        batch.drop_column("verbatim")
    if dialect == "sqlite":
        for sql in _EVERY:
            op.execute(sql)
