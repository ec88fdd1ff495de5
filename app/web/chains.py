"""The chains: the home page (every organization), an organization's chain, and the anomalies."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, HTTPException, Query, Request
from markupsafe import Markup

from app.chains import anomalies as anomaly_rules
from app.chains import reads
from app.chains.timepoint import BadAsOf, parse_as_of
from app.db import EngineDep, SessionDep, run_page
from app.documents.queries import documents_by_ids
from app.i18n import request_lang
from app.web import chain_html
from app.web.errors import organization_or_404, page_or_404
from app.web.render import render

router = APIRouter(include_in_schema=False)


def as_of_or_400(value: str | None):
    """`?as_of=` as an `AsOf` (a date or a session), or a 400 saying what is expected."""
    try:
        return parse_as_of(value)
    except BadAsOf as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def as_of_context(session, org, links) -> dict:
    """The chain as it stood at a point in time (`links`), with each link's anomalies (the rules
    run again on the fewer links) and the previous link that has a text."""
    cited_ids = {c.cited_id for link in links for c in link.cites}
    found = anomaly_rules.chain_anomalies(links, org, documents_by_ids(session, cited_ids))
    return {"links": links, "chain_anomalies": anomaly_rules.by_document(found),
            "previous_text": chain_html.previous_texts(links)}


# Lists bounded whatever the record holds: the home page's organizations by the fifty, the
# anomalies by twenty organizations (a chain's anomalies are bounded by its length).
ORGS_PER_PAGE = 50
ANOMALY_ORGS_PER_PAGE = 20


@router.get("/")
def home(request: Request, session: SessionDep, page: int = Query(1, ge=1, le=100_000)):
    orgs = page_or_404(reads.organizations_page(session, page, ORGS_PER_PAGE), "organizations")
    return render(request, "index.html", {"orgs": orgs}, fragment="_organizations.html")


@router.get("/organizations/{acronym}")
async def organization(
    request: Request, engine: EngineDep, acronym: str, as_of: str | None = Query(None, max_length=40)
):
    # The chain as the writer rendered it is one row: on SQLite it is read on the event loop
    # (app.db.run_page); until `lineage migrate` renders it for a new version, its rows are,
    # bounded by its length. As of a day, the chain is read and its rules run again: in a thread.
    return await run_page(engine, _organization_page, request, acronym, as_of, small=as_of is None)


def _organization_page(conn, request: Request, acronym: str, as_of: str | None):
    lang = request_lang(request)
    # with the chain as the writer rendered it, unless the chain is asked for as of a day
    read = reads.organization if as_of else partial(chain_html.organization, lang=lang)
    org = organization_or_404(conn, acronym, read)
    point = as_of_or_400(as_of)  # a date (2015-01-01) or a session (69)
    if point is None:
        # The chain as it stands: as the writer rendered it, else from its stored rows (a
        # version of Lineage whose templates or catalogs differ from those that rendered it).
        if getattr(org, "chain_html", None) is not None:
            context = {"chain_html": Markup(org.chain_html)}
        else:
            context = chain_html.chain_context(conn, org.id)
    else:
        # As it stood then: fewer links can mean another cadence, so the rules run again.
        context = as_of_context(conn, org, reads.chain_as_of(conn, org.id, point.date))
    return render(
        request, "organization.html",
        {"org": org, "as_of": point, **chain_html.lang_context(lang), **context},
        fragment="_chain_list.html",
    )


@router.get("/anomalies")
def anomalies(request: Request, session: SessionDep, page: int = Query(1, ge=1, le=100_000)):
    per_org, total = reads.anomalies_page(session, page, ANOMALY_ORGS_PER_PAGE)
    page_or_404(per_org, "organizations")
    return render(request, "anomalies.html",
                  {"per_org": per_org, "anomalies_total": total, "rules": anomaly_rules.RULES},
                  fragment="_anomalies.html")
