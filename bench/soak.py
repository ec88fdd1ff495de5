"""Soak: 60 s at 64 connections on the read pages while an admin saves documents. Zero errors.

    .venv/bin/python bench/soak.py [--seconds 60] [--connections 64] [--workers 2]

Starts its own server on a loopback port with a fresh SQLite file (or LINEAGE_DATABASE_URL),
bounded in time and requests; prints one line of figures and exits non-zero on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.documents.form import digest  # noqa: E402
from tests.admin_support import SCO_TEXT, SCO_TITLE  # noqa: E402
from tests.browser import free_port  # noqa: E402

READ_PAGES = ["/", "/organizations/SCO", "/organizations/CSTO", "/organizations/CIS",
              "/documents/A/RES/59/48", "/documents/S/RES/1631(2005)", "/documents/A/77/L.107",
              "/search?q=%E8%A7%82%E5%AF%9F", "/search?q=%E8%A7%82%E5%AF%9F%E5%91%98", "/api/organizations/SCO/chain",
              "/unresolved", "/anomalies"]
PASSWORD = "soak-test-password-0123"


def lineage(env, *args):
    subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, check=True, capture_output=True)


async def reader(client, deadline, latencies, errors):
    i = 0
    while time.monotonic() < deadline:
        path = READ_PAGES[i % len(READ_PAGES)]
        i += 1
        start = time.perf_counter()
        try:
            r = await client.get(path)
            if r.status_code != 200:
                errors.append(f"GET {path}: {r.status_code}")
        except httpx.HTTPError as exc:
            errors.append(f"GET {path}: {exc!r}")
        latencies.append(time.perf_counter() - start)


def _token(r: httpx.Response) -> str | None:
    m = re.search(r'name="csrftoken" value="([^"]+)"', r.text)
    return m.group(1) if m else None


async def admin(base, deadline, saved, errors):
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        page = await client.get("/login")
        r = await client.post("/login", data={"username": "soak", "password": PASSWORD,
                                              "csrftoken": _token(page)})
        if r.status_code != 303:
            errors.append(f"login: {r.status_code}")
            return
        n = 0
        while time.monotonic() < deadline:
            n += 1
            text = SCO_TEXT.replace("第七十九届会议", f"第八十届会议 {n}")
            page = await client.get("/admin/documents/new")
            token = _token(page)
            if token is None:
                errors.append(f"GET /admin/documents/new: {page.status_code} {page.headers.get('location', '')} "
                              f"{page.text[:200]!r}")
                await asyncio.sleep(0.2)
                continue
            form = {"csrftoken": token, "action": "save",
                    "symbol": f"A/80/L.{n}", "kind": "draft_resolution", "organization": "SCO",
                    "session": "80", "date": "2025-10-01", "title": SCO_TITLE, "text": text,
                    "previewed": digest(text), "accept_warnings": "on"}
            r = await client.post("/admin/documents/new", data=form)
            if r.status_code != 303:
                errors.append(f"save A/80/L.{n}: {r.status_code} {r.text[:200]}")
            else:
                saved.append(n)
            await asyncio.sleep(0.2)


async def soak(base, seconds, connections):
    deadline = time.monotonic() + seconds
    latencies, errors, saved = [], [], []
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                         keepalive_expiry=30)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await asyncio.gather(admin(base, deadline, saved, errors),
                             *(reader(client, deadline, latencies, errors) for _ in range(connections)))
    return latencies, errors, saved


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lineage-soak-")
    url = os.environ.get("LINEAGE_DATABASE_URL") or f"sqlite:///{tmp}/soak.db"
    # The 64 connections stand for 64 readers, who would come from as many addresses: all from
    # 127.0.0.1 here, so the share of heavy requests (searches) per client is lifted.
    env = {**os.environ, "LINEAGE_DATABASE_URL": url, "LINEAGE_SECRET_KEY": "soak-" + os.urandom(16).hex(),
           "LINEAGE_ADMIN_PASSWORD": PASSWORD, "LINEAGE_HEAVY_PER_CLIENT": "1000"}
    lineage(env, "migrate")
    lineage(env, "seed")
    lineage(env, "create-admin", "soak")
    port = free_port()
    log_path = Path(tmp) / "server.log"
    log_file = open(log_path, "wb")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                               "--workers", str(args.workers)], env=env, cwd=ROOT,
                              stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        latencies, errors, saved = asyncio.run(soak(base, args.seconds, args.connections))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log_file.close()
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    print(f"soak: {args.seconds:.0f} s, {args.connections} connections, {args.workers} workers: "
          f"{len(lat)} reads ({len(lat) / args.seconds:.0f}/s, p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, "
          f"mean {statistics.mean(lat) * 1000:.0f} ms), {len(saved)} admin saves, {len(errors)} errors")
    for e in errors[:20]:
        print("  error:", e)
    if errors:  # what the server said about them (its tracebacks)
        lines = [ln for ln in log_path.read_text("utf-8", "replace").splitlines() if "INFO" not in ln]
        print("\n".join("  server: " + ln for ln in lines[-60:]))
    return 1 if errors or not saved else 0


if __name__ == "__main__":
    raise SystemExit(main())
