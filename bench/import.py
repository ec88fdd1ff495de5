"""How fast `lineage import` takes a JSON Lines export into a fresh database, and whether it slows
down as the database grows: wall and CPU time in all, and per window of N document lines.

    .venv/bin/python bench/import.py FILE.jsonl [--window 2000] [--batch-size 500] [--db PATH]
    .venv/bin/python bench/import.py FILE.jsonl --check   # and compare the read model with a rebuild

FILE.jsonl is what `lineage export` writes, e.g. of the scale-1 corpus:
    cp bench/out/lineage-1.db /tmp/src.db
    LINEAGE_DATABASE_URL=sqlite:////tmp/src.db .venv/bin/lineage export /tmp/all.jsonl
The import runs as the command does (`make_engine(savepoints=True)`, `import_jsonl`), into a file
made by the migrations, or into `--url` (a PostgreSQL database that is emptied first).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(fh, window: int, marks: list[tuple[int, float, float]], citations: list[int]):
    """The file's lines, noting (documents so far, wall, CPU) each time `window` more document
    lines have been read (a mark is taken when the next line is asked for, so it includes the
    commit of the batch that ended there), and the citations each window's lines hold (the
    export writes a `verb_class` for each): the first documents of a corpus cite less."""
    docs = 0
    citations.append(0)
    for line in fh:
        if docs and docs % window == 0 and marks[-1][0] != docs:
            marks.append((docs, time.perf_counter(), time.process_time()))
            citations.append(0)
        if not line.startswith(b'{"type": "organization"'):
            docs += 1
            citations[-1] += line.count(b'"verb_class": ')
        yield line
    marks.append((docs, time.perf_counter(), time.process_time()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--window", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--db", help="SQLite file to import into (default: a temporary one)")
    ap.add_argument("--url", help="a database URL to import into instead (emptied first)")
    ap.add_argument("--check", action="store_true", help="then check the read model equals a rebuild")
    args = ap.parse_args()

    from sqlmodel import Session, SQLModel

    import app.web.chain_html  # noqa: F401  (as `lineage import`: the writer renders the chains it changes)
    from app.db import make_engine
    from app.exports.jsonl import import_jsonl
    from app.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            url = args.url
            engine = make_engine(url)
            SQLModel.metadata.drop_all(engine)
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            engine.dispose()
        else:
            path = Path(args.db) if args.db else Path(tmp) / "import.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        upgrade(url)
        engine = make_engine(url, savepoints=True)
        marks: list[tuple[int, float, float]] = []
        citations: list[int] = []
        with Session(engine) as session, open(args.file, "rb") as fh:
            marks.append((0, time.perf_counter(), time.process_time()))
            report = import_jsonl(session, _timed(fh, args.window, marks, citations), batch_size=args.batch_size)
        docs, wall, cpu = marks[-1][0], marks[-1][1] - marks[0][1], marks[-1][2] - marks[0][2]
        print(f"{os.path.basename(args.file)} into {engine.dialect.name}, batch {args.batch_size}: {report.summary()}")
        print(f"{docs} documents: {wall:.1f} s wall, {cpu:.1f} s CPU,"
              f" {docs / wall:.0f} docs/s, {docs / cpu:.0f} docs per CPU-second")
        print(f"{'documents':>13} {'docs/s':>8} {'docs/CPU-s':>11} {'citations/CPU-s':>16}")
        for (d0, w0, c0), (d1, w1, c1), n in zip(marks, marks[1:], citations):
            cpu = max(c1 - c0, 1e-9)
            print(f"{d0 + 1:>6}-{d1:<6} {(d1 - d0) / (w1 - w0):8.0f} {(d1 - d0) / cpu:11.0f} {n / cpu:16.0f}")
        if args.check:
            _check(session_factory=lambda: Session(engine))
        engine.dispose()


def _check(session_factory) -> None:
    """The read model the import left equals the one `lineage rebuild` computes."""
    from app.chains import readmodel
    from tests.test_chains_readmodel import derived_rows

    with session_factory() as session:
        kept = derived_rows(session)
        t = time.perf_counter()
        readmodel.rebuild(session)
        rebuilt_s = time.perf_counter() - t
        same = derived_rows(session) == kept
        session.rollback()
    print(f"read model equal to a rebuild: {'yes' if same else 'NO'} (rebuild {rebuilt_s:.1f} s)")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
