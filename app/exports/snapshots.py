"""Exports written once to a file, then sent from it at each client's pace.

An export is read from the database in one read transaction (`formats.one_read`: it holds one
version of the data, a save committed meanwhile is in it wholly or not at all) and written to a
file; its clients are sent the file. A client that stops reading then holds an open file, never a
database connection or a read transaction. (Read as it was sent, an export held both for as long
as its client waited: on SQLite the open read kept the write-ahead log from being checkpointed,
so the log grew by every save meanwhile, and each client cost a reading of the database.)

Clients of one export (format, scope, address and data version) share its file: those who come
while it is being written read it as it grows, so the first bytes still leave at once, and a
hundred clients cost one reading, not a hundred. A change to the data makes a new data version,
and the files of the older ones go.

The files: a directory per worker process, `<root>/<pid>-<random>/`, made at first use and
removed when the worker stops; a worker making its own removes those of processes that are gone
(a worker killed). A file is written under a `.part` name and renamed when complete. Complete
files are kept while they fit in `max_bytes`, the least recently asked for going first; a file
being written counts too but is never cut short, so the directory holds at most `max_bytes` plus
the exports being written, of which there are at most `WRITERS` at once (and `WAITING` waiting
their turn: a client asking for yet another is told to come back, rather than wait behind them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import anyio

log = logging.getLogger(__name__)

CHUNK = 64 * 1024  # bytes read from a file and sent at a time
PUBLISH = 256 * 1024  # readers following a file being written are woken each time it grows this much
WRITERS = 2  # exports written at once by one worker; more wait their turn...
WAITING = 8  # ... this many at most: past them a new export is refused (ExportsBusy), not queued


class ExportFailed(Exception):
    """The export could not be written: the database or the disk failed, or the worker is stopping."""


class ExportsBusy(ExportFailed):
    """`WAITING` exports already wait for a writer: a new one is refused (the client may retry)."""


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class Snapshot:
    """One export's file, complete or being written, and how far it is written."""

    def __init__(self, path: Path, version: object):
        self.path = path  # its `.part` name until it is complete
        self.version = version
        self.size = 0  # bytes written and flushed: as far as a reader may read
        self.done = False
        self.error: BaseException | None = None
        self.dropped = False  # out of the cache: its file goes once written
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def progress(self) -> tuple[int, bool, BaseException | None]:
        with self._lock:
            return self.size, self.done, self.error

    def open(self) -> BinaryIO:
        """A handle to read the file from, whatever becomes of its name later."""
        with self._lock:
            return open(self.path, "rb", buffering=0)

    def publish(self, size: int, *, done: bool = False, error: BaseException | None = None,
                path: Path | None = None) -> None:
        """From the writer's thread: `size` bytes are in the file (and it is complete, or failed)."""
        with self._lock:
            self.size = size
            self.done = done or error is not None
            self.error = error
            if path is not None:
                self.path = path
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that reader's loop is closed: nobody waits
                loop.call_soon_threadsafe(_wake, future)

    async def wait(self, offset: int) -> None:
        """Until the file holds more than `offset` bytes, or is complete, or failed."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.size > offset or self.done:
                return
            future = loop.create_future()
            self._waiters.append((loop, future))
        await future


async def stream(snapshot: Snapshot, file: BinaryIO) -> AsyncIterator[bytes]:
    """The export's bytes from `file`, `CHUNK` at a time, following it while it is written.
    Closes `file` when done, failed or closed early."""
    fd = file.fileno()
    offset = 0
    try:
        while True:
            size, done, error = snapshot.progress()
            if offset < size:
                chunk = await anyio.to_thread.run_sync(os.pread, fd, min(CHUNK, size - offset), offset)
                if not chunk:
                    raise ExportFailed("the export's file is shorter than written")
                offset += len(chunk)
                yield chunk
            elif error is not None:
                raise ExportFailed("the export could not be written") from error
            elif done:
                return
            else:
                await snapshot.wait(offset)
    finally:
        file.close()


class SnapshotCache:
    """The export files of one worker process (see the module's docstring)."""

    def __init__(self, root: Path | None, max_bytes: int, writers: int = WRITERS, max_waiting: int = WAITING):
        self.root = root
        self.max_bytes = max_bytes
        self.writers = writers
        self.max_waiting = max_waiting
        self.waiting = 0  # exports waiting for a writer
        self.bytes = 0  # of every file in the directory, complete or not
        self.written = 0  # exports written since the start (each a reading of the database)
        self._dir: Path | None = None
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, Snapshot] = OrderedDict()  # least recently asked for first
        self._newest: object = None
        self._executor: ThreadPoolExecutor | None = None
        self._closing = False

    def open(self, key: Hashable, version: object, chunks: Callable[[], Iterator[bytes]]) -> tuple[Snapshot, BinaryIO]:
        """Export `key` at data `version` and a handle to read its file: the file already written
        or being written, else a new one that `chunks()` (an iterator of the export's bytes, which
        does its own reading of the database) fills on a writer thread. `version` None: the data
        has no version to tell whether a file is current, and the file is this request's own."""
        with self._lock:
            if self._closing:
                raise ExportFailed("the worker is stopping")
            if version is not None and (self._newest is None or version > self._newest):
                # the data changed: every file is of a version no one asks for any more
                for old in list(self._entries):
                    self._drop(old)
                self._newest = version
            shared = version is not None and version == self._newest and self.max_bytes > 0
            snapshot = self._entries.get((key, version)) if shared else None
            if snapshot is not None:
                self._entries.move_to_end((key, version))
                return snapshot, snapshot.open()
            if self.waiting >= self.max_waiting:
                raise ExportsBusy(f"{self.waiting} exports are waiting to be written")
            fd, name = tempfile.mkstemp(prefix=f"{version}-", suffix=".part", dir=self._directory())
            os.close(fd)
            snapshot = Snapshot(Path(name), version)
            if shared:
                self._entries[(key, version)] = snapshot
            else:
                snapshot.dropped = True
            file = snapshot.open()
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.writers, thread_name_prefix="export")
            future = self._executor.submit(self._write, snapshot, chunks)
            self.waiting += 1
        future.add_done_callback(lambda f, s=snapshot: self._not_run(f, s))
        return snapshot, file

    def close(self) -> None:
        """When the worker stops: writers stop at their next chunk, and the files go."""
        with self._lock:
            self._closing = True
            self._entries.clear()
            executor, directory = self._executor, self._dir
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    # --- the writer's thread ---------------------------------------------------------------

    def _write(self, snapshot: Snapshot, chunks: Callable[[], Iterator[bytes]]) -> None:
        with self._lock:
            self.waiting -= 1
        size = 0
        try:
            # `chunks` is closed (its read transaction ended, its connection handed back) before
            # anyone is told the file is complete
            with open(snapshot.path, "wb") as out, contextlib.closing(chunks()) as parts:
                published = 0
                for part in parts:
                    if self._closing:
                        raise ExportFailed("the worker is stopping")
                    out.write(part)
                    size += len(part)
                    if size - published >= PUBLISH:
                        out.flush()
                        published = size
                        self._grew(snapshot, size)
            complete = snapshot.path.with_suffix("")
            os.rename(snapshot.path, complete)
        except BaseException as exc:  # noqa: BLE001 - told to the readers, who end their responses
            if not self._closing:
                log.exception("export %s could not be written", snapshot.path.name)
            self._failed(snapshot, exc)
            return
        with self._lock:
            self.bytes += size - snapshot.size
            self.written += 1
            if snapshot.dropped:  # its readers have their handles; the file is not kept
                self._remove(complete, size)
            snapshot.publish(size, done=True, path=complete)
            self._prune()

    def _grew(self, snapshot: Snapshot, size: int) -> None:
        with self._lock:
            self.bytes += size - snapshot.size
            snapshot.publish(size)
            self._prune()

    def _failed(self, snapshot: Snapshot, exc: BaseException) -> None:
        with self._lock:
            for key, entry in list(self._entries.items()):
                if entry is snapshot:
                    del self._entries[key]
            self._remove(snapshot.path, snapshot.size)
            snapshot.publish(snapshot.size, error=exc)

    def _not_run(self, future: Future, snapshot: Snapshot) -> None:
        if future.cancelled():  # queued when the worker stopped
            with self._lock:
                self.waiting -= 1
            self._failed(snapshot, ExportFailed("the worker is stopping"))

    # --- under the lock -----------------------------------------------------------------------

    def _drop(self, key: tuple) -> None:
        snapshot = self._entries.pop(key)
        snapshot.dropped = True
        if snapshot.done:
            self._remove(snapshot.path, snapshot.size)  # its readers keep reading from their handles

    def _remove(self, path: Path, size: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self.bytes -= size

    def _prune(self) -> None:
        while self.bytes > self.max_bytes:
            victim = next((key for key, s in self._entries.items() if s.done), None)
            if victim is None:
                return
            self._drop(victim)

    def _directory(self) -> Path:
        if self._dir is None:
            root = self.root or Path(tempfile.gettempdir()) / f"lineage-exports-{os.getuid()}"
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            _remove_orphans(root)
            self._dir = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
        return self._dir


def _remove_orphans(root: Path) -> None:
    """The directories of worker processes that are gone (killed before they could remove them)."""
    for child in root.iterdir():
        pid = child.name.split("-", 1)[0]
        if not (child.is_dir() and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(child, ignore_errors=True)
        except PermissionError:
            pass  # alive, another user's
