"""rw.login(): ask for the token, check it with GET /v1/account, keep it in this process's memory only."""

from __future__ import annotations

import getpass
from typing import Any

from . import client as _client
from .errors import AuthenticationError, short_traceback
from .network.http import Call, Flow, json_object, send


def _account_flow(base_url: str) -> Flow:
    return json_object((yield from send(Call("GET", f"{base_url}/v1/account"))))


@short_traceback
def login(token: str | None = None, base_url: str | None = None) -> dict[str, Any]:
    """Check ``token`` (asked for without echo when not given) and use it for every later call in this kernel.

    Nothing is written to disk or to the notebook. Returns the account record ({type, username, name, ...}).
    """
    if token is None:
        token = getpass.getpass("Replicate API token (hidden): ").strip()
    if not token:
        raise AuthenticationError(0, "No API token", "No token was entered.")
    with _client.Client(api_token=token, base_url=base_url) as client:
        account: dict[str, Any] = client.drive(_account_flow(client.base_url))
    _client._login_token = token.strip()
    _client.forget_default_client()
    print(
        f"Logged in to {base_url or 'Replicate'} as {account.get('username') or account.get('name') or '?'}."
    )
    return account
