"""FileInput's run / run_batch: map the entries to a model's file inputs and run the core pipeline, showing
upload progress, the prediction's status and its log tail in the widget while it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import InputError, ModelError, PredictionCanceled
from ..core.limits import FINAL_STATUSES
from .display import log_tail

if TYPE_CHECKING:
    from typing import Unpack

    from ..core.client import Client
    from ..core.events import RunEvent
    from ..core.files import LocalFile
    from ..core.handles import ModelArg
    from ..core.options import RunOptions
    from ..core.schema import InputField
    from ..wire.dropzone import DropZone

_LOG_LINES = 12  # FileInput's panel is small: fewer lines than the Playground's


class WidgetRunMixin:
    """The run half of FileInput; expects ``inputs``, ``client`` and the status traits."""

    status: str
    status_text: str
    log_tail: str
    storage: str | None
    _zone: DropZone

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
        """Runs ``call(progress)`` with the widget's status traits following it. A batch of ``batch_of``
        predictions is summed up ("3/5 done") rather than shown as whichever prediction spoke last."""
        self.status, self.status_text, self.log_tail = "starting", f"running {model}", ""
        finished: set[str] = set()

        def progress(event: RunEvent) -> None:
            if event.kind == "upload" and event.total:
                self.status = "uploading"
                self.status_text = (
                    f"uploading {event.file or 'a file'}: {int(100 * event.sent / event.total)}%"
                )
            elif batch_of is not None and event.kind == "status" and event.prediction is not None:
                if event.status in FINAL_STATUSES:
                    finished.add(event.prediction.id)
                self.status = "processing"
                self.status_text = f"{model}: {len(finished)}/{batch_of} done"
            elif event.kind == "status" and event.status:
                self.status = event.status
                self.status_text = f"{model}: {event.status}{_id_of(event)}"
            elif event.kind == "progress" and event.fraction is not None and batch_of is None:
                self.status_text = f"{model}: {int(event.fraction * 100)}%{_id_of(event)}"
            if event.logs:
                self.log_tail = log_tail(event.logs, _LOG_LINES)

        try:
            output = call(progress)
        except PredictionCanceled:
            self.status, self.status_text = "canceled", f"{model}: canceled"
            raise
        except ModelError as exc:
            self.status, self.status_text = "failed", f"{model}: {exc.prediction.error or 'failed'}"
            self.log_tail = log_tail(exc.prediction.logs or "", _LOG_LINES)
            raise
        except BaseException as exc:
            self.status, self.status_text = "failed", f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            raise
        if batch_of is None:
            self.status, self.status_text = "succeeded", f"{model}: done"
        else:
            self._sum_up_batch(model, output)
        self._zone.mark_uploaded(self.client)
        return output

    def _sum_up_batch(self, model: ModelArg, outputs: list[Any]) -> None:
        failed = [o for o in outputs if isinstance(o, BaseException)]
        done = f"{model}: {len(outputs) - len(failed)}/{len(outputs)} done"
        if not failed:
            self.status, self.status_text, self.log_tail = "succeeded", done, ""
        else:  # the first failure's reason, not a log line of whichever prediction finished last
            self.status, self.status_text = "failed", f"{done}, {len(failed)} failed"
            self.log_tail = str(failed[0]).splitlines()[0][:300]


def _one(target: InputField, values: list[LocalFile | str]) -> Any:
    return list(values) if target.is_file_array else values[0]


def _id_of(event: RunEvent) -> str:
    """ " · prediction abc…": the id that finds the run again after a restart (rw.prediction)."""
    return f" · prediction {event.prediction.id}" if event.prediction is not None else ""
