"""The timeline graph: SVG laid out by Graphviz, read back with a real XML parser."""

import re

import pytest
from lxml import etree

from app.web import urls
from app.models import Document
from app.graph import layout as graph
from tests.helpers import soup

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


@pytest.fixture
def engine(file_engine):
    """A SQLite file (conftest.file_engine): drawings are stored on the layout thread."""
    return file_engine


def _svg(client, path):
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    return etree.fromstring(r.content)


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _nodes(root) -> dict[str, etree._Element]:
    return {g.get("data-key"): g for g in root.iter(f"{SVG}g") if "doc" in _classes(g)}


def _edges(root) -> list[etree._Element]:
    return [g for g in root.iter(f"{SVG}g") if "cite" in _classes(g)]


def _center(node) -> tuple[float, float]:
    text = node.find(f".//{SVG}text")
    return float(text.get("x")), float(text.get("y"))


def _lane_box(root, lane) -> tuple[float, float]:
    """(top, bottom) y of a lane's cluster rectangle."""
    cluster = next(g for g in root.iter(f"{SVG}g") if f"lane-{lane}" in _classes(g) and "lane" in _classes(g))
    shape = cluster.find(f"{SVG}path")
    if shape is None:
        shape = cluster.find(f"{SVG}polygon")
    coords = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d") or shape.get("points"))]
    ys = coords[1::2]
    return min(ys), max(ys)


def test_whole_graph_has_every_document_as_a_linked_node(read_session, read_client):
    root = _svg(read_client, urls.graph_svg())
    nodes = _nodes(root)
    docs = read_session.exec(Document.__table__.select()).all()
    assert set(nodes) == {d.key for d in docs}
    for key, g in nodes.items():
        a = g.find(f".//{SVG}a")
        doc = next(d for d in docs if d.key == key)
        assert a.get("href") == urls.document(doc) == a.get(f"{XLINK}href")
        assert "has-text" in _classes(g) or "no-text" in _classes(g)
    assert "has-text" in _classes(nodes["A/77/L.107"])
    assert "no-text" in _classes(nodes["A/RES/64/183"])


def test_edges_are_citations_styled_by_verb_class(read_session, read_client):
    root = _svg(read_client, urls.graph_svg())
    nodes = _nodes(root)
    edges = _edges(root)
    assert edges
    pairs = {(e.get("data-source"), e.get("data-target"), e.get("data-verb-class")) for e in edges}
    for source, target, verb_class in pairs:
        assert source in nodes and target in nodes
        assert verb_class in graph.VERB_STYLES
    # A/77/L.107 recalls 64/183; the CSTO draft refers to 64/256
    assert ("A/77/L.107", "A/RES/64/183", "recall") in pairs
    assert ("seed-004-5f2f1bc2f128ea34", "A/RES/64/256", "refer") in pairs
    colours = {e.get("data-verb-class"): e.find(f".//{SVG}path").get("stroke") for e in edges}
    assert colours["recall"] == graph.VERB_STYLES["recall"][0]
    assert colours["refer"] == graph.VERB_STYLES["refer"][0]
    assert colours["recall"] != colours["refer"]


def test_shared_citations_stand_in_the_shared_lane(read_session, read_client):
    root = _svg(read_client, urls.graph_svg())
    nodes = _nodes(root)
    for key in ("S/RES/1631(2005)", "A/RES/60/288", "S/PRST/2010/1", "A/RES/61/210"):
        assert "shared" in _classes(nodes[key]), key
        assert nodes[key].get("data-lane") == graph.SHARED
    # 1631(2005) is cited by CSTO's and CIS's texts, 60/288 by SCO's and CSTO's
    assert "cross-org" in _classes(nodes["S/RES/1631(2005)"])
    assert "cross-org" in _classes(nodes["A/RES/60/288"])
    assert "cross-org" not in _classes(nodes["A/RES/61/210"])  # two SCO texts
    assert nodes["A/RES/64/183"].get("data-lane") == "SCO"
    assert nodes["seed-004-5f2f1bc2f128ea34"].get("data-lane") == "CSTO"
    assert "context" in _classes(nodes["A/RES/70/1"])  # cited once, outside the chain


def test_time_runs_left_to_right_and_each_lane_holds_its_nodes(read_session, read_client):
    root = _svg(read_client, urls.graph_svg())
    nodes = _nodes(root)
    x = {k: _center(g)[0] for k, g in nodes.items()}
    assert x["A/RES/48/237"] < x["A/RES/59/48"] < x["A/RES/64/183"] < x["A/RES/69/11"] < x["A/77/L.107"]
    # one rank per session: the 2008 letter is for the 64th session, like 64/183
    assert abs(x["seed-000-02a8ab7b9388f710"] - x["A/RES/64/183"]) < 1
    assert abs(x["A/RES/64/183"] - x["A/RES/64/256"]) < 1
    for key, g in nodes.items():
        top, bottom = _lane_box(root, g.get("data-lane"))
        assert top <= _center(g)[1] <= bottom, key
    axis = [t.text for g in root.iter(f"{SVG}g") if "axis" in _classes(g) for t in g.iter(f"{SVG}text")]
    assert "64" in axis and "2009–2010" in axis


def test_organization_graph_holds_its_chain_and_what_it_cites(read_session, read_client):
    root = _svg(read_client, urls.graph_svg("SCO"))
    nodes = _nodes(root)
    assert {"A/RES/59/48", "A/RES/64/183", "A/RES/75/268", "A/77/L.107", "seed-000-02a8ab7b9388f710"} <= set(nodes)
    assert "A/RES/60/288" in nodes and "cross-org" in _classes(nodes["A/RES/60/288"])
    assert "seed-002-cad8b63664231793" not in nodes  # CSTO's letter
    assert "A/RES/59/50" not in nodes
    lanes = {g.get("data-lane") for g in nodes.values()}
    assert lanes == {"SCO", graph.SHARED}


def test_graph_page_inlines_the_svg_with_a_legend_and_links(read_session, read_client):
    r = read_client.get(urls.graph("CSTO"))
    page = soup(r)
    svg = page.select_one("figure.timeline-graph svg.timeline")
    assert svg is not None
    hrefs = {a.get("href") for a in svg.find_all("a") if a.get("href")}
    assert "/documents/A/RES/59/50" in hrefs and "/documents/seed-004-5f2f1bc2f128ea34" in hrefs
    for href in hrefs:  # every node lands on a document page
        assert read_client.get(href).status_code == 200, href
    legend = [li["data-verb-class"] for li in page.select("section.legend ul.legend-verbs li")]
    assert legend == list(graph.VERB_STYLES)
    assert page.select_one("a.raw-svg")["href"] == urls.graph_svg("CSTO")
    assert page.select_one(f'a[href="{urls.export("lineage.graphml", "CSTO")}"]')


def test_graph_in_english_names_lanes_in_english(read_session, read_client):
    root = _svg(read_client, urls.graph_svg() + "?lang=en")
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert "Shared citations" in texts and "Shanghai Cooperation Organization" in texts


def test_graph_is_linked_from_home_and_organization_pages(read_session, read_client):
    home = soup(read_client.get("/"))
    assert home.select_one(f'a[href="{urls.graph()}"]')
    assert home.select_one(f'tr[data-acronym="SCO"] a[href="{urls.graph("SCO")}"]')
    org = soup(read_client.get(urls.organization("SCO")))
    assert org.select_one(f'a.graph-link[href="{urls.graph("SCO")}"]')


def test_unknown_organization_graph_is_404(read_session, read_client):
    for path in ("/organizations/NOPE/graph", "/organizations/NOPE/graph.svg"):
        r = read_client.get(path)
        assert r.status_code == 404
        assert "NOPE" in r.text


def test_empty_database_draws_an_empty_graph(client):
    root = _svg(client, urls.graph_svg())
    assert _nodes(root) == {}
    assert client.get(urls.graph()).status_code == 200


def test_awkward_titles_and_keys_do_not_break_the_svg(seeded, client):
    import datetime as dt

    from app.documents.store import DocumentIn, ingest_document

    ingest_document(seeded, DocumentIn(
        key="odd-key&<1>", kind="draft_resolution", organization="SCO", session=78,
        date=dt.date(2023, 10, 1), title='引号"与\\反斜杠 <b>&amp;', title_en='Quotes "and" \\N <b>',
        text="大会，\n\n回顾其第75/268号决议，\n\n1. 决定继续审议。\n",
    ))
    for path in (urls.graph_svg(), urls.graph_svg("SCO") + "?lang=en"):
        nodes = _nodes(_svg(client, path))
        a = nodes["odd-key&<1>"].find(f".//{SVG}a")
        assert a.get("href") == "/documents/odd-key%26%3C1%3E"
        assert 'Quotes "and"' in a.get(f"{XLINK}title") or '引号"与' in a.get(f"{XLINK}title")
    assert client.get("/documents/odd-key%26%3C1%3E").status_code == 200


def test_a_new_text_of_another_organization_makes_a_document_cross_organization(seeded, client):
    """The graph reads which organizations cite a document from the read model: a CIS text that
    now cites 61/210 (cited by two SCO texts only) makes it cross-organization on SCO's graph as
    soon as the text is saved, and deleting the text undoes it."""
    from app.citations import Citation as Found
    from app.documents import audit
    from app.documents.store import DocumentIn, ingest_document

    def cross_org() -> bool:
        return "cross-org" in _classes(_nodes(_svg(client, urls.graph_svg("SCO")))["A/RES/61/210"])

    assert not cross_org()
    paragraph = "回顾其关于联合国同独立国家联合体的合作的第61/210号决议，"
    found = Found(symbol="A/RES/61/210", raw="61/210", start=0, end=6, verb="回顾", verb_class="recall",
                  date=None, location="preamble", paragraph=paragraph, paragraph_index=0, footnote=None,
                  called_from=None, link=None)
    result = ingest_document(seeded, DocumentIn(symbol="A/80/L.99", kind="draft_resolution", text=paragraph,
                                                organization="CIS", session=80), citations=[found])
    seeded.commit()
    assert cross_org()
    audit.delete(seeded, result.document, "tester", result.document.version)
    assert not cross_org()
