"""What the run functions take as a model: a reference string, or a handle (rw.model, rw.deployment) that
knows its reference, the run options bound when it was made, and the client it was made with.

Core cannot import the handles (they live in explore/, above it), so it sees them through this protocol; nor
does this module import the Client, which imports it: the client a handle holds is whatever client it was
made with, and ``client_of`` hands it back as the caller's own client type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar, runtime_checkable

from .errors import InputError
from .options import check_names, merge

C = TypeVar("C")


@runtime_checkable
class ModelHandleLike(Protocol):
    @property
    def ref(self) -> str: ...

    @property
    def run_options(self) -> Mapping[str, Any]: ...

    @property
    def bound_client(self) -> Any: ...  # the Client it was made with, or None


ModelArg = str | ModelHandleLike


def unpack(
    model: ModelArg,
    options: Mapping[str, Any],
    widget: Mapping[str, Any] | None = None,
    *,
    where: str = "run",
) -> tuple[str, dict[str, Any]]:
    """The reference to run and the options of this run: the call's, else the handle's bound ones, else the
    ``widget``'s (options.merge). An option no run takes is a TypeError naming it."""
    check_names(options, where)
    if isinstance(model, str):
        return model, merge(options, widget=widget)
    if isinstance(model, ModelHandleLike):
        return model.ref, merge(options, handle=model.run_options, widget=widget)
    raise InputError(
        f"Model reference {model!r} not understood: use 'owner/name', 'owner/name:<64-hex version>', "
        "'deployments/owner/name', or a handle from rw.model / rw.deployment."
    )


def client_of(model: ModelArg, client: C | None) -> C | None:
    """The client given to this call, else the one the handle was made with (None: the default client)."""
    if client is not None or isinstance(model, str):
        return client
    return model.bound_client if isinstance(model, ModelHandleLike) else None  # type: ignore[no-any-return]
