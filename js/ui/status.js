// A run's status as both widgets show it: a badge with the status word, one line of text, a progress bar
// while the run goes on, and the tail of the log. FileInput and the Playground sync the same four traits
// (status, message, progress, logs: widgets/status.py makes them from the run's events) and draw them here,
// so the same run looks the same in either.

import { h } from "./dom.js";

/** @typedef {{status: string, message: string, progress: number, logs: string}} RunStatus */
/** @typedef {{root: HTMLElement, badge: HTMLElement, message: HTMLElement, bar: HTMLProgressElement, logs: HTMLElement}} StatusPanel */

/** The model's traits the panel follows, for `model.on`. */
export const STATUS_EVENTS = ["change:status", "change:message", "change:progress", "change:logs"];

const BUSY = new Set(["uploading", "starting", "processing", "canceling"]);

/** Whether a run is still going (Run waits, Cancel can act). @param {string} status */
export function isBusy(status) {
  return BUSY.has(status);
}

/**
 * How a status reads at a glance: the colour of its badge and text.
 * @param {string} status @returns {"idle" | "busy" | "ok" | "warn" | "error"}
 */
export function toneOf(status) {
  if (isBusy(status)) return "busy";
  if (status === "succeeded") return "ok";
  if (status === "canceled") return "warn";
  if (status === "failed" || status === "aborted" || status === "invalid") return "error";
  return "idle";
}

/**
 * The four status traits of a widget's model, with their defaults when unset.
 * @param {{get(name: string): any}} model @returns {RunStatus}
 */
export function readStatus(model) {
  const progress = model.get("progress");
  return {
    status: model.get("status") || "idle",
    message: model.get("message") ?? "",
    progress: typeof progress === "number" ? progress : -1,
    logs: model.get("logs") ?? "",
  };
}

/** The panel's elements, empty until `renderStatus` fills them. @returns {StatusPanel} */
export function statusPanel() {
  const root = h("div", "rw-status");
  root.hidden = true;
  const head = h("div", "rw-status-head");
  const badge = h("span", "rw-status-badge");
  const message = h("span", "rw-status-message");
  head.append(badge, message);
  head.setAttribute("role", "status"); // read out as it changes
  const bar = h("progress", "rw-status-bar");
  bar.max = 1;
  const logs = h("pre", "rw-status-logs");
  logs.setAttribute("aria-label", "Log");
  logs.tabIndex = 0; // it scrolls: reachable from the keyboard
  logs.setAttribute("data-lm-suppress-shortcuts", "true");
  root.append(head, bar, logs);
  return { root, badge, message, bar, logs };
}

/**
 * Bring the panel in line with `state`. Hidden until the first run; the bar moves while the run goes on (at
 * the fraction when one is known, indeterminate otherwise); the log keeps its newest line in view.
 * @param {StatusPanel} panel @param {RunStatus} state
 */
export function renderStatus(panel, state) {
  const status = state.status || "idle";
  const busy = isBusy(status);
  panel.root.hidden = status === "idle";
  panel.root.dataset.status = status;
  panel.root.dataset.tone = toneOf(status);
  panel.badge.textContent = status;
  panel.message.textContent = state.message;
  panel.message.hidden = !state.message;
  panel.bar.hidden = !busy;
  if (state.progress >= 0) panel.bar.value = Math.min(1, state.progress);
  else panel.bar.removeAttribute("value"); // indeterminate until a fraction is known
  panel.bar.setAttribute("aria-label", state.progress >= 0 ? `${status}: ${Math.round(state.progress * 100)}%` : status);
  panel.logs.hidden = !state.logs;
  if (panel.logs.textContent !== state.logs) {
    panel.logs.textContent = state.logs;
    panel.logs.scrollTop = panel.logs.scrollHeight;
  }
}

const STYLE_ID = "rw-status-style";

/**
 * Add the panel's stylesheet once to the document (or shadow root) that `el` is in.
 * @param {HTMLElement} el
 */
export function ensureStatusStyle(el) {
  const root = el.getRootNode();
  const target = root instanceof ShadowRoot ? root : el.ownerDocument.head;
  if (target.querySelector(`#${STYLE_ID}`)) return;
  const style = el.ownerDocument.createElement("style");
  style.id = STYLE_ID;
  style.textContent = STATUS_STYLE;
  target.append(style);
}

// Colours from JupyterLab's --jp-* variables (light and dark themes), with fallbacks for other hosts.
export const STATUS_STYLE = `
.rw-status {
  --rws-fg: var(--jp-ui-font-color1, #1f2328);
  --rws-muted: var(--jp-ui-font-color2, #59636e);
  --rws-bg: var(--jp-layout-color1, #fff);
  --rws-soft: var(--jp-layout-color2, #f4f5f7);
  --rws-border: var(--jp-border-color2, #e1e4e8);
  --rws-tone: var(--jp-ui-font-color2, #59636e);
  --rws-on-tone: var(--jp-ui-inverse-font-color0, #fff);
  display: flex; flex-direction: column; gap: 6px; padding: 8px 10px; border-radius: 8px;
  background: var(--rws-soft); color: var(--rws-fg); box-sizing: border-box; min-width: 0;
}
.rw-status[data-tone=busy] { --rws-tone: var(--jp-brand-color1, #1976d2); }
.rw-status[data-tone=ok] { --rws-tone: var(--jp-success-color1, #2e7d32); }
.rw-status[data-tone=warn] { --rws-tone: var(--jp-warn-color1, #b26a00); }
.rw-status[data-tone=error] { --rws-tone: var(--jp-error-color1, #d32f2f); }
.rw-status[hidden], .rw-status [hidden] { display: none !important; }
.rw-status-head { display: flex; align-items: baseline; gap: 8px; min-width: 0; }
.rw-status-badge { flex: none; padding: 1px 8px; border-radius: 10px; font-size: var(--jp-ui-font-size0, 12px);
  font-weight: 600; letter-spacing: 0.02em; color: var(--rws-on-tone); background: var(--rws-tone); }
.rw-status-message { flex: 1 1 auto; min-width: 0; color: var(--rws-muted); white-space: pre-wrap;
  overflow-wrap: anywhere; }
.rw-status[data-tone=error] .rw-status-message { color: var(--rws-tone); }
.rw-status-bar { width: 100%; height: 6px; margin: 0; accent-color: var(--rws-tone); }
.rw-status-logs { margin: 0; max-height: 10em; overflow: auto; padding: 6px 8px; border-radius: 4px;
  border: 1px solid var(--rws-border); background: var(--jp-cell-editor-background, var(--rws-bg));
  color: var(--rws-muted); font-family: var(--jp-code-font-family, ui-monospace, monospace);
  font-size: var(--jp-code-font-size, 12px); white-space: pre-wrap; overflow-wrap: anywhere; }
`;
