"""The UI in Chinese and English: gettext catalogs, a `lang` URL parameter chooses, a cookie
remembers.

The strings are in `locales/<lang>/LC_MESSAGES/messages.po` (Babel). Each msgid is a key
(`chain_length`, `err_symbol_taken`) that the code passes to `t(key, lang)` and the templates
to `t(key)` (or `_(key)`, jinja2.ext.i18n); `make i18n` extracts the keys with pybabel
(babel.cfg) and updates the catalogs, and tests/test_i18n.py fails when a catalog lacks one.
"""

from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request

from app.config import PROJECT_ROOT

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LOCALES = PROJECT_ROOT / "locales"


def N_(key: str) -> str:
    """Marks a key for extraction where it is used only by a computed name."""
    return key


# Keys the templates build from a value (`t('status_' ~ row.status)`, `t(c.location)`): named
# here so that extraction finds them.
COMPUTED_KEYS = (
    N_("preamble"), N_("operative"), N_("footnote"), N_("body"),
    N_("verb_recall"), N_("verb_refer"), N_("verb_reaffirm"), N_("verb_note"), N_("verb_welcome"),
    N_("verb_bear_in_mind"), N_("verb_other"),
    N_("rule_gap"), N_("rule_no_predecessor"), N_("rule_self_citation"), N_("rule_future_citation"),
    N_("cadence_1"), N_("cadence_2"),
    N_("para_added"), N_("para_removed"), N_("para_changed"), N_("para_moved"), N_("para_same"),
    N_("status_new"), N_("status_added"), N_("status_changed"), N_("status_unchanged"),
    N_("status_excluded"), N_("status_removed"), N_("status_blank"),
    N_("action_add"), N_("action_edit"), N_("action_delete"), N_("action_restore"),
)


def _load(lang: str) -> Translations:
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo)


TRANSLATIONS: dict[str, Translations] = {lang: _load(lang) for lang in LANGS}
for _lang, _translations in TRANSLATIONS.items():
    if _lang != DEFAULT_LANG:
        _translations.add_fallback(TRANSLATIONS[DEFAULT_LANG])


def t(key: str, lang: str) -> str:
    """The string `key` in `lang` (else in the default language, else the key itself)."""
    return TRANSLATIONS.get(lang, TRANSLATIONS[DEFAULT_LANG]).gettext(key)


def request_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


@dataclass(frozen=True)
class Msg:
    """A message for a person, translated when rendered: `t(key).format(**params)`."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
