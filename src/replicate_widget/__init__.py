"""Run Replicate models on files from a notebook. The public API, and nothing else."""

from .core.api import async_predict, async_run, async_stream, predict, run, run_batch, stream
from .core.errors import (
    APIError,
    AuthenticationError,
    DiskFullError,
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
    "Client",
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
    "ReplicateWidgetError",
    "RunEvent",
    "StorageError",
    "TransferError",
    "async_predict",
    "async_run",
    "async_stream",
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
