"""Pacing against the local server's per-token rate limit (serve(rate_limit=...), --rate-limit)."""

import httpx
import pytest

import replicate_widget as rw

ECHO_CREATE = "/v1/models/demo/slow-echo/predictions"


@pytest.fixture
def limited(server):
    server.rate_limit = "300/min"  # 5 a second, a second's worth in the bucket
    yield server
    server.rate_limit = None


@pytest.fixture
def client(server):
    return rw.Client(api_token=server.token, base_url=server.base_url)


def create_statuses(server):
    return [e["status"] for e in server.log.entries if e["method"] == "POST" and e["path"] == ECHO_CREATE]


def test_the_server_refuses_creates_past_its_rate_with_retry_after(limited):
    with httpx.Client(
        base_url=limited.base_url, headers={"Authorization": f"Bearer {limited.token}"}
    ) as http:
        answers = [http.post(ECHO_CREATE, json={"input": {"text": "x", "seconds": 0}}) for _ in range(8)]
        listing = http.get("/v1/predictions")  # only creates are limited
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [201] * 5  # the burst a second holds
    assert 429 in statuses[5:]
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["detail"].startswith("Request was throttled (rate limit 300 creates a minute)")
    assert listing.status_code == 200


def test_a_batch_paced_at_the_limit_is_never_refused(limited, client, tmp_path):
    inputs = [{"text": f"paced {n}", "seconds": 0} for n in range(20)]
    batch = client.batch("demo/slow-echo", inputs, out=tmp_path, rate=300, concurrency=8)
    assert batch.results() == [f"paced {n}" for n in range(20)]
    statuses = create_statuses(limited)
    assert 429 not in statuses
    assert len(statuses) == 20


def test_an_unpaced_batch_is_refused_then_honours_retry_after(limited, client, tmp_path):
    inputs = [{"text": f"unpaced {n}", "seconds": 0} for n in range(20)]
    batch = client.batch("demo/slow-echo", inputs, out=tmp_path, rate=0, concurrency=8)
    assert batch.results() == [f"unpaced {n}" for n in range(20)]
    statuses = create_statuses(limited)
    assert 429 in statuses  # the pacer was off: the server's limit did the refusing
    assert len([s for s in statuses if s != 429]) == 20  # and still every item made exactly one prediction


def test_rate_limit_spellings():
    from replicate_widget.local.ratelimit import parse_rate

    assert parse_rate("600/min") == 10.0
    assert parse_rate("10/s") == 10.0
    assert parse_rate("36000/h") == 10.0
    with pytest.raises(ValueError, match="like 600/min"):
        parse_rate("fast")
