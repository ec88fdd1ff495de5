"""No malformed request gets a 500, on any route, signed in or not, and every answer, errors
included, carries the security headers.

The requests are sent straight to the ASGI app, byte for byte: an HTTP client would refuse to
send most of them (a non-UTF-8 cookie, a lone surrogate), and browsers, proxies and scripts do.
"""

import json
import re

import anyio
import pytest

from tests.conftest import app_on
from tests.admin_support import admin, admin_client, no_slowdown, sco_form, submit  # noqa: F401  (fixtures)

HUGE = str(10**30)
SAMPLES = {  # a value for each path parameter: real where a real one exists, else out of range
    "ref": "A/RES/59/48", "acronym": "SCO", "spec": "A/RES/59/48..A/77/L.107", "name": "documents.csv",
    "entry_id": HUGE,
}

BAD_COOKIES = [
    b"lineage_session=\xff\xfe; lang=\xc3(; csrftoken=\xff",
    b"\xff\xfe=\x80",
    b"lineage_session=" + b"A" * 300 + b".bad.sig",
    b"lang=en; lang=\xe2\x82",
]
BOUNDARY = b"lineage-boundary"
MULTIPART = (b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n"
             b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\xff\xfe\r\n"
             b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\n"
             b"Content-Type: text/plain\r\n\r\nabc\r\n--" + BOUNDARY + b"--\r\n")
BAD_BODIES = [  # (content type, body)
    (b"multipart/form-data; boundary=" + BOUNDARY, MULTIPART),
    (b"multipart/form-data; boundary=" + BOUNDARY, MULTIPART[:60]),
    (b"multipart/form-data", b"--x\r\n\r\n"),
    (b"multipart/form-data; boundary=\xff", b"--\xff\r\n"),
    (b"application/x-www-form-urlencoded", b"username=%FF%FE&password=\xff\xfe&text=%ZZ&version=" + HUGE.encode()),
    (b"application/x-www-form-urlencoded; charset=utf-16", b"\xff\xfea\x00=\x00"),
    (b"application/json", b'{"text": "\\ud800 \\udfff"}'),
    (b"application/json", b'{"text": "\xff\xfe"}'),
    (b"application/json", b'{"text": ' * 5000),
    (b"application/json; charset=klingon", b"[1, 2"),
    (b"text/plain", b"\x00\x01\x02"),
    (b"\xff/\xfe", b"abc"),
]


def _routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, path parameters filled in."""
    found = []

    def walk(routes):
        for route in routes:
            if hasattr(route, "original_router"):  # an included router
                walk(route.original_router.routes)
            elif getattr(route, "methods", None):
                path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLES.get(m.group(1), "x"), route.path)
                found.extend((m, path) for m in sorted(route.methods - {"HEAD"}))

    walk(app.router.routes)
    return sorted(set(found))


def send(app, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b""):
    """One request straight to the ASGI app; returns (status, headers as a dict, body)."""
    raw_path, _, query = path.encode("latin-1").partition(b"?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": raw_path.decode("latin-1"), "raw_path": raw_path, "query_string": query,
        "root_path": "", "headers": [(b"host", b"testserver"), *headers], "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80), "state": {},
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    out = {"status": None, "headers": {}, "body": b""}

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send_(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    async def run():
        try:
            await app(scope, receive, send_)
        except Exception as exc:  # noqa: BLE001 - an escaped exception is what the test looks for
            if out["status"] is None:
                out["status"] = 500
            out["exception"] = repr(exc)

    anyio.run(run)
    return out


def _check(answer, method, path, what):
    where = f"{method} {path} ({what}) -> {answer['status']} {answer.get('exception', '')}"
    assert answer["status"] is not None and answer["status"] < 500, where
    assert "content-security-policy" in answer["headers"], where
    assert answer["headers"].get("x-content-type-options") == "nosniff", where
    if path.startswith("/api/") and answer["status"] >= 400:
        assert "error" in json.loads(answer["body"]), where


def _fuzz(app, extra_cookie: bytes = b"", csrf: str = ""):
    routes = _routes(app)
    assert len(routes) > 25  # the walk found the routers
    for method, path in routes:
        for cookie in BAD_COOKIES:
            headers = [(b"cookie", cookie + (b"; " + extra_cookie if extra_cookie else b""))]
            _check(send(app, method, path, headers), method, path, cookie)
        for weird in [(b"accept-language", b"\xff\xfe"), (b"hx-request", b"\xff"), (b"x-csrftoken", b"\xff\xfe"),
                      (b"content-length", b"-1"), (b"x-forwarded-for", b"\xff, ::::")]:
            headers = [weird] + ([(b"cookie", extra_cookie)] if extra_cookie else [])
            _check(send(app, method, path, headers), method, path, weird)
        for query in ["?before=" + HUGE, "?page=" + HUGE, "?page=-1", "?lang=%FF", "?q=%ED%A0%80", "?as_of=" + HUGE]:
            headers = [(b"cookie", extra_cookie)] if extra_cookie else []
            _check(send(app, method, path + query, headers), method, path, query)
        if method == "POST":
            for content_type, body in BAD_BODIES:
                headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
                if extra_cookie:
                    headers += [(b"cookie", extra_cookie), (b"x-csrftoken", csrf.encode())]
                _check(send(app, method, path, headers, body), method, path, content_type)


def test_no_malformed_request_gets_a_500_anonymous(engine, seeded):
    _fuzz(app_on(engine))


def test_no_malformed_request_gets_a_500_signed_in(admin_client, engine):
    cookie = "; ".join(f"{k}={v}" for k, v in admin_client.cookies.items()).encode()
    _fuzz(app_on(engine), cookie, admin_client.csrf)


@pytest.mark.parametrize("field, value", [("version", HUGE), ("version", "-" + HUGE), ("session", HUGE),
                                           ("rows-0-date", "99999-01-01"), ("version", "²"), ("session", "²")])
def test_out_of_range_form_fields_are_a_clear_4xx(admin_client, field, value):
    data = {**sco_form(), field: value}
    for path in ("/admin/documents/new", "/admin/documents/A/RES/59/48/edit", "/admin/documents/A/77/L.107/edit"):
        for action in ("save", "preview"):
            assert submit(admin_client, path, data, action=action).status_code < 500, (path, action)


def test_a_lone_surrogate_in_the_extract_api_is_a_400(client):
    response = client.post("/api/extract", content=b'{"text": "\\ud800 \\u7b2c59/48\\u53f7"}',
                           headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert "error" in response.json()


@pytest.mark.parametrize("path", ["/crash-for-test", "/api/crash-for-test"])
def test_an_unexpected_error_is_a_plain_500_with_the_security_headers(engine, path):
    app = app_on(engine)

    @app.get(path)
    def crash():
        raise RuntimeError("a bug")

    answer = send(app, "GET", path, [])
    assert answer["status"] == 500
    assert "content-security-policy" in answer["headers"]
    assert b"a bug" not in answer["body"] and b"Traceback" not in answer["body"]
    if path.startswith("/api/"):
        assert json.loads(answer["body"])["error"]
