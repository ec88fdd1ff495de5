"""Helpers and fixtures for the admin tests: an admin account, a logged-in client, form data."""

import datetime as dt
import re

import pytest

from app.documents import form as editing
from app.accounts.users import create_admin
from app.config import get_settings
from tests.conftest import SEED_DIR

PASSWORD = "correct horse battery staple"
SCO_TITLE = "联合国同上海合作组织的合作"

# A/79/L.99: a made-up SCO series' text of September 2025, written in the style of A/77/L.107
# (seed 001), with the series' resolutions and their dates as seed 001 gives them. (The real one,
# A/79/L.124, is known from a public source: seed_data/public_facts.json.)
SCO_TEXT = """ 第七十九届会议

议程项目 125(s)

联合国同各区域组织及其他组织的合作：联合国同上海合作组织的合作

  决议草案

  联合国同上海合作组织的合作

 大会，

 回顾联合国的宗旨之一是在维护国际和平与安全方面开展合作，

 还回顾其2004年12月2日关于给予上海合作组织大会观察员地位的第59/48号决议，

 回顾其关于联合国同上海合作组织的合作的 2009年 12月 18日第 64/183号、2010 年 12 月 13 日第 65/124 号、2012 年 11 月 19 日第 67/15 号、2014 年 11 月 11 日第 69/11 号、2016 年 11 月 21 日第 71/14 号、2019 年 8 月 30 日第 73/334 号和 2021 年 3 月 25 日第 75/268 号决议，

 注意到上海合作组织致力于按照联合国的目标和原则行事，

 考虑到上海合作组织成员国中包括经济转型国家，在这方面回顾大会 2006 年 12 月 20 日第 61/210 号决议，

 1. 肯定上海合作组织在确保和平与可持续发展、促进区域合作方面的建设性作用；

 2. 请秘书长向大会第八十一届会议提交本决议执行情况报告。
"""


def sco_form(**overrides) -> dict:
    data = {
        "symbol": "A/79/L.99", "kind": "draft_resolution", "organization": "SCO", "session": "79",
        "date": "2025-09-02", "title": SCO_TITLE, "text": SCO_TEXT,
    }
    data.update(overrides)
    return data


def token(client, path: str = "/login") -> str:
    """The CSRF token a page hands out (and the cookie that goes with it)."""
    page = client.get(path)
    return re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)


def login(client, username: str = "alice", password: str = PASSWORD, **extra):
    return client.post(
        "/login", data={"username": username, "password": password, "csrftoken": token(client), **extra},
        follow_redirects=False,
    )


def submit(client, path: str, data: dict, *, action: str = "save", previewed: bool = True, **kwargs):
    """POST an admin form as a browser would: with the CSRF token, and for a save, the digest of
    the text the person saw previewed."""
    body = {"csrftoken": client.csrf, "action": action, **data}
    if previewed and "text" in data and "previewed" not in data:
        body["previewed"] = editing.digest(data["text"])
    return client.post(path, data=body, follow_redirects=False, **kwargs)


def preview_rows(page) -> list[dict]:
    """The citation rows of a preview, as their form fields hold them."""
    rows = []
    for tr in page.select("#preview table.citations-preview tbody tr"):
        def value(suffix):
            el = tr.select_one(f"input[name$='-{suffix}']")
            return el.get("value", "") if el else None
        keep = tr.select_one("input[type=checkbox]")
        rows.append({
            "name": tr.select_one("input[name$='-key']")["name"].rsplit("-", 1)[0],
            "key": tr["data-key"], "status": tr["data-status"], "symbol": value("symbol"),
            "verb": value("verb"), "date": value("date"), "keep": keep.has_attr("checked"),
        })
    return rows


def rows_as_form(rows: list[dict]) -> dict:
    """The preview rows back as form fields (a browser sends only the ticked checkboxes)."""
    data = {}
    for r in rows:
        data[f"{r['name']}-key"] = r["key"]
        data[f"{r['name']}-symbol"] = r["symbol"]
        data[f"{r['name']}-verb"] = r["verb"]
        data[f"{r['name']}-date"] = r["date"]
        if r["keep"]:
            data[f"{r['name']}-include"] = "on"
    return data


@pytest.fixture
def admin(session):
    create_admin(session, "alice", PASSWORD)
    return "alice"


@pytest.fixture
def no_slowdown(monkeypatch):
    monkeypatch.setattr(get_settings(), "login_slowdown_seconds", 0.0)


@pytest.fixture
def admin_client(client, seeded, admin, no_slowdown):
    response = login(client)
    assert response.status_code == 303, response.text
    client.csrf = token(client, "/admin")
    return client


def today() -> dt.date:
    return dt.date.today()


__all__ = ["SEED_DIR"]
