"""The batch's ledger: one SQLite file in ``out/`` (standard library sqlite3) that makes a re-run resume.

One row per item (a model and an input): its input as JSON, the output's name, status, prediction id, times,
what was saved. An item moves ``pending`` -> ``sending`` (written to disk *before* its create is sent, with
``sent_at`` and the hash of the body sent) -> ``running`` (the create answered: its id is known) -> a final
status (``succeeded``, ``failed``, ``canceled``). A process killed at any moment leaves each item in one of
these states, and the next run knows what to do: final is skipped, ``running`` is reattached by id,
``sending`` is reconciled against the server's list (reconcile.py), ``pending`` is created.

WAL mode with ``synchronous=NORMAL``: a commit survives the process being killed (SIGKILL), which is what a
crashed kernel is; only a power cut may lose the last commits, and then the reconciliation still holds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEDGER_NAME = ".rw-batch.sqlite"
FINAL = ("succeeded", "failed", "canceled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,         -- sha256 of (model, input): identical inputs are one item
    idx INTEGER NOT NULL,         -- input order
    row INTEGER NOT NULL,         -- which input (down the grid)
    model TEXT NOT NULL,
    input TEXT NOT NULL,          -- the input as given, as JSON (paths as {"$path": ...})
    name TEXT NOT NULL,           -- what its outputs are named after (unique within a model)
    status TEXT NOT NULL DEFAULT 'pending',
    prediction_id TEXT,
    sent_at REAL,                 -- Unix time just before the create was sent
    sent_hash TEXT,               -- sha256 of the create's input as sent: how the server's list is matched
    done_seq INTEGER,             -- completion order
    finished_at REAL,
    output TEXT,                  -- the output as JSON (file URLs replaced by saved paths)
    paths TEXT,                   -- JSON list of saved paths, relative to out/
    error TEXT
);
CREATE INDEX IF NOT EXISTS items_status ON items(status, idx);
CREATE INDEX IF NOT EXISTS items_done ON items(done_seq);
CREATE TABLE IF NOT EXISTS duplicates (  -- predictions found to be twins of an item's, canceled on resume
    prediction_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    kept TEXT NOT NULL,
    found_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Row:
    """One item as the ledger has it (an immutable snapshot)."""

    key: str
    idx: int
    row: int
    model: str
    input: dict[str, Any]
    name: str
    status: str
    prediction_id: str | None
    sent_at: float | None
    sent_hash: str | None
    done_seq: int | None
    output: Any
    paths: list[str]
    error: str | None

    @classmethod
    def from_sql(cls, r: sqlite3.Row) -> Row:
        return cls(
            key=r["key"],
            idx=r["idx"],
            row=r["row"],
            model=r["model"],
            input=json.loads(r["input"]),
            name=r["name"],
            status=r["status"],
            prediction_id=r["prediction_id"],
            sent_at=r["sent_at"],
            sent_hash=r["sent_hash"],
            done_seq=r["done_seq"],
            output=json.loads(r["output"]) if r["output"] is not None else None,
            paths=json.loads(r["paths"]) if r["paths"] else [],
            error=r["error"],
        )


class Ledger:
    """Thread-safe (one connection, one lock): the batch's workers write through it, iteration reads it."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / LEDGER_NAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._taken: set[str] = set()  # keys in flight in this process (at most `concurrency`)
        self._seq = self._scalar("SELECT COALESCE(MAX(done_seq), 0) FROM items")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _scalar(self, sql: str, *args: Any) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()[0]

    def _write(self, sql: str, *args: Any) -> None:
        with self._lock:
            self._db.execute(sql, args)

    # ---- filling ---------------------------------------------------------------------------------------
    def add(self, items: Iterable[tuple[str, int, int, str, str, str]]) -> None:
        """Insert (key, idx, row, model, input_json, name) rows; an item already there is left as it is."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO items(key, idx, row, model, input, name) VALUES (?, ?, ?, ?, ?, ?)",
                items,
            )
            self._db.execute("COMMIT")

    def has(self, key: str) -> bool:
        return bool(self._scalar("SELECT COUNT(*) FROM items WHERE key = ?", key))

    def names(self, model: str) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT name FROM items WHERE model = ?", (model,))}

    def reopen_canceled(self) -> None:
        """Items canceled by a previous run's cancel() are wanted again by this one."""
        self._write("UPDATE items SET status = 'pending', prediction_id = NULL WHERE status = 'canceled'")

    # ---- the item lifecycle ----------------------------------------------------------------------------
    def claim(self) -> Row | None:
        """The next item to work on, taken by this process until ``release``: reattach first, then
        reconcile, then new creates, each in input order."""
        with self._lock:
            taken = ",".join("?" * len(self._taken))  # placeholders only: the keys go as parameters
            query = f"SELECT * FROM items WHERE status IN ('running', 'sending', 'pending') AND key NOT IN ({taken}) "  # noqa: S608, E501
            query += (
                "ORDER BY CASE status WHEN 'running' THEN 0 WHEN 'sending' THEN 1 ELSE 2 END, idx LIMIT 1"
            )
            found = self._db.execute(query, tuple(self._taken)).fetchone()
            if found is None:
                return None
            self._taken.add(found["key"])
            return Row.from_sql(found)

    def release(self, key: str) -> None:
        with self._lock:
            self._taken.discard(key)

    def sending(self, key: str, sent_at: float, sent_hash: str) -> None:
        self._write(
            "UPDATE items SET status = 'sending', sent_at = ?, sent_hash = ? WHERE key = ?",
            sent_at,
            sent_hash,
            key,
        )

    def running(self, key: str, prediction_id: str) -> None:
        self._write(
            "UPDATE items SET status = 'running', prediction_id = ? WHERE key = ?", prediction_id, key
        )

    def pending(self, key: str) -> None:
        self._write("UPDATE items SET status = 'pending', prediction_id = NULL WHERE key = ?", key)

    def finish(
        self,
        key: str,
        status: str,
        *,
        prediction_id: str | None,
        output: Any = None,
        paths: list[str] | None = None,
        error: str | None = None,
    ) -> None:
        with self._lock:
            self._seq += 1
            self._db.execute(
                "UPDATE items SET status = ?, prediction_id = COALESCE(?, prediction_id), done_seq = ?, "
                "finished_at = ?, output = ?, paths = ?, error = ? WHERE key = ?",
                (
                    status,
                    prediction_id,
                    self._seq,
                    time.time(),
                    json.dumps(output) if output is not None else None,
                    json.dumps(paths or []),
                    error,
                    key,
                ),
            )

    def retry_failed(self) -> int:
        with self._lock:
            cursor = self._db.execute(
                "UPDATE items SET status = 'pending', prediction_id = NULL, done_seq = NULL, error = NULL, "
                "output = NULL, paths = NULL WHERE status = 'failed'"
            )
            return cursor.rowcount

    def duplicate(self, prediction_id: str, key: str, kept: str) -> None:
        self._write(
            "INSERT OR IGNORE INTO duplicates(prediction_id, key, kept, found_at) VALUES (?, ?, ?, ?)",
            prediction_id,
            key,
            kept,
            time.time(),
        )

    # ---- reading ---------------------------------------------------------------------------------------
    def get(self, key: str) -> Row:
        with self._lock:
            return Row.from_sql(self._db.execute("SELECT * FROM items WHERE key = ?", (key,)).fetchone())

    def total(self) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM items"))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall()
        return {r[0]: r[1] for r in rows}

    def done_after(self, seq: int, limit: int = 100) -> list[Row]:
        """Finished items in completion order, after ``seq``: iteration pages through these."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM items WHERE done_seq > ? ORDER BY done_seq LIMIT ?", (seq, limit)
            ).fetchall()
        return [Row.from_sql(r) for r in rows]

    def latest_done(self, limit: int) -> list[Row]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM items WHERE done_seq IS NOT NULL ORDER BY done_seq DESC LIMIT ?", (limit,)
            ).fetchall()
        return [Row.from_sql(r) for r in rows]

    def by_status(self, status: str, limit: int = -1) -> list[Row]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM items WHERE status = ? ORDER BY idx LIMIT ?", (status, limit)
            ).fetchall()
        return [Row.from_sql(r) for r in rows]

    def in_order(self, page: int = 500) -> Iterator[Row]:
        """Every item in input order, a page at a time (10,000 items are never all in memory)."""
        last = -1
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT * FROM items WHERE idx > ? ORDER BY idx LIMIT ?", (last, page)
                ).fetchall()
            if not rows:
                return
            for r in rows:
                yield Row.from_sql(r)
            last = rows[-1]["idx"]

    def duplicates(self) -> list[tuple[str, str, str]]:
        """(canceled twin, item key, the prediction kept) for every twin found."""
        with self._lock:
            rows = self._db.execute("SELECT prediction_id, key, kept FROM duplicates").fetchall()
        return [(r[0], r[1], r[2]) for r in rows]
