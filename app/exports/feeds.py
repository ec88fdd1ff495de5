"""Atom feeds (RFC 4287), written with feedgen.

Two feeds: an organization's new documents (its chain, newest in Lineage first) and, for one
document, the documents that cite it. Ids are tag URIs (RFC 4151) built from what never
changes: the organization's acronym and the documents' keys, so a reader keeps its read marks
across databases and deployments. An entry for a document has the same id in every feed it
appears in (it is the same entry); `published` is when Lineage first stored it, `updated` when
it last changed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from feedgen.feed import FeedGenerator

TAG_AUTHORITY = "lineage"
TAG_DATE = "2025"
MAX_ENTRIES = 100


_MARKUP = re.compile(r"<sup>\s*([^<>]{1,8})\s*</sup>")


def plain(text: str) -> str:
    """A paragraph as feed text: footnote marks `<sup>3</sup>` become `[3]`."""
    return _MARKUP.sub(r"[\1]", text)


def tag(*parts: str) -> str:
    """`tag:lineage,2025:document/A/RES/59/48` — the specific part keeps `/()` and escapes the rest."""
    return f"tag:{TAG_AUTHORITY},{TAG_DATE}:" + "/".join(quote(p, safe="/()-._~") for p in parts)


def document_tag(key: str) -> str:
    return tag("document", key)


def _aware(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@dataclass
class Entry:
    id: str
    title: str
    url: str  # absolute
    published: dt.datetime
    updated: dt.datetime
    summary: str
    categories: list[str] = field(default_factory=list)


@dataclass
class Feed:
    id: str
    title: str
    subtitle: str
    self_url: str  # absolute
    alternate_url: str  # absolute: the HTML page the feed follows
    lang: str
    entries: list[Entry]


def document_entry(doc, *, title: str, url: str, summary: str, categories=()) -> Entry:
    return Entry(
        id=document_tag(doc.key), title=title, url=url, published=_aware(doc.created_at),
        updated=_aware(doc.updated_at or doc.created_at), summary=summary,
        categories=list(categories),
    )


def newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.published, e.updated, e.id), reverse=True)[:MAX_ENTRIES]


def to_atom(feed: Feed) -> bytes:
    """The feed as Atom XML. `updated` is the latest entry's (a fixed epoch when empty), so an
    unchanged database gives the same bytes."""
    fg = FeedGenerator()
    fg.id(feed.id)
    fg.title(feed.title)
    fg.subtitle(feed.subtitle)
    fg.author({"name": "Lineage"})
    fg.link(href=feed.self_url, rel="self", type="application/atom+xml")
    fg.link(href=feed.alternate_url, rel="alternate", type="text/html")
    fg.language(feed.lang)
    fg.generator("Lineage")
    fg.updated(max((e.updated for e in feed.entries), default=_aware(None)))
    # feedgen lists entries newest-added first unless told otherwise
    for e in feed.entries:
        fe = fg.add_entry(order="append")
        fe.id(e.id)
        fe.title(e.title)
        fe.link(href=e.url, rel="alternate", type="text/html")
        fe.published(e.published)
        fe.updated(e.updated)
        fe.summary(e.summary)
        for term in e.categories:
            fe.category(term=term)
    return fg.atom_str(pretty=True)
