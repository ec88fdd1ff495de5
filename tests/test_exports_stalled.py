"""Clients that open an export and stop reading, against the real server (`lineage serve`) on a
SQLite file large enough that the export overflows every socket buffer between them.

Fifty such clients must hold no database read (on SQLite an open read keeps the write-ahead log
from being emptied) and little of the kernel's memory, must not slow a reader's page or a save
down, and must be cut off once a write to them has waited the send timeout, their connections
and files freed. A client that
reads, but too slowly, is cut off too; one that reads at once gets the same bytes as ever. And a
connection that never sends a whole request is closed.
"""

import fcntl
import os
import shutil
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlmodel import Session

from app.config import PROJECT_ROOT
from tests.browser import free_port, stop
from tests.conftest import TEST_DB_URL

pytestmark = pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file of its own")

# bench/generate.py's corpus at a fifth of scale 1: citations.csv is 9.6 MB, more than a server's
# socket buffer (4 MB on Linux) and a client's together.
SCALE = "0.2"
STALLED = 50
SEND_TIMEOUT = 15.0  # the server's, here: long enough to measure while the clients are stalled
RATE_WINDOW = 3.0
MIN_RATE = 200_000  # bytes a second: far above the slow reader below, far below a loopback read
HEAD_TIMEOUT = 2.0
EXPORT = "/export/citations.csv"
TCP_ESTABLISHED = 1


def _tcp_state(s: socket.socket) -> int:
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


def _queued(s: socket.socket) -> int:
    """Bytes the kernel holds for us to read."""
    return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0\0\0\0"))[0]


def _poll(until, seconds: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while not (result := until()):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:g} s: {what}")
        time.sleep(every)
    return result


def _client(port: int, path: str = EXPORT, rcvbuf: int = 4096) -> socket.socket:
    """A client asking for `path` with a small receive buffer (as a slow link's), reading nothing."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return s


def _up(base: str, proc: subprocess.Popen, log: Path) -> bool:
    if proc.poll() is not None:
        pytest.fail(f"the server stopped: {log.read_text()[-2000:]}")
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _unsent(port: int) -> list[int]:
    """What the kernel holds to send on each of the server's connections on `port` (the tx_queue
    of /proc/net/tcp: bytes written and not yet taken by the client)."""
    out = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # ESTABLISHED
            out.append(int(fields[4].split(":")[0], 16))
    return out


def _held(pid: int) -> list[str]:
    """The sockets and the exports' files the process holds open (not its database's files: the
    pool keeps what connections it made)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if target.startswith("socket:") or "/exports/" in target:
            out.append(target)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stalled")
    db = folder / "stalled.db"
    subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "generate.py"), "--scale", SCALE, "--out", str(db),
                    "--force"], check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    url = f"sqlite:///{db}"
    env = {**os.environ, "LINEAGE_DATABASE_URL": url, "LINEAGE_PAGE_CACHE_MB": "0",
           "LINEAGE_SECRET_KEY": "test-only-secret-key-0123456789abcdef",
           "LINEAGE_EXPORT_CACHE_DIR": str(folder / "exports"),
           "LINEAGE_SEND_TIMEOUT_SECONDS": str(SEND_TIMEOUT),
           "LINEAGE_SEND_RATE_WINDOW_SECONDS": str(RATE_WINDOW),
           "LINEAGE_SEND_MIN_BYTES_PER_SECOND": str(MIN_RATE),
           "LINEAGE_REQUEST_HEAD_TIMEOUT_SECONDS": str(HEAD_TIMEOUT)}
    port = free_port()
    # its log in a file: a pipe nobody reads would stop the server once full
    log = open(folder / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _poll(lambda: _up(base, proc, folder / "serve.log"), 60, "the server answers")
        yield SimpleNamespace(base=base, port=port, proc=proc, db=db, url=url, log=folder / "serve.log")
    finally:
        log.close()
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


class Writer:
    """Saves through the one writer (app.documents.store), from this process, into the server's file."""

    def __init__(self, url: str):
        import app.web.chain_html  # noqa: F401  (the writer renders the chain pages it changes)
        from app.db import make_engine

        self.engine = make_engine(url)
        self.n = 0

    def save(self) -> float:
        from app.documents.store import DocumentIn, ingest_document

        self.n += 1
        text = "大会，\n\n回顾其2004年12月2日第59/48号决议，\n\n" + "深信可持续发展至关重要，" * 200
        started = time.perf_counter()
        with Session(self.engine) as session:
            ingest_document(session, DocumentIn(symbol=f"A/RES/99/{self.n}", kind="ga_resolution", session=99,
                                                text=text, title=f"stalled {self.n}"))
        return time.perf_counter() - started

    def expected_export(self) -> bytes:
        """citations.csv as the export's own functions write it, read here in one go."""
        from app.exports import formats as export

        with self.engine.connect() as conn:
            return b"".join(export.csv_chunks(export.citation_rows(conn, None), export.CITATION_FIELDS))


def _page_times(base: str, path: str, n: int) -> float:
    times = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(n):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _wal(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def _checkpoint(db: Path, mode: str) -> tuple[int, int, int]:
    """(busy, frames in the log, frames checkpointed); TRUNCATE also empties the file, when no
    reader still reads an older version of the data."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout=2000")
        return con.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    finally:
        con.close()


def test_clients_that_stop_reading_an_export_hold_no_database_and_are_cut_off(server):
    base, port, proc, db = server.base, server.port, server.proc, server.db
    writer = Writer(server.url)
    with sqlite3.connect(db) as con:
        symbol = con.execute("SELECT d.symbol FROM cited_count c JOIN document d ON d.id = c.document_id"
                             " ORDER BY c.citers DESC LIMIT 1").fetchone()[0]
    page = f"/documents/{symbol}"

    # Without stalled clients: a page, a save, and how large the saves leave the log.
    _page_times(base, page, 2)
    writer.save()
    page_alone = _page_times(base, page, 7)
    assert _checkpoint(db, "TRUNCATE")[0] == 0
    save_alone = statistics.median(writer.save() for _ in range(7))
    wal_alone = _wal(db)
    assert _checkpoint(db, "TRUNCATE")[0] == 0
    expected = writer.expected_export()
    assert len(expected) > 8 << 20  # more than the buffers between a server and a client hold
    held_alone = _held(proc.pid)

    clients = [_client(port) for _ in range(STALLED)]
    try:
        _poll(lambda: all(_queued(s) > 0 for s in clients), 30, "every stalled client got the first bytes")
        # A client that reads at once, meanwhile, gets the export whole, the same bytes as ever.
        with httpx.Client(base_url=base, timeout=60) as client:
            assert client.get(EXPORT).content == expected

        # The kernel holds a little of the export for each, not megabytes.
        unsent = _unsent(port)
        assert len(unsent) == STALLED and max(unsent) <= 512 << 10, sorted(unsent)[-3:]

        page_stalled = _page_times(base, page, 7)
        save_stalled = statistics.median(writer.save() for _ in range(7))
        wal_stalled = _wal(db)
        passive = _checkpoint(db, "PASSIVE")
        truncate = _checkpoint(db, "TRUNCATE")
        # all of it measured while every stalled client was still connected
        assert all(_tcp_state(s) == TCP_ESTABLISHED for s in clients), "the clients were cut off too soon to measure"

        # No read is left open: every change can be checkpointed, and the log emptied, so that
        # it never grows past SQLite's automatic checkpoint (1,000 pages) and a save. (A reader
        # holding an older version keeps every save since in the log, for as long as it reads.)
        assert passive[1] == passive[2], (f"only {passive[2]} of the log's {passive[1]} frames could be checkpointed;"
                                          f" {wal_stalled >> 10} KB of log after the saves, {wal_alone >> 10} KB alone")
        assert truncate[0] == 0 and _wal(db) == 0, "a reader holds an older version: the log cannot be emptied"
        # Readers and writers go on as before.
        assert page_stalled <= 3 * page_alone, (page_stalled, page_alone)
        assert save_stalled <= 3 * save_alone, (save_stalled, save_alone)

        # Once a write to them has waited the send timeout, the server resets their connections,
        # and the files and sockets they held are freed.
        _poll(lambda: all(_tcp_state(s) != TCP_ESTABLISHED for s in clients), SEND_TIMEOUT + 30,
              "the server cut off every stalled client", every=0.5)
        _poll(lambda: len(_held(proc.pid)) <= len(held_alone), 10,
              f"the server closed their sockets and files: it held {held_alone}, now {_held(proc.pid)}")
    finally:
        for s in clients:
            s.close()


def test_a_client_that_reads_too_slowly_is_cut_off(server):
    """One that takes about 64 KB a second, below the minimum rate: it is cut off for that, before
    any single write to it has waited the send timeout."""
    s = _client(server.port, rcvbuf=16384)
    who = f"client 127.0.0.1:{s.getsockname()[1]} cut off"
    got = 0
    try:
        deadline = time.monotonic() + SEND_TIMEOUT + 30
        while time.monotonic() < deadline:
            time.sleep(0.25)
            try:
                chunk = s.recv(16384, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += len(chunk)
        else:
            pytest.fail(f"still connected after {SEND_TIMEOUT + 30:g} s, {got} bytes read")
    finally:
        s.close()
    assert got < 4 << 20
    said = [line for line in server.log.read_text().splitlines() if who in line]
    assert len(said) == 1 and "bytes/s over" in said[0], said


def test_a_connection_that_never_sends_a_whole_request_is_closed(server):
    silent = socket.create_connection(("127.0.0.1", server.port))
    half = socket.create_connection(("127.0.0.1", server.port))
    half.sendall(b"GET /export/citations.csv HTTP/1.1\r\nHo")
    try:
        _poll(lambda: all(_tcp_state(s) != TCP_ESTABLISHED for s in (silent, half)), HEAD_TIMEOUT + 20,
              "the server closed both connections")
        # while one that sends its request at once is answered
        with httpx.Client(base_url=server.base, timeout=60) as client:
            assert client.get("/healthz").status_code == 200
    finally:
        silent.close()
        half.close()
