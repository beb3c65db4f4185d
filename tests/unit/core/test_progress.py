"""Automatic progress: at most 4 renders a second, one line at the end, what each event adds."""

import time

from replicate_widget.core.progress import MIN_INTERVAL, BatchView, RunView
from replicate_widget.core.run import RunEvent


class Recorder:
    def __init__(self):
        self.shown = []

    def show(self, lines, final):
        self.shown.append((list(lines), final))


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_renders_at_most_four_times_a_second_then_collapses_to_one_line():
    sink, clock = Recorder(), Clock()
    view = RunView("demo/slow-echo", sink, clock)
    for step in range(1, 101):  # 100 events over one second
        clock.now += 0.01
        view(RunEvent("progress", fraction=step / 100, sent=step, total=100))
    # 5 on the fake clock (0, .25, .5, .75, 1 s); a timer of real time may add one on a slow machine
    assert 1 <= len(sink.shown) <= 1 / MIN_INTERVAL + 2
    view(RunEvent("status", status="succeeded"))
    view.finish()
    lines, final = sink.shown[-1]
    assert final
    assert lines == ["✓ demo/slow-echo succeeded in 1.0 s"]


def test_what_the_display_holds_while_running():
    sink, clock = Recorder(), Clock()
    view = RunView("demo/grayscale", sink, clock)
    view(RunEvent("upload", file="a.png", sent=50, total=100))
    clock.now += 1
    view(RunEvent("status", status="processing"))
    clock.now += 1
    view(RunEvent("logs", logs="loading\n 40%|####      | 4/10 [00:01<00:01]\r"))
    clock.now += 1
    view(RunEvent("progress", fraction=0.4, sent=4, total=10))
    lines, final = sink.shown[-1]
    assert not final
    assert lines == [
        "demo/grayscale: processing",
        "upload 50% of 1 file(s)",
        "[########............] 40% 4/10",
        "40%|####      | 4/10 [00:01<00:01]",
    ]


def test_an_error_before_anything_shows_nothing_and_an_interrupt_says_so():
    sink = Recorder()
    RunView("demo/x", sink, Clock()).finish(ValueError("refused"))
    assert sink.shown == []
    view = RunView("demo/x", sink, Clock())
    view(RunEvent("status", status="processing"))
    view.finish(KeyboardInterrupt())
    assert sink.shown[-1] == (["· demo/x interrupted in 0.0 s"], True)


def test_other_event_kinds_show_in_their_own_words():
    sink = Recorder()
    view = RunView("demo/x", sink, Clock())
    view(RunEvent("status", status="starting"))
    view(RunEvent("retry", seconds=2, reason="connection refused"))
    assert sink.shown[-1][0][0] == "demo/x: starting"  # too soon after the last render: drawn a bit later
    deadline = time.monotonic() + 5
    while len(sink.shown) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sink.shown[-1] == (["demo/x: starting (retrying in 2 s: connection refused)"], False)


def test_a_deferred_render_never_comes_after_the_final_line():
    sink = Recorder()
    view = RunView("demo/x", sink, Clock())
    view(RunEvent("status", status="processing"))
    view(RunEvent("logs", logs="a line"))  # deferred
    view(RunEvent("status", status="succeeded"))
    view.finish()
    time.sleep(MIN_INTERVAL * 2)
    assert sink.shown[-1] == (["✓ demo/x succeeded in 0.0 s"], True)
    assert len(sink.shown) == 2


def test_batch_is_one_line():
    sink, clock = Recorder(), Clock()
    view = BatchView("demo/x", 3, sink, clock)
    for error in (None, RuntimeError("no"), None):
        clock.now += 1
        view.item_done(error)
    view.finish()
    assert [lines for lines, _ in sink.shown] == [
        ["demo/x: 1/3 done"],
        ["demo/x: 2/3 done, 1 failed"],
        ["demo/x: 3/3 done, 1 failed"],
        ["demo/x: 3/3 done, 1 failed in 3.0 s"],
    ]


def test_the_prediction_is_announced_with_its_id_and_a_link_and_kept_in_the_last_line():
    from replicate_widget.core.predictions.record import PredictionRecord
    from replicate_widget.core.progress import IPythonSink

    sink, clock = Recorder(), Clock()
    view = RunView("demo/grayscale", sink, clock)
    p = PredictionRecord("abc123", "starting", model="demo/grayscale", urls={"web": "http://h/p/abc123"})
    view(RunEvent("status", status="starting", prediction=p))
    lines, _ = sink.shown[-1]
    assert lines == ["demo/grayscale: starting", "prediction abc123 on demo/grayscale"]
    assert lines[1].href == "http://h/p/abc123"
    clock.now += 2
    view(RunEvent("status", status="succeeded", prediction=p))
    view.finish()
    (last,), final = sink.shown[-1]
    assert final
    assert last == "✓ demo/grayscale succeeded in 2.0 s · prediction abc123 on demo/grayscale"
    # in a notebook the line links to the prediction's page; a hostile href is not a link
    shown = []

    class Handle:
        def update(self, bundle, raw):
            shown.append(bundle)

    notebook = IPythonSink()
    notebook._handle = Handle()
    notebook.show(lines, False)
    assert (
        '<a href="http://h/p/abc123" target="_blank">prediction abc123 on demo/grayscale</a>'
        in (shown[-1]["text/html"])
    )
    view = RunView("x/y", sink, clock)
    view(
        RunEvent(
            "status",
            status="starting",
            prediction=PredictionRecord("i", "starting", urls={"web": "javascript:x"}),
        )
    )
    notebook.show(sink.shown[-1][0], False)
    assert "<a " not in shown[-1]["text/html"]


def test_a_streaming_model_s_text_shows_as_its_last_line():
    sink, clock = Recorder(), Clock()
    view = RunView("demo/story", sink, clock)
    view(RunEvent("status", status="processing"))
    clock.now += 1
    view(RunEvent("output", status="processing", text="Once upon\na time, " + "word " * 50))
    lines, _ = sink.shown[-1]
    assert lines[-1].startswith("» ")
    assert lines[-1].endswith("word word")
    assert len(lines[-1]) == 2 + 160
