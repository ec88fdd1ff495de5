"""A child process under hard limits that dies with the thread that started it.

Used by every child Lineage starts on input it does not trust: Graphviz's `dot` (app/graph/dot.py)
and the reader of PDF and Word files (app/documents/files.py). Each gets an address-space limit
(RLIMIT_AS), a CPU-time limit (RLIMIT_CPU) when it reads one input, and the kernel's promise
(PR_SET_PDEATHSIG) to kill it with SIGKILL when the thread that started it dies: no child
outlives the command or the server that needed it.

The child is set up by util-linux's `setpriv --pdeathsig` and `prlimit`, which exec one another
and then the command, so the parent starts it without copying itself (a fork of a worker of
150 MB, to run Python between fork and exec, cost 7 ms a layout). Without them (not Debian, or
util-linux before 2.33), `apply` does the same in the forked child (`preexec_fn`), or a Python
child calls it on itself first thing (anyio's `run_process` takes no `preexec_fn`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import resource
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_prctl = _libc.prctl  # looked up here: the child after fork only calls it


def apply(memory_bytes: int, cpu_seconds: int | None = None) -> None:
    """Set the limits and the death signal on this process (C calls only: safe between fork and
    exec). `cpu_seconds` None leaves the CPU time to the process (a reader of many files counts
    it afresh for each)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@functools.cache
def _wrappers() -> tuple[str, str] | None:
    """util-linux's setpriv and prlimit, if both are there and do what `command` asks of them
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


def command(argv: Sequence[str], memory_bytes: int,
            cpu_seconds: int | None = None) -> tuple[list[str], Callable[[], None] | None]:
    """The command that runs `argv` under the limits and the death signal, and what the forked
    child must run before it (None: nothing, the command sees to it). `argv` comes after `--`:
    nothing in it is read as an option of the wrappers."""
    wrappers = _wrappers()
    if wrappers:
        setpriv, prlimit = wrappers
        cpu = [f"--cpu={cpu_seconds}:{cpu_seconds + 1}"] if cpu_seconds is not None else []
        return [setpriv, "--pdeathsig", "KILL", prlimit, f"--as={memory_bytes}", *cpu, "--", *argv], None
    return list(argv), functools.partial(apply, memory_bytes, cpu_seconds)
