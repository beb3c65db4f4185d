"""The Playground keeps the error tree's contract: a canceled run's error carries its prediction."""

import pytest

import replicate_widget as rw
from replicate_widget.widgets.playground.history import PlaygroundRun
from replicate_widget.widgets.playground.widget import Playground


def test_a_canceled_stream_raises_a_whole_prediction_canceled(server):
    client = rw.Client(api_token=server.token, base_url=server.base_url)
    pg = Playground("demo/story", client=client)
    run = PlaygroundRun(1, "demo/story", {})
    stream = client.stream

    def cancel_after_the_first_chunk(*args, **kwargs):
        chunks = stream(*args, **kwargs)
        yield next(chunks)
        pg._runner._cancel.set()  # Cancel pressed while text streams in
        yield from chunks

    client.stream = cancel_after_the_first_chunk
    with pytest.raises(rw.PredictionCanceled) as info:
        pg._runner._stream(run, {"sentences": 20, "delay": 0.1})
    assert info.value.prediction.status == "canceled"
    assert info.value.prediction.id
    assert info.value.prediction.id == run.prediction_id
    assert info.value.prediction.id in str(info.value)
