"""A bounded attack on a served Lineage (issue 27): what a stranger's requests cost its readers.

    .venv/bin/python bench/generate.py --scale 1          # bench/out/lineage-1.db, once
    .venv/bin/python bench/attack.py [--seconds 30] [--readers 8] [--workers 1]

On a copy of the whole-record corpus (plus two texts of 200 numbered paragraphs for the diff),
`lineage serve` on 127.0.0.1. Readers, from 127.0.0.1, ask for ordinary pages (home, chains,
documents, the API) the whole time. First alone, then beside each attack in turn, from another
loopback address (127.0.0.2), for `--seconds` each (at most 60):

- extract: 4 at once, each a 975 KB "Recalling resolutions 60/1, 61/2, …" to POST /api/extract;
- diff: 4 at once, the diff of the two long texts;
- graph: distinct /graph?from=&to=&page=&lang= ranges, 4 at once;
- stalled: 100 downloads of /export/citations.csv that read nothing after their headers.

For each phase: readers' requests, p50 and p95, errors; the attacker's answers by status; the
database's size (main file and write-ahead log) and the server's RSS before and after. The
verdict: readers' p95 within 2× of the phase without attack, and the database no larger.
Loopback only; every loop is bounded in time and stops by itself. Writes bench/out/attack.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import free_port, stop, wait_until_up  # noqa: E402

ATTACKER = "127.0.0.2"
PARAGRAPHS = 200


def _long_text(variant: int) -> str:
    lines = ["The General Assembly,"]
    for i in range(1, PARAGRAPHS + 1):
        edit = " and welcomes the report" if (i + variant) % 7 == 0 else ""
        lines.append(f"{i}. Requests the Secretary-General to continue the cooperation described in paragraph {i} "
                     f"of its earlier texts, in particular on item {i * 3 + variant}{edit}, and to report thereon "
                     f"at the session after next, in consultation with the organizations concerned;")
    return "\n".join(lines) + "\n"


def _extract_body() -> bytes:
    head = '{"text": "The General Assembly,\\nRecalling resolutions '
    items, size, i = [], len(head), 0
    while size < 975_000:
        items.append(f"{60 + i % 20}/{1 + i % 300}")
        size += len(items[-1]) + 2
        i += 1
    return (head + ", ".join(items) + ',\\n"}').encode()


def _sizes(db: Path) -> dict:
    wal = db.with_name(db.name + "-wal")
    return {"db_bytes": db.stat().st_size, "wal_bytes": wal.stat().st_size if wal.exists() else 0}


def _rss_kib(pid: int) -> int:
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _reader_urls(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rnd = random.Random(7)
    orgs = [r[0] for r in con.execute("SELECT acronym FROM organization ORDER BY acronym")]
    docs = [r[0] for r in con.execute("SELECT symbol FROM document WHERE symbol IS NOT NULL ORDER BY id")]
    con.close()
    urls = ["/", "/anomalies", "/unresolved"]
    urls += [f"/organizations/{a}" for a in rnd.sample(orgs, min(20, len(orgs)))]
    urls += [f"/api/organizations/{a}/chain" for a in rnd.sample(orgs, min(10, len(orgs)))]
    urls += [f"/documents/{s}" for s in rnd.sample(docs, min(60, len(docs)))]
    rnd.shuffle(urls)
    return urls


async def readers(base: str, urls: list[str], n: int, until: float) -> tuple[list[float], Counter]:
    latencies: list[float] = []
    errors: Counter = Counter()
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        async def one(k: int) -> None:
            i = k
            while time.monotonic() < until:
                path = urls[i % len(urls)]
                i += n
                start = time.perf_counter()
                try:
                    r = await client.get(path)
                    if r.status_code != 200:
                        errors[f"{r.status_code}"] += 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(one(k) for k in range(n)))
    return latencies, errors


async def attack_http(base: str, until: float, requests, concurrency: int = int(os.environ.get("ATTACK_CONCURRENCY", "4"))) -> Counter:
    """`requests` yields (method, path, body); each attacker sends them one after another."""
    answers: Counter = Counter()
    transport = httpx.AsyncHTTPTransport(local_address=ATTACKER)
    async with httpx.AsyncClient(base_url=base, timeout=60, transport=transport) as client:
        async def one() -> None:
            while time.monotonic() < until:
                method, path, body = next(requests)
                try:
                    r = await client.request(method, path, content=body,
                                             headers={"content-type": "application/json"} if body else None)
                    answers[r.status_code] += 1
                    answers["bytes"] += len(r.content)
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return answers


async def attack_stalled(port: int, until: float, n: int = 100) -> Counter:
    """n downloads that read their first bytes and then nothing, until the end of the phase."""
    answers: Counter = Counter()
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), source_address=(ATTACKER, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /export/citations.csv HTTP/1.1\r\nHost: lineage\r\n\r\n")
        socks.append(s)
    await asyncio.sleep(1)
    for s in socks:
        s.setblocking(False)
        try:
            answers["first bytes" if s.recv(1024) else "closed"] += 1
        except BlockingIOError:
            answers["nothing yet"] += 1
        except OSError:
            answers["reset"] += 1
    while time.monotonic() < until:
        await asyncio.sleep(0.5)
    closed = 0
    for s in socks:
        try:
            # a socket the server has closed reads to its end (b"") once the buffer is drained
            s.settimeout(0.01)
            while s.recv(1 << 20):
                pass
            closed += 1
        except (TimeoutError, BlockingIOError):
            pass
        except OSError:
            closed += 1
        s.close()
    answers["closed by the server"] = closed
    return answers


def _cycle(items):
    while True:
        yield from items


def _graph_ranges(first: int, last: int):
    rnd = random.Random(11)
    while True:
        a = rnd.randint(first, last)
        b = min(last, a + rnd.randint(0, 11))
        yield "GET", f"/graph?from={a}&to={b}&page={rnd.randint(1, 3)}&lang={rnd.choice(['zh', 'en'])}", None


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database", default=str(ROOT / "bench" / "out" / "lineage-1.db"))
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--readers", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", help="comma-separated attacks (extract,diff,graph,stalled)")
    args = ap.parse_args()
    seconds = min(args.seconds, 60.0)
    source = Path(args.database)
    if not source.exists():
        print(f"attack: no database at {source}: run bench/generate.py --scale 1 first", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="lineage-attack-"))
    db = tmp / "attack.db"
    shutil.copyfile(source, db)
    env = {**os.environ, "LINEAGE_DATABASE_URL": f"sqlite:///{db}", "LINEAGE_SECRET_KEY": "attack-" + os.urandom(16).hex()}
    lines = tmp / "long.jsonl"
    lines.write_text("".join(json.dumps({"key": f"attack-diff-{c}", "kind": "other", "language": "en",
                                         "text": _long_text(v)}) + "\n" for v, c in enumerate("ab")))
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "app.cli", "import", str(lines)], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    con = sqlite3.connect(db)
    first, last = con.execute("SELECT min(session), max(session) FROM document").fetchone()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    urls = _reader_urls(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                               "--workers", str(args.workers)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    body = _extract_body()
    attacks = {
        "extract": lambda until: attack_http(base, until, _cycle([("POST", "/api/extract", body)])),
        "diff": lambda until: attack_http(base, until, _cycle([("GET", "/diff/attack-diff-a...attack-diff-b", None)])),
        "graph": lambda until: attack_http(base, until, _graph_ranges(first, last)),
        "stalled": lambda until: attack_stalled(port, until),
    }
    chosen = args.only.split(",") if args.only else list(attacks)
    results = []
    try:
        wait_until_up(base, server, seconds=60)
        print(f"serving {base}; {len(urls)} reader URLs", file=sys.stderr, flush=True)
        # every reader URL once, so that no phase pays for first visits the others do not
        asyncio.run(readers(base, urls, args.readers, time.monotonic() + 5))

        async def settle() -> None:
            """Until the work an attack left in the server's threads is done (at most 120 s):
            two reads in a row as fast as before any attack."""
            quick, stop = 0, time.monotonic() + 120
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                while quick < 2 and time.monotonic() < stop:
                    start = time.perf_counter()
                    await client.get(urls[0])
                    quick = quick + 1 if time.perf_counter() - start < 0.2 else 0
                    await asyncio.sleep(0.2)

        async def phase(name: str):
            before = {**_sizes(db), "rss_kib": _rss_kib(server.pid)}
            until = time.monotonic() + seconds
            work = [readers(base, urls, args.readers, until)]
            if name != "none":
                work.append(attacks[name](until))
            done = await asyncio.gather(*work)
            await settle()
            after = {**_sizes(db), "rss_kib": _rss_kib(server.pid)}
            latencies, errors = done[0]
            attacker = dict(done[1]) if len(done) > 1 else {}
            return {"attack": name, "reads": len(latencies), "p50_ms": round(statistics.median(latencies) * 1000, 1),
                    "p95_ms": round(_pct(latencies, 0.95) * 1000, 1), "reader_errors": dict(errors),
                    "attacker": {str(k): v for k, v in attacker.items()}, "before": before, "after": after}

        for name in ["none", *chosen]:
            result = asyncio.run(phase(name))
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        stop(server)
        log.close()
    base_p95 = results[0]["p95_ms"]
    print()
    print("| attack | reads | readers' p50 ms | readers' p95 ms | p95 / no attack | database bytes before → after | WAL after | RSS MiB after | attacker's answers |")
    print("|---|---|---|---|---|---|---|---|---|")
    ok = True
    for r in results:
        ratio = r["p95_ms"] / base_p95 if base_p95 else float("nan")
        grew = r["after"]["db_bytes"] - r["before"]["db_bytes"]
        ok &= r["attack"] == "none" or (ratio <= 2 and grew <= 0 and not r["reader_errors"])
        answers = ", ".join(f"{k}: {v}" for k, v in r["attacker"].items() if k != "bytes")
        print(f"| {r['attack']} | {r['reads']} | {r['p50_ms']} | {r['p95_ms']} | {ratio:.2f} | "
              f"{r['before']['db_bytes']:,} → {r['after']['db_bytes']:,} | {r['after']['wal_bytes']:,} | "
              f"{r['after']['rss_kib'] / 1024:.0f} | {answers} |")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "attack.json").write_text(json.dumps(results, indent=1))
    print("\nverdict:", "readers' p95 within 2x and the database no larger under every attack" if ok else "NOT MET")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
