"""The full-text index, for SQLite (FTS5, trigram tokenizer) and PostgreSQL (pg_trgm).

The statements live here once: the Alembic migration runs them, and so does `create_all` (through
DDL events), so tests on a fresh database have the same index as a migrated one. On SQLite the
index is an external-content FTS5 table kept in step by triggers, so no writer can forget it.
"""

from sqlalchemy import DDL, event

from app.models import Document, Paragraph

# Objects Alembic's autogenerate must not treat as unknown (see migrations/env.py).
FTS_NAMES = {"document_fts", "paragraph_fts", "document_pairs", "paragraph_pairs"}
TRGM_INDEXES = {"ix_document_text_trgm", "ix_paragraph_text_trgm"}

# A paragraph's row in its index: the paragraph table's key (document_id, idx) folded into one
# integer, so the index never depends on SQLite's implicit rowid (which VACUUM may renumber).
# idx runs from -2**21 (undocs link lines, numbered down from -1) to 2**21 (a 1 MB text has
# fewer paragraphs than that); `rowid / PARAGRAPH_STRIDE` is the document's id.
PARAGRAPH_STRIDE = 2**22
_PARAGRAPH_ROWID = "{0}.document_id * 4194304 + 2097152 + {0}.idx"

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_fts USING fts5("
    "text, content='document', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS document_fts_ai AFTER INSERT ON document BEGIN "
    "INSERT INTO document_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS document_fts_ad AFTER DELETE ON document BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS document_fts_au AFTER UPDATE OF text ON document BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO document_fts(rowid, text) VALUES (new.id, new.text); END",
    # Rows that existed before the index (a database migrated with data) go in too.
    "INSERT INTO document_fts(document_fts) VALUES ('rebuild')",
]

# The paragraphs citations quote that are not a run of their document's text (a contentless
# index: the text stays in the paragraph table). A `verbatim` paragraph's words are found in
# the text (document_fts), so indexing it too only made every search read its matches twice;
# those left are the paragraphs the extractor joined across line breaks and those typed with a
# citation. Whether a row is indexed is its own `verbatim`, stored when it was written, so a
# row is taken out of the index exactly as it was put in (a contentless index must be told the
# very values it holds).
SQLITE_PARAGRAPHS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS paragraph_fts USING fts5(text, content='', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ai AFTER INSERT ON paragraph WHEN NOT new.verbatim BEGIN "
    f"INSERT INTO paragraph_fts(rowid, text) VALUES ({_PARAGRAPH_ROWID.format('new')}, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_ad AFTER DELETE ON paragraph WHEN NOT old.verbatim BEGIN "
    "INSERT INTO paragraph_fts(paragraph_fts, rowid, text) "
    f"VALUES ('delete', {_PARAGRAPH_ROWID.format('old')}, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_fts_au AFTER UPDATE ON paragraph BEGIN "
    "INSERT INTO paragraph_fts(paragraph_fts, rowid, text) "
    f"SELECT 'delete', {_PARAGRAPH_ROWID.format('old')}, old.text WHERE NOT old.verbatim; "
    f"INSERT INTO paragraph_fts(rowid, text) SELECT {_PARAGRAPH_ROWID.format('new')}, new.text "
    "WHERE NOT new.verbatim; END",
    # A contentless index cannot 'rebuild': rows already there are added once, when it is made.
    "INSERT INTO paragraph_fts(rowid, text) "
    f"SELECT {_PARAGRAPH_ROWID.format('paragraph')}, text FROM paragraph WHERE NOT verbatim",
]

# --- words of one or two characters (青岛, 渠, 合作): the pairs index --------------------------
# A trigram index cannot answer a query shorter than three characters, and Chinese is full of
# such words: a scan of every text answered them (850 ms at scale 10). So each text is also
# indexed by its pairs of consecutive characters, each pair a token (and its last character
# with END, a pair of its own): a text contains a two-character word exactly when the word is
# one of its tokens, and a one-character word when a token starts with it (a prefix query).
# FTS5's unicode61 tokenizer is told that every character belongs to a token but SEP, which
# separates them; `detail=none` keeps only which texts hold a token (no positions: a token is
# the whole query). The tokens are made by `pairs`, a function every connection of Lineage's has
# (`register`), which the triggers call: a write through a connection without it (the sqlite3
# shell) fails rather than leave the index behind.
SEP, END = "\x01", "\x02"
PAIRS_FUNCTION = "lineage_pairs"
_PAIRS_TOKENIZER = f"unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Z* C*' separators '{SEP}'"


def pairs(text: str | None) -> str | None:
    """The pairs index's tokens of `text`, joined by SEP: every two consecutive characters, and
    the last character followed by END. (SEP in a text would split a pair: texts hold none.)"""
    if not text:
        return text
    return SEP.join([text[i:i + 2] for i in range(len(text) - 1)] + [text[-1] + END])


def pairs_query(q: str) -> str:
    """The FTS5 query for a word of one or two characters in the pairs index."""
    phrase = '"' + q.replace('"', '""') + '"'
    return phrase if len(q) == 2 else phrase + " *"


def register(dbapi_connection) -> None:
    """Give a SQLite connection the function the pairs index's triggers call."""
    dbapi_connection.create_function(PAIRS_FUNCTION, 1, pairs, deterministic=True)


SQLITE_PAIRS = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS document_pairs USING fts5(text, content='', detail=none, "
    f"tokenize=\"{_PAIRS_TOKENIZER}\")",
    "CREATE TRIGGER IF NOT EXISTS document_pairs_ai AFTER INSERT ON document BEGIN "
    f"INSERT INTO document_pairs(rowid, text) VALUES (new.id, {PAIRS_FUNCTION}(new.text)); END",
    "CREATE TRIGGER IF NOT EXISTS document_pairs_ad AFTER DELETE ON document BEGIN "
    f"INSERT INTO document_pairs(document_pairs, rowid, text) VALUES ('delete', old.id, {PAIRS_FUNCTION}(old.text)); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS document_pairs_au AFTER UPDATE OF text ON document BEGIN "
    f"INSERT INTO document_pairs(document_pairs, rowid, text) VALUES ('delete', old.id, {PAIRS_FUNCTION}(old.text)); "
    f"INSERT INTO document_pairs(rowid, text) VALUES (new.id, {PAIRS_FUNCTION}(new.text)); END",
    f"INSERT INTO document_pairs(rowid, text) SELECT id, {PAIRS_FUNCTION}(text) FROM document WHERE text IS NOT NULL",
]

# The paragraphs paragraph_fts holds (not a run of their document's text), by their pairs.
SQLITE_PARAGRAPH_PAIRS = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS paragraph_pairs USING fts5(text, content='', detail=none, "
    f"tokenize=\"{_PAIRS_TOKENIZER}\")",
    "CREATE TRIGGER IF NOT EXISTS paragraph_pairs_ai AFTER INSERT ON paragraph WHEN NOT new.verbatim BEGIN "
    f"INSERT INTO paragraph_pairs(rowid, text) VALUES ({_PARAGRAPH_ROWID.format('new')}, {PAIRS_FUNCTION}(new.text)); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_pairs_ad AFTER DELETE ON paragraph WHEN NOT old.verbatim BEGIN "
    "INSERT INTO paragraph_pairs(paragraph_pairs, rowid, text) "
    f"VALUES ('delete', {_PARAGRAPH_ROWID.format('old')}, {PAIRS_FUNCTION}(old.text)); END",
    "CREATE TRIGGER IF NOT EXISTS paragraph_pairs_au AFTER UPDATE ON paragraph BEGIN "
    "INSERT INTO paragraph_pairs(paragraph_pairs, rowid, text) "
    f"SELECT 'delete', {_PARAGRAPH_ROWID.format('old')}, {PAIRS_FUNCTION}(old.text) WHERE NOT old.verbatim; "
    f"INSERT INTO paragraph_pairs(rowid, text) SELECT {_PARAGRAPH_ROWID.format('new')}, {PAIRS_FUNCTION}(new.text) "
    "WHERE NOT new.verbatim; END",
    f"INSERT INTO paragraph_pairs(rowid, text) SELECT {_PARAGRAPH_ROWID.format('paragraph')}, "
    f"{PAIRS_FUNCTION}(text) FROM paragraph WHERE NOT verbatim",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS document_fts_ai", "DROP TRIGGER IF EXISTS document_fts_ad",
    "DROP TRIGGER IF EXISTS document_fts_au", "DROP TRIGGER IF EXISTS paragraph_fts_ai",
    "DROP TRIGGER IF EXISTS paragraph_fts_ad", "DROP TRIGGER IF EXISTS paragraph_fts_au",
    "DROP TABLE IF EXISTS document_fts", "DROP TABLE IF EXISTS paragraph_fts",
    "DROP TRIGGER IF EXISTS document_pairs_ai", "DROP TRIGGER IF EXISTS document_pairs_ad",
    "DROP TRIGGER IF EXISTS document_pairs_au", "DROP TRIGGER IF EXISTS paragraph_pairs_ai",
    "DROP TRIGGER IF EXISTS paragraph_pairs_ad", "DROP TRIGGER IF EXISTS paragraph_pairs_au",
    "DROP TABLE IF EXISTS document_pairs", "DROP TABLE IF EXISTS paragraph_pairs",
]

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_document_text_trgm ON document USING gin (text gin_trgm_ops)",
]

POSTGRESQL_PARAGRAPHS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_paragraph_text_trgm ON paragraph USING gin (text gin_trgm_ops)",
]

POSTGRESQL_DROP = ["DROP INDEX IF EXISTS ix_document_text_trgm", "DROP INDEX IF EXISTS ix_paragraph_text_trgm"]


def statements(dialect: str, drop: bool = False) -> list[str]:
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE + SQLITE_PARAGRAPHS + SQLITE_PAIRS + SQLITE_PARAGRAPH_PAIRS
    if dialect == "postgresql":
        return POSTGRESQL_DROP if drop else POSTGRESQL + POSTGRESQL_PARAGRAPHS
    return []


def _install_events() -> None:
    for sql in SQLITE + SQLITE_PAIRS:
        event.listen(Document.__table__, "after_create", DDL(sql).execute_if(dialect="sqlite"))
    for sql in POSTGRESQL:
        event.listen(Document.__table__, "after_create", DDL(sql).execute_if(dialect="postgresql"))
    for sql in SQLITE_PARAGRAPHS + SQLITE_PARAGRAPH_PAIRS:
        event.listen(Paragraph.__table__, "after_create", DDL(sql).execute_if(dialect="sqlite"))
    for sql in POSTGRESQL_PARAGRAPHS:
        event.listen(Paragraph.__table__, "after_create", DDL(sql).execute_if(dialect="postgresql"))
    for sql in SQLITE_DROP:
        event.listen(Document.__table__, "before_drop", DDL(sql).execute_if(dialect="sqlite"))


_install_events()
