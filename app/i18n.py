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


# --- timeline graphs drawn ahead of the request (app/graph/) ---------------------------------
MESSAGES.update({
    "graph_pending": {
        "zh": "此图正在绘制，稍后刷新即可看到。以下先按泳道列出图中的文件。",
        "en": "This graph is being drawn: reload in a moment to see it. Meanwhile, its documents lane by lane.",
    },
    "graph_busy": {
        "zh": "绘图任务繁忙，此图稍后再绘。以下先按泳道列出图中的文件。",
        "en": "Too many graphs are waiting to be drawn: this one will be later. Meanwhile, its documents lane by lane.",
    },
    "graph_failed": {
        "zh": "Graphviz 无法绘制此图（{reason}）。以下按泳道列出图中的文件。",
        "en": "Graphviz could not draw this graph ({reason}). Its documents, lane by lane:",
    },
    "graph_simpler_edges": {
        "zh": "曲线连线布局失败，此图改用较简单的连线绘制。",
        "en": "Curved edges could not be laid out: this graph is drawn with simpler ones.",
    },
    "graph_left_out": {
        "zh": "另有 {n} 份被援引较少的文件未画出（见导出文件）。",
        "en": "{n} less-cited documents are left out of the drawing (the exports hold them all).",
    },
    "graph_summary": {
        "zh": "全部记录太大，无法一图画出：此图显示第 {lo}–{hi} 届会议中 {lanes} 个组织的链条（第 {page}/{pages} 页），以及它们最常共同援引的文件。",
        "en": "The whole record is too large for one drawing: this one shows sessions {lo}–{hi}, the chains of {lanes} organizations (page {page} of {pages}), and the documents they cite most.",
    },
    "graph_sessions": {"zh": "届会范围", "en": "Sessions"},
    "graph_from": {"zh": "自第", "en": "From"},
    "graph_to": {"zh": "至第", "en": "to"},
    "graph_show": {"zh": "显示", "en": "Show"},
    "graph_lanes": {"zh": "组织", "en": "Organizations"},
    "reload": {"zh": "刷新", "en": "Reload"},
})


# --- the admin's list of texts, filtered and paged ----------------------------------------------
MESSAGES.update({
    "admin_filter": {"zh": "筛选", "en": "Filter"},
    "admin_filter_symbol": {"zh": "文号或键含", "en": "Symbol or key contains"},
    "admin_filter_any": {"zh": "全部", "en": "Any"},
    "admin_no_texts": {"zh": "没有符合条件的全文。", "en": "No text matches."},
    "admin_actions": {"zh": "操作", "en": "Actions"},
})
