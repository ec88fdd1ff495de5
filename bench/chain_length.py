"""The chain page's time against the chain's length: chains of 10, 40 and 160 links.

    .venv/bin/python bench/chain_length.py [--lengths 10,40,160] [--rounds 30]

bench/generate.py's chains have at most about 60 links, so the chains are made for the
measurement: a small corpus in bench/out/chain-length.db, written by `lineage import` (the
writer the users have) from JSON Lines this script makes. Each length is one organization whose
series is that many General Assembly resolutions, four to a session from the 41st on, and each
resolution recalls the three before it in a paragraph that names the series, as the real ones
do; so every link also leaves out the series' older resolutions, and a chain of n links names
about n²/2 documents, which is what the page shows.

Lineage serves it as the cold mode does (`lineage serve --workers 1`, page cache off), one
request at a time on one connection, the lengths taken in turn. Printed per length: p50 and
p99 of the wall time, the worker's CPU per request (/proc utime + stime), the response size and
the CPU per link; the figures also go to bench/out/chain-length.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cold import Conn, pct  # noqa: E402
from generate import zh_date, zh_session  # noqa: E402
from load import OUT, ROOT, VENV, free_port, wait_up  # noqa: E402

PER_SESSION = 4
FIRST_SESSION = 41
RECALLS = 3


def corpus_lines(lengths: list[int]) -> list[str]:
    """JSON Lines: an organization per length, and its series of resolutions."""
    lines = []
    for n in lengths:
        acronym = f"LEN{n}"
        name = f"第{n}号测试组织"
        title = f"联合国同{name}的合作"
        observer = f"A/RES/40/{900 + n}"
        lines.append(json.dumps({"type": "organization", "acronym": acronym, "name_zh": name,
                                 "name_en": f"Test organization {n}", "observer_symbol": observer,
                                 "series_titles": [title]}, ensure_ascii=False))
        series: list[tuple[str, dt.date]] = []
        for i in range(n):
            session = FIRST_SESSION + i // PER_SESSION
            number = 100 + n + i % PER_SESSION * 10  # distinct per organization and per session
            symbol = f"A/RES/{session}/{number}"
            date = dt.date(1945 + session, 12, 1 + i % PER_SESSION)
            paragraphs = [f"第{session}/{number}号决议", title, "大会，"]
            earlier = series[-RECALLS:]
            if earlier:
                parts = []
                for j, (sym, when) in enumerate(earlier):
                    sep = "" if j == 0 else ("和" if j == len(earlier) - 1 else "、")
                    parts.append(f"{sep}{zh_date(when)}第{sym[len('A/RES/'):]}号")
                paragraphs.append(f"回顾其关于{title}的" + "".join(parts) + "各项决议，")
            paragraphs.append(f"注意到{name}在大会第{zh_session(session)}届会议期间的工作，")
            lines.append(json.dumps({"symbol": symbol, "kind": "ga_resolution", "organization": acronym,
                                     "session": session, "date": date.isoformat(), "title": title,
                                     "language": "zh", "text": "\n\n".join(paragraphs)}, ensure_ascii=False))
            series.append((symbol, date))
    return lines


def make_corpus(db: Path, lengths: list[int]) -> None:
    if db.exists():
        db.unlink()
    env = dict(os.environ, LINEAGE_DATABASE_URL=f"sqlite:///{db}")
    lineage = str(VENV / "lineage")
    subprocess.run([lineage, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    src = db.with_suffix(".jsonl")
    src.write_text("\n".join(corpus_lines(lengths)) + "\n", encoding="utf-8")
    r = subprocess.run([lineage, "import", str(src)], env=env, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"lineage import: {r.stdout}{r.stderr}")
    subprocess.run([lineage, "rebuild"], env=env, cwd=ROOT, check=True, capture_output=True)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lengths", default="10,40,160")
    ap.add_argument("--rounds", type=int, default=30, help="requests per length")
    ap.add_argument("--port", type=int, default=18301)
    args = ap.parse_args(argv)
    lengths = [int(x) for x in args.lengths.split(",")]
    OUT.mkdir(exist_ok=True)
    db = OUT / "chain-length.db"
    make_corpus(db, lengths)

    port = free_port(args.port)
    env = dict(os.environ, LINEAGE_DATABASE_URL=f"sqlite:///{db}", LINEAGE_PAGE_CACHE_MB="0",
               LINEAGE_SECRET_KEY="bench-only-secret-key-0123456789abcdef")
    proc = subprocess.Popen([str(VENV / "lineage"), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    results = {}
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base + "/healthz", proc)
        conn = Conn(base, 30)
        samples: dict[int, list[tuple[float, float, int]]] = {n: [] for n in lengths}
        links: dict[int, int] = {}
        for n in lengths:  # the page's links as served (the observer-status resolution is one)
            r = conn.get(f"/organizations/LEN{n}")
            if r["status"] != 200:
                raise SystemExit(f"/organizations/LEN{n}: {r['status']}")
        for _ in range(args.rounds):
            for n in lengths:
                c0 = cpu_seconds(proc.pid)
                r = conn.get(f"/organizations/LEN{n}")
                samples[n].append((r["ms"], (cpu_seconds(proc.pid) - c0) * 1000, r["bytes"]))
        con_links = __import__("sqlite3").connect(f"file:{db}?mode=ro", uri=True)
        for n in lengths:
            links[n] = con_links.execute(
                "SELECT count(*) FROM chain_member m JOIN organization o ON o.id = m.organization_id "
                "WHERE o.acronym = ?", (f"LEN{n}",)).fetchone()[0]
        con_links.close()
        conn.close()
        print("| links | p50 ms | p99 ms | CPU ms/request | CPU ms/link | response kB |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in lengths:
            wall = [s[0] for s in samples[n]]
            cpu = sum(s[1] for s in samples[n]) / len(samples[n])
            results[n] = {"links": links[n], "p50_ms": pct(wall, 50), "p99_ms": pct(wall, 99),
                          "cpu_ms": cpu, "cpu_ms_per_link": cpu / links[n], "kb": samples[n][-1][2] / 1000}
            e = results[n]
            print(f"| {e['links']} | {e['p50_ms']:.1f} | {e['p99_ms']:.1f} | {e['cpu_ms']:.1f} | "
                  f"{e['cpu_ms_per_link']:.3f} | {e['kb']:.0f} |")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    (OUT / "chain-length.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
