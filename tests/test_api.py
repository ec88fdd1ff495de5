"""The JSON API: names and shapes other tools rely on."""

import pytest


@pytest.fixture
def api(read_client):
    return read_client


def test_organizations(api):
    body = api.get("/api/organizations").json()
    by = {o["acronym"]: o for o in body}
    assert set(by) == {"SCO", "CSTO", "CIS"}
    assert by["CSTO"]["observer_symbol"] == "A/RES/59/50"
    assert by["CSTO"]["chain_length"] == 7
    assert by["SCO"]["latest"] == "A/77/L.107"


def test_chain_shape(api):
    body = api.get("/api/organizations/SCO/chain").json()
    assert body["organization"]["acronym"] == "SCO"
    first, letter, r64 = body["chain"][:3]
    assert {"symbol", "label", "kind", "date", "session", "url", "cites"} <= set(first)
    assert first["symbol"] == "A/RES/59/48" and first["date"] == "2004-12-02" and first["session"] == 59
    assert letter["symbol"] is None and letter["kind"] == "letter" and letter["became"] == "A/RES/64/183"
    assert letter["cites"] == ["A/RES/59/48", "A/RES/61/210"]
    assert r64["url"] == "/documents/A/RES/64/183" and r64["has_text"] is False
    assert body["chain"][-1]["symbol"] == "A/77/L.107"


def test_document_shape(api):
    body = api.get("/api/documents/S/RES/1631(2005)").json()
    assert body["symbol"] == "S/RES/1631(2005)" and body["kind"] == "sc_resolution"
    assert body["date"] == "2005-10-17"
    assert len(body["cited_by"]) == 3
    assert {"symbol", "label", "verb", "paragraph"} <= set(body["cited_by"][0])
    assert [c["verb"] for c in body["cited_by"]] == ["提及", "提及", "提及"]

    draft = api.get("/api/documents/A/77/L.107").json()
    assert {"symbol", "verb", "date", "paragraph"} <= set(draft["cites"][0])
    assert draft["cites"][0]["symbol"] == "A/RES/59/48" and draft["cites"][0]["verb"] == "还回顾"


def test_unknown_document_is_a_json_404(api):
    response = api.get("/api/documents/A/RES/99/999")
    assert response.status_code == 404
    assert "A/RES/99/999" in response.json()["error"]
    assert api.get("/api/organizations/NATO/chain").status_code == 404


@pytest.mark.parametrize(
    "q, symbol, found",
    [
        ("59/48", "A/RES/59/48", True),
        ("第59/48号决议", "A/RES/59/48", True),
        ("S/RES/1631 (2005)", "S/RES/1631(2005)", True),
        ("A/RES/99/1", "A/RES/99/1", False),
    ],
)
def test_symbol_lookup(api, q, symbol, found):
    body = api.get("/api/symbols", params={"q": q}).json()
    assert body == {
        "query": q,
        "symbol": symbol,
        "found": found,
        "url": f"/documents/{symbol}" if found else None,
        "error": None,
    }


def test_symbol_lookup_explains_a_non_symbol(api):
    body = api.get("/api/symbols", params={"q": "2009年12月18日"}).json()
    assert body["symbol"] is None and body["found"] is False and body["error"]


def test_missing_query_is_a_json_422(api):
    response = api.get("/api/symbols")
    assert response.status_code == 422 and "error" in response.json()


def test_healthz_and_openapi(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    spec = api.get("/openapi.json").json()
    assert "/api/organizations/{acronym}/chain" in spec["paths"]
    assert "/api/symbols" in spec["paths"]
