"""The General Assembly calendar: sessions and dates, in one place.

Session N opens in September of 1945 + N and runs to the September after (the exact day varies;
the first of the month is close enough to place a document in time). The first session opened
on 10 January 1946.
"""

from __future__ import annotations

import datetime as dt

from app.symbols import DocumentKind

# Resolutions, drafts and letters of the United Nations: none before its first session (1946).
FIRST_DATE = dt.date(1946, 1, 1)
# Drafts and letters are often dated in the session before the one they are for: the letter of
# 2008-11-20 (63rd session) asks for an item of the 64th (seed 000).
AHEAD_KINDS = {DocumentKind.draft_resolution.value, DocumentKind.letter.value}


def session_opening(session: int) -> dt.date:
    """The first of September of 1945 + N: where a document known only by its session stands."""
    return dt.date(1945 + session, 9, 1)


def session_range(session: int) -> tuple[int, int]:
    """General Assembly session N runs from September of 1945 + N to September of 1946 + N."""
    return 1945 + session, 1946 + session


def session_years(session: int) -> str:
    """`2009–2010` for the 64th session."""
    return "{}–{}".format(*session_range(session))


def session_cutoff(session: int) -> dt.date:
    """The last day that still belongs to `session` for the point-in-time view: the eve of the
    next session's opening."""
    return dt.date(1946 + session, 8, 31)


def session_end(session: int) -> dt.date:
    """A date by which session N has surely closed (the next opens in mid-September)."""
    return dt.date(1946 + session, 9, 30)


def session_of_date(date: dt.date) -> int:
    """The General Assembly session running on `date`: 2019-08-30 is in the 73rd, 2005-10-17 in
    the 60th."""
    return date.year - 1945 if date.month >= 9 else date.year - 1946


def session_of(doc) -> int | None:
    """A document's session: the one it states (or its symbol carries), else the one running on
    its date, else None."""
    if doc.session:
        return doc.session
    if doc.date:
        return session_of_date(doc.date)
    return None


def sessions_of(date: dt.date, kind: str) -> set[int]:
    """The sessions a document of `kind` dated `date` may belong to."""
    y = date.year
    if date < dt.date(1946, 9, 1):  # the first session opened on 10 January 1946
        return {1}
    if date.month > 9:
        sessions = {y - 1945}
    elif date.month < 9:
        sessions = {y - 1946}
    else:  # the session closes and the next one opens in September
        sessions = {y - 1946, y - 1945}
    if kind in AHEAD_KINDS:
        sessions |= {s + 1 for s in sessions}
    return {s for s in sessions if s >= 1}


def sort_date(doc) -> dt.date:
    """Where a document stands in time: its date, else the opening of its session.

    The 71st-session CSTO draft (seed 004) has no date, only its session, and stands after 69/12
    (2014) by it.
    """
    if doc.date:
        return doc.date
    if doc.session:
        return session_opening(doc.session)
    return dt.date.max
