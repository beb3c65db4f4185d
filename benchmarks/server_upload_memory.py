"""How much the local server's memory grows while it receives a 100 MiB upload (target: < 32 MiB).

The server runs in its own process, so its resident set is measured alone: the peak (VmHWM, reset before the
upload through /proc/PID/clear_refs where the kernel allows it, else sampled every 5 ms) minus the resident
set just before. Run: python benchmarks/server_upload_memory.py
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
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
                base_url=base_url, headers={"Authorization": f"Bearer {token}"}, trust_env=False
            )
            client.post(
                "/v1/files", files={"content": ("warm.txt", b"warm up", "text/plain")}
            )  # imports, pools
            before = psutil.Process(server.pid).memory_info().rss
            exact_peak = _reset_peak(server.pid)
            sampled = [before]
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    sampled.append(psutil.Process(server.pid).memory_info().rss)
                    time.sleep(0.005)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            with path.open("rb") as handle:
                response = client.post(
                    "/v1/files",
                    files={"content": ("upload.bin", handle, "application/octet-stream")},
                    timeout=300,
                )
            elapsed = time.perf_counter() - started
            stop.set()
            sampler.join()
            peak = _status_kib(server.pid, "VmHWM") * 1024 if exact_peak else max(sampled)
            body = response.json()
            assert response.status_code == 201, response.text
            assert body["checksums"]["sha256"] == digest.hexdigest()
            growth_mib = (peak - before) / 2**20
            print(f"upload: 100 MiB in {elapsed:.2f} s ({SIZE / elapsed / 1e6:.0f} MB/s), sha256 verified")
            how = "VmHWM" if exact_peak else "sampled every 5 ms"
            print(f"server RSS before: {before / 2**20:.1f} MiB; peak: {peak / 2**20:.1f} MiB ({how})")
            print(
                f"peak growth: {growth_mib:.1f} MiB (limit {LIMIT_MIB}; ratio {growth_mib / LIMIT_MIB:.2f})"
            )
            return 0 if growth_mib < LIMIT_MIB else 1
        finally:
            if server.stdin:
                server.stdin.close()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
