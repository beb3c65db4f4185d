"""Effects and the pure HTTP pieces every flow shares: requests as data, retries (policy in retry.py), errors.

Client code is written once as generators (flows) that yield *effects* (`Call`, `Sleep`, `Upload`, and
`StoreUpload`/`StoreDelete` for the user's bucket); the two drivers in drive.py perform them through a
transport (transport.py: httpx.Client or httpx.AsyncClient), the bucket's through storage.py.
Nothing here does I/O, so all of it is testable without a server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from .errors import LOCAL_TOKEN_HELP, TOKEN_HELP, APIError, AuthenticationError, ConnectionError
from .retry import RetryKind, decide, describe, is_loopback

if TYPE_CHECKING:
    from .files import LocalFile
    from .storage import StorageLocation, Stores


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
    # The server answers within this many seconds (a create's `Prefer: wait=N`); None: at once.
    answer_within: float | None = None


@dataclass
class Sleep:
    """Wait. ``reason`` is set when the wait is before a retry (what went wrong, in a few words)."""

    seconds: float
    reason: str | None = None


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
    # This call's own key (delete_uploads=True): uploaded there, shared with no other call or client.
    key: str | None = None


@dataclass
class StoreDelete:
    """Delete the object holding these bytes, if this client put it there (or the call's own ``key``)."""

    file: LocalFile
    location: StorageLocation
    stores: Stores
    key: str | None = None


Effect = Call | Sleep | Upload | StoreUpload | StoreDelete
Flow = Generator[Effect, Any, Any]


def origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def send(call: Call) -> Generator[Effect, Any, httpx.Response]:
    """Perform ``call`` with retries; the answer is a response that is not an error (errors are raised)."""
    attempt = 0
    started = time.monotonic()
    while True:
        attempt += 1
        outcome: httpx.Response | Exception
        try:
            outcome = yield call
        except httpx.TransportError as exc:
            outcome = exc
        retry = decide(call.retry, attempt, outcome, url=call.url, elapsed=time.monotonic() - started)
        if retry is None:
            if isinstance(outcome, Exception):
                # Ours alone: httpx's chain says the same in 150 lines and not what to do.
                raise connection_error(call, outcome, attempt, time.monotonic() - started) from None
            raise_for_status(outcome)
            return outcome
        yield Sleep(retry.seconds, retry.reason)


def notify_retries(flow: Flow, notify: Callable[[Sleep], None]) -> Flow:
    """``flow`` unchanged, except that ``notify`` hears of each wait before a retry, before it starts."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration as stop:
            return stop.value
        if isinstance(effect, Sleep) and effect.reason:
            notify(effect)
        try:
            value, error = (yield effect), None
        except BaseException as exc:
            value, error = None, exc


def connection_error(call: Call, exc: Exception, attempts: int = 1, seconds: float = 0.0) -> ConnectionError:
    where = urlsplit(call.url)
    site = f"{where.scheme}://{where.netloc}"
    reason = describe(exc)
    tried = f" ({attempts} attempts in {seconds:.0f} s)" if attempts > 1 else ""
    if reason == "connection refused" and is_loopback(call.url):
        advice = (
            f"Nothing is listening at {site}. Start the local server with `replicate-widget serve` and use "
            "the REPLICATE_BASE_URL it prints, or unset REPLICATE_BASE_URL to use Replicate."
        )
    else:
        advice = f"Check the network and REPLICATE_BASE_URL ({site}), then run again."
    return ConnectionError(
        "Connection failed", f"{call.method} {site}{where.path}: {reason}{tried}. {advice}"
    )


def raise_for_status(response: httpx.Response) -> None:
    """The one place an HTTP failure becomes one of our exceptions (problem+json read when present)."""
    if 300 <= response.status_code < 400:
        # Never followed: the request, and the token with it, would go wherever the Location says.
        where = response.headers.get("location") or "(no Location header)"
        raise APIError(
            response.status_code,
            "Redirected",
            f"{response.request.method} {response.request.url} answered {response.status_code} with "
            f"Location: {where}. The API is not reached through redirects: set REPLICATE_BASE_URL to the "
            "API's own address.",
        )
    if response.status_code < 400:
        return
    problem = _problem(response)
    title = str(problem.get("title") or response.reason_phrase or "")
    detail = str(problem.get("detail") or "")
    if response.status_code == 401:
        raise AuthenticationError(401, title or "Unauthenticated", detail, _token_help(response.request))
    if response.status_code == 413 and not detail:
        detail = _too_large(response.request)
    invalid = problem.get("invalid_fields")
    raise APIError(
        response.status_code,
        title,
        detail,
        [f for f in invalid if isinstance(f, dict)] if isinstance(invalid, list) else None,
    )


def _too_large(request: httpx.Request) -> str:
    """What a bare 413 means, by what was sent: a file, or a prediction's input (text counts too)."""
    if request.url.path.endswith("/files"):
        return "The file is too large: the Files API takes files up to 100 MiB; set storage= for larger ones."
    try:
        size = f" ({len(request.content):,} bytes)"
    except httpx.RequestNotRead:  # a streamed body
        size = ""
    return (
        f"The request body{size} is too large: the input's values together are over the API's limit. "
        "Shorten long text; files of 1 MB or more are uploaded, not sent inline."
    )


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; an APIError that says what came instead (HTML from a proxy, nothing, a list)
    when it is not one: the API answers every request we make with an object."""
    try:
        data = json.loads(response.content)
    except ValueError:
        data = _NOT_JSON
    if isinstance(data, dict):
        return data
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    if data is _NOT_JSON:
        got = "an empty body" if not response.content.strip() else f"a body that is not JSON ({kind})"
    else:
        got = f"JSON that is not an object ({type(data).__name__})"
    request = response.request
    raise APIError(
        response.status_code,
        "Unexpected answer",
        f"{request.method} {request.url.copy_with(query=None)} answered {got}, not the JSON object the API "
        "sends. Check REPLICATE_BASE_URL: it should be the API's address (a proxy or a web page answers so).",
    )


_NOT_JSON = object()


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


def _token_help(request: httpx.Request) -> str:
    """Replicate's token page, unless a local server refused one of its own `local_` tokens (only the
    prefix is looked at: the token itself goes nowhere)."""
    sent = request.headers.get("authorization", "")
    if sent.startswith("Bearer local_") and is_loopback(str(request.url)):
        return LOCAL_TOKEN_HELP.format(origin=f"{request.url.scheme}://{request.url.netloc.decode()}")
    return TOKEN_HELP
