"""progress=None, the default: automatic progress for every call form.

In an IPython kernel: one display, updated in place at most 4 times a second (upload percentage, status, the
model's own tqdm progress, the last log line), that collapses to one line when the run ends. Elsewhere: one
stderr line rewritten in place, only when stderr is a terminal. ``progress=False`` turns it off; a callable
receives the RunEvents instead. A batch shows a single "n/N done" line.
"""

from __future__ import annotations

import contextlib
import html
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any, Protocol

from .errors import InputError
from .limits import FINAL_STATUSES
from .predictions.events import ProgressCallback, RunEvent

MIN_INTERVAL = 0.25  # seconds between two renders: at most 4 a second
_MARK = {"succeeded": "✓", "failed": "✗", "canceled": "■", "aborted": "■"}


class Linked(str):
    """A line of the display that links somewhere (the prediction's page); plain text on a terminal."""

    href: str = ""

    def __new__(cls, text: str, href: str = "") -> Linked:
        line = super().__new__(cls, text)
        line.href = href
        return line


def _line_html(line: str) -> str:
    href = getattr(line, "href", "")
    if href.startswith(("http://", "https://")):
        return f'<a href="{html.escape(href, quote=True)}" target="_blank">{html.escape(line)}</a>'
    return html.escape(line)


class Sink(Protocol):
    def show(self, lines: list[str], final: bool) -> None: ...


class IPythonSink:
    """One display in the running cell, replaced in place (display_id), never appended to."""

    def __init__(self) -> None:
        self._handle: Any = None

    def show(self, lines: list[str], final: bool) -> None:
        from IPython.display import display

        text = "\n".join(lines)
        body = "<br>".join(_line_html(line) for line in lines)
        style = "font-family:var(--jp-code-font-family,monospace);font-size:12px;opacity:.85;white-space:pre"
        bundle = {"text/plain": text, "text/html": f'<div class="rw-progress" style="{style}">{body}</div>'}
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self._handle.update(bundle, raw=True)


class TerminalSink:
    """One stderr line, rewritten with a carriage return; a newline only once the run ends."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._width = 0

    def show(self, lines: list[str], final: bool) -> None:
        line = " · ".join(part for part in lines if part)[:160]
        pad = " " * max(0, self._width - len(line))
        self._width = len(line)
        self._stream.write("\r" + line + pad + ("\n" if final else ""))
        self._stream.flush()


_ipython_getter: list[Callable[[], Any] | None] = []


def _get_ipython() -> Callable[[], Any] | None:
    """IPython's get_ipython, or None without IPython; imported once (each run asks), on first need."""
    if not _ipython_getter:
        try:
            from IPython.core.getipython import get_ipython
        except ImportError:
            _ipython_getter.append(None)
        else:
            _ipython_getter.append(get_ipython)
    return _ipython_getter[0]


def automatic_sink() -> Sink | None:
    """Where automatic progress goes here: the IPython kernel's display, a terminal's stderr, or nowhere."""
    getter = _get_ipython()
    shell = getter() if getter is not None else None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        return IPythonSink()
    stream = sys.stderr
    if stream is not None and hasattr(stream, "isatty") and stream.isatty():
        return TerminalSink(stream)
    return None


class _Throttled:
    """Renders at most every MIN_INTERVAL seconds. An update that comes too soon is drawn when the interval
    is up (by a timer, showing the newest state then), so a status change or a retry is never lost; the
    final render always happens at once and ends the display."""

    def __init__(self, sink: Sink, clock: Callable[[], float]) -> None:
        self._sink = sink
        self._clock = clock
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._timer: threading.Timer | None = None
        self._closed = False
        self.started = clock()
        self.shown = False

    def render(self, lines: Callable[[], list[str]], final: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            wait = self._last + MIN_INTERVAL - self._clock()
            if final or wait <= 0:
                self._draw(lines, final)
            elif self._timer is None:
                self._timer = threading.Timer(wait, self._deferred, (lines,))
                self._timer.daemon = True
                self._timer.start()

    def _deferred(self, lines: Callable[[], list[str]]) -> None:
        with self._lock:
            self._timer = None
            if not self._closed:
                self._draw(lines, False)

    def _draw(self, lines: Callable[[], list[str]], final: bool) -> None:
        if final:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
        self._last = self._clock()
        self.shown = True
        self._sink.show(lines(), final)

    def elapsed(self) -> str:
        return f"{self._clock() - self.started:.1f} s"


class RunView:
    """The state of one run, fed RunEvents, drawn on a sink."""

    def __init__(self, title: str, sink: Sink, clock: Callable[[], float] = time.monotonic) -> None:
        self.title = title
        self.status = "sending"
        self.uploads: dict[str, tuple[int, int]] = {}
        self.fraction: float | None = None
        self.step = ""
        self.last_log = ""
        self.note = ""
        self.text = ""
        self.announce: Linked | None = None  # "prediction abc… on owner/name": its id, for after a restart
        self._out = _Throttled(sink, clock)

    def __call__(self, event: RunEvent) -> None:
        p = event.prediction
        if self.announce is None and p is not None and p.id:
            self.announce = Linked(f"prediction {p.id} on {p.model or self.title}", p.urls.get("web", ""))
        if event.kind == "upload" and event.file is not None:
            self.uploads[event.file] = (event.sent, event.total)
            self.status = "uploading"
        elif event.kind == "status" and event.status:
            self.status, self.note = event.status, ""
        elif event.kind == "logs":
            lines = [line for line in event.logs.replace("\r", "\n").splitlines() if line.strip()]
            if lines:
                self.last_log = lines[-1].strip()
        elif event.kind == "progress" and event.fraction is not None:
            self.fraction, self.step = event.fraction, f"{event.sent}/{event.total}"
        elif event.kind == "output":  # a streaming model's text: its last line, as it is written
            self.text = " ".join(event.text.split())[-160:]
        elif event.kind == "retry":  # "retrying in 2 s: connection refused", until the next status
            self.note = event.message
        else:  # kinds added later: say what happened in the event's own words
            self.note = event.message or event.kind
        self._out.render(self.lines)

    def lines(self) -> list[str]:
        head = f"{self.title}: {self.status}" + (f" ({self.note})" if self.note else "")
        lines = [head]
        if self.announce is not None:
            lines.append(self.announce)
        if self.uploads:
            sent = sum(s for s, _ in self.uploads.values())
            total = sum(t for _, t in self.uploads.values()) or 1
            lines.append(f"upload {100 * sent // total}% of {len(self.uploads)} file(s)")
        if self.fraction is not None:
            filled = round(20 * self.fraction)
            lines.append(f"[{'#' * filled}{'.' * (20 - filled)}] {100 * self.fraction:.0f}% {self.step}")
        if self.last_log:
            lines.append(self.last_log[:200])
        if self.text:
            lines.append(f"» {self.text}")
        return lines

    def finish(self, error: BaseException | None = None) -> None:
        """Collapse to one line. A run refused before it did anything shows nothing: its error says it all."""
        if error is not None and not self._out.shown and self.status == "sending":
            return
        status = self.status
        if error is not None and status not in FINAL_STATUSES:
            status = "interrupted" if isinstance(error, KeyboardInterrupt) else "stopped by an error"
        mark = _MARK.get(status, "·")

        def last() -> list[str]:
            line = f"{mark} {self.title} {status} in {self._out.elapsed()}"
            if self.announce is None:
                return [line]
            return [Linked(f"{line} · {self.announce}", self.announce.href)]

        self._out.render(last, final=True)


class BatchView:
    """A batch's single line: "n/N done", with failures counted."""

    def __init__(
        self, title: str, total: int, sink: Sink, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.title, self.total = title, total
        self.done = self.failed = 0
        self._lock = threading.Lock()
        self._out = _Throttled(sink, clock)

    def item_done(self, error: BaseException | None) -> None:
        with self._lock:
            self.done += 1
            self.failed += error is not None
        self._out.render(self.lines)

    def lines(self) -> list[str]:
        failed = f", {self.failed} failed" if self.failed else ""
        return [f"{self.title}: {self.done}/{self.total} done{failed}"]

    def finish(self, error: BaseException | None = None) -> None:
        tail = f" in {self._out.elapsed()}"
        self._out.render(lambda: [self.lines()[0] + tail], final=True)


def check_progress(progress: Any) -> None:
    if progress is not None and progress is not False and not callable(progress):
        raise InputError(
            f"progress must be None (automatic), False (off) or a callable receiving RunEvents, "
            f"not {progress!r}."
        )


@contextlib.contextmanager
def reporting(title: str, progress: Any) -> Iterator[ProgressCallback | None]:
    """The callback a flow gets for ``progress``: the user's, none, or an automatic view finished on exit."""
    check_progress(progress)
    if progress is False or callable(progress):
        yield progress or None
        return
    sink = automatic_sink()
    if sink is None:
        yield None
        return
    view = RunView(title, sink)
    try:
        yield view
    except BaseException as exc:
        view.finish(exc)
        raise
    view.finish()


@contextlib.contextmanager
def batch_reporting(
    title: str, total: int, progress: Any
) -> Iterator[tuple[ProgressCallback | None, Callable[[BaseException | None], None] | None]]:
    """For a batch: the per-item callback (the user's, or none) and the batch line's item counter."""
    check_progress(progress)
    if progress is False or callable(progress):
        yield progress or None, None
        return
    sink = automatic_sink()
    if sink is None:
        yield None, None
        return
    view = BatchView(title, total, sink)
    try:
        yield None, view.item_done
    except BaseException as exc:
        view.finish(exc)
        raise
    view.finish()


def reported_iterator(
    title: str, progress: Any, start: Callable[[ProgressCallback | None], Iterator[Any]]
) -> Iterator[Any]:
    """A stream's chunks, with its progress reported (and finished) around them."""
    with reporting(title, progress) as callback:
        yield from start(callback)


async def reported_async_iterator(
    title: str, progress: Any, start: Callable[[ProgressCallback | None], AsyncGenerator[Any, None]]
) -> AsyncGenerator[Any, None]:
    # aclosing at every level: leaving an `async for` does not close the generator it iterates, and the
    # event loop's own clean-up at exit closes them all at once, which nested generators cannot take.
    with reporting(title, progress) as callback:
        async with contextlib.aclosing(start(callback)) as chunks:
            async for chunk in chunks:
                yield chunk
