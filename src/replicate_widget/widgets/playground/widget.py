"""Playground: a form for any model, built from its schema, that runs it and shows the results.

Runs happen on a worker thread, so the notebook stays responsive and widget messages (Cancel, file chunks)
keep arriving while a prediction runs. Secrets arrive by message and live only in ``self._secrets``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ...core.client import Client
from ...core.errors import ReplicateWidgetError
from ...core.limits import FILES_API_LIMIT, WIDGET_STORAGE_MAX_BYTES
from ...core.run import RunEvent
from ...core.schema import ModelSchema
from ...core.storage import resolve_storage
from ...wire.protocol import TRANSFER_KINDS, ProtocolError
from .files import FieldFiles
from .form import build_form, coerce, initial_values, problems_by_field
from .history import SECRET_MASK, PlaygroundRun, code_for, log_tail, static_listing
from .outputs import describe

_FINAL = {"succeeded", "failed", "canceled", "aborted"}


class Playground(anywidget.AnyWidget):  # type: ignore[misc]
    """``rw.Playground("owner/name")``: the model's inputs as a form, Run and Cancel, outputs and history."""

    _esm = Path(__file__).parents[2] / "static" / "playground.js"

    model = traitlets.Unicode("").tag(sync=True)
    form: traitlets.List[Any] = traitlets.List().tag(sync=True)  # FieldSpec dicts, in x-order
    values = traitlets.Dict().tag(sync=True)  # valid non-secret, non-file values, edited in the browser
    files = traitlets.Dict().tag(sync=True)  # field -> entries (metadata only)
    field_errors = traitlets.Dict().tag(sync=True)
    status = traitlets.Unicode("idle").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    progress = traitlets.Float(-1.0).tag(sync=True)  # -1: no fraction known
    logs = traitlets.Unicode("").tag(sync=True)
    stream_text = traitlets.Unicode("").tag(sync=True)
    outputs: traitlets.List[Any] = traitlets.List().tag(sync=True)
    runs: traitlets.List[Any] = traitlets.List().tag(sync=True)
    max_bytes = traitlets.Int(FILES_API_LIMIT).tag(sync=True)
    """The largest file a file field takes: 100 MiB, or 5 GiB with a bucket for big files (``storage=``)."""

    def __init__(
        self,
        model: str,
        *,
        client: Client | None = None,
        storage: str | None = None,
        _schema: ModelSchema | None = None,
        **kwargs: Any,
    ) -> None:
        self._client = client or Client()
        self._schema = _schema if _schema is not None else self._client.schema(model)
        # files over 100 MiB go there (else to the Client's, else to REPLICATE_WIDGET_STORAGE's)
        self.storage = storage
        if "max_bytes" not in kwargs:
            bucket = resolve_storage(storage, self._client.storage)
            kwargs["max_bytes"] = WIDGET_STORAGE_MAX_BYTES if bucket is not None else FILES_API_LIMIT
        form = build_form(self._schema)
        super().__init__(model=model, form=list(form), values=initial_values(form), **kwargs)
        self._secrets: dict[str, str] = {}
        fields = [s["name"] for s in form if s["kind"] in ("file", "files")]
        self._files = FieldFiles(fields, max_bytes=self.max_bytes)
        for spec in form:  # a file field whose default is a URL starts with that URL
            if spec["kind"] in ("file", "files") and isinstance(spec["default"], str) and spec["default"]:
                self._files.add_url(spec["name"], spec["default"])
        self.files = self._files.public()
        self._history: list[PlaygroundRun] = []
        self._worker: threading.Thread | None = None
        self._cancel = threading.Event()
        self._prediction_id = ""
        self._lock = threading.Lock()
        self.on_msg(self._on_message)

    @classmethod
    def _from_schema(
        cls, openapi_schema: dict[str, Any], model: str = "local/schema", client: Client | None = None
    ) -> Playground:
        """A Playground for a schema document without asking any server (display tests, offline demos)."""
        return cls(model, client=client, _schema=ModelSchema(openapi_schema))

    # ---- what the notebook reads ---------------------------------------------------------------------------
    @property
    def output(self) -> Any:
        """The last successful run's output as Python objects (FileOutput, str, list, dict), or None."""
        done = [run for run in self._history if run.status == "succeeded"]
        return done[-1].output if done else None

    @property
    def input(self) -> dict[str, Any]:
        """The form's current values: files as rw.LocalFile or URL, secrets masked."""
        out: dict[str, Any] = {}
        for spec in self.form:
            name, kind = spec["name"], spec["kind"]
            if kind in ("file", "files"):
                try:
                    items = self._files.values(name)
                except ProtocolError:
                    continue  # still arriving: not an input yet
                if items:
                    out[name] = items[0] if kind == "file" else items
            elif kind == "secret":
                if self._secrets.get(name):
                    out[name] = SECRET_MASK
            elif name in self.values:
                out[name] = coerce(spec, self.values[name])
        return out

    @property
    def history(self) -> list[PlaygroundRun]:
        """This session's runs, oldest first."""
        return list(self._history)

    def code(self) -> str:
        """The ``rw.run(...)`` call that runs the current form (secrets asked for with getpass)."""
        return code_for(self.model, self.form, self.input)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Add a static description of the form, for viewers that can't run the widget."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
        data = dict(data or {})
        data["text/plain"], data["text/html"] = static_listing(self.model, self.form)
        return (data, metadata) if metadata is not None else data

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run in progress (if any) ends. Meant for scripts: don't call it in a cell while
        using the widget, it would hold the kernel's attention."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def close(self) -> None:
        self._cancel.set()
        self._files.close()
        super().close()

    # ---- messages from the browser -------------------------------------------------------------------------
    def _on_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("kind")
        if kind in TRANSFER_KINDS:
            reply, changed = self._files.handle(content, buffers)
            self.send(reply)
            if changed:
                self.files = self._files.public()
        elif (
            kind == "secret"
            and isinstance(content.get("name"), str)
            and isinstance(content.get("value"), str)
        ):
            self._secrets[content["name"]] = content["value"]
        elif kind == "run":
            self.start()
        elif kind == "cancel":
            self.cancel()

    # ---- running -------------------------------------------------------------------------------------------
    def _collect(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The input to send, and the problems found by field (files still arriving, too many files)."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for spec in self.form:
            name, kind = spec["name"], spec["kind"]
            if kind in ("file", "files"):
                try:
                    items = self._files.values(name)
                except ProtocolError as exc:
                    errors[name] = str(exc)
                    continue
                if kind == "file" and len(items) > 1:
                    errors[name] = "Takes one file: remove the others."
                elif items:
                    values[name] = items[0] if kind == "file" else items
            elif kind == "secret":
                if self._secrets.get(name):
                    values[name] = self._secrets[name]
            elif name in self.values and self.values[name] is not None:
                values[name] = coerce(spec, self.values[name])
        return values, errors

    def start(self) -> bool:
        """Check the form and start a run on a worker thread. Returns whether a run started."""
        if self._worker is not None and self._worker.is_alive():
            return False
        values, errors = self._collect()
        # The schema checks files as references; stand-ins keep a LocalFile from failing the type check.
        file_kinds = {s["name"]: s["kind"] for s in self.form if s["kind"] in ("file", "files")}
        checked = {
            k: (v if k not in file_kinds else ["file"] * len(v) if file_kinds[k] == "files" else "file")
            for k, v in values.items()
        }
        by_field, general = problems_by_field(self._schema.validate(checked), [s["name"] for s in self.form])
        errors = {**by_field, **errors}
        if errors or general:
            with self.hold_sync():
                self.field_errors = errors
                self.status = "invalid"
                self.message = " ".join(general) or "Fix the fields marked in red, then run again."
            return False
        masked = {k: (SECRET_MASK if k in self._secrets else v) for k, v in values.items()}
        run = PlaygroundRun(n=len(self._history) + 1, model=self.model, input=masked)
        self._history.append(run)
        self._cancel.clear()
        self._prediction_id = ""
        with self.hold_sync():
            self.field_errors = {}
            self.status, self.message, self.progress, self.logs = "starting", "", -1.0, ""
            self.stream_text = ""
            self.outputs = []
            self.runs = [r.public() for r in self._history]
        self._worker = threading.Thread(
            target=self._work, args=(run, values), daemon=True, name="playground-run"
        )
        self._worker.start()
        return True

    def cancel(self) -> None:
        """Cancel the run in progress: the remote prediction is canceled as soon as its id is known."""
        if self._worker is None or not self._worker.is_alive():
            return
        self._cancel.set()
        self.status = "canceling"
        if self._prediction_id:
            threading.Thread(target=self._send_cancel, args=(self._prediction_id,), daemon=True).start()

    def _send_cancel(self, prediction_id: str) -> None:
        # Asked again while the run goes on: a cancel that reaches a prediction still queued ("starting") can
        # be overtaken by its start, and cancelling twice is harmless.
        worker = self._worker
        for _attempt in range(5):
            try:
                self._client.cancel(prediction_id)
            except ReplicateWidgetError as exc:
                self.message = f"Cancel failed: {exc}"
                return
            if worker is None:
                return
            worker.join(3.0)
            if not worker.is_alive() or self._prediction_id != prediction_id:
                return

    def _on_event(self, run: PlaygroundRun, event: RunEvent) -> None:
        """Progress from the client (on the worker thread): mirror it into traits."""
        prediction = event.prediction
        if prediction is not None and not self._prediction_id:
            self._prediction_id = run.prediction_id = prediction.id
            if self._cancel.is_set():  # Cancel was pressed before the prediction existed
                threading.Thread(target=self._send_cancel, args=(prediction.id,), daemon=True).start()
        with self.hold_sync():
            if event.kind == "upload":
                self.status = "uploading"
                self.message = f"Uploading {event.file}"
                self.progress = event.sent / event.total if event.total else -1.0
            elif event.kind == "status" and event.status:
                if not (self._cancel.is_set() and event.status not in _FINAL):
                    self.status = event.status
                run.status = event.status
                self.runs = [r.public() for r in self._history]
                self.message = ""
                self.progress = -1.0
            elif event.kind == "logs":
                run.logs += event.logs
                self.logs = log_tail(run.logs)
            elif event.kind == "progress" and event.fraction is not None:
                self.progress = event.fraction

    def _work(self, run: PlaygroundRun, values: dict[str, Any]) -> None:
        from .worker import execute

        started = time.monotonic()
        execute(self, run, values)
        run.seconds = round(time.monotonic() - started, 2)
        with self.hold_sync():
            self.status = run.status
            self.progress = 1.0 if run.status == "succeeded" else -1.0
            self.message = run.error
            if run.status == "succeeded":
                self.outputs = describe(run.output)
            self.runs = [r.public() for r in self._history]
