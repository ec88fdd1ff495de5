"""The JSON API: a contract other tools rely on. Extend, never rename."""

from fastapi import APIRouter, Path, Query, Response

from fastapi import HTTPException

from app.budget import Deadline
from app.chains import reads
from app.citations.excerpt import bounded_json, excerpt, excerpts
from app.config import get_settings
from app.db import SessionDep, statements_within
from app.documents import labels
from app.documents.extract import MAX_PER_PAGE, PER_PAGE, lookup
from app.documents.queries import by_symbol, cites, source_facts_of
from app.models import (
    ChainLinkPublic,
    ChainPublic,
    CitedByPublic,
    CitePublic,
    Document,
    DocumentPublic,
    ErrorPublic,
    ExtractedParagraphPublic,
    ExtractedPublic,
    ExtractIn,
    ExtractPublic,
    OrganizationPublic,
    OutcomePublic,
    ParagraphPublic,
    SearchHitPublic,
    SearchPublic,
    SourceFactPublic,
    SymbolLookup,
)
from app.search.queries import MARK_CLOSE, MARK_OPEN, full_text
from app.symbols import normalize
from app.web import urls
from app.web.errors import NotFound, citers_or_404, document_or_404, organization_or_404

router = APIRouter(prefix="/api", tags=["api"])
# NUL bytes are refused before routing (app/web/security.py); the schema says so.
NO_NUL = r"^[^\x00]*$"
NOT_FOUND = {404: {"model": ErrorPublic, "description": "Unknown organization or document"}}


def organization_public(row) -> OrganizationPublic:
    """An organization as the API shows it, from its row of `reads.organizations_page`."""
    return OrganizationPublic(
        acronym=row.acronym,
        name_zh=row.name_zh,
        name_en=row.name_en,
        observer_symbol=row.observer_symbol,
        url=urls.organization(row.acronym),
        chain_length=row.length,
        first=labels.document_label(row.first) if row.first else None,
        latest=labels.document_label(row.latest) if row.latest else None,
    )


def outcome_public(doc, became) -> OutcomePublic | None:
    """What became of a draft, as a public source states it; None where none does."""
    if doc.outcome is None:
        return None
    return OutcomePublic(
        adopted=doc.outcome == "adopted", date=doc.outcome_date, vote=doc.vote,
        yes=doc.votes_yes, no=doc.votes_no, abstain=doc.votes_abstain,
        resolution=became.symbol if became is not None else None,
    )


@router.get("/organizations", response_model=list[OrganizationPublic])
def list_organizations(
    session: SessionDep, response: Response,
    page: int = Query(1, ge=1, le=100_000), per_page: int = Query(100, ge=1, le=500),
):
    """Organizations by acronym, a page at a time. The body stays a list; the total is in
    `X-Total-Count` and the pages beside this one in `Link` (rel="prev"/"next")."""
    orgs = reads.organizations_page(session, page, per_page)
    response.headers["X-Total-Count"] = str(orgs.total)
    links = []
    if page > 1:
        links.append(f'<{urls.api_organizations(page - 1, per_page)}>; rel="prev"')
    if page < orgs.pages:
        links.append(f'<{urls.api_organizations(page + 1, per_page)}>; rel="next"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return [organization_public(row) for row in orgs.rows]


@router.get("/organizations/{acronym}/chain", response_model=ChainPublic, responses=NOT_FOUND)
def organization_chain(session: SessionDep, acronym: str = Path(..., max_length=100, pattern=NO_NUL)):
    org = organization_or_404(session, acronym)
    links = reads.chain(session, org.id)
    cites = reads.chain_cites(session, [link.document.id for link in links])
    return ChainPublic(
        organization=organization_public(reads.organization_summary(session, org.id)),
        chain=[
            ChainLinkPublic(
                symbol=link.document.symbol,
                label=labels.document_label(link.document),
                kind=link.document.kind,
                date=link.document.date,
                session=link.document.session,
                url=urls.document(link.document),
                has_text=link.has_text,
                became=link.became.symbol if link.became else None,
                cites=cites[link.document.id],
                recalls=[labels.document_label(d) for d in link.recalls],
                leaves_out=[labels.document_label(d) for d in link.leaves_out],
                from_source=link.from_source,
                outcome=outcome_public(link.document, link.became),
            )
            for link in links
        ],
    )


@router.get("/documents/{ref:path}", response_model=DocumentPublic, responses=NOT_FOUND)
def document(
    session: SessionDep, ref: str = Path(..., max_length=2000, pattern=NO_NUL),
    cited_by_page: int = Query(1, ge=1, le=100_000), cited_by_per_page: int = Query(100, ge=1, le=1000),
):
    """A document, what it cites, and a page of what cites it (a much-cited resolution has
    thousands of citers: `cited_by_total` says how many, the pages are asked for one by one)."""
    doc = document_or_404(session, ref)
    citers, total = citers_or_404(session.connection(), doc, cited_by_page, cited_by_per_page)
    quoted = cites(session, doc)
    paragraphs: dict[int, str] = {}
    by_paragraph: dict[int, list[int]] = {}
    for k, (c, _) in enumerate(quoted):
        paragraphs.setdefault(c.paragraph_index, c.paragraph)
        by_paragraph.setdefault(c.paragraph_index, []).append(k)
    around = [""] * len(quoted)
    for index, ks in by_paragraph.items():
        for k, text in zip(ks, excerpts(paragraphs[index], [quoted[k][0].raw for k in ks])):
            around[k] = text
    return DocumentPublic(
        symbol=doc.symbol,
        key=doc.key,
        label=labels.document_label(doc),
        kind=doc.kind,
        date=doc.date,
        session=doc.session,
        title=doc.title,
        has_text=doc.text is not None,
        url=urls.document(doc),
        undocs_url=urls.undocs(doc.symbol) if doc.symbol else None,
        cites=[
            CitePublic(
                symbol=c.cited_symbol,
                label=labels.document_label(d) if d else c.cited_symbol,
                url=urls.document(d) if d else urls.document_by_symbol(c.cited_symbol),
                verb=c.verb,
                verb_class=c.verb_class,
                date=c.cited_date,
                paragraph=around[k],
                location=c.location,
                found=d is not None and d.has_text,
                paragraph_index=c.paragraph_index,
            )
            for k, (c, d) in enumerate(quoted)
        ],
        cited_by=[
            CitedByPublic(
                symbol=c.symbol,
                label=labels.document_label(c),
                url=urls.document(c),
                verb=c.verb,
                verb_class=c.verb_class,
                paragraph=excerpt(c.paragraph, c.raw),
                paragraph_index=c.paragraph_index,
            )
            for c in citers
        ],
        cited_by_total=total,
        cited_by_page=cited_by_page,
        cited_by_per_page=cited_by_per_page,
        paragraphs=[ParagraphPublic(index=i, text=text) for i, text in sorted(paragraphs.items())],
        outcome=outcome_public(doc, session.get(Document, doc.became_id) if doc.became_id else None),
        source_facts=[
            SourceFactPublic(fact=f.fact, value=f.value, url=f.url, note=f.note)
            for f in (source_facts_of(session, [doc])[doc.id] if doc.public_facts else [])
        ],
    )


@router.get("/symbols", response_model=SymbolLookup)
def lookup_symbol(session: SessionDep, q: str = Query(..., max_length=500, pattern=NO_NUL)):
    norm = normalize(q)
    doc = by_symbol(session, norm.symbol) if norm.symbol else None
    return SymbolLookup(
        query=q,
        symbol=norm.symbol,
        found=doc is not None,
        url=urls.document(doc) if doc else None,
        error=norm.error,
    )


@router.get("/search", response_model=SearchPublic)
def search(
    session: SessionDep,
    q: str = Query(..., min_length=1, max_length=500, pattern=NO_NUL),
    page: int = Query(1, ge=1, le=10_000),
    per_page: int = Query(20, ge=1, le=100),
):
    """A symbol goes straight to its document (`document_url`); any other text is searched in
    the documents' texts and cited paragraphs. Snippets mark matches with [[ ]]."""
    norm = normalize(q)
    doc = by_symbol(session, norm.symbol) if norm.symbol else None
    hits, total = [], 0
    if doc is None:
        with statements_within(session, Deadline(get_settings().request_budget_seconds)):
            hits, total = full_text(session, q, page=page, per_page=per_page)
    return SearchPublic(
        query=q,
        symbol=norm.symbol,
        document_url=urls.document(doc) if doc else None,
        page=page,
        per_page=per_page,
        total=total,
        results=[
            SearchHitPublic(
                symbol=h.document.symbol,
                label=labels.document_label(h.document),
                url=urls.document(h.document),
                snippet=h.snippet.replace(MARK_OPEN, "[[").replace(MARK_CLOSE, "]]"),
                where=h.where,
            )
            for h in hits
        ],
    )


@router.post(
    "/extract",
    response_model=ExtractPublic,
    responses={
        404: {"model": ErrorPublic, "description": "A page past the last one"},
        413: {"model": ErrorPublic, "description": "Text over 1 MB"},
        503: {"model": ErrorPublic, "description": "Over the request's time; Retry-After says when to ask again"},
    },
)
def extract_citations(
    session: SessionDep,
    body: ExtractIn,
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(PER_PAGE, ge=1, le=MAX_PER_PAGE),
):
    """Text in (up to 1 MB); out, its citations with offsets into the text as sent, each marked
    found (a document Lineage knows, with its URL) or unknown. A page of them at a time
    (`?page=` from 1, `?per_page=` up to 1000, 500 by default): `citations_total` counts them
    all, and `next_page` is the page to ask for next with the same text."""
    limit = get_settings().max_text_bytes
    if len(body.text.encode("utf-8")) > limit:
        raise HTTPException(413, f"The text is over {limit // 1_000_000} MB; send a shorter text.")
    result = lookup(session, body.text, body.lang, Deadline(get_settings().request_budget_seconds))
    shown = result.page(page, per_page)
    if shown is None:
        total = len(result.citations)
        raise NotFound(f"The text has {total} citations: there is no page {page} of {per_page} of them.")
    items, paragraphs = bounded_json(result.citations, shown.offset, shown.offset + per_page)
    return ExtractPublic(
        lang=shown.lang,
        citations=[
            ExtractedPublic(
                **{k: v for k, v in item.items() if k != "date"},
                date=c.date,
                found=found,
                url=urls.document_by_symbol(c.symbol) if found else None,
                label=c.symbol if found else None,
            )
            for item, (c, found) in zip(items, shown.rows)
        ],
        unknown=shown.unknown,
        paragraphs=[ExtractedParagraphPublic(**p) for p in paragraphs],
        citations_total=shown.total,
        unknown_total=shown.unknown_total,
        page=shown.page,
        per_page=shown.per_page,
        pages=shown.pages,
        next_page=shown.next_page,
    )
