// Turns what a form control holds into the typed value the model expects, or the reason it can't.
// Pure functions, so the rules are unit tested without a DOM. The kernel checks again with the schema
// before running; this copy exists for instant feedback at the field.

import { asHostedUrl } from "../wire/protocol.js";

/** @typedef {import("./types.js").FieldSpec} FieldSpec */

/**
 * @typedef {object} Parsed
 * @property {any} value      the typed value (undefined when the field is left empty)
 * @property {string} error   why the value is refused ("" when fine)
 */

/** @param {any} raw */
function isBlank(raw) {
  return raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "");
}

/**
 * @param {number} value
 * @param {FieldSpec} spec
 * @returns {string}
 */
export function checkBounds(value, spec) {
  if (spec.minimum !== null && spec.minimum !== undefined && value < spec.minimum) {
    return `Must be at least ${spec.minimum}.`;
  }
  if (spec.maximum !== null && spec.maximum !== undefined && value > spec.maximum) {
    return `Must be at most ${spec.maximum}.`;
  }
  return "";
}

/**
 * @param {string} text
 * @param {string} type  "integer" | "number" | anything else (kept as text)
 * @returns {{value: any, error: string}}
 */
function parseScalar(text, type) {
  if (type !== "integer" && type !== "number") return { value: text, error: "" };
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === "" || !Number.isFinite(value)) return { value: undefined, error: "Enter a number." };
  if (type === "integer" && !Number.isInteger(value)) {
    return { value: undefined, error: "Enter a whole number." };
  }
  return { value, error: "" };
}

/**
 * Parse one non-file field.
 * @param {FieldSpec} spec
 * @param {any} raw  a string from a text box, number box or dropdown; a boolean from a toggle
 * @returns {Parsed}
 */
export function parseField(spec, raw) {
  if (spec.kind === "toggle") return { value: Boolean(raw), error: "" };
  if (isBlank(raw)) {
    const error = spec.required && !spec.has_default ? "Required." : "";
    return { value: undefined, error };
  }
  const text = String(raw);
  switch (spec.kind) {
    case "number":
    case "slider": {
      const { value, error } = parseScalar(text, spec.value_type);
      return error ? { value, error } : { value, error: checkBounds(value, spec) };
    }
    case "select": {
      const match = spec.options.find((option) => String(option) === text);
      if (match === undefined) {
        return { value: undefined, error: `Choose one of: ${spec.options.join(", ")}.` };
      }
      return { value: match, error: "" };
    }
    case "list":
      return parseList(spec, text);
    case "json":
      try {
        return { value: JSON.parse(text), error: "" };
      } catch (err) {
        return { value: undefined, error: `Not valid JSON: ${/** @type {Error} */ (err).message}` };
      }
    default:
      return { value: text, error: "" };
  }
}

/**
 * One item per line; blank lines are skipped.
 * @param {FieldSpec} spec
 * @param {string} text
 * @returns {Parsed}
 */
function parseList(spec, text) {
  const lines = text.split("\n").map((line) => line.trim());
  /** @type {any[]} */
  const items = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const { value, error } = parseScalar(lines[i], spec.item_type);
    if (error) return { value: undefined, error: `Line ${i + 1}: ${error}` };
    items.push(value);
  }
  if (items.length === 0 && spec.required && !spec.has_default) return { value: undefined, error: "Required." };
  return { value: items.length ? items : undefined, error: "" };
}

/**
 * The problem with a pasted file URL, or "". The same rule as the kernel's: one http(s) URL (a data: URL
 * would put the file's bytes in a message the kernel refuses; drop the file itself instead).
 * @param {string} url
 */
export function checkFileUrl(url) {
  return asHostedUrl(url) ? "" : "Enter an http(s) URL, or drop the file itself.";
}

/**
 * Whether a file field has what it needs.
 * @param {FieldSpec} spec
 * @param {number} count  files and URLs given
 */
export function checkFileCount(spec, count) {
  if (count === 0 && spec.required && !spec.has_default) {
    return spec.kind === "files" ? "Required: drop one or more files." : "Required: drop a file or paste a URL.";
  }
  if (spec.kind === "file" && count > 1) return "Takes one file: remove the others.";
  return "";
}

/**
 * The text a control shows for a value (the inverse of parseField for the initial fill).
 * @param {FieldSpec} spec
 * @param {any} value
 * @returns {string}
 */
export function formatValue(spec, value) {
  if (value === undefined || value === null) return "";
  if (spec.kind === "list" && Array.isArray(value)) return value.join("\n");
  if (spec.kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}
