"""The `Citation` record (docs/extraction.md, "The fields of a citation")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

__all__ = ["Citation", "FIELDS", "LOCATIONS", "VERB_CLASSES"]

VERB_CLASSES = ("recall", "refer", "reaffirm", "note", "welcome", "bear_in_mind", "other")
LOCATIONS = ("preamble", "operative", "footnote", "body")
# The one field list of a citation: the extractor, the store, the audit snapshots, the JSON Lines
# import and export all read and write these names.
FIELDS = ("symbol", "raw", "start", "end", "verb", "verb_class", "date", "location", "paragraph",
          "paragraph_index", "footnote", "called_from", "link")


@dataclass(frozen=True, slots=True, init=False)
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
        # A megabyte of text may hold a hundred thousand citations: slots keep each one at a third
        # of the memory an instance dict takes, and their descriptors set a field at about the
        # cost of a dict item (the generated frozen __init__ goes through `object.__setattr__`).
        _symbol(self, symbol)
        _raw(self, raw)
        _start(self, start)
        _end(self, end)
        _verb(self, verb)
        _verb_class(self, verb_class)
        _date(self, date)
        _location(self, location)
        _paragraph(self, paragraph)
        _paragraph_index(self, paragraph_index)
        _footnote(self, footnote)
        _called_from(self, called_from)
        _link(self, link)

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

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Citation:
        """The inverse of `to_json`, lenient as an import line needs: only `symbol` is required
        (taken as given, the caller normalizes it); `raw` defaults to the symbol, `verb_class` to
        `other`, `location` to `body`, offsets and the paragraph index to 0; `date` is an ISO
        string or a date. Raises ValueError for a date that is neither."""
        date = obj.get("date")
        if isinstance(date, str):
            date = datetime.date.fromisoformat(date) if date else None
        elif date is not None and not isinstance(date, datetime.date):
            raise ValueError(f"{date!r} is not an ISO date")
        symbol = str(obj["symbol"])
        return cls(
            symbol=symbol,
            raw=str(obj.get("raw") or symbol),
            start=int(obj.get("start") or 0),
            end=int(obj.get("end") or 0),
            verb=obj.get("verb"),
            verb_class=obj.get("verb_class") or "other",
            date=date,
            location=obj.get("location") or "body",
            paragraph=obj.get("paragraph") or "",
            paragraph_index=int(obj.get("paragraph_index") or 0),
            footnote=obj.get("footnote"),
            called_from=obj.get("called_from"),
            link=obj.get("link"),
        )


(_symbol, _raw, _start, _end, _verb, _verb_class, _date, _location, _paragraph, _paragraph_index,
 _footnote, _called_from, _link) = (Citation.__dict__[name].__set__ for name in FIELDS)
