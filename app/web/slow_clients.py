"""Clients that stop reading an answer are cut off, and what they held is freed.

uvicorn writes an answer into the connection's buffer and, once more than 64 KiB wait there
(the kernel's own buffer being full), its `send` waits until the client has taken some: a
client that stops reading makes `send` wait for ever, and the response holds its task, its file
and its buffers for as long. So each `send` is timed, here, where the server's own `send` is at
hand (outside the app and its middleware):

- one `send` that waits `timeout` seconds cuts the client off;
- so does a client that, over `window` seconds spent waiting on it, took fewer than `min_rate`
  bytes a second (one that takes a byte now and then would never make a single `send` wait
  that long). Time the app spends making its answer is not counted against the client.

The kernel is told to hold at most `UNSENT` bytes a client has not been sent yet
(TCP_NOTSENT_LOWAT): by default Linux lets a connection's send buffer grow to 4 MB, which a
client that stops reading fills and keeps, and which it then frees only by halves, so that a
`send` would wait as long for a slow reader as for a stalled one. Bytes already on their way are
not limited by it: a fast client's download keeps its pace.

Cut off: the connection is aborted with a reset (SO_LINGER 0), which drops at once what the
kernel still holds for it; a plain close would wait, for ever, to hand that to the client.
uvicorn then sees the connection lost and tells the app (`http.disconnect`), which stops.
The connection is found through uvicorn's `send`, a method of its request cycle, which holds
the transport (tests/test_exports_stalled.py checks that it still does); under another server
the response only stops.

Before a request, the other way round: uvicorn times a connection only between two requests
(`timeout_keep_alive`), and stops that clock at the first byte of the next, so a client that
connects and sends nothing, or half a request line, holds its connection for ever; with
`limit_concurrency`, a thousand such would turn every other client away. `H11Protocol` (what
`lineage serve` runs) gives a request's line and headers `request_head_timeout_seconds` from
the connection, or from the next request's first byte.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time

import anyio
import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http import h11_impl

from app.config import get_settings

log = logging.getLogger(__name__)

UNSENT = 128 * 1024


class ClientTooSlow(Exception):
    """Raised into the app when the connection cannot be aborted (not uvicorn's)."""


def _transport(send: Send) -> asyncio.Transport | None:
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if isinstance(transport, asyncio.Transport) else None


def hold_little(send: Send) -> None:
    """At most `UNSENT` bytes not yet sent in the kernel's buffer of the connection `send` writes to."""
    transport = _transport(send)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT, UNSENT)
        except (OSError, AttributeError):
            pass  # not Linux, or not TCP: the kernel's own bound


def abort(send: Send) -> bool:
    """Reset the connection `send` writes to; False when it cannot be reached."""
    transport = _transport(send)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
    return True


class SlowClients:
    """ASGI middleware: the outermost layer, given the server's `send` (see the module)."""

    def __init__(self, app: ASGIApp, *, timeout: float, min_rate: float, window: float):
        self.app, self.timeout, self.min_rate, self.window = app, timeout, min_rate, window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hold_little(send)
        waited = 0.0  # seconds spent in `send` in the current window
        taken = 0  # bytes the client took meanwhile
        gone = False

        def cut_off(why: str) -> None:
            nonlocal gone
            gone = True
            client = scope.get("client") or ("?", 0)
            log.warning("client %s:%s cut off from %s: %s", client[0], client[1], scope.get("path"), why)
            if not abort(send):
                raise ClientTooSlow(why)

        async def timed_send(message: Message) -> None:
            nonlocal waited, taken
            if gone:
                return  # the connection is aborted: the app learns it from `receive`
            started = time.monotonic()
            try:
                with anyio.fail_after(self.timeout):
                    await send(message)
            except TimeoutError:
                cut_off(f"it took nothing for {self.timeout:g} s")
                return
            waited += time.monotonic() - started
            taken += len(message.get("body", b""))
            if waited >= self.window:
                if taken < self.min_rate * waited:
                    cut_off(f"it took {taken / waited:.0f} bytes/s over {waited:.0f} s")
                    return
                waited, taken = 0.0, 0

        try:
            await self.app(scope, receive, timed_send)
        except ClientTooSlow:
            pass


class H11Protocol(h11_impl.H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a clock on each request's line and headers (see the module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.head_timeout = get_settings().request_head_timeout_seconds
        self.head_clock: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.head_clock = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # between requests (h11's IDLE) bytes have come: the rest of the head must follow in time
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self.head_clock is None:
            self.head_clock = self.loop.call_later(self.head_timeout, self._head_too_slow)
        elif not waiting and self.head_clock is not None:
            self.head_clock.cancel()
            self.head_clock = None

    def connection_lost(self, exc) -> None:
        if self.head_clock is not None:
            self.head_clock.cancel()
            self.head_clock = None
        super().connection_lost(exc)

    def _head_too_slow(self) -> None:
        self.head_clock = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
