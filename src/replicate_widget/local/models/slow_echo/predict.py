# mypy: disallow-subclassing-any=False
"""demo/slow-echo: waits `seconds`, printing tqdm-style progress, then echoes the text.

`async def` so that several predictions run at once (the server starts it with COG_MAX_CONCURRENCY);
it sleeps in short steps so a cancel lands within a fraction of a second.
"""

import asyncio
import time

from cog import BaseRunner, Input

_BAR_WIDTH = 10


def _progress_line(done: int, total: int, started: float) -> str:
    filled = _BAR_WIDTH * done // total
    elapsed = time.monotonic() - started
    remaining = elapsed / done * (total - done) if done else 0.0
    bar = "█" * filled + " " * (_BAR_WIDTH - filled)
    return f"{100 * done // total:3d}%|{bar}| {done}/{total} [{_clock(elapsed)}<{_clock(remaining)}]"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


class Runner(BaseRunner):
    async def run(
        self,
        text: str = Input(description="Text to echo back"),
        seconds: float = Input(description="How long to run", default=2.0, ge=0, le=600),
        steps: int = Input(description="Progress steps to print", default=10, ge=1, le=1000),
        fail: str = Input(description="If set, fail with this error message at the end", default=None),
    ) -> str:
        started = time.monotonic()
        print(_progress_line(0, steps, started), flush=True)
        for step in range(1, steps + 1):
            deadline = started + seconds * step / steps
            while (left := deadline - time.monotonic()) > 0:
                await asyncio.sleep(min(left, 0.05))
            print(_progress_line(step, steps, started), flush=True)
        if fail:
            raise RuntimeError(fail)
        return text
