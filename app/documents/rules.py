"""What a document and its citations must be to be stored, whoever brings them.

The admin form (`app.documents.form.prepare`) and the bulk import (`app.exports.jsonl`) check
their input here, through the same functions, so that an import can store nothing the form would
refuse. Reads only; the messages are `Msg`s, translated where they are shown (`Msg.english()`
for a command's output).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.calendar import FIRST_DATE, session_range, sessions_of
from app.chains.queries import organization
from app.config import get_settings
from app.documents.queries import by_symbol
from app.i18n import Msg
from app.models import Document, Organization
from app.symbols import KINDS, normalize, parse

MAX_VERB = 60


@dataclass
class CheckedDocument:
    """The document's fields as they will be stored, and what is wrong with them, by field."""

    errors: dict[str, Msg] = field(default_factory=dict)
    symbol: str | None = None
    organization: Organization | None = None
    session: int | None = None
    date: dt.date | None = None
    became: str | None = None
    # A document Lineage knows only from its citers that holds the symbol: saving takes it over.
    fills: Document | None = None
    too_big: bool = False


def _session_number(value: str | int | None) -> int | None:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        if not value.isdigit():
            raise ValueError
        value = int(value)
    if not isinstance(value, int) or not 0 < value < 1000:
        raise ValueError
    return value


def check_document(
    session: Session, *, symbol: str | None, kind: str, organization_acronym: str | None,
    session_number: str | int | None, date: str | None, text: str | None, doc: Document | None,
    became: str | None = None, require_text: bool = False, today: dt.date | None = None,
    find_symbol: Callable[[str], Any] | None = None, find_organization: Callable[[str], Any] | None = None,
) -> CheckedDocument:
    """Check a document's fields. `doc` is the stored document they are for (None for a new one):
    a symbol another document with a text holds is refused, one a text-less document holds is
    taken over (`fills`, for a new document).

    `find_symbol(symbol)` and `find_organization(acronym)` look up the stored document that
    holds a symbol (with `id` and `text`) and an organization (with `acronym`); by default
    `by_symbol` and `organization`. A bulk import passes lookups that answer from what it
    already read."""
    find_symbol = find_symbol or (lambda s: by_symbol(session, s))
    find_organization = find_organization or (lambda a: organization(session, a))
    today = today or dt.date.today()
    out = CheckedDocument()
    errors = out.errors

    limit = get_settings().max_text_bytes
    if text is not None and len(text.encode("utf-8", "surrogatepass")) > limit:
        out.too_big = True
        errors["text"] = Msg("err_text_too_big", {"size": f"{len(text.encode('utf-8', 'surrogatepass')) / 1e6:.1f}",
                                                   "limit": f"{limit / 1e6:g}"})
    elif require_text and not (text or "").strip():
        errors["text"] = Msg("err_text_required")

    if symbol:
        norm = normalize(symbol)
        if norm.symbol is None:
            errors["symbol"] = Msg("err_symbol_invalid", {"reason": norm.error})
        else:
            out.symbol = norm.symbol
            holder = find_symbol(norm.symbol)
            if holder is not None and (doc is None or holder.id != doc.id):
                if holder.text is not None:
                    errors["symbol"] = Msg("err_symbol_taken", {"symbol": norm.symbol})
                elif doc is None:
                    out.fills = holder

    if kind not in KINDS:
        errors["kind"] = Msg("err_kind")

    if organization_acronym:
        org = find_organization(organization_acronym)
        if org is None or org.acronym != organization_acronym:
            errors["organization"] = Msg("err_organization", {"value": organization_acronym})
        else:
            out.organization = org

    if session_number not in (None, ""):
        try:
            out.session = _session_number(session_number)
        except ValueError:
            errors["session"] = Msg("err_session_number")

    if date:
        try:
            out.date = dt.date.fromisoformat(date)
        except (TypeError, ValueError):
            errors["date"] = Msg("err_date_format")
        else:
            if out.date > today:
                errors["date"] = Msg("err_date_future", {"today": today.isoformat()})
            elif out.date < FIRST_DATE:
                errors["date"] = Msg("err_date_early")

    symbol_session = None
    if out.symbol:
        info = parse(out.symbol)
        symbol_session = info.session
        if out.session is not None and symbol_session is not None and out.session != symbol_session \
                and info.kind in ("ga_resolution", "draft_resolution"):
            errors.setdefault("session", Msg("err_session_symbol", {"symbol": out.symbol, "session": symbol_session}))
    effective = out.session if out.session is not None else symbol_session
    if out.date and effective and "date" not in errors and "session" not in errors \
            and effective not in sessions_of(out.date, kind):
        start, end = session_range(effective)
        errors["session" if out.session is not None else "date"] = Msg(
            "err_session_date", {"session": effective, "from": start, "to": end, "date": out.date.isoformat()}
        )

    if became:
        norm = normalize(became)
        if norm.symbol is None:
            errors["became"] = Msg("err_symbol_invalid", {"reason": norm.error})
        elif norm.symbol in {out.symbol, doc.symbol if doc is not None else None} - {None}:
            errors["became"] = Msg("err_became_self", {"symbol": norm.symbol})
        else:
            out.became = norm.symbol
    return out


@dataclass
class CheckedCitation:
    error: Msg | None = None
    field: str = ""  # which of symbol, verb, date is wrong
    symbol: str | None = None
    date: dt.date | None = None


def check_citation(symbol: str, verb: str | None, date: str | None, own_symbol: str | None) -> CheckedCitation:
    """Check one citation as a person or a file gives it: a symbol (normalized here), a verb and a
    date (ISO); a document cannot cite itself."""
    norm = normalize(symbol)
    if norm.symbol is None:
        return CheckedCitation(Msg("err_row_symbol", {"reason": norm.error}), "symbol")
    try:
        cited_date = dt.date.fromisoformat(date) if date else None
    except (TypeError, ValueError):
        return CheckedCitation(Msg("err_date_format"), "date")
    if verb is not None and len(verb) > MAX_VERB:
        return CheckedCitation(Msg("err_row_verb"), "verb")
    if own_symbol and norm.symbol == own_symbol:
        return CheckedCitation(Msg("err_self_citation", {"symbol": own_symbol}), "symbol")
    return CheckedCitation(symbol=norm.symbol, date=cited_date)
