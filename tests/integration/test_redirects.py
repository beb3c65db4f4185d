"""A redirect from the API origin is an error naming it, and the token never goes to another origin."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import replicate_widget as rw

TOKEN = "r8_redirect_test_SECRET"


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with `answer` and records what came in."""

    protocol_version = "HTTP/1.1"
    seen: list  # (method, path, authorization header)
    answer: tuple  # (status, headers)

    def log_message(self, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers.get("authorization")))
        status, headers = self.answer
        self.send_response(status)
        for name, value in {**headers, "content-length": "0"}.items():
            self.send_header(name, value)
        self.end_headers()

    do_GET = do_POST = _handle


def serve(answer):
    handler = type("Handler", (Recorder,), {"seen": [], "answer": answer})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, handler.seen, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture
def elsewhere():
    httpd, seen, url = serve((200, {"content-type": "application/json"}))
    yield seen, url
    httpd.shutdown()


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_origin_is_an_api_error_and_the_token_stays(elsewhere, status):
    seen_elsewhere, other = elsewhere
    location = f"{other}/v1/models/demo/slow-echo"
    api, seen_at_api, api_url = serve((status, {"location": location}))
    try:
        client = rw.Client(api_token=TOKEN, base_url=api_url)
        with pytest.raises(rw.APIError) as info:
            client.run("demo/slow-echo", {"text": "x"})
    finally:
        api.shutdown()
    assert info.value.status == status
    assert str(status) in str(info.value)
    assert location in str(info.value)
    assert TOKEN not in str(info.value)
    assert seen_at_api == [("GET", "/v1/models/demo/slow-echo", f"Bearer {TOKEN}")]
    assert seen_elsewhere == []  # not followed: nothing, and no token, went to the other origin
