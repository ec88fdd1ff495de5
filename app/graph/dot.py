"""Graphviz `dot` as a child process under hard limits.

A layout of a large or awkward graph can run for many minutes and take gigabytes (and `dot`
sometimes fails outright: "triangulation failed"). So every run gets an address-space limit
(RLIMIT_AS) and a CPU-time limit (RLIMIT_CPU) set in the child before `dot` starts, a wall-clock
timeout after which it is killed, and the kernel's promise (PR_SET_PDEATHSIG) to kill it if the
thread that started it dies: no layout outlives its job.

The limits and the death signal are set as for every untrusted child (app/confine.py: util-linux's
`setpriv --pdeathsig` and `prlimit` when they are there, else in the forked child).
"""

from __future__ import annotations

import math
import shutil
import signal
import subprocess
from dataclasses import dataclass

from app import confine


class GraphvizMissing(RuntimeError):
    """`dot` is not installed (Debian package `graphviz`, see scripts/system-deps.sh)."""


@dataclass
class LayoutFailed(Exception):
    """`dot` gave no drawing: `reason` is `timeout`, `memory`, or what it said on stderr."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def run_dot(source: str, *, timeout: float, memory_mb: int, fmt: str = "svg") -> bytes:
    """`dot -T<fmt>` of `source`; its output, or LayoutFailed. The process is gone on return."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing("Graphviz's `dot` is not on PATH")
    command, before = confine.command([exe, f"-T{fmt}"], memory_mb * 1024 * 1024, max(1, math.ceil(timeout)))
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=before, close_fds=True,
    )
    try:
        out, err = proc.communicate(source.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise LayoutFailed("timeout") from None
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode == 0 and out:
        return out
    said = err.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise LayoutFailed("timeout")
    if any("out of memory" in line.lower() or "cannot allocate" in line.lower() for line in said) \
            or proc.returncode == -signal.SIGSEGV:
        raise LayoutFailed("memory")
    raise LayoutFailed(said[-1][:300] if said else f"dot exited with {proc.returncode}")

