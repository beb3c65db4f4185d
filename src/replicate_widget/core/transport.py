"""How the drivers reach the network: two small protocols, and their httpx implementations.

A driver (drive.py) needs three things: send a `Call` and get the response, start one in the background (so
that Ctrl-C can land while we wait for an answer we still need), and upload a file through the client's
shared, de-duplicated upload path. `HttpTransport` does them with httpx.Client, `AsyncHttpTransport` with
httpx.AsyncClient. Both put the token only on requests to the API's own origin, and never follow redirects
(a redirect would carry the request, and with it the token, elsewhere; http.py turns it into an APIError).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from .errors import AuthenticationError
from .http import Call, origin

if TYPE_CHECKING:
    from .files import LocalFile

USER_AGENT = "replicate-widget/0.1"
UploadProgress = Callable[[int, int], None]
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what an Authorization header can carry
_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16)
# Threads that wait for answers while the caller stays interruptible: one per run in flight on the main thread
# or with an abort event (a widget's run). A batch brings its own, sized to its concurrency.
_WAITERS = 8


class Transport(Protocol):
    """What the sync driver needs."""

    def send(self, call: Call) -> httpx.Response: ...

    def start(self, call: Call) -> concurrent.futures.Future[httpx.Response]: ...

    def upload(self, file: LocalFile, progress: UploadProgress | None) -> str: ...


class AsyncTransport(Protocol):
    """What the async driver needs."""

    async def send(self, call: Call) -> httpx.Response: ...

    async def upload(self, file: LocalFile, progress: UploadProgress | None) -> str: ...


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


class HttpTransport:
    """`Transport` over httpx.Client. The connection pool and the waiting threads start when first needed."""

    def __init__(
        self, credentials: Credentials, upload: Callable[[LocalFile, UploadProgress | None], str]
    ) -> None:
        self._credentials = credentials
        self._upload = upload
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._waiters: concurrent.futures.ThreadPoolExecutor | None = None
        self._closed = False

    def _client(self) -> httpx.Client:
        with self._lock:
            self._check_open()
            if self._http is None:
                self._http = httpx.Client(limits=_LIMITS)
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

    def upload(self, file: LocalFile, progress: UploadProgress | None) -> str:
        return self._upload(file, progress)

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

    def __init__(
        self, credentials: Credentials, upload: Callable[[LocalFile, UploadProgress | None], Awaitable[str]]
    ) -> None:
        self._credentials = credentials
        self._upload = upload
        self._http: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None or self._http[0] is not loop:
            self._http = (loop, httpx.AsyncClient(limits=_LIMITS))
        return self._http[1]

    async def send(self, call: Call) -> httpx.Response:
        http = self._client()
        content = _aiter(call.body()) if call.body else None
        return await http.send(_build(http, self._credentials, call, content))

    async def upload(self, file: LocalFile, progress: UploadProgress | None) -> str:
        return await self._upload(file, progress)

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
