"""How long an admin's save of one document takes on a whole-record corpus, read model included:
the real request (login, the edit page's form as a browser sends it back with a changed title,
POST, 303), through FastAPI's TestClient against a copy of a generated file.

    .venv/bin/python bench/admin_save.py bench/out/lineage-10.db [--repeat 5]

It saves (a copy is made first unless --in-place) the most-cited document that has a text and
the latest link of the longest chain, each `--repeat` times, and prints wall and CPU ms per save.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench admin password 1234"


def _form_fields(html: str) -> dict[str, str]:
    """The edit form's fields as a browser submits them (ticked checkboxes only)."""
    from bs4 import BeautifulSoup

    form = next(f for f in BeautifulSoup(html, "html.parser").select("form")
                if f.select_one("textarea[name=text]") is not None)
    data: dict[str, str] = {}
    for el in form.select("input[name], textarea[name], select[name]"):
        name = el["name"]
        if el.name == "textarea":
            data[name] = el.text
        elif el.name == "select":
            chosen = el.select_one("option[selected]") or el.select_one("option")
            data[name] = chosen.get("value", chosen.text) if chosen else ""
        elif el.get("type") in ("checkbox", "radio"):
            if el.has_attr("checked"):
                data[name] = el.get("value", "on")
        elif el.get("type") not in ("submit", "button", "file"):
            data[name] = el.get("value", "")
    return data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--in-place", action="store_true", help="save into DB itself, not a copy")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        path = Path(args.db)
        if not args.in_place:
            path = Path(tmp) / "save.db"
            shutil.copyfile(args.db, path)
        os.environ["LINEAGE_DATABASE_URL"] = f"sqlite:///{path}"
        os.environ["LINEAGE_PAGE_CACHE_MB"] = "0"
        run(path, args.repeat)


def run(path: Path, repeat: int) -> None:
    import re

    from bs4 import BeautifulSoup
    from fastapi.testclient import TestClient
    from sqlalchemy import text
    from sqlmodel import Session

    from app.accounts.users import create_admin
    from app.config import get_settings
    from app.db import get_engine
    from app.documents import form as editing
    from app.main import app
    from app.web import urls

    get_settings().login_slowdown_seconds = 0.0
    with Session(get_engine()) as s:
        create_admin(s, "bench", PASSWORD)
        s.commit()
        most_cited = s.execute(text(
            "SELECT d.symbol FROM cited_count c JOIN document d ON d.id = c.document_id"
            " WHERE d.text IS NOT NULL ORDER BY c.citers DESC LIMIT 1")).scalar()
        latest = s.execute(text(
            "SELECT d.symbol FROM chain_summary c JOIN document d ON d.id = c.latest_id"
            " WHERE d.text IS NOT NULL ORDER BY c.length DESC LIMIT 1")).scalar()

    with TestClient(app) as client:
        login = client.get("/login")
        token = re.search(r'name="csrftoken" value="([^"]+)"', login.text).group(1)
        r = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrftoken": token},
                        follow_redirects=False)
        assert r.status_code == 303, r.status_code
        for label, symbol in (("most-cited", most_cited), ("chain's latest", latest)):
            walls, cpus = [], []
            for i in range(repeat):
                edit = urls.admin_edit(SimpleNamespace(symbol=symbol, key=symbol))
                page = client.get(edit)
                assert page.status_code == 200, (edit, page.status_code)
                data = _form_fields(page.text)
                data["title"] = f"{data.get('title', '').split(' · bench')[0]} · bench {i}"
                # as a person does: preview the change, then save what the preview shows
                preview = client.post(edit, data={**data, "action": "preview"}, follow_redirects=False)
                data = {**_form_fields(preview.text), "action": "save"}
                data["previewed"] = editing.digest(editing.normalize_text(data["text"]))
                w, c = time.perf_counter(), time.process_time()
                r = client.post(edit, data=data, follow_redirects=False)
                walls.append((time.perf_counter() - w) * 1000)
                cpus.append((time.process_time() - c) * 1000)
                assert r.status_code == 303, (r.status_code, [e.get_text(" ", strip=True) for e in BeautifulSoup(r.text, "html.parser").select(".error, .errors, [role=alert], .warning, .warnings")])
            print(f"save {label} {symbol}: wall median {statistics.median(walls):.0f} ms"
                  f" (max {max(walls):.0f}), CPU median {statistics.median(cpus):.0f} ms (max {max(cpus):.0f})")


if __name__ == "__main__":
    main()
