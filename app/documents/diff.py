"""Diff of two texts of a series, paragraph by paragraph.

The paragraphs are the extractor's logical paragraphs (`app.citations.pipeline.paragraphs`:
reassembled across line and page breaks, footnotes and furniture left out, each with its
location). Only the resolution is compared: its preambular paragraphs with the other text's
preambular ones, its operative paragraphs with the operative ones; a letter's own paragraphs
and the footnotes are not.

Alignment, per section:
1. identical paragraphs pair up first (compared without the operative number and the footnote
   marks, which renumber from one text to the next);
2. the remaining pairs are taken best first by `difflib.SequenceMatcher` ratio on tokens
   (below), down to `THRESHOLD`: 0.36, the lowest ratio of paragraphs that the seed texts
   carry from one text to the next (`决定…临时议程…` in the SCO 2008 letter and A/77/L.107),
   above that of paragraphs that merely share the organization's name;
3. of the pairs, those on a longest increasing run of positions are in place; the others
   `moved`. Unpaired paragraphs of the first text are `removed`, of the second `added`.

A changed paragraph is compared token by token: every CJK character is a token (so Chinese is
compared character by character), a run of Latin letters or digits is one, so English is
compared word by word. Rows come in the second text's order, each removed paragraph after the
paragraph that preceded it in the first text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from difflib import SequenceMatcher

SECTIONS = ("preamble", "operative")
THRESHOLD = 0.36

_SUP = re.compile(r"\s*<sup>\s*[^<>]{1,8}\s*</sup>")
_NUMBER = re.compile(r"^\s*(\d{1,3})\s?[.．]\s*")
_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+|\s+|.", re.S)


@dataclass
class Para:
    position: int  # 0-based within its section
    number: str | None  # the operative number as written ("1")
    text: str  # without the number and footnote marks


@dataclass
class Row:
    status: str  # same | changed | moved | added | removed
    a: Para | None
    b: Para | None
    ratio: float = 1.0
    segments: list[tuple[str, str]] = field(default_factory=list)  # (equal|insert|delete, text)

    @property
    def changed(self) -> bool:
        return self.a is not None and self.b is not None and self.a.text != self.b.text


@dataclass
class SectionDiff:
    name: str
    rows: list[Row]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


@dataclass
class TextDiff:
    sections: list[SectionDiff]

    def count(self, status: str) -> int:
        return sum(s.count(status) for s in self.sections)

    @property
    def empty(self) -> bool:
        return not any(s.rows for s in self.sections)


def _clean(text: str) -> tuple[str | None, str]:
    text = _SUP.sub("", text).strip()
    m = _NUMBER.match(text)
    if m:
        return m.group(1), text[m.end():].strip()
    return None, text


def sections(text: str | None) -> dict[str, list[Para]]:
    """The preambular and operative paragraphs of a text, in order."""
    from app.citations.pipeline import paragraphs

    out: dict[str, list[Para]] = {name: [] for name in SECTIONS}
    for p in paragraphs(text or ""):
        if p.kind == "footnote" or p.location not in out:
            continue
        number, body = _clean(p.text)
        if body:
            out[p.location].append(Para(len(out[p.location]), number, body))
    return out


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def inline(a: str, b: str) -> list[tuple[str, str]]:
    """Segments turning `a` into `b`: `equal`, `delete` (only in a), `insert` (only in b)."""
    ta, tb = tokens(a), tokens(b)
    out: list[tuple[str, str]] = []

    def push(op: str, s: str) -> None:
        if not s:
            return
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + s)
        else:
            out.append((op, s))

    for op, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op == "equal":
            push("equal", "".join(ta[i1:i2]))
        else:
            push("delete", "".join(ta[i1:i2]))
            push("insert", "".join(tb[j1:j2]))
    return out


def _ratio(a: str, b: str) -> float:
    m = SequenceMatcher(None, tokens(a), tokens(b), autojunk=False)
    if m.real_quick_ratio() < THRESHOLD or m.quick_ratio() < THRESHOLD:
        return 0.0
    return m.ratio()


def _increasing(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pairs (a, b), sorted by b, on a longest run increasing in a (patience sorting)."""
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (ai, _) in enumerate(pairs):
        i = bisect_left(tails, ai)
        if i == len(tails):
            tails.append(ai)
            tail_at.append(k)
        else:
            tails[i] = ai
            tail_at[i] = k
        back[k] = tail_at[i - 1] if i else -1
    keep: set[tuple[int, int]] = set()
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        keep.add(pairs[k])
        k = back[k]
    return keep


def align(a: list[Para], b: list[Para]) -> list[Row]:
    """Rows for one section (see the module docstring)."""
    match: dict[int, tuple[int, float]] = {}  # b position -> (a position, ratio)
    used_a: set[int] = set()
    for pb in b:
        for pa in a:
            if pa.position not in used_a and pa.text == pb.text:
                match[pb.position] = (pa.position, 1.0)
                used_a.add(pa.position)
                break
    candidates = []
    for pb in b:
        if pb.position in match:
            continue
        for pa in a:
            if pa.position in used_a:
                continue
            r = _ratio(pa.text, pb.text)
            if r >= THRESHOLD:
                candidates.append((r, -abs(pa.position - pb.position), pa.position, pb.position))
    for r, _, ai, bi in sorted(candidates, reverse=True):
        if bi in match or ai in used_a:
            continue
        match[bi] = (ai, r)
        used_a.add(ai)

    pairs = sorted((ai, bi) for bi, (ai, _) in match.items())
    pairs.sort(key=lambda p: p[1])
    in_place = _increasing(pairs)

    rows: list[Row] = []
    removed = [pa for pa in a if pa.position not in used_a]
    emitted: set[int] = set()

    def flush_removed(before: int) -> None:
        for pa in removed:
            if pa.position < before and pa.position not in emitted:
                emitted.add(pa.position)
                rows.append(Row("removed", pa, None, 0.0))

    for pb in b:
        if pb.position not in match:
            rows.append(Row("added", None, pb, 0.0))
            continue
        ai, r = match[pb.position]
        pa = a[ai]
        if (ai, pb.position) in in_place:
            flush_removed(ai)
            status = "same" if pa.text == pb.text else "changed"
        else:
            status = "moved"
        row = Row(status, pa, pb, r)
        if pa.text != pb.text:
            row.segments = inline(pa.text, pb.text)
        rows.append(row)
    flush_removed(len(a) + 1)
    return rows


def diff_texts(a_text: str | None, b_text: str | None) -> TextDiff:
    """The paragraph diff of two texts, preamble then operative part."""
    sa, sb = sections(a_text), sections(b_text)
    return TextDiff([SectionDiff(name, align(sa[name], sb[name])) for name in SECTIONS])


class BadSpec(ValueError):
    """A diff spec that is not `{a}...{b}`."""


def parse_spec(spec: str) -> tuple[str, str]:
    """`A/RES/64/183...A/77/L.107` -> ("A/RES/64/183", "A/77/L.107")."""
    parts = spec.split("...")
    if len(parts) != 2 or not parts[0].strip("/ ") or not parts[1].strip("/ "):
        raise BadSpec(
            f"{spec!r} is not a comparison: write /diff/FIRST...SECOND, two symbols or keys "
            "joined by three dots, e.g. /diff/seed-002-cad8b63664231793...seed-004-5f2f1bc2f128ea34."
        )
    return parts[0].strip("/ "), parts[1].strip("/ ")
