// The Playground's layout: the head, the form, and the result column (Run/Cancel bar, the run's status, streamed
// text, outputs, the session's runs), as empty elements for playground.js to wire and fill.

import { h } from "../ui/dom.js";
import { statusPanel } from "../ui/status.js";

/** @param {string} modelName */
export function layout(modelName) {
  const root = h("div", "rwp");
  root.dataset.lmSuppressShortcuts = "true"; // notebook single-key shortcuts must not fire while typing here
  const head = h("div", "rwp-head");
  head.append(h("span", "rwp-title", "Playground"), h("code", "rwp-model", modelName));
  const formEl = h("form", "rwp-form");
  formEl.noValidate = true;
  formEl.setAttribute("aria-label", `Inputs of ${modelName}`);

  const runButton = h("button", "rwp-button rwp-run-button", "Run");
  runButton.type = "button"; // it sits outside the <form>, so it is wired by hand below
  const cancelButton = h("button", "rwp-button rwp-cancel-button", "Cancel");
  cancelButton.type = "button";
  const actions = h("div", "rwp-actions");
  actions.append(runButton, cancelButton);
  const alert = h("div", "rwp-alert"); // the page's own trouble (a request refused, the kernel gone)
  alert.setAttribute("role", "alert");
  alert.hidden = true;
  const status = statusPanel(); // the run: the same panel as FileInput's (ui/status.js)
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
  result.append(actions, alert, status.root, stream, outputs, empty, history);
  const body = h("div", "rwp-body");
  body.append(formEl, result);
  root.append(head, body);

  return {
    root, formEl, runButton, cancelButton, alert, status, stream, outputs, historyList, empty,
  };
}
