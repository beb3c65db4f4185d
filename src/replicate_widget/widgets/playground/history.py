"""The Playground's record of each run: what went in (secrets masked), what came out, how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .outputs import summary

SECRET_MASK = "********"  # noqa: S105  (what pg.input and the history show in place of a secret)


@dataclass
class PlaygroundRun:
    """One run from the Playground: what went in (secrets masked), what came out, how it ended."""

    n: int
    model: str
    input: dict[str, Any]
    status: str = "starting"
    prediction_id: str = ""
    output: Any = None
    error: str = ""
    seconds: float | None = None
    logs: str = field(default="", repr=False)

    def public(self) -> dict[str, Any]:
        """The row shown in the widget's list of runs."""
        if self.status == "succeeded":
            text = summary(self.output)
        else:
            text = self.error.splitlines()[0] if self.error else ""
        return {"n": self.n, "id": self.prediction_id, "status": self.status, "seconds": self.seconds,
                "summary": text}  # fmt: skip
