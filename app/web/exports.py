"""Exports and feeds: CSV, JSON and GraphML files of a scope, and the Atom feeds.

This router is included before `app.web.documents`, whose `/documents/{ref:path}` would otherwise
swallow `/documents/{ref}/citing.atom`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.chains.membership import chain_members_with_text
from app.chains.queries import scope as read_scope
from app.db import SessionDep
from app.documents import labels
from app.documents.queries import cited_by
from app.exports import feeds
from app.exports import formats as export
from app.i18n import request_lang, t
from app.web import urls
from app.web.errors import NotFound, document_or_404, organization_or_404

router = APIRouter(include_in_schema=False)

EXPORTS = {
    "documents.csv": "text/csv; charset=utf-8",
    "citations.csv": "text/csv; charset=utf-8",
    "lineage.json": "application/json",
    "lineage.graphml": "application/graphml+xml; charset=utf-8",
}
ATOM = "application/atom+xml; charset=utf-8"


def _absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


# --- Atom feeds ------------------------------------------------------------------------------


def _entry(request: Request, doc, lang: str, summary: str):
    name = labels.document_label(doc, lang)
    title = labels.document_title(doc, lang)
    return feeds.document_entry(
        doc, title=f"{name} — {title}" if title and title != name else name,
        url=_absolute(request, urls.document(doc)), summary=summary, categories=[doc.kind],
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
        self_url=_absolute(request, urls.organization_feed(org.acronym)),
        alternate_url=_absolute(request, urls.organization(org.acronym)),
        lang=lang,
        entries=feeds.newest_first([_entry(request, d, lang, _doc_summary(d, lang, has_text)) for d, has_text in members]),
    )
    return Response(feeds.to_atom(feed), media_type=ATOM)


@router.get("/documents/{ref:path}/citing.atom")
def citing_feed(request: Request, session: SessionDep, ref: str):
    doc = document_or_404(session, ref)
    lang = request_lang(request)
    grouped: dict[int, tuple[object, list]] = {}
    for c, citing in cited_by(session, doc):
        grouped.setdefault(citing.id, (citing, []))[1].append(c)
    entries = []
    for citing, cits in grouped.values():
        verbs = ", ".join(dict.fromkeys(c.verb or "—" for c in cits))
        summary = f"{_doc_summary(citing, lang, citing.has_text)} — {verbs}: {feeds.plain(cits[0].paragraph)}"
        entries.append(_entry(request, citing, lang, summary))
    name = labels.document_label(doc, lang)
    feed = feeds.Feed(
        id=feeds.tag("citing", doc.key),
        title="Lineage · " + t("feed_citing_title", lang) + f" {name}",
        subtitle=labels.document_title(doc, lang) or name,
        self_url=_absolute(request, urls.citing_feed(doc)),
        alternate_url=_absolute(request, urls.document(doc)),
        lang=lang,
        entries=feeds.newest_first(entries),
    )
    return Response(feeds.to_atom(feed), media_type=ATOM)


# --- exports ----------------------------------------------------------------------------------


def _export(request: Request, session, org, name: str) -> Response:
    if name not in EXPORTS:
        raise NotFound(f"No export {name!r}: Lineage exports {', '.join(EXPORTS)}.")
    scope = read_scope(session, org)

    def url(doc):
        return _absolute(request, urls.document(doc))

    if name == "documents.csv":
        body = export.to_csv(export.document_rows(scope, url=url, undocs=urls.undocs), export.DOCUMENT_FIELDS)
    elif name == "citations.csv":
        body = export.to_csv(export.citation_rows(scope), export.CITATION_FIELDS)
    elif name == "lineage.json":
        body = export.to_json(scope, url=url, undocs=urls.undocs,
                              org_url=lambda a: _absolute(request, urls.organization(a)))
    else:
        body = export.to_graphml(scope, url=url, undocs=urls.undocs)
    filename = f"lineage-{org.acronym if org else 'all'}-{name}"
    return Response(body, media_type=EXPORTS[name],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/export/{name}")
def export_all(request: Request, session: SessionDep, name: str):
    return _export(request, session, None, name)


@router.get("/organizations/{acronym}/export/{name}")
def export_organization(request: Request, session: SessionDep, acronym: str, name: str):
    return _export(request, session, organization_or_404(session, acronym), name)
