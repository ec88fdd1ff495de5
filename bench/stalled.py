"""Clients that open an export and stop reading: what they cost the server while they are open, and after.

    .venv/bin/python bench/stalled.py                                  # 100 clients, bench/out/lineage-1.db
    .venv/bin/python bench/stalled.py --clients 50 --db bench/out/lineage-10.db
    .venv/bin/python bench/stalled.py --root /tmp/older-checkout       # the same, served by another checkout

It serves a copy of the file (`lineage serve`, one worker, loopback only, page cache off so that a
reader's page is real work), and measures, before the clients come and while they are open: a
document page's time, an admin's save through the real form (login, preview, save), the
write-ahead log's size, and the worker's resident memory and CPU. Then it waits for the server to
cut the clients off (send timeout) and measures the memory once they are gone; whatever the server
did not close is closed when the run's time is up. Every phase is bounded: the whole run stays
under `--budget` seconds (60); the server's send timeout is 15 s (`--send-timeout`), so that the
clients are seen cut off within it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench admin password 1234"
TCP_ESTABLISHED = 1

from tests.browser import free_port, wait_until_up  # noqa: E402


def proc_stats(pid: int) -> dict:
    """The process's resident memory (MB) and CPU so far (s), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tick
    rss = int(next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:"))) / 1024
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss_mb": round(rss, 1), "cpu_s": round(cpu, 2), "fds": fds}


def wal_mb(db: Path) -> float:
    wal = Path(str(db) + "-wal")
    return round(wal.stat().st_size / 2**20, 1) if wal.exists() else 0.0


def stalled_client(port: int, path: str) -> socket.socket:
    """A client that asks for `path` and never reads a byte of the answer."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return s


def server_closed(s: socket.socket) -> bool:
    """Whether the server ended the connection (its reset, or its FIN, reached us), read from the
    kernel's state of the socket: the client reads nothing."""
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] != TCP_ESTABLISHED


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


class Admin:
    """An admin's browser: logged in once, then saves a document through the edit form."""

    def __init__(self, base: str, symbol: str):
        import httpx

        self.client = httpx.Client(base_url=base, timeout=30)
        self.symbol = symbol
        self.n = 0
        page = self.client.get("/login")
        token = page.text.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
        r = self.client.post("/login", data={"username": "bench", "password": PASSWORD, "csrftoken": token})
        assert r.status_code in (200, 303), r.status_code

    def save(self) -> float:
        """One save (edit page, preview, save): the save's POST, in ms."""
        from admin_save import _form_fields

        from app.documents import form as editing
        from app.web import urls

        edit = urls.admin_edit(SimpleNamespace(symbol=self.symbol, key=self.symbol))
        data = _form_fields(self.client.get(edit).text)
        self.n += 1
        data["title"] = f"{data.get('title', '').split(' · stalled')[0]} · stalled {self.n}"
        preview = self.client.post(edit, data={**data, "action": "preview"})
        data = {**_form_fields(preview.text), "action": "save"}
        data["previewed"] = editing.digest(editing.normalize_text(data["text"]))
        started = time.perf_counter()
        r = self.client.post(edit, data=data, follow_redirects=False)
        took = (time.perf_counter() - started) * 1000
        assert r.status_code == 303, r.status_code
        return took


def reader_ms(base: str, path: str, n: int) -> list[float]:
    import httpx

    out = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(n):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            out.append((time.perf_counter() - started) * 1000)
    return out


def measure(args) -> dict:
    import sqlite3

    sys.path.insert(0, str(ROOT / "bench"))
    deadline = time.monotonic() + args.budget
    left = lambda: deadline - time.monotonic()  # noqa: E731
    tmp = Path(tempfile.mkdtemp(prefix="stalled-", dir=os.environ.get("TMPDIR")))
    db = tmp / "stalled.db"
    shutil.copyfile(args.db, db)
    con = sqlite3.connect(db)
    symbol = con.execute(
        "SELECT d.symbol FROM chain_summary c JOIN document d ON d.id = c.latest_id"
        " WHERE d.text IS NOT NULL ORDER BY c.length DESC LIMIT 1").fetchone()[0]
    reader = "/documents/" + con.execute(
        "SELECT d.symbol FROM cited_count c JOIN document d ON d.id = c.document_id"
        " ORDER BY c.citers DESC LIMIT 1").fetchone()[0]
    con.close()
    env = {**os.environ, "LINEAGE_DATABASE_URL": f"sqlite:///{db}", "LINEAGE_PAGE_CACHE_MB": "0",
           "LINEAGE_ADMIN_PASSWORD": PASSWORD, "LINEAGE_LOGIN_SLOWDOWN_SECONDS": "0",
           "LINEAGE_SECRET_KEY": "bench-only-secret-key-0123456789abcdef", "PYTHONPATH": str(args.root),
           "LINEAGE_EXPORT_CACHE_DIR": str(tmp / "exports")}
    if args.send_timeout:
        env["LINEAGE_SEND_TIMEOUT_SECONDS"] = str(args.send_timeout)
    subprocess.run([sys.executable, "-m", "app.cli", "create-admin", "bench"], env=env, cwd=args.root,
                   check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                            cwd=args.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    clients: list[socket.socket] = []
    out: dict = {"clients": args.clients, "path": args.path, "db": str(args.db)}
    try:
        wait_until_up(base, proc, seconds=max(1.0, left()))
        admin = Admin(base, symbol)
        reader_ms(base, reader, 3)  # warm
        admin.save()
        out["before"] = {**proc_stats(proc.pid), "wal_mb": wal_mb(db),
                         "page_ms": reader_ms(base, reader, 10),
                         "save_ms": [admin.save() for _ in range(args.saves)]}
        with sqlite3.connect(db) as con:  # the log empty as the clients come
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        cpu0 = proc_stats(proc.pid)["cpu_s"]
        opened = time.monotonic()
        clients = [stalled_client(port, args.path) for _ in range(args.clients)]
        # until the server stops spending on them (its CPU still for a second), 10 s at most
        last, still_since = cpu0, time.monotonic()
        while time.monotonic() - opened < 10 and time.monotonic() - still_since < 1.0:
            time.sleep(0.25)
            now = proc_stats(proc.pid)["cpu_s"]
            if now - last > 0.05:
                last, still_since = now, time.monotonic()
        settled = proc_stats(proc.pid)
        during: dict = {"after_s": round(time.monotonic() - opened, 1), **settled,
                        "cpu_s_on_clients": round(settled["cpu_s"] - cpu0, 2), "page_ms": [], "save_ms": []}
        wal_peak = wal_mb(db)
        for _ in range(args.saves):  # while the clients are open, leaving time to see them cut off
            if left() < 20:
                break
            during["save_ms"].append(admin.save())
            during["page_ms"].extend(reader_ms(base, reader, 1))
            wal_peak = max(wal_peak, wal_mb(db))
        during["wal_mb"] = wal_peak
        during["still_open"] = sum(not server_closed(s) for s in clients)
        out["during"] = during
        admin.client.close()

        cpu1 = proc_stats(proc.pid)["cpu_s"]
        while left() > 3 and not all(server_closed(s) for s in clients):
            time.sleep(0.25)
        closed = sum(server_closed(s) for s in clients)
        out["closed_by_server"] = closed
        out["closed_by_server_after_s"] = round(time.monotonic() - opened, 1) if closed == len(clients) else None
        for s in clients:
            s.close()
        clients = []
        time.sleep(2)
        after = proc_stats(proc.pid)
        out["after"] = {**after, "wal_mb": wal_mb(db),
                        # the clients' CPU: as they came, and from the end of the saves and pages
                        # (left out) to their end
                        "cpu_s_on_clients": round(during["cpu_s_on_clients"] + after["cpu_s"] - cpu1, 2)}
    finally:
        for s in clients:
            s.close()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    for phase in (out["before"], out["during"]):
        for what in ("page", "save"):
            ms = phase.pop(f"{what}_ms")
            if ms:
                phase[f"{what}_ms_median"] = round(statistics.median(ms), 1)
                phase[f"{what}_ms_p95"] = round(percentile(ms, 95), 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "lineage-1.db",
                    help="a file from bench/generate.py (copied first)")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--path", default="/export/citations.csv")
    ap.add_argument("--saves", type=int, default=5, help="admin saves before, and while the clients are open")
    ap.add_argument("--budget", type=float, default=60.0, help="seconds the whole run may take")
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose Lineage is served")
    ap.add_argument("--send-timeout", type=float, default=15.0,
                    help="LINEAGE_SEND_TIMEOUT_SECONDS for the server (its default is 30 s; 15 here, so that the"
                         " run sees the clients cut off within its minute; 0: the server's own)")
    args = ap.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db} is missing: run bench/generate.py first")
    print(json.dumps(measure(args), indent=2))


if __name__ == "__main__":
    main()
