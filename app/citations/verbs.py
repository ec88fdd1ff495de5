"""Stage 3a: the verb lexicons and the governing-verb rule (docs/extraction.md, "The governing verb").

The verb that governs a citation is the last lexicon verb before it in the same paragraph that
opens a clause: at the start of the paragraph (after an operative number), or right after
`，；：、` / `,;`, optionally behind a connective (`并`, `为此`, `在这方面`, `and`...). The
longest entry wins (`又回顾` over `回顾`, `Recalling also` over `Recalling`).

Matching runs on the *folded* paragraph text, where `，；：` have become `,;:`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from .languages import LANGUAGES, Language

__all__ = ["Lexicon", "LEXICONS", "lexicon", "governing"]

# The verbs, their classes and the connectives of each language are in its table
# (`app.citations.languages`).


@dataclass(frozen=True)
class Lexicon:
    """The verbs of one language and the patterns that find them at clause openings."""

    lang: str
    verbs: dict[str, str]
    at_start: re.Pattern[str]  # matches at paragraph start (after an operative number)
    after_sep: re.Pattern[str]  # finditer: verbs right after a clause separator
    line_start: re.Pattern[str]  # a line that begins with a verb (used by clean.split)

    def verb_class(self, verb: str) -> str:
        """The class of a verb as written (`又回顾` -> `recall`, `recalling  also` -> `recall`);
        `other` for a word not in the lexicon."""
        v = self.verbs.get(verb)
        if v is not None:
            return v
        return _folded_index(self).get(" ".join(verb.split()).casefold(), "other")

    def clause_verbs(self, folded: str) -> list[tuple[int, int, str]]:
        """All lexicon verbs that open a clause in a (folded) paragraph.

        In: the folded paragraph text. Out: `[(start, end, verb_class)]` sorted by start.
        """
        out: list[tuple[int, int, str]] = []
        m = self.at_start.match(folded)
        if m:
            out.append((m.start("v"), m.end("v"), self.verb_class(m.group("v"))))
        for m in self.after_sep.finditer(folded):
            out.append((m.start("v"), m.end("v"), self.verb_class(m.group("v"))))
        out.sort()
        return out


_FOLDED: dict[str, dict[str, str]] = {}


def _folded_index(lex: "Lexicon") -> dict[str, str]:
    # case- and space-insensitive lookup (`recalling` after a comma, `Recalling\nalso`)
    idx = _FOLDED.get(lex.lang)
    if idx is None:
        idx = _FOLDED[lex.lang] = {" ".join(w.split()).casefold(): c for w, c in lex.verbs.items()}
    return idx


def _alt(words: list[str]) -> str:
    """A regex alternation of `words` factored into a trie (`又(?:回顾|提及|…)`).

    The regex engine tries alternatives one by one; factored, a position that starts no word
    fails at its first character, which keeps the scan of long Chinese paragraphs fast. Longer
    continuations come before a word's end, so the longest entry wins (`又回顾` over `又`,
    `Recalling also` over `Recalling`). A space inside a word matches any run of whitespace
    (a line break joined to one space).
    """
    trie: dict = {}
    for w in set(words):
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            piece = r"\s+" if ch == " " else re.escape(ch)
            branches.append(piece + emit(node[ch]))
        end = "" in node
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return "(?:" + body + ")?"  # greedy: the longer word is tried first
        return body if len(branches) == 1 else body

    return emit(trie)


def _build(language: Language) -> Lexicon:
    lang, verbs, conns = language.code, language.verbs, list(language.connectives)
    latin = language.spaced
    if conns:
        ws = r"\s+" if latin else r"\s*"
        # lazy: a verb that starts with a connective's character wins as the longer lexicon
        # entry (`并回顾` is an entry; gold case zh_mid_paragraph_bing_huigu_longest_entry)
        conn = rf"(?:(?:{_alt(conns)}){ws}){{0,2}}?"
    else:
        conn = ""
    tail = r"(?![^\W\d_])" if latin else ""
    v = rf"(?P<v>{_alt(list(verbs))}){tail}"
    flags = re.IGNORECASE if latin else 0
    at_start = re.compile(
        rf"\s*(?:#{{1,6}}\s*)?(?:\d{{1,3}}\s?\.\s*)?(?:\([a-z]{{1,3}}\)\s*)?{conn}{v}", flags
    )
    # a clause separator is common, a verb after it rare: test the next character first
    firsts = {w[0] for w in verbs} | {c[0] for c in conns} | {"<"}
    if latin:
        firsts |= {c.swapcase() for c in firsts}
    first = "[" + "".join(re.escape(c) for c in sorted(firsts)) + "]"
    after_sep = re.compile(
        rf"[,;:、،؛]\s*(?={first})(?:<sup>[^<>]{{0,8}}</sup>\s*)?{conn}{v}", flags
    )
    line_start = re.compile(rf"\s*{conn}{v}", flags)
    return Lexicon(lang, verbs, at_start, after_sep, line_start)


LEXICONS: dict[str, Lexicon] = {language.code: _build(language) for language in LANGUAGES}


def lexicon(lang: str | None) -> Lexicon:
    """The lexicon for a language code (`zh`, `zh-hant`, `en`, `fr`, `es`, `ru`, `ar`);
    English for anything unknown."""
    if not lang:
        return LEXICONS["en"]
    return LEXICONS.get(lang.lower()[:2], LEXICONS["en"])


def governing(verbs: list[tuple[int, int, str]], pos: int) -> tuple[int, int, str] | None:
    """The last verb of `verbs` (from `Lexicon.clause_verbs`) that starts before `pos`."""
    i = bisect_left(verbs, (pos,)) - 1
    return verbs[i] if i >= 0 else None
