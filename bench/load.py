"""Load Lineage and Datasette with the same questions on the same SQLite file; print a table.

    .venv/bin/python bench/load.py --scale 1            # or bench/run.sh, which also generates

Starts `lineage serve --workers 1` and `datasette serve -i` (one process each) on loopback ports,
checks that both give the same answers on a sample, warms each up, then runs wrk (Debian `wrk`)
per page and per server: -t2 -c16 -d15s by default, each thread also stopped after --max
responses. URLs are sampled deterministically from the corpus (seeded), the same documents,
organizations and words for both servers. RSS: /proc/<pid>/status of each server process (it is
the worker: one process each), sampled every 0.2 s while loaded, and VmHWM (the kernel's peak).
Everything started here is stopped on exit, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
VENV = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

# Full-text queries: Chinese words of three characters or more (the trigram index answers those;
# see queries.full_text), from rare to present in most texts.
WORDS = [
    "可持续发展", "气候变化", "维持和平行动", "巴勒斯坦问题", "核武器不扩散", "难民问题", "儿童权利",
    "海洋法", "粮食安全", "国际法委员会", "外层空间", "麻醉药品", "人道主义援助", "土著人民",
    "荒漠化", "小岛屿发展中国家", "最不发达国家", "信息和通信技术", "种族歧视", "生物多样性",
    "安全理事会改革", "小武器和轻武器", "非殖民化", "老龄问题", "南南合作", "索马里局势",
    "阿富汗局势", "武装冲突中保护平民", "妇女与和平与安全", "观察员地位", "区域组织",
    "秘书长的报告", "临时议程", "会员国",
]
# Words of one or two characters, which the trigram index cannot hold (the pairs index answers
# them on SQLite): for the latency pass only, since Datasette's full-text query cannot find them.
SHORT_WORDS = [
    "合作", "发展", "和平", "安全", "人权", "裁军", "难民", "儿童", "妇女", "海洋", "环境", "贸易", "核",
    "渠", "水", "国", "法", "青岛", "联大", "非洲", "亚洲", "中东", "预算", "选举", "观察", "决议", "回顾",
    "UN", "a", "z",
]

TARGETS = {"chain": 10.0, "document": 3.0, "fulltext": 2.0}  # Lineage/Datasette throughput
P99_TARGET_MS = {"chain": 50.0, "document": 50.0}
RSS_TARGET_MB = 200.0


# --- the questions ---------------------------------------------------------------------------------


def user_forms(symbol: str, rng: random.Random) -> str:
    """A symbol as a person would type it (normalize() maps each back to `symbol`)."""
    from app.symbols import normalize

    forms = [symbol]
    if symbol.startswith("A/RES/"):
        rest = symbol[6:]
        forms += [rest, f"第{rest}号决议", symbol.lower()]
        if "(" in rest:
            forms.append("A/RES/" + rest.replace("(", " ("))
    elif symbol.startswith("S/RES/"):
        rest = symbol[6:]
        forms += [rest, symbol.replace("(", " ("), f"第{rest}号决议"]
    else:
        forms.append(symbol.lower())
    forms = [f for f in forms if normalize(f).symbol == symbol]
    return rng.choice(forms)


def sample(db: Path, n: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    """(Lineage path, Datasette query string) pairs per page, chosen with a seeded RNG."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = urllib.parse.quote
    acronyms = [r[0] for r in con.execute("SELECT acronym FROM organization ORDER BY id")]
    refs = [r[0] for r in con.execute("SELECT coalesce(symbol, key) FROM document ORDER BY id")]
    symbols = [r[0] for r in con.execute("SELECT symbol FROM document WHERE symbol IS NOT NULL ORDER BY id")]
    has_recent = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'ix_document_recent'").fetchone()
    con.close()
    fulltext = "fulltext_by_date_index" if has_recent else "fulltext"
    safe = "/()-.~"
    out = {
        "chain": [(f"/organizations/{q(a)}", f"chain?acronym={q(a)}") for a in rng.sample(acronyms, min(n, len(acronyms)))],
        "document": [(f"/documents/{q(r, safe=safe)}", f"document?ref={q(r, safe='')}") for r in rng.sample(refs, n)],
        "symbol": [],
        "fulltext": [(f"/search?q={q(w)}", f"{fulltext}?q={q(w)}") for w in WORDS],
    }
    for s in rng.sample(symbols, n):
        out["symbol"].append((f"/search?q={q(user_forms(s, rng), safe='')}", f"symbol?symbol={q(s, safe='')}"))
    return out


def api_pairs(pages: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """The same questions through Lineage's JSON API and Datasette's .json."""
    out = {}
    for page, pairs in pages.items():
        rows = []
        for lpath, dq in pairs:
            name, _, qs = dq.partition("?")
            if page == "chain":
                lp = "/api" + lpath + "/chain"
            elif page == "document":
                lp = "/api" + lpath
            elif page == "symbol":
                lp = "/api/symbols?" + lpath.split("?", 1)[1]
            else:
                lp = "/api/search?" + lpath.split("?", 1)[1]
            rows.append((lp, f"{name}.json?{qs}&_shape=array"))
        out[page] = rows
    return out


# --- servers -----------------------------------------------------------------------------------------


def free_port(preferred: int) -> int:
    for port in [preferred] + list(range(preferred + 1, preferred + 50)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server not up after {timeout}s: {url}")


def get(url: str) -> tuple[int, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(p: subprocess.Popen, terminate: bool = True) -> None:
    """End a server: SIGTERM, ten seconds' grace, then SIGKILL."""
    if terminate and p.poll() is None:
        p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()


def save(results: dict, text: str, out: str | Path) -> None:
    """Print a run's table and keep its figures as JSON."""
    out = Path(out)
    print()
    print(text)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nresults: {out}")


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    vals = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":")
                vals[k] = int(v.split()[0]) / 1024
    return vals.get("VmRSS", 0.0), vals.get("VmHWM", 0.0)


class RssSampler:
    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.2):
            try:
                self.peak = max(self.peak, rss_mb(self.pid)[0])
            except OSError:
                return

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


# --- checks: the two give the same answers ------------------------------------------------------------


def _within(excerpt: str, paragraph: str | None) -> bool:
    """The API's excerpt is words of the whole paragraph (its cut ends marked "…")."""
    return all(part in (paragraph or "") for part in excerpt.split("…"))


def check(lin: str, ds: str, db: str, api: dict[str, list[tuple[str, str]]], per_page: int = 5) -> list[str]:
    problems = []
    for page, pairs in api.items():
        for lp, dp in pairs[:per_page]:
            ls, lb = get(lin + lp)
            ds_s, db_ = get(f"{ds}/{db}/{dp}")
            if ls != 200 or ds_s != 200:
                problems.append(f"{page}: status {ls} / {ds_s} for {lp}")
                continue
            L, D = json.loads(lb), json.loads(db_)
            if page in ("chain", "document") and not D:
                problems.append(f"{page}: Datasette found nothing for {dp}")
                continue
            if page == "chain":
                a = [x["url"].removeprefix("/documents/") for x in L["chain"]]
                b = [urllib.parse.quote(x["symbol"] or x["key"], safe="/()-.~") for x in D]
                ok = a == b and [x["cites"] for x in L["chain"]] == [
                    list(dict.fromkeys((x["cites"] or "").split())) for x in D]
            elif page == "document":
                d = D[0]
                cites, cited_by = json.loads(d["cites"]), json.loads(d["cited_by"])
                # The API lists a page of citers (the first 100) and how many there are in all, and
                # quotes the words around each citation (an excerpt of its paragraph, cut with "…").
                n = len(L["cited_by"])
                ok = ([(c["symbol"], c["verb"], c["found"]) for c in L["cites"]]
                      == [(c["symbol"], c["verb"], bool(c["found"])) for c in cites]
                      and all(_within(a["paragraph"], b["paragraph"]) for a, b in zip(L["cites"], cites))
                      and [(c["label"], c["verb"]) for c in L["cited_by"]]
                      == [(c["symbol"] or c["key"], c["verb"]) for c in cited_by[:n]]
                      and all(_within(a["paragraph"], b["paragraph"]) for a, b in zip(L["cited_by"], cited_by))
                      and L["cited_by_total"] == len(cited_by))
                if not d["symbol"]:  # a letter without a symbol: its label is a description
                    ok = ok or L["cited_by_total"] == len(cited_by)
            elif page == "symbol":
                ok = L["found"] and D and D[0]["symbol"] == L["symbol"]
            else:
                ok = (L["total"] == (D[0]["total"] if D else 0)
                      and [h["url"] for h in L["results"]]
                      == [f"/documents/{urllib.parse.quote(x['symbol'] or x['key'], safe='/()-.~')}" for x in D])
            if not ok:
                problems.append(f"{page}: answers differ for {lp} / {dp}")
    return problems


# --- load ------------------------------------------------------------------------------------------------


def warm_once(base: str, paths: list[str], limit_s: float) -> None:
    """Each URL once, in order, stopping after `limit_s` seconds: caches of both servers (SQLite's
    pages, Lineage's compiled statements, any page cache) start the measured run filled."""
    deadline = time.monotonic() + limit_s
    for p in paths:
        if time.monotonic() > deadline:
            break
        get(base + p)


def wrk(base: str, paths: list[str], threads: int, conns: int, seconds: int, max_responses: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(paths) + "\n")
        name = fh.name
    try:
        env = dict(os.environ, WRK_URLS=name, WRK_MAX=str(max_responses))
        cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(BENCH / "urls.lua"), base]
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
        line = [x for x in res.stdout.splitlines() if x.startswith("{")]
        if not line:
            raise RuntimeError(f"wrk said: {res.stdout}\n{res.stderr}")
        r = json.loads(line[-1])
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        return r
    finally:
        os.unlink(name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Lineage vs Datasette under load")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--db", help="database file (default bench/out/lineage-<scale>.db)")
    ap.add_argument("--duration", type=int, default=15, help="seconds per run (default 15)")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run (default 3)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--max", type=int, default=200_000, help="responses per wrk thread at most")
    ap.add_argument("--repeat", type=int, default=1, help="runs per page and server; the median is kept")
    ap.add_argument("--urls", type=int, default=200, help="documents / organizations sampled (default 200)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pages", default="chain,document,symbol,fulltext")
    ap.add_argument("--api", action="store_true", help="also load the JSON API and Datasette's .json")
    ap.add_argument("--only", choices=("lineage", "datasette"), help="load one server only")
    ap.add_argument("--lineage-cmd", help="command that serves Lineage on $PORT (default: lineage serve)")
    ap.add_argument("--no-check", action="store_true", help="skip the same-answers check")
    ap.add_argument("--port", type=int, default=18101)
    ap.add_argument("--json-out", help="write the results here (default bench/out/results-<scale>.json)")
    args = ap.parse_args(argv)

    db = Path(args.db) if args.db else OUT / f"lineage-{args.scale}.db"
    if not db.exists():
        print(f"{db} is missing: run bench/generate.py --scale {args.scale}", file=sys.stderr)
        return 2
    dbname = db.stem
    pages = sample(db, args.urls, args.seed)
    pages = {k: v for k, v in pages.items() if k in args.pages.split(",")}
    api = api_pairs(pages)

    procs: list[subprocess.Popen] = []

    def stop_all(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            stop(p, terminate=False)

    def on_signal(signum, _frame):
        stop_all()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    OUT.mkdir(exist_ok=True)
    results: dict = {"scale": args.scale, "db": str(db), "db_mb": db.stat().st_size / 1e6, "runs": {}, "rss": {},
                     "lineage": args.lineage_cmd or "lineage serve --workers 1",
                     "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s", "cpus": os.cpu_count(),
                     # the page cache (app/web/cache.py): on by default, LINEAGE_PAGE_CACHE_MB=0 turns it off
                     "page_cache_mb": int(os.environ.get("LINEAGE_PAGE_CACHE_MB", "32"))}
    try:
        lport = free_port(args.port)
        env = dict(os.environ, LINEAGE_DATABASE_URL=f"sqlite:///{db}", PORT=str(lport), LINEAGE_HEAVY_PER_CLIENT="1000")
        lcmd = (["bash", "-c", "exec " + args.lineage_cmd] if args.lineage_cmd else
                [str(VENV / "lineage"), "serve", "--host", "127.0.0.1", "--port", str(lport), "--workers", "1"])
        lin_log = open(OUT / f"lineage-{args.scale}.log", "w")
        lin = subprocess.Popen(lcmd, env=env, cwd=ROOT, stdout=lin_log, stderr=subprocess.STDOUT)
        procs.append(lin)
        dport = free_port(lport + 1)
        ds_log = open(OUT / f"datasette-{args.scale}.log", "w")
        ds = subprocess.Popen(
            [str(VENV / "datasette"), "serve", "-i", str(db), "--metadata", str(BENCH / "datasette" / "metadata.yml"),
             "--host", "127.0.0.1", "--port", str(dport),
             "--setting", "truncate_cells_html", "0", "--setting", "sql_time_limit_ms", "30000"],
            cwd=ROOT, stdout=ds_log, stderr=subprocess.STDOUT)
        procs.append(ds)
        lbase, dbase = f"http://127.0.0.1:{lport}", f"http://127.0.0.1:{dport}"
        wait_up(lbase + "/healthz", lin)
        wait_up(dbase + "/-/versions.json", ds)
        servers = {"lineage": (lbase, lin.pid), "datasette": (dbase, ds.pid)}
        if args.only:
            servers = {args.only: servers[args.only]}
        for name, (_, pid) in servers.items():
            results["rss"][name] = {"idle_mb": rss_mb(pid)[0], "peak_sampled_mb": 0.0}
        print(f"lineage {lbase} (pid {lin.pid}), datasette {dbase} (pid {ds.pid}); {db.name} "
              f"{results['db_mb']:.0f} MB", flush=True)

        if not args.no_check and not args.only:
            problems = check(lbase, dbase, dbname, api)
            results["check"] = problems or "same answers"
            print("check: " + ("same answers on the sample" if not problems else "; ".join(problems)), flush=True)

        sets = [(p, "html", pages[p]) for p in pages] + ([(p, "json", api[p]) for p in api] if args.api else [])
        for page, fmt, pairs in sets:
            for name, (base, pid) in servers.items():
                paths = [lp for lp, _ in pairs] if name == "lineage" else [f"/{dbname}/{dq}" for _, dq in pairs]
                warm_once(base, paths, limit_s=120)  # every URL once (bounded), then a short wrk
                wrk(base, paths, 1, 4, args.warmup, args.max)
                runs = []
                for _ in range(args.repeat):
                    load1 = os.getloadavg()[0]
                    cpu0 = cpu_seconds(pid)
                    with RssSampler(pid) as sampler:
                        r = wrk(base, paths, args.threads, args.connections, args.duration, args.max)
                    r["cpu_ms_per_request"] = 1000 * (cpu_seconds(pid) - cpu0) / max(1, r["requests"])
                    r["rss_peak_mb"], r["loadavg_before"] = sampler.peak, load1
                    runs.append(r)
                r = sorted(runs, key=lambda x: x["rps"])[len(runs) // 2]  # the median run
                r["rps_all"] = [x["rps"] for x in runs]
                results["rss"][name]["peak_sampled_mb"] = max(results["rss"][name]["peak_sampled_mb"], sampler.peak)
                results["runs"][f"{page}/{fmt}/{name}"] = r
                lat = r["latency_us"]
                print(f"{page:9} {fmt:4} {name:9} {r['rps']:8.1f} req/s  p50 {lat['p50'] / 1000:7.1f} ms  "
                      f"p99 {lat['p99'] / 1000:7.1f} ms  errors {sum(r['errors'].values())}  "
                      f"cpu {r['cpu_ms_per_request']:.1f} ms/req  rss {sampler.peak:.0f} MB  "
                      f"load {r['loadavg_before']:.1f}", flush=True)
        for name, (_, pid) in servers.items():
            results["rss"][name]["hwm_mb"] = rss_mb(pid)[1]
    finally:
        stop_all()

    save(results, table(results), args.json_out or OUT / f"results-{args.scale}.json")
    return 0


def table(results: dict) -> str:
    runs, scale = results["runs"], results["scale"]
    cache = results.get("page_cache_mb", 32)
    cache = f"page cache {cache} MB" if cache else "page cache off (every request rendered)"
    lines = [f"Scale {scale} ({results['db_mb']:.0f} MB file), Lineage: `{results['lineage']}`, {cache}, wrk "
             f"{results['wrk']}, {results['cpus']} CPUs shared by wrk and the server; latency in ms, CPU = the "
             "server process's CPU time per request.", "",
             "| page | fmt | Lineage req/s | p50 | p99 | CPU ms/req | Datasette req/s | p50 | p99 | CPU ms/req "
             "| Lineage/Datasette | target |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    keys = sorted({k.rsplit("/", 1)[0] for k in runs}, key=lambda k: (k.split("/")[1], list(
        ("chain", "document", "symbol", "fulltext")).index(k.split("/")[0])))
    for key in keys:
        page, fmt = key.split("/")
        L, D = runs.get(f"{key}/lineage"), runs.get(f"{key}/datasette")
        cells = [page, fmt]
        for r in (L, D):
            if r:
                cells += [f"{r['rps']:.0f}", f"{r['latency_us']['p50'] / 1000:.1f}",
                          f"{r['latency_us']['p99'] / 1000:.1f}", f"{r.get('cpu_ms_per_request', 0):.1f}"]
            else:
                cells += ["—"] * 4
        ratio = L["rps"] / D["rps"] if L and D else None
        cells.append(f"{ratio:.2f}×" if ratio else "—")
        notes = []
        if fmt == "html" and page in TARGETS and ratio:
            notes.append(f"≥{TARGETS[page]:.0f}× {'met' if ratio >= TARGETS[page] else 'MISSED'}")
        if fmt == "html" and page in P99_TARGET_MS and L and scale == 1:
            p99 = L["latency_us"]["p99"] / 1000
            notes.append(f"p99≤50 ms {'met' if p99 <= P99_TARGET_MS[page] else 'MISSED'}")
        cells.append("; ".join(notes))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| worker | idle RSS MB | peak RSS under load MB (sampled) | VmHWM MB | target |")
    lines.append("| --- | ---: | ---: | ---: | --- |")
    for name, r in results["rss"].items():
        tgt = ""
        if name == "lineage":
            tgt = f"<{RSS_TARGET_MB:.0f} MB {'met' if r.get('hwm_mb', 0) < RSS_TARGET_MB else 'MISSED'}"
        lines.append(f"| {name} | {r['idle_mb']:.0f} | {r['peak_sampled_mb']:.0f} | {r.get('hwm_mb', 0):.0f} | {tgt} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
