"""`lineage serve`: one worker, or several sharing one listening socket."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from app.cli import listening_socket
from app.config import PROJECT_ROOT
from tests.browser import free_port, wait_until_up
from tests.conftest import SEED_DIR, TEST_DB_URL


def test_connections_accepted_from_the_shared_socket_have_nagle_off():
    """Each worker accepts from the socket `serve --workers N` made: a connection with Nagle's
    algorithm on answers a keep-alive client about 40 ms late, whatever the page."""
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    seen: list[int] = []

    async def main():
        async def handle(reader, writer):
            seen.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert seen and seen[0] != 0


def test_a_port_in_use_is_refused_in_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(Exception) as exc:
            listening_socket("127.0.0.1", port)
        assert f"127.0.0.1:{port}" in str(exc.value)
        assert "\n" not in str(exc.value)


@pytest.mark.skipif(bool(TEST_DB_URL), reason="a SQLite file of its own")
def test_two_workers_answer_quickly_on_one_connection_and_stop_together(tmp_path):
    env = {**os.environ, "LINEAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
           "LINEAGE_SECRET_KEY": "test-only-secret-key-0123456789abcdef"}
    for args in (["migrate"], ["seed", "--dir", str(SEED_DIR)]):
        subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=PROJECT_ROOT, check=True,
                       capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
                            env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc, seconds=60)
        with httpx.Client(base_url=base) as client:  # one keep-alive connection, as a browser's
            page = client.get("/documents/A/RES/64/183")
            assert page.status_code == 200 and "A/RES/64/183" in page.text
            # Twenty answers on one connection: with Nagle's algorithm on, each waits for the
            # client's delayed acknowledgement (40 ms on Linux), 800 ms in all. Far from it, on
            # the slowest machine.
            started = time.monotonic()
            for _ in range(20):
                assert client.get("/healthz").status_code == 200
            assert time.monotonic() - started < 0.7
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail("lineage serve --workers 2 did not stop on SIGINT")
    # the workers, and multiprocessing's resource tracker, which ends when it reads the end of its pipe
    deadline = time.monotonic() + 15
    while (left := subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()):
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"processes left behind: {left}")
        time.sleep(0.2)
