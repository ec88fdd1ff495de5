"""The words around a citation: what an answer shows of its paragraph instead of a copy of it.

A paragraph may list thousands of symbols (`第1/1号、第1/2号、…`); repeating the paragraph with each
of its citations makes an answer grow with the square of the text. An excerpt runs at most
`EXCERPT_WIDTH` characters either side of its citation and never past the neighbouring citations
of the same paragraph, so a character is in at most two excerpts and a paragraph's excerpts
together stay within about twice its length, however many citations it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = ["EXCERPT_MAX", "EXCERPT_WIDTH", "bounded_json", "citation_excerpts", "excerpt", "excerpts"]

EXCERPT_WIDTH = 60
# However long a citation's own text: an excerpt is at most this many characters of its paragraph
# (so at most four times as many bytes), besides its two `…`. The extractor's symbols are far
# shorter; only a text that is not one could reach it.
EXCERPT_MAX = 2 * EXCERPT_WIDTH + 80
ELLIPSIS = "…"


def _spans(paragraph: str, raws: Iterable[str]) -> Iterator[tuple[int, int]]:
    # Each citation where its text first occurs after the previous one; a citation whose text
    # is not in the paragraph (a symbol broken over two lines, say) sits where the last one ended.
    pos = 0
    for raw in raws:
        i = paragraph.find(raw, pos) if raw else -1
        if i < 0:
            yield pos, pos
        else:
            pos = i + len(raw)
            yield i, pos


def _cut(paragraph: str, start: int, end: int, before: int, after: int, width: int) -> str:
    # `before`/`after`: where the neighbouring citations end and start
    lo = min(max(start - width, before, 0), start)
    hi = max(min(end + width, after), end)
    if hi - lo > EXCERPT_MAX:
        lo, hi = start, start + EXCERPT_MAX
    return (ELLIPSIS if lo > 0 else "") + paragraph[lo:hi] + (ELLIPSIS if hi < len(paragraph) else "")


def excerpts(paragraph: str, raws: Iterable[str], width: int = EXCERPT_WIDTH,
             wanted: range | None = None) -> list[str]:
    """In: a paragraph and the raw text of each of its citations, in text order. Out: one excerpt
    per citation, `…` marking where the paragraph goes on; with `wanted`, only the excerpts of
    those positions of `raws` (the others still bound their neighbours)."""
    out = []
    spans = _spans(paragraph, raws)
    before, span = 0, next(spans, None)
    k = 0
    while span is not None:
        following = next(spans, None)
        if wanted is None or k in wanted:
            after = following[0] if following is not None else len(paragraph)
            out.append(_cut(paragraph, span[0], span[1], before, after, width))
        before, span = span[1], following
        k += 1
    return out


def excerpt(paragraph: str, raw: str, width: int = EXCERPT_WIDTH) -> str:
    """The excerpt of one citation of `paragraph` (`excerpts` with no neighbours)."""
    return excerpts(paragraph, [raw], width)[0]


def _paragraph_key(c) -> tuple:
    # A link-only citation has no paragraph index: its line is its paragraph.
    return (c.paragraph_index, None) if c.paragraph_index is not None else (None, c.paragraph)


def citation_excerpts(citations: Sequence, start: int = 0, stop: int | None = None) -> list[str]:
    """The excerpt of each of `citations[start:stop]` (the extractor's, in text order), computed
    per paragraph so that neighbours bound each other, those outside the slice too: a citation
    has the same excerpt on every page of a list."""
    stop = len(citations) if stop is None else min(stop, len(citations))
    if start >= stop:
        return []
    # the paragraphs of the slice, each with its citations up to the first one past the slice
    groups: dict[tuple, list[int]] = {_paragraph_key(citations[k]): [] for k in range(start, stop)}
    open_groups = len(groups)
    for k, c in enumerate(citations):
        ks = groups.get(_paragraph_key(c))
        if ks is None or (ks and ks[-1] >= stop):
            continue
        ks.append(k)
        if k >= stop:
            open_groups -= 1
            if not open_groups:
                break
    out = [""] * (stop - start)
    for ks in groups.values():
        inside = [i for i, k in enumerate(ks) if start <= k < stop]
        wanted = range(inside[0], inside[-1] + 1)
        paragraph = citations[ks[0]].paragraph
        texts = excerpts(paragraph, (citations[k].raw for k in ks), wanted=wanted)
        for k, text in zip(ks[wanted.start:wanted.stop], texts):
            out[k - start] = text
    return out


def bounded_json(citations: Sequence, start: int = 0,
                 stop: int | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The extractor's citations as an answer sends them: each citation of `citations[start:stop]`
    (all by default) as its `to_json()` with its `paragraph` cut to its excerpt, and each
    paragraph that holds one of them, once, as `{"index", "text", "location"}` by its
    `paragraph_index` (`POST /api/extract` a page at a time, `lineage extract --json` all at
    once). The answer stays within a few times the text's length."""
    page = citations[start:stop]
    around = citation_excerpts(citations, start, stop)
    items = []
    for c, text in zip(page, around):
        item = c.to_json()
        item["paragraph"] = text
        items.append(item)
    held = {c.paragraph_index: c for c in page if c.paragraph_index is not None}
    paragraphs = [{"index": i, "text": c.paragraph, "location": c.location} for i, c in sorted(held.items())]
    return items, paragraphs
