"""The extraction pipeline: clean -> find -> verbs/dates/footnotes/links -> `Citation`s.

See docs/extraction.md for the contract every rule here implements.
"""

from __future__ import annotations

import datetime
import gc
import re
from bisect import bisect_left, bisect_right
from dataclasses import replace
from operator import attrgetter

from app.budget import UNLIMITED, Deadline

from .clean import Document, Paragraph, fold, split
from .find import CHECK_EVERY, Found, attach_date, find_calls, find_dates, find_symbols, normalize
from .languages import LANGUAGES
from .models import Citation
from .verbs import Lexicon, governing, lexicon

__all__ = ["detect_language", "extract", "paragraphs"]

# What tells the languages apart (their tables): a script of their own, else frequent words.
_SCRIPTS = {lang.code: re.compile(lang.script) for lang in LANGUAGES if lang.script}
_WORDS = {lang.code: re.compile(lang.function_words, re.I) for lang in LANGUAGES if lang.function_words}


_NOT_LETTER = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))


def detect_language(text: str) -> str:
    """Guess the language of a UN text from its script and a few function words.

    In: any text. Out: `'zh'`, `'en'`, `'fr'`, `'es'`, `'ru'` or `'ar'` (`'en'` when unsure).
    A Chinese text with an English masthead (seed 002: `Distr.: General`) is `'zh'`.
    """
    if not isinstance(text, str) or not text:
        return "en"
    sample = text[:4000]
    ascii_b = sample.encode("ascii", "ignore")
    non = len(sample) - len(ascii_b)
    if non == 0:
        return "en"
    letters = len(ascii_b.translate(None, _NOT_LETTER))
    # Counted without a per-character loop: CJK characters take 3 bytes in UTF-8, Cyrillic,
    # Arabic and accented Latin 2, so the extra bytes tell how many are CJK.
    extra = len(sample.encode("utf-8", "surrogatepass")) - len(sample)
    n3 = max(0, extra - non)
    # a CJK character carries about as much as a word of 4-5 latin letters
    if n3 * 4 >= letters and n3 * 2 >= non:
        return "zh"
    scripts = {code: len(p.findall(sample)) for code, p in _SCRIPTS.items()}
    best = max(scripts, key=lambda code: scripts[code])  # ties: the first table
    if scripts[best] * 2 >= letters:
        return best
    if n3 * 4 >= letters:
        return "zh"
    sample = sample[:2000]
    counts = {k: len(p.findall(sample)) for k, p in _WORDS.items()}
    return max(counts, key=lambda k: counts[k]) if any(counts.values()) else "en"


def _assign_locations(paras: list[Paragraph]) -> None:
    # docs "Location": `大会，` / `The General Assembly,` opens the resolution; paragraphs before
    # the first numbered one are preamble, numbered ones and what follows are operative;
    # footnotes are footnote; everything else (the letter, a memorandum, headings) is body.
    # An `附件` / `Annex` heading closes the resolution.
    state = "body"
    for p in paras:
        if p.kind == "footnote":
            p.location = "footnote"
            continue
        if p.anchor:
            state = "preamble"
            p.location = "body"
            continue
        if p.annex:
            state = "body"
        elif state == "preamble" and p.numbered:
            state = "operative"
        p.location = state


class _ParaCache:
    """Per-paragraph finder results (indexed by paragraph index), computed at most once."""

    __slots__ = ("lex", "paras", "found", "dates", "verbs", "calls", "latin")

    def __init__(self, lex: Lexicon, paras: list[Paragraph], deadline: Deadline = UNLIMITED):
        self.lex = lex
        self.latin = lex.lang != "zh"
        self.paras = paras
        self.found: list[list[Found]] = []
        for p in paras:
            deadline.check()
            self.found.append(find_symbols(p.folded, deadline))
        self.dates: list[list[tuple[int, int, datetime.date]] | None] = [None] * len(paras)
        self.verbs: list[list[tuple[int, int, str]] | None] = [None] * len(paras)
        self.calls: dict[int, list[tuple[str, int, bool]]] = {}

    def get_found(self, p: Paragraph) -> list[Found]:
        return self.found[p.index]

    def get_dates(self, p: Paragraph) -> list[tuple[int, int, datetime.date]]:
        r = self.dates[p.index]
        if r is None:
            r = self.dates[p.index] = find_dates(p.folded, self.latin)
        return r

    def get_verbs(self, p: Paragraph) -> list[tuple[int, int, str]]:
        r = self.verbs[p.index]
        if r is None:
            r = self.verbs[p.index] = self.lex.clause_verbs(p.folded)
        return r


def _bind_footnotes(doc: Document, cache: _ParaCache) -> dict[int, tuple[Paragraph, int]]:
    """footnote paragraph index -> (calling paragraph, call position in it).

    docs "Footnotes": `called_from` is the first paragraph that calls the mark. Marks may
    restart (numbering per page), so a call binds to the definition of its mark that is
    closest to it; a bare number call (`》1`) must stand before its definition.
    """
    fns = [p for p in doc.paragraphs if p.kind == "footnote" and p.mark is not None]
    if not fns:
        return {}
    marks = frozenset(p.mark for p in fns if p.mark is not None)
    # mark -> [(orig pos, bare, para, jpos)] in text order
    calls: dict[str, list[tuple[int, bool, Paragraph, int]]] = {}
    for p in doc.paragraphs:
        if p.kind != "body":
            continue
        found = find_calls(p.folded, marks)
        assert p.omap is not None
        for seg_i, mark in p.call_lines:
            # seed 003: the mark `1` alone on a line between `的声明，` and `其中强调`
            found.append((mark, p.omap.joined_starts[seg_i], False))
        if not found:
            continue
        seen: set[int] = set()
        kept: list[tuple[str, int, bool]] = []
        for mark, j, bare in sorted(found, key=lambda t: (t[1], t[2])):
            if j in seen:
                continue
            seen.add(j)
            kept.append((mark, j, bare))
            calls.setdefault(mark, []).append((p.omap.to_original(j), bare, p, j))
        cache.calls[p.index] = kept
    by_mark: dict[str, list[Paragraph]] = {}
    for f in fns:
        by_mark.setdefault(f.mark or "", []).append(f)
    out: dict[int, tuple[Paragraph, int]] = {}
    for mark, defs in by_mark.items():
        mcalls = calls.get(mark)
        if not mcalls:
            continue
        mcalls.sort(key=lambda t: t[0])
        # (bisect over positions keeps this linear-logarithmic when a mark recurs a lot)
        positions = [c[0] for c in mcalls]
        defs.sort(key=lambda f: f.def_pos)
        for k, f in enumerate(defs):
            lo = defs[k - 1].def_pos if k > 0 else -1
            hi = defs[k + 1].def_pos if k + 1 < len(defs) else None
            i = bisect_right(positions, lo)
            while i < len(mcalls):
                pos, bare, cp, j = mcalls[i]
                if hi is not None and pos >= hi:
                    break
                if bare and pos >= f.def_pos:
                    # a bare number after its definition is no call of it; neither are the
                    # later ones
                    break
                out[f.index] = (cp, j)
                break
    return out


_SEP = frozenset(",;")
_STOP = frozenset(",;。")


def _call_date(cp: Paragraph, j: int, cache: _ParaCache) -> datetime.date | None:
    # docs "Footnotes": the last date before the call mark when nothing but words stand
    # between them (no symbol, date, mark, or clause separator except one right before the
    # mark): `包括 2010 年 1 月 13 日<sup>3</sup>`, `2013 年 8 月 6 日的声明，<sup>4</sup>` (seed 004).
    dates = cache.get_dates(cp)
    i = bisect_right(dates, j, key=lambda d: d[1]) - 1
    if i < 0:
        return None
    ds, de, d = dates[i]
    found = cache.get_found(cp)
    k = bisect_left(found, de, key=lambda f: f.start)
    if k < len(found) and found[k].start < j:
        return None
    pcalls = cache.calls.get(cp.index, ())
    k = bisect_left(pcalls, de, key=lambda c: c[1])
    if k < len(pcalls) and pcalls[k][1] < j:
        return None
    gap = cp.folded[de:j].rstrip()
    if gap and gap[-1] in _SEP:
        gap = gap[:-1]
    if any(c in _STOP for c in gap):
        return None
    return d


def paragraphs(text: str, lang: str | None = None) -> list[Paragraph]:
    """The logical paragraphs of a text, footnotes included, in text order.

    In: the text as given (and optionally its language). Out: `Paragraph`s whose `index` is the
    `paragraph_index` citations use, `text` the reassembled paragraph, `kind` `body` or
    `footnote`, `mark` the footnote mark and `location` as in docs/extraction.md.
    """
    if not isinstance(text, str) or not text:
        return []
    lex = lexicon(lang or detect_language(text))
    doc = split(text, fold(text), verb_start=lex.line_start)
    _assign_locations(doc.paragraphs)
    return doc.paragraphs


def extract(text: str, lang: str | None = None, deadline: Deadline = UNLIMITED) -> list[Citation]:
    """Extract every citation of a UN document symbol from a text.

    In: the text exactly as stored (Chinese or English UN document converted from PDF or
    markdown; fullwidth characters, broken lines, footnotes, undocs link lists allowed),
    optionally its language (`'zh'`, `'en'`, ...; detected when None), and the deadline of the
    request it serves, checked between steps and paragraphs.
    Out: `Citation`s sorted by `start`, offsets into `text` as given (docs/extraction.md).
    Never raises on any string; raises `OverBudget` once `deadline` has passed.
    """
    if not isinstance(text, str) or not text:
        return []
    if len(text) > _GC_PAUSE_AT and gc.isenabled():
        # A long text makes tens of thousands of small objects that all stay alive until the
        # end; the cyclic GC would walk them again and again (none of them forms a cycle).
        gc.disable()
        try:
            return _extract(text, lang, deadline)
        finally:
            gc.enable()
    return _extract(text, lang, deadline)


_GC_PAUSE_AT = 200_000


def _extract(text: str, lang: str | None, deadline: Deadline) -> list[Citation]:
    lang = lang or detect_language(text)
    lex = lexicon(lang)
    prefer_after = not lang.lower().startswith("zh")
    folded = fold(text)
    deadline.check()
    doc = split(text, folded, verb_start=lex.line_start)
    paras = doc.paragraphs
    _assign_locations(paras)
    deadline.check()
    cache = _ParaCache(lex, paras, deadline)
    deadline.check()
    bound = _bind_footnotes(doc, cache)

    out: list[Citation] = []
    for p, found in zip(paras, cache.found):
        deadline.check()
        if not found:
            continue
        omap = p.omap
        assert omap is not None
        dates = cache.get_dates(p)
        footnote = called_from = None
        if p.kind == "footnote":
            verb, vcls, call_date = None, "other", None
            call = bound.get(p.index)
            if call is not None:
                cp, j = call
                called_from = cp.index
                v = governing(cache.get_verbs(cp), j)
                if v is not None:
                    verb, vcls = cp.text[v[0] : v[1]], v[2]
                call_date = _call_date(cp, j, cache)
            footnote = p.mark
            for i, f in enumerate(found):
                if not i % CHECK_EVERY:
                    deadline.check()
                start, end = omap.span_to_original(f.start, f.end)
                date = call_date or attach_date(p.folded, found, i, dates, prefer_after)
                out.append(
                    Citation(f.symbol, text[start:end], start, end, verb, vcls, date,
                             p.location, p.text, p.index, footnote, called_from, None)
                )
        else:
            verbs = cache.get_verbs(p)
            # the citations a verb governs share the one string of it (`Recalling resolutions
            # 60/1, 61/2, …` governs thousands)
            last_v, verb, vcls = None, None, "other"
            for i, f in enumerate(found):
                if not i % CHECK_EVERY:
                    deadline.check()
                start, end = omap.span_to_original(f.start, f.end)
                date = attach_date(p.folded, found, i, dates, prefer_after) if dates else None
                # the governing verb: the last clause-opening verb before the symbol
                k = bisect_left(verbs, (f.start,)) - 1
                v = verbs[k] if k >= 0 else None
                if v is not last_v:
                    last_v = v
                    verb, vcls = (p.text[v[0] : v[1]], v[2]) if v is not None else (None, "other")
                out.append(
                    Citation(f.symbol, text[start:end], start, end, verb, vcls, date,
                             p.location, p.text, p.index, None, None, None)
                )
    deadline.check()
    out.sort(key=_START)
    if doc.links:
        out = _apply_links(text, out, doc)
    return out


_START = attrgetter("start")


def _apply_links(text: str, cites: list[Citation], doc: Document) -> list[Citation]:
    # undocs links corroborate mentions: each link goes to the first unclaimed mention of its
    # symbol; a link to a symbol mentioned nowhere is a citation of its own (docs "undocs links").
    by_symbol: dict[str, list[int]] = {}
    for k, c in enumerate(cites):
        by_symbol.setdefault(c.symbol, []).append(k)
    claimed: dict[str, int] = {}  # symbol -> mentions claimed so far (in text order)
    orphans: list[Citation] = []
    for link in doc.links:
        sym = normalize(text[link.sym_start : link.sym_end]).symbol
        if sym is None:
            continue
        mentions = by_symbol.get(sym)
        if mentions is None:
            by_symbol[sym] = []
            claimed[sym] = 0
            orphans.append(
                Citation(sym, text[link.sym_start : link.sym_end], link.sym_start, link.sym_end,
                         None, "other", None, "body", link.line.strip(), None, None, None,
                         link.url)
            )
            continue
        k = claimed.get(sym, 0)
        if k < len(mentions):
            i = mentions[k]
            cites[i] = replace(cites[i], link=link.url)
            claimed[sym] = k + 1
    if orphans:
        cites.extend(orphans)
        cites.sort(key=_START)
    return cites
