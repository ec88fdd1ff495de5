"""The timeline graph: documents on a session axis, one lane per organization, citations as edges.

Layout is Graphviz's `dot` (the `graphviz` package drives the Debian `dot` binary): time runs
left to right (`rankdir=LR`), every session is a rank (`rank=same` with an axis node carrying
the session number and its years), every organization a cluster (a lane), and `newrank=true`
lets the session ranks cut across the lanes. Citation edges do not constrain the ranking
(`constraint=false`), so a document stands at its session whatever it cites.

Lanes:
- an organization's lane holds its texts, its chain (`app.chains.membership`) and what only its
  texts cite (drawn dashed: context, not chain);
- the *shared* lane holds what two or more texts cite outside any one chain (61/210,
  1631(2005), 60/288, S/PRST/2010/1 …) and what stands in two chains; such a node is drawn with a
  double border, and marked `cross-org` when texts of several organizations cite it;
- *other* holds documents that neither belong to nor are cited by an organization.

`build` turns an `app.graph.scope.GraphScope` into a `Timeline` (plain data, tested without Graphviz);
`to_dot` gives the Graphviz source (app.graph.layouts lays it out), and `finish_svg`
post-processes dot's SVG with lxml: every node's link gets
a plain `href` beside Graphviz's `xlink:href`, and nodes and edges get `data-*` attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from app.calendar import session_of, session_years
from app.documents.labels import document_title as title

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

SHARED = "shared"
OTHER = "other"
UNDATED = "undated"

# verb class -> (colour, Graphviz style, pen width). The page's legend shows the same.
VERB_STYLES: dict[str, tuple[str, str, float]] = {
    "recall": ("#0b5cad", "solid", 1.6),
    "refer": ("#2e7d32", "dashed", 1.6),
    "reaffirm": ("#6a1b9a", "bold", 2.4),
    "note": ("#e65100", "dotted", 1.8),
    "welcome": ("#c2185b", "solid", 1.2),
    "bear_in_mind": ("#00838f", "dashed", 1.2),
    "other": ("#8a939e", "dotted", 1.0),
}

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"


@dataclass
class Node:
    key: str  # the document's stable key
    name: str  # the Graphviz node name (n0, n1 …: keys may hold characters dot reads as ports)
    label: str
    tooltip: str
    url: str
    lane: str
    session: int | None
    kind: str
    has_text: bool
    in_chain: bool
    shared: bool  # cited by two or more texts outside a single chain
    cross_org: bool  # cited by texts of two or more organizations
    citers: int

    @property
    def classes(self) -> list[str]:
        out = ["doc", f"kind-{self.kind}", f"lane-{self.lane}"]
        out.append("has-text" if self.has_text else "no-text")
        out.append("chain" if self.in_chain else "context")
        if self.shared:
            out.append("shared")
        if self.cross_org:
            out.append("cross-org")
        return out


@dataclass
class Edge:
    id: str
    source: str  # citing document key
    target: str  # cited document key
    verb_class: str
    verbs: list[str]
    count: int  # citations merged into this edge (same citing, cited and verb class)


@dataclass
class Timeline:
    lanes: list[tuple[str, str]]  # (lane id, label), top to bottom
    sessions: list[int]  # ranks, ascending; the undated rank comes last when used
    has_undated: bool
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)


def lane_of(doc, scope) -> tuple[str, bool, bool]:
    """(lane, shared, cross_org) of a document in `scope` (an `app.graph.scope.GraphScope`)."""
    owners = scope.doc_orgs.get(doc.id, set())
    citers = scope.citers.get(doc.id, 0)  # how many documents cite it
    citing_orgs = scope.citing_orgs.get(doc.id, set())
    cross_org = len(citing_orgs) >= 2
    if len(owners) == 1:
        return next(iter(owners)), False, cross_org
    if len(owners) > 1:
        return SHARED, True, cross_org
    if citers >= 2:
        return SHARED, True, cross_org
    if len(citing_orgs) == 1:
        return next(iter(citing_orgs)), False, False
    return OTHER, False, False


def build(
    scope,
    *,
    label: Callable[[object], str],
    url: Callable[[object], str],
    lane_label: Callable[[str], str],
    lang: str = "zh",
) -> Timeline:
    """The graph of `scope`: a node per document, an edge per (citing, cited, verb class)."""
    nodes: list[Node] = []
    by_id: dict[int, Node] = {}
    for i, doc in enumerate(scope.documents):
        lane, shared, cross = lane_of(doc, scope)
        in_chain = bool(scope.doc_orgs.get(doc.id))
        name = label(doc)
        doc_title = title(doc, lang)
        tip = " · ".join(
            x for x in (name, doc_title, doc.date.isoformat() if doc.date else None) if x
        )
        node = Node(
            key=doc.key, name=f"n{i}", label=_short(name, doc), tooltip=tip, url=url(doc),
            lane=lane, session=session_of(doc), kind=doc.kind, has_text=doc.has_text,
            in_chain=in_chain, shared=shared, cross_org=cross,
            citers=scope.citers.get(doc.id, 0),
        )
        nodes.append(node)
        by_id[doc.id] = node

    merged: dict[tuple[str, str, str], Edge] = {}
    for c in scope.citations:
        src, dst = by_id.get(c.citing_id), by_id.get(c.cited_id)
        if src is None or dst is None:
            continue
        k = (src.key, dst.key, c.verb_class)
        edge = merged.get(k)
        if edge is None:
            edge = merged[k] = Edge(
                id=f"cite:{src.key}>{dst.key}:{c.verb_class}", source=src.key, target=dst.key,
                verb_class=c.verb_class if c.verb_class in VERB_STYLES else "other",
                verbs=[], count=0,
            )
        edge.count += 1
        if c.verb and c.verb not in edge.verbs:
            edge.verbs.append(c.verb)

    order = [o.acronym for o in scope.organizations]
    if scope.organization is not None:
        order.remove(scope.organization.acronym)
        order.insert(0, scope.organization.acronym)
    used = {n.lane for n in nodes}
    lanes = [(lane, lane_label(lane)) for lane in [*order, SHARED, OTHER] if lane in used]
    sessions = sorted({n.session for n in nodes if n.session is not None})
    return Timeline(
        lanes=lanes, sessions=sessions, has_undated=any(n.session is None for n in nodes),
        nodes=nodes, edges=list(merged.values()),
    )


def _short(name: str, doc) -> str:
    """59/48 for A/RES/59/48; a label without a symbol wraps after 12 characters."""
    if doc.symbol:
        return doc.symbol.removeprefix("A/RES/")
    if len(name) > 12 and " " not in name:
        return "\n".join(name[i : i + 12] for i in range(0, len(name), 12))
    return name


def _rank(session: int | None) -> str:
    return f"axis-{session}" if session is not None else f"axis-{UNDATED}"


def to_dot(timeline: Timeline, *, undated_label: str = "?", session_label=None):
    """The Graphviz `Digraph` of a timeline (not yet laid out)."""
    import graphviz

    session_label = session_label or (lambda s: f"{s}\n{session_years(s)}")
    g = graphviz.Digraph("lineage", format="svg")
    g.attr(
        rankdir="LR", newrank="true", ranksep="0.45", nodesep="0.18", fontname=FONT,
        bgcolor="white", outputorder="edgesfirst", pad="0.2",
    )
    g.attr("node", fontname=FONT, fontsize="11", shape="box", style="rounded", margin="0.08,0.04",
           height="0.3")
    g.attr("edge", arrowsize="0.6")

    ranks = [*timeline.sessions] + ([None] if timeline.has_undated else [])
    # The axis: one plaintext node per rank, chained so the ranks keep their order.
    g.node("axis-lanes", label="", shape="plaintext", width="0.1")
    for s in ranks:
        g.node(_rank(s), label=session_label(s) if s is not None else undated_label,
               shape="plaintext", fontcolor="#5b6776", fontsize="10", **{"class": "axis"})
    chain = ["axis-lanes", *(_rank(s) for s in ranks)]
    for a, b in zip(chain, chain[1:]):
        g.edge(a, b, style="invis", weight="100")

    # Lanes: a cluster per lane, each opening with its label node in the first rank; flat
    # invisible edges between those label nodes fix the lanes' order from top to bottom.
    for lane, text in timeline.lanes:
        with g.subgraph(name=f"cluster_{lane}") as c:
            c.attr(label="", style="rounded,filled", color="#d9dee5",
                   fillcolor="#f6f8fa" if lane not in (SHARED, OTHER) else "#fffaf0",
                   **{"class": f"lane lane-{lane}"})
            c.node(f"lane-{lane}", label=graphviz.escape(text), shape="plaintext", fontsize="12",
                   fontcolor="#1d2733", **{"class": "lane-label"})
            for n in timeline.nodes:
                if n.lane == lane:
                    c.node(n.name, **_node_attrs(n))
    with g.subgraph() as s:
        s.attr(rank="same")
        s.node("axis-lanes")
        for lane, _ in timeline.lanes:
            s.node(f"lane-{lane}")
    heads = ["axis-lanes", *(f"lane-{lane}" for lane, _ in timeline.lanes)]
    for a, b in zip(heads, heads[1:]):
        g.edge(a, b, style="invis")
    for r in ranks:
        with g.subgraph() as s:
            s.attr(rank="same")
            s.node(_rank(r))
            for n in timeline.nodes:
                if n.session == r:
                    s.node(n.name)

    # The citations, a group per verb class whose look is said once, as the group's edge
    # defaults: the graphviz package quotes every attribute of every edge (2 µs each), and a
    # session range draws hundreds of edges.
    names = {n.key: n.name for n in timeline.nodes}
    by_class: dict[str, list[Edge]] = {}
    for e in timeline.edges:
        by_class.setdefault(e.verb_class, []).append(e)
    for verb_class, edges in by_class.items():
        colour, style, width = VERB_STYLES[verb_class]
        with g.subgraph() as s:
            s.attr("edge", constraint="false", color=colour, style=style, penwidth=str(width),
                   **{"class": f"cite verb-{verb_class}"})
            for e in edges:
                s.edge(names[e.source], names[e.target], id=e.id,
                       tooltip=f"{', '.join(e.verbs) or e.verb_class} ×{e.count}")
    return g


def _node_attrs(n: Node) -> dict[str, str]:
    style = ["rounded"]
    import graphviz

    attrs = {"label": graphviz.escape(n.label), "tooltip": graphviz.escape(n.tooltip), "href": n.url,
             "target": "_top",
             "id": f"doc:{n.key}", "class": " ".join(n.classes), "color": "#0b5cad"}
    if n.kind == "letter":
        attrs["shape"] = "note"
        style = []
    elif n.kind == "draft_resolution":
        attrs["shape"] = "box"
        style = []
    if n.has_text:
        style.append("filled")
        attrs["fillcolor"] = "#dbe9f7"
    if not n.in_chain:
        style.append("dashed")
        attrs["color"] = "#8a939e"
    if n.shared:
        style.append("filled")
        attrs["fillcolor"] = "#fff3cd"
        attrs["peripheries"] = "2"
        attrs["color"] = "#b26a00"
    attrs["style"] = ",".join(dict.fromkeys(style)) or "solid"
    return attrs


def finish_svg(raw: bytes, timeline: Timeline, *, name: str = "") -> str:
    """dot's SVG of `timeline`, finished for the page: named (`name` is what assistive
    technology announces), nodes and edges tagged with `data-*`, plain `href`s."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(raw, parser)
    root.set("class", "timeline")
    # A group, not an image: the drawing holds links (an image's content is hidden from
    # assistive technology, so links in one are unreachable), and a group is named by its label.
    root.set("role", "group")
    root.set("aria-label", name or "timeline")
    by_id = {f"doc:{n.key}": n for n in timeline.nodes}
    edges = {e.id: e for e in timeline.edges}
    for g in root.iter(f"{{{SVG_NS}}}g"):
        gid = g.get("id", "")
        if gid in by_id:
            g.set("data-key", by_id[gid].key)
            g.set("data-lane", by_id[gid].lane)
        elif gid in edges:
            e = edges[gid]
            g.set("data-source", e.source)
            g.set("data-target", e.target)
            g.set("data-verb-class", e.verb_class)
    for a in root.iter(f"{{{SVG_NS}}}a"):
        href = a.get(f"{{{XLINK_NS}}}href")
        if href:
            a.set("href", href)
    return etree.tostring(root, encoding="unicode")
