import { describe, expect, it } from "vitest";
import { mergeEntries } from "./entries.js";
import { STATE } from "./protocol.js";

const still = { waiting: false, reconnecting: false, detail: () => "" };
/** @param {string} id @param {string} state */
const kernelEntry = (id, state) => ({ id, name: `${id}.bin`, size: 10, type: "", url: "", sha256: "", state, progress: 0.58, error: "" });

describe("mergeEntries", () => {
  it("shows the kernel's entries as they are while the kernel lives", () => {
    const shown = mergeEntries([kernelEntry("a", STATE.UPLOADING), kernelEntry("b", STATE.READY)], new Map(), new Set(), still);
    expect(shown.map((e) => e.state)).toEqual([STATE.UPLOADING, STATE.READY]);
  });

  it("after a kernel restart, every entry the old kernel listed reads lost, half-uploaded or ready", () => {
    const lost = "lost: pick again (the kernel restarted or went away)";
    const kernel = [kernelEntry("a", STATE.UPLOADING), kernelEntry("b", STATE.READY), kernelEntry("c", STATE.ERROR)];
    kernel[2].error = "its own error";
    const shown = mergeEntries(kernel, new Map(), new Set(), { ...still, lost });
    expect(shown.map((e) => [e.state, e.error])).toEqual([
      [STATE.ERROR, lost],
      [STATE.ERROR, lost],
      [STATE.ERROR, "its own error"],
    ]);
  });
});
