"""Profile the running Lineage worker under load: py-spy against its pid while wrk loads one page.

    .venv/bin/python bench/profile_pages.py --scale 1 --page chain [--seconds 10]

Prints the inclusive share of samples per frame (top N), grouped as file:function, for the worker's
threads (request threads and the event loop), and leaves the collapsed stacks in
bench/out/profile-<page>-<scale>.txt (open them in speedscope or flamegraph.pl).
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402

ROOT, OUT, VENV = load.ROOT, load.OUT, load.VENV


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--page", default="chain", choices=("chain", "document", "symbol", "fulltext"))
    ap.add_argument("--api", action="store_true", help="the JSON API instead of the page")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--gil", action="store_true",
                    help="only the thread holding the GIL: CPU spent, not time waiting for the GIL")
    ap.add_argument("--lineage-cmd", help="command that serves Lineage on $PORT")
    ap.add_argument("--db", help="database file (default bench/out/lineage-<scale>.db)")
    args = ap.parse_args(argv)
    db = Path(args.db) if args.db else OUT / f"lineage-{args.scale}.db"
    pairs = load.sample(db, 200, 7)
    if args.api:
        pairs = load.api_pairs(pairs)
    paths = [lp for lp, _ in pairs[args.page]]
    port = load.free_port(18201)
    env = dict(os.environ, LINEAGE_DATABASE_URL=f"sqlite:///{db}", PORT=str(port))
    cmd = (["bash", "-c", "exec " + args.lineage_cmd] if args.lineage_cmd else
           [str(VENV / "lineage"), "serve", "--port", str(port), "--workers", "1"])
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stacks = OUT / f"profile-{args.page}{'-api' if args.api else ''}-{args.scale}.txt"
    try:
        base = f"http://127.0.0.1:{port}"
        load.wait_up(base + "/healthz", proc)
        load.wrk(base, paths, 1, 4, 2, 100_000)
        res = {}
        t = threading.Thread(target=lambda: res.update(load.wrk(base, paths, 2, 16, args.seconds + 2, 200_000)))
        t.start()
        subprocess.run([str(VENV / "py-spy"), "record", "--pid", str(proc.pid), "--duration", str(args.seconds),
                        "--rate", "200", "--format", "raw", "--output", str(stacks), "--nonblocking", *(["--gil"] if args.gil else [])],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=args.seconds + 60)
        t.join()
        print(f"{args.page}: {res.get('rps', 0):.1f} req/s under py-spy (sampling slows it a little)")
    finally:
        proc.terminate()
        proc.wait(10)
    summarize(stacks, args.top)
    return 0


def summarize(path: Path, top: int) -> None:
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    idle = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():  # a frame whose name holds a newline continues on the next line
            continue
        n = int(n)
        frames = stack.split(";")
        # Threads waiting for work (the thread pool, the selector) are not time spent on a request.
        if any(x in stack for x in ("_worker (concurrent/futures", "select (selectors.py", "wait (threading.py")) \
                and not any("app/" in f or "sqlalchemy" in f or "jinja2" in f for f in frames):
            idle += n
            continue
        total += n
        seen = set()
        for f in frames:
            name = f.split(" (")[0] + " (" + f.split(" (")[-1].split("/")[-1].rstrip(")").split(":")[0] + ")" \
                if " (" in f else f
            if name not in seen:
                seen.add(name)
                incl[name] += n
    print(f"{total} busy samples ({idle} idle thread samples left out); inclusive share:")
    for name, n in incl.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    raise SystemExit(main())
