"""The words around a citation: what an answer shows of its paragraph instead of a copy of it.

A paragraph may list thousands of symbols (`第1/1号、第1/2号、…`); repeating the paragraph with each
of its citations makes an answer grow with the square of the text. An excerpt runs at most
`EXCERPT_WIDTH` characters either side of its citation and never past the neighbouring citations
of the same paragraph, so a character is in at most two excerpts and a paragraph's excerpts
together stay within about twice its length, however many citations it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["EXCERPT_WIDTH", "bounded_json", "citation_excerpts", "excerpt", "excerpts"]

EXCERPT_WIDTH = 60
ELLIPSIS = "…"


def _spans(paragraph: str, raws: Sequence[str]) -> list[tuple[int, int]]:
    # Each citation where its text first occurs after the previous one; a citation whose text
    # is not in the paragraph (a symbol broken over two lines, say) sits where the last one ended.
    spans, pos = [], 0
    for raw in raws:
        i = paragraph.find(raw, pos) if raw else -1
        if i < 0:
            spans.append((pos, pos))
        else:
            spans.append((i, i + len(raw)))
            pos = i + len(raw)
    return spans


def excerpts(paragraph: str, raws: Sequence[str], width: int = EXCERPT_WIDTH) -> list[str]:
    """In: a paragraph and the raw text of each of its citations, in text order. Out: one excerpt
    per citation, `…` marking where the paragraph goes on."""
    spans = _spans(paragraph, raws)
    out = []
    for k, (start, end) in enumerate(spans):
        lo = max(start - width, spans[k - 1][1] if k else 0, 0)
        hi = min(end + width, spans[k + 1][0] if k + 1 < len(spans) else len(paragraph))
        lo, hi = min(lo, start), max(hi, end)
        out.append((ELLIPSIS if lo > 0 else "") + paragraph[lo:hi] + (ELLIPSIS if hi < len(paragraph) else ""))
    return out


def excerpt(paragraph: str, raw: str, width: int = EXCERPT_WIDTH) -> str:
    """The excerpt of one citation of `paragraph` (`excerpts` with no neighbours)."""
    return excerpts(paragraph, [raw], width)[0]


def citation_excerpts(citations: Sequence) -> list[str]:
    """The excerpt of each of `citations` (the extractor's, in text order), computed per paragraph
    so that neighbours bound each other."""
    groups: dict[tuple, list[int]] = {}
    for k, c in enumerate(citations):
        # A link-only citation has no paragraph index: its line is its paragraph.
        key = (c.paragraph_index, None) if c.paragraph_index is not None else (None, c.paragraph)
        groups.setdefault(key, []).append(k)
    out = [""] * len(citations)
    for ks in groups.values():
        paragraph = citations[ks[0]].paragraph
        for k, text in zip(ks, excerpts(paragraph, [citations[k].raw for k in ks])):
            out[k] = text
    return out


def bounded_json(citations: Sequence) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The extractor's citations as an answer sends them: each citation's `to_json()` with its
    `paragraph` cut to its excerpt, and each paragraph that holds one, once, as
    `{"index", "text", "location"}` by its `paragraph_index` (`POST /api/extract`,
    `lineage extract --json`). The answer stays within a few times the text's length."""
    around = citation_excerpts(citations)
    items = []
    for k, c in enumerate(citations):
        item = c.to_json()
        item["paragraph"] = around[k]
        items.append(item)
    held = {c.paragraph_index: c for c in citations if c.paragraph_index is not None}
    paragraphs = [{"index": i, "text": c.paragraph, "location": c.location} for i, c in sorted(held.items())]
    return items, paragraphs
