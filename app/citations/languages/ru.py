"""Russian."""

from . import Language

_MONTHS = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"

LANGUAGE = Language(
    code="ru",
    verbs={
        "ссылаясь на": "recall", "ссылаясь также на": "recall", "напоминая": "recall",
        "напоминает": "recall", "вновь подтверждая": "reaffirm", "вновь подтверждает": "reaffirm",
        "отмечая": "note", "отмечая также": "note", "принимая к сведению": "note",
        "принимает к сведению": "note", "приветствуя": "welcome", "приветствует": "welcome",
        "учитывая": "bear_in_mind", "принимая во внимание": "bear_in_mind",
        "признавая": "other", "подчеркивая": "other", "будучи убеждена": "other",
        "рассмотрев": "other", "просит": "other", "предлагает": "other",
        "постановляет": "other", "призывает": "other", "рекомендует": "other",
    },
    connectives=("и", "в этой связи"),
    months={name: i for i, name in enumerate(_MONTHS.split(), 1)},
    date=r"\d?\s{1,3}(?:{months})\s{1,3}\d{4}(?:\s{0,2}(?:года|г\.))?",  # 18 декабря 2009 года
    anchors=(r"Генеральная\s+Ассамблея", r"Совет\s+Безопасности"),
    annexes=(r"Приложение(?:\s+[IVX\d]{1,4})?",),
    resolution=r"резолюци[яиюей]{1,2}",
    resolution_in_lists=False,
    list_joiners=("и",),
    date_of=("от",),
    script=r"[\u0400-\u04ff]",
)
