"""Client: configuration (token, base URL), its resources, and the public methods (each a flow and a driver).

The flows live in run.py, stream.py, batches/, predictions/ and inputs/files_api.py; the drivers in
network/drive.py; the network in network/transport.py. A Client owns an httpx connection pool (sync, and
one per event loop for async) on one httpx transport (``transport=``), a few waiting threads started on
first need, and its memory of models and uploads; `close()` (or `with`) releases them. Everything it
fetches goes through that pool: API calls, uploads, streams and its outputs' files.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING, Any

from .batches import Batch, start_batch
from .batches.async_run import async_run_batch
from .batches.compat import run_batch
from .context import ApiContext
from .errors import short_traceback
from .handles import ModelArg, unpack
from .inputs.files_api import UploadedFile, forget_flow
from .network import drive as _drive
from .network.http import Flow, Upload
from .network.transport import AsyncHttpTransport, Credentials, HttpTransport, UploadProgress
from .options import RunOptions
from .predictions import live
from .predictions.cancel import cancel_flow
from .progress import (
    batch_reporting,
    check_progress,
    reported_async_iterator,
    reported_iterator,
    reporting,
)
from .refs import resolve_flow
from .run import predict_flow, run_flow
from .settings import apply_dotenv
from .storage.location import StorageLocation
from .storage.stores import Stores
from .stream import async_stream, stream

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Unpack

    import httpx

    from .inputs.local_file import LocalFile
    from .schema import ModelSchema

DEFAULT_BASE_URL = "https://api.replicate.com"
_login_token: str | None = None  # set by rw.login(); memory only


class Client:
    """Talks to Replicate (or the local server). Sync and async methods share one implementation."""

    def __init__(
        self,
        api_token: str | None = None,
        base_url: str | None = None,
        *,
        storage: str | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``storage="s3://bucket/prefix"``: where files over the Files API limit go (see storage/); a
        call's own ``storage=`` wins, and without either REPLICATE_WIDGET_STORAGE is read at each call.

        ``transport``: the httpx transport every request of this client goes through (API calls, uploads,
        streams, output files), as ``httpx.Client(transport=...)`` takes it: an ``httpx.BaseTransport``
        for the sync methods, an ``httpx.AsyncBaseTransport`` for the async ones (``httpx.MockTransport``
        is both). None: the network. The token still goes only to the API's origin."""
        token = api_token or os.environ.get("REPLICATE_API_TOKEN") or _login_token
        origin = (base_url or os.environ.get("REPLICATE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if origin.endswith("/v1"):  # accept the JS client's form too
            origin = origin[: -len("/v1")]
        self.base_url = origin
        self._credentials = Credentials(origin, token)
        if storage:
            StorageLocation.parse(storage)  # a bad URL is refused here, not at the first run
        self.storage = storage
        # Neither calls back into the client: uploads are an effect the drivers perform (network/drive.py).
        self._transport = HttpTransport(self._credentials, transport)
        self._async_transport = AsyncHttpTransport(self._credentials, transport)
        self._context = ApiContext(origin, storage=storage, downloads=self._transport)

    def __repr__(self) -> str:
        token = "set" if self._credentials.has_token else "not set"
        return f"Client(base_url={self.base_url!r}, token={token})"

    def headers_for(self, url: str) -> dict[str, str]:
        """Authorization goes only to the API's own origin; output files and streams never get it."""
        return self._credentials.headers_for(url)

    # ---- drivers -------------------------------------------------------------------------------------------
    def drive(self, flow: Flow, abort: threading.Event | None = None) -> Any:
        """Run a flow synchronously. Ctrl-C (or ``abort``) is thrown into the flow so it can cancel."""
        return _drive.drive(self._transport, flow, abort)

    async def adrive(self, flow: Flow) -> Any:
        """Run a flow on the event loop. Cancelling the task is thrown into the flow, like Ctrl-C."""
        return await _drive.adrive(self._async_transport, flow)

    # ---- resources -----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Release connections and waiting threads. The client cannot start runs afterwards."""
        self._transport.close()
        self._async_transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- files ---------------------------------------------------------------------------------------------
    @short_traceback
    def upload(self, file: LocalFile, progress: UploadProgress | None = None) -> str:
        """Upload through the Files API and return its urls.get; the same bytes go up once per client."""
        return _drive.upload(self._transport, Upload(file, self._context.uploads, self.base_url, progress))

    @short_traceback
    async def async_upload(self, file: LocalFile, progress: UploadProgress | None = None) -> str:
        return await _drive.aupload(
            self._async_transport, Upload(file, self._context.uploads, self.base_url, progress)
        )

    @property
    def stores(self) -> Stores:
        """This client's objects in the user's buckets (``storage=``), shared by sha256."""
        return self._context.stores

    def uploaded(self, file: LocalFile) -> UploadedFile | None:
        """The live upload of these bytes by this client, if any."""
        return self._context.uploads.live(file)

    @short_traceback
    def delete_upload(self, file: LocalFile) -> None:
        """Delete the remote copy if this client uploaded it; nothing otherwise."""
        self.drive(forget_flow(self._context.uploads, self.base_url, file))

    @short_traceback
    async def async_delete_upload(self, file: LocalFile) -> None:
        await self.adrive(forget_flow(self._context.uploads, self.base_url, file))

    # ---- models and predictions (flows in run.py, stream.py, batches/) -------------------------------------
    # ``model`` is a reference string or a handle (rw.model, rw.deployment): see handles.py. ``progress``
    # None (the default) is automatic progress, False none, a callable gets the events: see progress.py.
    @short_traceback
    def schema(self, model: ModelArg) -> ModelSchema:
        ref, _ = unpack(model, {})
        return self.drive(resolve_flow(self.base_url, self._context.records, ref)).schema  # type: ignore[no-any-return]

    @short_traceback
    async def async_schema(self, model: ModelArg) -> ModelSchema:
        ref, _ = unpack(model, {})
        target = await self.adrive(resolve_flow(self.base_url, self._context.records, ref))
        return target.schema  # type: ignore[no-any-return]

    @short_traceback
    def record(self, path: str) -> dict[str, Any]:
        """The record at ``/v1/{path}`` (a model, version or deployment), fetched once per client and shared
        with the lookups runs make: a card and a run of the same model ask once."""
        return self.drive(self._context.records.fetch_flow(f"{self.base_url}/v1/{path}"))  # type: ignore[no-any-return]

    @short_traceback
    def cancel(self, prediction_id: str) -> Any:
        return self.drive(cancel_flow(self.base_url, prediction_id))

    @short_traceback
    def prediction(self, prediction_id: str) -> live.Prediction:
        """The prediction with this id, as a live handle: .wait() .reload() .cancel() .output .stream()."""
        return live.get(self, prediction_id)

    @short_traceback
    def predictions(self, limit: int = 20, since: Any = None) -> live.PredictionList:
        """The newest ``limit`` predictions (created after ``since``: a datetime, a timedelta ago, ISO)."""
        return live.listing(self, limit, since)

    @short_traceback
    def run(
        self,
        model: ModelArg,
        input: dict[str, Any] | None = None,
        *,
        abort: threading.Event | None = None,
        defaults: RunOptions | None = None,
        **options: Unpack[RunOptions],
    ) -> Any:
        """Run and return the output. ``abort`` (set from another thread, e.g. a Stop button) cancels the
        remote prediction and raises KeyboardInterrupt here, as Ctrl-C does. ``defaults``: options that apply
        where neither this call nor the model's handle sets one (a widget's own ``storage=``)."""
        ref, opts = unpack(model, options, defaults, where="run")
        with reporting(ref, opts.pop("progress", None)) as progress:
            return self.drive(run_flow(self._context, ref, input, progress=progress, **opts), abort)

    @short_traceback
    def predict(
        self,
        model: ModelArg,
        input: dict[str, Any] | None = None,
        *,
        abort: threading.Event | None = None,
        defaults: RunOptions | None = None,
        **options: Unpack[RunOptions],
    ) -> live.Prediction:
        """Run and return the prediction (``wait=False``: at once, as created); a failed run is returned."""
        ref, opts = unpack(model, options, defaults, where="predict")
        with reporting(ref, opts.pop("progress", None)) as progress:
            record = self.drive(predict_flow(self._context, ref, input, progress=progress, **opts), abort)
        return live.Prediction.attach(record, self)

    @short_traceback
    async def async_run(
        self, model: ModelArg, input: dict[str, Any] | None = None, **options: Unpack[RunOptions]
    ) -> Any:
        """The async form of run: cancelling the task, as Ctrl-C does, cancels the prediction."""
        ref, opts = unpack(model, options, where="async_run")
        with reporting(ref, opts.pop("progress", None)) as progress:
            return await self.adrive(run_flow(self._context, ref, input, progress=progress, **opts))

    @short_traceback
    async def async_predict(
        self, model: ModelArg, input: dict[str, Any] | None = None, **options: Unpack[RunOptions]
    ) -> live.Prediction:
        """The async form of predict."""
        ref, opts = unpack(model, options, where="async_predict")
        with reporting(ref, opts.pop("progress", None)) as progress:
            record = await self.adrive(predict_flow(self._context, ref, input, progress=progress, **opts))
        return live.Prediction.attach(record, self)

    @short_traceback
    def run_batch(
        self,
        model: ModelArg,
        inputs: list[dict[str, Any]],
        *,
        concurrency: int = 8,
        defaults: RunOptions | None = None,
        **options: Unpack[RunOptions],
    ) -> list[Any]:
        """The model once per input, ``concurrency`` at a time: outputs in input order, a failed item's
        exception in its place."""
        ref, opts = unpack(model, options, defaults, where="run_batch")
        with batch_reporting(ref, len(inputs), opts.pop("progress", None)) as (progress, done):
            return run_batch(
                self._transport,
                self._context,
                ref,
                inputs,
                concurrency=concurrency,
                on_item_done=done,
                options={**opts, "progress": progress},
            )

    @short_traceback
    def batch(
        self,
        model: ModelArg | list[ModelArg],
        inputs: Any,
        *,
        out: Any = None,
        field: str | None = None,
        rate: float | None = None,
        concurrency: int = 8,
        retry_failed: bool = False,
        **options: Unpack[RunOptions],
    ) -> Batch:
        """Every input through ``model`` (or each of a list of models), in the background; see rw.batch."""
        refs = [unpack(m, {})[0] for m in (model if isinstance(model, list) else [model])]
        return start_batch(
            self._transport,
            self._context,
            refs,
            inputs,
            out=out,
            field=field,
            rate=rate,
            concurrency=concurrency,
            retry_failed=retry_failed,
            options=options,
        )

    @short_traceback
    async def async_run_batch(
        self,
        model: ModelArg,
        inputs: list[dict[str, Any]],
        *,
        concurrency: int = 8,
        **options: Unpack[RunOptions],
    ) -> list[Any]:
        """The async form of run_batch."""
        ref, opts = unpack(model, options, where="async_run_batch")
        with batch_reporting(ref, len(inputs), opts.pop("progress", None)) as (progress, done):
            return await async_run_batch(
                self.adrive,
                self._context,
                ref,
                inputs,
                concurrency=concurrency,
                on_item_done=done,
                options={**opts, "progress": progress},
            )

    @short_traceback
    def stream(
        self, model: ModelArg, input: dict[str, Any] | None = None, **options: Unpack[RunOptions]
    ) -> Iterator[Any]:
        """Text chunks as the model produces them; leaving early cancels the prediction."""
        ref, opts = unpack(model, options, where="stream")
        progress = _stream_progress(opts)
        return reported_iterator(
            ref,
            progress,
            lambda call: stream(self.drive, self._context, ref, input, progress=call, **opts),
        )

    def async_stream(
        self, model: ModelArg, input: dict[str, Any] | None = None, **options: Unpack[RunOptions]
    ) -> AsyncGenerator[Any, None]:
        """The async form of stream: ``async for chunk in client.async_stream(...)``."""
        ref, opts = unpack(model, options, where="async_stream")
        progress = _stream_progress(opts)
        return reported_async_iterator(
            ref,
            progress,
            lambda call: async_stream(
                self.adrive,
                self._context,
                ref,
                input,
                progress=call,
                downloads=self._async_transport,
                **opts,
            ),
        )


def _stream_progress(options: dict[str, Any]) -> Any:
    """Checked now, not at the first next(): a stream's mistakes show where it was asked for."""
    if "wait" in options:
        raise TypeError(
            "stream() takes no wait=: a stream starts at once and ends with the prediction. "
            "Use run() or predict() to wait for a result."
        )
    progress = options.pop("progress", None)
    check_progress(progress)
    return progress


_defaults: dict[tuple[str | None, str | None, str | None], Client] = {}
_public_class: type[Client] | None = None  # rw.Client, registered by explore/client.py (a layer above)


def register_public_class(cls: type[Client]) -> None:
    """Make every client the package builds itself an ``cls``: rw.Client, this class plus the exploring
    methods, so ``rw.model(...).client`` or a widget's client is the one class users know."""
    global _public_class  # noqa: PLW0603 (set once, when explore/client.py is imported)
    _public_class = cls


def new_client() -> Client:
    """A client from the environment, of the public class (rw.Client)."""
    return (_public_class or Client)()


def default_client() -> Client:
    """The client of rw.run and friends: from the environment (or rw.login), rebuilt when that changes."""
    apply_dotenv()  # a `.env` rewritten since (a restarted demo's new token) is followed
    key = (os.environ.get("REPLICATE_API_TOKEN"), os.environ.get("REPLICATE_BASE_URL"), _login_token)
    if key not in _defaults:
        forget_default_client()
        _defaults[key] = new_client()
    return _defaults[key]


def forget_default_client() -> None:
    """Close and drop the default client; the next rw.run builds one from the environment again."""
    dropped = list(_defaults.values())
    _defaults.clear()
    for client in dropped:
        client.close()
