"""The admin's document form, without the web: read it, check it, preview it.

A form carries the document's fields and, once previewed, one row per citation: the cited symbol,
the verb, the date and an include checkbox, plus blank rows to add a citation the extractor
missed. Each extracted row is known by its key, `SYMBOL#n` (the n-th mention of that symbol as
the extractor found it), so corrections survive a re-preview after the text is edited elsewhere.

Preparing runs the extractor again on the text as submitted and applies the rows to it; saving
(`app.documents.audit.save`) stores the result through `app.documents.store`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.citations import Citation as Found
from app.citations import detect_language, extract, paragraphs
from app.citations.verbs import lexicon
from app.documents import labels
from app.documents.queries import by_symbol, stored_citations
from app.documents.rules import check_citation, check_document
from app.documents.store import DocumentIn, new_key
from app.i18n import Msg
from app.models import Citation, Document, Organization

BLANK_ROWS = 2
MAX_ROWS = 1000
# The largest id or version a column holds on PostgreSQL (INTEGER): anything larger in a form or
# URL can name nothing stored.
MAX_INT = 2**31 - 1


def whole_number(text: str | None) -> int | None:
    """`text` as a whole number a column can hold (ASCII digits only: "²".isdigit() is true, but
    int() refuses it), or None."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_INT else None
_ROW_FIELD = re.compile(r"^c-(\d{1,4})-(key|symbol|verb|date|include)$")


def normalize_text(text: str) -> str:
    # Browsers send a textarea's line breaks as CRLF: store LF, as the seed texts have it, so that
    # re-saving an unchanged text changes nothing.
    # A NUL is dropped on the way in (FormIn.from_form), so the digest must not see it either.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def digest(text: str) -> str:
    """Which text a preview was made for (the form carries it as `previewed`)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()[:20]


def verb_class(verb: str | None) -> str:
    if not verb:
        return "other"
    return lexicon("zh" if re.search(r"[\u4e00-\u9fff]", verb) else "en").verb_class(verb)


def verb_suggestions() -> list[str]:
    return list(lexicon("zh").verbs) + list(lexicon("en").verbs)


def row_keys(found: Sequence[Any], symbol_of=lambda c: c.symbol) -> list[str]:
    seen: Counter[str] = Counter()
    keys = []
    for c in found:
        symbol = symbol_of(c)
        seen[symbol] += 1
        keys.append(f"{symbol}#{seen[symbol]}")
    return keys


def iso_date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


# --- what the form carries ----------------------------------------------------------------------


@dataclass
class RowIn:
    key: str = ""  # "" for a citation added by hand
    symbol: str = ""
    verb: str = ""
    date: str = ""
    include: bool = True


@dataclass
class FormIn:
    symbol: str = ""
    kind: str = ""
    organization: str = ""
    session: str = ""
    date: str = ""
    title: str = ""
    text: str = ""
    version: str = ""
    previewed: str = ""
    accept_warnings: bool = False
    rows: list[RowIn] | None = None  # None: the form carried no preview yet

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> FormIn:
        def clean(value: Any) -> str:
            # No symbol or word holds a NUL, and PostgreSQL cannot store one.
            return value.replace("\x00", "") if isinstance(value, str) else ""

        def get(name: str) -> str:
            return clean(form.get(name)).strip()

        rows: dict[int, RowIn] = {}
        items = form.multi_items() if hasattr(form, "multi_items") else form.items()
        for name, value in items:
            m = _ROW_FIELD.match(name)
            if not m or not isinstance(value, str) or int(m.group(1)) >= MAX_ROWS:
                continue
            row = rows.setdefault(int(m.group(1)), RowIn(include=False))
            if m.group(2) == "include":
                row.include = True
            else:
                setattr(row, m.group(2), clean(value).strip())
        return cls(
            symbol=get("symbol"), kind=get("kind"), organization=get("organization"),
            session=get("session"), date=get("date"), title=get("title"),
            text=clean(form.get("text")), version=get("version"),
            previewed=get("previewed"), accept_warnings=bool(form.get("accept_warnings")),
            rows=[rows[i] for i in sorted(rows)] if rows else None,
        )

    @classmethod
    def from_document(cls, session: Session, doc: Document) -> FormIn:
        """The edit form as stored: the rows are the stored citations, matched by their place in
        the text to what the extractor finds (an extracted mention not stored was removed by an
        admin, a stored citation not extracted was added by one)."""
        org = session.get(Organization, doc.organization_id) if doc.organization_id else None
        text = doc.text or ""
        stored: dict[tuple[int, int], list[Citation]] = defaultdict(list)
        for c in stored_citations(session, doc):
            stored[(c.start, c.end)].append(c)
        rows = []
        found = extract(text)
        for f, key in zip(found, row_keys(found)):
            same_place = stored.get((f.start, f.end))
            if same_place:
                c = same_place.pop(0)
                rows.append(RowIn(key, c.cited_symbol, c.verb or "", iso_date(c.cited_date), True))
            else:
                rows.append(RowIn(key, f.symbol, f.verb or "", iso_date(f.date), False))
        added = sorted((c for cs in stored.values() for c in cs), key=lambda c: c.position)
        rows += [RowIn("", c.cited_symbol, c.verb or "", iso_date(c.cited_date), True) for c in added]
        return cls(
            symbol=doc.symbol or "", kind=doc.kind, organization=org.acronym if org else "",
            session=str(doc.session) if doc.session is not None else "",
            date=iso_date(doc.date) if doc.date_source == "text" else "",
            title=doc.title or "", text=text, version=str(doc.version), previewed=digest(text),
            rows=rows,
        )


# --- checking and previewing --------------------------------------------------------------------


@dataclass
class PreviewRow:
    index: int
    key: str
    symbol: str
    verb: str
    date: str
    include: bool
    found: Found | None  # what the extractor found (None: added by hand)
    status: str = "new"  # new | unchanged | changed | added | excluded
    was: Citation | None = None  # the stored citation this row changes
    error: Msg | None = None
    warning: Msg | None = None
    field: str | None = None  # the row's field the error is about
    context: tuple[str, str, str] | None = None  # the words before, the mention, the words after


    @property
    def blank(self) -> bool:
        return not self.key and not self.symbol


@dataclass
class Prepared:
    form: FormIn
    text: str
    errors: dict[str, Msg] = field(default_factory=dict)
    rows: list[PreviewRow] = field(default_factory=list)
    removed: list[Citation] = field(default_factory=list)  # stored citations the save drops
    warnings: list[Msg] = field(default_factory=list)
    status: int = 200
    data: DocumentIn | None = None
    citations: list[Found] = field(default_factory=list)
    fills: Document | None = None  # the text-less document this text is for
    version: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not any(r.error for r in self.rows)

    @property
    def row_errors(self) -> bool:
        return any(r.error for r in self.rows)

    @property
    def previewed(self) -> str:
        return digest(self.text)

    @property
    def needs_preview(self) -> bool:
        """The citations shown were not made for this text: the person has not seen them."""
        return self.form.previewed != self.previewed


def _locate(text: str, raw: str, symbol: str) -> tuple[int, int] | None:
    """Where a citation added by hand is mentioned in the text, if it is."""
    for needle in dict.fromkeys([raw, labels.short_symbol(symbol), symbol]):
        if not needle:
            continue
        m = re.search(rf"(?<![0-9A-Za-z/.]){re.escape(needle)}(?![0-9A-Za-z/])", text)
        if m:
            return m.start(), m.end()
    return None


def _added(text: str, paras, raw: str, symbol: str, verb: str | None, date: dt.date | None) -> Found:
    """A citation the person added: placed at its mention in the text when there is one."""
    place = _locate(text, raw, symbol)
    para = None
    if place:
        para = next((p for p in paras if any(a <= place[0] < b for a, b in p.segs)), None)
    return Found(
        symbol=symbol, raw=(text[place[0]:place[1]] if place else raw)[:200],
        start=place[0] if place else 0, end=place[1] if place else 0,
        verb=verb, verb_class=verb_class(verb), date=date,
        location=para.location if para else "body", paragraph=para.text if para else "",
        paragraph_index=para.index if para else 0, footnote=None, called_from=None, link=None,
    )


def _around(text: str, start: int, end: int, width: int = 24) -> tuple[str, str, str]:
    """A mention with the words around it, on one line, to tell the rows of a list apart."""
    def flat(s: str) -> str:
        return re.sub(r"\s+", " ", s)

    before = flat(text[max(0, start - width):start]).lstrip()
    return ("…" + before if start > width else before, flat(text[start:end]),
            flat(text[end:end + width // 2]).rstrip() + "…")


def prepare(
    session: Session, form: FormIn, *, doc: Document | None = None, today: dt.date | None = None
) -> Prepared:
    """Check a submitted form and build its preview. Reads only; writes nothing."""
    today = today or dt.date.today()
    text = normalize_text(form.text)
    prep = Prepared(form=form, text=text)
    errors = prep.errors

    checked = check_document(
        session, symbol=form.symbol, kind=form.kind, organization_acronym=form.organization,
        session_number=form.session, date=form.date, text=text, doc=doc, require_text=True, today=today,
    )
    errors.update(checked.errors)
    prep.fills = checked.fills
    too_big, symbol, org, number, date = (checked.too_big, checked.symbol, checked.organization,
                                          checked.session, checked.date)

    if not too_big:
        _preview_rows(session, prep, doc=doc, own_symbol=symbol, date=date)

    if not prep.ok:
        prep.status = 413 if too_big else 422
        return prep
    if doc is not None:
        prep.version = whole_number(form.version) or 0
    elif prep.fills is not None:
        prep.version = prep.fills.version
    became = session.get(Document, doc.became_id) if doc is not None and doc.became_id else None
    prep.data = DocumentIn(
        key=None if symbol else (doc.key if doc is not None else new_key()),
        symbol=symbol,
        kind=form.kind,
        text=text,
        organization=org.acronym if org else None,
        session=number,
        date=date,
        title=form.title or None,
        title_en=doc.title_en if doc is not None else None,
        language=(detect_language(text) or "")[:8] or None,
        source=doc.source if doc is not None else "admin",
        became=became.symbol if became is not None else None,
        provenance=dict(doc.provenance or {}) if doc is not None else {},
    )
    return prep


def _preview_rows(
    session: Session, prep: Prepared, *, doc: Document | None, own_symbol: str | None,
    date: dt.date | None,
) -> None:
    text, form = prep.text, prep.form
    if not text.strip():
        return
    found = extract(text)
    submitted = {r.key: r for r in form.rows or [] if r.key}
    rows: list[PreviewRow] = []
    for f, key in zip(found, row_keys(found)):
        r = submitted.get(key)
        if r is None:
            r = RowIn(key, f.symbol, f.verb or "", iso_date(f.date), True)
        rows.append(PreviewRow(len(rows), key, r.symbol, r.verb, r.date, r.include, f,
                               context=_around(text, f.start, f.end)))
    for r in form.rows or []:
        if not r.key and r.symbol:
            rows.append(PreviewRow(len(rows), "", r.symbol, r.verb, r.date, r.include, None))

    paras = None
    final: list[tuple[PreviewRow, Found]] = []
    for row in rows:
        if not row.include:
            row.status = "excluded"
            continue
        checked = check_citation(row.symbol, row.verb, row.date, own_symbol)
        if checked.error is not None:
            row.error, row.field = checked.error, checked.field
            continue
        cited_date = checked.date
        verb = row.verb or None
        if row.found is not None:
            f = row.found
            cit = dataclasses.replace(
                f, symbol=checked.symbol, verb=verb, date=cited_date,
                verb_class=f.verb_class if verb == f.verb else verb_class(verb),
            )
        else:
            if paras is None:
                paras = paragraphs(text)
            cit = _added(text, paras, row.symbol, checked.symbol, verb, cited_date)
        row.symbol = checked.symbol
        if date:
            known = cited_date
            if known is None:
                cited = by_symbol(session, checked.symbol)
                known = cited.date if cited is not None else None
            if known and known > date:
                row.warning = Msg("warn_cites_later", {"symbol": checked.symbol, "cited": known.isoformat(),
                                                       "date": date.isoformat()})
                prep.warnings.append(row.warning)
        final.append((row, cit))

    # Citations in text order; those added by hand and found nowhere in the text come last.
    end = len(text) + 1
    final.sort(key=lambda rc: rc[1].start if (rc[1].end or rc[0].found) else end)
    prep.citations = [c for _, c in final]

    if doc is not None:
        stored = stored_citations(session, doc)
        by_key = dict(zip(row_keys(stored, lambda c: c.cited_symbol), stored))
        new_keys = row_keys([c for _, c in final])
        for (row, cit), key in zip(final, new_keys):
            was = by_key.pop(key, None)
            if was is None:
                row.status = "added"
            elif (was.verb, was.cited_date) != (cit.verb, cit.date):
                row.status, row.was = "changed", was
            else:
                row.status = "unchanged"
        # A stored citation the person unticked shows on its own row as removed.
        gone = sorted(by_key.values(), key=lambda c: c.position)
        for row in rows:
            if row.status != "excluded" or row.found is None:
                continue
            same = next((c for c in gone if (c.start, c.end) == (row.found.start, row.found.end)), None)
            if same is not None:
                gone.remove(same)
                row.status, row.was = "removed", same
        prep.removed = gone

    for _ in range(BLANK_ROWS):
        rows.append(PreviewRow(len(rows), "", "", "", "", True, None, status="blank"))
    prep.rows = rows


def check_save(prep: Prepared) -> None:
    """What saving needs beyond a valid form: a preview of this very text, accepted warnings."""
    if not prep.ok:
        return
    if prep.needs_preview:
        prep.errors["preview"] = Msg("err_needs_preview")
    elif prep.warnings and not prep.form.accept_warnings:
        prep.errors["accept_warnings"] = Msg("err_accept_warnings")
    if prep.errors:
        prep.status = 422
