"""Exports of a scope (one organization, or the whole database): CSV, JSON, JSON Lines and GraphML,
written as they are read.

Identifiers are stable across exports and databases: a document is its `key` (its symbol when
it has one, else the key the seed or the admin gave it), never its autoincrement id; a
citation is `{citing key}#{position}` (its 0-based place among the citing text's citations).
Nothing time-dependent is written, so exporting the same data twice gives the same bytes.

CSV opens in a spreadsheet as it is: UTF-8 with a byte-order mark (Excel then reads the Chinese
correctly), a header row, CRLF line ends, every field quoted where needed.

Every format is a generator of byte chunks over rows read `BATCH` at a time (a server-side cursor
on PostgreSQL), so an export of the whole record holds one batch in memory, not the record, and
its first bytes are written before the last rows are read. The reads are SQLAlchemy Core: plain
rows, on a connection of `one_read`, so that the whole export holds one version of the data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby, islice
from types import SimpleNamespace
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy import and_
from sqlalchemy.orm import aliased

from app.citations.excerpt import excerpts
from app.documents import labels
from app.documents.queries import time_order
from app.models import Citation, Document, Organization, Paragraph

DOCUMENT_FIELDS = [
    "key", "symbol", "label_zh", "label_en", "kind", "organization", "chains", "session", "date",
    "date_source", "title", "title_en", "has_text", "became", "cited_by_count", "url", "undocs_url",
]
CITATION_FIELDS = [
    "id", "citing_key", "citing_symbol", "position", "cited_key", "cited_symbol", "verb",
    "verb_class", "cited_date", "location", "paragraph_index", "footnote", "link", "in_series",
    "raw", "paragraph",
]
# Rows read and written at a time: large enough that per-batch statements cost little, small
# enough that a batch of paragraphs stays a few megabytes.
BATCH = 500
INT_FIELDS = {"session", "cited_by_count", "position", "paragraph_index"}
BOOL_FIELDS = {"has_text", "in_series"}

D = Document.__table__.c
C = Citation.__table__.c
O = Organization.__table__.c
P = Paragraph.__table__.c


def citation_id(citing_key: str, position: int) -> str:
    return f"{citing_key}#{position}"


@contextmanager
def one_read(engine: Engine) -> Iterator[Connection]:
    """A connection whose statements all read one version of the data, until it is closed.

    SQLite's driver begins no transaction before a SELECT, so that each statement would read the
    data as it is then (an export could hold a citation of a document it does not list): one is
    begun by hand. PostgreSQL's REPEATABLE READ gives the whole transaction one snapshot: set
    for this transaction alone (`SET TRANSACTION`), so the pooled connection goes back as it
    came (the driver's read-only flag would make its next transactions READ WRITE explicitly,
    overriding a database's default_transaction_read_only)."""
    with engine.connect() as conn:
        dialect = conn.dialect.name
        # (a connection shared with the tests' session may be in its transaction already)
        begin = dialect == "sqlite" and not conn.connection.dbapi_connection.in_transaction
        conn.begin()  # rolled back when the connection closes; the ORM sessions on it join it
        if begin:
            conn.exec_driver_sql("BEGIN")
        if dialect == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn


# --- the scope ----------------------------------------------------------------------------------


def _ordered_key(conn: Connection, column):
    """`column` ordered by code point, as Python sorts strings (PostgreSQL's default collation
    would order by locale)."""
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def scope_ids(conn: Connection, member_ids: Iterable[int]) -> list[int]:
    """The documents of one organization's export: its chain, what the chain's texts cite, and
    the resolution a chain's letter or draft became."""
    members = sorted(set(member_ids))
    ids = set(members)
    for chunk in _chunks(members):
        ids.update(r[0] for r in conn.execute(
            select(C.cited_id).where(C.citing_id.in_(chunk), C.cited_id.is_not(None))))
    became = set()
    for chunk in _chunks(sorted(ids)):
        became.update(r[0] for r in conn.execute(
            select(D.became_id).where(D.id.in_(chunk), D.became_id.is_not(None))))
    return sorted(ids | became)


def _chunks(values: list) -> Iterator[list]:
    it = iter(values)
    while chunk := list(islice(it, BATCH)):
        yield chunk


def _chains(conn: Connection, rows: list, observers: dict[str, list[str]], acronyms: dict[int, str]) -> dict[int, list[str]]:
    """Which organizations' chains each document of `rows` stands in (the rule of
    queries.chain_members: its own texts, its observer-status resolution, what its texts cite in
    a paragraph that names the series)."""
    out: dict[int, set[str]] = {}
    for r in rows:
        here = out.setdefault(r.id, set())
        if r.organization_id is not None:
            here.add(acronyms[r.organization_id])
        here.update(observers.get(r.symbol, ()))
    citing = aliased(Document.__table__)
    for cited_id, org_id in conn.execute(
        select(C.cited_id, citing.c.organization_id).distinct().join(citing, citing.c.id == C.citing_id)
        .where(C.cited_id.in_([r.id for r in rows]), C.in_series, citing.c.organization_id.is_not(None))
    ):
        out[cited_id].add(acronyms[org_id])
    return {k: sorted(v) for k, v in out.items()}


def _citer_counts(conn: Connection, ids: list[int]) -> dict[int, int]:
    """How many documents cite each one (over the whole database, whatever the scope)."""
    return {cited: n for cited, n in conn.execute(
        select(C.cited_id, func.count(func.distinct(C.citing_id))).where(C.cited_id.in_(ids)).group_by(C.cited_id))}


def document_rows(conn: Connection, ids: list[int] | None, *, url: Callable[[object], str],
                  undocs: Callable[[str], str]) -> Iterator[dict]:
    """One dict per document of the scope (every document when `ids` is None), in time order,
    keyed by DOCUMENT_FIELDS."""
    became = aliased(Document.__table__)
    acronyms, observers = {}, {}
    for org_id, acronym, observer in conn.execute(select(O.id, O.acronym, O.observer_symbol)):
        acronyms[org_id] = acronym
        observers.setdefault(observer, []).append(acronym)
    stmt = (
        select(D.id, D.key, D.symbol, D.kind, D.session, D.date, D.date_source, D.title, D.title_en,
               D.organization_id,
               D.text.is_not(None).label("has_text"), D.provenance, O.acronym.label("organization"),
               became.c.key.label("became"))
        .select_from(Document.__table__)
        .outerjoin(Organization.__table__, O.id == D.organization_id)
        .outerjoin(became, became.c.id == D.became_id)
        .order_by(*time_order(conn.dialect.name))  # the documents in time, as every page orders them
    )
    if ids is not None:
        if not ids:
            return
        stmt = stmt.where(D.id.in_(ids))
    result = conn.execution_options(yield_per=BATCH).execute(stmt)
    for batch in result.partitions():
        batch_ids = [r.id for r in batch]
        chains = _chains(conn, batch, observers, acronyms)
        citers = _citer_counts(conn, batch_ids)
        for r in batch:
            d = SimpleNamespace(symbol=r.symbol, kind=r.kind, date=_date(r.date), session=r.session,
                                provenance=r.provenance, key=r.key)
            yield {
                "key": r.key,
                "symbol": r.symbol,
                "label_zh": labels.document_label(d, "zh"),
                "label_en": labels.document_label(d, "en"),
                "kind": r.kind,
                "organization": r.organization,
                "chains": ";".join(chains[r.id]),
                "session": r.session,
                "date": d.date.isoformat() if d.date else None,
                "date_source": r.date_source,
                "title": r.title,
                "title_en": r.title_en,
                "has_text": bool(r.has_text),
                "became": r.became,
                "cited_by_count": citers.get(r.id, 0),
                "url": url(d),
                "undocs_url": undocs(r.symbol) if r.symbol else None,
            }


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def citation_rows(conn: Connection, member_ids: list[int] | None) -> Iterator[dict]:
    """One dict per citation made by a text of the scope (every citation when `member_ids` is
    None), by citing key and position, keyed by CITATION_FIELDS."""
    citing, cited = aliased(Document.__table__), aliased(Document.__table__)
    stmt = (
        select(citing.c.key.label("citing_key"), citing.c.symbol.label("citing_symbol"),
               cited.c.key.label("cited_key"), C.position, C.cited_symbol, C.verb, C.verb_class,
               C.cited_date, C.location, C.paragraph_index, C.footnote, C.link, C.in_series, C.raw,
               C.citing_id, P.text.label("paragraph_text"))
        .select_from(Citation.__table__)
        .join(citing, citing.c.id == C.citing_id)
        .outerjoin(cited, cited.c.id == C.cited_id)
        .outerjoin(Paragraph.__table__, and_(P.document_id == C.citing_id, P.idx == C.paragraph_index))
        .order_by(_ordered_key(conn, citing.c.key), C.position)
    )
    if member_ids is not None:
        if not member_ids:
            return
        stmt = stmt.where(C.citing_id.in_(member_ids))
    result = conn.execution_options(yield_per=BATCH).execute(stmt)
    # A citation carries the words around it, not its whole paragraph (a paragraph listing
    # thousands of symbols would be repeated thousands of times): `paragraph_rows` has each
    # paragraph once. A paragraph's citations come one after another, in position order.
    for _, group in groupby(result, key=lambda r: (r.citing_id, r.paragraph_index)):
        group = list(group)
        around = excerpts(group[0].paragraph_text or "", [r.raw for r in group])
        yield from (_citation_row(r, text) for r, text in zip(group, around))


def _citation_row(r, paragraph: str) -> dict:
    cited_date = _date(r.cited_date)
    return {
        "id": citation_id(r.citing_key, r.position),
        "citing_key": r.citing_key,
        "citing_symbol": r.citing_symbol,
        "position": r.position,
        "cited_key": r.cited_key,
        "cited_symbol": r.cited_symbol,
        "verb": r.verb,
        "verb_class": r.verb_class,
        "cited_date": cited_date.isoformat() if cited_date else None,
        "location": r.location,
        "paragraph_index": r.paragraph_index,
        "footnote": r.footnote,
        "link": r.link,
        "in_series": bool(r.in_series),
        "raw": r.raw,
        "paragraph": paragraph,
    }


def paragraph_rows(conn: Connection, member_ids: list[int] | None) -> Iterator[dict]:
    """Each paragraph the scope's texts hold citations in, once: `{"citing_key",
    "paragraph_index", "text"}`, by citing key and index."""
    citing = aliased(Document.__table__)
    stmt = (
        select(citing.c.key.label("citing_key"), P.idx, P.text)
        .select_from(Paragraph.__table__).join(citing, citing.c.id == P.document_id)
        .order_by(_ordered_key(conn, citing.c.key), P.idx)
    )
    if member_ids is not None:
        if not member_ids:
            return
        stmt = stmt.where(P.document_id.in_(member_ids))
    for r in conn.execution_options(yield_per=BATCH).execute(stmt):
        yield {"citing_key": r.citing_key, "paragraph_index": r.idx, "text": r.text}


def organization_rows(conn: Connection, acronym: str | None, *, url: Callable[[str], str]) -> list[dict]:
    stmt = select(O.acronym, O.name_zh, O.name_en, O.observer_symbol, O.series_titles).order_by(O.acronym)
    if acronym is not None:
        stmt = stmt.where(O.acronym == acronym)
    return [
        {"acronym": o.acronym, "name_zh": o.name_zh, "name_en": o.name_en,
         "observer_symbol": o.observer_symbol, "series_titles": list(o.series_titles or []),
         "url": url(o.acronym)}
        for o in conn.execute(stmt)
    ]


# --- the formats ---------------------------------------------------------------------------------


def csv_chunks(rows: Iterable[dict], fields: list[str]) -> Iterator[bytes]:
    """UTF-8 with BOM, CRLF, header first; None is an empty cell, booleans `true`/`false`."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    yield b"\xef\xbb\xbf" + _drain(out)
    for batch in _batched(rows):
        for row in batch:
            writer.writerow({k: _cell(row.get(k)) for k in fields})
        yield _drain(out)


def _drain(out: io.StringIO) -> bytes:
    data = out.getvalue().encode("utf-8")
    out.seek(0)
    out.truncate()
    return data


def _batched(rows: Iterable) -> Iterator[list]:
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        yield batch


# A cell a spreadsheet would run as a formula (OWASP's CSV injection rule) gets a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def _json_array(name: str, rows: Iterable[dict], last: bool) -> Iterator[bytes]:
    """`  "name": [ … ]` as json.dumps(indent=2) writes it inside the top-level object."""
    yield f'  "{name}": ['.encode("utf-8")
    empty = True
    for batch in _batched(rows):
        parts = []
        for row in batch:
            item = json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            parts.append(("\n    " if empty else ",\n    ") + item)
            empty = False
        yield "".join(parts).encode("utf-8")
    yield (("]" if empty else "\n  ]") + ("\n" if last else ",\n")).encode("utf-8")


def json_chunks(scope: str, organizations: list[dict], documents: Iterable[dict],
                citations: Iterable[dict], paragraphs: Iterable[dict] = ()) -> Iterator[bytes]:
    """`{"scope", "organizations", "documents", "citations", "paragraphs"}`, pretty (json.dumps
    indent=2), UTF-8 (not ASCII-escaped), the same bytes as json.dumps of the whole object; each
    citation's `paragraph` is an excerpt, `paragraphs` has each paragraph whole, once."""
    yield ("{\n" + f'  "scope": {json.dumps(scope, ensure_ascii=False)},\n').encode("utf-8")
    yield from _json_array("organizations", organizations, last=False)
    yield from _json_array("documents", documents, last=False)
    yield from _json_array("citations", citations, last=False)
    yield from _json_array("paragraphs", paragraphs, last=True)
    yield b"}"


def jsonl_chunks(scope: str, organizations: list[dict], documents: Iterable[dict],
                 citations: Iterable[dict], paragraphs: Iterable[dict] = ()) -> Iterator[bytes]:
    """One JSON object a line: the organizations, the documents, the citations, then the
    paragraphs, each with a `type`, holding the same fields as the JSON export."""
    kinds = (("organization", organizations), ("document", documents), ("citation", citations),
             ("paragraph", paragraphs))
    for kind, rows in kinds:
        for batch in _batched(rows):
            yield "".join(json.dumps({"type": kind, **row}, ensure_ascii=False) + "\n"
                          for row in batch).encode("utf-8")


# GraphML as networkx writes it (nx.read_graphml reads it back as a MultiDiGraph), with a key
# declared for every field up front, so that it can be written before the rows are read.
_GRAPHML_HEAD = (
    "<?xml version='1.0' encoding='utf-8'?>\n"
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">'
)
NODE_ATTRS = [f for f in DOCUMENT_FIELDS if f != "key"]
EDGE_ATTRS = [f for f in CITATION_FIELDS if f not in ("id", "citing_key", "cited_key")]


def _gtype(name: str) -> str:
    return "long" if name in INT_FIELDS else "boolean" if name in BOOL_FIELDS else "string"


def graphml_chunks(scope: str, documents: Iterable[dict], citations: Iterable[dict]) -> Iterator[bytes]:
    """Nodes are document keys, edges citing -> cited keyed by citation id; an attribute with no
    value is left out (GraphML has no null). Citations of documents Lineage does not know (no
    cited key) are not edges."""
    keys = {("graph", "name"): "d0"}
    for name in NODE_ATTRS:
        keys[("node", name)] = f"d{len(keys)}"
    for name in EDGE_ATTRS:
        keys[("edge", name)] = f"d{len(keys)}"
    head = [_GRAPHML_HEAD]
    for (where, name), kid in keys.items():
        head.append(f'<key id="{kid}" for="{where}" attr.name="{name}" attr.type="{_gtype(name)}"/>\n')
    head.append(f'<graph edgedefault="directed"><data key="d0">{escape(f"Lineage {scope}")}</data>\n')
    yield "".join(head).encode("utf-8")

    def data(where: str, row: dict, names: list[str]) -> str:
        out = []
        for name in names:
            v = row.get(name)
            if v is None or v == "":
                continue
            text = str(v)  # True/False as Python writes them, which networkx reads back
            out.append(f'  <data key="{keys[(where, name)]}">{escape(text)}</data>\n')
        return "".join(out)

    for batch in _batched(documents):
        yield "".join(f"<node id={quoteattr(r['key'])}>\n{data('node', r, NODE_ATTRS)}</node>\n"
                      for r in batch).encode("utf-8")
    for batch in _batched(citations):
        yield "".join(
            f"<edge source={quoteattr(r['citing_key'])} target={quoteattr(r['cited_key'])} "
            f"id={quoteattr(r['id'])}>\n{data('edge', r, EDGE_ATTRS)}</edge>\n"
            for r in batch if r["cited_key"] is not None).encode("utf-8")
    yield b"</graph></graphml>"

