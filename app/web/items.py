"""The items of the document page's two long lists (what it cites, what cites it), written in
Python: a much-cited resolution lists a hundred citers a page, and a Jinja loop looking up each
item's attributes one by one cost more than all the page's SQL (bench/README.md). The templates
keep the page's structure; each function here writes one kind of item, escaped as Jinja would.
"""

from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

from app.documents.labels import document_label
from app.web.urls import document, document_by_symbol


class _Escaped(dict):
    """Values a list repeats from item to item (a verb, a location and its name), each escaped
    once per list."""

    def __init__(self, make: Callable[[str], str] = str):
        super().__init__()
        self.make = make

    def __missing__(self, value):
        out = self[value] = str(escape(self.make(value)))
        return out


# The URLs come from urllib's quote (app/web/urls.py), whose output has no character HTML
# escapes: they are written as they are.


def cite_items(rows: Iterable, t: Callable[[str], str]) -> Markup:
    """`<li>`s of what a document cites (rows of queries.page_cites); a paragraph is quoted
    once, under the first of its citations."""
    out = []
    text, named = _Escaped(), _Escaped(t)
    previous = None
    for c in rows:
        symbol, location = escape(c.cited_symbol), text[c.location]
        when = ""
        if c.cited_date:
            day = c.cited_date.isoformat()
            when = f'<time datetime="{day}">{day}</time>'
        quote = ""
        if previous is None or previous != c.paragraph_index:
            quote = f'<blockquote class="paragraph">{escape(c.paragraph)}</blockquote>'
        previous = c.paragraph_index
        out.append(
            f'\n  <li class="citation" data-symbol="{symbol}" data-location="{location}">\n'
            f'    <a class="symbol" href="{document_by_symbol(c.cited_ref or c.cited_symbol)}">{symbol}</a>\n'
            f'    <span class="verb verb-{text[c.verb_class]}">{text[c.verb or "—"]}</span>\n'
            f'    {when}\n'
            f'    <span class="location">{named[c.location]}</span>\n'
            f'    {quote}\n'
            f'  </li>\n'
        )
    return Markup("".join(out))


def cited_by_items(rows: Iterable, t: Callable[[str], str], lang: str) -> Markup:
    """`<li>`s of a page of what cites a document (rows of queries.page_cited_by); a citer's
    paragraph is quoted once, under the first of its citations."""
    out = []
    text, named = _Escaped(), _Escaped(t)
    previous = None
    for c in rows:
        here = (c.citing_id, c.paragraph_index)
        quote = ""
        if here != previous:
            quote = f'<blockquote class="paragraph">{escape(c.paragraph)}</blockquote>'
        previous = here
        out.append(
            f'\n  <li class="citation" data-key="{escape(c.key)}">\n'
            f'    <a class="citing" href="{document(c)}">{escape(document_label(c, lang))}</a>\n'
            f'    <span class="verb verb-{text[c.verb_class]}">{text[c.verb or "—"]}</span>\n'
            f'    <span class="location">{named[c.location]}</span>\n'
            f'    {quote}\n'
            f'  </li>\n'
        )
    return Markup("".join(out))
