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

__all__ = ["Lexicon", "LEXICONS", "lexicon", "governing"]

# ---------------------------------------------------------------- lexicons (verb -> class)

_ZH: dict[str, str] = {}
for _cls, _words in {
    "recall": "回顾 又回顾 还回顾 并回顾 再回顾",
    "refer": "提及 又提及 还提及 并提及",
    "reaffirm": "重申 又重申 还重申",
    "note": "注意到 又注意到 还注意到 满意地注意到 表示注意到 赞赏地注意到 表示赞赏地注意到",
    "welcome": "欢迎 又欢迎 还欢迎 欣见 表示欢迎",
    "bear_in_mind": "铭记 又铭记 还铭记",
    "other": "考虑到 审议了 确认 又确认 深信 强调 重视 承认 认识到 请 邀请 决定 鼓励 肯定 指出 提议 建议 赞赏",
}.items():
    for _w in _words.split():
        _ZH[_w] = _cls

# Traditional Chinese spellings of the same lexicon (回顧, 歡迎, 銘記, 考慮到...).
_TRAD = str.maketrans(
    {
        "顾": "顧", "还": "還", "并": "並", "满": "滿", "赞": "讚", "欢": "歡", "迎": "迎",
        "铭": "銘", "记": "記", "虑": "慮", "审": "審", "议": "議", "确": "確", "认": "認",
        "强": "強", "调": "調", "视": "視", "识": "識", "请": "請", "邀": "邀", "决": "決",
        "鼓": "鼓", "励": "勵", "见": "見", "赏": "賞", "欣": "欣", "指": "指", "肯": "肯",
    }
)
_ZH.update({w.translate(_TRAD): c for w, c in list(_ZH.items())})
# 讃 is a common variant of 讚 in 讚賞.
_ZH.update({w.replace("讚", "讃"): c for w, c in list(_ZH.items()) if "讚" in w})

_EN: dict[str, str] = {}
for _cls, _words in {
    "recall": [
        "Recalling", "Recalling also", "Recalling further", "Further recalling",
        "Also recalling", "Recalls", "Recalls also", "Recalls further",
    ],
    "refer": ["Referring to", "Referring also to", "Further referring to"],
    "reaffirm": ["Reaffirming", "Reaffirming also", "Reaffirms", "Reaffirms also"],
    "note": [
        "Noting", "Noting also", "Noting further", "Noting with appreciation",
        "Noting with satisfaction", "Taking note of", "Taking note also of", "Takes note of",
        "Takes note also of", "Notes", "Notes also", "Notes with appreciation",
        "Notes with satisfaction",
    ],
    "welcome": ["Welcoming", "Welcoming also", "Welcomes", "Welcomes also"],
    "bear_in_mind": ["Bearing in mind", "Bearing in mind also"],
    "other": [
        "Having considered", "Considering", "Recognizing", "Acknowledging", "Convinced",
        "Emphasizing", "Stressing", "Requests", "Invites", "Decides", "Encourages",
    ],
}.items():
    for _w in _words:
        _EN[_w] = _cls

# Stretch lexicons: the usual preamble / operative openings of the other official languages.
_FR = {
    "Rappelant": "recall", "Rappelant également": "recall", "Rappelant en outre": "recall",
    "Rappelle": "recall", "Se référant à": "refer", "Réaffirmant": "reaffirm",
    "Réaffirme": "reaffirm", "Notant": "note", "Notant également": "note",
    "Prenant note": "note", "Prend note": "note", "Note": "note",
    "Notant avec satisfaction": "note", "Se félicitant": "welcome",
    "Se félicite": "welcome", "Accueillant avec satisfaction": "welcome",
    "Ayant à l'esprit": "bear_in_mind", "Gardant à l'esprit": "bear_in_mind",
    "Considérant": "other", "Reconnaissant": "other", "Convaincue": "other",
    "Soulignant": "other", "Ayant examiné": "other", "Prie": "other", "Invite": "other",
    "Décide": "other", "Encourage": "other",
}
_ES = {
    "Recordando": "recall", "Recordando también": "recall", "Recordando además": "recall",
    "Recuerda": "recall", "Refiriéndose a": "refer", "Reafirmando": "reaffirm",
    "Reafirma": "reaffirm", "Observando": "note", "Observando también": "note",
    "Tomando nota": "note", "Toma nota": "note", "Observando con satisfacción": "note",
    "Acogiendo con beneplácito": "welcome", "Acoge con beneplácito": "welcome",
    "Teniendo presente": "bear_in_mind", "Considerando": "other", "Reconociendo": "other",
    "Convencida": "other", "Destacando": "other", "Habiendo examinado": "other",
    "Solicita": "other", "Invita": "other", "Decide": "other", "Alienta": "other",
}
_RU = {
    "ссылаясь на": "recall", "ссылаясь также на": "recall", "напоминая": "recall",
    "напоминает": "recall", "вновь подтверждая": "reaffirm", "вновь подтверждает": "reaffirm",
    "отмечая": "note", "отмечая также": "note", "принимая к сведению": "note",
    "принимает к сведению": "note", "приветствуя": "welcome", "приветствует": "welcome",
    "учитывая": "bear_in_mind", "принимая во внимание": "bear_in_mind",
    "признавая": "other", "подчеркивая": "other", "будучи убеждена": "other",
    "рассмотрев": "other", "просит": "other", "предлагает": "other",
    "постановляет": "other", "призывает": "other", "рекомендует": "other",
}
_AR = {
    "وإذ تشير إلى": "recall", "وإذ تشير أيضا إلى": "recall", "تشير إلى": "recall",
    "وإذ تعيد تأكيد": "reaffirm", "تعيد تأكيد": "reaffirm", "وإذ تلاحظ": "note",
    "وإذ تحيط علما": "note", "تحيط علما": "note", "وإذ ترحب": "welcome", "ترحب": "welcome",
    "وإذ تضع في اعتبارها": "bear_in_mind", "وإذ تسلم": "other", "وإذ تؤكد": "other",
    "وقد نظرت": "other", "تطلب": "other", "تدعو": "other", "تقرر": "other", "تشجع": "other",
}

_CONNECTIVES = {
    "zh": ["并", "為此", "为此", "并为此", "並", "並為此", "在这方面", "在此方面", "在這方面",
           "在此方面", "同时", "同時"],
    "en": ["and", "and also", "in this regard", "in this regard,", "in this connection", "also"],
    "fr": ["et", "à cet égard"],
    "es": ["y", "a este respecto"],
    "ru": ["и", "в этой связи"],
    "ar": [],
}


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


def _build(lang: str, verbs: dict[str, str]) -> Lexicon:
    conns = _CONNECTIVES.get(lang, [])
    latin = lang not in ("zh",)
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


LEXICONS: dict[str, Lexicon] = {
    "zh": _build("zh", _ZH),
    "en": _build("en", _EN),
    "fr": _build("fr", _FR),
    "es": _build("es", _ES),
    "ru": _build("ru", _RU),
    "ar": _build("ar", _AR),
}


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
