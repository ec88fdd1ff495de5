"""Throughput of the citation extractor on one core.

Builds a ~10 MB corpus (UTF-8 bytes) deterministically by repeating the seed texts
(seed_data/*.txt) and the gold case texts (tests/gold/cases*.toml, when present), runs
`app.citations.extract` on one core and prints MB/s. Target: >= 5 MB/s.

Two ways to feed it (both printed by default):
- docs:   one `extract` call per document (the way the app ingests; the ~180-byte gold
          case texts make per-call overhead count);
- joined: the whole corpus as one text (documents separated by blank lines).

MB/s is computed from CPU time of this process (time.process_time), which on a shared
machine is far steadier than wall time; wall time is printed too.

    .venv/bin/python bench/extract.py [--mb 10] [--repeat 3] [--mode docs|joined|both] [--profile]
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.citations import extract  # noqa: E402


def _texts() -> list[str]:
    texts = []
    for p in sorted((ROOT / "seed_data").glob("*.txt")):
        with open(p, encoding="utf-8", newline="") as fh:
            texts.append(fh.read())
    for p in sorted((ROOT / "tests" / "gold").glob("cases*.toml")):
        with open(p, "rb") as fh:
            data = tomllib.load(fh)
        texts.extend(c["text"] for c in data.get("case", []) if c.get("text"))
    return texts


def build_corpus(target_mb: float) -> list[str]:
    """The documents of the corpus: the texts repeated in a fixed order up to target_mb."""
    base = _texts()
    if not base:
        raise SystemExit("no seed texts found")
    target = int(target_mb * 1_000_000)
    docs: list[str] = []
    size = 0
    i = 0
    while size < target:
        t = base[i % len(base)]
        docs.append(t)
        size += len(t.encode("utf-8"))
        i += 1
    return docs


def run(docs: list[str]) -> tuple[float, float, int]:  # noqa: D401
    """(wall seconds, CPU seconds of this process, citations found)."""
    w0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for d in docs:
        n += len(extract(d))
    return time.perf_counter() - w0, time.process_time() - c0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mode", choices=("docs", "joined", "both"), default="both")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    docs = build_corpus(args.mb)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1_000_000
    chars = sum(len(d) for d in docs)
    if args.profile:
        import cProfile
        import pstats

        cProfile.runctx("run(docs)", globals(), {"docs": docs, "run": run}, "/tmp/extract.prof")
        pstats.Stats("/tmp/extract.prof").sort_stats("cumulative").print_stats(25)
        return
    print(
        f"corpus: {len(docs)} documents, {mb:.2f} MB UTF-8 ({chars / 1e6:.2f} M characters)"
    )
    modes = ("docs", "joined") if args.mode == "both" else (args.mode,)
    for mode in modes:
        feed = docs if mode == "docs" else ["\n\n".join(docs)]
        best_wall = best_cpu = float("inf")
        cites = 0
        for _ in range(args.repeat):
            wall, cpu, cites = run(feed)
            best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        print(
            f"{mode:6}: best of {args.repeat}: {mb / best_cpu:.2f} MB/s CPU ({best_cpu:.3f} s), "
            f"{mb / best_wall:.2f} MB/s wall ({best_wall:.3f} s), {cites} citations; "
            f"target >= 5 MB/s"
        )


if __name__ == "__main__":
    main()
