"""Point in time: `?as_of=` as a date (`2015-01-01`) or a General Assembly session (`69`).

The chain "as it stood at session 69" holds what was there by the end of that session: every
document up to the eve of the 70th session's opening (1 September 1946 + 69, near enough; see
`app.calendar`), so the 69th session's resolutions and the letters written for
the 70th before it opened are in, the 70th session's resolutions are not.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app.calendar import session_cutoff

# The sessions Lineage can place: the first General Assembly met in 1946.
FIRST_SESSION = 1
LAST_SESSION = 199

_SESSION = re.compile(r"^(?:第\s*)?(\d{1,3})(?:\s*(?:届(?:会议)?|th|st|nd|rd)?)?$", re.I)


@dataclass(frozen=True)
class AsOf:
    raw: str
    date: dt.date  # the cut-off: documents whose place in time is on or before it
    session: int | None = None  # when given as a session


class BadAsOf(ValueError):
    """The value is neither an ISO date nor a session number; the message says what is wanted."""


def parse_as_of(value: str | None) -> AsOf | None:
    """`None`/empty -> None; `2015-01-01` -> that date; `69` (`第69届`, `69th`) -> session 69.

    Raises `BadAsOf` for anything else, including impossible dates and sessions out of range.
    """
    if value is None:
        return None
    raw = value.strip()
    if not raw:
        return None
    m = _SESSION.match(raw.translate({cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}))
    if m:
        session = int(m.group(1))
        if not FIRST_SESSION <= session <= LAST_SESSION:
            raise BadAsOf(
                f"as_of={raw!r}: a session number must be between {FIRST_SESSION} and {LAST_SESSION}."
            )
        return AsOf(raw=raw, date=session_cutoff(session), session=session)
    try:
        date = dt.date.fromisoformat(raw)
    except ValueError:
        raise BadAsOf(
            f"as_of={raw!r} is neither a date (YYYY-MM-DD, e.g. 2015-01-01) "
            "nor a session number (e.g. 69)."
        ) from None
    return AsOf(raw=raw, date=date)
