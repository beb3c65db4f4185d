"""Everything a running server holds, shared by its routes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import build_deployments
from .faults import Faults
from .files import FileStore
from .inputs import InputResolver
from .log import RequestLog
from .predictions import Predictions
from .ratelimit import RateLimit
from .registry import ModelSpec, Registry
from .workers import WorkerPool


@dataclass
class ServerState:
    base_url: str
    token: str
    root: Path  # a private temporary directory: uploads, outputs, worker directories
    models: list[ModelSpec]
    extra_deployments: list[str] = field(default_factory=list)  # `owner/name=model` from --deployment
    log: RequestLog = field(default_factory=RequestLog)
    faults: Faults = field(default_factory=Faults)
    rate_limit: RateLimit | None = None  # creates refused with 429 past this rate (--rate-limit)
    # Signs the capability URLs (downloads, outputs, streams, Cog's callbacks); new on every start.
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def __post_init__(self) -> None:
        self.registry = Registry(self.models)
        self.deployments = build_deployments(self.registry, self.extra_deployments)
        self.files = FileStore(self.root / "files", self.secret)
        self.outputs = self.root / "outputs"
        self.outputs.mkdir(parents=True, exist_ok=True)
        self.cog_token = secrets.token_hex(16)
        self.workers = WorkerPool(
            self.root / "workers",
            webhook_url=f"{self.base_url}/_cog/{self.cog_token}/webhook",
            upload_url=f"{self.base_url}/_cog/{self.cog_token}/upload/",
        )
        (self.root / "workers").mkdir(parents=True, exist_ok=True)
        self.predictions = Predictions(self.workers, self.secret)
        self.resolver = InputResolver(self.files, self.base_url)
