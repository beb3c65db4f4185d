// Entry of the Playground widget: lays out the form, the Run/Cancel bar, live status, outputs and the
// session's runs, and is the only playground module that touches the model (traits and messages).
// `initialize` owns the model's drop zone (request channel + transfers), once per model; `render` draws one
// view of it, so the same Playground shown in several cells works in each.

import { h } from "./dom.js";
import { DropZone } from "./dropzone.js";
import { watchKernelSocket } from "./kernelsocket.js";
import { PerModel } from "./per-model.js";
import { buildForm } from "./playground/form.js";
import { createFileField } from "./playground/files.js";
import { renderOutputs, renderStream } from "./playground/outputs.js";
import { isBusy, renderHistory, renderStatus } from "./playground/status.js";
import { STYLE } from "./playground/style.js";
import { KIND } from "./protocol.js";

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
  const root = h("div", "rwp");
  root.dataset.lmSuppressShortcuts = "true"; // notebook single-key shortcuts must not fire while typing here
  const head = h("div", "rwp-head");
  head.append(h("span", "rwp-title", "Playground"), h("code", "rwp-model", model.get("model")));
  const formEl = h("form", "rwp-form");
  formEl.noValidate = true;
  formEl.setAttribute("aria-label", `Inputs of ${model.get("model")}`);

  const runButton = h("button", "rwp-button rwp-run-button", "Run");
  runButton.type = "button"; // it sits outside the <form>, so it is wired by hand below
  const cancelButton = h("button", "rwp-button rwp-cancel-button", "Cancel");
  cancelButton.type = "button";
  const badge = h("span", "rwp-status");
  badge.setAttribute("aria-live", "polite");
  const actions = h("div", "rwp-actions");
  actions.append(runButton, cancelButton, badge);
  const message = h("div", "rwp-message");
  const bar = h("progress", "rwp-progress");
  bar.max = 1;
  const logs = h("pre", "rwp-logs");
  const stream = h("pre", "rwp-stream");
  stream.setAttribute("aria-live", "polite");
  const outputs = h("div", "rwp-outputs");
  const history = h("details", "rwp-history");
  history.open = true;
  const historyList = h("ol", "rwp-history-list");
  history.append(h("summary", "", "Runs in this session"), historyList);

  const result = h("section", "rwp-result");
  result.setAttribute("aria-label", "Run and output");
  const empty = h("div", "rwp-empty", "Run the model to see its output here.");
  result.append(actions, message, bar, logs, stream, outputs, empty, history);
  const body = h("div", "rwp-body");
  body.append(formEl, result);
  root.append(head, body);
  el.append(root);

  /** @type {(() => void)[]} */
  const disposers = [];
  /** A request the kernel answers: a refusal or a lost connection shows in the message line. @param {import("./protocol.js").Request} content */
  const ask = (content) =>
    zone.request(content).catch((err) => {
      message.hidden = false;
      message.textContent = String(err.message ?? err);
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

  const run = () => {
    if (isBusy(model.get("status"))) return;
    if (!form.validateAll()) {
      form.firstInvalid()?.focus();
      return;
    }
    ask({ kind: KIND.RUN });
  };
  formEl.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  runButton.addEventListener("click", (event) => {
    event.preventDefault();
    run();
  });
  formEl.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  cancelButton.addEventListener("click", () => ask({ kind: KIND.CANCEL }));

  const statusParts = { badge, message, bar, logs };
  const update = () => {
    const status = model.get("status");
    renderStatus(statusParts, {
      status,
      message: model.get("message") ?? "",
      progress: model.get("progress") ?? -1,
      logs: model.get("logs") ?? "",
    });
    const busy = isBusy(status);
    runButton.disabled = busy || Boolean(zone.fatal);
    if (zone.fatal) {
      message.hidden = false;
      message.textContent = zone.fatal;
    }
    cancelButton.disabled = !busy || status === "canceling";
    root.dataset.status = status;
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
    ["change:status", update],
    ["change:message", update],
    ["change:progress", update],
    ["change:logs", update],
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

export default { initialize, render };
