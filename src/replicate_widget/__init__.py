"""Run Replicate models on files from a notebook. The public API, and nothing else."""

from ._api import async_predict, async_run, predict, run, run_batch, stream
from ._client import Client
from ._errors import (
    APIError,
    AuthenticationError,
    InputError,
    ModelError,
    PredictionAborted,
    PredictionCanceled,
    ReplicateWidgetError,
    TransferError,
)
from ._files import LocalFile
from ._login import login
from ._outputs import FileOutput
from ._playground import Playground
from ._prediction import Prediction
from ._widget import FileInput

__all__ = [
    "APIError",
    "AuthenticationError",
    "Client",
    "FileInput",
    "FileOutput",
    "InputError",
    "LocalFile",
    "ModelError",
    "Playground",
    "Prediction",
    "PredictionAborted",
    "PredictionCanceled",
    "ReplicateWidgetError",
    "TransferError",
    "async_predict",
    "async_run",
    "login",
    "predict",
    "run",
    "run_batch",
    "stream",
]
