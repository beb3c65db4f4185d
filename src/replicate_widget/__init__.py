"""Run Replicate models on files from a notebook. The public API, and nothing else."""

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

__all__ = [
    "APIError",
    "AuthenticationError",
    "InputError",
    "ModelError",
    "PredictionAborted",
    "PredictionCanceled",
    "ReplicateWidgetError",
    "TransferError",
]
