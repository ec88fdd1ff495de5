"""Search: a symbol's close matches, and full text over the documents and their cited paragraphs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import column as text_column
from sqlalchemy import case, func, literal_column, union
from sqlalchemy import table as table_fts
from sqlmodel import Session, select

from app.models import Document, Paragraph
from app.search.fts import END, PARAGRAPH_STRIDE, SEP, pairs_query


def _named(*extra):
    """A document's columns a search page names it and links to it by (labels.document_label,
    urls.document), as a row: its provenance only when it has no symbol, so that SQLite reads no
    text it does not show."""
    d = Document.__table__.c
    return (d.id, d.key, d.symbol, d.kind, d.session, d.date, d.title, d.title_en, *extra,
            case((d.symbol.is_(None), d.provenance)).label("provenance"))


def symbol_matches(session: Session, fragment: str, limit: int = 20) -> list:
    """Documents whose symbol contains `fragment`, shortest first: the close matches of a search,
    as rows of `_named`."""
    if not fragment.isascii():
        return []  # every symbol is ASCII (app/symbols.py): a Chinese word is in none of them
    pattern = f"%{fragment}%"
    order = (func.length(Document.symbol), Document.symbol)
    # SQLite's LIKE already ignores ASCII case, as its lower() only lowers ASCII: the same test
    # as ILIKE's lower(symbol) LIKE lower(?), without a lower() call per row.
    if session.get_bind().dialect.name == "sqlite":
        contains = Document.symbol.like(pattern)
    else:
        contains = Document.symbol.ilike(pattern)
    # The substring test cannot use an index, but it can scan the symbol index (symbol, id)
    # instead of the table with every text in it: pick the ids there, then load those rows.
    ids = select(Document.id).where(Document.symbol.is_not(None), contains).order_by(*order).limit(limit)
    return list(session.execute(select(*_named()).where(Document.id.in_(ids)).order_by(*order)).all())


MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # private-use marks: escaped text, then <mark>


@dataclass
class TextHit:
    document: Any  # a row of `_named` and the text (attributes named as Document's)
    snippet: str  # plain text with MARK_OPEN/MARK_CLOSE around the matches
    where: str  # "text" or "paragraph"


def _snippet(text: str, q: str, width: int = 40) -> str:
    i = text.lower().find(q.lower())
    if i < 0:
        return text[: 2 * width]
    start, end = max(0, i - width), min(len(text), i + len(q) + width)
    return (
        ("…" if start else "") + text[start:i] + MARK_OPEN + text[i:i + len(q)] + MARK_CLOSE
        + text[i + len(q):end] + ("…" if end < len(text) else "")
    )


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_ORDER = (Document.__table__.c.date.desc().nulls_last(), Document.__table__.c.session.desc().nulls_last(),
          Document.__table__.c.key)


@cache
def _fts_stmts(texts: str = "document_fts", paragraphs: str = "paragraph_fts"):
    """The SQLite full-text reads, built once per pair of indexes (the trigram ones, or the
    pairs ones for words of one or two characters): a page of ids with the total beside each,
    and the total alone (by `:phrase`)."""
    d = Document.__table__.c
    phrase = bindparam("phrase")
    in_text = select(text_column("rowid").label("id")).select_from(table_fts(texts)).where(
        text_column(texts).op("MATCH")(phrase))
    # paragraph_fts's rowids are (document id, paragraph index) folded into one; it holds only the
    # paragraphs that are not a run of their document's text, the others match where it does
    # (app/search/fts.py).
    in_paragraph = select(literal_column(f"rowid / {PARAGRAPH_STRIDE}").label("id")).select_from(
        table_fts(paragraphs)).where(text_column(paragraphs).op("MATCH")(phrase))
    # The matches are found once (SQLite keeps a common table expression read twice as a table)
    # for both the page and its total: the two indexes' MATCH is most of a search's time.
    matched = union(in_text, in_paragraph).cte("matched")
    total = select(func.count()).select_from(matched).scalar_subquery()
    # `id + 0` keeps SQLite from looking each match up by rowid: it walks ix_document_recent
    # in page order and stops after the page, instead of sorting every match (a common word
    # is in most documents).
    page_ids = (select(d.id, total.label("total")).where((d.id + 0).in_(select(matched.c.id))).order_by(*_ORDER)
                .offset(bindparam("offset")).limit(bindparam("limit")))
    return select(func.count()).select_from(matched), page_ids


@cache
def _hit_stmts():
    """The page's documents, and the first paragraph of each that holds the words."""
    d, p = Document.__table__, Paragraph.__table__
    docs = select(*_named(d.c.text)).where(d.c.id.in_(bindparam("ids", expanding=True)))
    paragraphs = (select(p.c.document_id, p.c.text)
                  .where(p.c.document_id.in_(bindparam("ids", expanding=True)),
                         p.c.text.ilike(bindparam("pattern"), escape="\\"))
                  .order_by(p.c.document_id, p.c.idx))
    return docs, paragraphs


def full_text(session: Session, q: str, page: int = 1, per_page: int = 20) -> tuple[list[TextHit], int]:
    """Documents whose text, or a paragraph they cite from, contains `q`; newest first.

    SQLite answers queries of three characters or more from the FTS5 trigram index, and shorter
    ones (the many 1- and 2-character Chinese words, which trigram cannot index) from the index
    of each text's pairs of characters (app/search/fts.py). PostgreSQL uses LIKE or ILIKE,
    which its pg_trgm indexes serve (a word under three characters is a scan there).
    """
    q = q.strip()
    if not q:
        return [], 0
    window = {"offset": (page - 1) * per_page, "limit": per_page}
    if session.get_bind().dialect.name == "sqlite":
        if len(q) >= 3:
            total_stmt, page_stmt = _fts_stmts()
            phrase = {"phrase": '"' + q.replace('"', '""') + '"'}
        else:
            if SEP in q or END in q:
                return [], 0  # the pairs index's own marks, control characters no word holds
            total_stmt, page_stmt = _fts_stmts("document_pairs", "paragraph_pairs")
            phrase = {"phrase": pairs_query(q)}
        rows = session.execute(page_stmt, {**phrase, **window}).all()
        ids = [r.id for r in rows]
        # past the last page no row carries the total: counted apart (a page that is not there)
        total = rows[0].total if rows else 0 if page == 1 else session.execute(total_stmt, phrase).scalar_one()
    else:
        pattern = _like(q)
        # A word without case (Chinese) is matched by LIKE, which compares bytes, rather than
        # ILIKE, which lowers every character of every text the index sends to recheck.
        like = "like" if q.lower() == q.upper() else "ilike"
        # Two sets unioned, each from its own trigram index: an OR across the two tables would
        # test every document's text instead (PostgreSQL plans it as one scan of the table). A
        # paragraph that is a run of its document's text matches only where the text does.
        matched = union(
            select(Document.id.label("id")).where(getattr(Document.text, like)(pattern, escape="\\")),
            select(Paragraph.document_id.label("id")).where(getattr(Paragraph.text, like)(pattern, escape="\\"),
                                                            Paragraph.verbatim.is_(False)),
        ).subquery()
        # The page and the total from one statement: a common word is in most texts, and each
        # statement that finds the matches reads them all. A page past the end has no row to
        # carry the total, so only then is it counted apart.
        rows = session.exec(
            select(Document.id, func.count().over()).where(Document.id.in_(select(matched.c.id)))
            .order_by(*_ORDER).offset(window["offset"]).limit(window["limit"])
        ).all()
        ids = [r[0] for r in rows]
        if rows:
            total = rows[0][1]
        else:
            total = 0 if page == 1 else session.exec(select(func.count()).select_from(matched)).one()
    if not ids:
        return [], total
    docs_stmt, paragraphs_stmt = _hit_stmts()
    by_id = {d.id: d for d in session.execute(docs_stmt, {"ids": list(ids)})}
    docs = [by_id[i] for i in ids]
    in_text = {doc.id for doc in docs if doc.text and q.lower() in doc.text.lower()}
    # the documents found by a cited paragraph only: their first such paragraph, all in one read
    first_paragraph: dict[int, str] = {}
    if len(in_text) < len(docs):
        for doc_id, text in session.execute(
                paragraphs_stmt, {"ids": [d.id for d in docs if d.id not in in_text], "pattern": _like(q)}):
            first_paragraph.setdefault(doc_id, text)
    return [TextHit(doc, _snippet(doc.text, q), "text") if doc.id in in_text
            else TextHit(doc, _snippet(first_paragraph.get(doc.id) or "", q), "paragraph")
            for doc in docs], total
