"""The throttling proxy itself, against a plain TCP sink/echo server (no browser needed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from throttle import link


@pytest.fixture
def upstream() -> Iterator[tuple[int, list[int]]]:
    """A server that answers each received piece with its length as text (and counts bytes)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received = [0]

    def serve(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(1 << 16):
                received[0] += len(data)
                if data.endswith(b"\n"):
                    conn.sendall(f"{received[0]}\n".encode())

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1], received
    listener.close()


def ask(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload + b"\n")
    answer = b""
    while not answer.endswith(b"\n"):
        piece = sock.recv(100)
        if not piece:
            raise ConnectionError("closed")
        answer += piece
    return answer


def test_the_uplink_is_slowed_to_its_rate_and_counted(upstream):
    port, received = upstream
    with link(port, rate_mbit=8, rtt_ms=0) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port))
        t0 = time.monotonic()
        answer = ask(sock, b"x" * 500_000)  # 4 Mbit at 8 Mbit/s
        took = time.monotonic() - t0
        sock.close()
    assert answer == b"500001\n"
    assert received[0] == 500_001
    assert proxy.uplink_bytes == 500_001
    assert took >= 0.45


def test_each_direction_is_delayed_by_half_the_round_trip(upstream):
    port, _ = upstream
    with link(port, rate_mbit=None, rtt_ms=300) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port))
        t0 = time.monotonic()
        assert ask(sock, b"ping") == b"5\n"
        took = time.monotonic() - t0
        sock.close()
    assert took >= 0.29


def test_two_connections_share_one_uplink(upstream):
    port, _ = upstream
    with link(port, rate_mbit=8, rtt_ms=0) as proxy:
        socks = [socket.create_connection(("127.0.0.1", proxy.port)) for _ in range(2)]
        t0 = time.monotonic()
        threads = [threading.Thread(target=ask, args=(s, b"y" * 250_000)) for s in socks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        took = time.monotonic() - t0
        for s in socks:
            s.close()
    # 2 x 2 Mbit through one 8 Mbit/s link: half a second, not a quarter.
    assert took >= 0.45


def test_cut_closes_every_connection_and_new_ones_still_pass(upstream):
    port, _ = upstream
    with link(port) as proxy:
        first = socket.create_connection(("127.0.0.1", proxy.port))
        assert ask(first, b"a") == b"2\n"
        assert proxy.cut() == 1
        first.settimeout(5)
        with pytest.raises(ConnectionError):  # reset, or closed once the reply never comes
            ask(first, b"b")
        first.close()
        again = socket.create_connection(("127.0.0.1", proxy.port))
        assert ask(again, b"d").endswith(b"\n")
        again.close()


def test_a_link_cut_for_a_while_refuses_connections_then_carries_again(upstream):
    port, _ = upstream
    with link(port) as proxy:
        proxy.cut(down_s=0.5)
        refused = socket.create_connection(("127.0.0.1", proxy.port))
        refused.settimeout(5)
        with pytest.raises(ConnectionError):
            ask(refused, b"x")
        refused.close()
        time.sleep(0.6)
        again = socket.create_connection(("127.0.0.1", proxy.port))
        assert ask(again, b"y") == b"2\n"
        again.close()
