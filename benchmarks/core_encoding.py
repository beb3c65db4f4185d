"""Data URI encoding rate (from disk, in chunks) next to raw base64 of bytes already in memory.

Run: /work/venv/bin/python benchmarks/core_encoding.py
"""

from __future__ import annotations

import base64
import os
import tempfile
import time
from pathlib import Path

from replicate_widget import LocalFile
from replicate_widget.core.inputs.normalize import data_uri

SIZES = [999_999, 4_999_999, 50_000_000]


def rate(fn, size: int, repeat: int = 5) -> float:
    best = min(_timed(fn) for _ in range(repeat))
    return size / best / 1e6


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(server=None) -> float:
    """Prints the table; returns the lowest ratio to b64encode over the sizes."""
    ratios = []
    print("\nData URI encoding (MB of raw input per second; best of 5)")
    print(f"{'size':>12}{'data_uri MB/s':>16}{'b64encode MB/s':>17}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            raw = os.urandom(size)
            path = Path(folder) / f"f{size}.bin"
            path.write_bytes(raw)
            file = LocalFile(path, content_type="application/octet-stream")
            ours = rate(lambda f=file: data_uri(f), size)
            plain = rate(lambda r=raw: base64.b64encode(r).decode("ascii"), size)
            print(f"{size:>12,}{ours:>16.0f}{plain:>17.0f}{ours / plain:>8.2f}")
            ratios.append(ours / plain)
    return min(ratios)


if __name__ == "__main__":
    run()
