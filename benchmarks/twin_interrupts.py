"""Twin interrupts: two processes run the very same input; one gets Ctrl-C at a random moment while the
server delays creates at random. The other's prediction must never be canceled.

Each round: A and B (tests/integration/interrupt_worker.py, a real SIGINT into the main thread) start the same
`demo/slow-echo` input, in random order, a random 0-0.6 s apart; with probability 2/3 the next create is held
0.3-2.5 s by the server first (so B's create may arrive after A's, or A's after B's); B is interrupted 0-2 s
after it started. Counted: rounds where A's run ended other than `ok` (must be 0), and how B's ended
(interrupted before its create was sent, or its own prediction canceled).

Run: python benchmarks/twin_interrupts.py [--rounds 50] [--slots 4] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from test_interrupts import Worker, api, predictions_with, wait_until  # noqa: E402

from replicate_widget.local import serve  # noqa: E402

CREATE = "POST /v1/models/demo/slow-echo/predictions"


def rounds_in_slot(server, slot: int, rounds: int, seed: int) -> list[tuple[str, str, list[str]]]:
    rng = random.Random(seed * 1000 + slot)
    http = api(server)
    a, b = Worker(server, seconds=4), Worker(server, seconds=4)
    outcomes = []
    try:
        for i in range(rounds):
            text = f"twin {slot}-{i}"
            if rng.random() < 2 / 3:
                server.faults.delay(CREATE, seconds=rng.uniform(0.3, 2.5))
            first, second = (a, b) if rng.random() < 0.5 else (b, a)
            first.run(text)
            started = time.monotonic()
            time.sleep(rng.uniform(0, 0.6))
            second.run(text)
            b_started = time.monotonic() if second is b else started
            # not at once: the worker must have read its line (SIGINT while it reads stdin ends it)
            time.sleep(max(0.0, b_started + rng.uniform(0.05, 2.0) - time.monotonic()))
            b.interrupt()
            said_a, said_b = a.answer(), b.answer()
            made = predictions_with(http, text)
            finals = [
                wait_until(
                    lambda p=p: (
                        (s := http.get(f"/v1/predictions/{p['id']}").json()["status"])
                        in ("succeeded", "failed", "canceled")
                        and s
                    ),
                    timeout=60,
                )
                for p in made
            ]
            outcomes.append((said_a, said_b, finals))
    finally:
        a.close()
        b.close()
        http.close()
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.monotonic()
    with serve() as server:
        per = -(-args.rounds // args.slots)
        with ThreadPoolExecutor(args.slots) as pool:
            slots = pool.map(lambda s: rounds_in_slot(server, s, per, args.seed), range(args.slots))
            outcomes = [o for slot in slots for o in slot][: args.rounds]
    wrong = [o for o in outcomes if o[0].split(" ")[0] != "ok"]
    b_said = Counter(o[1].split(" ")[0] for o in outcomes)
    finals = Counter(tuple(sorted(o[2])) for o in outcomes)
    minutes = (time.monotonic() - started) / 60
    print(f"\nTwin interrupts: {len(outcomes)} rounds in {minutes:.1f} min (seed {args.seed})")
    print(f"the other process's prediction canceled: {len(wrong)} of {len(outcomes)}")
    print(f"the interrupted process said: {dict(b_said)}")
    print(f"final statuses per round (both predictions): {dict(finals)}")
    for o in wrong[:5]:
        print("  wrong:", o)


if __name__ == "__main__":
    main()
