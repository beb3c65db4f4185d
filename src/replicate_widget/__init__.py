"""Run Replicate models on files from a notebook. The public API, and nothing else."""

from .core.api import async_predict, async_run, async_stream, batch, predict, run, run_batch, stream
from .core.batches import Batch, BatchItem
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
from .core.run import RunEvent
from .explore.client import Client
from .explore.handle import deployment, model
from .explore.search import collection, collections, search
from .widgets.file_input import FileInput
from .widgets.playground.widget import Playground

__all__ = [
    "APIError",
    "AuthenticationError",
    "Batch",
    "BatchItem",
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
    "RunEvent",
    "StorageError",
    "TransferError",
    "async_predict",
    "async_run",
    "async_stream",
    "batch",
    "collection",
    "collections",
    "deployment",
    "login",
    "model",
    "predict",
    "run",
    "run_batch",
    "search",
    "stream",
]
