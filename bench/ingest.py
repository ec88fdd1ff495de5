"""How fast `lineage ingest` takes a folder of PDFs: N copies of the five seed PDFs (made as the
tests make them, under distinct names) into a fresh SQLite file, timed end to end, then again
(every file unchanged), and the reading alone (pypdfium2 and the layout, no database).

    .venv/bin/python bench/ingest.py [--copies 40] [--batch-size 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=50)
    args = ap.parse_args()

    from sqlmodel import Session

    from app.db import make_engine
    from app.documents import files
    from app.documents.intake import ingest_paths
    from app.migrate import upgrade
    from tests import un_documents as u

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pdfs"
        folder.mkdir()
        pdfs = {name: u.pdf_bytes(name) for name in u.SEED_FILES}
        for k in range(args.copies):
            for name, data in pdfs.items():
                # a comment after the end makes each copy a file of its own (the same bytes
                # again would be the document already stored), read as the seed PDF is
                (folder / f"{k:04d}-{Path(name).stem}.pdf").write_bytes(data + f"%copy {k}\n".encode())
        paths = sorted(folder.iterdir())
        mb = sum(p.stat().st_size for p in paths) / 1e6

        t = time.perf_counter()
        for p in paths:
            files.read_path(p)
        read_s = time.perf_counter() - t

        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s:
            t = time.perf_counter()
            first = ingest_paths(s, [folder], batch_size=args.batch_size)
            first_s = time.perf_counter() - t
            t = time.perf_counter()
            again = ingest_paths(s, [folder], batch_size=args.batch_size)
            again_s = time.perf_counter() - t
        engine.dispose()
        n = len(paths)
        print(f"{n} PDFs, {mb:.1f} MB, batch {args.batch_size}")
        print(f"read only:     {read_s:6.1f} s  {n / read_s:6.1f} files/s  {mb / read_s:5.2f} MB/s")
        print(f"ingest, empty: {first_s:6.1f} s  {n / first_s:6.1f} files/s  "
              f"({first.count('added')} added, {first.count('unchanged')} unchanged, {first.refused} refused)")
        print(f"ingest, again: {again_s:6.1f} s  {n / again_s:6.1f} files/s  ({again.count('unchanged')} unchanged)")


if __name__ == "__main__":
    main()
