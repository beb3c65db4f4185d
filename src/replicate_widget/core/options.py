"""Run options: every option a run takes, typed in one place, and which of the places it can be given wins.

An option can come from the call itself, the model handle it runs (``rw.model(..., storage=...)``), the
widget that runs it (its own ``storage=``), the Client, and the environment. The call beats the handle, the
handle the widget, the widget the Client, the Client the environment: ``merge`` and ``choose_storage`` say
so, once, and every entry point (rw.run, a Client, a handle, FileInput, the Playground) goes through them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from .storage.location import StorageLocation, resolve_storage

if TYPE_CHECKING:
    from .inputs.normalize import Strategy
    from .predictions.events import RunEvent

Progress = bool | Callable[["RunEvent"], None] | None


class RunOptions(TypedDict, total=False):
    """The keyword options of ``rw.run``, ``rw.predict``, ``rw.stream``, ``rw.run_batch``, their async forms,
    a Client's same methods, a model handle (``rw.model(ref, **options)`` binds them) and a widget's run."""

    strategy: Strategy
    """How local files travel: ``"auto"`` (a data URI under 1 MB, the Files API up to 100 MiB, your bucket
    above), or always ``"data-uri"``, ``"upload"`` or ``"storage"``."""
    wait: bool | int
    """How long the create asks the API to hold the request: ``True`` a short hold then polling (progress
    from the first second), seconds 1-60, or ``False``: ``predict`` returns the prediction at once."""
    cancel_after: str | float | None
    """A deadline for the prediction on the API's side: seconds, or text such as ``"5m"``."""
    progress: Progress
    """``None``: automatic (a line updated in place in a notebook, stderr on a terminal); ``False``: none;
    a callable receives each ``rw.RunEvent``."""
    storage: str | Literal[False] | None
    """Your bucket for files over 100 MiB, ``"s3://bucket/prefix"`` (``gs://``, ``az://``); ``False``: none
    for this call, whatever the handle, widget, Client or REPLICATE_WIDGET_STORAGE say."""
    storage_expiry: int
    """Seconds the signed URL to a bucket object stays valid (1 to 604,800; default 3,600)."""
    delete_uploads: bool
    """Delete what the call uploaded (Files API uploads, its own bucket objects) once it is over."""
    timeout: float | None
    """Seconds to wait for the result before ``rw.PredictionTimeout``, which leaves the prediction running."""


RUN_OPTIONS = frozenset(RunOptions.__annotations__)


def check_names(options: Mapping[str, Any], where: str) -> None:
    """A TypeError for an option no run takes, as Python gives for any unknown keyword argument."""
    if options.keys() <= RUN_OPTIONS:  # every run asks: the usual answer without building a sorted list
        return
    unknown = sorted(set(options) - RUN_OPTIONS)
    if unknown:
        raise TypeError(
            f"{where}() got an unexpected keyword argument {unknown[0]!r}; the run options are "
            f"{', '.join(sorted(RUN_OPTIONS))}."
        )


def merge(
    call: Mapping[str, Any],
    *,
    handle: Mapping[str, Any] | None = None,
    widget: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The options of one run: the call's, else the handle's, else the widget's (a storage=None from a
    level that did not say is no choice, so it never hides a lower level's bucket)."""
    if not widget and not handle:  # a plain call: its own options only
        return {k: v for k, v in call.items() if not (k == "storage" and v is None)}
    merged: dict[str, Any] = {}
    for level in (widget or {}, handle or {}, call):
        merged.update({k: v for k, v in level.items() if not (k == "storage" and v is None)})
    return merged


def choose_storage(
    *, call: Any = None, handle: Any = None, widget: Any = None, client: Any = None
) -> StorageLocation | None:
    """The bucket for files over the Files API's limit: the call's ``storage=``, else the handle's, else the
    widget's, else the Client's, else REPLICATE_WIDGET_STORAGE. None at a level means "not said here";
    False or "" means "no bucket", and ends the search there."""
    return resolve_storage(call, handle, widget, client)
