"""CSV exports never hand a spreadsheet a formula (OWASP, "CSV Injection"): a cell starting with
`=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a single quote."""

import csv
import io

import pytest

from app.citations import Citation as Found
from app.documents.store import DocumentIn, ingest_document

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def _rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("formula", FORMULAS)
def test_documents_and_citations_csv_neutralize_formulas(client, session, formula):
    cit = Found(symbol="A/RES/59/48", raw="59/48", start=0, end=5, verb=formula, verb_class="recall",
                date=None, location="preamble", paragraph=formula + " 第59/48号", paragraph_index=0,
                footnote=None, called_from=None, link=None)
    ingest_document(session, DocumentIn(key="k", kind="other", title=formula, text=formula + " 第59/48号"),
                    citations=[cit])
    documents = _rows(client.get("/export/documents.csv").content)
    (row,) = [r for r in documents if r["key"] == "k"]
    assert row["title"] == "'" + formula
    (cited,) = _rows(client.get("/export/citations.csv").content)
    assert cited["verb"] == "'" + formula
    assert cited["paragraph"].startswith("'" + formula)
    # Plain cells are left alone; negative numbers are not strings and stay numbers.
    assert cited["cited_symbol"] == "A/RES/59/48" and row["kind"] == "other"


def test_the_json_export_keeps_values_as_they_are(client, session):
    ingest_document(session, DocumentIn(key="k", kind="other", title="=1+1", text="x"))
    docs = client.get("/export/lineage.json").json()["documents"]
    assert [d["title"] for d in docs if d["key"] == "k"] == ["=1+1"]
