"""French."""

from . import Language

_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"

LANGUAGE = Language(
    code="fr",
    verbs={
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
    },
    connectives=("et", "à cet égard"),
    months={name: i for i, name in enumerate(_MONTHS.split(), 1)},
    date=r"\d?(?:er)?\s{1,3}(?:{months})\s{1,3}\d{4}",  # 1er janvier 2010
    anchors=(r"L['’]Assemblée\s+générale", r"Le\s+Conseil\s+de\s+sécurité"),
    annexes=(r"Annexe(?:\s+[IVX\d]{1,4})?",),
    resolution=r"résolutions?",
    list_joiners=("et",),
    date_of=("du", "de"),
    function_words=r"\b(?:le|la|les|des|du|et|sa|résolution|qui)\b",
)
