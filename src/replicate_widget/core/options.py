"""Run options: which of the places an option can be given wins.

An option can come from the call itself, the model handle it runs (``rw.model(..., storage=...)``), the widget
that runs it, the Client, and the environment. Each question of precedence is answered here, once.
"""

from __future__ import annotations

from typing import Any

from .storage import StorageLocation, resolve_storage


def choose_storage(
    *, call: Any = None, handle: Any = None, widget: Any = None, client: Any = None
) -> StorageLocation | None:
    """The bucket for files over the Files API's limit: the call's ``storage=``, else the handle's, else the
    widget's, else the Client's, else REPLICATE_WIDGET_STORAGE. None at a level means "not said here";
    False or "" means "no bucket", and ends the search there."""
    return resolve_storage(call, handle, widget, client)
