"""How predictions display: a compact table, a thumbnail by URL for images, the start of text, the age."""

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from replicate_widget.core.errors import InputError
from replicate_widget.core.network.http import Call
from replicate_widget.core.outputs.file_output import FileOutput
from replicate_widget.core.predictions.flows import list_predictions_flow
from replicate_widget.core.predictions.record import PredictionRecord
from replicate_widget.core.predictions.view import age, table_html, thumbnail


def test_thumbnails_link_images_by_url_and_show_the_start_of_text():
    assert thumbnail(FileOutput("https://x/out.png?sig=1")).startswith('<img src="https://x/out.png?sig=1"')
    assert thumbnail(["https://x/a.webp", "https://x/b.webp"]).startswith('<img src="https://x/a.webp"')
    assert thumbnail("https://x/a.wav") == '<a href="https://x/a.wav" target="_blank">file</a>'
    assert thumbnail("<b>" + "x" * 100) == "&lt;b&gt;" + "x" * 57 + "…"
    assert thumbnail(None) == ""


def test_age_in_words():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    at = lambda delta: (now - delta).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
    assert age(at(timedelta(seconds=12)), now.timestamp()) == "12 s ago"
    assert age(at(timedelta(minutes=5, seconds=3)), now.timestamp()) == "5 min ago"
    assert age(at(timedelta(hours=3)), now.timestamp()) == "3 h ago"
    assert age(None) == ""


def test_the_table_escapes_what_the_api_sent():
    p = PredictionRecord(
        "id<1>", "succeeded", model="o/<m>", output="<script>", urls={"web": 'https://x/p"q'}
    )
    html = table_html([p])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="https://x/p&quot;q"' in html
    assert table_html([]).endswith("<tr><td>none</td></tr></table>")


def test_listing_asks_with_the_api_s_filters_and_follows_pages_up_to_the_limit():
    flow = list_predictions_flow(
        "http://h", limit=3, since=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    )
    call = next(flow)
    assert isinstance(call, Call)
    assert call.url == "http://h/v1/predictions?created_after=2026-01-02T03%3A04%3A05.000000Z"

    def page(ids, next_url):
        results = [{"id": i, "status": "succeeded"} for i in ids]
        request = httpx.Request("GET", "http://h/v1/predictions")
        return httpx.Response(200, json={"results": results, "next": next_url}, request=request)

    call = flow.send(page(["a", "b"], "http://h/v1/predictions?cursor=c"))
    assert call.url == "http://h/v1/predictions?cursor=c"
    with pytest.raises(StopIteration) as done:
        flow.send(page(["c", "d"], None))
    assert [p.id for p in done.value.value] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("option", "value"), [("limit", 0), ("limit", True), ("since", "yesterday"), ("since", 5)]
)
def test_bad_listing_options_say_what_to_give(option, value):
    with pytest.raises(InputError, match=option):
        next(list_predictions_flow("http://h", **{option: value}))
