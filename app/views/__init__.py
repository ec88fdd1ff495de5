"""Pure computation behind the Issue 5 views: the timeline graph's layout, chain anomalies, the
paragraph diff, point-in-time parsing, Atom feeds and exports. No SQL here: the reads are in
`app.queries`; the handlers (`app.web.views`) parse, call queries, call these, and render.
"""

from __future__ import annotations

import datetime as dt


def session_of_date(date: dt.date) -> int:
    """The General Assembly session running on `date`.

    Session N opens in September of 1945 + N (the exact day varies; the first of the month is
    close enough to place a document on a timeline): 2019-08-30 is in the 73rd, 2005-10-17 in
    the 60th.
    """
    return date.year - 1945 if date.month >= 9 else date.year - 1946


def session_of(doc) -> int | None:
    """A document's session: the one it states (or its symbol carries), else the one running on
    its date, else None."""
    if doc.session:
        return doc.session
    if doc.date:
        return session_of_date(doc.date)
    return None


def session_years(session: int) -> str:
    """`2009–2010` for the 64th session."""
    return f"{1945 + session}–{1946 + session}"


def title(doc, lang: str = "zh") -> str | None:
    """The document's title in `lang` where known, else in the other language, else None."""
    if lang == "en":
        return doc.title_en or doc.title
    return doc.title or doc.title_en
