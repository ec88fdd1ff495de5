"""One way to render a page: the full page, or only its fragment when htmx asks."""

from functools import cache, partial
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from markupsafe import Markup, escape

from app.config import PROJECT_ROOT
from app.documents import labels
from app.i18n import LANGS, TRANSLATIONS, Msg, request_lang, t
from app.search.queries import MARK_CLOSE, MARK_OPEN
from app.web import urls
from app.web.csrf import csrf_token
from app.web.items import cite_items, cited_by_items

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))
# `_()`, `gettext` and `{% trans %}` in templates: the callables come with each page's language.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.globals["u"] = urls
# Templates do not change under a running server: checking every file on every render cost 6% of
# the chain page (bench/README.md).
templates.env.auto_reload = False


def compile_templates() -> None:
    """Compile every template once, when the worker starts: the first reader of each page kind
    would otherwise wait for it (a chain or document page's templates: about 40 ms of CPU)."""
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)


def highlight(snippet: str) -> Markup:
    """Escape a search snippet, then turn its private-use match marks into <mark>."""
    return Markup(
        str(escape(snippet)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    )


templates.env.filters["highlight"] = highlight
templates.env.globals.update(cite_items=cite_items, cited_by_items=cited_by_items)


@cache
def lang_globals(lang: str) -> dict[str, Any]:
    """What every template reads that depends on the language alone (no request): made once per
    language, and copied into each page's context."""
    return {
        "lang": lang,
        "other_lang": next(x for x in LANGS if x != lang),
        "t": partial(t, lang=lang),
        "gettext": TRANSLATIONS[lang].gettext,
        "ngettext": TRANSLATIONS[lang].ngettext,
        "label": partial(labels.document_label, lang=lang),
        "kind_label": partial(labels.kind_label, lang=lang),
        "short": labels.short_symbol,
    }


def render_fragment(template: str, lang: str, context: dict[str, Any]) -> str:
    """A fragment as a string, with no request: for the writer, which renders what a page will
    show (app/web/chain_html.py). The fragment must not read `request`."""
    return templates.env.get_template(template).render({**lang_globals(lang), **context})


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
):
    """Render `template`; an htmx request for the same URL gets `fragment` alone."""
    lang = request_lang(request)
    ctx = {"request": request, **lang_globals(lang), **(context or {})}
    name = fragment if fragment and is_htmx(request) else template
    if fragment:
        # the same URL answers a fragment or a whole page: caches must tell them apart
        headers = {**(headers or {}), "Vary": "HX-Request"}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
    if request.query_params.get("lang") in LANGS:
        # The switch is remembered: the next page opens in the language chosen last.
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def render_admin(request: Request, template: str, ctx: dict[str, Any], *, user=None,
                 fragment: str | None = None, status_code: int = 200, headers: dict | None = None):
    """`render` for the admin's pages and the login page: with the CSRF token, the user, and
    `msg`, which translates a `Msg`."""
    lang = request_lang(request)

    def msg(m: Msg | None) -> str:
        if m is None:
            return ""
        try:
            return t(m.key, lang).format(**m.params)
        except (KeyError, IndexError, ValueError):
            return t(m.key, lang)

    ctx = {"csrf_token": csrf_token(request), "user": user, "msg": msg, **ctx}
    return render(request, template, ctx, fragment=fragment, status_code=status_code, headers=headers)
