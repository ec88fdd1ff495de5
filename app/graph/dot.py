"""Graphviz `dot` as a child process under hard limits.

A layout of a large or awkward graph can run for many minutes and take gigabytes (and `dot`
sometimes fails outright: "triangulation failed"). So every run gets an address-space limit
(RLIMIT_AS) and a CPU-time limit (RLIMIT_CPU) set in the child before `dot` starts, a wall-clock
timeout after which it is killed, and the kernel's promise (PR_SET_PDEATHSIG) to kill it if the
thread that started it dies: no layout outlives its job.

The child is set up by util-linux's `setpriv --pdeathsig` and `prlimit`, which exec one another
and then `dot`, so the worker starts it without copying itself (a fork of a worker of 150 MB, to
run Python between fork and exec, cost 7 ms a layout). Without them (not Debian), the same is
done in the forked child.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
import resource
import shutil
import signal
import subprocess
from dataclasses import dataclass

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_prctl = _libc.prctl  # looked up here: the child after fork only calls it


class GraphvizMissing(RuntimeError):
    """`dot` is not installed (Debian package `graphviz`, see scripts/system-deps.sh)."""


@dataclass
class LayoutFailed(Exception):
    """`dot` gave no drawing: `reason` is `timeout`, `memory`, or what it said on stderr."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def _limits(memory_bytes: int, cpu_seconds: int):
    def apply() -> None:  # runs in the child between fork and exec: C calls only
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return apply


@functools.cache
def _wrappers() -> tuple[str, str] | None:
    """util-linux's setpriv and prlimit, if both are there and do what `_command` asks of them
    (`--pdeathsig` came with util-linux 2.33): tried once per process."""
    setpriv, prlimit = shutil.which("setpriv"), shutil.which("prlimit")
    if not (setpriv and prlimit):
        return None
    true = shutil.which("true") or "/bin/true"
    try:
        tried = subprocess.run([setpriv, "--pdeathsig", "KILL", prlimit, "--cpu=60:61", "--", true],
                               capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (setpriv, prlimit) if tried.returncode == 0 else None


def _command(exe: str, fmt: str, memory_bytes: int, cpu_seconds: int):
    """The command that runs `dot` under the limits, and what the child runs before it (None:
    nothing, the command sets them)."""
    dot = [exe, f"-T{fmt}"]
    wrappers = _wrappers()
    if wrappers:
        setpriv, prlimit = wrappers
        return [setpriv, "--pdeathsig", "KILL", prlimit, f"--as={memory_bytes}",
                f"--cpu={cpu_seconds}:{cpu_seconds + 1}", "--", *dot], None
    return dot, _limits(memory_bytes, cpu_seconds)


def run_dot(source: str, *, timeout: float, memory_mb: int, fmt: str = "svg") -> bytes:
    """`dot -T<fmt>` of `source`; its output, or LayoutFailed. The process is gone on return."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing("Graphviz's `dot` is not on PATH")
    command, before = _command(exe, fmt, memory_mb * 1024 * 1024, max(1, math.ceil(timeout)))
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

