"""Model and deployment handles: ``rw.model("owner/name")`` is a callable that documents itself.

``inspect.signature(m)`` is the model's Input fields (so Tab completion and ``m?`` work), ``m.__doc__`` lists
them, calling it runs the model, and its notebook display is a static card. ``rw.model`` looks the model up
when the handle is made (so a misspelt name fails there), keeping the schema; ``lazy=True`` (and handles from
a search or collection) fetch it on the first signature, docstring, call or display instead.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..core.client import Client, default_client
from ..core.errors import InputError, ReplicateWidgetError, short_traceback
from ..core.options import check_names
from ..core.refs import DEPLOYMENT_PREFIX, ModelRef
from ..core.schema import ModelSchema
from . import cards
from .signature import docstring, open_signature, signature

if TYPE_CHECKING:
    from typing import Unpack

    from ..core.options import RunOptions
    from ..core.predictions.live import Prediction
    from ..widgets.playground.widget import Playground

T = TypeVar("T")


class _PerInstance(Generic[T]):
    """Like a property, but read on the class it gives ``on_class``: inspect.signature(type(m)) and the
    class's own docstring keep working while each instance computes its own."""

    def __init__(self, compute: Callable[[Any], T], on_class: Any = None) -> None:
        self._compute = compute
        self._on_class = on_class

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self._on_class if instance is None else self._compute(instance)


class Model:
    """A model of Replicate (or of the local server), ready to run: see ``rw.model``."""

    def __init__(
        self,
        ref: str,
        *,
        client: Client | None = None,
        record: Mapping[str, Any] | None = None,
        **options: Unpack[RunOptions],
    ) -> None:
        check_names(options, "model")
        self._parsed = ModelRef.parse(ref)  # a malformed reference is refused now, not at the first call
        self._ref = ref.strip()
        self._client = client
        self._options = dict(options)
        self._listed = dict(record) if record else None  # from a search or collection: no schema in it
        self._schema: ModelSchema | None = None

    # ---- what core reads (handles.ModelHandleLike) ---------------------------------------------------------
    @property
    def ref(self) -> str:
        """'owner/name', 'owner/name:version' or 'deployments/owner/name'; ``str(m)`` is the same."""
        return self._ref

    @property
    def run_options(self) -> Mapping[str, Any]:
        return dict(self._options)

    @property
    def bound_client(self) -> Client | None:
        return self._client

    # ---- facts about the model -----------------------------------------------------------------------------
    @property
    def client(self) -> Client:
        return self._client if self._client is not None else default_client()

    @property
    def slug(self) -> str:
        """'owner/name' (for a deployment, the deployment's own)."""
        return self._parsed.slug

    @property
    def schema(self) -> ModelSchema:
        """The Input and Output schema, fetched on first use and kept (the client caches it too)."""
        if self._schema is None:
            self._schema = self.client.schema(self._ref)
        return self._schema

    @property
    def record(self) -> dict[str, Any]:
        """The model record (description, run_count, cover_image_url, url...), from the listing it came
        from, else fetched once."""
        if self._listed is not None:
            return self._listed
        return self.client.record(f"models/{self.slug}")

    @property
    def description(self) -> str:
        return str(self.record.get("description") or "")

    def _title(self) -> str:
        return self._ref

    __signature__ = _PerInstance(lambda self: self._signature())
    __doc__ = _PerInstance(lambda self: self._docstring(), on_class=__doc__)

    def _signature(self) -> inspect.Signature:
        try:
            return signature(self.schema)
        except Exception:  # Tab completion must not raise; calling it says what is wrong
            return open_signature()

    def _docstring(self) -> str:
        try:
            return docstring(self._title(), self.description, self.schema)
        except ReplicateWidgetError as exc:
            return f"{self._title()}: could not be fetched: {exc}"
        except Exception as exc:  # help() and `m?` must not raise
            return f"{self._title()}: could not be described ({type(exc).__name__})"

    # ---- running -------------------------------------------------------------------------------------------
    def __call__(self, **inputs: Any) -> Any:
        """Run the model on these inputs and return its output; see the docstring for the fields."""
        return self.client.run(self, inputs)

    def predict(self, **inputs: Any) -> Prediction:
        """Run and return the final rw.Prediction (status, output, logs, metrics) without raising."""
        result: Prediction = self.client.predict(self, inputs)
        return result

    def run_batch(self, inputs: list[dict[str, Any]], *, concurrency: int = 8) -> list[Any]:
        """The model once per input dict, ``concurrency`` at a time; in order; a failed item is its error."""
        return self.client.run_batch(self, inputs, concurrency=concurrency)

    def stream(self, **inputs: Any) -> Iterator[Any]:
        """Text chunks as a streaming model writes them; stopping early cancels the prediction."""
        return self.client.stream(self, inputs)

    async def async_run(self, **inputs: Any) -> Any:
        return await self.client.async_run(self, inputs)

    async def async_predict(self, **inputs: Any) -> Prediction:
        result: Prediction = await self.client.async_predict(self, inputs)
        return result

    def async_stream(self, **inputs: Any) -> AsyncGenerator[Any, None]:
        return self.client.async_stream(self, inputs)

    def with_options(self, **options: Unpack[RunOptions]) -> Model:
        """The same model with more run options bound (strategy, wait, cancel_after, progress...)."""
        check_names(options, "with_options")
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._options = {**self._options, **options}
        return copy

    def playground(self) -> Playground:
        """A form for this model's inputs, with Run and Cancel (rw.Playground)."""
        from ..widgets.playground.widget import Playground

        return Playground(self)

    # ---- display -------------------------------------------------------------------------------------------
    def playground_line(self) -> str:
        return f"{self!r}.playground()"

    def __repr__(self) -> str:
        return f"rw.model({self._ref!r})"

    def __str__(self) -> str:
        return self._ref

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and (type(other), other.ref) == (type(self), self.ref)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._ref))

    def _repr_html_(self) -> str:
        return cards.full_card(self)

    def card_facts(self) -> cards.Facts:
        """What a card shows; fetching only the record (no schema)."""
        record = self.record
        return cards.Facts(
            title=self._ref,
            description=str(record.get("description") or ""),
            run_count=record.get("run_count"),
            cover=cards.link(record.get("cover_image_url")),
            url=cards.link(record.get("url")),
            badge="official" if record.get("is_official") else "",
            subtitle="",
            playground=self.playground_line(),
        )


class Deployment(Model):
    """A deployment: runs at /v1/deployments/{owner}/{name}/predictions; its signature is its current
    release's schema."""

    __doc__ = _PerInstance(lambda self: self._docstring(), on_class=__doc__)

    def __repr__(self) -> str:
        return f"rw.deployment({self.slug!r})"

    @property
    def deployment_record(self) -> dict[str, Any]:
        return self.client.record(f"deployments/{self.slug}")

    @property
    def record(self) -> dict[str, Any]:
        """The record of the model the current release runs (description, cover...)."""
        release = _object(self.deployment_record.get("current_release"))
        model = release.get("model")
        if not isinstance(model, str) or not model:
            return {}
        return self.client.record(f"models/{model}")

    def card_facts(self) -> cards.Facts:
        facts = super().card_facts()
        release = _object(self.deployment_record.get("current_release"))
        hardware = _object(release.get("configuration")).get("hardware")
        parts = [f"runs {release.get('model', '?')}", f"release {release.get('number', '?')}", hardware]
        facts.subtitle = " · ".join(str(p) for p in parts if p)
        facts.badge = "deployment"
        facts.run_count = None  # the model's count says nothing about this deployment
        return facts


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@short_traceback
def model(
    ref: str, *, client: Client | None = None, lazy: bool = False, **options: Unpack[RunOptions]
) -> Model:
    """A handle on ``ref`` ('owner/name' or 'owner/name:version'; 'deployments/owner/name' gives a
    deployment). ``options`` are run options bound now (strategy, wait, cancel_after, progress,
    delete_uploads...), because the handle's own keyword arguments are the model's inputs.

    The model is looked up now (one request, its schema kept for the signature): a misspelt name fails here,
    not at the first call. ``lazy=True`` asks nothing until first use (signature, docstring, call or display).
    """
    ModelRef.parse(ref)  # a reference that is not a string is an InputError, as rw.run(42) gives
    handle = (Deployment if ref.strip().startswith(DEPLOYMENT_PREFIX) else Model)(
        ref, client=client, **options
    )
    if not lazy:
        handle.schema  # noqa: B018 - the lookup: raises APIError 404 for a model that does not exist
    return handle


@short_traceback
def deployment(
    name: str, *, client: Client | None = None, lazy: bool = False, **options: Unpack[RunOptions]
) -> Deployment:
    """A handle on the deployment 'owner/name'; its ref is 'deployments/owner/name'. Looked up now, as
    rw.model does (``lazy=True``: at first use)."""
    if not isinstance(name, str):
        raise InputError(f"A deployment is named 'owner/name', not {name!r} ({type(name).__name__}).")
    name = name.strip()
    ref = name if name.startswith(DEPLOYMENT_PREFIX) else DEPLOYMENT_PREFIX + name
    handle = Deployment(ref, client=client, **options)
    if not lazy:
        handle.schema  # noqa: B018
    return handle
