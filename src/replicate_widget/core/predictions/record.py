"""A prediction as the API returns it, and the progress a model reports in its logs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..limits import FINAL_STATUSES

# tqdm's default bar: " 45%|████▌     | 45/100 [00:01<00:01, 40.1it/s]". Both official clients read the same
# three numbers; we take the last such line so the fraction only reflects the newest report.
_TQDM_LINE = re.compile(r"^\s*(\d+)%\s*\|.*?\|\s*(\d+)/(\d+)")


@dataclass(frozen=True)
class Progress:
    """What the newest tqdm-style line in the logs says: ``current`` of ``total`` done."""

    current: int
    total: int

    @property
    def fraction(self) -> float:
        return self.current / self.total if self.total else 0.0


def parse_progress(logs: str | None) -> Progress | None:
    """The newest tqdm-style progress in ``logs``, or None when the model reported none."""
    if not logs:
        return None
    # tqdm redraws with carriage returns: each redraw is a line of its own for our purpose.
    for line in reversed(re.split(r"[\r\n]+", logs)):
        match = _TQDM_LINE.match(line)
        if match:
            return Progress(current=int(match.group(2)), total=int(match.group(3)))
    return None


@dataclass
class PredictionRecord:
    """One prediction as the API describes it (core's record; rw.Prediction, the live handle in live.py,
    adds a client). Once it succeeded, ``output`` holds Python objects (files as FileOutput)."""

    id: str
    status: str
    input: dict[str, Any] = field(default_factory=dict)
    output: Any = None
    logs: str = ""
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    model: str = ""
    version: str = ""
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    deadline: str | None = None
    data_removed: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PredictionRecord:
        """Build from an API answer; tolerant of missing fields and of statuses we do not know yet."""
        return cls(
            id=str(data.get("id", "")),
            status=str(data.get("status", "")),
            input=dict(data.get("input") or {}),
            output=data.get("output"),
            logs=data.get("logs") or "",
            error=_error_text(data.get("error")),
            metrics=dict(data.get("metrics") or {}),
            urls={k: v for k, v in (data.get("urls") or {}).items() if isinstance(v, str)},
            model=data.get("model") or "",
            version=data.get("version") or "",
            created_at=data.get("created_at"),
            started_at=data.get("started_at"),
            completed_at=data.get("completed_at"),
            deadline=data.get("deadline"),
            data_removed=bool(data.get("data_removed", False)),
        )

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def progress(self) -> Progress | None:
        return parse_progress(self.logs)

    def __repr__(self) -> str:
        # Inputs may hold data URIs of a megabyte: keep the repr to what identifies the prediction.
        return f"Prediction(id={self.id!r}, model={self.model!r}, status={self.status!r})"


def _error_text(error: Any) -> str | None:
    if error is None or error == "":
        return None
    if isinstance(error, dict):  # some servers send {"detail": ...}
        return str(error.get("detail") or error.get("message") or error)
    return str(error)
