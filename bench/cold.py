"""The cold benchmark: every sampled URL asked once, as a first visitor or a crawler asks it.

    .venv/bin/python bench/cold.py --scale 1        # or COLD=1 bench/run.sh, which also generates

No warm-up, Lineage's page cache off (`LINEAGE_PAGE_CACHE_MB=0`), Lineage (`lineage serve
--workers 1`) and Datasette (`datasette serve -i`, the canned queries of datasette/metadata.yml)
on the same file in the same run. The file is read once beforehand, so both start with it in the
operating system's cache: "cold" here is about the servers' own caches, not the disk.

1. Throughput: chain, document and full-text pages, each URL of a sample asked once, by
   --concurrency keep-alive connections; req/s = URLs / wall time. Lineage/Datasette ratio.
2. Latency: every HTML page kind one request at a time, on a second sample (each URL once):
   p50, p99 and max per kind. A kind with one URL (`/graph`) is asked with its variants (pages,
   session ranges) so that no URL is asked twice.
Before serving, `lineage draw-graphs --lang zh` lays out every graph not yet drawn, as an operator
does after an import (--no-draw to skip it; its time is reported).

3. Sweep: every export (whole record and one organization), streamed to nowhere: time to the
   first byte, total time, bytes. The worker's peak RSS (VmHWM) is read after the sweep, and the
   peak RSS of everything the server started (its children: `dot`) is sampled throughout.

On PostgreSQL (`--database-url`, as `PG=1 COLD=1 bench/run.sh` does with a throwaway cluster,
the file's rows copied in by `generate.py --database-url`) Lineage reads the database at that URL
while Datasette still reads the file; `--workers 2` serves it as that deployment would, and
`--beside cold-….json` prints another run's figures (SQLite, same workers) in the same tables.
CPU ms per request in the throughput section: Lineage's processes (all workers), plus with
`--db-server-pid` the PostgreSQL server's (the postmaster and its backends), over the requests.

Every request has a time limit (--timeout, --export-timeout); a request over it counts as an
error, and Lineage is then restarted (its whole process group killed), so that a layout left
running by the old code cannot slow the rest of the run. Everything started here is stopped on
exit, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import OUT, ROOT, SHORT_WORDS, VENV, WORDS, cpu_seconds, free_port, rss_mb, sample, save, stop, user_forms, wait_up  # noqa: E402

RATIO_TARGETS = {"chain": 2.0, "document": 1.5, "fulltext": 1.5}
P99_TARGET_MS = {1: 100.0, 10: 250.0}
RSS_TARGET_MB = 200.0
ADMIN = ("bench-admin", "bench-admin-password-not-secret")
EXPORTS = ["documents.csv", "citations.csv", "lineage.json", "lineage.jsonl", "lineage.graphml"]


# --- HTTP -------------------------------------------------------------------------------------------


class Conn:
    """One keep-alive connection; reconnects after an error. Redirects are answers, not followed."""

    def __init__(self, base: str, timeout: float, headers: dict | None = None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.headers = headers or {}
        self.c: http.client.HTTPConnection | None = None

    def get(self, path: str, *, stream_to=None) -> dict:
        """{"status", "ms", "ttfb_ms", "bytes"}; status 0 and "error" when it failed or timed out."""
        t0 = time.perf_counter()
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.c.request("GET", path, headers=self.headers)
            r = self.c.getresponse()
            ttfb = time.perf_counter() - t0
            n = 0
            deadline = t0 + self.timeout
            while True:
                chunk = r.read(65536)
                if not chunk:
                    break
                n += len(chunk)
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"body not read in {self.timeout}s")
            out = {"status": r.status, "ttfb_ms": ttfb * 1000, "bytes": n}
            if r.getheader("Content-Disposition"):
                out["disposition"] = r.getheader("Content-Disposition")
            if r.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            out = {"status": 0, "error": f"{type(exc).__name__}: {exc}", "ttfb_ms": None, "bytes": 0}
        out["ms"] = (time.perf_counter() - t0) * 1000
        return out

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p99 of fewer than 100 values is the largest)."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def throughput(base: str, paths: list[str], concurrency: int, timeout: float, cpu=None) -> dict:
    """Each path once, shared out to `concurrency` connections; req/s over the wall time.
    `cpu`: a function giving the server's CPU seconds so far, read before and after."""
    cpu0 = cpu() if cpu else None
    todo = list(paths)
    lock = threading.Lock()
    results: list[dict] = []

    def worker():
        conn = Conn(base, timeout)
        while True:
            with lock:
                if not todo:
                    break
                p = todo.pop()
            r = conn.get(p)
            with lock:
                results.append(r)
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ok = [r for r in results if 200 <= r["status"] < 400]
    ms = [r["ms"] for r in ok]
    out = {"requests": len(results), "errors": len(results) - len(ok), "seconds": wall,
           "rps": len(ok) / wall if wall else 0.0, "p50_ms": pct(ms, 50), "p99_ms": pct(ms, 99),
           "statuses": sorted({r["status"] for r in results})}
    if cpu:
        out["cpu_ms_per_request"] = 1000 * (cpu() - cpu0) / max(1, len(results))
    return out


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of these processes, including their children that have ended and been waited
    for (a PostgreSQL backend whose connection closed, a `dot` that finished)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15]) / tick
        except OSError:
            continue
    return total


def children_of(ppid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == ppid:
                        out.append(int(d))
            except OSError:
                continue
    return out


# --- servers ---------------------------------------------------------------------------------------


class Lineage:
    """`lineage serve --workers N` with the page cache off, in its own process group."""

    def __init__(self, db: Path, port: int, cmd: str | None, log: Path, database_url: str | None = None,
                 workers: int = 1):
        self.db, self.port, self.cmd, self.log = db, port, cmd, log
        self.database_url = database_url or f"sqlite:///{db}"
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.restarts = 0
        self.children_peak_mb = 0.0
        self.worker_hwm_mb = 0.0
        self._stop_sampling = threading.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ, LINEAGE_DATABASE_URL=self.database_url, PORT=str(self.port),
                   LINEAGE_PAGE_CACHE_MB="0", LINEAGE_HEAVY_PER_CLIENT="1000", LINEAGE_SECRET_KEY="bench-only-secret-key-0123456789abcdef")
        cmd = (["bash", "-c", self.cmd] if self.cmd else
               [str(VENV / "lineage"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers)])
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=open(self.log, "a"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_up(self.base + "/healthz", self.proc)
        self._stop_sampling = threading.Event()
        threading.Thread(target=self._sample_children, daemon=True).start()

    def worker_pids(self) -> list[int]:
        """The processes that answer: the server itself, or with --workers > 1 the Python
        processes uvicorn started (not its supervisor, nor a `dot`)."""
        if self.workers <= 1:
            return [self.proc.pid]
        out = []
        for pid in _group(self.proc.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    argv = fh.read().split(b"\0")
            except OSError:
                continue
            if pid != self.proc.pid and b"python" in argv[0] and b"multiprocessing.resource_tracker" not in b" ".join(argv):
                out.append(pid)
        return out

    def cpu(self) -> float:
        return tree_cpu_seconds(_group(self.proc.pid))

    def _sample_children(self):
        while not self._stop_sampling.wait(0.2):
            try:
                total = 0.0
                workers = set(self.worker_pids())
                for pid in _group(self.proc.pid):
                    if pid != self.proc.pid and pid not in workers:
                        total += rss_mb(pid)[0]
                self.children_peak_mb = max(self.children_peak_mb, total)
            except (OSError, AttributeError):
                pass

    def hwm(self) -> float:
        for pid in self.worker_pids():
            try:
                self.worker_hwm_mb = max(self.worker_hwm_mb, rss_mb(pid)[1])
            except OSError:
                pass
        return self.worker_hwm_mb

    def stop(self):
        if self.proc is None:
            return
        self.hwm()
        self._stop_sampling.set()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever the worker left running (dot)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        self.restarts += 1
        self.start()


def _group(pgid: int) -> list[int]:
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    pids.append(int(d))
            except OSError:
                continue
    return pids


def admin_cookie(base: str) -> str:
    """Log in as the bench's admin; the Cookie header of the session."""
    import httpx

    with httpx.Client(base_url=base, timeout=30) as c:
        # the form's token belongs to the session (app/web/csrf.py): read it from the form
        token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"username": ADMIN[0], "password": ADMIN[1], "csrftoken": token, "next": "/admin"})
        if r.status_code != 303:
            raise RuntimeError(f"bench admin login: {r.status_code}")
        return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


def ensure_admin(url: str) -> None:
    env = dict(os.environ, LINEAGE_DATABASE_URL=url, LINEAGE_ADMIN_PASSWORD=ADMIN[1])
    lineage = str(VENV / "lineage")
    r = subprocess.run([lineage, "create-admin", ADMIN[0]], env=env, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run([lineage, "create-admin", ADMIN[0], "--reset-password"], env=env, cwd=ROOT,
                       check=True, capture_output=True, text=True)


# --- the questions ------------------------------------------------------------------------------------


def kinds(db: Path, n: int, seed: int) -> dict[str, list[str]]:
    """Lineage paths per HTML page kind for the latency pass, disjoint from the throughput sample."""
    rng = random.Random(seed * 1000 + 1)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = urllib.parse.quote
    safe = "/()-.~"
    acronyms = [r[0] for r in con.execute("SELECT acronym FROM organization ORDER BY id")]
    refs = [r[0] for r in con.execute("SELECT coalesce(symbol, key) FROM document ORDER BY id")]
    with_text = [r[0] for r in con.execute(
        "SELECT coalesce(symbol, key) FROM document WHERE text IS NOT NULL ORDER BY id")]
    symbols = [r[0] for r in con.execute("SELECT symbol FROM document WHERE symbol IS NOT NULL ORDER BY id")]
    sessions = [r[0] for r in con.execute(
        "SELECT DISTINCT session FROM document WHERE session IS NOT NULL ORDER BY session")]
    # pairs of consecutive texts of one series, as the chain page's "compare with previous" links
    series = con.execute(
        "SELECT group_concat(coalesce(symbol, key), char(10)) FROM document "
        "WHERE text IS NOT NULL AND organization_id IS NOT NULL GROUP BY organization_id ORDER BY organization_id")
    pairs = [tuple(refs_.split("\n")[:2]) for (refs_,) in series if "\n" in refs_]
    con.close()
    orgs = rng.sample(acronyms, min(n, len(acronyms)))
    pages = range(1, n + 1)
    lo, hi = (sessions[0], sessions[-1]) if sessions else (1, 80)
    ranges = [(s, min(hi, s + rng.randint(2, 11))) for s in rng.sample(range(lo, hi + 1), min(n, hi - lo + 1))]
    k = {
        "home": [f"/?page={p}" for p in pages],
        "chain": [f"/organizations/{q(a)}" for a in orgs],
        "document": [f"/documents/{q(r, safe=safe)}" for r in rng.sample(refs, n)],
        "fulltext": [f"/search?q={q(w)}" for w in WORDS],
        "short search": [f"/search?q={q(w)}" for w in SHORT_WORDS],
        "symbol search": [f"/search?q={q(user_forms(s, rng), safe='')}" for s in rng.sample(symbols, n)],
        "anomalies": [f"/anomalies?page={p}" for p in pages],
        "unresolved": [f"/unresolved?page={p}" for p in pages],
        "organization graph": [f"/organizations/{q(a)}/graph" for a in orgs],
        "graph": ["/graph"] + [f"/graph?from={a}&to={b}" for a, b in ranges[: n - 1]],
        "diff": [f"/diff/{q(a, safe=safe)}...{q(b, safe=safe)}" for a, b in rng.sample(pairs, min(n, len(pairs)))],
        "organization feed": [f"/organizations/{q(a)}/feed.atom" for a in orgs],
        "citing feed": [f"/documents/{q(r, safe=safe)}/citing.atom" for r in rng.sample(refs, n)],
        "admin documents": [f"/admin?page={p}" for p in pages],
        "admin edit": [f"/admin/documents/{q(r, safe=safe)}/edit" for r in rng.sample(with_text, n)],
        "admin audit": ["/admin/audit"],
        "login": ["/login"],
    }
    return k


# --- run ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Lineage vs Datasette, cold: every URL asked once")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--db", help="database file (default bench/out/lineage-<scale>.db)")
    ap.add_argument("--urls", type=int, default=100, help="URLs per page kind for throughput (default 100)")
    ap.add_argument("--latency-urls", type=int, default=30, help="URLs per page kind, one at a time (default 30)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per page request")
    ap.add_argument("--export-timeout", type=float, default=120.0, help="seconds per export")
    ap.add_argument("--kind-budget", type=float, default=90.0,
                    help="seconds of one-at-a-time requests per page kind at most (default 90)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--lineage-cmd", help="shell command that serves Lineage on $PORT, ending in `exec …` so "
                    "that the worker is the process measured (default: lineage serve --workers 1)")
    ap.add_argument("--port", type=int, default=18201)
    ap.add_argument("--skip", default="", help="comma-separated page kinds to leave out (throughput and latency)")
    ap.add_argument("--sections", default="throughput,latency,exports",
                    help="which parts to run (default all three)")
    ap.add_argument("--no-draw", action="store_true",
                    help="do not run `lineage draw-graphs` first (as after an import, before readers come)")
    ap.add_argument("--database-url", help="Lineage reads this database (PostgreSQL holding the file's rows: "
                    "generate.py --database-url) instead of the file; Datasette reads the file")
    ap.add_argument("--workers", type=int, default=1, help="lineage serve --workers (default 1)")
    ap.add_argument("--db-server-pid", type=int,
                    help="the PostgreSQL postmaster's pid: its CPU and its backends' count in CPU ms per request")
    ap.add_argument("--beside", help="another run's results JSON (e.g. SQLite, same workers), printed alongside")
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)
    lineage_url = args.database_url or None

    db = Path(args.db) if args.db else OUT / f"lineage-{args.scale}.db"
    if not db.exists():
        print(f"{db} is missing: run bench/generate.py --scale {args.scale}", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    ensure_admin(lineage_url or f"sqlite:///{db}")
    t0 = time.perf_counter()
    with open(db, "rb") as fh:  # into the OS cache, for both servers alike
        while fh.read(1 << 24):
            pass
    print(f"{db.name}: {db.stat().st_size / 1e6:.0f} MB read in {time.perf_counter() - t0:.1f} s", flush=True)

    res_draw = None
    if not args.no_draw:
        t0 = time.perf_counter()
        env = dict(os.environ, LINEAGE_DATABASE_URL=lineage_url or f"sqlite:///{db}")
        r = subprocess.run([str(VENV / "lineage"), "draw-graphs", "--lang", "zh", "--quiet"], env=env, cwd=ROOT,
                           capture_output=True, text=True)
        res_draw = {"seconds": time.perf_counter() - t0, "said": r.stdout.strip().splitlines()[-1:] or r.stderr.strip().splitlines()[-1:]}
        print(f"lineage draw-graphs: {res_draw['seconds']:.0f} s: {' '.join(res_draw['said'])}", flush=True)

    sampled = sample(db, args.urls, args.seed)
    latency_kinds = {k: v for k, v in kinds(db, args.latency_urls, args.seed).items()
                     if k not in args.skip.split(",")}

    backend = "postgresql" if lineage_url and lineage_url.startswith("postgres") else "sqlite"
    lin = Lineage(db, free_port(args.port), args.lineage_cmd, OUT / f"cold-lineage-{args.scale}.log",
                  database_url=lineage_url, workers=args.workers)

    def lineage_cpu() -> float:
        total = lin.cpu()
        if args.db_server_pid:
            total += tree_cpu_seconds([args.db_server_pid] + children_of(args.db_server_pid))
        return total
    ds_proc: subprocess.Popen | None = None

    def stop_all(*_):
        lin.stop()
        if ds_proc is not None:
            stop(ds_proc)

    def on_signal(signum, _frame):
        stop_all()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    res: dict = {"scale": args.scale, "db_mb": db.stat().st_size / 1e6, "concurrency": args.concurrency,
                 "backend": backend, "workers": args.workers, "db_server_cpu": bool(args.db_server_pid),
                 "cpus": os.cpu_count(), "throughput": {}, "latency": {}, "exports": {}, "errors": [],
                 "draw_graphs": res_draw}
    try:
        lin.start()
        dport = free_port(lin.port + 1)
        ds_proc = subprocess.Popen(
            [str(VENV / "datasette"), "serve", "-i", str(db), "--metadata", str(ROOT / "bench/datasette/metadata.yml"),
             "--host", "127.0.0.1", "--port", str(dport),
             "--setting", "truncate_cells_html", "0", "--setting", "sql_time_limit_ms", "30000"],
            cwd=ROOT, stdout=open(OUT / f"cold-datasette-{args.scale}.log", "w"), stderr=subprocess.STDOUT)
        dbase = f"http://127.0.0.1:{dport}"
        wait_up(dbase + "/-/versions.json", ds_proc)
        res["idle_rss_mb"] = rss_mb(lin.proc.pid)[0]
        print(f"lineage {lin.base} (pid {lin.proc.pid}, page cache off), datasette {dbase}", flush=True)

        sections = set(args.sections.split(","))
        # 1. throughput, Datasette first on one page kind then Lineage, so neither always goes first
        pages = [p for p in ("chain", "document", "fulltext") if p not in args.skip.split(",")]
        for i, page in enumerate(pages if "throughput" in sections else ()):
            pairs = sampled[page]
            order = ("datasette", "lineage") if i % 2 == 0 else ("lineage", "datasette")
            for name in order:
                if name == "lineage":
                    r = throughput(lin.base, [lp for lp, _ in pairs], args.concurrency, args.timeout, lineage_cpu)
                    if r["errors"]:
                        lin.restart()
                else:
                    r = throughput(dbase, [f"/{db.stem}/{dq}" for _, dq in pairs], args.concurrency, args.timeout,
                                   lambda: cpu_seconds(ds_proc.pid))
                res["throughput"][f"{page}/{name}"] = r
                print(f"throughput {page:9} {name:9} {r['rps']:7.1f} req/s  p50 {r['p50_ms']:7.1f}  "
                      f"p99 {r['p99_ms']:7.1f} ms  cpu {r['cpu_ms_per_request']:5.1f} ms/req  "
                      f"{r['requests']} URLs  errors {r['errors']}", flush=True)
        ds_proc.terminate()
        ds_proc.wait(10)

        # 2. latency, one request at a time
        cookie = admin_cookie(lin.base)
        for kind, paths in (latency_kinds.items() if "latency" in sections else ()):
            conn = Conn(lin.base, args.timeout, {"Cookie": cookie} if kind.startswith("admin") else None)
            rows = []
            timeouts, started = 0, time.perf_counter()
            for p in paths:
                if timeouts >= 2 or time.perf_counter() - started > args.kind_budget:
                    break  # the kind's figures stand on the URLs asked so far (n below)
                cpu0 = lineage_cpu()
                r = conn.get(p)
                r["cpu_ms"] = 1000 * (lineage_cpu() - cpu0)
                r["path"] = p
                rows.append(r)
                if r["status"] == 0 or r["status"] >= 500:
                    res["errors"].append(f"{kind}: {p}: {r.get('error') or r['status']} after {r['ms']:.0f} ms")
                if r["status"] == 0:
                    timeouts += 1
                    conn.close()
                    lin.restart()
                    cookie = admin_cookie(lin.base)
                    conn = Conn(lin.base, args.timeout, {"Cookie": cookie} if kind.startswith("admin") else None)
            conn.close()
            if not rows:
                continue
            ms = [r["ms"] for r in rows]
            cpu = [r["cpu_ms"] for r in rows]
            entry = {"n": len(rows), "p50_ms": pct(ms, 50), "p99_ms": pct(ms, 99), "max_ms": max(ms),
                     "cpu_p50_ms": pct(cpu, 50), "cpu_p99_ms": pct(cpu, 99),
                     "max_bytes": max(r["bytes"] for r in rows),
                     "statuses": sorted({r["status"] for r in rows}),
                     "slowest": max(rows, key=lambda r: r["ms"])["path"]}
            res["latency"][kind] = entry
            print(f"latency {kind:18} n={entry['n']:3}  p50 {entry['p50_ms']:8.1f}  p99 {entry['p99_ms']:8.1f} ms  "
                  f"cpu p50 {entry['cpu_p50_ms']:6.1f}  p99 {entry['cpu_p99_ms']:6.1f} ms  "
                  f"max {entry['max_bytes'] / 1e3:8.0f} kB  status {entry['statuses']}", flush=True)

        res["pages_hwm_mb"] = lin.hwm()
        # 3. exports, streamed to nowhere, on a fresh worker: its peak is the exports' own
        lin.restart()
        lin.restarts -= 1
        lin.worker_hwm_mb = 0.0
        org = sampled["chain"][0][0].rsplit("/", 1)[1]
        scopes = [("all", "/export/"), (urllib.parse.unquote(org), f"/organizations/{org}/export/")]
        for scope, prefix in scopes if "exports" in sections else ():
            for name in EXPORTS:
                conn = Conn(lin.base, args.export_timeout)
                r = conn.get(prefix + name)
                conn.close()
                res["exports"][f"{scope}/{name}"] = r
                if r["status"] == 0 or r["status"] >= 500:
                    res["errors"].append(f"export {scope}/{name}: {r.get('error') or r['status']} after {r['ms']:.0f} ms")
                    lin.restart()
                ttfb = f"{r['ttfb_ms']:8.0f}" if r["ttfb_ms"] is not None else "       —"
                print(f"export {scope:5} {name:16} status {r['status']:3}  first byte {ttfb} ms  "
                      f"total {r['ms']:8.0f} ms  {r['bytes'] / 1e6:7.1f} MB  rss {lin.hwm():.0f} MB", flush=True)
        res["exports_hwm_mb"] = lin.hwm()
        res["worker_hwm_mb"] = max(res["pages_hwm_mb"], res["exports_hwm_mb"])
        res["children_peak_mb"] = lin.children_peak_mb
        res["restarts"] = lin.restarts
    finally:
        stop_all()

    beside = json.loads(Path(args.beside).read_text()) if args.beside else None
    default_out = OUT / (f"cold-{args.scale}.json" if backend == "sqlite" and args.workers == 1 else
                         f"cold-{args.scale}-{backend}-w{args.workers}.json")
    save(res, table(res, beside), args.json_out or default_out)
    return 0


def _label(res: dict) -> str:
    return f"{'PostgreSQL' if res.get('backend') == 'postgresql' else 'SQLite'}, {res.get('workers', 1)} worker(s)"


def table(res: dict, beside: dict | None = None) -> str:
    """The run's tables; with `beside` (another run at the same scale), its figures in the same rows."""
    scale = res["scale"]
    runs = [res] + ([beside] if beside else [])
    cpu_note = " (with the PostgreSQL server's)" if res.get("db_server_cpu") else ""
    lines = [f"Cold, scale {scale} ({res['db_mb']:.0f} MB file), page cache off, each URL asked once; "
             f"throughput with {res['concurrency']} connections, {res['cpus']} CPUs shared by client and servers. "
             f"Lineage: {' / '.join(_label(r) for r in runs)}; CPU = the servers' CPU ms per request{cpu_note}.",
             "", "| page | Lineage | req/s | p50 ms | p99 ms | CPU ms | Datasette req/s | p50 ms | p99 ms | CPU ms "
             "| ratio | target |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]

    def cpu(r):
        return f"{r['cpu_ms_per_request']:.1f}" if "cpu_ms_per_request" in r else "—"

    for page, target in RATIO_TARGETS.items():
        for run in runs:
            L, D = run["throughput"].get(f"{page}/lineage"), run["throughput"].get(f"{page}/datasette")
            if not L or not D:
                continue
            ratio = L["rps"] / D["rps"] if D["rps"] else float("nan")
            err = f" ({L['errors']} errors)" if L["errors"] else ""
            lines.append(f"| {page} | {_label(run)} | {L['rps']:.1f}{err} | {L['p50_ms']:.0f} | {L['p99_ms']:.0f} | "
                         f"{cpu(L)} | {D['rps']:.1f} | {D['p50_ms']:.0f} | {D['p99_ms']:.0f} | {cpu(D)} | {ratio:.2f}× | "
                         f"≥{target}× {'met' if ratio >= target else 'MISSED'} |")
    p99_target = 250.0 if res.get("backend") == "postgresql" else P99_TARGET_MS.get(scale, 250.0)
    head = " | ".join(f"{_label(r)}: URLs | p50 ms | p99 ms | CPU p50 | CPU p99" for r in runs)
    lines += ["", f"One request at a time (Lineage, cache off): target p99 ≤ {p99_target:.0f} ms for HTML pages "
              f"({_label(res)}). CPU: the servers' CPU ms for the request{cpu_note}.", "",
              f"| page kind | {head} | largest response kB | statuses | target |",
              "| --- |" + " ---: | ---: | ---: | ---: | ---: |" * len(runs) + " ---: | --- | --- |"]
    for kind, e in res["latency"].items():
        bad = [s for s in e["statuses"] if s == 0 or s >= 500]
        met = e["p99_ms"] <= p99_target and not bad
        cells = []
        for run in runs:
            o = run["latency"].get(kind)
            cells.append(f"{o['n']} | {o['p50_ms']:.0f} | {o['p99_ms']:.0f} | {o.get('cpu_p50_ms', float('nan')):.0f} | "
                         f"{o.get('cpu_p99_ms', float('nan')):.0f}" if o else "— | — | — | — | —")
        lines.append(f"| {kind} | {' | '.join(cells)} | {e['max_bytes'] / 1e3:.0f} | "
                     f"{', '.join(str(s) if s else 'timeout' for s in e['statuses'])} | {'met' if met else 'MISSED'} |")
    lines += ["", "| export | status | first byte ms | total ms | MB | file name |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name, r in res["exports"].items():
        ttfb = f"{r['ttfb_ms']:.0f}" if r["ttfb_ms"] is not None else "—"
        status = r["status"] or "timeout"
        disp = r.get("disposition", "").split("filename=")[-1].strip('"') if r.get("disposition") else "—"
        lines.append(f"| {name} | {status} | {ttfb} | {r['ms']:.0f} | {r['bytes'] / 1e6:.1f} | {disp} |")
    hwm = res.get("worker_hwm_mb", 0)
    lines += ["", f"Worker peak RSS (VmHWM, through the sweep): {hwm:.0f} MB (target ≤ {RSS_TARGET_MB:.0f} MB: "
              f"{'met' if hwm <= RSS_TARGET_MB else 'MISSED'}): {res.get('pages_hwm_mb', 0):.0f} MB through the "
              f"pages, {res.get('exports_hwm_mb', 0):.0f} MB through the exports (a fresh worker); "
              f"idle {res.get('idle_rss_mb', 0):.0f} MB; "
              f"its child processes (dot) at most {res.get('children_peak_mb', 0):.0f} MB together; "
              f"server restarts after a timeout: {res.get('restarts', 0)}."]
    if res.get("draw_graphs"):
        d = res["draw_graphs"]
        lines += ["", f"`lineage draw-graphs --lang zh` before serving: {d['seconds']:.0f} s ({' '.join(d['said'])})."]
    if res["errors"]:
        lines += ["", "Errors:"] + [f"- {e}" for e in res["errors"]]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
