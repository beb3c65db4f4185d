// The run's live state (status, progress bar, log tail) and the session's list of runs.

import { h } from "../ui/dom.js";

/** @typedef {import("./types.js").RunSummary} RunSummary */

const BUSY = new Set(["validating", "uploading", "starting", "processing", "canceling"]);

/** @param {string} status */
export function isBusy(status) {
  return BUSY.has(status);
}

/**
 * @param {{badge: HTMLElement, message: HTMLElement, bar: HTMLProgressElement, logs: HTMLElement}} parts
 * @param {{status: string, message: string, progress: number, logs: string}} state
 */
export function renderStatus(parts, state) {
  const status = state.status || "idle";
  parts.badge.textContent = status === "idle" ? "ready" : status;
  parts.badge.dataset.status = status;
  parts.message.textContent = state.message;
  parts.message.hidden = !state.message;
  const busy = isBusy(status);
  parts.bar.hidden = !busy;
  if (state.progress >= 0) parts.bar.value = state.progress;
  else parts.bar.removeAttribute("value"); // indeterminate until the model reports a fraction
  parts.logs.hidden = !state.logs;
  if (parts.logs.textContent !== state.logs) {
    parts.logs.textContent = state.logs;
    parts.logs.scrollTop = parts.logs.scrollHeight;
  }
}

/**
 * @param {HTMLElement} list
 * @param {RunSummary[]} runs
 */
export function renderHistory(list, runs) {
  list.replaceChildren();
  const wrapper = /** @type {HTMLElement} */ (list.parentElement);
  wrapper.hidden = runs.length === 0;
  for (const run of [...runs].reverse()) {
    const row = h("li", "rwp-run");
    row.dataset.status = run.status;
    row.append(
      h("span", "rwp-run-n", `#${run.n}`),
      h("span", "rwp-run-status", run.status),
      h("span", "rwp-run-time", run.seconds === null ? "" : `${run.seconds.toFixed(1)} s`),
      h("span", "rwp-run-summary", run.summary),
    );
    if (run.id) {
      // the id finds the run again after a kernel restart: rw.prediction(id)
      row.title = `prediction ${run.id}`;
      row.append(h("code", "rwp-run-id", run.id));
    }
    list.append(row);
  }
}
