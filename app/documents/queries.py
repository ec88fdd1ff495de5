"""The documents' reads: one lookup by ref, what a document cites and what cites it, the texts
without a document, and what the admin asks of a document before changing it."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, case, func, literal, or_
from sqlmodel import Session, select

from app.models import CitedCount, Citation, Document, Organization, Paragraph, SourceFact
from app.symbols import normalize


def by_symbol(session: Session, symbol: str) -> Document | None:
    return session.exec(select(Document).where(Document.symbol == symbol)).first()


def by_ref(session: Session, ref: str) -> Document | None:
    """A document by the identifier its URL carries: its symbol, else its key, else the symbol
    `ref` is another way of writing (`59/48`, `a/77/l.107`)."""
    doc = by_symbol(session, ref)
    if doc is None:
        doc = session.exec(select(Document).where(Document.key == ref)).first()
    if doc is None:
        norm = normalize(ref)
        doc = by_symbol(session, norm.symbol) if norm.symbol and norm.symbol != ref else None
    return doc


# --- what a document cites and what cites it, for the API and the feeds: SQLAlchemy Core ---
# (loading ORM entities, and building a statement per request, cost more than running them)

_DOCUMENT, _CITATION, _PARAGRAPH = Document.__table__, Citation.__table__, Paragraph.__table__
_CITED_COUNT = CitedCount.__table__


@cache
def _quoted_stmt():
    c, p = _CITATION.c, _PARAGRAPH.c
    base = (select(*_CITATION.c, func.coalesce(p.text, "").label("paragraph"))
            .select_from(_CITATION)
            .join(_PARAGRAPH, and_(p.document_id == c.citing_id, p.idx == c.paragraph_index), isouter=True))
    return base.where(c.citing_id == bindparam("doc_id")).order_by(c.position)


@dataclass(frozen=True)
class Quoted:
    """A stored citation with the text of its paragraph (a row of `paragraph`, read by a join):
    `quoted.paragraph` is that text, every other attribute the citation's."""

    citation: Citation
    paragraph: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.citation, name)


# A citation's paragraph, joined on (citing_id, paragraph_index).
_PARAGRAPH_OF = and_(Paragraph.document_id == Citation.citing_id, Paragraph.idx == Citation.paragraph_index)


def quoted(session: Session, where) -> list[Quoted]:
    """The citations `where` selects, in their documents' order, each with its paragraph."""
    rows = session.exec(
        select(Citation, Paragraph.text).join(Paragraph, _PARAGRAPH_OF, isouter=True).where(where)
        .order_by(Citation.citing_id, Citation.position)
    ).all()
    return [Quoted(c, text or "") for c, text in rows]


def cites(session: Session, doc: Document) -> list[tuple[Quoted, Any]]:
    """What `doc` cites, in order, each with the cited document as a row of `documents_by_ids`
    (None when Lineage does not know the symbol)."""
    found = session.execute(_quoted_stmt(), {"doc_id": doc.id}).all()
    docs = documents_by_ids(session, (c.cited_id for c in found))
    return [(c, docs.get(c.cited_id)) for c in found]


# --- the document page's reads: three statements, rows the page prints as they come ----------
# (on a Core connection: app.db.run_page gives one; a caller with a session passes its
# `session.connection()`)


def time_order(dialect: str) -> tuple:
    """`sort_date` as SQL, then the key: the date, else the opening of the session (1 September
    of 1945 + N), else last; and the key ordered by code point, as Python orders strings
    (PostgreSQL's default collation would order it by locale). SQLite stores a date as its ISO
    text, which orders as the date does."""
    d = _DOCUMENT.c
    if dialect == "postgresql":
        opening = func.make_date(d.session + 1945, 9, 1)
        return func.coalesce(d.date, opening, literal(dt.date.max)), d.key.collate("C")
    opening = func.printf("%04d-09-01", d.session + 1945)
    return func.coalesce(d.date, opening, dt.date.max.isoformat()), d.key


# What a page needs to name a document and link to it (labels.document_label, urls.document):
# the columns stored before `text`, and its provenance only when it has no symbol (read through
# its text otherwise, see documents_by_ids).
_BECAME_COLUMNS = ("key", "symbol", "kind", "session", "date", "title", "title_en")


@dataclass(frozen=True)
class Named:
    """A document as a page names it and links to it: the resolution a draft became."""

    id: int
    key: str
    symbol: str | None
    kind: str
    session: int | None
    date: Any
    title: str | None
    title_en: str | None
    provenance: dict | None


class _PageReads(NamedTuple):
    by_ref: Any
    by_symbol: Any
    cites: Any
    cited_by: Any
    cited_by_total: Any
    # the records their rows become (_record)
    document: type
    cite: type
    citer: type


def _record(name: str, stmt) -> type:
    """A named tuple of `stmt`'s columns, which its rows become. SQLAlchemy's Row looks a name up
    in about 0.3 µs, a named tuple in a tenth of that, and a document page reads fifteen names of
    each of its dozens of items and more of its document (bench/README.md)."""
    return namedtuple(name, stmt.selected_columns.keys())


# The page runs them on a Core connection: Session.execute's ORM layer (events, options,
# a compile state per call) costs about as much as SQLite's answer, for rows it would not change.
@cache
def _page_stmts(dialect: str) -> _PageReads:
    d, c, p = _DOCUMENT.c, _CITATION.c, _PARAGRAPH.c
    became = _DOCUMENT.alias("became")
    b = became.c
    # the document by its symbol, else by its key, with the resolution it became beside it and
    # how many citations of it there are (the read model's count: `cited_by_count`)
    counted = _CITED_COUNT.c
    joined = _DOCUMENT.outerjoin(became, b.id == d.became_id).outerjoin(_CITED_COUNT, counted.document_id == d.id)
    by_ref = (select(_DOCUMENT, *(b[name].label("became_" + name) for name in _BECAME_COLUMNS),
                     case((b.symbol.is_(None), b.provenance)).label("became_provenance"),
                     func.coalesce(counted.citations, 0).label("cited_by_count"))
              .select_from(joined)
              .where(or_(d.symbol == bindparam("ref"), d.key == bindparam("ref")))
              .order_by(case((d.symbol == bindparam("ref"), 0), else_=1)).limit(1))
    by_symbol = select(*by_ref.selected_columns).select_from(joined).where(d.symbol == bindparam("ref"))
    cited = _DOCUMENT.alias("cited")
    # what it cites, with the paragraph and the cited document's identifier in URLs
    cites_rows = (select(c.cited_symbol, c.verb, c.verb_class, c.cited_date, c.location, c.paragraph_index,
                         func.coalesce(p.text, "").label("paragraph"),
                         func.coalesce(cited.c.symbol, cited.c.key).label("cited_ref"))
                  .select_from(_CITATION)
                  .join(_PARAGRAPH, and_(p.document_id == c.citing_id, p.idx == c.paragraph_index), isouter=True)
                  .join(cited, cited.c.id == c.cited_id, isouter=True)
                  .where(c.citing_id == bindparam("doc_id")).order_by(c.position))
    # A page of what cites it, in time order: the order is taken over the citations and their
    # citers' dates alone (a much-cited resolution has hundreds of citers), then only the page's
    # rows are joined to their paragraphs. `total` counts every citation, before the page is cut.
    order, key = time_order(dialect)
    page = (select(c.id, order.label("sort_date"), key.label("sort_key"), c.position,
                   func.count().over().label("total"))
            .select_from(_CITATION).join(_DOCUMENT, d.id == c.citing_id)
            .where(c.cited_id == bindparam("doc_id"))
            .order_by(order, key, c.position).limit(bindparam("limit")).offset(bindparam("offset"))
            .subquery("page"))
    cited_by_rows = (select(c.citing_id, c.verb, c.verb_class, c.location, c.paragraph_index, c.raw,
                            func.coalesce(p.text, "").label("paragraph"),
                            d.key, d.symbol, d.kind, d.session, d.date,
                            case((d.symbol.is_(None), d.provenance)).label("provenance"), page.c.total)
                     .select_from(page).join(_CITATION, c.id == page.c.id).join(_DOCUMENT, d.id == c.citing_id)
                     .join(_PARAGRAPH, and_(p.document_id == c.citing_id, p.idx == c.paragraph_index), isouter=True)
                     .order_by(page.c.sort_date, page.c.sort_key, page.c.position))
    cited_by_total = select(func.count()).select_from(_CITATION).where(c.cited_id == bindparam("doc_id"))
    return _PageReads(by_ref, by_symbol, cites_rows, cited_by_rows, cited_by_total,
                      _record("DocumentRow", by_ref), _record("CiteRow", cites_rows), _record("CiterRow", cited_by_rows))


def page_document(conn: Connection, ref: str):
    """The document the page at `ref` shows (`by_ref`), as a row of the document's columns
    (attributes named as Document's), `became_…`, the resolution it became, and
    `cited_by_count`, how many citations of it there are; None if there is none."""
    reads = _page_stmts(conn.dialect.name)
    row = conn.execute(reads.by_ref, {"ref": ref}).first()
    if row is None:
        norm = normalize(ref)
        if norm.symbol and norm.symbol != ref:
            row = conn.execute(reads.by_symbol, {"ref": norm.symbol}).first()
    return None if row is None else reads.document._make(row)


def became_of(row) -> Named | None:
    """The resolution a `page_document` row became, or None."""
    if row.became_id is None:
        return None
    return Named(row.became_id, *(getattr(row, "became_" + name) for name in _BECAME_COLUMNS),
                 row.became_provenance)


def page_cites(conn: Connection, doc_id: int) -> list:
    """What the document cites, in order: rows of the citation's shown columns, `paragraph` and
    `cited_ref` (the cited document's identifier in URLs; None when Lineage does not know it)."""
    reads = _page_stmts(conn.dialect.name)
    return list(map(reads.cite._make, conn.execute(reads.cites, {"doc_id": doc_id})))


def page_cited_by(conn: Connection, doc_id: int, page: int, per_page: int) -> tuple[list, int]:
    """One page of what cites the document, oldest citer first (`sort_date`, key, position), and
    how many citations there are in all. Each row holds the citation's shown columns, its
    `paragraph`, and its citer's columns under their own names (id as `citing_id`), so that it
    names and links to the citer as a document row does."""
    reads = _page_stmts(conn.dialect.name)
    params = {"doc_id": doc_id, "limit": per_page, "offset": (page - 1) * per_page}
    rows = list(map(reads.citer._make, conn.execute(reads.cited_by, params)))
    if rows:
        return rows, rows[0].total
    # past the last page no row carries the total: counted apart (a page that is not there)
    return rows, 0 if page == 1 else conn.execute(reads.cited_by_total, {"doc_id": doc_id}).scalar_one()


def newest_citers(session: Session, doc_id: int, limit: int) -> list[tuple[Any, list]]:
    """The `limit` documents citing `doc_id` that Lineage stored last, newest first (created,
    then updated, then key: a feed's order), each as a row of `documents_by_ids` with its times
    and with its citations of `doc_id` (position order, each with its `paragraph`): the citing
    feed. Whatever the number of citers, `limit` documents and their citations are read."""
    d, c, p = _DOCUMENT.c, _CITATION.c, _PARAGRAPH.c
    _, key = time_order(session.get_bind().dialect.name)  # the key by code point, on both engines
    newest = (select(d.id).where(d.id.in_(select(c.citing_id).where(c.cited_id == doc_id)))
              .order_by(d.created_at.desc(), func.coalesce(d.updated_at, d.created_at).desc(), key.desc())
              .limit(limit))
    ids = [row.id for row in session.execute(newest)]
    if not ids:
        return []
    docs = documents_by_ids(session, ids, times=True)
    citations: dict[int, list] = {i: [] for i in ids}
    for row in session.execute(
            select(c.citing_id, c.verb, c.position, func.coalesce(p.text, "").label("paragraph"))
            .select_from(_CITATION)
            .join(_PARAGRAPH, and_(p.document_id == c.citing_id, p.idx == c.paragraph_index), isouter=True)
            .where(c.cited_id == doc_id, c.citing_id.in_(ids)).order_by(c.citing_id, c.position)):
        citations[row.citing_id].append(row)
    return [(docs[i], citations[i]) for i in ids]


def documents_by_ids(session: Session, ids, *, times: bool = False) -> dict[int, Any]:
    """Documents a page only labels, links to and dates, as rows: id, key, symbol, kind, session,
    date, date_source, title, title_en, has_text, provenance (only for a document without a
    symbol: its label needs it) and, with `times` (for feeds), created_at and updated_at.

    Loading them whole was a quarter of the chain page's time (bench/README.md). The columns are
    those the table stores before `text`, and `text IS NOT NULL`, so SQLite never reads a text:
    a column stored after it (became_id, provenance, …) means reading through the whole text.
    """
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {d.id: d for d in session.execute(_documents_by_ids_stmt(times), {"ids": list(ids)})}


@cache
def _documents_by_ids_stmt(times: bool):
    d = _DOCUMENT.c
    columns = [d.id, d.key, d.symbol, d.kind, d.session, d.date, d.date_source, d.title, d.title_en,
               d.text.is_not(None).label("has_text"), case((d.symbol.is_(None), d.provenance)).label("provenance")]
    if times:
        columns += [d.created_at, d.updated_at]
    return select(*columns).where(d.id.in_(bindparam("ids", expanding=True)))


def stored_citations(session: Session, doc: Document) -> list[Citation]:
    return list(
        session.exec(select(Citation).where(Citation.citing_id == doc.id).order_by(Citation.position)).all()
    )


def citer_count(session: Session, doc: Document) -> int:
    """How many documents cite `doc`."""
    return session.exec(
        select(func.count(func.distinct(Citation.citing_id))).where(Citation.cited_id == doc.id)
    ).one()


def is_referenced(session: Session, doc: Document) -> bool:
    """Whether something other than its own text keeps `doc` in Lineage: a citation of it, a
    draft that became it, an organization whose observer-status resolution it is."""
    if session.exec(select(Citation.id).where(Citation.cited_id == doc.id).limit(1)).first():
        return True
    if session.exec(select(Document.id).where(Document.became_id == doc.id).limit(1)).first():
        return True
    return bool(
        doc.symbol
        and session.exec(select(Organization.id).where(Organization.observer_symbol == doc.symbol)).first()
    )


@dataclass
class AdminFilter:
    """What the admin's list of texts is narrowed to: part of a symbol or key, an organization's
    id, a session."""

    symbol: str = ""
    organization_id: int | None = None
    session: int | None = None


def texts_page(session: Session, where: AdminFilter, page: int, per_page: int) -> tuple[list, int]:
    """A page of the texts an admin can edit, newest first (by id: a stable order that needs no
    sort), as light rows, and how many match. Two statements whatever the record's size."""
    d = Document.__table__.c
    conds = [d.text.is_not(None)]
    if where.symbol:
        pattern = "%" + where.symbol.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(or_(d.symbol.ilike(pattern, escape="\\"), d.key.ilike(pattern, escape="\\")))
    if where.organization_id is not None:
        conds.append(d.organization_id == where.organization_id)
    if where.session is not None:
        conds.append(d.session == where.session)
    total = session.execute(select(func.count()).select_from(Document.__table__).where(*conds)).scalar_one()
    rows = session.execute(
        select(d.id, d.key, d.symbol, d.kind, d.session, d.date, d.title, d.title_en, d.provenance, d.version)
        .where(*conds).order_by(d.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def source_facts_of(session: Session | Connection, docs: list[Document]) -> dict[int, list[SourceFact]]:
    """The facts from public sources of these documents, by document id, in their file order
    (read on a session or a Core connection alike)."""
    ids = [d.id for d in docs]
    out: dict[int, list[SourceFact]] = {i: [] for i in ids}
    if ids:
        for f in session.execute(_source_facts_stmt(), {"ids": ids}):
            out[f.document_id].append(f)
    return out


@cache
def _source_facts_stmt():
    f = SourceFact.__table__
    return (select(f).where(f.c.document_id.in_(bindparam("ids", expanding=True)))
            .order_by(f.c.document_id, f.c.position))
