"""How much the local server's memory grows under large and hostile bodies (target: < 32 MiB each).

Cases: a 100 MiB upload (accepted, sha256 checked); a chunked upload carrying 4,000 extra form fields of
60 kB each; a 100 MB JSON prediction body, sent chunked and with a Content-Length; a 6.7 MB data-URI
prediction (the client's largest inline body, accepted). The hostile ones must be refused with 413.

The server runs in its own process, so its resident set is measured alone: the peak (VmHWM, reset before
each case through /proc/PID/clear_refs where the kernel allows it, else sampled every 5 ms) minus the
resident set just before, and what it still holds after (resident set after minus before).
Run: python benchmarks/server_upload_memory.py
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil

SIZE = 100 * 1024 * 1024
LIMIT_MIB = 32
_SERVER = (
    "import sys, threading; from replicate_widget.local import serve\n"
    "srv = serve()\nprint(srv.base_url, srv.token, flush=True)\nsys.stdin.read()\nsrv.stop()\n"
)


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(pid: int, action: Callable[[], httpx.Response]) -> tuple[httpx.Response, float, float, float]:
    """(response, seconds, peak growth MiB, held MiB) of one request against the server process."""
    process = psutil.Process(pid)
    before = process.memory_info().rss
    exact_peak = _reset_peak(pid)
    sampled = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            sampled.append(process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    response = action()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    peak = _status_kib(pid, "VmHWM") * 1024 if exact_peak else max(sampled)
    time.sleep(0.2)  # let the server finish with the request before reading what it holds
    held = process.memory_info().rss - before
    return response, elapsed, (peak - before) / 2**20, held / 2**20


def _form_fields(count: int, size: int) -> Iterator[bytes]:
    yield b'--B\r\nContent-Disposition: form-data; name="content"; filename="f.txt"\r\n\r\nabc\r\n'
    value = b"v" * size
    for i in range(count):
        yield f'--B\r\nContent-Disposition: form-data; name="extra{i}"\r\n\r\n'.encode() + value + b"\r\n"
    yield b"--B--\r\n"


def _json_body(total: int) -> Iterator[bytes]:
    yield b'{"input": {"text": "'
    piece = b"x" * (1 << 20)
    for _ in range(total // len(piece)):
        yield piece
    yield b'", "seconds": 0}}'


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.bin"
        digest = hashlib.sha256()
        with path.open("wb") as out:
            for _ in range(SIZE // (1 << 20)):
                block = os.urandom(1 << 20)
                digest.update(block)
                out.write(block)
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            base_url, token = server.stdout.readline().split()
            client = httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {token}"}, trust_env=False, timeout=300
            )
            echo = "/v1/models/demo/slow-echo/predictions"
            json_type = {"Content-Type": "application/json"}
            # warm up: imports, pools, and the slow-echo worker (its start is not what is measured)
            client.post("/v1/files", files={"content": ("warm.txt", b"warm up", "text/plain")})
            client.post(echo, json={"input": {"text": "warm", "seconds": 0}}, headers={"Prefer": "wait"})
            inline = (
                "data:application/octet-stream;base64," + base64.b64encode(os.urandom(5_000_000)).decode()
            )

            def upload_100_mib() -> httpx.Response:
                with path.open("rb") as handle:
                    files = {"content": ("upload.bin", handle, "application/octet-stream")}
                    return client.post("/v1/files", files=files)

            cases: list[tuple[str, int, Callable[[], httpx.Response]]] = [
                ("100 MiB upload", 201, upload_100_mib),
                (
                    "upload + 4,000 form fields of 60 kB (chunked)",
                    413,
                    lambda: client.post(
                        "/v1/files",
                        content=_form_fields(4000, 60_000),
                        headers={"Content-Type": "multipart/form-data; boundary=B"},
                    ),
                ),
                (
                    "100 MB JSON prediction body (chunked)",
                    413,
                    lambda: client.post(echo, content=_json_body(100_000_000), headers=json_type),
                ),
                (
                    "100 MB JSON prediction body (Content-Length)",
                    413,
                    lambda: client.post(echo, content=b"".join(_json_body(100_000_000)), headers=json_type),
                ),
                (
                    "6.7 MB data-URI prediction (accepted)",
                    201,
                    lambda: client.post(
                        "/v1/models/demo/file-info/predictions",
                        json={"input": {"file": inline}},
                        headers={"Prefer": "wait"},
                    ),
                ),
            ]
            how = "VmHWM" if _reset_peak(server.pid) else "sampled every 5 ms"
            print(f"server memory per request (peak from {how}; limit {LIMIT_MIB} MiB of growth)")
            print(f"{'case':48} {'status':>6} {'time':>8} {'peak growth':>12} {'held':>9} {'ratio':>6}")
            worst = 0.0
            for name, expected, action in cases:
                response, elapsed, growth, held = measure(server.pid, action)
                assert response.status_code == expected, (name, response.status_code, response.text[:300])
                if name == "100 MiB upload":
                    assert response.json()["checksums"]["sha256"] == digest.hexdigest()
                worst = max(worst, growth)
                print(
                    f"{name:48} {response.status_code:>6} {elapsed:>7.2f}s {growth:>8.1f} MiB "
                    f"{held:>5.1f} MiB {growth / LIMIT_MIB:>6.2f}"
                )
            assert client.get("/v1/account").status_code == 200  # still serving
            return 0 if worst < LIMIT_MIB else 1
        finally:
            if server.stdin:
                server.stdin.close()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
