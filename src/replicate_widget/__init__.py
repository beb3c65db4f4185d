"""Run Replicate models on files from a notebook. The public API, and nothing else."""

from .core.api import async_predict, async_run, predict, run, run_batch, stream
from .core.client import Client
from .core.errors import (
    APIError,
    AuthenticationError,
    InputError,
    ModelError,
    PredictionAborted,
    PredictionCanceled,
    ReplicateWidgetError,
    StorageError,
    TransferError,
)
from .core.files import LocalFile
from .core.login import login
from .core.outputs import FileOutput
from .core.prediction import Prediction
from .widgets.file_input import FileInput
from .widgets.playground.widget import Playground

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
    "StorageError",
    "TransferError",
    "async_predict",
    "async_run",
    "login",
    "predict",
    "run",
    "run_batch",
    "stream",
]
