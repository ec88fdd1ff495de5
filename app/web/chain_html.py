"""The chain as its page shows it, rendered by the writer: `templates/_chain.html` once per
language, stored in `chain_html` beside the rows it was rendered from.

The writer (app/chains/readmodel.py) calls `write` (registered below: the app and the `lineage`
command import this module) for the chains it has just rewritten, in the same transaction. It
renders them from the rows the page would read (`reads.chain`, `reads.chain_anomalies`), with
the same context builder the page uses when it renders a chain itself (`chain_context`,
`lang_context`): so a stored chain is what a live render of the same rows gives, and
tests/test_chains_readmodel.py checks it after random histories. The page then reads one row.

A stored chain names the version of what rendered it (`render_version`: the templates, the
catalogs and the modules its output depends on). After an upgrade that changes any of them the
stored chains are stale: the page renders from rows (right, only slower) until `lineage
migrate` or `lineage rebuild` renders them again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from typing import Any

from markupsafe import Markup
from sqlalchemy import and_, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from app.chains import readmodel, reads
from app.config import PROJECT_ROOT
from app.documents import labels
from app.i18n import LANGS, t
from app.models import ChainHtml, Organization
from app.web import urls
from app.web.render import render_fragment

FRAGMENT = "_chain.html"

#: A link names at most this many of the earlier resolutions it recalls, and as many of those it
#: leaves out: the latest ones, nearest to it, in chain order (a text that leaves out its
#: immediate predecessors is the telling case). The rest are counted, linking to the link's
#: document page, which lists everything it cites. Without a bound a chain of n links named
#: about n²/2 documents.
LIST_BOUND = 12

# What a stored chain's markup depends on besides its rows: a change to any of them makes the
# stored chains stale.
_SOURCES = (
    "templates/_chain.html", "templates/_anomaly.html", "templates/_outcome.html",
    *(f"locales/{lang}/LC_MESSAGES/messages.po" for lang in LANGS),
    "app/web/chain_html.py", "app/chains/reads.py", "app/chains/queries.py", "app/chains/membership.py",
    "app/documents/labels.py", "app/documents/queries.py", "app/web/urls.py", "app/web/render.py", "app/i18n.py",
)


@cache
def render_version() -> str:
    """A digest of what renders a chain (computed once per process)."""
    libraries = " ".join(f"{name} {metadata.version(name)}" for name in ("jinja2", "markupsafe"))
    digest = hashlib.sha256(libraries.encode() + b"\n")
    for name in _SOURCES:
        digest.update(name.encode() + b"\0")
        digest.update((PROJECT_ROOT / name).read_bytes())
    return digest.hexdigest()


# --- what the fragment reads ----------------------------------------------------------------


def previous_texts(links) -> dict[int, Any]:
    """For each link, the previous link that has a text (the "compare with previous" diff)."""
    previous: dict[int, Any] = {}
    last_with_text = None
    for link in links:
        if last_with_text is not None:
            previous[link.document.id] = last_with_text
        if link.has_text:
            last_with_text = link.document
    return previous


def chain_context(session: Session, org_id: int) -> dict[str, Any]:
    """The chain as it stands, from the stored rows: its links, each link's anomalies, and the
    previous link with a text. Three statements, whatever the chain's length."""
    links = reads.chain(session, org_id)
    flags: dict[int, list] = {}
    for a in reads.chain_anomalies(session, org_id):
        flags.setdefault(a.document.id, []).append(a)
    return {"links": links, "chain_anomalies": flags, "previous_text": previous_texts(links)}


def lang_context(lang: str) -> dict[str, Any]:
    """`doc_list(docs, doc)`: what a link recalls or leaves out, as links named by short symbol
    (else label), at most LIST_BOUND of them (the latest), then how many earlier ones there are,
    linking to `doc`'s page.

    A document's link is made once per render and then only joined: the same earlier resolutions
    appear beside many links."""
    made: dict[int, Markup] = {}
    more = t("list_more_earlier", lang)

    def doc_list(docs, doc) -> Markup:
        out = []
        for d in docs[-LIST_BOUND:]:
            a = made.get(d.id)
            if a is None:
                name = labels.short_symbol(d.symbol) if d.symbol else labels.document_label(d, lang)
                a = made[d.id] = Markup('<a href="{}">{}</a>').format(urls.document(d), name)
            out.append(a)
        joined = Markup(", ".join(out))  # every item is already markup: joined as it is
        hidden = len(docs) - LIST_BOUND
        if hidden > 0:
            joined += Markup(' <a class="more" href="{}">{}</a>').format(urls.document(doc), more.format(n=hidden))
        return joined

    return {"doc_list": doc_list}


_ROWS_PER_INSERT = 200

# --- stored -----------------------------------------------------------------------------------


def render(session: Session, org_id: int) -> dict[str, str]:
    """The chain of `org_id` as the page shows it, by language, from the stored rows."""
    context = chain_context(session, org_id)
    return {lang: render_fragment(FRAGMENT, lang, {**context, **lang_context(lang)}) for lang in LANGS}


def write(session: Session, org_ids: Iterable[int] | None) -> None:
    """Render and store the chains of `org_ids` (None: every organization) from their rows,
    which the writer has just rewritten."""
    table, o = ChainHtml.__table__, Organization.__table__
    if org_ids is None:
        session.execute(delete(table))
        existing = session.execute(select(o.c.id).order_by(o.c.id)).scalars().all()
    else:
        existing, ids = [], sorted(set(org_ids))
        for chunk in (ids[i:i + readmodel.CHUNK] for i in range(0, len(ids), readmodel.CHUNK)):
            session.execute(delete(table).where(table.c.organization_id.in_(chunk)))
            existing += session.execute(select(o.c.id).where(o.c.id.in_(chunk)).order_by(o.c.id)).scalars()
    version = render_version()
    rows: list[dict[str, Any]] = []
    for org_id in existing:
        rows += [dict(organization_id=org_id, lang=lang, version=version, html=html)
                 for lang, html in render(session, org_id).items()]
        if len(rows) >= _ROWS_PER_INSERT:  # a rebuild holds a few chains' markup at a time, not all
            session.execute(insert(table), rows)
            rows = []
    if rows:
        session.execute(insert(table), rows)


def refresh(session: Session) -> int:
    """Render again every chain whose stored markup is missing or of another version (after an
    upgrade); returns how many chains were rendered. Does not commit."""
    h = ChainHtml.__table__
    current = (select(h.c.organization_id).where(h.c.version == render_version())
               .group_by(h.c.organization_id).having(func.count() == len(LANGS)))
    stale = session.execute(select(Organization.id).where(Organization.id.not_in(current))).scalars().all()
    if stale:
        write(session, stale)
    return len(stale)


@cache
def _organization_stmt():
    o, h = Organization.__table__, ChainHtml.__table__
    stored_chain = and_(h.c.organization_id == o.c.id, h.c.lang == bindparam("lang"),
                        h.c.version == bindparam("version"))
    return (select(o, h.c.html.label("chain_html")).select_from(o).join(h, stored_chain, isouter=True)
            .where(func.upper(o.c.acronym) == bindparam("acronym")))


def organization(session: Session, acronym: str, lang: str):
    """An organization by its acronym, whatever its case (the columns of `reads.organization`),
    with `chain_html`: its chain in `lang` as the writer rendered it, or None when it is missing
    or was rendered by another version of Lineage. One statement."""
    return session.execute(_organization_stmt(), {"acronym": acronym.upper(), "lang": lang,
                                                  "version": render_version()}).first()


readmodel.render_chain_pages_with(write)
