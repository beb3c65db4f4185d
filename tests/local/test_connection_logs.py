"""The local server's logs under a flood stay small: each message at most once per LOG_EVERY seconds, with a
count of the ones left out, and a failed accept's OSError without its traceback (issue 22, defect 7). A real
flood that exhausts descriptors can't run beside the other tests; the messages it causes are logged here
through the same loggers the server uses."""

from __future__ import annotations

import errno
import logging

from replicate_widget.local import connections


def test_a_flood_of_one_message_logs_it_once(caplog, monkeypatch):
    monkeypatch.setattr(connections, "_FILTER", connections.RateLimited())
    connections.install_log_limits()
    caplog.set_level(logging.WARNING)
    logger = logging.getLogger("uvicorn.error")
    try:
        for _ in range(5000):
            logger.warning("Exceeded concurrency limit.")
        try:
            raise OSError(errno.EMFILE, "Too many open files")
        except OSError:
            for _ in range(5000):
                logging.getLogger("asyncio").error("socket.accept() out of system resource", exc_info=True)
    finally:
        for name in ("uvicorn.error", "asyncio"):
            logging.getLogger(name).removeFilter(connections._FILTER)
    shown = [r.getMessage() for r in caplog.records]
    assert len(shown) == 2, shown[:5]
    assert shown[0] == "Exceeded concurrency limit."
    assert shown[1] == "socket.accept() out of system resource: [Errno 24] Too many open files"
    assert all(r.exc_info is None for r in caplog.records)  # no traceback


def test_the_next_message_after_the_quiet_spell_says_how_many_were_left_out(monkeypatch):
    limiter = connections.RateLimited()
    clock = iter([0.0, 1.0, 2.0, 30.0])
    monkeypatch.setattr(connections.time, "monotonic", lambda: next(clock))
    records = [
        logging.LogRecord("uvicorn.error", logging.WARNING, "", 0, "flood", None, None) for _ in range(4)
    ]
    shown = [limiter.filter(r) for r in records]
    assert shown == [True, False, False, True]
    assert records[3].getMessage() == "flood (2 more like it in the last 10 s not shown)"
