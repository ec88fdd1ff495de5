"""Hostile input gets a clear 4xx, is shown escaped, and changes nothing stored."""

import pytest
from sqlmodel import func, select

from app.documents.store import DocumentIn, ingest_document
from app.models import Citation, Document
from tests.helpers import soup

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQLISH = "59/48'; DROP TABLE document; --"


def _counts(session):
    session.expire_all()
    return (session.exec(select(func.count()).select_from(Document)).one(),
            session.exec(select(func.count()).select_from(Citation)).one())


@pytest.fixture
def hostile_doc(seeded):
    ingest_document(seeded, DocumentIn(
        key="hostile-1", kind="other", organization="SCO", title=XSS,
        text=f"大会，\n回顾其2004年12月2日第59/48号决议，{XSS}\n"))
    return seeded


@pytest.mark.parametrize("path", [
    "/documents/hostile-1", "/organizations/SCO", "/documents/A/RES/59/48", f"/search?q={XSS}",
    "/search?q=上海", "/api/documents/hostile-1",
])
def test_script_payloads_are_shown_escaped(client, hostile_doc, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    if path.startswith("/api/"):
        # JSON carries the text as data; nosniff keeps a browser from reading it as HTML.
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-content-type-options"] == "nosniff"
        return
    assert "<script>alert" not in response.text
    assert "<img src=x" not in response.text


def test_script_payload_reads_back_as_text(client, hostile_doc):
    page = soup(client.get("/documents/hostile-1"))
    assert XSS in page.get_text()
    assert page.find("script", string=lambda s: s and "alert" in s) is None


@pytest.mark.parametrize("q", [SQLISH, "' OR 1=1 --", '" OR ""="', "%' --", "_%_"])
def test_sql_shaped_queries_change_nothing(read_client, read_session, q):
    before = _counts(read_session)
    for url in ("/search", "/api/symbols", "/api/search"):
        response = read_client.get(url, params={"q": q})
        assert response.status_code < 500, (url, response.text)
    assert read_client.get(f"/documents/{q}").status_code == 404
    assert _counts(read_session) == before


@pytest.mark.parametrize("path", [
    "/documents/%FF%FE", "/search?q=%FF%FE%C3%28", "/api/symbols?q=%C3%28", "/api/documents/%E2%82",
    "/organizations/%FF",
])
def test_invalid_utf8_in_urls_is_a_4xx_or_a_clean_miss(read_client, read_session, path):
    response = read_client.get(path)
    assert response.status_code < 500
    if response.status_code == 200 and path.startswith("/api/symbols"):
        assert response.json()["symbol"] is None and response.json()["error"]
    else:
        assert response.status_code != 200 or "search" in path


@pytest.mark.parametrize("path", ["/search?q=59%0048", "/documents/A/RES/59%00/48", "/api/symbols?q=%00"])
def test_nul_bytes_in_urls_are_refused(read_client, read_session, path):
    response = read_client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]


def test_nul_bytes_in_a_body(read_client, read_session):
    response = read_client.post("/api/extract", json={"text": "回顾第59/48号\x00决议"})
    assert response.status_code == 200  # extraction reads it; nothing is stored
    with pytest.raises(ValueError, match="NUL"):
        ingest_document(read_session, DocumentIn(key="nul", kind="other", text="a\x00b"))


def test_invalid_utf8_json_body(client):
    response = client.post("/api/extract", content=b'{"text": "\xff\xfe"}',
                           headers={"content-type": "application/json"})
    assert response.status_code in (400, 422) and "error" in response.json()


@pytest.mark.parametrize("path", [
    "/static/../app/config.py", "/static/%2e%2e/app/config.py", "/static/..%2fpyproject.toml",
    "/documents/../../etc/passwd", "/documents/%2e%2e/%2e%2e/etc/passwd",
])
def test_path_traversal_reveals_nothing(read_client, read_session, path):
    response = read_client.get(path)
    assert response.status_code in (400, 404)
    assert "LINEAGE_" not in response.text and "root:" not in response.text


def test_absurdly_long_symbols(read_client, read_session):
    long = "A/RES/" + "9" * 20000
    assert read_client.get(f"/documents/{long}").status_code == 404
    response = read_client.get(f"/api/documents/{long}")
    assert response.status_code == 422 and "at most 2000" in response.json()["error"]
    body = read_client.get("/api/symbols", params={"q": "59/" + "4" * 400}).json()
    assert body["symbol"] is None and body["error"]
    assert read_client.get("/search", params={"q": "x" * 5000}).status_code == 422


@pytest.mark.parametrize("body, ctype", [
    (b"text=%ZZ%", "application/x-www-form-urlencoded"),
    (b"--xx\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nabc", "multipart/form-data; boundary=xx"),
    (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
    (b"{}", "multipart/form-data"),
])
def test_malformed_form_posts(read_client, read_session, body, ctype):
    before = _counts(read_session)
    response = read_client.post("/extract", content=body, headers={"content-type": ctype})
    assert 200 <= response.status_code < 500
    assert _counts(read_session) == before


def test_security_headers_on_every_response(read_client, read_session):
    for path in ("/", "/documents/A/RES/59/48", "/api/organizations", "/nope", "/static/app.css"):
        headers = read_client.get(path).headers
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", [
    "/organizations/SCO/feed.atom", "/documents/A/RES/59/48/citing.atom",
    "/export/lineage.graphml", "/organizations/SCO/export/lineage.graphml",
])
def test_script_payloads_are_escaped_in_feeds_and_exports(client, hostile_doc, path):
    """A title with markup stays text: the XML parses, and the payload reads back as characters."""
    from lxml import etree

    response = client.get(path)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert XSS in "".join(root.itertext()) or XSS in response.content.decode()
    assert b"<script>" not in response.content
    assert not root.xpath("//*[local-name()='script']")


def test_exports_keep_payloads_as_data(client, hostile_doc):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(client.get("/export/documents.csv").content.decode("utf-8-sig"))))
    assert any(XSS in (r.get("title") or "") for r in rows)
    data = client.get("/export/lineage.json")
    assert data.headers["content-type"].startswith("application/json")
    assert any(d.get("title") == XSS for d in data.json()["documents"])


def test_a_link_out_of_an_ingested_folder_shows_nothing_of_what_it_points_to(session, client, tmp_path):
    """`ln -s /etc/passwd passwd.txt; lineage ingest DIR` stored the file it points to, shown at
    /documents/file-passwd: a link out of the folder is refused, and nothing of it is served."""
    from app.documents.intake import ingest_paths

    secret = tmp_path / "etc" / "passwd"  # like /etc/passwd, outside the folder
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "shadow.txt").symlink_to("../etc/passwd")
    report = ingest_paths(session, [folder])
    assert {(s, d) for _, s, d in report.results} == {("refused", "a link out of the folder: not followed")}
    assert _counts(session) == (0, 0)
    for path in ("/documents/file-passwd", "/api/documents/file-passwd", "/documents/file-shadow",
                 "/search?q=root"):
        response = client.get(path)
        assert response.status_code in (200, 404) and "root:x" not in response.text
