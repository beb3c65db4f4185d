"""Input values that once broke a run: text that starts with "data:", and numbers JSON cannot carry."""

import pytest

import replicate_widget as rw


@pytest.fixture
def client(server):
    return rw.Client(api_token=server.token, base_url=server.base_url)


def test_text_starting_with_data_is_sent_as_text(server, client):
    text = "data: quarterly numbers"
    assert client.run("demo/slow-echo", {"text": text, "seconds": 0}) == text


def test_a_broken_data_uri_for_a_file_field_is_still_refused(server, client):
    with pytest.raises(rw.InputError, match="broken data URI"):
        client.run("demo/file-info", {"file": "data:nonsense"})
    assert server.log.find("POST") == []


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_non_finite_number_is_an_input_error_before_any_request(server, client, value):
    with pytest.raises(rw.InputError, match="finite"):
        client.run("demo/slow-echo", {"text": "x", "seconds": value})
    assert server.log.entries == []
