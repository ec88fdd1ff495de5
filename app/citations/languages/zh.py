"""Chinese (simplified, and the traditional spellings of the same words)."""

from . import Language

_VERBS: dict[str, str] = {}
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
        _VERBS[_w] = _cls

# Traditional Chinese spellings of the same lexicon (回顧, 歡迎, 銘記, 考慮到...).
_TRAD = str.maketrans(
    {
        "顾": "顧", "还": "還", "并": "並", "满": "滿", "赞": "讚", "欢": "歡", "迎": "迎",
        "铭": "銘", "记": "記", "虑": "慮", "审": "審", "议": "議", "确": "確", "认": "認",
        "强": "強", "调": "調", "视": "視", "识": "識", "请": "請", "邀": "邀", "决": "決",
        "鼓": "鼓", "励": "勵", "见": "見", "赏": "賞", "欣": "欣", "指": "指", "肯": "肯",
    }
)
_VERBS.update({w.translate(_TRAD): c for w, c in list(_VERBS.items())})
# 讃 is a common variant of 讚 in 讚賞.
_VERBS.update({w.replace("讚", "讃"): c for w, c in list(_VERBS.items()) if "讚" in w})

LANGUAGE = Language(
    code="zh",
    spaced=False,
    verbs=_VERBS,
    connectives=("并", "為此", "为此", "并为此", "並", "並為此", "在这方面", "在此方面", "在這方面",
                 "在此方面", "同时", "同時"),
    # `2009 年 12 月 18 日`: months are digits
    date=r"\d{3}\s{0,3}年\s{0,3}\d{1,2}\s{0,3}月\s{0,3}\d{1,2}\s{0,3}日",
    anchors=("大会", "大會", "安全理事会", "安全理事會"),
    annexes=(r"附件[一二三四五六七八九十\dA-Z]{0,3}",),
    list_joiners=("和", "及", "以及", "与", "與", "或"),
)
