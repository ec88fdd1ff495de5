"""The gettext catalogs: no catalog lacks a string the code or a template asks for."""

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT
from app.i18n import LANGS, LOCALES, t

KEYWORDS = {"t": None, "Msg": None, "N_": None, "_": None, "gettext": None}
METHODS = [("app/**.py", "python"), ("templates/**.html", "jinja2")]


def _asked_for() -> dict[str, str]:
    """Every key the code and the templates pass to t(), _(), Msg() or N_(), with where."""
    found = {}
    for filename, _lineno, key, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.setdefault(key if isinstance(key, str) else key[0], filename)
    return found


def _catalog(lang: str) -> dict[str, str]:
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale=lang) if m.id}


def test_every_string_asked_for_is_in_every_catalog():
    asked = _asked_for()
    assert len(asked) > 200  # the extraction itself works
    for lang in LANGS:
        catalog = _catalog(lang)
        missing = sorted(f"{key} ({where})" for key, where in asked.items() if not catalog.get(key))
        assert missing == [], f"{lang} lacks: {missing}"


def test_the_catalogs_hold_the_same_keys_and_nothing_unused():
    catalogs = {lang: _catalog(lang) for lang in LANGS}
    keys = set(_asked_for())
    for lang, catalog in catalogs.items():
        assert set(catalog) == keys, lang


def test_a_string_in_each_language():
    assert t("chain_length", "zh") == "链长" and t("chain_length", "en") == "Chain length"
    assert t("err_save", "en").format(reason="x") == "Could not save: x"
    assert t("no such key", "en") == "no such key"


def test_templates_have_gettext_in_the_page_language():
    from app.i18n import TRANSLATIONS
    from app.web.render import templates

    page = templates.env.from_string("{{ _('chain') }} / {% trans %}chain{% endtrans %}")
    assert page.render(gettext=TRANSLATIONS["en"].gettext, ngettext=TRANSLATIONS["en"].ngettext) == "Chain / Chain"
    assert page.render(gettext=TRANSLATIONS["zh"].gettext, ngettext=TRANSLATIONS["zh"].ngettext) == "决议链 / 决议链"
