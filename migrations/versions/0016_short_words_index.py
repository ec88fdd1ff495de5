"""On SQLite, an index of each text's pairs of characters, for searches of one or two characters
(青岛, 渠, 合作), which the trigram index cannot answer and a scan answered slowly

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0016"
down_revision: Union[str, None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The function and statements as this revision runs them (app/search/fts.py has today's).
SEP, END = "\x01", "\x02"
_FUNCTION = "lineage_pairs"
_TOKENIZER = f"unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Z* C*' separators '{SEP}'"
_ROWID = "{0}.document_id * 4194304 + 2097152 + {0}.idx"


def _pairs(text):
    if not text:
        return text
    return SEP.join([text[i:i + 2] for i in range(len(text) - 1)] + [text[-1] + END])


_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS document_pairs USING fts5(text, content='', detail=none, tokenize=\"{_TOKENIZER}\")",
    "CREATE TRIGGER IF NOT EXISTS document_pairs_ai AFTER INSERT ON document BEGIN "
    f"INSERT INTO document_pairs(rowid, text) VALUES (new.id, {_FUNCTION}(new.text)); END",
    "CREATE TRIGGER IF NOT EXISTS document_pairs_ad AFTER DELETE ON document BEGIN "
    f"INSERT INTO document_pairs(document_pairs, rowid, text) VALUES ('delete', old.id, {_FUNCTION}(old.text)); END",
    "CREATE TRIGGER IF NOT EXISTS document_pairs_au AFTER UPDATE OF text ON document BEGIN "
    f"INSERT INTO document_pairs(document_pairs, rowid, text) VALUES ('delete', old.id, {_FUNCTION}(old.text)); "
    f"INSERT INTO document_pairs(rowid, text) VALUES (new.id, {_FUNCTION}(new.text)); END",
    f"INSERT INTO document_pairs(rowid, text) SELECT id, {_FUNCTION}(text) FROM document WHERE text IS NOT NULL",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS paragraph_pairs USING fts5(text, content='', detail=none, tokenize=\"{_TOKENIZER}\")",
    "CREATE TRIGGER IF NOT EXISTS paragraph_pairs_ai AFTER INSERT ON paragraph WHEN NOT new.verbatim BEGIN "
    f"INSERT INTO paragraph_pairs(rowid, text) VALUES ({_ROWID.format('new')}, {_FUNCTION}(new.text)); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_pairs_ad AFTER DELETE ON paragraph WHEN NOT old.verbatim BEGIN "
    f"INSERT INTO paragraph_pairs(paragraph_pairs, rowid, text) VALUES ('delete', {_ROWID.format('old')}, "
    f"{_FUNCTION}(old.text)); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_pairs_au AFTER UPDATE ON paragraph BEGIN "
    f"INSERT INTO paragraph_pairs(paragraph_pairs, rowid, text) SELECT 'delete', {_ROWID.format('old')}, "
    f"{_FUNCTION}(old.text) WHERE NOT old.verbatim; "
    f"INSERT INTO paragraph_pairs(rowid, text) SELECT {_ROWID.format('new')}, {_FUNCTION}(new.text) "
    "WHERE NOT new.verbatim; END",
    f"INSERT INTO paragraph_pairs(rowid, text) SELECT {_ROWID.format('paragraph')}, {_FUNCTION}(text) "
    "FROM paragraph WHERE NOT verbatim",
]
_DROP = [
    "DROP TRIGGER IF EXISTS document_pairs_ai", "DROP TRIGGER IF EXISTS document_pairs_ad",
    "DROP TRIGGER IF EXISTS document_pairs_au", "DROP TRIGGER IF EXISTS paragraph_pairs_ai",
    "DROP TRIGGER IF EXISTS paragraph_pairs_ad", "DROP TRIGGER IF EXISTS paragraph_pairs_au",
    "DROP TABLE IF EXISTS document_pairs", "DROP TABLE IF EXISTS paragraph_pairs",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: pg_trgm as before
    # the connection's function, as this revision fills the index with it
    op.get_bind().connection.dbapi_connection.create_function(_FUNCTION, 1, _pairs, deterministic=True)
    for sql in _CREATE:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for sql in _DROP:
        op.execute(sql)
