"""A slow, far link between the browser and the Jupyter server: a TCP proxy in pure asyncio.

``Link(upstream_port)`` listens on 127.0.0.1 and forwards every connection to the upstream port through:
- one uplink (browser -> server) shared by every connection, sent at ``rate_mbit`` (None: no limit), one
  segment at a time, so a small request waits behind the file bytes already handed to the link, as on a
  real uplink;
- half the round trip (``rtt_ms / 2``) of delay each way, without slowing the flow (bytes in the pipe);
- ``cut(down_s)``: close every connection at once, as a dropped Wi-Fi or a proxy restart does, and refuse
  new ones for ``down_s`` seconds (the browser reconnects by itself, through the link again);
- ``uplink_bytes``: bytes carried up so far, to count what a transfer really cost.

It runs its own event loop in a daemon thread, so sync code (Playwright's sync API, benchmarks) can use it.
The proxy's listening socket takes a small receive buffer: what the browser has written but the link has
not yet carried stays in the browser (its socket and WebSocket buffers), not in a hidden loopback queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

SEGMENT = 32 * 1024  # bytes the uplink carries in one go: a small message waits at most one behind
RECV_BUFFER = 64 * 1024
CATCH_UP = 0.05  # seconds the uplink may catch up after late wake-ups (a burst of at most this much)


class Link:
    """A throttling TCP proxy on 127.0.0.1 in front of ``upstream_port`` (see the module's docstring)."""

    def __init__(self, upstream_port: int, rate_mbit: float | None = None, rtt_ms: float = 0.0) -> None:
        self.upstream_port = upstream_port
        self.rate_mbit = rate_mbit
        self.rtt_ms = rtt_ms
        self.uplink_bytes = 0
        self.cuts = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="throttle-link", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._uplink: asyncio.Lock | None = None
        self._uplink_free_at = 0.0  # when the uplink finishes carrying what it has been given
        self._down_until = 0.0  # connections before this time are refused (the link is down)

    # ---- control, from any thread
    def start(self) -> int:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self.port

    def set(self, rate_mbit: float | None, rtt_ms: float) -> None:
        """Change the link's speed and round trip; connections open now follow at once."""
        self.rate_mbit, self.rtt_ms = rate_mbit, rtt_ms

    def cut(self, down_s: float = 0.0) -> int:
        """Close every open connection (both sides), and refuse new ones for ``down_s`` seconds.

        Returns how many connections were cut.
        """
        self._down_until = time.monotonic() + down_s
        return int(asyncio.run_coroutine_threadsafe(self._cut(), self._loop).result(10))

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    # ---- the loop's side
    async def _listen(self) -> int:
        self._uplink = asyncio.Lock()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Inherited by accepted sockets: keeps the loopback queue before the link short.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
        sock.bind(("127.0.0.1", 0))
        self._server = await asyncio.start_server(self._serve, sock=sock)
        return int(sock.getsockname()[1])

    async def _cut(self) -> int:
        writers = list(self._writers)
        for w in writers:
            transport = w.transport
            with contextlib.suppress(Exception):
                # An abortive close (RST), as when a route goes away; the browser sees the socket fail.
                transport.abort()
        self._writers.clear()
        self.cuts += 1
        return len(writers) // 2

    async def _close(self) -> None:
        await self._cut()
        if self._server is not None:
            self._server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._down_until:
            client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_w.transport.abort()
            return
        self._writers.update((client_w, server_w))
        up = asyncio.create_task(self._pipe(client_r, server_w, uplink=True))
        down = asyncio.create_task(self._pipe(server_r, client_w, uplink=False))
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass  # the proxy is stopping
        finally:
            for task in (up, down):
                task.cancel()
            for w in (client_w, server_w):
                self._writers.discard(w)
                with contextlib.suppress(Exception):
                    w.close()

    async def _carry(self, size: int) -> None:
        """Hold the caller until the shared uplink has sent ``size`` bytes (after what it already had)."""
        rate = self.rate_mbit
        if not rate:
            return
        assert self._uplink is not None
        async with self._uplink:
            # A sleep overshoots by a millisecond or so; letting the schedule lag "now" by up to CATCH_UP
            # makes the next segments go sooner, so the average rate is the set one, not a few % below.
            start = max(time.monotonic() - CATCH_UP, self._uplink_free_at)
            self._uplink_free_at = start + size * 8 / (rate * 1e6)
            wait = self._uplink_free_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, uplink: bool
    ) -> None:
        """Read, carry (uplink only), deliver half a round trip later: in order, without pausing reads."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        deliver = asyncio.create_task(self._deliver(queue, writer))
        try:
            while True:
                data = await reader.read(SEGMENT)
                if not data:
                    break
                if uplink:
                    await self._carry(len(data))
                    self.uplink_bytes += len(data)
                await queue.put((time.monotonic() + self.rtt_ms / 2000, data))
            await queue.put((time.monotonic() + self.rtt_ms / 2000, b""))
            await deliver
        except (ConnectionError, OSError):
            pass
        finally:
            deliver.cancel()

    @staticmethod
    async def _deliver(queue: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter) -> None:
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(Exception):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()


@contextmanager
def link(upstream_port: int, rate_mbit: float | None = None, rtt_ms: float = 0.0) -> Iterator[Link]:
    """A running ``Link``, stopped on exit."""
    proxy = Link(upstream_port, rate_mbit, rtt_ms)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
