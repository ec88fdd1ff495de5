"""Bulk import and export in JSON Lines: one document (or organization) per line.

A document line:
    {"symbol": "A/RES/64/183", "kind": "ga_resolution", "organization": "SCO", "session": 64,
     "date": "2009-12-18", "title": "…", "language": "zh", "source": "…", "became": null,
     "text": "…", "citations": [{"symbol": "A/RES/59/48", "verb": "回顾", "date": "2004-12-02", …}]}
`symbol` or `key` is required. With `citations`, they are stored as given; without, they are
extracted from `text`. `public_facts`, where a document has them, holds its facts from public
sources as seed_data/public_facts.json writes them ({"outcome": {"value": …, "source": {"url": …}}, …}).
An organization line has "type": "organization".

Import goes through `app.documents.store.ingest_document`, a savepoint per line and a transaction per batch:
a bad line is reported with its number and reason, and the good lines still go in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from app.chains import readmodel
from app.chains.queries import organization
from app.db import begin_batch
from app.citations.models import LOCATIONS, VERB_CLASSES
from app.citations import Citation as Found
from app.documents import history, public_facts
from app.documents.store import DocumentIn, by_key_or_symbol, document_row, ingest_document, upsert_organization
from app.documents.queries import quoted
from app.documents.rules import check_citation, check_document
from app.models import Citation, Document, Organization, SourceFact, citation_record_of
from app.symbols import KINDS, normalize

DOCUMENT_FIELDS = ("key", "symbol", "kind", "organization", "session", "date", "title", "title_en",
                   "language", "source", "became", "text", "provenance")


# Who an import's changes are by, in the audit log.
ACTOR = "lineage import"


@dataclass
class ImportReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # (line number, a value it brought for a field an admin set, not applied: `Conflict.line`),
    # a short line each, whatever the values; the first KEPT_CONFLICTS of `conflict_count`
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    conflict_count: int = 0

    @property
    def imported(self) -> int:
        return self.added + self.changed

    @property
    def refused(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        return (f"imported {self.imported} (added {self.added}, changed {self.changed}),"
                f" unchanged {self.unchanged}, refused {self.refused}, conflicts {self.conflict_count}")


class LineError(ValueError):
    pass


# Bounds a line's values must keep: the columns' widths, and integers PostgreSQL's `integer` holds.
_MAX_INT = 2**31 - 1
_LENGTHS = {"key": 120, "symbol": 120, "kind": 32, "organization": 16, "language": 8, "source": 300,
            "became": 120, "title": None, "title_en": None, "text": None, "date": 10}
_CITATION_LENGTHS = {"symbol": 120, "verb": None, "verb_class": 16, "date": 10, "location": 16,
                     "raw": 200, "paragraph": None, "footnote": 16, "link": 300}
_CITATION_INTS = {"start": (0, _MAX_INT), "end": (0, _MAX_INT), "called_from": (-_MAX_INT, _MAX_INT),
                  # paragraph indexes key the paragraphs' full-text rows (app/search/fts.py)
                  "paragraph_index": (-(2**21), 2**21 - 1)}


def _check_strings(value: Any, where: str) -> None:
    """No lone surrogate (not Unicode: no database stores it) and no NUL (PostgreSQL cannot)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise LineError(f"{where} contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise LineError(f"{where} contains a lone surrogate, which is not Unicode text") from None
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k, where)
            _check_strings(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_strings(v, f"{where}[{i}]")


def _string(obj: dict, name: str, limit: int | None, what: str = "") -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise LineError(f"{what}{name} must be a string, not {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise LineError(f"{what}{name} is longer than {limit} characters")
    return value


def _integer(obj: dict, name: str, low: int, high: int, what: str = "") -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise LineError(f"{what}{name} must be a whole number, not {type(value).__name__}")
    if not low <= value <= high:
        raise LineError(f"{what}{name} {value} is out of range ({low} to {high})")
    return value


def _citation(item: Any, n: int, paragraphs: dict[int, str], own_symbol: str | None) -> Found:
    what = f"citation {n}: "
    if not isinstance(item, dict) or not item.get("symbol"):
        raise LineError(f"{what}needs at least a symbol")
    for name, limit in _CITATION_LENGTHS.items():
        _string(item, name, limit, what)
    for name, (low, high) in _CITATION_INTS.items():
        _integer(item, name, low, high, what)
    if item.get("verb_class") is not None and item["verb_class"] not in VERB_CLASSES:
        raise LineError(f"{what}verb_class {item['verb_class']!r} is not one of {', '.join(VERB_CLASSES)}")
    if item.get("location") is not None and item["location"] not in LOCATIONS:
        raise LineError(f"{what}location {item['location']!r} is not one of {', '.join(LOCATIONS)}")
    # The admin form's rules for a citation row: a symbol, a verb, a date, not the document itself.
    checked = check_citation(item["symbol"], item.get("verb"), item.get("date"), own_symbol)
    if checked.error is not None:
        raise LineError(f"{what}{checked.field}: {checked.error.text()}")
    # Files written before paragraphs were kept once carry each citation's paragraph with it.
    paragraph = item.get("paragraph") or paragraphs.get(item.get("paragraph_index") or 0, "")
    # `raw` is what the line wrote, the symbol as given when it says nothing else
    return Found.from_json({**item, "symbol": checked.symbol, "raw": item.get("raw") or item["symbol"],
                            "date": checked.date, "paragraph": paragraph})


def _paragraphs(obj: dict) -> dict[int, str]:
    paragraphs = obj.get("paragraphs")
    if paragraphs is None:
        return {}
    if not isinstance(paragraphs, list):
        raise LineError("paragraphs must be a list")
    out = {}
    for p in paragraphs:
        if not isinstance(p, dict):
            raise LineError('paragraphs must be a list of {"index": number, "text": string}')
        index = _integer(p, "index", *_CITATION_INTS["paragraph_index"], "paragraph ")
        text = _string(p, "text", None, "paragraph ")
        if index is None or text is None:
            raise LineError('paragraphs must be a list of {"index": number, "text": string}')
        out[index] = text
    return out


def _may_hold_bad_strings(line: str) -> bool:
    """Whether a line's JSON may decode to a NUL or a lone surrogate: only through a `\\u`
    escape, or a surrogate already in the text. Most lines have neither, and need no walk over
    every value (`_check_strings`, which says where)."""
    if "\\u" in line or "\x00" in line:
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _Organizations:
    """The organizations a line names, looked up once per import (found ones only: an
    organization line further on may add one)."""

    def __init__(self, session: Session):
        self.session = session
        self.found: dict[str, Any] = {}

    def __call__(self, acronym: str) -> Any:
        if acronym not in self.found:
            org = organization(self.session, acronym)
            if org is None:
                return None
            self.found[acronym] = SimpleNamespace(id=org.id, acronym=org.acronym)
        return self.found[acronym]


def parse_line(
    session: Session, obj: Any, *, strings_checked: bool = False, organizations: Callable[[str], Any] | None = None,
) -> tuple[DocumentIn, list[Found] | None]:
    """A document line as the writer takes it, after the admin form's checks
    (`app.documents.rules`) and the bounds of the columns; LineError says what is wrong.

    `strings_checked`: the caller knows no value holds a NUL or a lone surrogate
    (`_may_hold_bad_strings`). `organizations`: a lookup by acronym kept across lines."""
    if not isinstance(obj, dict):
        raise LineError("a line must be a JSON object")
    unknown = set(obj) - set(DOCUMENT_FIELDS) - {"citations", "paragraphs", "type", "has_text", "public_facts"}
    if unknown:
        raise LineError(f"unknown field(s): {', '.join(sorted(unknown))}")
    if not strings_checked:
        _check_strings(obj, "")
    for name, limit in _LENGTHS.items():
        _string(obj, name, limit)
    if obj.get("provenance") is not None and not isinstance(obj["provenance"], dict):
        raise LineError("provenance must be an object")
    if not obj.get("symbol") and not obj.get("key"):
        raise LineError("a document needs a symbol or a key")
    kind = obj.get("kind") or "other"

    # Which stored document the line is about: the one its key names, else its symbol's. A line
    # whose key and symbol name two different documents would merge them: refused.
    # Plain rows, in one statement, read once: the rules below ask for the holder again.
    norm = normalize(obj["symbol"]) if obj.get("symbol") else None
    target, holder = by_key_or_symbol(session, obj.get("key"), norm.symbol if norm is not None else None)
    if target is not None and target.key != obj.get("key"):
        target = None  # found by its symbol: `holder`
    if target is not None and holder is not None and holder.id != target.id:
        raise LineError(f"key {target.key} and symbol {holder.symbol} are two different documents;"
                        " a line cannot merge them")
    checked = check_document(
        session, symbol=obj.get("symbol"), kind=kind, organization_acronym=obj.get("organization"),
        session_number=obj.get("session"), date=obj.get("date"), text=obj.get("text"),
        doc=target or holder, became=obj.get("became"),
        find_symbol=lambda s: holder if s == norm.symbol else document_row(session, Document.symbol == s),
        find_organization=organizations,
    )
    if checked.errors:
        name, msg = next(iter(checked.errors.items()))
        if name == "kind":
            raise LineError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        raise LineError(f"{name}: {msg.text()}")

    citations = obj.get("citations")
    if citations is not None:
        if not isinstance(citations, list):
            raise LineError("citations must be a list")
        paragraphs = _paragraphs(obj)
        citations = [_citation(c, i + 1, paragraphs, checked.symbol) for i, c in enumerate(citations)]
    data = DocumentIn(
        key=obj.get("key"),
        symbol=obj.get("symbol"),
        kind=kind,
        text=obj.get("text"),
        organization=obj.get("organization"),
        session=checked.session,
        date=checked.date,
        title=obj.get("title"),
        title_en=obj.get("title_en"),
        language=obj.get("language"),
        source=obj.get("source"),
        became=checked.became,
        provenance=obj.get("provenance") or {},
    )
    return data, citations


def _public_facts(obj: dict) -> dict | None:
    facts = obj.get("public_facts")
    if facts is not None and not isinstance(facts, dict):
        raise LineError("public_facts must be an object")
    if facts is not None:
        # refuse a bad one before anything of the line is written
        public_facts.parse({"documents": [{**facts, "key": obj.get("key") or obj.get("symbol") or "?"}]})
    return facts


def _organization(session: Session, obj: dict) -> tuple[bool, bool]:
    """(added, changed) for an organization line."""
    _check_strings(obj, "")
    fields = {k: v for k, v in obj.items() if k != "type"}
    unknown = set(fields) - {"acronym", "name_zh", "name_en", "observer_symbol", "series_titles", "provenance"}
    if unknown:
        raise LineError(f"unknown field(s): {', '.join(sorted(unknown))}")
    for name, limit in (("acronym", 16), ("name_zh", 200), ("name_en", 200), ("observer_symbol", 80)):
        if not _string(fields, name, limit):
            raise LineError(f"an organization needs {name}")
    titles = fields.get("series_titles", [])
    if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
        raise LineError("series_titles must be a list of strings")
    if fields.get("provenance") is not None and not isinstance(fields["provenance"], dict):
        raise LineError("provenance must be an object")
    existed = organization(session, fields["acronym"]) is not None
    changed = upsert_organization(session, **{"series_titles": [], **fields})
    return not existed, changed and existed


def _reject_constant(name: str) -> Any:
    raise LineError(f"{name} is not a JSON number Lineage stores")


def _decode(line: str | bytes) -> str:
    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(f"not valid UTF-8 (byte {exc.start + 1} of the line)") from None


# A file may bring a value for an admin's field on every line: the report keeps the first ones
# (the command prints each as it comes, `on_conflict`), and counts them all.
KEPT_CONFLICTS = 1000


def import_jsonl(
    session: Session, lines: IO[str] | IO[bytes], batch_size: int = 500,
    progress: Callable[[int], None] | None = None, on_conflict: Callable[[int, str], None] | None = None,
) -> ImportReport:
    """Import a JSON Lines stream (text, or bytes as a file holds them). Idempotent: importing the
    same file twice changes nothing.

    Each line passes the admin form's checks (`app.documents.rules`) before it reaches the writer,
    in a savepoint of its own: a bad line is reported with its number and reason, and the others
    go on. The good lines are committed `batch_size` at a time; the stored pages of the chains
    they rewrite are rendered once, at the end (`readmodel.chain_pages_deferred`).

    A line's changes are audited as "lineage import"'s; a value it brings for a field an admin
    set is not applied, and is reported (`on_conflict(line number, what)`, and in the report).
    """
    with readmodel.chain_pages_deferred(session):
        return _import_lines(session, lines, batch_size, progress, on_conflict)


def _import_lines(session: Session, lines, batch_size: int, progress, on_conflict) -> ImportReport:
    report = ImportReport()
    pending = 0
    organizations = _Organizations(session)
    trail = history.Trail()  # the lines' audit entries, written with their batch
    for number, raw in enumerate(lines, start=1):
        mark = trail.mark()
        if progress:
            progress(len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass")))
        try:
            line = _decode(raw)
            if not line.strip():
                continue
            try:
                obj = json.loads(line, parse_constant=_reject_constant)
            except json.JSONDecodeError as exc:
                raise LineError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
            except RecursionError:
                raise LineError("nested too deeply") from None
            except LineError:
                raise
            except ValueError:  # Python refuses to read an integer of more than 4,300 digits
                raise LineError("a number too long to read") from None
            if pending == 0:
                begin_batch(session)
            conflicts = []
            with session.begin_nested():
                if isinstance(obj, dict) and obj.get("type") == "organization":
                    added, changed = _organization(session, obj)
                else:
                    data, citations = parse_line(session, obj, strings_checked=not _may_hold_bad_strings(line),
                                                 organizations=organizations)
                    facts = _public_facts(obj)
                    result = ingest_document(session, data, citations=citations, commit=False, actor=ACTOR,
                                             trail=trail)
                    added, changed = result.created, result.changed and not result.created
                    if facts is not None and public_facts.apply(session, public_facts.parse(
                            {"documents": [{**facts, "key": result.document.key}]})[0], actor=ACTOR):
                        changed = not added
                    conflicts = result.conflicts
        except (LineError, ValueError, KeyError, TypeError, OverflowError, RecursionError) as exc:
            trail.drop(mark)  # the line's savepoint rolled back: its entry goes with it
            report.errors.append((number, str(exc) or type(exc).__name__))
            continue
        except SQLAlchemyError as exc:
            trail.drop(mark)
            # What the checks above let through and the database refused: this line only.
            report.errors.append((number, f"refused by the database: {str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}"))
            continue
        for c in conflicts:
            report.conflict_count += 1
            if len(report.conflicts) < KEPT_CONFLICTS:
                report.conflicts.append((number, c.line()))
            if on_conflict:
                on_conflict(number, c.line())
        if added:
            report.added += 1
        elif changed:
            report.changed += 1
        else:
            report.unchanged += 1
        pending += 1
        if pending >= batch_size or trail.full:
            trail.write(session)
        if pending >= batch_size:
            session.commit()
            pending = 0
    trail.write(session)
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
        own_facts = doc.text is not None or doc.organization_id or doc.title or doc.date_source == "text" \
            or doc.public_facts
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
                **({"public_facts": _facts_of(session, doc)} if doc.public_facts else {}),
            },
            ensure_ascii=False,
        )


def _facts_of(session: Session, doc: Document) -> dict[str, Any]:
    """A document's facts from public sources, as seed_data/public_facts.json writes them."""
    rows = session.exec(
        select(SourceFact).where(SourceFact.document_id == doc.id).order_by(SourceFact.position)
    ).all()
    return {f.fact: {"value": f.value, "source": {"url": f.url, **({"note": f.note} if f.note else {})}}
            for f in rows}
