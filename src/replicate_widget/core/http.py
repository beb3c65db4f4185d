"""Effects and the pure HTTP pieces every flow shares: requests as data, the retry policy, error mapping.

Client code is written once as generators (flows) that yield *effects* (`Call`, `Sleep`, `Upload`, and
`StoreUpload`/`StoreDelete` for the user's bucket); the two drivers in drive.py perform them through a
transport (transport.py: httpx.Client or httpx.AsyncClient), the bucket's through storage.py.
Nothing here does I/O, so all of it is testable without a server.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx

from .errors import APIError, AuthenticationError

if TYPE_CHECKING:
    from .files import LocalFile
    from .storage import StorageLocation, Stores

RetryKind = Literal["idempotent", "create", "upload", "never"]
MAX_ATTEMPTS = 8
MAX_DELAY = 30.0


@dataclass
class Call:
    """One HTTP request. ``body`` makes a fresh streamed body per attempt (uploads retry from the start)."""

    method: str
    url: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry: RetryKind = "idempotent"
    timeout: float | None = 30.0
    body: Callable[[], Iterator[bytes]] | None = None
    # Keep waiting for the answer if interrupted: a create's answer names the prediction we must cancel.
    interrupt_safe: bool = False
    # Run first when interrupted in flight, so that the answer we then wait for comes quickly.
    on_interrupt: Callable[[], Generator[Any, Any, Any]] | None = None


@dataclass
class Sleep:
    seconds: float


@dataclass
class Upload:
    """Upload a file through the client's shared, de-duplicated upload path; the answer is its urls.get."""

    file: LocalFile
    progress: Callable[[int, int], None] | None = None


@dataclass
class StoreUpload:
    """Put a file in the user's bucket (once per client: ``stores``) and sign a GET URL; the answer is it."""

    file: LocalFile
    location: StorageLocation
    expiry: int
    stores: Stores
    progress: Callable[[int, int], None] | None = None


@dataclass
class StoreDelete:
    """Delete the object holding these bytes, if this client put it there."""

    file: LocalFile
    location: StorageLocation
    stores: Stores


Effect = Call | Sleep | Upload | StoreUpload | StoreDelete
Flow = Generator[Effect, Any, Any]


def origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def retry_delay(kind: RetryKind, attempt: int, outcome: httpx.Response | Exception) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or None to give up. ``attempt`` counts from 1.

    429 is retried on every request (the server refused before doing anything). Other failures only where a
    repeat cannot do something twice: 502/503/504 and connection errors for GET/DELETE (idempotent), and a
    connection error with no response for an upload (it creates a new file at worst, never a second run).
    """
    if attempt >= MAX_ATTEMPTS or kind == "never":
        return None
    if isinstance(outcome, httpx.Response):
        if outcome.status_code == 429:
            hinted = parse_retry_after(outcome.headers.get("retry-after"))
            if hinted is not None:
                return min(hinted, 60.0) + random.uniform(0, 0.1)  # noqa: S311 - jitter, not crypto
            return backoff(attempt)
        if kind == "idempotent" and outcome.status_code in (502, 503, 504):
            return backoff(attempt)
        return None
    if isinstance(outcome, httpx.TransportError) and kind in ("idempotent", "upload"):
        return backoff(attempt)
    return None


def backoff(attempt: int) -> float:
    """Exponential from 0.25 s, capped, with +-25 % jitter so parallel clients spread out."""
    base = min(0.25 * 2.0 ** (attempt - 1), MAX_DELAY)
    return base * random.uniform(0.75, 1.25)  # noqa: S311 - jitter, not crypto


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def send(call: Call) -> Generator[Effect, Any, httpx.Response]:
    """Perform ``call`` with retries; the answer is a response that is not an error (errors are raised)."""
    attempt = 0
    while True:
        attempt += 1
        outcome: httpx.Response | Exception
        try:
            outcome = yield call
        except httpx.TransportError as exc:
            outcome = exc
        delay = retry_delay(call.retry, attempt, outcome)
        if delay is None:
            if isinstance(outcome, Exception):
                raise connection_error(call, outcome) from outcome
            raise_for_status(outcome)
            return outcome
        yield Sleep(delay)


def connection_error(call: Call, exc: Exception) -> APIError:
    where = urlsplit(call.url)
    return APIError(
        0,
        "Connection failed",
        f"{call.method} {where.scheme}://{where.netloc}{where.path}: {type(exc).__name__}: {exc}. "
        "Check the network and REPLICATE_BASE_URL, then run again.",
    )


def raise_for_status(response: httpx.Response) -> None:
    """The one place an HTTP failure becomes one of our exceptions (problem+json read when present)."""
    if response.status_code < 400:
        return
    problem = _problem(response)
    title = str(problem.get("title") or response.reason_phrase or "")
    detail = str(problem.get("detail") or "")
    if response.status_code == 401:
        raise AuthenticationError(401, title or "Unauthenticated", detail)
    if response.status_code == 413 and not detail:
        detail = "The request is too large. Files over 100 MiB cannot be sent; smaller ones are uploaded."
    invalid = problem.get("invalid_fields")
    raise APIError(
        response.status_code,
        title,
        detail,
        [f for f in invalid if isinstance(f, dict)] if isinstance(invalid, list) else None,
    )


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        data = json.loads(response.content or b"{}")
    except ValueError:
        text = response.text.strip()
        return {"detail": text[:500]} if text else {}
    if isinstance(data, dict):
        return data
    return {"detail": str(data)[:500]}


def parse_iso_time(value: Any) -> float | None:
    """Unix time from the API's ISO 8601 timestamps ("...Z" included), or None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
