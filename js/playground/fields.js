// DOM controls for the non-file fields: one function per kind, all returning the same small interface so
// the form can read, fill and flag any of them alike. No I/O here.

import { h } from "../ui/dom.js";
import { formatValue } from "./validate.js";

/** @typedef {import("./types.js").FieldSpec} FieldSpec */

/**
 * @typedef {object} FieldControl
 * @property {HTMLElement} root        the whole row: label, control, hint, error
 * @property {() => any} read          what the control holds (string, or boolean for a toggle)
 * @property {(value: any) => void} write
 * @property {(error: string) => void} flag   show or clear the reason a value is refused
 */

/**
 * The frame every field shares: label with a required mark and the field's name, the control's slot,
 * the description as a hint, and an error line announced to screen readers.
 * @param {FieldSpec} spec
 * @param {string} controlId
 */
export function fieldRow(spec, controlId) {
  const root = h("div", `rwp-field rwp-kind-${spec.kind}`);
  root.dataset.field = spec.name;
  const label = h("label", "rwp-label");
  label.htmlFor = controlId;
  label.append(h("span", "rwp-label-text", spec.label));
  if (spec.required) {
    const mark = h("span", "rwp-required", "*");
    mark.title = "Required";
    label.append(mark);
  }
  label.append(h("code", "rwp-name", spec.name));
  const slot = h("div", "rwp-control");
  const hint = h("div", "rwp-hint");
  hint.append(...linkify(spec.description));
  hint.id = `${controlId}-hint`;
  const error = h("div", "rwp-error");
  error.id = `${controlId}-error`;
  error.setAttribute("role", "alert");
  root.append(label, slot);
  if (spec.description) root.append(hint);
  root.append(error);
  /** @param {string} message */
  const flag = (message) => {
    error.textContent = message;
    root.classList.toggle("rwp-invalid", Boolean(message));
    for (const input of slot.querySelectorAll("input, select, textarea")) {
      input.setAttribute("aria-invalid", message ? "true" : "false");
    }
  };
  return { root, slot, flag };
}

/**
 * Descriptions often carry Markdown links (`[text](https://…)`) or bare URLs: make them links, as text nodes
 * and anchors only (never HTML from the schema).
 * @param {string} text
 * @returns {(string | HTMLAnchorElement)[]}
 */
export function linkify(text) {
  /** @type {(string | HTMLAnchorElement)[]} */
  const parts = [];
  const pattern = /\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)|(https?:\/\/[^\s)]+)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(last, match.index));
    const link = h("a", "rwp-link", match[1] ?? match[3]);
    link.href = match[2] ?? match[3];
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parts.push(link);
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(text.slice(last));
  return parts.filter((part) => part !== "");
}

let counter = 0;

/**
 * Build the control for one non-file field.
 * @param {FieldSpec} spec
 * @param {any} initial       the value to show first (the default, or what the kernel holds)
 * @param {() => void} onInput  called on every edit
 * @returns {FieldControl}
 */
export function createField(spec, initial, onInput) {
  const id = `rwp-${spec.name}-${++counter}`;
  const { root, slot, flag } = fieldRow(spec, id);
  const control = buildControl(spec, id, onInput);
  slot.append(...control.nodes);
  for (const node of slot.querySelectorAll("input, select, textarea")) {
    if (spec.description) node.setAttribute("aria-describedby", `${id}-hint ${id}-error`);
  }
  control.write(initial);
  return { root, read: control.read, write: control.write, flag };
}

/**
 * @param {FieldSpec} spec
 * @param {string} id
 * @param {() => void} onInput
 * @returns {{nodes: HTMLElement[], read: () => any, write: (value: any) => void}}
 */
function buildControl(spec, id, onInput) {
  switch (spec.kind) {
    case "toggle":
      return toggle(id, onInput);
    case "select":
      return select(spec, id, onInput);
    case "slider":
      return slider(spec, id, onInput);
    case "textarea":
    case "list":
    case "json":
      return textArea(spec, id, onInput);
    default:
      return textBox(spec, id, onInput);
  }
}

/** @param {string} id @param {() => void} onInput */
function toggle(id, onInput) {
  const input = h("input", "rwp-toggle");
  input.type = "checkbox";
  input.id = id;
  input.setAttribute("role", "switch");
  input.addEventListener("change", onInput);
  return { nodes: [input], read: () => input.checked, write: (/** @type {any} */ v) => (input.checked = Boolean(v)) };
}

/** @param {FieldSpec} spec @param {string} id @param {() => void} onInput */
function select(spec, id, onInput) {
  const input = h("select", "rwp-select");
  input.id = id;
  if (!spec.required || !spec.has_default) input.append(new Option(spec.required ? "Choose…" : "(not set)", ""));
  for (const option of spec.options) input.append(new Option(String(option), String(option)));
  input.addEventListener("change", onInput);
  return {
    nodes: [input],
    read: () => input.value,
    write: (/** @type {any} */ v) => (input.value = v === undefined || v === null ? "" : String(v)),
  };
}

/** @param {FieldSpec} spec @param {string} id @param {() => void} onInput */
function slider(spec, id, onInput) {
  const range = h("input", "rwp-range");
  range.type = "range";
  range.min = String(spec.minimum);
  range.max = String(spec.maximum);
  range.step = String(spec.step ?? "any");
  range.tabIndex = -1; // the number box is the keyboard stop; the slider is for the mouse
  range.setAttribute("aria-hidden", "true");
  const box = numberBox(spec, id);
  range.addEventListener("input", () => {
    box.value = range.value;
    onInput();
  });
  box.addEventListener("input", () => {
    if (box.value !== "") range.value = box.value;
    onInput();
  });
  const write = (/** @type {any} */ v) => {
    box.value = formatValue(spec, v);
    range.value = box.value === "" ? String(spec.minimum) : box.value;
    range.classList.toggle("rwp-range-unset", box.value === "");
  };
  return { nodes: [range, box], read: () => box.value, write };
}

/** @param {FieldSpec} spec @param {string} id */
function numberBox(spec, id) {
  const box = h("input", "rwp-number");
  box.type = "number";
  box.id = id;
  if (spec.minimum !== null) box.min = String(spec.minimum);
  if (spec.maximum !== null) box.max = String(spec.maximum);
  box.step = spec.value_type === "integer" ? "1" : "any";
  box.placeholder = spec.has_default ? "" : "(not set)";
  return box;
}

/** @param {FieldSpec} spec @param {string} id @param {() => void} onInput */
function textArea(spec, id, onInput) {
  const area = h("textarea", `rwp-textarea${spec.kind === "json" ? " rwp-mono" : ""}`);
  area.id = id;
  area.rows = spec.kind === "textarea" ? 3 : 2;
  if (spec.kind === "list") area.placeholder = "One item per line";
  if (spec.kind === "json") area.placeholder = "JSON";
  area.addEventListener("input", onInput);
  const write = (/** @type {any} */ v) => (area.value = formatValue(spec, v));
  return { nodes: [area], read: () => area.value, write };
}

/** @param {FieldSpec} spec @param {string} id @param {() => void} onInput */
function textBox(spec, id, onInput) {
  const input = spec.kind === "number" ? numberBox(spec, id) : h("input", "rwp-text");
  input.id = id;
  if (spec.kind === "text") input.type = "text";
  if (spec.kind === "secret") {
    input.type = "password";
    input.autocomplete = "off";
    input.placeholder = "Kept in the kernel only; never saved";
  }
  input.addEventListener("input", onInput);
  const write = (/** @type {any} */ v) => (input.value = formatValue(spec, v));
  return { nodes: [input], read: () => input.value, write };
}
