"""Exports: CSV (spreadsheet-ready), JSON and GraphML, with ids stable across exports."""

import csv
import io
import json

import networkx as nx

from app.web import urls
from app.documents.store import seed
from app.models import Citation, Document
from app.exports.formats import CITATION_FIELDS, DOCUMENT_FIELDS
from tests.helpers import soup


def _get(client, path, media):
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert "attachment" in r.headers["content-disposition"]
    return r.content


def _csv(client, path):
    body = _get(client, path, "text/csv")
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the file as UTF-8
    assert b"\r\n" in body
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_documents_and_citations_csv(read_session, read_client):
    docs = _csv(read_client, urls.export("documents.csv"))
    assert list(docs[0]) == DOCUMENT_FIELDS
    keys = [d["key"] for d in docs]
    assert len(keys) == len(set(keys)) == len(read_session.exec(Document.__table__.select()).all())
    letter = next(d for d in docs if d["key"] == "seed-000-02a8ab7b9388f710")
    assert letter["label_zh"] == "2008年11月20日信函（附决议草案）"
    assert letter["title"] == "联合国同上海合作组织的合作"
    assert letter["organization"] == "SCO" and letter["became"] == "A/RES/64/183"
    assert letter["has_text"] == "true" and letter["url"].endswith("/documents/seed-000-02a8ab7b9388f710")
    assert next(d for d in docs if d["key"] == "S/RES/1631(2005)")["cited_by_count"] == "3"

    cites = _csv(read_client, urls.export("citations.csv"))
    assert list(cites[0]) == CITATION_FIELDS
    assert len(cites) == len(read_session.exec(Citation.__table__.select()).all())
    ids = [c["id"] for c in cites]
    assert len(ids) == len(set(ids))
    assert all(c["id"] == f'{c["citing_key"]}#{c["position"]}' for c in cites)
    assert all(c["citing_key"] in keys and c["cited_key"] in keys for c in cites)
    recall = next(c for c in cites if c["citing_key"] == "A/77/L.107" and c["cited_symbol"] == "A/RES/64/183")
    assert recall["verb"] == "回顾" and recall["verb_class"] == "recall" and recall["cited_date"] == "2009-12-18"


def test_json_and_graphml_agree_with_the_csv(read_session, read_client):
    docs = {d["key"] for d in _csv(read_client, urls.export("documents.csv"))}
    cites = {c["id"] for c in _csv(read_client, urls.export("citations.csv"))}
    data = json.loads(_get(read_client, urls.export("lineage.json"), "application/json"))
    assert data["scope"] == "all"
    assert [o["acronym"] for o in data["organizations"]] == ["CIS", "CSTO", "SCO"]
    assert {d["key"] for d in data["documents"]} == docs
    assert {c["id"] for c in data["citations"]} == cites

    g = nx.read_graphml(io.BytesIO(_get(read_client, urls.export("lineage.graphml"), "application/graphml+xml")))
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == docs
    assert {k for _, _, k in g.edges(keys=True)} == cites
    assert g.nodes["A/RES/64/183"]["kind"] == "ga_resolution"
    assert g.nodes["A/RES/64/183"]["has_text"] is False
    assert g.nodes["seed-004-5f2f1bc2f128ea34"]["session"] == 71
    edge = g.edges["A/77/L.107", "A/RES/64/183", "A/77/L.107#1"]
    assert edge["verb_class"] == "recall" and edge["position"] == 1
    # A/77/L.107 mentions 71/14 twice: two edges between the same two nodes
    assert g.number_of_edges("A/77/L.107", "A/RES/71/14") == 2


def test_organization_exports_are_its_scope(read_session, read_client):
    data = json.loads(_get(read_client, urls.export("lineage.json", "SCO"), "application/json"))
    assert data["scope"] == "SCO" and [o["acronym"] for o in data["organizations"]] == ["SCO"]
    keys = {d["key"] for d in data["documents"]}
    assert {"A/RES/59/48", "seed-000-02a8ab7b9388f710", "A/RES/64/183", "A/77/L.107", "A/RES/60/288"} <= keys
    assert "seed-002-cad8b63664231793" not in keys and "A/RES/59/50" not in keys
    assert {c["citing_key"] for c in data["citations"]} == {"seed-000-02a8ab7b9388f710", "A/77/L.107"}
    rows = _csv(read_client, urls.export("documents.csv", "CSTO"))
    assert "seed-004-5f2f1bc2f128ea34" in {r["key"] for r in rows}
    g = nx.read_graphml(io.BytesIO(_get(read_client, urls.export("lineage.graphml", "CIS"), "application/graphml+xml")))
    assert "seed-003-ab0cfefe5dc38822" in g and "A/RES/48/237" in g
    r = read_client.get("/organizations/SCO/export/documents.csv")
    assert 'filename="lineage-SCO-documents.csv"' in r.headers["content-disposition"]


def test_exports_are_stable(seeded, client, seed_dir):
    first = {name: client.get(urls.export(name)).content for name in
             ("documents.csv", "citations.csv", "lineage.json", "lineage.graphml")}
    seed(seeded, seed_dir)  # loading the seed again changes nothing
    for name, body in first.items():
        assert client.get(urls.export(name)).content == body, name


def test_exports_are_linked(read_session, read_client):
    for page, acronym in ((read_client.get("/"), None), (read_client.get(urls.organization("SCO")), "SCO"),
                          (read_client.get(urls.graph("SCO")), "SCO")):
        links = {a["href"] for a in soup(page).select("section.exports a")}
        assert links == {urls.export(n, acronym) for n in
                         ("documents.csv", "citations.csv", "lineage.json", "lineage.graphml")}


def test_unknown_exports_are_404(read_session, read_client):
    assert read_client.get("/export/everything.xlsx").status_code == 404
    assert read_client.get("/organizations/NOPE/export/documents.csv").status_code == 404
