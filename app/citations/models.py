"""The `Citation` record (docs/extraction.md, "The fields of a citation")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

__all__ = ["Citation", "LOCATIONS", "VERB_CLASSES"]

VERB_CLASSES = ("recall", "refer", "reaffirm", "note", "welcome", "bear_in_mind", "other")
LOCATIONS = ("preamble", "operative", "footnote", "body")


@dataclass(frozen=True, init=False)
class Citation:
    """One mention of a UN document by its symbol.

    `raw == text[start:end]` for the text given to `extract`; `paragraph` is the reassembled
    logical paragraph (for a footnote citation, the footnote's own text without its mark).
    """

    symbol: str
    raw: str
    start: int
    end: int
    verb: str | None
    verb_class: str
    date: datetime.date | None
    location: str
    paragraph: str
    paragraph_index: int | None
    footnote: str | None
    called_from: int | None
    link: str | None

    def __init__(
        self,
        symbol: str,
        raw: str,
        start: int,
        end: int,
        verb: str | None,
        verb_class: str,
        date: datetime.date | None,
        location: str,
        paragraph: str,
        paragraph_index: int | None,
        footnote: str | None,
        called_from: int | None,
        link: str | None,
    ):
        # The generated frozen __init__ sets each field with `object.__setattr__`; one dict
        # update does the same at a fraction of the cost (thousands of citations per MB).
        self.__dict__.update(
            symbol=symbol, raw=raw, start=start, end=end, verb=verb, verb_class=verb_class,
            date=date, location=location, paragraph=paragraph, paragraph_index=paragraph_index,
            footnote=footnote, called_from=called_from, link=link,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: `symbol, verb, date (ISO or None), paragraph, start, end` first,
        then `raw, verb_class, location, paragraph_index, footnote, called_from, link`."""
        return {
            "symbol": self.symbol,
            "verb": self.verb,
            "date": self.date.isoformat() if self.date is not None else None,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "raw": self.raw,
            "verb_class": self.verb_class,
            "location": self.location,
            "paragraph_index": self.paragraph_index,
            "footnote": self.footnote,
            "called_from": self.called_from,
            "link": self.link,
        }
