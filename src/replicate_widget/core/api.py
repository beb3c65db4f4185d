"""Module-level functions of the public API: each is the same method on the environment's default client.

``model`` is 'owner/name', 'owner/name:version', a 64-hex version id, 'deployments/owner/name', or a handle
from rw.model / rw.deployment (its bound options apply, overridden by this call's; so does its client).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING, Any

from .batches import Batch
from .client import Client, default_client
from .errors import short_traceback
from .handles import ModelArg, client_of
from .options import RunOptions
from .predictions.live import Prediction, PredictionList

if TYPE_CHECKING:
    from typing import Unpack


def _client(model: ModelArg, client: Client | None) -> Client:
    chosen = client_of(model, client)
    return chosen if chosen is not None else default_client()


@short_traceback
def run(
    model: ModelArg,
    input: dict[str, Any] | None = None,
    *,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> Any:
    """Run ``model`` on ``input`` and return its output as Python objects (files as FileOutput).

    Options (``rw.RunOptions`` documents each): strategy ("auto" | "data-uri" | "upload" | "storage"), wait
    (True | seconds 1-60 | False), cancel_after (seconds or "5m"), progress (None: automatic; False: off; a
    callable receiving RunEvent), timeout (seconds, then rw.PredictionTimeout), delete_uploads (bool), storage
    ("s3://bucket/prefix", gs://, az://: where files over 100 MiB go; else REPLICATE_WIDGET_STORAGE) and
    storage_expiry (seconds a signed URL stays valid, default 3600).
    """
    return _client(model, client).run(model, input, **options)


@short_traceback
def predict(
    model: ModelArg,
    input: dict[str, Any] | None = None,
    *,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> Prediction:
    """Like run, but returns the final Prediction (status, output, logs, error, metrics) without raising."""
    result: Prediction = _client(model, client).predict(model, input, **options)
    return result


@short_traceback
async def async_run(
    model: ModelArg,
    input: dict[str, Any] | None = None,
    *,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> Any:
    """The async form of run: ``await rw.async_run(...)``. Cancelling the task cancels the prediction."""
    return await _client(model, client).async_run(model, input, **options)


@short_traceback
async def async_predict(
    model: ModelArg,
    input: dict[str, Any] | None = None,
    *,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> Prediction:
    """The async form of predict: ``await rw.async_predict(...)``."""
    result: Prediction = await _client(model, client).async_predict(model, input, **options)
    return result


@short_traceback
def run_batch(
    model: ModelArg,
    inputs: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> list[Any]:
    """The model once per input, ``concurrency`` at a time; in order; a failed item is its exception."""
    return _client(model, client).run_batch(model, inputs, concurrency=concurrency, **options)


@short_traceback
async def async_run_batch(
    model: ModelArg,
    inputs: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> list[Any]:
    """The async form of run_batch: ``await rw.async_run_batch(...)``."""
    return await _client(model, client).async_run_batch(model, inputs, concurrency=concurrency, **options)


@short_traceback
def batch(
    model: ModelArg | list[ModelArg],
    inputs: Any,
    *,
    out: Any = None,
    field: str | None = None,
    rate: float | None = None,
    concurrency: int = 8,
    retry_failed: bool = False,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> Batch:
    """Every input through ``model`` (a list of models: each of them, shown as a grid), in the background.

    ``inputs``: a list of dicts, a list of paths, a folder, a glob, or a .jsonl file; files go to the model's
    file input (``field=`` names it when there are several). ``out``: the folder where the outputs, a
    ``results.jsonl`` and the ledger are kept; running the same call again resumes without paying twice
    (None: a temporary folder). ``rate``: creates a minute (default 600, Replicate's limit; 0: no limit).
    ``retry_failed``: items that failed in an earlier run of this ``out`` are tried again (else skipped).
    Returns a Batch at once: iterate it (completion order), .wait(), .cancel(), .results(), .failed,
    .retry_failed(); in a notebook it displays as a live gallery.
    """
    first = model[0] if isinstance(model, list) and model else model
    return _client(first, client).batch(  # type: ignore[arg-type]
        model,
        inputs,
        out=out,
        field=field,
        rate=rate,
        concurrency=concurrency,
        retry_failed=retry_failed,
        **options,
    )


@short_traceback
def stream(
    model: ModelArg,
    input: dict[str, Any] | None = None,
    *,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> Iterator[Any]:
    """Text chunks as a streaming model produces them. Stopping early cancels the prediction."""
    return _client(model, client).stream(model, input, **options)


def async_stream(
    model: ModelArg,
    input: dict[str, Any] | None = None,
    *,
    client: Client | None = None,
    **options: Unpack[RunOptions],
) -> AsyncGenerator[Any, None]:
    """The async form of stream: ``async for chunk in rw.async_stream(...)``.

    To leave early, iterate inside ``async with contextlib.aclosing(rw.async_stream(...)) as chunks:``; the
    prediction is then cancelled as the block ends (an async generator is only closed when asked to)."""
    return _client(model, client).async_stream(model, input, **options)


@short_traceback
def prediction(prediction_id: str, *, client: Client | None = None) -> Prediction:
    """The prediction with this id (from a run's progress line, or rw.predictions()), as a live handle:
    ``.wait(timeout=None)``, ``.reload()``, ``.cancel()``, ``.output``, ``.stream()``; after a restart too."""
    return (client or default_client()).prediction(prediction_id)


@short_traceback
def predictions(limit: int = 20, since: Any = None, *, client: Client | None = None) -> PredictionList:
    """The newest ``limit`` predictions, newest first (``since``: a datetime, a timedelta ago, or ISO 8601
    text); displays as a table of status, model, age and output."""
    return (client or default_client()).predictions(limit, since)
