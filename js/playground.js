// Entry of the Playground widget: lays out the form, the Run/Cancel bar, live status, outputs and the
// session's runs, and is the only playground module that touches the model (traits and messages).
// `initialize` owns the model's drop zone (request channel + transfers), once per model; `render` draws one
// view of it, so the same Playground shown in several cells works in each.

import { DropZone } from "./wire/dropzone.js";
import { watchKernelSocket } from "./wire/kernelsocket.js";
import { PerModel } from "./wire/per-model.js";
import { buildForm } from "./playground/form.js";
import { createFileField } from "./playground/files.js";
import { layout } from "./playground/layout.js";
import { renderOutputs, renderStream } from "./playground/outputs.js";
import { renderHistory } from "./playground/status.js";
import { STATUS_EVENTS, ensureStatusStyle, isBusy, readStatus, renderStatus } from "./ui/status.js";
import { STYLE } from "./playground/style.js";
import { KIND } from "./wire/protocol.js";

/** @typedef {import("@anywidget/types").AnyModel} Model */

/** @type {PerModel<DropZone>} */
const zones = new PerModel((/** @type {Model} */ model) =>
  new DropZone(/** @type {any} */ (model), {
    entries: () => Object.values(model.get("files") ?? {}).flat(),
    // the kernel's cap: 100 MiB, or more when the Playground has a bucket for big files
    maxBytes: () => model.get("max_bytes") || undefined,
  }),
);

/** @param {{model: Model}} props */
function initialize({ model }) {
  const zone = zones.get(model);
  /** @type {any} */ (model).on("comm_live_update", () => zone.checkKernel());
  const sync = () => zone.syncEntries();
  model.on("change:files", sync);
  const unwatch = watchKernelSocket(model, (up) => zone.setLink(up));
  return () => {
    unwatch();
    model.off("change:files", sync);
    zone.dispose();
    zones.drop(model);
  };
}

/** @typedef {import("./playground/types.js").FieldSpec} FieldSpec */

/** @param {Document} doc */
function ensureStyle(doc) {
  if (doc.getElementById("rwp-style")) return;
  const style = doc.createElement("style");
  style.id = "rwp-style";
  style.textContent = STYLE;
  doc.head.append(style);
}

/** @param {{model: Model, el: HTMLElement}} props */
function render({ model, el }) {
  const zone = zones.get(model);
  ensureStyle(el.ownerDocument);
  const parts = layout(model.get("model"));
  const { root, formEl, runButton, cancelButton, alert, status: panel, stream, outputs, historyList, empty } = parts;
  el.append(root);
  ensureStatusStyle(el);

  /** @type {(() => void)[]} */
  const disposers = [];
  let refused = ""; // the last request the kernel refused or never answered, until the next run starts
  /** A request the kernel answers: a refusal or a lost connection shows in the alert line. @param {import("./wire/protocol.js").Request} content */
  const ask = (content) =>
    zone.request(content).catch((err) => {
      refused = String(err.message ?? err);
      update();
      return null;
    });

  const form = buildForm(formEl, model.get("form") ?? [], model.get("values") ?? {}, {
    onValues(values) {
      model.set("values", values);
      model.save_changes();
    },
    onSecret(name, value) {
      ask({ kind: KIND.SECRET, name, value });
    },
    fileField: (spec) => {
      const field = createFileField(spec, zone);
      disposers.push(field.dispose);
      return field;
    },
  });

  wireRunBar(parts, form, () => isBusy(model.get("status")), ask);

  let shown = "";
  const update = () => {
    const state = readStatus(model);
    if (state.status === "starting" && shown !== "starting") refused = "";
    shown = state.status;
    renderStatus(panel, state);
    const busy = isBusy(state.status);
    runButton.disabled = busy || Boolean(zone.fatal);
    cancelButton.disabled = !busy || state.status === "canceling";
    alert.textContent = zone.fatal || refused;
    alert.hidden = !alert.textContent;
    root.dataset.status = state.status;
  };
  const updateEmpty = () => {
    empty.hidden = !outputs.hidden || !stream.hidden || (model.get("runs") ?? []).length > 0;
  };
  const updateOutputs = () => {
    renderOutputs(outputs, model.get("outputs") ?? []);
    updateEmpty();
  };
  const updateStream = () => {
    renderStream(stream, model.get("stream_text") ?? "");
    updateEmpty();
  };
  const updateHistory = () => {
    renderHistory(historyList, model.get("runs") ?? []);
    updateEmpty();
  };
  const updateErrors = () => form.showErrors(model.get("field_errors") ?? {});

  /** @type {[string, () => void][]} */
  const wiring = [
    ...STATUS_EVENTS.map((event) => /** @type {[string, () => void]} */ ([event, update])),
    ["change:outputs", updateOutputs],
    ["change:stream_text", updateStream],
    ["change:runs", updateHistory],
    ["change:field_errors", updateErrors],
  ];
  for (const [event, handler] of wiring) model.on(event, handler);
  zone.listeners.add(update);
  update();
  updateOutputs();
  updateStream();
  updateHistory();
  root.dataset.ready = "1";
  return () => {
    zone.listeners.delete(update);
    for (const dispose of disposers) dispose();
    for (const [event, handler] of wiring) model.off(event, handler);
  };
}

/**
 * Run on the button, on submit and on Ctrl/Cmd+Enter, once the form is valid; Cancel asks the kernel.
 * @param {ReturnType<typeof layout>} parts
 * @param {ReturnType<typeof buildForm>} form
 * @param {() => boolean} busy
 * @param {(content: import("./wire/protocol.js").Request) => Promise<unknown>} ask
 */
function wireRunBar({ formEl, runButton, cancelButton }, form, busy, ask) {
  const run = () => {
    if (busy()) return;
    if (!form.validateAll()) {
      form.firstInvalid()?.focus();
      return;
    }
    ask({ kind: KIND.RUN });
  };
  /** @param {Event} event */
  const runFrom = (event) => {
    event.preventDefault();
    run();
  };
  formEl.addEventListener("submit", runFrom);
  runButton.addEventListener("click", runFrom);
  formEl.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) runFrom(event);
  });
  cancelButton.addEventListener("click", () => ask({ kind: KIND.CANCEL }));
}

export default { initialize, render };
