// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { STATUS_EVENTS, ensureStatusStyle, isBusy, readStatus, renderStatus, statusPanel, toneOf } from "./status.js";

/** @param {Partial<import("./status.js").RunStatus>} over */
const state = (over) => ({ status: "processing", message: "", progress: -1, logs: "", ...over });

describe("the status panel both widgets draw", () => {
  it("stays hidden until a run starts", () => {
    const panel = statusPanel();
    expect(panel.root.hidden).toBe(true);
    renderStatus(panel, state({ status: "idle" }));
    expect(panel.root.hidden).toBe(true);
    renderStatus(panel, state({ status: "starting", message: "demo/x" }));
    expect(panel.root.hidden).toBe(false);
    expect(panel.badge.textContent).toBe("starting");
    expect(panel.message.textContent).toBe("demo/x");
  });

  it("moves the bar at the fraction when known, indeterminate otherwise, and hides it once the run ends", () => {
    const panel = statusPanel();
    renderStatus(panel, state({ status: "uploading", progress: 0.4 }));
    expect(panel.bar.hidden).toBe(false);
    expect(panel.bar.getAttribute("value")).toBe("0.4");
    expect(panel.bar.getAttribute("aria-label")).toBe("uploading: 40%");
    renderStatus(panel, state({ status: "processing", progress: -1 }));
    expect(panel.bar.hasAttribute("value")).toBe(false);
    renderStatus(panel, state({ status: "succeeded", progress: 1 }));
    expect(panel.bar.hidden).toBe(true);
  });

  it("colours by tone: busy, ok, warn, error", () => {
    const panel = statusPanel();
    const tones = ["starting", "canceling", "succeeded", "canceled", "failed", "aborted", "invalid"].map((status) => {
      renderStatus(panel, state({ status }));
      expect(panel.root.dataset.status).toBe(status);
      return panel.root.dataset.tone;
    });
    expect(tones).toEqual(["busy", "busy", "ok", "warn", "error", "error", "error"]);
    expect(toneOf("idle")).toBe("idle");
    expect(toneOf("something new")).toBe("idle");
  });

  it("shows the message and the log only when there is one, and keeps the newest log line in view", () => {
    const panel = statusPanel();
    document.body.append(panel.root);
    renderStatus(panel, state({}));
    expect(panel.message.hidden).toBe(true);
    expect(panel.logs.hidden).toBe(true);
    renderStatus(panel, state({ status: "failed", message: "demo/x: CUDA out of memory", logs: "a\nb" }));
    expect(panel.message.hidden).toBe(false);
    expect(panel.logs.textContent).toBe("a\nb");
    Object.defineProperty(panel.logs, "scrollHeight", { value: 500 });
    renderStatus(panel, state({ status: "failed", logs: "a\nb\nc" }));
    expect(panel.logs.scrollTop).toBe(500);
    panel.root.remove();
  });

  it("reads the four traits both widgets sync, with their defaults", () => {
    /** @type {Record<string, any>} */
    const traits = { status: "processing", message: "prediction p1", progress: 0.5, logs: "step 3" };
    expect(readStatus({ get: (name) => traits[name] })).toEqual(traits);
    expect(readStatus({ get: () => undefined })).toEqual({ status: "idle", message: "", progress: -1, logs: "" });
    expect(STATUS_EVENTS).toEqual(["change:status", "change:message", "change:progress", "change:logs"]);
  });

  it("knows which statuses are a run still going", () => {
    expect(["uploading", "starting", "processing", "canceling"].every(isBusy)).toBe(true);
    expect(["idle", "invalid", "succeeded", "failed", "canceled", "aborted"].some(isBusy)).toBe(false);
  });

  it("adds its stylesheet once per document", () => {
    const a = document.createElement("div");
    const b = document.createElement("div");
    document.body.append(a, b);
    ensureStatusStyle(a);
    ensureStatusStyle(b);
    expect(document.querySelectorAll("#rw-status-style").length).toBe(1);
    const host = document.createElement("div");
    document.body.append(host);
    const shadow = host.attachShadow({ mode: "open" });
    const inside = document.createElement("div");
    shadow.append(inside);
    ensureStatusStyle(inside);
    expect(shadow.querySelectorAll("#rw-status-style").length).toBe(1);
  });
});
