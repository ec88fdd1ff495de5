"""Exports and feeds: CSV, JSON, JSON Lines and GraphML files of a scope, streamed, and the Atom feeds.

An export is written once per data version to a file and sent from it (app/exports/snapshots.py):
a client that stops reading holds no database connection and no read transaction.

This router is included before `app.web.documents`, whose `/documents/{ref:path}` would otherwise
swallow `/documents/{ref}/citing.atom`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import data_version
from app.chains.membership import chain_members, chain_members_with_text
from app.chains.reads import organization
from app.db import SessionDep
from app.documents import labels
from app.documents.queries import newest_citers
from app.exports import feeds, snapshots
from app.exports import formats as export
from app.i18n import request_lang, t
from app.web import urls
from app.web.errors import RETRY_AFTER, NotFound, document_or_404, organization_or_404

router = APIRouter(include_in_schema=False)

EXPORTS = {
    "documents.csv": "text/csv; charset=utf-8",
    "citations.csv": "text/csv; charset=utf-8",
    "lineage.json": "application/json",
    "lineage.jsonl": "application/jsonl; charset=utf-8",
    "lineage.graphml": "application/graphml+xml; charset=utf-8",
}
ATOM = "application/atom+xml; charset=utf-8"


# --- Atom feeds ------------------------------------------------------------------------------


def _entry(request: Request, doc, lang: str, summary: str):
    name = labels.document_label(doc, lang)
    title = labels.document_title(doc, lang)
    return feeds.document_entry(
        doc, title=f"{name} — {title}" if title and title != name else name,
        url=urls.public(urls.document(doc)), summary=summary, categories=[doc.kind],
    )


def _doc_summary(doc, lang: str, has_text: bool) -> str:
    parts = [labels.kind_label(doc.kind, lang)]
    if doc.session:
        parts.append(t("session", lang) + f" {doc.session}")
    if doc.date:
        parts.append(doc.date.isoformat())
    if not has_text:
        parts.append(t("no_text", lang))
    return " · ".join(parts)


@router.get("/organizations/{acronym}/feed.atom")
def organization_feed(request: Request, session: SessionDep, acronym: str):
    org = organization_or_404(session, acronym)
    lang = request_lang(request)
    members = chain_members_with_text(session, org)
    name = org.name_zh if lang == "zh" else org.name_en
    feed = feeds.Feed(
        id=feeds.tag("organization", org.acronym),
        title=f"Lineage · {org.acronym} · " + t("feed_org_title", lang),
        subtitle=name,
        self_url=urls.public(urls.organization_feed(org.acronym)),
        alternate_url=urls.public(urls.organization(org.acronym)),
        lang=lang,
        entries=feeds.newest_first([_entry(request, d, lang, _doc_summary(d, lang, has_text)) for d, has_text in members]),
    )
    return Response(feeds.to_atom(feed), media_type=ATOM)


@router.get("/documents/{ref:path}/citing.atom")
def citing_feed(request: Request, session: SessionDep, ref: str):
    doc = document_or_404(session, ref)
    lang = request_lang(request)
    entries = []
    # only the newest citers are read: the feed shows MAX_ENTRIES of a much-cited resolution's
    # thousands (13,051 for the most cited at scale 10 took half a second)
    for citing, cits in newest_citers(session, doc.id, feeds.MAX_ENTRIES):
        verbs = ", ".join(dict.fromkeys(c.verb or "—" for c in cits))
        summary = f"{_doc_summary(citing, lang, citing.has_text)} — {verbs}: {feeds.plain(cits[0].paragraph)}"
        entries.append(_entry(request, citing, lang, summary))
    name = labels.document_label(doc, lang)
    feed = feeds.Feed(
        id=feeds.tag("citing", doc.key),
        title="Lineage · " + t("feed_citing_title", lang) + f" {name}",
        subtitle=labels.document_title(doc, lang) or name,
        self_url=urls.public(urls.citing_feed(doc)),
        alternate_url=urls.public(urls.document(doc)),
        lang=lang,
        entries=feeds.newest_first(entries),
    )
    return Response(feeds.to_atom(feed), media_type=ATOM)


# --- exports ---------------------------------------------------------------------------------


class _FileResponse(StreamingResponse):
    """An export's file, sent as it is read (chunked: its length may not be known yet)."""

    async def stream_response(self, send) -> None:
        # the file is closed whether the body ends, fails or the client goes
        async with contextlib.aclosing(self.body_iterator):
            await super().stream_response(send)


def _chunks(engine, name: str, acronym: str | None, base: str) -> Iterator[bytes]:
    """Export `name` of `acronym`'s scope (all when None), read in one read transaction."""

    def url(doc):
        return base + urls.document(doc)

    def org_url(a):
        return base + urls.organization(a)

    with export.one_read(engine) as conn:
        member_ids = None
        if acronym is not None:
            with Session(bind=conn) as session:
                org = organization(session, acronym)
                member_ids = [d.id for d in chain_members(session, org)] if org is not None else []
        ids = export.scope_ids(conn, member_ids) if member_ids is not None else None
        documents = export.document_rows(conn, ids, url=url, undocs=urls.undocs)
        citations = export.citation_rows(conn, member_ids)
        if name == "documents.csv":
            yield from export.csv_chunks(documents, export.DOCUMENT_FIELDS)
        elif name == "citations.csv":
            yield from export.csv_chunks(citations, export.CITATION_FIELDS)
        elif name == "lineage.graphml":
            yield from export.graphml_chunks(acronym or "all", documents, citations)
        else:
            write = export.json_chunks if name == "lineage.json" else export.jsonl_chunks
            yield from write(acronym or "all", export.organization_rows(conn, acronym, url=org_url),
                             documents, citations, export.paragraph_rows(conn, member_ids))


def _export(request: Request, session: Session, org, name: str) -> Response:
    if name not in EXPORTS:
        raise NotFound(f"No export {name!r}: Lineage exports {', '.join(EXPORTS)}.")
    acronym = org.acronym if org is not None else None
    base = urls.public("")
    engine = session.get_bind()
    version = data_version.current(session)
    # The file goes at the client's pace, with no database connection held meanwhile: the
    # request's is handed back now (a dependency's exit comes after the response's last byte).
    session.close()
    try:
        snapshot, file = request.app.state.exports.open(
            (name, acronym, base), version, partial(_chunks, engine, name, acronym, base))
    except snapshots.ExportsBusy:
        raise StarletteHTTPException(503, t("err_exports_busy", request_lang(request)),
                                     headers={"Retry-After": str(RETRY_AFTER)}) from None
    filename = f"lineage-{acronym or 'all'}-{name}"
    return _FileResponse(snapshots.stream(snapshot, file), media_type=EXPORTS[name],
                         headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/export/{name}")
def export_all(request: Request, session: SessionDep, name: str):
    return _export(request, session, None, name)


@router.get("/organizations/{acronym}/export/{name}")
def export_organization(request: Request, session: SessionDep, acronym: str, name: str):
    return _export(request, session, organization_or_404(session, acronym), name)
