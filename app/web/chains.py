"""The chains: the home page (every organization), an organization's chain, and the anomalies."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request
from markupsafe import Markup

from app.chains import anomalies as anomaly_rules
from app.chains import reads
from app.chains.timepoint import BadAsOf, parse_as_of
from app.db import SessionDep
from app.documents import labels
from app.documents.queries import documents_by_ids
from app.i18n import request_lang
from app.web import urls
from app.web.errors import organization_or_404, page_or_404
from app.web.render import render

router = APIRouter(include_in_schema=False)


def as_of_or_400(value: str | None):
    """`?as_of=` as an `AsOf` (a date or a session), or a 400 saying what is expected."""
    try:
        return parse_as_of(value)
    except BadAsOf as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def chain_context(session, org, links) -> dict:
    """What the chain fragment shows beside each link: its anomalies, and the previous link that
    has a text (the "compare with previous" diff)."""
    cited_ids = {c.cited_id for link in links for c in link.cites}
    found = anomaly_rules.chain_anomalies(links, org, documents_by_ids(session, cited_ids))
    return {"chain_anomalies": anomaly_rules.by_document(found), "previous_text": previous_texts(links)}


def previous_texts(links) -> dict[int, object]:
    """For each link, the previous link that has a text (the "compare with previous" diff)."""
    previous: dict[int, object] = {}
    last_with_text = None
    for link in links:
        if last_with_text is not None:
            previous[link.document.id] = last_with_text
        if link.has_text:
            last_with_text = link.document
    return previous


def doc_links(lang: str):
    """`links(docs)`: the documents as the chain shows what a link recalls or leaves out, each a
    link to its page named by its short symbol (else its label), separated by commas.

    Every link lists the chain's earlier resolutions, so a chain of n links prints about n²/2 of
    them: each document's link is made once per page and then only joined."""
    made: dict[int, Markup] = {}

    def links(docs) -> Markup:
        out = []
        for d in docs:
            a = made.get(d.id)
            if a is None:
                name = labels.short_symbol(d.symbol) if d.symbol else labels.document_label(d, lang)
                a = made[d.id] = Markup('<a href="{}">{}</a>').format(urls.document(d), name)
            out.append(a)
        return Markup(", ".join(out))  # every item is already markup: joined as it is

    return links


# Lists bounded whatever the record holds: the home page's organizations by the fifty, the
# anomalies by twenty organizations (a chain's anomalies are bounded by its length).
ORGS_PER_PAGE = 50
ANOMALY_ORGS_PER_PAGE = 20


@router.get("/")
def home(request: Request, session: SessionDep, page: int = Query(1, ge=1, le=100_000)):
    orgs = page_or_404(reads.organizations_page(session, page, ORGS_PER_PAGE), "organizations")
    return render(request, "index.html", {"orgs": orgs}, fragment="_organizations.html")


@router.get("/organizations/{acronym}")
def organization(
    request: Request, session: SessionDep, acronym: str, as_of: str | None = Query(None, max_length=40)
):
    org = organization_or_404(session, acronym)
    point = as_of_or_400(as_of)  # a date (2015-01-01) or a session (69)
    if point is None:
        # The chain as it stands: stored rows, as the writer keeps them.
        links = reads.chain(session, org.id)
        flags: dict[int, list] = {}
        for a in reads.chain_anomalies(session, org.id):
            flags.setdefault(a.document.id, []).append(a)
        context = {"chain_anomalies": flags, "previous_text": previous_texts(links)}
    else:
        # As it stood then: fewer links can mean another cadence, so the rules run again.
        links = reads.chain_as_of(session, org.id, point.date)
        context = chain_context(session, org, links)
    return render(
        request, "organization.html",
        {"org": org, "links": links, "as_of": point, "doc_links": doc_links(request_lang(request)), **context},
        fragment="_chain.html",
    )


@router.get("/anomalies")
def anomalies(request: Request, session: SessionDep, page: int = Query(1, ge=1, le=100_000)):
    per_org, total = reads.anomalies_page(session, page, ANOMALY_ORGS_PER_PAGE)
    page_or_404(per_org, "organizations")
    return render(request, "anomalies.html",
                  {"per_org": per_org, "anomalies_total": total, "rules": anomaly_rules.RULES},
                  fragment="_anomalies.html")
