"""Playground: a form for any model, built from its schema, that runs it and shows the results.

Every message from the front end is a request answered exactly once (``wire.Endpoint``): the transfer's
requests go to the same ``DropZone`` FileInput uses (one entry group per file field), and run, cancel and
secret are the Playground's own. Runs happen on a worker thread (``worker.Runner``), so the notebook stays
responsive and widget messages (Cancel, file chunks) keep arriving while a prediction runs. Secrets arrive by
message and live only in ``self._secrets``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import traitlets

from ...core.client import Client, new_client
from ...core.errors import TransferError
from ...core.handles import ModelArg, client_of, unpack
from ...core.predictions.events import RunEvent
from ...core.schema import ModelSchema
from ...wire.protocol import ErrorCode, Kind, ProtocolError, SecretRequest
from ..display import form_listing, with_static_view
from ..frame import DropZoneWidget, UploadMode
from ..status import RunStatusTraits, StatusPresenter, invalid
from .code import code_for
from .form import build_form, coerce, initial_values, problems_by_field
from .history import SECRET_MASK, PlaygroundRun
from .outputs import describe
from .worker import Runner

_FILE_KINDS = ("file", "files")


class Playground(DropZoneWidget, RunStatusTraits):
    """``rw.Playground("owner/name")``: the model's inputs as a form, Run and Cancel, outputs and history."""

    _esm = Path(__file__).parents[2] / "static" / "playground.js"

    model = traitlets.Unicode("").tag(sync=True)
    form: traitlets.List[Any] = traitlets.List().tag(sync=True)  # FieldSpec dicts, in x-order
    values = traitlets.Dict().tag(sync=True)  # valid non-secret, non-file values, edited in the browser
    files = traitlets.Dict().tag(sync=True)  # field -> entries (metadata only)
    field_errors = traitlets.Dict().tag(sync=True)
    stream_text = traitlets.Unicode("").tag(sync=True)
    outputs: traitlets.List[Any] = traitlets.List().tag(sync=True)
    runs: traitlets.List[Any] = traitlets.List().tag(sync=True)

    def __init__(
        self,
        model: ModelArg,
        *,
        client: Client | None = None,
        upload: UploadMode | None = None,
        storage: str | None = None,
        _schema: ModelSchema | None = None,
        **kwargs: Any,
    ) -> None:
        """``model``: a reference string or a handle (rw.model, rw.deployment), whose client it then uses."""
        client = client_of(model, client) or new_client()
        model, bound = unpack(model, {})
        if storage is None:  # a handle made with storage= keeps it here too
            storage = bound.get("storage")
        self._schema = _schema if _schema is not None else client.schema(model)
        form = build_form(self._schema)
        super().__init__(
            client=client,
            upload=upload,
            storage=storage,
            name="Playground",
            on_change=self._publish_files,
            group_of=self._field_of,
            model=model,
            form=list(form),
            values=initial_values(form),
            **kwargs,
        )
        self._secrets: dict[str, str] = {}
        self._history: list[PlaygroundRun] = []
        self._display = _TraitDisplay(self)
        self._runner = Runner(
            self.client, self._schema.is_streaming, self._display, storage=lambda: self.storage
        )
        self._endpoint.on(Kind.RUN, lambda _request, _buffers: {"started": self.start()})
        self._endpoint.on(Kind.CANCEL, lambda _request, _buffers: {"canceled": self.cancel()})
        self._endpoint.on(Kind.SECRET, self._on_secret)
        for spec in form:  # a file field whose default is a URL starts with that URL
            if spec["kind"] in _FILE_KINDS and isinstance(spec["default"], str) and spec["default"]:
                self._zone.add_url(spec["default"], spec["name"])
        self._publish_files()

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
        """The form's current values: files as rw.LocalFile or URL (once arrived), secrets masked."""
        return self._form_values(reveal_secrets=False)[0]

    @property
    def history(self) -> list[PlaygroundRun]:
        """This session's runs, oldest first."""
        return list(self._history)

    def code(self) -> str:
        """The ``rw.run(...)`` call that runs the current form (secrets asked for with getpass)."""
        return code_for(self.model, self.form, self.input)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Add a static description of the form, for viewers that can't run the widget."""
        return with_static_view(super()._repr_mimebundle_(**kwargs), *form_listing(self.model, self.form))

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run in progress (if any) ends. Meant for scripts: don't call it in a cell while
        using the widget, it would hold the kernel's attention."""
        self._runner.wait(timeout)

    def close(self) -> None:
        if hasattr(self, "_runner"):  # close() also runs from __del__ of a half-built widget
            self._runner.stop()
        super().close()

    # ---- the form ------------------------------------------------------------------------------------------
    def _field_of(self, entry_id: str) -> str:
        """Entry ids are ``"<field>:<token>"``: field names are identifiers and never hold a colon."""
        field = entry_id.split(":", 1)[0]
        if not any(s["name"] == field and s["kind"] in _FILE_KINDS for s in self.form):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{field!r} is not a file field of this model.")
        return field

    def _publish_files(self) -> None:
        grouped: dict[str, list[Any]] = {s["name"]: [] for s in self.form if s["kind"] in _FILE_KINDS}
        for entry in self._zone.entries() if hasattr(self, "_zone") else []:
            grouped.setdefault(entry.group, []).append(entry.public())
        self.files = grouped

    def _on_secret(self, request: SecretRequest, _buffers: list[Any]) -> dict[str, Any]:
        if not any(s["name"] == request["name"] and s["kind"] == "secret" for s in self.form):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"{request['name']!r} is not a secret field of this model."
            )
        self._secrets[request["name"]] = request["value"]
        return {}

    def _form_values(self, *, reveal_secrets: bool) -> tuple[dict[str, Any], dict[str, str]]:
        """The form's values by field, and the problems found by field (files still arriving, too many).

        The one reading of the form: ``input`` shows it with secrets masked, a run sends it with them.
        """
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for spec in self.form:
            name, kind = spec["name"], spec["kind"]
            if kind in _FILE_KINDS:
                try:
                    items = self._zone.values(name)
                except TransferError as exc:
                    errors[name] = str(exc)
                    continue
                if kind == "file" and len(items) > 1:
                    errors[name] = "Takes one file: remove the others."
                elif items:
                    values[name] = items[0] if kind == "file" else items
            elif kind == "secret":
                if self._secrets.get(name):
                    values[name] = self._secrets[name] if reveal_secrets else SECRET_MASK
            elif self.values.get(name) is not None:
                values[name] = coerce(spec, self.values[name])
        return values, errors

    def _problems(self, values: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
        """The schema's verdict by field; files are checked as references, so stand-ins take their place."""
        kinds = {s["name"]: s["kind"] for s in self.form}
        checked = {
            k: v if kinds.get(k) not in _FILE_KINDS else ["file"] * len(v) if kinds[k] == "files" else "file"
            for k, v in values.items()
        }
        return problems_by_field(self._schema.validate(checked), list(kinds))

    # ---- running -------------------------------------------------------------------------------------------
    def start(self) -> bool:
        """Check the form and start a run on a worker thread. Returns whether a run started."""
        if self._runner.busy:
            return False
        values, errors = self._form_values(reveal_secrets=True)
        by_field, general = self._problems(values)
        errors = {**by_field, **errors}
        if errors or general:
            with self.hold_sync():
                self.field_errors = errors
                self._show_status(
                    invalid(" ".join(general) or "Fix the fields marked in red, then run again.")
                )
            return False
        masked = {k: (SECRET_MASK if k in self._secrets else v) for k, v in values.items()}
        run = PlaygroundRun(n=len(self._history) + 1, model=self.model, input=masked)
        self._history.append(run)
        with self.hold_sync():
            self.field_errors = {}
            self._display.begin()
            self.stream_text = ""
            self.outputs = []
            self.runs = [r.public() for r in self._history]
        self._runner.start(run, values)
        return True

    def cancel(self) -> bool:
        """Cancel the run in progress: the remote prediction is canceled as soon as its id is known."""
        if not self._runner.cancel():
            return False
        self._display.presenter.cancel_requested()
        return True

    @property
    def _prediction_id(self) -> str:
        return self._runner.prediction_id


class _TraitDisplay:
    """The worker's view of the Playground (worker.RunDisplay): the run's status goes through the presenter
    FileInput uses too (widgets.status); the history, streamed text and outputs are the Playground's own."""

    def __init__(self, pg: Playground) -> None:
        self._pg = pg
        self.presenter = StatusPresenter(pg._show_status)

    def begin(self) -> None:
        """A run starts: a presenter of its own (logs, prediction id and a cancel belong to one run)."""
        self.presenter = StatusPresenter(self._pg._show_status)
        self.presenter.start()

    def show_event(self, run: PlaygroundRun, event: RunEvent, canceling: bool) -> None:
        pg = self._pg
        with pg.hold_sync():
            if canceling and not self.presenter.canceling:
                self.presenter.cancel_requested()
            self.presenter.event(event)
            if event.kind == "status" and event.status:
                pg.runs = [r.public() for r in pg.history]

    def show_text(self, run: PlaygroundRun, text: str) -> None:
        pg = self._pg
        with pg.hold_sync():
            if pg.status not in ("processing", "canceling"):
                pg.runs = [r.public() for r in pg.history]
            self.presenter.streaming()
            pg.stream_text = text

    def show_problems(self, problems: list[str]) -> None:
        self._pg.field_errors = problems_by_field(problems, [s["name"] for s in self._pg.form])[0]

    def show_message(self, message: str) -> None:
        self.presenter.note(message)

    def show_end(self, run: PlaygroundRun) -> None:
        pg = self._pg
        with pg.hold_sync():
            self.presenter.end(run.status, run.error, logs=run.logs)
            if run.status == "succeeded":
                pg.outputs = describe(run.output)
            pg.runs = [r.public() for r in pg.history]
