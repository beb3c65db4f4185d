"""Every core benchmark in one run against one local server. Prints figures, then issue 20's three targets
side by side with this run's ratios; asserts nothing.

Run: /work/venv/bin/python benchmarks/core_all.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import core_encoding
import core_runs
import core_upload

from replicate_widget.local import serve

# (what, our figure, the reference's, ratio, target, 1: the ratio must be at least the target, 0: at most)
Row = tuple[str, str, str, float, float, int]


def summary(rows: list[Row]) -> None:
    print("\nTargets (issue 20), this run")
    print(f"{'':<34}{'ours':>12}{'reference':>22}{'ratio':>8}{'target':>10}{'':>6}")
    for what, ours, reference, ratio, target, at_least in rows:
        met = ratio >= target if at_least else ratio <= target
        bound = f"{'>=' if at_least else '<='} {target:.2f}"
        print(f"{what:<34}{ours:>12}{reference:>22}{ratio:>8.2f}{bound:>10}{'met' if met else 'MISSED':>8}")


if __name__ == "__main__":
    with serve() as srv:
        upload, cold, curl = core_upload.run(srv)
        encoding = core_encoding.run(srv)
        ours_run, bare_run = core_runs.run(srv)
    summary(
        [
            (
                "100 MiB upload speed vs curl",
                f"{upload:.2f} s",
                f"curl -F {curl:.2f} s",
                curl / upload,
                0.9,
                1,
            ),
            (
                "  the same, client's first request",
                f"{cold:.2f} s",
                f"curl -F {curl:.2f} s",
                curl / cold,
                0.9,
                1,
            ),
            ("data URI speed vs b64encode", "(worst size)", "base64.b64encode", encoding, 0.9, 1),
            (
                "client CPU per run vs bare httpx",
                f"{ours_run * 1e6:.0f} us",
                f"httpx {bare_run * 1e6:.0f} us",
                ours_run / bare_run,
                1.5,
                0,
            ),
        ]
    )
