"""Exports of a scope (one organization, or the whole database): CSV, JSON and GraphML.

Identifiers are stable across exports and databases: a document is its `key` (its symbol when
it has one, else the key the seed or the admin gave it), never its autoincrement id; a
citation is `{citing key}#{position}` (its 0-based place among the citing text's citations).
Nothing time-dependent is written, so exporting the same data twice gives the same bytes.

CSV opens in a spreadsheet as it is: UTF-8 with a byte-order mark (Excel then reads the Chinese
correctly), a header row, CRLF line ends, every field quoted where needed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import networkx as nx

from app.citations.excerpt import excerpts
from app.documents import labels

DOCUMENT_FIELDS = [
    "key", "symbol", "label_zh", "label_en", "kind", "organization", "chains", "session", "date",
    "date_source", "title", "title_en", "has_text", "became", "cited_by_count", "url", "undocs_url",
]
CITATION_FIELDS = [
    "id", "citing_key", "citing_symbol", "position", "cited_key", "cited_symbol", "verb",
    "verb_class", "cited_date", "location", "paragraph_index", "footnote", "link", "in_series",
    "raw", "paragraph",
]


def citation_id(citing_key: str, position: int) -> str:
    return f"{citing_key}#{position}"


def _orgs_by_id(scope) -> dict[int, str]:
    return {o.id: o.acronym for o in scope.organizations}


def document_rows(scope, *, url: Callable[[object], str], undocs: Callable[[str], str]) -> list[dict]:
    """One dict per document of the scope, in time order, keyed by DOCUMENT_FIELDS."""
    keys = {d.id: d.key for d in scope.documents}
    org_names = _orgs_by_id(scope)
    chains: dict[int, list[str]] = {}
    for acronym, ids in scope.chains.items():
        for i in ids:
            chains.setdefault(i, []).append(acronym)
    rows = []
    for d in scope.documents:
        rows.append({
            "key": d.key,
            "symbol": d.symbol,
            "label_zh": labels.document_label(d, "zh"),
            "label_en": labels.document_label(d, "en"),
            "kind": d.kind,
            "organization": org_names.get(d.organization_id),
            "chains": ";".join(sorted(chains.get(d.id, []))),
            "session": d.session,
            "date": d.date.isoformat() if d.date else None,
            "date_source": d.date_source,
            "title": d.title,
            "title_en": d.title_en,
            "has_text": d.text is not None,
            "became": keys.get(d.became_id),
            "cited_by_count": len(scope.citers.get(d.id, ())),
            "url": url(d),
            "undocs_url": undocs(d.symbol) if d.symbol else None,
        })
    return rows


def _excerpts(scope) -> dict[int, str]:
    """citation id -> the words around it in its paragraph (app/citations/excerpt.py)."""
    groups: dict[tuple[int, int], list] = {}
    for c in scope.citations:
        groups.setdefault((c.citing_id, c.paragraph_index), []).append(c)
    out = {}
    for key, cits in groups.items():
        cits.sort(key=lambda c: c.position)
        for c, text in zip(cits, excerpts(scope.paragraphs.get(key, ""), [c.raw for c in cits])):
            out[c.id] = text
    return out


def citation_rows(scope) -> list[dict]:
    """One dict per citation whose citing text is in the scope, keyed by CITATION_FIELDS.

    `paragraph` is the words around the citation, not its whole paragraph (which a paragraph
    listing thousands of symbols would repeat thousands of times): `paragraph_rows` has each
    paragraph once."""
    docs = {d.id: d for d in scope.documents}
    around = _excerpts(scope)
    rows = []
    for c in scope.citations:
        citing = docs.get(c.citing_id)
        if citing is None:
            continue
        cited = docs.get(c.cited_id)
        rows.append({
            "id": citation_id(citing.key, c.position),
            "citing_key": citing.key,
            "citing_symbol": citing.symbol,
            "position": c.position,
            "cited_key": cited.key if cited is not None else None,
            "cited_symbol": c.cited_symbol,
            "verb": c.verb,
            "verb_class": c.verb_class,
            "cited_date": c.cited_date.isoformat() if c.cited_date else None,
            "location": c.location,
            "paragraph_index": c.paragraph_index,
            "footnote": c.footnote,
            "link": c.link,
            "in_series": bool(c.in_series),
            "raw": c.raw,
            "paragraph": around.get(c.id, ""),
        })
    rows.sort(key=lambda r: (r["citing_key"], r["position"]))
    return rows


def paragraph_rows(scope) -> list[dict]:
    """Each paragraph the scope's citations are in, once: `{"citing_key", "paragraph_index",
    "text"}`, in the citing texts' order."""
    keys = {d.id: d.key for d in scope.documents}
    rows = [{"citing_key": keys[d], "paragraph_index": i, "text": text}
            for (d, i), text in scope.paragraphs.items() if d in keys]
    rows.sort(key=lambda r: (r["citing_key"], r["paragraph_index"]))
    return rows


def to_csv(rows: list[dict], fields: list[str]) -> bytes:
    """UTF-8 with BOM, CRLF, header first; None is an empty cell, booleans `true`/`false`."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in fields})
    return out.getvalue().encode("utf-8-sig")


# OWASP's rule against CSV injection: a cell a spreadsheet would read as a formula (or as the
# start of one, after a tab or a carriage return) gets a leading single quote, shown as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def organization_rows(scope, *, url: Callable[[str], str]) -> list[dict]:
    wanted = [scope.organization] if scope.organization is not None else scope.organizations
    return [
        {"acronym": o.acronym, "name_zh": o.name_zh, "name_en": o.name_en,
         "observer_symbol": o.observer_symbol, "series_titles": list(o.series_titles or []),
         "url": url(o.acronym)}
        for o in wanted
    ]


def to_json(scope, *, url, undocs, org_url) -> bytes:
    """`{"scope", "organizations", "documents", "citations", "paragraphs"}`, pretty, UTF-8 (not
    ASCII-escaped); each citation's `paragraph` is an excerpt, `paragraphs` has each one whole."""
    data = {
        "scope": scope.organization.acronym if scope.organization is not None else "all",
        "organizations": organization_rows(scope, url=org_url),
        "documents": document_rows(scope, url=url, undocs=undocs),
        "citations": citation_rows(scope),
        "paragraphs": paragraph_rows(scope),
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def to_graph(scope, *, url, undocs) -> nx.MultiDiGraph:
    """A MultiDiGraph: nodes are document keys, edges citing -> cited keyed by citation id.

    Attributes with no value are left out (GraphML has no null); each attribute keeps one type.
    """
    g = nx.MultiDiGraph(name=f"Lineage {scope.organization.acronym if scope.organization else 'all'}")
    for row in document_rows(scope, url=url, undocs=undocs):
        attrs = {k: v for k, v in row.items() if k != "key" and v not in (None, "")}
        g.add_node(row["key"], **attrs)
    for row in citation_rows(scope):
        if row["cited_key"] is None:
            continue
        attrs = {k: v for k, v in row.items()
                 if k not in ("id", "citing_key", "cited_key") and v not in (None, "")}
        g.add_edge(row["citing_key"], row["cited_key"], key=row["id"], **attrs)
    return g


def to_graphml(scope, *, url, undocs) -> bytes:
    out = io.BytesIO()
    nx.write_graphml(to_graph(scope, url=url, undocs=undocs), out, encoding="utf-8")
    return out.getvalue()
