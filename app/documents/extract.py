"""Extraction with lookup: the citations of a pasted text, each marked found or unknown, a page
at a time.

Used by `POST /api/extract` and the `/extract` page. The extractor stays pure; which of the
symbols Lineage knows is read here, a few hundred symbols per statement. A megabyte of text may
list a hundred thousand citations (`Recalling resolutions 60/1, 61/2, …`): an answer holds one
page of them, the distinct unknown symbols up to `UNKNOWN_SHOWN`, and the totals of both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.budget import UNLIMITED, Deadline
from app.citations import Citation, detect_language, extract
from app.models import Document

__all__ = ["MAX_PER_PAGE", "PER_PAGE", "UNKNOWN_SHOWN", "ExtractPage", "Lookup", "Segment", "lookup"]

PER_PAGE = 500
MAX_PER_PAGE = 1000
# The distinct unknown symbols an answer lists (in text order); it says how many there are.
UNKNOWN_SHOWN = 500
# Symbols looked up per statement (well under SQLite's 32,766 parameters).
_LOOKUP_CHUNK = 500


@dataclass
class Segment:
    """A piece of the original text: plain, or one citation and whether Lineage knows its symbol."""

    text: str
    citation: Citation | None = None
    found: bool = False


@dataclass
class ExtractPage:
    """One page of a text's citations, each with whether Lineage has its document, and the
    counts of the whole text."""

    lang: str
    page: int
    per_page: int
    total: int  # citations in the whole text
    offset: int  # of the page's first citation among them
    rows: list[tuple[Citation, bool]]
    unknown: list[str]  # the first UNKNOWN_SHOWN distinct unknown symbols of the whole text
    unknown_total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The 1-based number of the page's first citation."""
        return self.offset + 1

    @property
    def last(self) -> int:
        return self.offset + len(self.rows)

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    def segments(self, text: str) -> list[Segment]:
        """`text` cut at the page's citations: at most two segments per citation of the page
        and one more, whatever the text holds besides."""
        out, pos = [], 0
        for cit, found in self.rows:
            if cit.start < pos or cit.end <= cit.start:
                continue  # a link-only citation has no span in the text
            out.append(Segment(text[pos:cit.start]))
            out.append(Segment(text[cit.start:cit.end], cit, found))
            pos = cit.end
        out.append(Segment(text[pos:]))
        return out


@dataclass
class Lookup:
    """Every citation of a text (the extractor's, in text order) and the symbols among theirs
    that Lineage has a document for."""

    lang: str
    citations: list[Citation]
    known: set[str]

    def unknown(self) -> list[str]:
        """The distinct symbols Lineage has no document for, in the order the text cites them."""
        known = self.known
        return list(dict.fromkeys(c.symbol for c in self.citations if c.symbol not in known))

    def page(self, page: int = 1, per_page: int = PER_PAGE) -> ExtractPage | None:
        """Page `page` (from 1) of `per_page` citations, or None past the last page (page 1 of a
        text without citations is empty)."""
        offset = (page - 1) * per_page
        if page < 1 or per_page < 1 or (page > 1 and offset >= len(self.citations)):
            return None
        unknown = self.unknown()
        known = self.known
        return ExtractPage(
            lang=self.lang, page=page, per_page=per_page, total=len(self.citations), offset=offset,
            rows=[(c, c.symbol in known) for c in self.citations[offset:offset + per_page]],
            unknown=unknown[:UNKNOWN_SHOWN], unknown_total=len(unknown),
        )


def known_symbols(session: Session, symbols: list[str], deadline: Deadline = UNLIMITED) -> set[str]:
    """Those of `symbols` that a document of Lineage has, a chunk of them per statement."""
    known: set[str] = set()
    for i in range(0, len(symbols), _LOOKUP_CHUNK):
        deadline.check()
        chunk = symbols[i:i + _LOOKUP_CHUNK]
        known.update(session.exec(select(Document.symbol).where(Document.symbol.in_(chunk))))
    return known


def lookup(session: Session, text: str, lang: str | None = None,
           deadline: Deadline = UNLIMITED) -> Lookup:
    """In: a text as pasted (its language detected when `lang` is None) and the deadline of the
    request. Out: its citations and which of their symbols Lineage knows. Raises `OverBudget`
    once the deadline has passed."""
    found = extract(text, lang=lang, deadline=deadline)
    symbols = list(dict.fromkeys(c.symbol for c in found))
    return Lookup(lang=lang or detect_language(text), citations=found,
                  known=known_symbols(session, symbols, deadline))
