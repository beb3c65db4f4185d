"""100 MiB upload: our client vs `curl -F` vs the official `replicate` client's files.create.

Each uploader runs in its own process; time is wall clock, memory is the process's peak RSS (from wait4).
Run: /work/venv/bin/python benchmarks/core_upload.py
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SIZE = 100 * 1024 * 1024

OURS = """
import sys, time, replicate_widget as rw
c = rw.Client(api_token=sys.argv[1], base_url=sys.argv[2])
t = time.perf_counter()
url = c.upload(rw.LocalFile(sys.argv[3]))  # includes the sha256 (for the cache and the check), hashed as sent
print(time.perf_counter() - t)

"""
# The same after one request: the client's connection pool is made (httpx builds its TLS context then, ~0.1 s
# even for an http:// server), so this is the upload alone, as curl's figure is.
OURS_WARM = OURS.replace("t = time.perf_counter()", 'c.schema("demo/slow-echo")\nt = time.perf_counter()')
OFFICIAL = """
import sys, time, replicate
c = replicate.Client(api_token=sys.argv[1], base_url=sys.argv[2])
t = time.perf_counter()
with open(sys.argv[3], "rb") as fh:
    c.files.create(fh)
print(time.perf_counter() - t)
"""
BASELINE_OURS = "import time, replicate_widget; time.sleep(0.3)"
BASELINE_OFFICIAL = "import time, replicate; time.sleep(0.3)"


def measure(cmd: list[str]) -> tuple[float, float]:
    """(seconds the upload took as the child reports it, peak RSS in MiB sampled every 5 ms)."""
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.005)
    if process.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed")
    return float(process.stdout.read().strip() or "nan"), peak / 2**20


def best(cmd: list[str], runs: int = 3) -> tuple[float, float]:
    results = [measure(cmd) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def run(server) -> tuple[float, float, float]:
    """Prints the table; returns (our seconds after one request, on the client's first request, curl's)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.bin"
        with path.open("wb") as f:
            for _ in range(SIZE // (1 << 20)):
                f.write(os.urandom(1 << 20))
        py = sys.executable
        args = [server.token, server.base_url, str(path)]
        rows = {
            "replicate-widget": best([py, "-c", OURS, *args]),
            "replicate-widget, warm": best([py, "-c", OURS_WARM, *args]),
            "curl -F": best(
                [
                    "curl",
                    "-sS",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{time_total}",
                    "-H",
                    f"Authorization: Bearer {server.token}",
                    "-F",
                    f"content=@{path};type=application/octet-stream;filename=upload.bin",
                    f"{server.base_url}/v1/files",
                ]
            ),
            "replicate files.create": best([py, "-c", OFFICIAL, *args]),
        }
        base_ours = best([py, "-c", BASELINE_OURS], 1)[1]
        base_official = best([py, "-c", BASELINE_OFFICIAL], 1)[1]
    ours_t, ours_m = rows["replicate-widget"]
    print(
        "\n100 MiB upload to the local server "
        "(best of 3; time of the upload call itself, a new client's first request unless warm; "
        "peak RSS of the process)"
    )
    print(f"{'uploader':<24}{'seconds':>9}{'MB/s':>8}{'peak MiB':>10}{'time vs ours':>14}")
    for name, (seconds, peak) in rows.items():
        print(f"{name:<24}{seconds:>9.2f}{SIZE / seconds / 1e6:>8.0f}{peak:>10.0f}{seconds / ours_t:>14.2f}")
    print(
        f"peak RSS over a bare import: ours {ours_m - base_ours:.0f} MiB, "
        f"official {rows['replicate files.create'][1] - base_official:.0f} MiB (file is 100 MiB)"
    )
    return rows["replicate-widget, warm"][0], ours_t, rows["curl -F"][0]


if __name__ == "__main__":
    from replicate_widget.local import serve

    with serve() as srv:
        run(srv)
