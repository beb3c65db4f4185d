"""problem+json (RFC 7807) answers, shaped like Replicate's."""

from __future__ import annotations

import errno
from typing import Any

from starlette.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised anywhere in a handler; the app turns it into a problem+json response."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> JSONResponse:
        return problem_response(self.status, self.title, self.detail, headers=self.headers, **self.extra)


def problem_response(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"title": title, "detail": detail, "status": status, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def disk_full(exc: OSError, folder: Any) -> Problem:
    """507 for a full disk (ENOSPC, EDQUOT); any other OSError is re-raised, a bug to see."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        raise exc
    return Problem(
        507,
        "Insufficient Storage",
        f"No space left on the local server's disk (in {folder}): free some space and send it again.",
    )


def unauthenticated() -> Problem:
    # Replicate's exact wording, so clients that match on it behave the same here.
    return Problem(401, "Unauthenticated", "You did not pass a valid authentication token")


def not_found(what: str, detail: str) -> Problem:
    return Problem(404, f"{what} not found", detail)


def invalid_input(invalid_fields: list[dict[str, str]]) -> Problem:
    detail = "".join(f"- {f['field']}: {f['description']}\n" for f in invalid_fields)
    return Problem(422, "Input validation failed", detail, invalid_fields=invalid_fields)
