"""Runs: a batch of 100 short predictions at concurrency 8, the client's overhead per run, a 0.2 s model's
wall time, and when a 5 s run's progress first hears `processing` (a default create holds 1 s, then polls).

Run: /work/venv/bin/python benchmarks/core_runs.py
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

import replicate_widget as rw

MODEL = "demo/slow-echo"


def batch(server, n: int = 100, seconds: float = 0.2, concurrency: int = 8) -> None:
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    client.run(MODEL, {"text": "warm", "seconds": 0})  # start the worker outside the timing
    inputs = [{"text": str(i), "seconds": seconds, "steps": 1} for i in range(n)]
    started = time.perf_counter()
    results = client.run_batch(MODEL, inputs, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, Exception)]
    ideal = n * seconds / concurrency
    # The same batch with bare httpx threads: what the server itself costs per prediction.
    http = httpx.Client(limits=httpx.Limits(max_connections=concurrency))
    headers = {"authorization": f"Bearer {server.token}", "prefer": "wait"}
    url = f"{server.base_url}/v1/models/{MODEL}/predictions"
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda item: http.post(url, json={"input": item}, headers=headers, timeout=90), inputs))
    bare = time.perf_counter() - started
    print(f"\nBatch: {n} runs of a {seconds} s model at concurrency {concurrency}")
    print(
        f"replicate-widget {elapsed:.2f} s; ideal {ideal:.2f} s; ratio {elapsed / ideal:.2f}; "
        f"bare httpx threads {bare:.2f} s (ratio to ideal {bare / ideal:.2f}); failed {len(errors)}"
    )
    for error in errors[:3]:
        print(f"  e.g. {type(error).__name__}: {str(error)[:200]}")


def bare_create_and_poll(http: httpx.Client, server) -> None:
    headers = {"authorization": f"Bearer {server.token}", "prefer": "wait"}
    url = f"{server.base_url}/v1/models/{MODEL}/predictions"
    prediction = http.post(url, json={"input": {"text": "x", "seconds": 0}}, headers=headers).json()
    while prediction["status"] not in ("succeeded", "failed", "canceled", "aborted"):
        time.sleep(0.05)
        prediction = http.get(prediction["urls"]["get"], headers=headers).json()


def client_cpu_overhead(runs: int = 1000, rounds: int = 5) -> tuple[float, float]:
    """The same create with an in-memory transport: what our code costs per run, without any server noise.
    Returns (ours, bare httpx) in seconds per run."""
    schema = {
        "components": {
            "schemas": {"Input": {"properties": {"text": {"type": "string"}}}, "Output": {"type": "string"}}
        }
    }
    model = {"is_official": True, "latest_version": {"id": "v", "openapi_schema": schema}}
    done = {
        "id": "p",
        "status": "succeeded",
        "output": "x",
        "urls": {"get": "http://api.test/v1/predictions/p"},
    }

    def answer(request):
        return httpx.Response(200, json=model) if request.method == "GET" else httpx.Response(201, json=done)

    client = rw.Client(api_token="t", base_url="http://api.test", transport=httpx.MockTransport(answer))
    bare = httpx.Client(transport=httpx.MockTransport(answer))
    client.run("o/m", {"text": "x"})

    def bare_run():
        prediction = bare.post(
            "http://api.test/v1/models/o/m/predictions",
            json={"input": {"text": "x"}},
            headers={"authorization": "Bearer t", "prefer": "wait"},
        ).json()
        return prediction["output"]

    # Interleaved rounds, the best of each: another process taking the CPU for a while spoils a round, not
    # the figure.
    timings: dict[str, float] = {"ours": float("inf"), "bare": float("inf")}
    for _ in range(rounds):
        for name, fn in (("ours", lambda: client.run("o/m", {"text": "x"})), ("bare", bare_run)):
            started = time.perf_counter()
            for _ in range(runs):
                fn()
            timings[name] = min(timings[name], (time.perf_counter() - started) / runs)
    print(
        f"\nClient CPU per run with an in-memory transport (no server; best of {rounds} rounds of {runs}): "
        f"replicate-widget {timings['ours'] * 1e6:.0f} us; bare httpx {timings['bare'] * 1e6:.0f} us; "
        f"ratio {timings['ours'] / timings['bare']:.2f}"
    )
    return timings["ours"], timings["bare"]


def overhead(server, runs: int = 40) -> None:
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    http = httpx.Client()
    client.run(MODEL, {"text": "warm", "seconds": 0})
    bare_create_and_poll(http, server)
    ours, bare = [], []

    def ours_run():
        client.run(MODEL, {"text": "x", "seconds": 0})

    for i in range(runs):  # interleaved, order alternating, so both see the same server conditions
        pair = [(ours, ours_run), (bare, lambda: bare_create_and_poll(http, server))]
        for times, fn in pair if i % 2 else reversed(pair):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    m_ours, m_bare = statistics.median(ours), statistics.median(bare)
    print(f"\nPer-run time of a 0 s model, median of {runs} (model and schema cached after the first run)")
    print(
        f"replicate-widget {m_ours * 1000:.1f} ms; bare httpx create+poll {m_bare * 1000:.1f} ms; "
        f"overhead {1000 * (m_ours - m_bare):+.1f} ms; ratio {m_ours / m_bare:.2f}"
    )


def short_model(server, seconds: float = 0.2, runs: int = 20) -> None:
    """A 0.2 s model's wall time through rw.run (default options), against bare httpx's create+poll."""
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    http = httpx.Client()
    client.run(MODEL, {"text": "warm", "seconds": 0})
    ours, bare = [], []
    item = {"text": "x", "seconds": seconds, "steps": 1}
    for i in range(runs):
        pair = [
            (ours, lambda: client.run(MODEL, item)),
            (bare, lambda: _bare_run(http, server, item)),
        ]
        for times, fn in pair if i % 2 else reversed(pair):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    m_ours, m_bare = statistics.median(ours), statistics.median(bare)
    print(f"\nWall time of a {seconds} s model, median of {runs}")
    print(
        f"replicate-widget {m_ours * 1000:.1f} ms; bare httpx (Prefer: wait) {m_bare * 1000:.1f} ms; "
        f"overhead {1000 * (m_ours - m_bare):+.1f} ms"
    )


def _bare_run(http: httpx.Client, server, item: dict) -> None:
    headers = {"authorization": f"Bearer {server.token}", "prefer": "wait"}
    http.post(f"{server.base_url}/v1/models/{MODEL}/predictions", json={"input": item}, headers=headers)


def first_status(server, seconds: float = 5.0) -> None:
    """When a 5 s run's progress first hears `processing`, and when its run returns (seconds from the call)"""
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    client.run(MODEL, {"text": "warm", "seconds": 0})
    heard: dict[str, float] = {}
    started = time.perf_counter()

    def progress(event) -> None:
        if event.kind == "status" and event.status not in heard:
            heard[event.status] = time.perf_counter() - started

    client.run(MODEL, {"text": "x", "seconds": seconds, "steps": 5}, progress=progress)
    total = time.perf_counter() - started
    said = ", ".join(f"{status} at {at:.2f} s" for status, at in heard.items())
    print(f"\nA {seconds} s run: progress heard {said}; the run returned at {total:.2f} s")


def run(server) -> tuple[float, float]:
    """Prints every figure; returns client_cpu_overhead's (ours, bare httpx)."""
    batch(server)
    overhead(server)
    short_model(server)
    first_status(server)
    return client_cpu_overhead()


if __name__ == "__main__":
    from replicate_widget.local import serve

    with serve() as srv:
        run(srv)
