"""One table per language: what the extractor knows of each language's texts.

A table (`Language`) holds the governing verbs and the connectives before them, the month names
and the shapes of a full date, the lines that open a resolution (`大会，`, `The General
Assembly,`) or an annex, the word for "resolution" that makes a bare number a symbol, the
words that join the items of a list, and the hints that tell the language of a text. Adding a
language is adding a module here and its table to `LANGUAGES`; the finders in `app.citations`
build their patterns from these tables, in the order of `LANGUAGES`.

Pure data: no I/O, no imports from the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Language:
    code: str
    # Words are separated by spaces (every language here but Chinese): verbs and connectives
    # must end at a word boundary, and their case does not matter.
    spaced: bool = True
    # verb as written -> its class (docs/extraction.md, "The governing verb")
    verbs: dict[str, str] = field(default_factory=dict)
    # words that may stand between a clause separator and its verb (`并`, `and`, `à cet égard`)
    connectives: tuple[str, ...] = ()
    # month name as written -> its number; empty for a language that writes months as digits
    months: dict[str, int] = field(default_factory=dict)
    # A full date, day first, as a regex without its first digit (the finder reads that digit
    # first: `\d(?:…)`); `{months}` stands for the alternation of `months`.
    date: str | None = None
    # A full date that begins with the month (`December 18, 2009`), as a whole regex.
    date_month_first: str | None = None
    # regexes of a line that opens a resolution before its comma (`大会`, `The General Assembly`)
    anchors: tuple[str, ...] = ()
    # regexes of a heading that opens an annex (`附件二`, `Annex I`), which ends a resolution
    annexes: tuple[str, ...] = ()
    # regex of the word "resolution(s)" that makes a bare number before it a symbol
    resolution: str | None = None
    # whether that word may also stand between two items of one list (`resolutions 64/183 and
    # resolution 65/124`): studied in English, French and Spanish texts only
    resolution_in_lists: bool = True
    # words that join the items of a list of citations (`和`, `and`, `as well as`)
    list_joiners: tuple[str, ...] = ()
    # prepositions between a symbol and its date (`resolution 64/183 of 18 December 2009`)
    date_of: tuple[str, ...] = ()
    # language detection: a character class of its own script, or a regex of frequent words
    script: str | None = None
    function_words: str | None = None


from . import ar, en, es, fr, ru, zh  # noqa: E402  (the tables use Language)

LANGUAGES: tuple[Language, ...] = (zh.LANGUAGE, en.LANGUAGE, fr.LANGUAGE, es.LANGUAGE, ru.LANGUAGE, ar.LANGUAGE)
BY_CODE: dict[str, Language] = {lang.code: lang for lang in LANGUAGES}

__all__ = ["BY_CODE", "LANGUAGES", "Language"]
