"""Module-level functions of the public API: each is the same method on the environment's default client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .client import Client, default_client
from .errors import short_traceback
from .prediction import Prediction


def _client(client: Client | None) -> Client:
    return client if client is not None else default_client()


@short_traceback
def run(
    model: str, input: dict[str, Any] | None = None, *, client: Client | None = None, **options: Any
) -> Any:
    """Run ``model`` on ``input`` and return its output as Python objects (files as FileOutput).

    Options: strategy ("auto" | "data-uri" | "upload" | "storage"), wait (True | seconds 1-60 | False),
    cancel_after (seconds or "5m"), progress (callable receiving RunEvent), delete_uploads (bool), storage
    ("s3://bucket/prefix", gs://, az://: where files over 100 MiB go; else REPLICATE_WIDGET_STORAGE) and
    storage_expiry (seconds a signed URL stays valid, default 3600).
    """
    return _client(client).run(model, input, **options)


@short_traceback
def predict(
    model: str, input: dict[str, Any] | None = None, *, client: Client | None = None, **options: Any
) -> Prediction:
    """Like run, but returns the final Prediction (status, output, logs, error, metrics) without raising."""
    result: Prediction = _client(client).predict(model, input, **options)
    return result


@short_traceback
async def async_run(
    model: str, input: dict[str, Any] | None = None, *, client: Client | None = None, **options: Any
) -> Any:
    return await _client(client).async_run(model, input, **options)


@short_traceback
async def async_predict(
    model: str, input: dict[str, Any] | None = None, *, client: Client | None = None, **options: Any
) -> Prediction:
    result: Prediction = await _client(client).async_predict(model, input, **options)
    return result


@short_traceback
def run_batch(
    model: str,
    inputs: list[dict[str, Any]],
    *,
    concurrency: int = 8,
    client: Client | None = None,
    **options: Any,
) -> list[Any]:
    """The model once per input, ``concurrency`` at a time; in order; a failed item is its exception."""
    return _client(client).run_batch(model, inputs, concurrency=concurrency, **options)


@short_traceback
def stream(
    model: str, input: dict[str, Any] | None = None, *, client: Client | None = None, **options: Any
) -> Iterator[Any]:
    """Text chunks as a streaming model produces them. Stopping early cancels the prediction."""
    return _client(client).stream(model, input, **options)
