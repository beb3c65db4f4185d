"""Client: configuration, the sync and async drivers for flows, and the per-client caches."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from . import drive as _drive
from . import http as _http
from .errors import AuthenticationError
from .http import Call, Flow
from .upload import UploadedFile, delete_flow, upload_flow

if TYPE_CHECKING:
    from collections.abc import Callable

    from .files import LocalFile
    from .schema import ModelSchema

DEFAULT_BASE_URL = "https://api.replicate.com"
USER_AGENT = "replicate-widget/0.1"
_login_token: str | None = None  # set by rw.login(); memory only
_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16)


class _Secret:
    """Holds the token so that no repr, str or traceback local shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<token hidden>"

    __str__ = __repr__


class Client:
    """Talks to Replicate (or the local server). Sync and async methods share one implementation."""

    def __init__(self, api_token: str | None = None, base_url: str | None = None) -> None:
        token = api_token or os.environ.get("REPLICATE_API_TOKEN") or _login_token
        self._token = _Secret(token) if token else None
        origin = (base_url or os.environ.get("REPLICATE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if origin.endswith("/v1"):  # accept the JS client's form too
            origin = origin[: -len("/v1")]
        self.base_url = origin
        self._origin = _http.origin(origin)
        self._http: httpx.Client | None = None
        self._ahttp: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=64, thread_name_prefix="replicate-widget"
        )
        self._lock = threading.Lock()
        self._uploads: dict[str, concurrent.futures.Future[UploadedFile]] = {}
        self.models: dict[str, dict[str, Any]] = {}  # "owner/name" -> model record
        self.versions: dict[str, dict[str, Any]] = {}  # version id -> version record
        self.schemas: dict[str, ModelSchema] = {}

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, token={'set' if self._token else 'not set'})"

    # ---- requests ------------------------------------------------------------------------------------------
    def headers_for(self, url: str) -> dict[str, str]:
        """Authorization goes only to the API's own origin; output files and streams never get it."""
        headers = {"user-agent": USER_AGENT}
        if _http.origin(url) == self._origin:
            if self._token is None:
                raise AuthenticationError(0, "No API token is configured")
            headers["authorization"] = f"Bearer {self._token.reveal()}"
        return headers

    def _build(self, client: httpx.Client | httpx.AsyncClient, call: Call, content: Any) -> httpx.Request:
        timeout = httpx.Timeout(call.timeout, connect=10.0)
        return client.build_request(
            call.method,
            call.url,
            json=call.json,
            content=content,
            headers={**self.headers_for(call.url), **call.headers},
            timeout=timeout,
        )

    def _sync_http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(limits=_LIMITS)
        return self._http

    def _async_http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._ahttp is None or self._ahttp[0] is not loop:  # an AsyncClient is bound to its loop
            self._ahttp = (loop, httpx.AsyncClient(limits=_LIMITS))
        return self._ahttp[1]

    def _request(self, call: Call) -> httpx.Response:
        client = self._sync_http()
        return client.send(self._build(client, call, call.body() if call.body else None))

    async def _arequest(self, call: Call) -> httpx.Response:
        client = self._async_http()
        content = _aiter(call.body()) if call.body else None
        return await client.send(self._build(client, call, content))

    # ---- drivers -------------------------------------------------------------------------------------------
    def drive(self, flow: Flow, abort: threading.Event | None = None) -> Any:
        """Run a flow synchronously. Ctrl-C (or ``abort``) is thrown into the flow so it can cancel."""
        return _drive.drive(self, flow, abort)

    async def adrive(self, flow: Flow) -> Any:
        """Run a flow on the event loop. Cancelling the task is thrown into the flow, like Ctrl-C."""
        return await _drive.adrive(self, flow)

    # ---- files ---------------------------------------------------------------------------------------------
    def _claim_upload(self, file: LocalFile) -> tuple[concurrent.futures.Future[UploadedFile], bool]:
        """The shared future for these bytes, and whether the caller must perform the upload."""
        digest = file.sha256
        with self._lock:
            future = self._uploads.get(digest)
            if future is not None and future.done() and (future.exception() or future.result().expired):
                future = None
            if future is None:
                future = concurrent.futures.Future()
                self._uploads[digest] = future
                return future, True
            return future, False

    def _settle(
        self, file: LocalFile, future: concurrent.futures.Future[UploadedFile], flow_result: Any
    ) -> None:
        if isinstance(flow_result, BaseException):
            with self._lock:
                if self._uploads.get(file.sha256) is future:
                    del self._uploads[file.sha256]
            future.set_exception(flow_result)
        else:
            future.set_result(flow_result)

    def upload(self, file: LocalFile, progress: Callable[[int, int], None] | None = None) -> str:
        """Upload through the Files API and return its urls.get; the same bytes go up once per client."""
        future, mine = self._claim_upload(file)
        if mine:
            try:
                record = self.drive(upload_flow(self.base_url, file, progress))
            except BaseException as exc:
                self._settle(file, future, exc)
                raise
            self._settle(file, future, record)
        record = future.result()
        if not mine and progress:
            progress(record.size, record.size)
        return record.url

    async def async_upload(self, file: LocalFile, progress: Callable[[int, int], None] | None = None) -> str:
        await asyncio.to_thread(lambda: file.sha256)  # hashing 100 MiB must not stall the loop
        future, mine = self._claim_upload(file)
        if mine:
            try:
                record = await self.adrive(upload_flow(self.base_url, file, progress))
            except BaseException as exc:
                self._settle(file, future, exc)
                raise
            self._settle(file, future, record)
        done: UploadedFile = await asyncio.wrap_future(future)
        if not mine and progress:
            progress(done.size, done.size)
        return done.url

    def uploaded(self, file: LocalFile) -> UploadedFile | None:
        """The live upload of these bytes by this client, if any."""
        future = self._uploads.get(file.sha256)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()

    def _forget_upload_flow(self, file: LocalFile) -> Flow:
        record = self.uploaded(file)
        if record is not None:
            with self._lock:
                self._uploads.pop(file.sha256, None)
            yield from delete_flow(self.base_url, record.id)

    def delete_upload(self, file: LocalFile) -> None:
        """Delete the remote copy if this client uploaded it; nothing otherwise."""
        self.drive(self._forget_upload_flow(file))

    async def async_delete_upload(self, file: LocalFile) -> None:
        await self.adrive(self._forget_upload_flow(file))

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self._pool.shutdown(wait=False)

    # ---- models and predictions (implemented in _run, _stream) ---------------------------------------------
    def schema(self, model: str) -> ModelSchema:
        from .run import resolve_flow

        return self.drive(resolve_flow(self, model)).schema  # type: ignore[no-any-return]

    async def async_schema(self, model: str) -> ModelSchema:
        from .run import resolve_flow

        return (await self.adrive(resolve_flow(self, model))).schema  # type: ignore[no-any-return]

    def cancel(self, prediction_id: str) -> Any:
        from .cancel import cancel_flow

        return self.drive(cancel_flow(self, prediction_id))

    def run(
        self,
        model: str,
        input: dict[str, Any] | None = None,
        *,
        abort: threading.Event | None = None,
        **options: Any,
    ) -> Any:
        """Run and return the output. ``abort`` (set from another thread, e.g. a Stop button) cancels the
        remote prediction and raises KeyboardInterrupt here, as Ctrl-C does."""
        from .run import run_flow

        return self.drive(run_flow(self, model, input, **options), abort)

    def predict(
        self,
        model: str,
        input: dict[str, Any] | None = None,
        *,
        abort: threading.Event | None = None,
        **options: Any,
    ) -> Any:
        from .run import predict_flow

        return self.drive(predict_flow(self, model, input, **options), abort)

    async def async_run(self, model: str, input: dict[str, Any] | None = None, **options: Any) -> Any:
        from .run import run_flow

        return await self.adrive(run_flow(self, model, input, **options))

    async def async_predict(self, model: str, input: dict[str, Any] | None = None, **options: Any) -> Any:
        from .run import predict_flow

        return await self.adrive(predict_flow(self, model, input, **options))

    def run_batch(
        self, model: str, inputs: list[dict[str, Any]], *, concurrency: int = 8, **options: Any
    ) -> list[Any]:
        from .batch import run_batch

        return run_batch(self, model, inputs, concurrency=concurrency, **options)

    async def async_run_batch(
        self, model: str, inputs: list[dict[str, Any]], *, concurrency: int = 8, **options: Any
    ) -> list[Any]:
        from .batch import async_run_batch

        return await async_run_batch(self, model, inputs, concurrency=concurrency, **options)

    def stream(self, model: str, input: dict[str, Any] | None = None, **options: Any) -> Iterator[Any]:
        from .stream import stream

        return stream(self, model, input, **options)


_defaults: dict[tuple[str | None, str | None, str | None], Client] = {}


def default_client() -> Client:
    """The client of rw.run and friends: from the environment (or rw.login), rebuilt when that changes."""
    key = (os.environ.get("REPLICATE_API_TOKEN"), os.environ.get("REPLICATE_BASE_URL"), _login_token)
    if key not in _defaults:
        forget_default_client()
        _defaults[key] = Client()
    return _defaults[key]


def forget_default_client() -> None:
    _defaults.clear()


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
