// The session's list of runs (the live run's status is drawn by ui/status.js, as in FileInput).

import { h } from "../ui/dom.js";

/** @typedef {import("./types.js").RunSummary} RunSummary */

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
