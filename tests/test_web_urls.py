"""URLs of documents: a symbol keeps its slashes and parentheses, and everything else a URL
cannot carry as it is comes percent-encoded, whichever way _q gets there."""

from urllib.parse import quote, unquote

from hypothesis import given, strategies as st

from app.web import urls


class Doc:
    def __init__(self, symbol, key="k"):
        self.symbol, self.key = symbol, key


def test_symbols_keep_their_slashes_and_parentheses():
    assert urls.document(Doc("S/RES/1631(2005)")) == "/documents/S/RES/1631(2005)"
    assert urls.document(Doc("A/77/L.107")) == "/documents/A/77/L.107"
    assert urls.document(Doc("A/RES/59/48"), cited_by_page=2) == "/documents/A/RES/59/48?cited_by_page=2"


def test_what_a_path_cannot_carry_is_encoded():
    # a space, a query, a fragment, a percent sign, a non-ASCII letter, a full-width digit
    assert urls.document(Doc("A/C.1/59/L 1")) == "/documents/A/C.1/59/L%201"
    assert urls.document_by_symbol("A/59/48?x#y") == "/documents/A/59/48%3Fx%23y"
    assert urls.document_by_symbol("100%") == "/documents/100%25"
    assert urls.document_by_symbol("第59/48号") == "/documents/" + quote("第59/48号", safe="/()-.~")
    assert urls.document_by_symbol("A/RES/５９/48") == "/documents/A/RES/%EF%BC%95%EF%BC%99/48"
    assert urls.undocs("A/RES/59/48\n") == "https://undocs.org/zh/A/RES/59/48%0A"


@given(st.text())
def test_the_same_as_quoting_every_time(value):
    assert urls._q(value) == quote(value, safe=urls._SAFE)


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_a_document_url_gives_back_its_symbol(symbol):
    path = urls.document_by_symbol(symbol)
    assert path.startswith("/documents/") and unquote(path.removeprefix("/documents/")) == symbol
    assert not set(path) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~/()-%")
