"""What one request may spend: a deadline that long work checks as it goes.

A worker thread cannot be stopped from outside, so work whose cost grows with its input (the
diff of two texts, the extraction of a pasted text, the excerpts of a long list) checks a
`Deadline` between its steps, and stops with `OverBudget` once the request has had its time.
The web layer turns that into a clear refusal (503 with Retry-After); commands pass `UNLIMITED`.
The pure code takes the deadline as an argument and never reads a clock of its own.
"""

from __future__ import annotations

import math
import time


class OverBudget(Exception):
    """The request spent its time budget before its work was done."""

    def __init__(self, seconds: float):
        super().__init__(f"this request took more than its {seconds:g} s")
        self.seconds = seconds


class Deadline:
    """A point in time (time.monotonic) that long work checks with `check()`."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds if math.isfinite(seconds) else math.inf

    def check(self) -> None:
        """Raises OverBudget once the deadline has passed; cheap enough to call in a loop."""
        if self.at is not math.inf and time.monotonic() > self.at:
            raise OverBudget(self.seconds)

    def left(self) -> float:
        return self.at - time.monotonic()


UNLIMITED = Deadline(math.inf)
