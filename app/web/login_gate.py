"""How many login attempts a worker works on at once, and on what.

A login costs an argon2 check (tenths of a second of CPU and 64 MB) and a few writes. Readers
must not queue behind a burst of them, so:
- at most MAX_PENDING attempts are in hand at once per worker, and MAX_PER_ADDRESS from one
  address; any more are answered 429 at once, with the seconds to wait;
- their database work and password checks run on CHECKERS threads of their own, never on the
  threads the pages use, and at a lower CPU priority (Linux: nice 10), so that on a busy machine
  the readers' work comes first;
- the slowdown after failures is waited on the event loop, holding no thread and no connection.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")

MAX_PENDING = 32
MAX_PER_ADDRESS = 4
CHECKERS = 1
BUSY_RETRY_AFTER = 2  # seconds: about what the attempts in hand take to clear


class LoginGate:
    def __init__(self, max_pending: int = MAX_PENDING, max_per_address: int = MAX_PER_ADDRESS):
        self.max_pending = max_pending
        self.max_per_address = max_per_address
        self._by_address: Counter[str] = Counter()
        self._pending = 0

    @contextmanager
    def admit(self, address: str) -> Iterator[bool]:
        """Yields whether an attempt from `address` may go on; counts it while it does."""
        if self._pending >= self.max_pending or self._by_address[address] >= self.max_per_address:
            yield False
            return
        self._pending += 1
        self._by_address[address] += 1
        try:
            yield True
        finally:
            self._pending -= 1
            self._by_address[address] -= 1
            if not self._by_address[address]:
                del self._by_address[address]

    async def run(self, func: Callable[..., T], *args) -> T:
        """Run `func(*args)` on the login threads, not on the pages' threads."""
        return await asyncio.get_running_loop().run_in_executor(_executor(), functools.partial(func, *args))


@functools.cache
def _executor() -> ThreadPoolExecutor:
    """The worker process's login threads (one set however many apps a test makes)."""
    return ThreadPoolExecutor(CHECKERS, thread_name_prefix="lineage-login", initializer=_lower_priority)


def _lower_priority() -> None:
    # On Linux a thread's nice value is its own (and argon2's threads, if any, inherit it).
    if sys.platform == "linux":
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except OSError:
            pass
