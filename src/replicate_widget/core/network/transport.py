"""How the drivers reach the network: two small protocols, and their httpx implementations.

A driver (drive.py) needs two things: send a `Call` and get the response, and start one in the background (so
that Ctrl-C can land while we wait for an answer we still need). `HttpTransport` does them with httpx.Client,
`AsyncHttpTransport` with httpx.AsyncClient, both built on the client's ``transport=`` (an httpx transport:
the network by default, httpx.MockTransport in tests). They are the client's one way out: API calls, streams
(stream.py) and output files (outputs/file_output.py, through `open`) share their connection pool.

API calls carry the token, and only to the API's own origin, and never follow redirects (a redirect would
carry the request, and with it the token, elsewhere; http.py turns it into an APIError). `open` is for the
capability URLs a prediction hands out (output files, streams): never the token, and redirects followed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

import httpx

from ..errors import AuthenticationError
from .http import Call, origin

USER_AGENT = "replicate-widget/0.1"
UploadProgress = Callable[[int, int], None]
# What Client(transport=) takes: httpx.MockTransport is both kinds; a sync-only one serves the sync methods.
AnyTransport = httpx.BaseTransport | httpx.AsyncBaseTransport
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what an Authorization header can carry
_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16)
# Threads that wait for answers while the caller stays interruptible: one per run in flight on the main thread
# or with an abort event (a widget's run). A batch brings its own, sized to its concurrency.
_WAITERS = 8


class Transport(Protocol):
    """What the sync driver needs."""

    def send(self, call: Call) -> httpx.Response: ...

    def start(self, call: Call) -> concurrent.futures.Future[httpx.Response]: ...


class AsyncTransport(Protocol):
    """What the async driver needs."""

    async def send(self, call: Call) -> httpx.Response: ...


class Secret:
    """Holds the token so that no repr, str or traceback local shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<token hidden>"

    __str__ = __repr__


class Credentials:
    """The API's origin and its token: the token goes to that origin only."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self._origin = origin(base_url)
        token = (token or "").strip()  # pasted tokens often end in a newline; no token has one
        self._token = Secret(token) if token else None
        self._malformed = bool(token) and not _TOKEN_CHARS.fullmatch(token)

    @property
    def has_token(self) -> bool:
        return self._token is not None

    def headers_for(self, url: str) -> dict[str, str]:
        """Authorization goes only to the API's own origin; output files and streams never get it."""
        headers = {"user-agent": USER_AGENT}
        if origin(url) == self._origin:
            if self._token is None:
                raise AuthenticationError(0, "No API token is configured")
            if self._malformed:  # no header can carry it, and the error must not show it either
                raise AuthenticationError(
                    0,
                    "Malformed API token",
                    "The API token contains characters no token has (spaces, line breaks or non-ASCII "
                    "letters): copy it again",
                )
            headers["authorization"] = f"Bearer {self._token.reveal()}"
        return headers


def _build(
    http: httpx.Client | httpx.AsyncClient, credentials: Credentials, call: Call, content: Any
) -> httpx.Request:
    return http.build_request(
        call.method,
        call.url,
        json=call.json,
        content=content,
        headers={**credentials.headers_for(call.url), **call.headers},
        timeout=httpx.Timeout(call.timeout, connect=10.0),
    )


def _fetch_request(
    http: httpx.Client | httpx.AsyncClient,
    method: str,
    url: str,
    timeout: httpx.Timeout,
    headers: dict[str, str],
) -> httpx.Request:
    # Not Credentials.headers_for: output and stream URLs are capabilities, even on the API's own origin (the
    # local server's are), and the token stays home. The pools hold no default headers or auth to leak.
    return http.build_request(method, url, headers={"user-agent": USER_AGENT, **headers}, timeout=timeout)


def _sync_transport(transport: AnyTransport | None) -> httpx.BaseTransport | None:
    if transport is None or isinstance(transport, httpx.BaseTransport):
        return transport
    raise TypeError(
        f"This client's transport ({type(transport).__name__}) is async only: use the async methods, or "
        "pass an httpx.BaseTransport (httpx.MockTransport is both)."
    )


def _async_transport(transport: AnyTransport | None) -> httpx.AsyncBaseTransport | None:
    if transport is None or isinstance(transport, httpx.AsyncBaseTransport):
        return transport
    raise TypeError(
        f"This client's transport ({type(transport).__name__}) is sync only: use the sync methods, or "
        "pass an httpx.AsyncBaseTransport (httpx.MockTransport is both)."
    )


class HttpTransport:
    """`Transport` over httpx.Client. The connection pool and the waiting threads start when first needed.

    ``transport``: the httpx transport the pool is built on (None: httpx's own, the network)."""

    def __init__(self, credentials: Credentials, transport: AnyTransport | None = None) -> None:
        self._credentials = credentials
        self._transport = transport
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._waiters: concurrent.futures.ThreadPoolExecutor | None = None
        self._closed = False

    def _client(self) -> httpx.Client:
        with self._lock:
            self._check_open()
            if self._http is None:
                self._http = httpx.Client(limits=_LIMITS, transport=_sync_transport(self._transport))
            return self._http

    def send(self, call: Call) -> httpx.Response:
        http = self._client()
        return http.send(_build(http, self._credentials, call, call.body() if call.body else None))

    def start(self, call: Call) -> concurrent.futures.Future[httpx.Response]:
        with self._lock:
            self._check_open()
            if self._waiters is None:
                self._waiters = concurrent.futures.ThreadPoolExecutor(_WAITERS, "replicate-widget-wait")
            waiters = self._waiters
        return waiters.submit(self.send, call)

    @contextlib.contextmanager
    def open(
        self,
        method: str,
        url: str,
        *,
        timeout: httpx.Timeout = DOWNLOAD_TIMEOUT,
        follow_redirects: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """A capability URL (an output file, a stream), streamed: never with the token (see the module)."""
        with self._lock:
            closed = self._closed
        if closed:
            # Outputs outlive their client (`with rw.Client() as c: out = c.run(...)`, then out.save()).
            with shared_downloads().open(
                method, url, timeout=timeout, follow_redirects=follow_redirects, headers=headers
            ) as response:
                yield response
            return
        http = self._client()
        request = _fetch_request(http, method, url, timeout, headers or {})
        response = http.send(request, stream=True, follow_redirects=follow_redirects)
        try:
            yield response
        finally:
            response.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("This Client is closed; make a new one.")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            http, self._http = self._http, None
            waiters, self._waiters = self._waiters, None
        if waiters is not None:
            waiters.shutdown(wait=False, cancel_futures=True)
        if http is not None:
            http.close()


class AsyncHttpTransport:
    """`AsyncTransport` over httpx.AsyncClient, one per event loop (an AsyncClient is bound to its loop)."""

    def __init__(self, credentials: Credentials, transport: AnyTransport | None = None) -> None:
        self._credentials = credentials
        self._transport = transport
        self._http: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None or self._http[0] is not loop:
            self._http = (
                loop,
                httpx.AsyncClient(limits=_LIMITS, transport=_async_transport(self._transport)),
            )
        return self._http[1]

    async def send(self, call: Call) -> httpx.Response:
        http = self._client()
        content = _aiter(call.body()) if call.body else None
        return await http.send(_build(http, self._credentials, call, content))

    @contextlib.asynccontextmanager
    async def open(
        self,
        method: str,
        url: str,
        *,
        timeout: httpx.Timeout = DOWNLOAD_TIMEOUT,
        follow_redirects: bool = True,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """`HttpTransport.open` on the event loop."""
        http = self._client()
        request = _fetch_request(http, method, url, timeout, headers or {})
        response = await http.send(request, stream=True, follow_redirects=follow_redirects)
        try:
            yield response
        finally:
            await response.aclose()

    def close(self) -> None:
        """Close the connections of a loop that is still running; a finished loop took its own with it."""
        held, self._http = self._http, None
        if held is None:
            return
        loop, http = held
        if not loop.is_closed() and loop.is_running():
            asyncio.run_coroutine_threadsafe(http.aclose(), loop)


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


_shared: HttpTransport | None = None
_shared_lock = threading.Lock()


def shared_downloads() -> HttpTransport:
    """The process's pool for output files with no open client: rw.FileOutput(url) made by hand, or outputs
    of a client since closed. Used only through `open`, so it holds no token (nor any API to send one to)."""
    global _shared  # noqa: PLW0603 - one lazily made pool per process, shared by every such FileOutput
    with _shared_lock:
        if _shared is None:
            _shared = HttpTransport(Credentials("", None))
        return _shared
