// The Playground's layout: the head, the form, and the result column (Run/Cancel bar, status, logs, streamed
// text, outputs, the session's runs), as empty elements for playground.js to wire and fill.

import { h } from "../ui/dom.js";

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

  return {
    root, formEl, runButton, cancelButton, badge, message, bar, logs, stream, outputs, historyList, empty,
  };
}
