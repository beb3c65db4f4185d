"""rw.batch against the local server: throughput under a rate limit, time with the limit off, memory growth.

The server runs in a process of its own (so the client's memory is measured alone), serving demo/slow-echo's
predictor as bench/echo with 64 slots, each prediction sleeping 0.2 s. Four runs:

1. ``--items`` (2,000) at a server limit of 6,000 creates a minute, the batch paced at the same rate,
   ``--concurrency`` 64 (100 creates a second, each item ~0.5 s end to end here, needs ~50 in flight; at 32
   the concurrency bound, not the pacing, sets the pace): throughput as a share of the limit (creates a
   minute from the ledger's sent_at, and items a minute end to end).
2. the same items with no limit anywhere, concurrency 32: elapsed against the ideal (items x 0.2 s / 32).
3. ``--kill-items`` (1,000) at the limit, the batch's process SIGKILLed at random moments three times, then
   run to the end: predictions on the server per input (duplicates must be 0), results saved.
4. ``--memory-items`` (10,000) with a 0 s model, no limit: the client's RSS growth from just after the
   batch started to its peak (sampled every 50 ms), and the ledger's size.

Run: python benchmarks/batch.py [--items 2000] [--memory-items 10000]. Prints a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

import replicate_widget as rw
from replicate_widget.core.batches.ledger import LEDGER_NAME

MiB = 1024 * 1024
SECONDS = 0.2


def _serve(queue, rate_limit, stop) -> None:
    from replicate_widget.local import serve
    from replicate_widget.local.registry import demo_models

    echo = next(s for s in demo_models() if s.name == "slow-echo")
    bench = dataclasses.replace(echo, owner="bench", name="echo", concurrency=64)
    with serve(models=[bench], rate_limit=rate_limit) as srv:
        queue.put((srv.base_url, srv.token))
        stop.wait()


class Server:
    def __init__(self, rate_limit: str | None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.queue, self.stop = ctx.Queue(), ctx.Event()
        self.process = ctx.Process(target=_serve, args=(self.queue, rate_limit, self.stop), daemon=True)

    def __enter__(self) -> rw.Client:
        self.process.start()
        base_url, token = self.queue.get(timeout=60)
        client = rw.Client(api_token=token, base_url=base_url)
        client.run("bench/echo", {"text": "warm", "seconds": 0})  # the Cog worker starts now, not timed
        return client

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.process.join(30)


def _inputs(count: int, seconds: float, tag: str) -> list[dict]:
    return [{"text": f"{tag} {n}", "seconds": seconds, "steps": 1} for n in range(count)]


def _sent_rate(out: Path) -> float:
    """Creates a minute over the run, from the ledger's sent_at of each item (first to last)."""
    db = sqlite3.connect(out / LEDGER_NAME)
    try:
        first, last, count = db.execute("SELECT MIN(sent_at), MAX(sent_at), COUNT(*) FROM items").fetchone()
    finally:
        db.close()
    return (count - 1) / (last - first) * 60 if last > first else float("nan")


def throughput(items: int, per_minute: int, concurrency: int) -> dict:
    with Server(f"{per_minute}/min") as client, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        inputs = _inputs(items, SECONDS, "t")
        batch = client.batch("bench/echo", inputs, out=tmp, rate=per_minute, concurrency=concurrency)
        batch.wait()
        elapsed = time.monotonic() - started
        counts = batch.counts
        refused = batch._engine.pacer.holds
        sent = _sent_rate(Path(tmp))
    return {
        "run": f"{items} items, limit {per_minute}/min, c={concurrency}",
        "seconds": elapsed,
        "creates/min": sent,
        "share of limit": sent / per_minute,
        "items/min": items / elapsed * 60,
        "429s": refused,
        "ok": counts.get("succeeded", 0),
    }


def unlimited(items: int, concurrency: int = 32) -> dict:
    with Server(None) as client, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        batch = client.batch(
            "bench/echo", _inputs(items, SECONDS, "u"), out=tmp, rate=0, concurrency=concurrency
        )
        batch.wait()
        elapsed = time.monotonic() - started
        counts = batch.counts
    ideal = items * SECONDS / concurrency
    return {
        "run": f"{items} items, no limit, c={concurrency}",
        "seconds": elapsed,
        "ideal s": ideal,
        "x ideal": elapsed / ideal,
        "items/min": items / elapsed * 60,
        "ok": counts.get("succeeded", 0),
    }


def memory(items: int) -> dict:
    me = psutil.Process()
    with Server(None) as client, tempfile.TemporaryDirectory() as tmp:
        inputs = _inputs(items, 0.0, "m")
        batch = client.batch("bench/echo", inputs, out=tmp, rate=0, concurrency=32)
        del inputs  # the caller's list is the caller's; the batch keeps its inputs in the ledger
        base = me.memory_info().rss
        peak = base
        while not batch.done:
            peak = max(peak, me.memory_info().rss)
            time.sleep(0.05)
        batch.wait()
        # iterate and read results the way a user would: pages from the ledger, not a list in memory
        finished = sum(1 for _ in batch)
        peak = max(peak, me.memory_info().rss)
        ledger = (Path(tmp) / LEDGER_NAME).stat().st_size
        elapsed = time.monotonic() - batch._engine.started
    return {
        "run": f"{items} items, 0 s model, c=32",
        "seconds": elapsed,
        "RSS growth MiB": (peak - base) / MiB,
        "ledger MiB": ledger / MiB,
        "iterated": finished,
    }


WORKER = """
import sys, replicate_widget as rw
batch = rw.Client().batch("bench/echo", sys.argv[1], out=sys.argv[2], rate=6000, concurrency=32)
print("started", flush=True)
batch.wait()
"""


def kills(items: int, times: int = 3) -> dict:
    """SIGKILL a batch at random moments ``times`` times, run it to the end, count duplicate predictions."""
    rng = random.Random(7)
    with Server("6000/min") as client, tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in.jsonl"
        inputs.write_text("".join(json.dumps(i) + "\n" for i in _inputs(items, SECONDS, "k")))
        out = Path(tmp) / "out"
        token = client.headers_for(client.base_url)["authorization"].split(" ", 1)[1]
        command = [sys.executable, "-c", WORKER, str(inputs), str(out)]
        env = {**os.environ, "REPLICATE_API_TOKEN": token, "REPLICATE_BASE_URL": client.base_url}
        started = time.monotonic()
        for _ in range(times):
            worker = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "started"
            time.sleep(rng.uniform(0.2, 3.0))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        subprocess.run(command, check=True, capture_output=True, env=env)
        elapsed = time.monotonic() - started
        made = Counter()
        url = f"{client.base_url}/v1/predictions"
        with httpx.Client(headers=client.headers_for(url)) as http:
            while url:
                page = http.get(url).json()
                made.update(
                    p["input"]["text"] for p in page["results"] if p["input"].get("text", "").startswith("k ")
                )
                url = page["next"]
        rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return {
        "run": f"{items} items, killed {times} times, then run to the end",
        "seconds": elapsed,
        "predictions": sum(made.values()),
        "duplicates": sum(n - 1 for n in made.values() if n > 1),
        "results.jsonl ok": sum(r["status"] == "succeeded" for r in rows),
    }


def _table(rows: list[dict]) -> None:
    for row in rows:
        cells = []
        for key, value in row.items():
            shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
            cells.append(f"{key}: {shown}")
        print(" | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--memory-items", type=int, default=10000)
    parser.add_argument("--limit", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64, help="for the run at the limit")
    parser.add_argument("--kill-items", type=int, default=1000)
    parser.add_argument("--only", choices=["throughput", "unlimited", "memory", "kills"], default=None)
    args = parser.parse_args()
    print(f"code measured: {Path(rw.__file__).parent}; {psutil.cpu_count()} CPUs")
    rows = []
    if args.only in (None, "throughput"):
        rows.append(throughput(args.items, args.limit, args.concurrency))
        _table(rows[-1:])
    if args.only in (None, "unlimited"):
        rows.append(unlimited(args.items))
        _table(rows[-1:])
    if args.only in (None, "kills"):
        rows.append(kills(args.kill_items))
        _table(rows[-1:])
    if args.only in (None, "memory"):
        rows.append(memory(args.memory_items))
        _table(rows[-1:])
    print()
    _table(rows)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
