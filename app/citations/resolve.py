"""Stage 4: resolve citations against a store the caller passes in.

The extractor knows nothing about the database: `lookup` is any callable from a normalized
symbol to a record (or None), e.g. a repository method. Each distinct symbol is looked up once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from .models import Citation

__all__ = ["resolve"]

T = TypeVar("T")


def resolve(
    citations: Iterable[Citation], lookup: Callable[[str], T | None]
) -> list[tuple[Citation, T | None]]:
    """Pair each citation with `lookup(citation.symbol)`.

    In: citations (any iterable, e.g. `extract(text)`) and a lookup callable.
    Out: `[(citation, record_or_None), ...]` in the input order; `lookup` is called once per
    distinct symbol.
    """
    cache: dict[str, T | None] = {}
    out: list[tuple[Citation, T | None]] = []
    for c in citations:
        if c.symbol not in cache:
            cache[c.symbol] = lookup(c.symbol)
        out.append((c, cache[c.symbol]))
    return out
