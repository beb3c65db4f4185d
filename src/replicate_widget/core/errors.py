"""Every exception replicate-widget raises, as one tree.

    ReplicateWidgetError                 base of everything below
        InputError(ValueError)           refused before any request: too large, bad scheme, broken data URI,
                                         schema problems (.problems lists every one)
        TransferError                    a widget file not complete in the kernel (.progress), or cut off
        StorageError                     the user's bucket refused (credentials, bucket, access): says what to
                                         set (.location)
        DiskFullError(OSError)           no space left on this machine's disk (.folder): nothing half-written
        APIError                         an HTTP problem: .status .title .detail .invalid_fields
            AuthenticationError          401, or no token configured (says how to set one)
            ConnectionError              no answer at all (.status 0): refused, unreachable, timed out
        ModelError                       the prediction failed: .prediction (with error and logs)
            PredictionCanceled
            PredictionAborted
        PredictionTimeout(TimeoutError)  timeout= passed; the prediction runs on (.prediction names it)

Messages never carry the API token: they are built from server answers and our own words only.
"""

from __future__ import annotations

import builtins
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .predictions.record import PredictionRecord

# Advice on how to set a token, not a token.
TOKEN_HELP = (
    "Set REPLICATE_API_TOKEN (https://replicate.com/account/api-tokens), call rw.login(), "  # noqa: S105
    "or start the local server with `replicate-widget serve` and use the two lines it prints."
)


class ReplicateWidgetError(Exception):
    """Base class of every error raised by replicate-widget."""


class InputError(ReplicateWidgetError, ValueError):
    """An input was refused before any request was made.

    ``problems`` lists every problem found, one sentence each, so a form or a cell can show them all at once.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems: list[str] = list(problems) if problems else [message]
        super().__init__(message)


class TransferError(ReplicateWidgetError):
    """A file picked in the widget is not (or no longer) complete in the kernel.

    ``progress`` is the fraction received, from 0.0 to 1.0.
    """

    def __init__(self, message: str, progress: float = 0.0) -> None:
        self.progress = progress
        super().__init__(message)


class StorageError(ReplicateWidgetError):
    """The user's own bucket (``storage=``) could not take a file: no credentials, no such bucket, access
    denied, or the [storage] extra is missing. The message says what to set; it never holds a credential.

    ``location`` is the bucket and prefix, e.g. ``"s3://bucket/prefix"``.
    """

    def __init__(self, message: str, location: str = "") -> None:
        self.location = location
        super().__init__(message)


class DiskFullError(ReplicateWidgetError, OSError):
    """No space left on a disk of this machine while writing a file (an output saved, a copy spooled).

    Nothing half-written is left: files are written under a temporary name and renamed when complete.
    ``folder`` is where the file was going.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        super().__init__(
            f"No space left on the disk holding {folder}: free some space (or choose another folder) and run "
            "again. Nothing half-written was left there."
        )


class APIError(ReplicateWidgetError):
    """The API answered with an HTTP error. Fields follow RFC 7807 problem+json, as Replicate sends it."""

    def __init__(
        self,
        status: int,
        title: str = "",
        detail: str = "",
        invalid_fields: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.invalid_fields: list[dict[str, Any]] = list(invalid_fields or [])
        super().__init__(self._message())

    def _message(self) -> str:
        # status 0 means no request was made (no token configured): no HTTP code to show.
        head = " ".join(part for part in (f"HTTP {self.status}" if self.status else "", self.title) if part)
        parts = [head]
        if self.detail:
            parts.append(self.detail.strip())
        for field in self.invalid_fields:
            what = str(field.get("description", field.get("type", "")))
            if what and what in self.detail:  # Replicate's detail already lists each problem: say it once
                continue
            parts.append(f"- {field.get('field', '?')}: {what}")
        return ": ".join(parts[:2]) + ("\n" + "\n".join(parts[2:]) if len(parts) > 2 else "")


class ConnectionError(APIError, builtins.ConnectionError):
    """The API could not be reached: the connection was refused, the host unreachable, or it gave no answer
    in time (after the retries the request allows). ``status`` is 0: no HTTP answer came. Also a builtin
    ConnectionError, so code that catches that catches this."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(0, title, detail)


# A local server makes a new `local_` token at each start: a kernel holding the last one gets 401s.
LOCAL_TOKEN_HELP = (
    "The local server at {origin} refused this kernel's local_ token: the server makes a new token each "  # noqa: S105
    "time it starts, so it has been restarted since. `replicate-widget env` in a shell prints its current "
    "REPLICATE_BASE_URL and REPLICATE_API_TOKEN: set them in the kernel (os.environ), or restart the kernel "
    "(a notebook in the demo's folder reads them from its .env)."
)


class AuthenticationError(APIError):
    """No token is configured, or the API refused the one given (HTTP 401)."""

    def __init__(
        self, status: int = 401, title: str = "Unauthenticated", detail: str = "", advice: str = TOKEN_HELP
    ) -> None:
        detail = detail.strip()
        if detail and detail[-1] not in ".!?":
            detail += "."
        super().__init__(status, title, f"{detail} {advice}".strip())


class ModelError(ReplicateWidgetError):
    """The prediction ran and failed. ``prediction`` holds its error and logs."""

    def __init__(self, prediction: PredictionRecord, message: str | None = None) -> None:
        self.prediction = prediction
        if message is None:
            message = f"Prediction {prediction.id} failed: {prediction.error or 'no error message'}"
            tail = _log_tail(prediction.logs)
            if tail:
                message += f"\nLast log lines:\n{tail}"
        super().__init__(message)


class PredictionCanceled(ModelError):
    """The prediction was canceled (by you, by Cancel-After while running, or from the web)."""

    def __init__(self, prediction: PredictionRecord) -> None:
        super().__init__(prediction, f"Prediction {prediction.id} was canceled before it finished.")


class PredictionAborted(ModelError):
    """The prediction's deadline passed before it started, so it never ran."""

    def __init__(self, prediction: PredictionRecord) -> None:
        super().__init__(
            prediction,
            f"Prediction {prediction.id} was aborted: its deadline passed before it started. "
            "Try again with a longer cancel_after, or when the model is less busy.",
        )


class PredictionTimeout(ReplicateWidgetError, TimeoutError):
    """``timeout=`` seconds passed before the prediction ended. It was not canceled: it runs on, and
    ``rw.prediction(id)`` picks it up again."""

    def __init__(self, prediction: PredictionRecord, timeout: float) -> None:
        self.prediction = prediction
        self.timeout = timeout
        super().__init__(
            f"Prediction {prediction.id} is still {prediction.status or 'running'} after {timeout:g} s, "
            f"and runs on: rw.prediction({prediction.id!r}).wait() waits for it again, .cancel() stops it."
        )


def _log_tail(logs: str | None, lines: int = 5) -> str:
    if not logs:
        return ""
    return "\n".join(logs.rstrip().splitlines()[-lines:])


F = TypeVar("F", bound=Callable[..., Any])


def short_traceback(function: F) -> F:
    """Show our errors from where the caller called us, not from deep inside the library.

    An error of ours already says what happened and what to do; the frames of flows and drivers (and httpx's
    chain under them) only bury that line. IPython hides the wrapper frames (``__tracebackhide__``).
    Errors that are not ours (bugs) keep their whole traceback.
    """
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            try:
                return await function(*args, **kwargs)
            except ReplicateWidgetError as exc:
                raise exc.with_traceback(None) from None

        return wrapped_async  # type: ignore[return-value]

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        try:
            result = function(*args, **kwargs)
        except ReplicateWidgetError as exc:
            raise exc.with_traceback(None) from None
        return _short_iterator(result) if inspect.isgenerator(result) else result

    return wrapped  # type: ignore[return-value]


def _short_iterator(items: Iterator[Any]) -> Iterator[Any]:
    __tracebackhide__ = True
    try:
        return (yield from items)
    except ReplicateWidgetError as exc:
        raise exc.with_traceback(None) from None
