"""A prediction's web page, `urls.web` (`/p/{id}`): behind the API token, as Replicate's is behind a login.

Prediction ids end up in saved notebooks (the Playground's run history), so the page must not show a
prediction's inputs, logs or output URLs to whoever has its id. A browser opening the link can't send a bearer
header, and a token in the URL would land in the browser's history and in logs; so without an Authorization
header the answer is the same small page for every id, which asks for the token, keeps it in this tab's
sessionStorage, and reads the prediction from the API with it (`GET /v1/predictions/{id}`, same origin). A
request that does carry the header (curl, tests) gets the prediction rendered at once; a wrong one gets 401.
"""

from __future__ import annotations

import html
import json
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .gate import authorized
from .problems import not_found, unauthenticated
from .state import ServerState


def _headers(nonce: str) -> dict[str, str]:
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; }
pre { background: #f4f4f4; padding: 1em; overflow: auto; white-space: pre-wrap; word-break: break-all; }
input { width: 28em; font: inherit; } #message { color: #a00; }
"""

# Reads the id from the address, not from the server's HTML: nothing the visitor sent is echoed into the page.
_SCRIPT = """
const id = decodeURIComponent(location.pathname.split("/").pop());
const form = document.getElementById("login"), field = document.getElementById("token");
const message = document.getElementById("message"), shown = document.getElementById("prediction");
document.getElementById("id").textContent = id;
async function show(token) {
  const response = await fetch(`/v1/predictions/${encodeURIComponent(id)}`,
                               {headers: {Authorization: `Bearer ${token}`}, cache: "no-store"});
  if (response.status === 401) {
    sessionStorage.removeItem("replicate-widget-token");
    message.textContent = "This server refused that token. Use the REPLICATE_API_TOKEN it printed.";
    return;
  }
  if (!response.ok) {
    message.textContent = `No prediction ${id} on this server (${response.status}).`;
    return;
  }
  sessionStorage.setItem("replicate-widget-token", token);
  form.hidden = true;
  message.textContent = "";
  shown.textContent = JSON.stringify(await response.json(), null, 2);
  shown.hidden = false;
}
form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (field.value.trim()) show(field.value.trim()).catch((e) => { message.textContent = String(e); });
});
const kept = sessionStorage.getItem("replicate-widget-token");
if (kept) show(kept).catch((e) => { message.textContent = String(e); });
"""


def _login_page() -> Response:
    nonce = secrets.token_urlsafe(16)
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Prediction</title><link rel="icon" href="data:,">
<style nonce="{nonce}">{_STYLE}</style></head>
<body><h1>Prediction <code id="id"></code></h1>
<form id="login"><p>This local server shows a prediction only to whoever holds its API token
(<code>REPLICATE_API_TOKEN</code>, printed when it started).</p>
<label>API token <input id="token" type="password" autocomplete="off" autofocus></label>
<button type="submit">Show</button></form>
<p id="message" role="status"></p><pre id="prediction" hidden></pre>
<script nonce="{nonce}">{_SCRIPT}</script></body></html>"""
    return HTMLResponse(body, headers=_headers(nonce))


async def web_page(request: Request) -> Response:
    state: ServerState = request.app.state.server
    authorization = request.headers.get("authorization")
    if authorization is None:
        return _login_page()
    if not authorized(authorization, state.token):
        raise unauthenticated()
    prediction = state.predictions.get(request.path_params["prediction_id"])
    if prediction is None:
        raise not_found("Prediction", "No such prediction on this local server.")
    nonce = secrets.token_urlsafe(16)
    body = html.escape(json.dumps(prediction.to_json(state.base_url), indent=2))
    page = (
        f'<!doctype html><meta charset="utf-8"><title>{prediction.id}</title>'
        f'<style nonce="{nonce}">{_STYLE}</style><pre>{body}</pre>'
    )
    return HTMLResponse(page, headers=_headers(nonce))
