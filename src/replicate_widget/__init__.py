"""Run Replicate models on files from a notebook. The public API, and nothing else."""

from .core.api import (
    async_predict,
    async_run,
    async_run_batch,
    async_stream,
    batch,
    predict,
    prediction,
    predictions,
    run,
    run_batch,
    stream,
)
from .core.batches import Batch, BatchItem
from .core.errors import (
    APIError,
    AuthenticationError,
    ConnectionError,
    DiskFullError,
    InputError,
    ModelError,
    PredictionAborted,
    PredictionCanceled,
    PredictionTimeout,
    ReplicateWidgetError,
    StorageError,
    TransferError,
)
from .core.inputs.local_file import LocalFile
from .core.login import login
from .core.options import RunOptions
from .core.outputs.file_output import FileOutput
from .core.predictions.events import RunEvent
from .core.predictions.live import Prediction
from .core.settings import apply_dotenv as _apply_dotenv
from .explore.client import Client
from .explore.handle import deployment, model
from .explore.search import collection, collections, search
from .widgets.file_input import FileInput
from .widgets.playground.widget import Playground

# A `.env` in the working directory (a notebook's folder: `replicate-widget demo` writes one) that sets
# REPLICATE_BASE_URL wins over the shell's settings, from the first cell on (core/settings.py).
_apply_dotenv()

__all__ = [
    "APIError",
    "AuthenticationError",
    "Batch",
    "BatchItem",
    "Client",
    "ConnectionError",
    "DiskFullError",
    "FileInput",
    "FileOutput",
    "InputError",
    "LocalFile",
    "ModelError",
    "Playground",
    "Prediction",
    "PredictionAborted",
    "PredictionCanceled",
    "PredictionTimeout",
    "ReplicateWidgetError",
    "RunEvent",
    "RunOptions",
    "StorageError",
    "TransferError",
    "async_predict",
    "async_run",
    "async_run_batch",
    "async_stream",
    "batch",
    "collection",
    "collections",
    "deployment",
    "login",
    "model",
    "predict",
    "prediction",
    "predictions",
    "run",
    "run_batch",
    "search",
    "stream",
]
