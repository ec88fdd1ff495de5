"""Serve Lineage with proposed fixes applied by monkeypatching, to measure them without editing app/.

    .venv/bin/python bench/experiment.py --port 18101 --fixes jinja,light,fulltext,cache
    .venv/bin/python bench/load.py --scale 1 --lineage-cmd \
        '.venv/bin/python bench/experiment.py --port $PORT --fixes jinja,light,fulltext,cache'

Fixes (each is a proposal for app/, described in bench/README.md):
  jinja     templates.env.auto_reload = False: no stat() of every template file on every render
  light     the chain and document pages stop loading the `text` of documents they only link to
            (chain members, cited documents, citers): defer(Document.text), has_text from
            `text IS NOT NULL` in SQL; module-level aliases in cites()/cited_by()
  fulltext  full_text on SQLite: the matches as one UNION of rowids (count and page), the page of
            ids ordered through an index on (date DESC, session DESC, key) (needs
            ix_document_recent; `--fixes` adds it to a COPY only when asked: see --add-index),
            then the 20 documents by id; symbol_matches skipped for text with no ASCII letter
            or digit (no symbol can contain it)
  lean      (with light) the chain's citations and cited documents as column rows, not ORM objects
  onefts    (with fulltext) one MATCH on document_fts, emulating paragraphs indexed with the text
  gc        gc.freeze() after start-up and a higher gen-0 threshold
  cache     a rendered-page cache in front of the app for anonymous GETs of HTML pages, keyed by
            path, query, lang cookie and HX-Request, dropped whenever PRAGMA data_version says
            another connection committed; bounded in bytes (LINEAGE_PAGE_CACHE_MB, default 32)
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import threading
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fix_jinja() -> None:
    from app.web import render

    render.templates.env.auto_reload = False


def fix_light() -> None:
    from sqlalchemy.orm import aliased, defer
    from sqlmodel import select

    from app import queries
    from app.models import Citation, Document, DocumentKind

    def has_text_ids(session, ids) -> set[int]:
        ids = [i for i in ids if i is not None]
        if not ids:
            return set()
        return set(session.exec(select(Document.id).where(Document.id.in_(ids), Document.text.is_not(None))).all())

    orig_members = queries.chain_members

    def chain_members(session, org):
        from sqlalchemy import or_

        own = select(Document.id).where(Document.organization_id == org.id)
        series = select(Citation.cited_id).where(
            Citation.citing_id.in_(own), Citation.in_series, Citation.cited_id.is_not(None))
        rows = session.exec(
            select(Document, Document.text.is_not(None)).options(defer(Document.text)).where(
                or_(Document.organization_id == org.id, Document.symbol == org.observer_symbol,
                    Document.id.in_(series)))
        ).all()
        docs = []
        for d, ht in rows:
            d.__dict__["_has_text"] = bool(ht)
            docs.append(d)
        kind_order = {DocumentKind.letter: 0, DocumentKind.draft_resolution: 1}
        return sorted(docs, key=lambda d: (queries.sort_date(d), kind_order.get(d.kind, 2), d.key))

    chain_members.orig = orig_members

    def doc_has_text(d) -> bool:
        v = d.__dict__.get("_has_text")
        return v if v is not None else d.text is not None

    queries.ChainLink.has_text = property(lambda self: doc_has_text(self.document))

    def chain(session, org, as_of=None):
        members = chain_members(session, org)
        if as_of is not None:
            members = [d for d in members if queries.sort_date(d) <= as_of]
        ids = [d.id for d in members]
        cites = {i: [] for i in ids}
        for c in session.exec(
            select(Citation).where(Citation.citing_id.in_(ids)).order_by(Citation.citing_id, Citation.position)
        ).all():
            cites[c.citing_id].append(c)
        became_ids = {d.became_id for d in members if d.became_id}
        became = {d.id: d for d in session.exec(
            select(Document).options(defer(Document.text)).where(Document.id.in_(became_ids))).all()}
        links = []
        for i, doc in enumerate(members):
            link = queries.ChainLink(document=doc, became=became.get(doc.became_id), cites=cites[doc.id])
            if doc_has_text(doc):
                cited_ids = {c.cited_id for c in link.cites}
                earlier = [d for d in members[:i] if d.kind == DocumentKind.ga_resolution]
                link.recalls = [d for d in earlier if d.id in cited_ids]
                link.leaves_out = [d for d in earlier if d.id not in cited_ids]
            links.append(link)
        return links

    def documents_by_ids(session, ids):
        ids = {i for i in ids if i is not None}
        if not ids:
            return {}
        return {d.id: d for d in session.exec(
            select(Document).options(defer(Document.text)).where(Document.id.in_(ids))).all()}

    cited_alias = aliased(Document, name="cited")
    citing_alias = aliased(Document, name="citing")

    def cites(session, doc):
        rows = session.exec(
            select(Citation, cited_alias, cited_alias.text.is_not(None))
            .options(defer(cited_alias.text))
            .join(cited_alias, Citation.cited_id == cited_alias.id, isouter=True)
            .where(Citation.citing_id == doc.id)
            .order_by(Citation.position)
        ).all()
        out = []
        for c, d, ht in rows:
            if d is not None:
                d.__dict__["_has_text"] = bool(ht)
            out.append((c, d))
        return out

    def cited_by(session, doc):
        rows = session.exec(
            select(Citation, citing_alias)
            .options(defer(citing_alias.text))
            .join(citing_alias, Citation.citing_id == citing_alias.id)
            .where(Citation.cited_id == doc.id)
            .order_by(citing_alias.date, citing_alias.key, Citation.position)
        ).all()
        return sorted(rows, key=lambda r: (queries.sort_date(r[1]), r[1].key, r[0].position))

    queries.chain_members, queries.chain = chain_members, chain
    queries.documents_by_ids, queries.cites, queries.cited_by = documents_by_ids, cites, cited_by


def fix_lean() -> None:
    """After `light`: the chain's citations and the documents they cite as plain rows (the columns
    the chain page, its anomalies and the API read), not ORM objects with paragraphs and texts."""
    from sqlmodel import select

    from app import queries
    from app.models import Citation, Document, DocumentKind

    light_chain_members = queries.chain_members
    doc_has_text = queries.ChainLink.has_text.fget

    def chain(session, org, as_of=None):
        members = light_chain_members(session, org)
        if as_of is not None:
            members = [d for d in members if queries.sort_date(d) <= as_of]
        ids = [d.id for d in members]
        cites = {i: [] for i in ids}
        for c in session.exec(
            select(Citation.id, Citation.citing_id, Citation.position, Citation.cited_id, Citation.cited_symbol,
                   Citation.cited_date, Citation.verb, Citation.verb_class, Citation.location, Citation.in_series)
            .where(Citation.citing_id.in_(ids)).order_by(Citation.citing_id, Citation.position)
        ).all():
            cites[c.citing_id].append(c)
        became_ids = [d.became_id for d in members if d.became_id]
        became = queries.documents_by_ids(session, became_ids)
        links = []
        for i, doc in enumerate(members):
            link = queries.ChainLink(document=doc, became=became.get(doc.became_id), cites=cites[doc.id])
            if doc_has_text(link):
                cited_ids = {c.cited_id for c in link.cites}
                earlier = [d for d in members[:i] if d.kind == DocumentKind.ga_resolution]
                link.recalls = [d for d in earlier if d.id in cited_ids]
                link.leaves_out = [d for d in earlier if d.id not in cited_ids]
            links.append(link)
        return links

    def documents_by_ids(session, ids):
        ids = {i for i in ids if i is not None}
        if not ids:
            return {}
        return {d.id: d for d in session.exec(
            select(Document.id, Document.key, Document.symbol, Document.kind, Document.session, Document.date,
                   Document.date_source, Document.became_id, Document.organization_id, Document.provenance,
                   Document.text.is_not(None).label("has_text"))
            .where(Document.id.in_(ids))).all()}

    queries.chain, queries.documents_by_ids = chain, documents_by_ids


def fix_onefts() -> None:
    """After `fulltext`: emulates the proposed index of each document's reassembled paragraphs in
    document_fts itself (a second column), so one MATCH answers text and paragraphs. Only valid
    on the bench corpus, where every paragraph is a slice of its document's text (the same
    answers: bench/load.py checks them against Datasette)."""
    from sqlalchemy import func, literal_column
    from sqlalchemy import column as text_column
    from sqlalchemy import table as table_fts
    from sqlmodel import select

    from app import queries
    from app.models import Document

    fulltext = queries.full_text

    def full_text(session, q, page=1, per_page=20):
        q = q.strip()
        if not q or session.get_bind().dialect.name != "sqlite" or len(q) < 3:
            return fulltext(session, q, page=page, per_page=per_page)
        phrase = '"' + q.replace('"', '""') + '"'
        matched = select(literal_column("rowid").label("id")).select_from(table_fts("document_fts")).where(
            text_column("document_fts").op("MATCH")(phrase)).subquery()
        total = session.exec(select(func.count()).select_from(matched)).one()
        ids = session.exec(
            select(Document.id).where((Document.id + 0).in_(select(matched.c.id)))
            .order_by(Document.date.desc().nulls_last(), Document.session.desc().nulls_last(), Document.key)
            .offset((page - 1) * per_page).limit(per_page)
        ).all()
        docs = {d.id: d for d in session.exec(select(Document).where(Document.id.in_(ids))).all()}
        return [queries.TextHit(docs[i], queries._snippet(docs[i].text, q), "text") for i in ids], total

    queries.full_text = full_text


def fix_fulltext() -> None:
    from sqlalchemy import column as text_column
    from sqlalchemy import func, literal_column, union
    from sqlalchemy import table as table_fts
    from sqlmodel import select

    from app import queries
    from app.models import Citation, Document

    orig_full_text, orig_matches = queries.full_text, queries.symbol_matches

    def full_text(session, q, page=1, per_page=20):
        q = q.strip()
        if not q or session.get_bind().dialect.name != "sqlite" or len(q) < 3:
            return orig_full_text(session, q, page=page, per_page=per_page)
        phrase = '"' + q.replace('"', '""') + '"'
        doc_ids = select(literal_column("rowid").label("id")).select_from(table_fts("document_fts")).where(
            text_column("document_fts").op("MATCH")(phrase))
        cit_ids = select(literal_column("rowid")).select_from(table_fts("citation_fts")).where(
            text_column("citation_fts").op("MATCH")(phrase))
        matched = union(doc_ids, select(Citation.citing_id).where(Citation.id.in_(cit_ids))).subquery()
        total = session.exec(select(func.count()).select_from(matched)).one()
        # `id + 0`: not the rowid lookup, so SQLite walks ix_document_recent in page order and
        # stops after the page instead of sorting every match.
        ids = session.exec(
            select(Document.id).where((Document.id + 0).in_(select(matched.c.id)))
            .order_by(Document.date.desc().nulls_last(), Document.session.desc().nulls_last(), Document.key)
            .offset((page - 1) * per_page).limit(per_page)
        ).all()
        docs = {d.id: d for d in session.exec(select(Document).where(Document.id.in_(ids))).all()}
        hits = []
        for i in ids:
            doc = docs[i]
            if doc.text and q.lower() in doc.text.lower():
                hits.append(queries.TextHit(doc, queries._snippet(doc.text, q), "text"))
                continue
            para = session.exec(
                select(Citation.paragraph).where(
                    Citation.citing_id == doc.id, Citation.paragraph.ilike(queries._like(q), escape="\\"))
            ).first()
            hits.append(queries.TextHit(doc, queries._snippet(para or "", q), "paragraph"))
        return hits, total

    def symbol_matches(session, fragment, limit=20):
        if not any(ch.isascii() and ch.isalnum() for ch in fragment):
            return []  # every symbol is ASCII: a fragment without a letter or digit is in none
        return orig_matches(session, fragment, limit)

    queries.full_text, queries.symbol_matches = full_text, symbol_matches


def fix_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


class PageCache:
    """Rendered pages for anonymous GETs, dropped when the database changes (PRAGMA data_version
    of a connection of its own changes whenever any other connection commits)."""

    PREFIXES = ("/organizations/", "/documents/", "/search")

    def __init__(self, app, db_path: str, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes
        self.con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self.lock = threading.Lock()
        self.version = self._data_version()
        self.entries: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.size = 0
        self.hits = self.misses = 0

    def _data_version(self) -> int:
        with self.lock:
            return self.con.execute("PRAGMA data_version").fetchone()[0]

    def _key(self, scope) -> tuple | None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(self.PREFIXES) \
                and scope["path"] != "/":
            return None
        lang = hx = b""
        for name, value in scope["headers"]:
            if name == b"cookie":
                if b"lineage_session=" in value:
                    return None  # a signed-in admin sees links others do not
                for part in value.split(b";"):
                    k, _, v = part.strip().partition(b"=")
                    if k == b"lang":
                        lang = v
            elif name == b"hx-request":
                hx = value
        return scope["path"], scope["query_string"], lang, hx, scope.get("scheme")

    async def __call__(self, scope, receive, send):
        key = self._key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        version = self._data_version()
        if version != self.version:
            self.entries.clear()
            self.size, self.version = 0, version
        hit = self.entries.get(key)
        if hit is not None:
            self.entries.move_to_end(key)
            self.hits += 1
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        headers = start.get("headers", [])
        if start.get("status") not in (200, 301, 303) or any(k.lower() == b"set-cookie" for k, _ in headers):
            return
        body = b"".join(chunks)
        if len(body) > self.max_bytes // 8:
            return
        self.entries[key] = (start["status"], list(headers), body)
        self.size += len(body)
        while self.size > self.max_bytes and self.entries:
            _, (_, _, old) = self.entries.popitem(last=False)
            self.size -= len(old)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fixes", default="", help="comma-separated: jinja,light,fulltext,gc,cache")
    args = ap.parse_args(argv)
    fixes = [f for f in args.fixes.split(",") if f]
    for f in fixes:
        if f not in ("cache", "gc"):
            if f in ("lean", "onefts") and {"lean": "light", "onefts": "fulltext"}[f] not in fixes:
                raise SystemExit(f"{f} goes with {'light' if f == 'lean' else 'fulltext'}")
            globals()[f"fix_{f}"]()
    import uvicorn

    from app.main import app

    if "gc" in fixes:
        fix_gc()

    if "cache" in fixes:
        url = os.environ["LINEAGE_DATABASE_URL"]
        app = PageCache(app, url.removeprefix("sqlite:///"), int(os.environ.get("LINEAGE_PAGE_CACHE_MB", "32")) << 20)
    print(f"experiment: fixes {fixes}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, proxy_headers=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
