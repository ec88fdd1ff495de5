"""Exports written as they are read: chunked bodies, JSON Lines, the same bytes as a whole-object dump."""

import json

import pytest

from app.web import urls
from app.exports import formats as export
from app.exports import snapshots

NAMES = ("documents.csv", "citations.csv", "lineage.json", "lineage.jsonl", "lineage.graphml")


@pytest.mark.parametrize("acronym", [None, "SCO", "CSTO"])
def test_jsonl_holds_the_json_exports_rows(seeded, client, acronym):
    whole = json.loads(client.get(urls.export("lineage.json", acronym)).content)
    r = client.get(urls.export("lineage.jsonl", acronym))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/jsonl")
    scope = acronym or "all"
    assert f'filename="lineage-{scope}-lineage.jsonl"' in r.headers["content-disposition"]
    lines = [json.loads(line) for line in r.content.decode("utf-8").splitlines()]
    by_type: dict[str, list] = {"organization": [], "document": [], "citation": [], "paragraph": []}
    for line in lines:
        by_type[line.pop("type")].append(line)
    assert by_type == {"organization": whole["organizations"], "document": whole["documents"],
                       "citation": whole["citations"], "paragraph": whole["paragraphs"]}
    assert by_type["paragraph"]  # each quoted paragraph, once


@pytest.mark.parametrize("acronym", [None, "CIS"])
def test_json_is_byte_for_byte_a_pretty_dump(seeded, client, acronym):
    body = client.get(urls.export("lineage.json", acronym)).content
    data = json.loads(body)
    assert body == json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    assert data["documents"] and data["citations"]


def test_an_organization_without_documents_exports_empty_lists(seeded, client, session):
    from app.models import Organization

    session.add(Organization(acronym="NEW", name_zh="新组织", name_en="New", observer_symbol="A/RES/99/1",
                             series_titles=[]))
    session.commit()
    body = client.get(urls.export("lineage.json", "NEW")).content
    data = json.loads(body)
    assert data["documents"] == [] and data["citations"] == [] and data["organizations"][0]["acronym"] == "NEW"
    assert body == json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    assert client.get(urls.export("documents.csv", "NEW")).content.decode("utf-8-sig").count("\r\n") == 1


@pytest.mark.parametrize("name", NAMES)
def test_exports_stream_in_batches(seeded, client, monkeypatch, name):
    """Read in batches of two rows, the seed's export says the same as in one batch, and leaves
    in many chunks (its file is sent a few hundred bytes at a time here) with no length known
    beforehand."""
    client.app.state.exports.max_bytes = 0  # each request reads the database, not a shared file
    whole = client.get(urls.export(name)).content
    monkeypatch.setattr(export, "BATCH", 2)
    monkeypatch.setattr(snapshots, "CHUNK", 512)
    with client.stream("GET", urls.export(name)) as r:
        assert r.status_code == 200
        assert "content-length" not in r.headers
        chunks = list(r.iter_raw())
    assert len([c for c in chunks if c]) > 5
    assert b"".join(chunks) == whole
