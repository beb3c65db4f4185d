// The form: one control per Input field in the kernel's order, the typed values they hold, and the
// reasons any of them are refused. Secrets go to the kernel by message, never into `values`.

import { createField } from "./fields.js";
import { parseField } from "./validate.js";

/** @typedef {import("./types.js").FieldSpec} FieldSpec */

/**
 * @typedef {object} FileFieldControl
 * @property {HTMLElement} root
 * @property {() => string} check     the reason the field is not ready ("" when it is)
 * @property {(error: string) => void} flag
 * @property {() => void} refresh      redraw from the kernel's file list
 */

/**
 * @typedef {object} FormHooks
 * @property {(values: Record<string, any>) => void} onValues     valid, non-secret values changed
 * @property {(name: string, value: string) => void} onSecret     a secret field was edited
 * @property {(spec: FieldSpec) => FileFieldControl} fileField    builds a drop zone for a file field
 */

/**
 * @param {HTMLElement} container
 * @param {FieldSpec[]} specs
 * @param {Record<string, any>} initial   the values the kernel holds (defaults on first display)
 * @param {FormHooks} hooks
 */
export function buildForm(container, specs, initial, hooks) {
  /** @type {Record<string, any>} */
  const values = { ...initial };
  /** @type {Map<string, string>} */
  const errors = new Map();
  /** @type {Map<string, import("./fields.js").FieldControl>} */
  const controls = new Map();
  /** @type {Map<string, FileFieldControl>} */
  const fileControls = new Map();

  /** @param {FieldSpec} spec @param {import("./fields.js").FieldControl} control */
  const readOne = (spec, control) => {
    const raw = control.read();
    if (spec.kind === "secret") {
      hooks.onSecret(spec.name, String(raw));
      const error = raw === "" && spec.required ? "Required." : "";
      errors.set(spec.name, error);
      return error;
    }
    const { value, error } = parseField(spec, raw);
    errors.set(spec.name, error);
    if (!error) {
      if (value === undefined) delete values[spec.name];
      else values[spec.name] = value;
    }
    return error;
  };

  for (const spec of specs) {
    if (spec.kind === "file" || spec.kind === "files") {
      const control = hooks.fileField(spec);
      fileControls.set(spec.name, control);
      container.append(control.root);
      continue;
    }
    const start = spec.kind === "secret" ? "" : initial[spec.name];
    const control = createField(spec, start, () => {
      control.flag(readOne(spec, control));
      if (spec.kind !== "secret") hooks.onValues({ ...values });
    });
    controls.set(spec.name, control);
    container.append(control.root);
  }

  return {
    /** Check every field; flag the bad ones. @returns {boolean} whether the form may be sent */
    validateAll() {
      let ok = true;
      for (const spec of specs) {
        const fileControl = fileControls.get(spec.name);
        const error = fileControl ? fileControl.check() : readOne(spec, /** @type {any} */ (controls.get(spec.name)));
        (fileControl ?? controls.get(spec.name))?.flag(error);
        if (error) ok = false;
      }
      if (ok) hooks.onValues({ ...values });
      return ok;
    },
    /** Show the kernel's verdict per field. @param {Record<string, string>} kernelErrors */
    showErrors(kernelErrors) {
      for (const spec of specs) {
        const message = kernelErrors[spec.name] ?? errors.get(spec.name) ?? "";
        (fileControls.get(spec.name) ?? controls.get(spec.name))?.flag(message);
      }
    },
    /** The first control with a problem, to move focus there. */
    firstInvalid() {
      return /** @type {HTMLElement|null} */ (container.querySelector(".rwp-invalid input, .rwp-invalid select, .rwp-invalid textarea, .rwp-invalid .rwp-drop"));
    },
  };
}
