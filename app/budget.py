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


# How much work (seconds) a request's deadline lets go by before it lets a reader go first.
YIELD_SECONDS = 0.0003
# and how long it then steps aside: long enough for a waiting thread to wake and take the GIL
# (a sleep(0) gives it back before the other has woken).
YIELD_PAUSE = 0.0001


class OverBudget(Exception):
    """The request spent its time budget before its work was done."""

    def __init__(self, seconds: float):
        super().__init__(f"this request took more than its {seconds:g} s")
        self.seconds = seconds


class Deadline:
    """A point in time (time.monotonic) that long work checks with `check()`."""

    __slots__ = ("at", "seconds", "_yielded")

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds if math.isfinite(seconds) else math.inf
        self._yielded = time.monotonic()

    def check(self) -> None:
        """Raises OverBudget once the deadline has passed; cheap enough to call in a loop.

        It also lets the readers go first: every YIELD_SECONDS of work, the thread steps aside
        for YIELD_PAUSE (a sleep releases the GIL), so a page waiting on the event loop runs
        within 0.3 ms instead of after the 5 ms Python gives a thread. Alone, heavy work runs at
        about three quarters of its speed (bench/README.md, "Attacks").
        """
        if self.at is math.inf:
            return
        now = time.monotonic()
        if now > self.at:
            raise OverBudget(self.seconds)
        if now - self._yielded > YIELD_SECONDS:
            time.sleep(YIELD_PAUSE)
            self._yielded = time.monotonic()

    def left(self) -> float:
        return self.at - time.monotonic()


UNLIMITED = Deadline(math.inf)
