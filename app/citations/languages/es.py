"""Spanish."""

from . import Language

_MONTHS = {name: i for i, name in enumerate(
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(), 1)}

LANGUAGE = Language(
    code="es",
    verbs={
        "Recordando": "recall", "Recordando también": "recall", "Recordando además": "recall",
        "Recuerda": "recall", "Refiriéndose a": "refer", "Reafirmando": "reaffirm",
        "Reafirma": "reaffirm", "Observando": "note", "Observando también": "note",
        "Tomando nota": "note", "Toma nota": "note", "Observando con satisfacción": "note",
        "Acogiendo con beneplácito": "welcome", "Acoge con beneplácito": "welcome",
        "Teniendo presente": "bear_in_mind", "Considerando": "other", "Reconociendo": "other",
        "Convencida": "other", "Destacando": "other", "Habiendo examinado": "other",
        "Solicita": "other", "Invita": "other", "Decide": "other", "Alienta": "other",
    },
    connectives=("y", "a este respecto"),
    # `setiembre` is a spelling of September some texts use
    months={**{k: v for k, v in _MONTHS.items() if v <= 9}, "setiembre": 9,
            **{k: v for k, v in _MONTHS.items() if v > 9}},
    date=r"\d?\s{1,3}de\s{1,3}(?:{months})\s{1,3}de\s{1,3}\d{4}",  # 18 de diciembre de 2009
    anchors=(r"La\s+Asamblea\s+General", r"El\s+Consejo\s+de\s+Seguridad"),
    annexes=(r"Anexo(?:\s+[IVX\d]{1,4})?",),
    resolution=r"resoluci(?:ón|ones)",
    list_joiners=("y", "e"),
    date_of=("del", "de"),
    function_words=r"\b(?:el|los|las|del|y|su|resolución|que)\b",
)
