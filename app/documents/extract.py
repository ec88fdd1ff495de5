"""Extraction with lookup: the citations of a pasted text, each marked found or unknown.

Used by `POST /api/extract` and the `/extract` page. The extractor stays pure; the lookup into
the database is passed to `app.citations.resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.citations import Citation, detect_language, extract, resolve
from app.documents.queries import by_symbol
from app.models import Document


@dataclass
class Segment:
    """A piece of the original text: plain, or one citation with what it resolved to."""

    text: str
    citation: Citation | None = None
    document: Document | None = None


@dataclass
class Lookup:
    lang: str
    resolved: list[tuple[Citation, Document | None]]

    @property
    def unknown(self) -> list[str]:
        return list(dict.fromkeys(c.symbol for c, d in self.resolved if d is None))

    def segments(self, text: str) -> list[Segment]:
        out, pos = [], 0
        for cit, doc in self.resolved:
            if cit.start < pos or cit.end <= cit.start:
                continue  # a link-only citation has no span in the text
            out.append(Segment(text[pos:cit.start]))
            out.append(Segment(text[cit.start:cit.end], cit, doc))
            pos = cit.end
        out.append(Segment(text[pos:]))
        return out


def lookup(session: Session, text: str, lang: str | None = None) -> Lookup:
    found = extract(text, lang=lang)
    return Lookup(
        lang=lang or detect_language(text),
        resolved=resolve(found, lambda symbol: by_symbol(session, symbol)),
    )
