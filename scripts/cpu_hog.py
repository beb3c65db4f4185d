"""Keep N cores busy (default 2) until stopped or for --seconds, to run tests on a loaded machine:

    python scripts/cpu_hog.py 2 --seconds 900 &  bash scripts/test.sh  ; kill %1

Flaky-under-load tests show up this way on a 2-core machine; fix them at their cause (a wait on a condition
instead of a fixed sleep, a timeout sized for load), never by retrying.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time


def _spin(until: float, parent: int) -> None:
    # Stop with the parent too: `kill` of the parent leaves its children running otherwise (orphans spun on
    # for the rest of --seconds after a test run had ended and killed the hog).
    while time.monotonic() < until and os.getppid() == parent:
        for _ in range(100_000):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("processes", type=int, nargs="?", default=2)
    parser.add_argument("--seconds", type=float, default=3600.0, help="stop by itself after this long")
    args = parser.parse_args()
    until = time.monotonic() + args.seconds
    workers = [
        multiprocessing.Process(target=_spin, args=(until, os.getpid()), daemon=True)
        for _ in range(args.processes)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
