"""Diff of two texts of a series, paragraph by paragraph.

The paragraphs are the extractor's logical paragraphs (`app.citations.pipeline.paragraphs`:
reassembled across line and page breaks, footnotes and furniture left out, each with its
location). Only the resolution is compared: its preambular paragraphs with the other text's
preambular ones, its operative paragraphs with the operative ones; a letter's own paragraphs
and the footnotes are not.

Alignment, per section:
1. identical paragraphs pair up first (compared without the operative number and the footnote
   marks, which renumber from one text to the next), by a table of the texts: each paragraph of
   the second text takes the first paragraph of the same text not yet taken;
2. the remaining pairs are taken best first by `difflib.SequenceMatcher` ratio on tokens
   (below), down to `THRESHOLD`: 0.36, the lowest ratio of paragraphs that the seed texts
   carry from one text to the next (`决定…临时议程…` in the SCO 2008 letter and A/77/L.107),
   above that of paragraphs that merely share the organization's name;
3. of the pairs, those on a longest increasing run of positions are in place; the others
   `moved`. Unpaired paragraphs of the first text are `removed`, of the second `added`.

Step 2 scores every remaining pair only while they are few (`ALL_PAIRS`, more than any two seed
texts leave). Beyond, two texts of hundreds of paragraphs each edited a little would cost
a ratio for every pair: a paragraph is scored only against the paragraphs of the first text
that stand where it stands (`BAND` either side, in the same stretch between the identical
paragraphs in place) and the few (`SHARED`) with which it shares the most rare word pairs
(a pair of tokens found in at most `RARE` of them), so a paragraph edited and moved is still
found. The work grows with the texts' size, not its square.

A changed paragraph is compared token by token: every CJK character is a token (so Chinese is
compared character by character), a run of Latin letters or digits is one, so English is
compared word by word. Two token lists are compared whole by `SequenceMatcher` up to
`TOKEN_PAIRS` (its work is up to the product of their lengths); longer ones lose their common
start and end, then are cut at the tokens (else the runs of 4 or 16 tokens) found once in each
and on a longest increasing run (patience diff), down to pieces small enough. Once the diff has
given SequenceMatcher `WORK_BUDGET`, the rest is compared by cutting alone (coarser, never
slower than linear). Rows come in the second text's order, each removed paragraph after the
paragraph that preceded it in the first text.

Every function whose work grows with the texts takes a `Deadline` and checks it between steps.
The page compares texts inline up to `INLINE_MAX_CHARS`; longer ones are offered as a plain
unified diff by paragraph (`unified`), from the same alignment.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from heapq import heapify, heappop, heappush

from app.budget import UNLIMITED, Deadline

SECTIONS = ("preamble", "operative")
THRESHOLD = 0.36

# Up to this many pairs of unpaired paragraphs in a section, every pair is scored. The seed
# texts leave at most 322 (23 preambular paragraphs against 14); a ratio of two paragraphs of
# ~70 tokens costs about 0.4 ms.
ALL_PAIRS = 400
# Beyond, a paragraph is scored against the paragraphs of the first text this many places
# either side of where it stands, and the SHARED sharing the most pairs of tokens found in at
# most RARE paragraphs of the first text (each pair counting 1/paragraphs holding it), if they
# share at least half as much as the first.
BAND = 2
SHARED = 4
RARE = 4
# Two token lists are compared whole by SequenceMatcher up to this product of their lengths
# (300 tokens each: the longest seed paragraphs have 294 and 276). Its work is at most about
# the product (measured: 0.1-0.4 µs per unit, whatever the tokens: a character repeated, two
# alternating, a shuffled paragraph), so a product this size costs up to ~35 ms.
TOKEN_PAIRS = 90_000
# And while the diff of two texts has given SequenceMatcher less than this sum of products
# (~0.8 s at most, measured; two versions of a text of 400 paragraphs of 75 words use 2.4M);
# then only by cutting (below).
WORK_BUDGET = 2_500_000
# Longer lists are cut at unique tokens (or runs of tokens); cutting costs their length times the
# run's, and stops at this many times their length (the rest of such a pair is shown replaced
# whole): a cut of every run length, then one more of all pieces' total length at most.
CUT_WORK = 48
# The page compares texts inline up to this many characters of compared paragraphs (both
# texts together); beyond, it offers the unified diff. At the limit, two Chinese texts of 1,000
# paragraphs each edited make a page of ~400 KB in ~0.7 s; shuffled words, up to ~1 s.
INLINE_MAX_CHARS = 120_000

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
class Effort:
    """The work a diff did, counted where it could grow faster than the texts: `pairs` of
    paragraphs scored (an upper bound of their ratio), `tokens` compared by SequenceMatcher
    (the sum of the products of the lengths of the lists it was given, up to `budget`), and
    tokens `cut` at unique tokens."""

    pairs: int = 0
    tokens: int = 0
    cut: int = 0
    budget: int = WORK_BUDGET

    def afford(self, product: int) -> bool:
        """Whether SequenceMatcher may compare two lists of this product of lengths; if so, it
        is counted."""
        if product > TOKEN_PAIRS or self.tokens + product > self.budget:
            return False
        self.tokens += product
        return True


@dataclass
class SectionDiff:
    name: str
    rows: list[Row]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


@dataclass
class TextDiff:
    sections: list[SectionDiff]
    effort: Effort = field(default_factory=Effort)

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


def compared_chars(sa: dict[str, list[Para]], sb: dict[str, list[Para]]) -> int:
    """The characters of the paragraphs the diff of two texts' sections compares."""
    return sum(len(p.text) for s in (sa, sb) for name in SECTIONS for p in s[name])


def too_long(sa: dict[str, list[Para]], sb: dict[str, list[Para]]) -> bool:
    """Whether two texts are over what the page compares inline (`INLINE_MAX_CHARS`)."""
    return compared_chars(sa, sb) > INLINE_MAX_CHARS


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


# --- token lists: matching blocks, bounded ---------------------------------------------------


def _unique_anchors(a: list[str], alo: int, ahi: int, b: list[str], blo: int, bhi: int,
                    k: int) -> list[tuple[int, int]]:
    """Pairs (i, j), a[i:i+k] == b[j:j+k] found once in a[alo:ahi] and once in b[blo:bhi], on a
    longest run increasing in both, none overlapping the one before."""
    def runs(seq: list[str], lo: int, hi: int) -> list:
        return seq[lo:hi] if k == 1 else [tuple(seq[i:i + k]) for i in range(lo, hi - k + 1)]

    in_a, in_b = runs(a, alo, ahi), runs(b, blo, bhi)
    count_a, count_b = Counter(in_a), Counter(in_b)
    at_b = {run: blo + j for j, run in enumerate(in_b) if count_b[run] == 1}
    # in increasing i: keep a longest run increasing in j
    by_j = [(at_b[run], alo + i) for i, run in enumerate(in_a) if count_a[run] == 1 and run in at_b]
    out: list[tuple[int, int]] = []
    for i, j in sorted((i, j) for j, i in _increasing(by_j)):
        if not out or (i >= out[-1][0] + k and j >= out[-1][1] + k):
            out.append((i, j))
    return out


# Runs of tokens a long list is cut at: single tokens found once in each, else runs of 4, of 16
# (a long Chinese paragraph may repeat every character it has).
CUT_RUNS = (1, 4, 16)


def _matching_blocks(a: list[str], b: list[str], effort: Effort, deadline: Deadline) -> list[tuple[int, int, int]]:
    """Blocks (i, j, n), a[i:i+n] == b[j:j+n], increasing in i and j, without adjacent blocks.
    As SequenceMatcher's (autojunk off) up to TOKEN_PAIRS and WORK_BUDGET; longer lists are
    first cut as the module docstring says."""
    if effort.afford(len(a) * len(b)):
        return [tuple(m) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()[:-1]]
    blocks: list[tuple[int, int, int]] = []
    cut_left = CUT_WORK * (len(a) + len(b))
    ranges = [(0, len(a), 0, len(b))]
    while ranges:
        deadline.check()
        alo, ahi, blo, bhi = ranges.pop()
        n = 0
        while alo + n < ahi and blo + n < bhi and a[alo + n] == b[blo + n]:
            n += 1
        if n:
            blocks.append((alo, blo, n))
            alo, blo = alo + n, blo + n
        n = 0
        while ahi - n > alo and bhi - n > blo and a[ahi - n - 1] == b[bhi - n - 1]:
            n += 1
        if n:
            blocks.append((ahi - n, bhi - n, n))
            ahi, bhi = ahi - n, bhi - n
        if alo == ahi or blo == bhi:
            continue
        if effort.afford((ahi - alo) * (bhi - blo)):
            matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            blocks.extend((alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks()[:-1])
            continue
        anchors: list[tuple[int, int]] = []
        for k in CUT_RUNS:
            work = k * ((ahi - alo) + (bhi - blo))
            if work > cut_left:
                break  # replaced whole
            cut_left -= work
            effort.cut += work
            anchors = _unique_anchors(a, alo, ahi, b, blo, bhi, k)
            if anchors:
                break
        i0, j0 = alo, blo
        for i, j in anchors:
            blocks.append((i, j, k))
            ranges.append((i0, i, j0, j))
            i0, j0 = i + k, j + k
        if anchors:
            ranges.append((i0, ahi, j0, bhi))
    blocks.sort()
    merged: list[tuple[int, int, int]] = []
    for i, j, n in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    return merged


def _opcodes(blocks: list[tuple[int, int, int]], la: int, lb: int) -> Iterator[tuple[str, int, int, int, int]]:
    """SequenceMatcher.get_opcodes, from matching blocks."""
    i = j = 0
    for ai, bj, n in [*blocks, (la, lb, 0)]:
        tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert" if j < bj else ""
        if tag:
            yield tag, i, ai, j, bj
        i, j = ai + n, bj + n
        if n:
            yield "equal", ai, i, bj, j


def _segments(ta: list[str], tb: list[str], effort: Effort, deadline: Deadline,
              blocks: list[tuple[int, int, int]] | None = None) -> list[tuple[str, str]]:
    """Segments turning `ta` into `tb` (see `inline`), from their matching blocks if known."""
    if blocks is None:
        blocks = _matching_blocks(ta, tb, effort, deadline)
    out: list[tuple[str, str]] = []

    def push(op: str, s: str) -> None:
        if not s:
            return
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + s)
        else:
            out.append((op, s))

    for op, i1, i2, j1, j2 in _opcodes(blocks, len(ta), len(tb)):
        if op == "equal":
            push("equal", "".join(ta[i1:i2]))
        else:
            push("delete", "".join(ta[i1:i2]))
            push("insert", "".join(tb[j1:j2]))
    return out


def inline(a: str, b: str, deadline: Deadline = UNLIMITED) -> list[tuple[str, str]]:
    """Segments turning `a` into `b`: `equal`, `delete` (only in a), `insert` (only in b)."""
    return _segments(tokens(a), tokens(b), Effort(), deadline)


# --- paragraphs: pairing ----------------------------------------------------------------------


def _bound(matcher: SequenceMatcher, ta: list[str], effort: Effort) -> float:
    """An upper bound of the ratio of `ta` to the second list `matcher` holds (its
    `quick_ratio`), 0 below THRESHOLD."""
    effort.pairs += 1
    matcher.set_seq1(ta)
    if matcher.real_quick_ratio() < THRESHOLD:
        return 0.0
    bound = matcher.quick_ratio()
    return bound if bound >= THRESHOLD else 0.0


def _shingles(toks: list[str]) -> set:
    """Pairs of neighbouring tokens, spaces left out (the token itself in a one-token text)."""
    words = [t for t in toks if not t.isspace()]
    return set(zip(words, words[1:])) if len(words) > 1 else set(words)


def _candidates(free_a: list[Para], free_b: list[Para], in_place: list[tuple[int, int]],
                toks: dict[int, list[str]], deadline: Deadline) -> dict[int, list[Para]]:
    """For each unpaired paragraph of the second text (by position), the unpaired ones of the
    first text it is scored against (see the module docstring)."""
    if len(free_a) * len(free_b) <= ALL_PAIRS:
        return {pb.position: free_a for pb in free_b}
    # the stretches between the identical paragraphs in place
    anchors_a = [ai for ai, _ in in_place]
    anchors_b = [bi for _, bi in in_place]
    stretch_a: dict[int, list[Para]] = defaultdict(list)
    for pa in free_a:
        stretch_a[bisect_left(anchors_a, pa.position)].append(pa)
    stretch_b: dict[int, list[Para]] = defaultdict(list)
    for pb in free_b:
        stretch_b[bisect_left(anchors_b, pb.position)].append(pb)
    # pairs of tokens found in few paragraphs of the first text
    holders: dict[object, list[int]] = {}
    for k, pa in enumerate(free_a):
        for s in _shingles(toks[id(pa)]):
            held = holders.setdefault(s, [])
            if len(held) <= RARE:
                held.append(k)
    deadline.check()
    out: dict[int, list[Para]] = {}
    for g, bs in stretch_b.items():
        as_ = stretch_a.get(g, [])
        for j, pb in enumerate(bs):
            chosen: dict[int, Para] = {}
            if as_:
                centre = (2 * j + 1) * len(as_) // (2 * len(bs))
                for pa in as_[max(0, centre - BAND): centre + BAND + 1]:
                    chosen[pa.position] = pa
            score: Counter = Counter()
            for s in _shingles(toks[id(pb)]):
                held = holders.get(s)
                if held and len(held) <= RARE:
                    for k in held:
                        score[k] += 1.0 / len(held)
            best = sorted(score, key=lambda k: (-score[k], abs(free_a[k].position - pb.position), k))[:SHARED]
            for k in best:
                if score[k] * 2 >= score[best[0]]:  # not those sharing only a pair or two
                    chosen[free_a[k].position] = free_a[k]
            out[pb.position] = sorted(chosen.values(), key=lambda p: p.position)
        deadline.check()
    return out


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


def align(a: list[Para], b: list[Para], deadline: Deadline = UNLIMITED, *,
          effort: Effort | None = None, segments: bool = True) -> list[Row]:
    """Rows for one section (see the module docstring); `segments=False` leaves out the
    token-by-token comparison of changed paragraphs."""
    effort = effort if effort is not None else Effort()
    match: dict[int, tuple[int, float]] = {}  # b position -> (a position, ratio)
    same_text: dict[str, deque[int]] = defaultdict(deque)
    for pa in a:
        same_text[pa.text].append(pa.position)
    for pb in b:
        waiting = same_text.get(pb.text)
        if waiting:
            match[pb.position] = (waiting.popleft(), 1.0)
    used_a = {ai for ai, _ in match.values()}
    deadline.check()

    free_a = [pa for pa in a if pa.position not in used_a]
    free_b = [pb for pb in b if pb.position not in match]
    toks = {id(p): tokens(p.text) for p in (*free_a, *free_b)}
    identical_in_place = sorted(_increasing(sorted(((ai, bi) for bi, (ai, _) in match.items()), key=lambda p: p[1])),
                                key=lambda p: p[1])
    scored_against = _candidates(free_a, free_b, identical_in_place, toks, deadline)
    # Best pairs first: a pair enters with its ratio's upper bound (cheap), and is scored when
    # that bound comes first; a pair is taken when its ratio comes first. The pairs taken are
    # those of scoring every pair and sorting: a pair's bound is never below its ratio, and of
    # equal values the bound comes first.
    heap: list[tuple[float, int, int, int, int]] = []  # (-value, scored, distance, -a, -b)
    for pb in free_b:
        deadline.check()
        tb = toks[id(pb)]
        matcher = SequenceMatcher(None, (), tb, autojunk=False)
        for pa in scored_against[pb.position]:
            bound = _bound(matcher, toks[id(pa)], effort)
            if bound:
                heap.append((-bound, 0, abs(pa.position - pb.position), -pa.position, -pb.position))
    heapify(heap)
    blocks: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    while heap:
        value, scored, distance, ai, bi = heappop(heap)
        ai, bi = -ai, -bi
        if bi in match or ai in used_a:
            continue
        if scored:
            match[bi] = (ai, -value)
            used_a.add(ai)
            continue
        deadline.check()
        ta, tb = toks[id(a[ai])], toks[id(b[bi])]
        blocks[ai, bi] = found = _matching_blocks(ta, tb, effort, deadline)
        r = 2.0 * sum(n for _, _, n in found) / (len(ta) + len(tb))
        if r >= THRESHOLD:
            heappush(heap, (-r, 1, distance, -ai, -bi))

    pairs = sorted((ai, bi) for bi, (ai, _) in match.items())
    pairs.sort(key=lambda p: p[1])
    in_place = _increasing(pairs)

    rows: list[Row] = []
    removed = deque(pa for pa in a if pa.position not in used_a)

    def flush_removed(before: int) -> None:
        while removed and removed[0].position < before:
            rows.append(Row("removed", removed.popleft(), None, 0.0))

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
        if segments and pa.text != pb.text:
            deadline.check()
            row.segments = _segments(toks[id(pa)], toks[id(pb)], effort, deadline, blocks.get((ai, pb.position)))
        rows.append(row)
    flush_removed(len(a) + 1)
    return rows


def diff_sections(sa: dict[str, list[Para]], sb: dict[str, list[Para]], deadline: Deadline = UNLIMITED, *,
                  segments: bool = True) -> TextDiff:
    """The paragraph diff of two texts' `sections`, preamble then operative part."""
    effort = Effort()
    out = [SectionDiff(name, align(sa[name], sb[name], deadline, effort=effort, segments=segments))
           for name in SECTIONS]
    return TextDiff(out, effort)


def diff_texts(a_text: str | None, b_text: str | None, deadline: Deadline = UNLIMITED, *,
               segments: bool = True) -> TextDiff:
    """The paragraph diff of two texts, preamble then operative part."""
    sa = sections(a_text)
    deadline.check()
    sb = sections(b_text)
    deadline.check()
    return diff_sections(sa, sb, deadline, segments=segments)


# --- a unified diff by paragraph --------------------------------------------------------------

UNIFIED_CONTEXT = 3


def _line(p: Para) -> str:
    text = " ".join(p.text.splitlines())  # one line a paragraph
    return f"{p.number}. {text}" if p.number else text


def _section_lines(rows: list[Row]) -> list[tuple[str, Para | None, Para | None]]:
    """The rows as (' ' | '-' | '+', paragraph of the first text, of the second), in an order
    where the ' ' and '-' lines are the first text's paragraphs in order, and the ' ' and '+'
    lines the second's: a moved paragraph is taken out where it was and put in where it is."""
    in_place = [r for r in rows if r.status in ("same", "changed")]  # increasing in a and in b
    only_a = sorted((r.a for r in rows if r.status in ("removed", "moved")), key=lambda p: p.position)
    only_b = sorted((r.b for r in rows if r.status in ("added", "moved")), key=lambda p: p.position)
    out: list[tuple[str, Para | None, Para | None]] = []
    ia = ib = 0
    for r in [*in_place, None]:
        a_end = r.a.position if r else float("inf")
        b_end = r.b.position if r else float("inf")
        while ia < len(only_a) and only_a[ia].position < a_end:
            out.append(("-", only_a[ia], None))
            ia += 1
        while ib < len(only_b) and only_b[ib].position < b_end:
            out.append(("+", None, only_b[ib]))
            ib += 1
        if r is None:
            break
        if r.status == "same":
            out.append((" ", r.a, r.b))
        else:
            out.append(("-", r.a, None))
            out.append(("+", None, r.b))
    return out


def unified(diff: TextDiff, label_a: str, label_b: str, deadline: Deadline = UNLIMITED) -> Iterator[str]:
    """A unified diff of two texts by paragraph (one line each, numbered as written), section by
    section, with UNIFIED_CONTEXT paragraphs of context: lines ending in a newline."""
    for section in diff.sections:
        deadline.check()
        lines = _section_lines(section.rows)
        changes = [k for k, (op, _, _) in enumerate(lines) if op != " "]
        if not changes:
            continue
        yield f"--- {label_a} ({section.name})\n"
        yield f"+++ {label_b} ({section.name})\n"
        # hunks: the changes with their context, merged where the contexts meet
        hunks: list[list[int]] = []
        for k in changes:
            lo, hi = max(0, k - UNIFIED_CONTEXT), min(len(lines), k + UNIFIED_CONTEXT + 1)
            if hunks and lo <= hunks[-1][1]:
                hunks[-1][1] = max(hunks[-1][1], hi)
            else:
                hunks.append([lo, hi])
        a_line = [0] * (len(lines) + 1)  # paragraphs of each text before line k
        b_line = [0] * (len(lines) + 1)
        for k, (op, _, _) in enumerate(lines):
            a_line[k + 1] = a_line[k] + (op != "+")
            b_line[k + 1] = b_line[k] + (op != "-")
        for lo, hi in hunks:
            na, nb = a_line[hi] - a_line[lo], b_line[hi] - b_line[lo]
            yield f"@@ -{a_line[lo] + (na > 0)},{na} +{b_line[lo] + (nb > 0)},{nb} @@\n"
            for op, pa, pb in lines[lo:hi]:
                yield f"{op}{_line(pa if op != '+' else pb)}\n"


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
