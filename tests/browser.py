"""A live Lineage server and Debian's chromium, for the tests of what a person sees and clicks."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.config import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_lineage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True)


@contextmanager
def live_server(database_url: str, extra_env: dict | None = None, seed: bool = True):
    """Migrate, seed and serve `database_url` on a free loopback port; yields the base URL."""
    env = {**os.environ, "LINEAGE_DATABASE_URL": database_url, **(extra_env or {})}
    run_lineage(env, "migrate")
    if seed:
        run_lineage(env, "seed")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def screenshot_dir() -> Path:
    out = PROJECT_ROOT / "tests" / "screenshots"
    out.mkdir(exist_ok=True)
    return out
