"""English."""

from . import Language

_VERBS: dict[str, str] = {}
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
        _VERBS[_w] = _cls

_MONTHS = "January February March April May June July August September October November December"

LANGUAGE = Language(
    code="en",
    verbs=_VERBS,
    connectives=("and", "and also", "in this regard", "in this regard,", "in this connection", "also"),
    months={name: i for i, name in enumerate(_MONTHS.split(), 1)},
    date=r"\d?\s{1,3}(?:{months})\s{1,3}\d{4}",  # 18 December 2009
    date_month_first=r"(?:{months})\s{1,3}\d{1,2},?\s{1,3}\d{4}",  # December 18, 2009
    anchors=(r"(?:The\s+)?General\s+Assembly", r"(?:The\s+)?Security\s+Council"),
    annexes=(r"Annex(?:\s+[IVX\d]{1,4})?",),
    resolution=r"resolutions?",
    list_joiners=("and", r"as\s+well\s+as", "or"),
    date_of=("of",),
    function_words=r"\b(?:the|of|and|to|its|resolution|which)\b",
)
