"""Bulk import and export in JSON Lines: one document (or organization) per line.

A document line:
    {"symbol": "A/RES/64/183", "kind": "ga_resolution", "organization": "SCO", "session": 64,
     "date": "2009-12-18", "title": "…", "language": "zh", "source": "…", "became": null,
     "text": "…", "citations": [{"symbol": "A/RES/59/48", "verb": "回顾", "date": "2004-12-02", …}]}
`symbol` or `key` is required. With `citations`, they are stored as given; without, they are
extracted from `text`. An organization line has "type": "organization".

Import goes through `app.documents.store.ingest_document`, a savepoint per line and a transaction per batch:
a bad line is reported with its number and reason, and the good lines still go in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlmodel import Session, select

from app.citations import Citation as Found
from app.documents.store import DocumentIn, ingest_document, upsert_organization
from app.documents.queries import quoted
from app.models import Citation, Document, Organization, citation_record_of
from app.symbols import normalize

DOCUMENT_FIELDS = ("key", "symbol", "kind", "organization", "session", "date", "title", "title_en",
                   "language", "source", "became", "text", "provenance")


@dataclass
class ImportReport:
    imported: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class LineError(ValueError):
    pass


def _date(value: Any, what: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise LineError(f"{what}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _citation(item: Any, n: int, paragraphs: dict[int, str]) -> Found:
    if not isinstance(item, dict) or not item.get("symbol"):
        raise LineError(f"citation {n}: needs at least a symbol")
    norm = normalize(str(item["symbol"]))
    if not norm.symbol:
        raise LineError(f"citation {n}: {item['symbol']!r} is not a symbol ({norm.error})")
    date = _date(item.get("date"), f"citation {n} date")
    # `raw` is what the line wrote, the symbol as given when it says nothing else
    # Files written before paragraphs were kept once carry each citation's paragraph with it.
    paragraph = item.get("paragraph") or paragraphs.get(item.get("paragraph_index") or 0, "")
    return Found.from_json({**item, "symbol": norm.symbol, "raw": item.get("raw") or item["symbol"], "date": date,
                            "paragraph": paragraph})



def parse_line(obj: Any) -> tuple[DocumentIn, list[Found] | None]:
    if not isinstance(obj, dict):
        raise LineError("a line must be a JSON object")
    unknown = set(obj) - set(DOCUMENT_FIELDS) - {"citations", "paragraphs", "type", "has_text"}
    if unknown:
        raise LineError(f"unknown field(s): {', '.join(sorted(unknown))}")
    if not obj.get("symbol") and not obj.get("key"):
        raise LineError("a document needs a symbol or a key")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise LineError("text must be a string")
    session_no = obj.get("session")
    if session_no is not None and not isinstance(session_no, int):
        raise LineError("session must be a whole number")
    citations = obj.get("citations")
    if citations is not None:
        if not isinstance(citations, list):
            raise LineError("citations must be a list")
        paragraphs = {}
        for p in obj.get("paragraphs") or []:
            if not isinstance(p, dict) or not isinstance(p.get("index"), int) or not isinstance(p.get("text"), str):
                raise LineError('paragraphs must be a list of {"index": number, "text": string}')
            paragraphs[p["index"]] = p["text"]
        citations = [_citation(c, i + 1, paragraphs) for i, c in enumerate(citations)]
    data = DocumentIn(
        key=obj.get("key"),
        symbol=obj.get("symbol"),
        kind=obj.get("kind") or "other",
        text=text,
        organization=obj.get("organization"),
        session=session_no,
        date=_date(obj.get("date"), "date"),
        title=obj.get("title"),
        title_en=obj.get("title_en"),
        language=obj.get("language"),
        source=obj.get("source"),
        became=obj.get("became"),
        provenance=obj.get("provenance") or {},
    )
    return data, citations


def import_jsonl(
    session: Session, lines: IO[str], batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a JSON Lines stream. Idempotent: importing the same file twice changes nothing."""
    report = ImportReport()
    pending = 0
    for number, line in enumerate(lines, start=1):
        if progress:
            progress(len(line.encode("utf-8")))
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            report.errors.append((number, f"not valid JSON: {exc.msg} at column {exc.colno}"))
            continue
        try:
            with session.begin_nested():
                if isinstance(obj, dict) and obj.get("type") == "organization":
                    fields = {k: v for k, v in obj.items() if k != "type"}
                    changed = upsert_organization(session, **fields)
                else:
                    data, citations = parse_line(obj)
                    changed = ingest_document(session, data, citations=citations, commit=False).changed
        except (LineError, ValueError, KeyError, TypeError) as exc:
            report.errors.append((number, str(exc)))
            continue
        if changed:
            report.imported += 1
        else:
            report.unchanged += 1
        pending += 1
        if pending >= batch_size:
            session.commit()
            pending = 0
    session.commit()
    return report


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def export_lines(session: Session) -> Iterator[str]:
    """Every organization, then every document that has a text or its own citations."""
    for org in session.exec(select(Organization).order_by(Organization.acronym)).all():
        yield json.dumps(
            {"type": "organization", "acronym": org.acronym, "name_zh": org.name_zh, "name_en": org.name_en,
             "observer_symbol": org.observer_symbol, "series_titles": org.series_titles,
             "provenance": org.provenance},
            ensure_ascii=False,
        )
    orgs = {o.id: o.acronym for o in session.exec(select(Organization)).all()}
    symbols = dict(session.exec(select(Document.id, Document.symbol)).all())
    for doc in session.exec(select(Document).order_by(Document.id)).all():
        cits = quoted(session, Citation.citing_id == doc.id)
        own_facts = doc.text is not None or doc.organization_id or doc.title or doc.date_source == "text"
        if not cits and not own_facts:
            continue  # a bare cited document: the citations that name it recreate it
        yield json.dumps(
            {
                "key": doc.key, "symbol": doc.symbol, "kind": doc.kind,
                "organization": orgs.get(doc.organization_id), "session": doc.session,
                "date": _iso(doc.date) if doc.date_source == "text" else None,
                "title": doc.title, "title_en": doc.title_en, "language": doc.language,
                "source": doc.source, "became": symbols.get(doc.became_id), "text": doc.text,
                "provenance": doc.provenance,
                # Each paragraph once; a citation points to its own by `paragraph_index`.
                "paragraphs": [{"index": i, "text": t}
                               for i, t in sorted({c.paragraph_index: c.paragraph for c in cits}.items())],
                "citations": [
                    {k: v for k, v in citation_record_of(c).to_json().items() if k != "paragraph"} for c in cits
                ],
            },
            ensure_ascii=False,
        )
