// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { checkFileCount, checkFileUrl, formatValue, parseField } from "./playground/validate.js";
import { createField } from "./playground/fields.js";
import { buildForm } from "./playground/form.js";
import { renderOutputs } from "./playground/outputs.js";
import { renderHistory } from "./playground/status.js";

/** @param {Partial<import("./playground/types.js").FieldSpec>} over @returns {import("./playground/types.js").FieldSpec} */
function spec(over) {
  return {
    name: "x", label: "X", description: "", kind: "text", value_type: "string", required: false,
    has_default: false, default: null, minimum: null, maximum: null, step: null, options: [], accept: "",
    item_type: "", ...over,
  };
}

describe("parseField", () => {
  it("types numbers and checks bounds", () => {
    const steps = spec({ kind: "slider", value_type: "integer", minimum: 1, maximum: 500 });
    expect(parseField(steps, "50")).toEqual({ value: 50, error: "" });
    expect(parseField(steps, "0").error).toBe("Must be at least 1.");
    expect(parseField(steps, "501").error).toBe("Must be at most 500.");
    expect(parseField(steps, "2.5").error).toBe("Enter a whole number.");
    expect(parseField(steps, "abc").error).toBe("Enter a number.");
    const guidance = spec({ kind: "number", value_type: "number", minimum: 0 });
    expect(parseField(guidance, "7.5").value).toBe(7.5);
  });

  it("leaves optional fields out and flags required ones", () => {
    expect(parseField(spec({}), "")).toEqual({ value: undefined, error: "" });
    expect(parseField(spec({ required: true }), " ").error).toBe("Required.");
    expect(parseField(spec({ required: true, has_default: true }), "").error).toBe("");
  });

  it("maps dropdown text back to the option's own type", () => {
    const preset = spec({ kind: "select", value_type: "integer", options: [2, 3, 4] });
    expect(parseField(preset, "3").value).toBe(3);
    expect(parseField(preset, "9").error).toContain("Choose one of");
  });

  it("parses lists line by line and JSON", () => {
    const list = spec({ kind: "list", value_type: "array", item_type: "integer" });
    expect(parseField(list, "1\n\n2\n").value).toEqual([1, 2]);
    expect(parseField(list, "1\nx").error).toBe("Line 2: Enter a number.");
    expect(parseField(spec({ kind: "json" }), '{"a": 1}').value).toEqual({ a: 1 });
    expect(parseField(spec({ kind: "json" }), "{").error).toMatch(/^Not valid JSON/);
    expect(parseField(spec({ kind: "toggle" }), true).value).toBe(true);
  });

  it("checks file fields", () => {
    expect(checkFileUrl("https://example.com/a.png")).toBe("");
    expect(checkFileUrl("ftp://x")).not.toBe("");
    // The kernel refuses data: URLs (a file's bytes never travel as a URL message): so does the field.
    expect(checkFileUrl("data:image/png;base64,iVBORw0KGgo=")).toMatch(/drop the file itself/);
    expect(checkFileCount(spec({ kind: "file", required: true }), 0)).toMatch(/^Required/);
    expect(checkFileCount(spec({ kind: "file" }), 2)).toMatch(/one file/);
    expect(checkFileCount(spec({ kind: "files", required: true }), 3)).toBe("");
    expect(formatValue(spec({ kind: "list" }), ["a", "b"])).toBe("a\nb");
  });
});

describe("controls", () => {
  it("draws a slider and number box that agree, with the default filled in", () => {
    const s = spec({ name: "steps", kind: "slider", value_type: "integer", minimum: 1, maximum: 50, step: 1,
      required: true, has_default: true, default: 28 });
    const control = createField(s, 28, () => {});
    const range = /** @type {HTMLInputElement} */ (control.root.querySelector("input[type=range]"));
    const box = /** @type {HTMLInputElement} */ (control.root.querySelector("input[type=number]"));
    expect([range.min, range.max, range.value, box.value]).toEqual(["1", "50", "28", "28"]);
    expect(control.root.querySelector(".rwp-required")).not.toBeNull();
  });

  it("keeps secrets out of the values and sends them by message", () => {
    const container = document.createElement("form");
    /** @type {Record<string, any>[]} */
    const synced = [];
    /** @type {[string, string][]} */
    const secrets = [];
    const form = buildForm(container, [spec({ name: "api_key", kind: "secret", required: true }),
      spec({ name: "prompt", kind: "textarea", has_default: true, default: "hi" })], { prompt: "hi" }, {
      onValues: (v) => synced.push(v),
      onSecret: (n, v) => secrets.push([n, v]),
      fileField: () => { throw new Error("no file fields here"); },
    });
    const password = /** @type {HTMLInputElement} */ (container.querySelector("input[type=password]"));
    expect(form.validateAll()).toBe(false);
    expect(container.querySelector("[data-field=api_key] .rwp-error")?.textContent).toBe("Required.");
    password.value = "sk-123";
    password.dispatchEvent(new Event("input"));
    expect(secrets.at(-1)).toEqual(["api_key", "sk-123"]);
    expect(form.validateAll()).toBe(true);
    expect(JSON.stringify(synced)).not.toContain("sk-123");
    expect(synced.at(-1)).toEqual({ prompt: "hi" });
  });
});

describe("outputs and history", () => {
  it("renders each output kind with a download link", () => {
    const box = document.createElement("div");
    renderOutputs(box, [
      { kind: "image", label: "", url: "http://127.0.0.1:1/a.png", name: "a.png" },
      { kind: "audio", label: "audio_out", url: "http://127.0.0.1:1/a.wav", name: "a.wav" },
      { kind: "json", label: "JSON", text: '{"a": 1}' },
    ]);
    expect(box.querySelector("img")?.getAttribute("src")).toBe("http://127.0.0.1:1/a.png");
    expect(box.querySelector("audio")).not.toBeNull();
    expect(box.querySelectorAll("a.rwp-download").length).toBe(3);
    expect(box.querySelector("pre")?.textContent).toBe('{"a": 1}');
  });

  it("lists runs newest first", () => {
    const wrap = document.createElement("details");
    const list = document.createElement("ol");
    wrap.append(list);
    renderHistory(list, [
      { n: 1, id: "a", status: "succeeded", seconds: 1.2, summary: "out.png" },
      { n: 2, id: "b", status: "canceled", seconds: 0.5, summary: "" },
    ]);
    expect([...list.querySelectorAll(".rwp-run-n")].map((n) => n.textContent)).toEqual(["#2", "#1"]);
    // the id finds a run again after a kernel restart (rw.prediction)
    expect([...list.querySelectorAll(".rwp-run-id")].map((n) => n.textContent)).toEqual(["b", "a"]);
  });
});
