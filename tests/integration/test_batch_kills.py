"""A batch SIGKILLed at random moments, three times, then run to the end: every item done exactly once.

The process dies without any clean-up (no atexit, no finally), as a crashed kernel does: whatever the ledger
had committed is all the next run knows. The server's prediction list must then hold exactly one prediction
per input (0 duplicates), and every output must be saved.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from PIL import Image

from replicate_widget.core.batches.ledger import LEDGER_NAME

WORKER = Path(__file__).with_name("batch_worker.py")


def _env(server):
    return {**os.environ, "REPLICATE_API_TOKEN": server.token, "REPLICATE_BASE_URL": server.base_url}


def _all_predictions(server):
    import httpx

    url, found = f"{server.base_url}/v1/predictions", []
    with httpx.Client(headers={"Authorization": f"Bearer {server.token}"}) as http:
        while url:
            page = http.get(url).json()
            found += page["results"]
            url = page["next"]
    return found


def _states(out):
    if not (out / LEDGER_NAME).exists():
        return {}
    db = sqlite3.connect(out / LEDGER_NAME)
    try:
        return dict(db.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall())
    finally:
        db.close()


def _rng():
    """Random kill moments, from a seed the output shows (pytest -s, or the failure's captured stdout)."""
    seed = random.randrange(1 << 30)
    print(f"kill moments seeded with {seed}")
    return random.Random(seed)


def _kill_three_times_then_finish(server, args, out, rng):
    seen = []
    for _ in range(3):
        worker = subprocess.Popen(
            [sys.executable, str(WORKER), *args], env=_env(server), stdout=subprocess.PIPE, text=True
        )
        assert worker.stdout.readline().strip() == "started"  # the imports are behind it
        time.sleep(rng.uniform(0.05, 1.5))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        seen.append(_states(out))
    done = subprocess.run(
        [sys.executable, str(WORKER), *args],
        check=False,
        env=_env(server),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return seen


def test_killed_three_times_every_text_item_done_exactly_once(local_server, tmp_path):
    rng = _rng()
    tag = uuid.uuid4().hex[:8]
    inputs = tmp_path / "inputs.jsonl"
    texts = [f"{tag} {n}" for n in range(60)]
    inputs.write_text("".join(json.dumps({"text": t, "seconds": 0.3, "steps": 2}) + "\n" for t in texts))
    out = tmp_path / "out"
    seen = _kill_three_times_then_finish(
        local_server, ["demo/slow-echo", str(inputs), str(out), "8"], out, rng
    )
    print("ledger states after each kill:", seen)
    mine = [p for p in _all_predictions(local_server) if str(p["input"].get("text", "")).startswith(tag)]
    per_input = Counter(p["input"]["text"] for p in mine)
    assert set(per_input) == set(texts)
    assert [t for t, n in per_input.items() if n > 1] == []  # 0 duplicates
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["input"]["text"] for r in rows] == texts
    assert all(r["status"] == "succeeded" and r["output"] == r["input"]["text"] for r in rows)
    assert {r["id"] for r in rows} == {p["id"] for p in mine}


def test_killed_three_times_every_image_saved_exactly_once(local_server, tmp_path):
    rng = _rng()
    folder = tmp_path / "in"
    folder.mkdir()
    tag = uuid.uuid4().int % 200
    for n in range(24):  # distinct pixels per run: the server's list is shared with other tests
        Image.new("RGB", (20 + n, 10), (tag, n * 10, 50)).save(folder / f"pic{n:02d}.png")
    out = tmp_path / "out"
    seen = _kill_three_times_then_finish(
        local_server, ["demo/grayscale", str(folder), str(out), "4"], out, rng
    )
    print("ledger states after each kill:", seen)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 24
    assert all(r["status"] == "succeeded" for r in rows)
    for n, row in enumerate(rows):
        (path,) = row["paths"]
        assert path == f"pic{n:02d}-gray.png"
        with Image.open(out / path) as gray:
            assert gray.size == (20 + n, 10)
            assert gray.mode == "L"
    assert not list(out.glob(".*.partial"))
    # The images went as data URIs: the server's record of each input tells the predictions of each apart.
    everything = _all_predictions(local_server)
    by_id = {p["id"]: p for p in everything}
    ours = {by_id[r["id"]]["input"]["image"] for r in rows}
    assert len(ours) == 24
    per_input = Counter(p["input"].get("image") for p in everything if p["input"].get("image") in ours)
    assert [n for n in per_input.values() if n != 1] == []  # 0 duplicates
