"""What the local server shows of a model to a browser: a cover image and a plain model page.

The cover is an SVG drawn from the model's name (colours from its hash), so every model, demo or added,
has one without shipping image files. Both live outside /v1, so a browser fetches them without the token.
"""

from __future__ import annotations

import hashlib
import html
import json

from .registry import ModelSpec


def cover_svg(spec: ModelSpec) -> str:
    digest = hashlib.sha256(spec.ref.encode()).digest()
    hue = digest[0] * 360 // 256
    second = (hue + 40 + digest[1] % 60) % 360
    circles = "".join(
        f'<circle cx="{digest[2 + i] * 640 // 256}" cy="{digest[7 + i] * 360 // 256}" '
        f'r="{40 + digest[12 + i] % 90}" fill="#fff" '
        f'fill-opacity="{0.06 + (digest[17 + i] % 10) / 100:.2f}"/>'
        for i in range(5)
    )
    label = html.escape(spec.name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360">'
        '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},62%,46%)"/>'
        f'<stop offset="1" stop-color="hsl({second},70%,30%)"/></linearGradient></defs>'
        f'<rect width="640" height="360" fill="url(#g)"/>{circles}'
        '<text x="40" y="310" font-family="system-ui,-apple-system,Segoe UI,sans-serif" font-size="44" '
        f'font-weight="600" fill="#fff" fill-opacity="0.92">{label}</text></svg>'
    )


def model_page(spec: ModelSpec, base_url: str) -> str:
    """The page a card links to: the model's description and its input schema, readable without a token."""
    name = html.escape(spec.ref)
    inputs = html.escape(json.dumps(spec.input_schema or {}, indent=2))
    return (
        f"<!doctype html><meta charset=utf-8><title>{name}</title>"
        '<body style="font-family:system-ui,sans-serif;max-width:48em;margin:2em auto;padding:0 1em">'
        f'<img src="{base_url}/_covers/{name}.svg" alt="" style="width:100%;border-radius:8px">'
        f"<h1>{name}</h1><p>{html.escape(spec.description)}</p>"
        "<p>Served by replicate-widget's local server. From a notebook:</p>"
        f"<pre>import replicate_widget as rw\nrw.model('{name}').playground()</pre>"
        f"<h2>Inputs</h2><pre>{inputs}</pre></body>"
    )
