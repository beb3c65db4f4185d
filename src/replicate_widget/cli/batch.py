"""`replicate-widget batch MODEL --inputs FILE.jsonl|DIR|GLOB [--field NAME] --out DIR [--rate N]
[--concurrency N] [--retry-failed]`: every input through the model, outputs saved in DIR, resumable; the
exit status is 1 if any item failed."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from ..core.batches import Batch
from ..core.errors import ReplicateWidgetError
from ..explore.client import Client
from .run import print_error

_BAR = 24
_INTERVAL = 0.25  # seconds between redraws of the bar: at most 4 a second
_PLAIN_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="+", help="owner/name (several: every input through each of them)")
    parser.add_argument(
        "--inputs",
        required=True,
        metavar="FILE.jsonl|DIR|GLOB",
        help="a .jsonl file (an object of model inputs a line), a folder of files, or a glob like 'in/*.jpg'",
    )
    parser.add_argument("--field", default=None, help="the model input files go to (if it has several)")
    parser.add_argument("--out", required=True, metavar="DIR", help="outputs, results.jsonl and the ledger")
    parser.add_argument(
        "--rate", type=float, default=None, help="creates a minute (default 600, Replicate's limit; 0: none)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="predictions at once (default 8)")
    parser.add_argument(
        "--retry-failed", action="store_true", help="try again the items that failed in an earlier run"
    )


def _line(batch: Batch) -> str:
    counts = batch.counts
    total = max(1, len(batch))
    done = sum(counts.get(s, 0) for s in ("succeeded", "failed", "canceled"))
    filled = _BAR * done // total
    return f"[{'#' * filled}{'.' * (_BAR - filled)}] {batch.summary()}"


def _follow(batch: Batch, stream: TextIO) -> None:
    """A bar rewritten in place on a terminal; elsewhere a line every few seconds."""
    tty = hasattr(stream, "isatty") and stream.isatty()
    width, last_plain = 0, 0.0
    while not batch.done:
        batch.wait(_INTERVAL)
        line = _line(batch)
        if tty:
            stream.write("\r" + line + " " * max(0, width - len(line)))
            width = len(line)
        elif time.monotonic() - last_plain >= _PLAIN_EVERY:
            stream.write(line + "\n")
            last_plain = time.monotonic()
        stream.flush()
    stream.write(("\r" if tty else "") + _line(batch) + " " * max(0, width - len(_line(batch))) + "\n")


def main(args: argparse.Namespace) -> int:
    client = Client()
    models = args.model
    try:
        batch = client.batch(
            models if len(models) > 1 else models[0],
            args.inputs,
            out=args.out,
            field=args.field,
            rate=args.rate,
            concurrency=args.concurrency,
            retry_failed=args.retry_failed,
        )
    except ReplicateWidgetError as exc:
        return print_error(exc)
    try:
        _follow(batch, sys.stderr)
        batch.wait()
    except KeyboardInterrupt:
        print("\nStopping: canceling the running predictions…", file=sys.stderr)
        batch.cancel()
        print(f"Stopped. Run the same command again to resume: {args.out}", file=sys.stderr)
        return 130
    except ReplicateWidgetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    failed = batch.failed
    for item in failed[:10]:
        print(
            f"failed: {item.name} ({item.model}): {(item.error or '').splitlines()[0][:200]}", file=sys.stderr
        )
    if len(failed) > 10:
        print(f"… and {len(failed) - 10} more failures: see results.jsonl", file=sys.stderr)
    print(f"results: {batch.out / 'results.jsonl'}")
    if failed:
        print(
            "Some items failed. Add --retry-failed to the same command to retry only those.", file=sys.stderr
        )
    return 1 if failed or batch.counts.get("running") else 0
