"""What a flow needs from the client that runs it, as one small value: no flow touches a Client."""

from __future__ import annotations

from dataclasses import dataclass, field

from .inputs.uploaded import UploadCache
from .outputs.file_output import Downloads, FileOutput
from .refs import ModelRecords
from .storage.stores import Stores


@dataclass(frozen=True)
class ApiContext:
    """The API's origin (requests go to ``{base_url}/v1/...``); a client's memory of models and uploads;
    its bucket for big files (``storage``, the Client's option; a call's own wins) and its objects there;
    what its output files fetch through (``downloads``: the client's transport)."""

    base_url: str
    records: ModelRecords = field(default_factory=ModelRecords)
    uploads: UploadCache = field(default_factory=UploadCache)
    storage: str | None = None
    stores: Stores = field(default_factory=Stores)
    downloads: Downloads | None = None

    def file_output(self, url: str) -> FileOutput:
        """An output file that fetches through the client's connection pool."""
        return FileOutput(url, downloads=self.downloads)
