"""FileInput's run / run_batch: map the entries to a model's file inputs and run the core pipeline, showing
upload progress, the prediction's status and its log tail in the widget while it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import InputError
from .status import StatusPresenter

if TYPE_CHECKING:
    from typing import Unpack

    from ..core.client import Client
    from ..core.handles import ModelArg
    from ..core.inputs.local_file import LocalFile
    from ..core.options import RunOptions
    from ..core.schema import InputField
    from ..wire.dropzone import DropZone
    from .status import RunStatus

_LOG_LINES = 12  # FileInput's panel is small: fewer lines than the Playground's


class WidgetRunMixin:
    """The run half of FileInput; expects ``inputs``, ``client`` and the status traits (RunStatusTraits)."""

    storage: str | None
    _zone: DropZone

    def _show_status(self, shown: RunStatus) -> None:
        raise NotImplementedError

    @property
    def inputs(self) -> list[LocalFile | str]:
        raise NotImplementedError

    @property
    def client(self) -> Client:
        raise NotImplementedError

    def run(
        self,
        model: ModelArg,
        input: dict[str, Any] | None = None,
        *,
        field: str | None = None,
        **options: Unpack[RunOptions],
    ) -> Any:
        """Run ``model`` on the widget's entries and return its output.

        One file input and one entry map by themselves; an array input takes every entry; with several file
        inputs, say which with ``field=`` or pass ``input={"name": w.files[0]}``. More entries than inputs:
        use ``run_batch``, which runs the model once per entry.
        """
        full = self._input_for(model, input, field, batch=False)
        mine: RunOptions = {"storage": self.storage}  # below the call's and the handle's (options.merge)
        return self._with_status(
            model,
            lambda progress: self.client.run(model, full, defaults=mine, **{**options, "progress": progress}),
        )

    def run_batch(
        self,
        model: ModelArg,
        input: dict[str, Any] | None = None,
        *,
        field: str | None = None,
        **options: Unpack[RunOptions],
    ) -> list[Any]:
        """Run ``model`` once per entry: outputs in entry order; an item that failed is its exception."""
        inputs = self._input_for(model, input, field, batch=True)
        mine: RunOptions = {"storage": self.storage}
        return self._with_status(  # type: ignore[no-any-return]
            model,
            lambda progress: self.client.run_batch(
                model, inputs, defaults=mine, **{**options, "progress": progress}
            ),
            batch_of=len(inputs),
        )

    # ---- mapping
    def _input_for(
        self, model: ModelArg, given: dict[str, Any] | None, field: str | None, *, batch: bool
    ) -> Any:
        values = self.inputs  # raises TransferError for an entry still on its way
        base = dict(given or {})
        schema = self.client.schema(model)
        if field is not None:
            target = next((f for f in schema.fields if f.name == field), None)
            if target is None or not (target.is_file or target.is_file_array):
                names = ", ".join(f.name for f in schema.file_fields) or "none"
                raise InputError(f"{model} has no file input named {field!r} (its file inputs: {names}).")
            if not values:
                raise InputError("The widget holds no files: pick, drop or paste some first.")
        else:
            free = [f for f in schema.file_fields if f.name not in base]
            if not values:
                if batch:
                    raise InputError("The widget holds no files: pick, drop or paste some first.")
                return base
            if not free:
                if base and any(f.name in base for f in schema.file_fields):
                    return [base] if batch else base  # the caller mapped the files explicitly
                raise InputError(f"{model} takes no file input, so the widget's files have nowhere to go.")
            if len(free) > 1:
                names = ", ".join(f.name for f in free)
                raise InputError(
                    f"{model} has several file inputs ({names}): choose one with field=..., "
                    f'or pass input={{"{free[0].name}": w.files[0], ...}}.'
                )
            target = free[0]
        if batch:
            return [{**base, target.name: _one(target, [v])} for v in values]
        if not target.is_file_array and len(values) > 1:
            raise InputError(
                f"{model}'s input {target.name!r} takes one file and the widget holds {len(values)}: "
                "use w.run_batch(...) to run the model once per file, or remove the extra entries."
            )
        return {**base, target.name: _one(target, values)}

    # ---- status while running
    def _with_status(self, model: ModelArg, call: Any, batch_of: int | None = None) -> Any:
        """Runs ``call(progress)`` with the widget's status following it (``StatusPresenter``)."""
        presenter = StatusPresenter(
            self._show_status, subject=str(model), batch_of=batch_of, log_lines=_LOG_LINES
        )
        presenter.start()
        try:
            output = call(presenter.event)
        except BaseException as exc:
            presenter.end_with(exc)
            raise
        if batch_of is None:
            presenter.end("succeeded")
        else:
            presenter.end_batch(output)
        self._zone.mark_uploaded(self.client)
        return output


def _one(target: InputField, values: list[LocalFile | str]) -> Any:
    return list(values) if target.is_file_array else values[0]
