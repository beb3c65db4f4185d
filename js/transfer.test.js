import { describe, expect, it } from "vitest";
import { Channel } from "./rpc.js";
import { chunkRanges, formatBytes, refuseReason, sendFile } from "./transfer.js";
import { KIND, LIMITS } from "./protocol.js";

/**
 * A fake kernel behind a fake model: assembles chunks by offset, acks each one, and records how many chunks
 * were unacknowledged at once. `drop` loses the messages with those numbers; `busy` holds every reply until
 * release(), as a kernel running a cell does.
 */
function fakeKernel({ drop = new Set(), busy = false } = {}) {
  /** @type {((msg: any) => void) | null} */
  let listener = null;
  const files = new Map();
  let inFlight = 0;
  let maxInFlight = 0;
  let sent = 0;
  /** @type {(() => void)[]} */
  const queued = [];
  const wire = {
    on: (/** @type {string} */ _n, /** @type {any} */ cb) => { listener = cb; },
    off: () => { listener = null; },
    send(/** @type {any} */ msg, /** @type {any} */ _cb, /** @type {ArrayBuffer[] | undefined} */ buffers) {
      const n = sent++;
      if (msg.kind === KIND.CHUNK) maxInFlight = Math.max(maxInFlight, ++inFlight);
      if (drop.has(n)) { if (msg.kind === KIND.CHUNK) inFlight--; return; }
      const handle = () => {
        /** @type {any} */
        let reply = { kind: "reply", rid: msg.rid, ok: true };
        if (msg.kind === KIND.BEGIN) files.set(msg.id, { size: msg.size, bytes: new Uint8Array(msg.size), got: new Map() });
        if (msg.kind === KIND.CHUNK) {
          inFlight--;
          const f = files.get(msg.id);
          const data = new Uint8Array(/** @type {ArrayBuffer[]} */ (buffers)[0]);
          f.bytes.set(data, msg.offset);
          f.got.set(msg.offset, data.length); // a resent chunk counts once
          const received = [...f.got.values()].reduce((a, b) => a + b, 0);
          reply = { ...reply, complete: received === f.size };
        }
        queueMicrotask(() => listener?.(reply));
      };
      if (busy) queued.push(handle);
      else setTimeout(handle, 0);
    },
  };
  return { wire, files, stats: () => ({ maxInFlight, sent }), release: () => queued.splice(0).forEach((h) => h()) };
}

function fileOf(/** @type {number} */ size, name = "data.bin") {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) % 251;
  return { file: new File([bytes], name, { type: "application/octet-stream" }), bytes };
}

describe("chunkRanges", () => {
  it("covers the file exactly, last chunk short", () => {
    expect(chunkRanges(10, 4)).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(chunkRanges(8, 4)).toEqual([[0, 4], [4, 8]]);
    expect(chunkRanges(0, 4)).toEqual([]);
  });
  it("keeps every Jupyter chunk under the 10 MiB message limit", () => {
    const ranges = chunkRanges(LIMITS.MAX_FILE_BYTES, LIMITS.JUPYTER_CHUNK_BYTES);
    expect(ranges.length).toBe(25);
    expect(Math.max(...ranges.map(([a, b]) => b - a))).toBeLessThan(10 * 1024 * 1024);
  });
  it("refuses a zero chunk size", () => expect(() => chunkRanges(10, 0)).toThrow(RangeError));
});

describe("refuseReason", () => {
  it("says what to do instead: paste a link, or configure a bucket with storage=", () => {
    const reason = refuseReason({ name: "big.mov", size: LIMITS.MAX_FILE_BYTES + 1 }) ?? "";
    expect(reason).toMatch(/Paste a link to it instead/);
    expect(reason).toMatch(/storage="s3:\/\/bucket\/prefix"/);
  });
  it("offers no bucket to a widget that has one (its cap is already higher)", () => {
    const cap = 5 * 1024 ** 3;
    const reason = refuseReason({ name: "huge.mov", size: cap + 1 }, cap) ?? "";
    expect(reason).toMatch(/huge\.mov is 5\.0 GiB: the limit is 5 GiB per file\. Paste a link to it instead\.$/);
    expect(reason).not.toMatch(/storage=/);
  });
  it("lets exactly 100 MiB through and refuses one byte more, naming the file", () => {
    expect(refuseReason({ name: "a", size: LIMITS.MAX_FILE_BYTES })).toBeNull();
    expect(refuseReason({ name: "big.mov", size: LIMITS.MAX_FILE_BYTES + 1 })).toMatch(/big\.mov.*100 MiB/);
  });
});

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(100 * 1024 * 1024)).toBe("100 MiB");
  });
});

describe("sendFile", () => {
  it("delivers every byte in chunks of the kernel's size", async () => {
    const k = fakeKernel();
    const ch = new Channel(k.wire);
    const { file, bytes } = fileOf(10_000);
    /** @type {number[]} */
    const progress = [];
    await sendFile(ch, file, "e1", { chunkSize: 1000, window: 3, onProgress: (a) => progress.push(a) });
    expect(k.files.get("e1").bytes).toEqual(bytes);
    expect(progress.at(-1)).toBe(10_000);
  });

  it("never has more than `window` chunks unacknowledged", async () => {
    const k = fakeKernel();
    await sendFile(new Channel(k.wire), fileOf(20_000).file, "e1", { chunkSize: 1000, window: 3 });
    expect(k.stats().maxInFlight).toBe(3);
  });

  it("rejects with the kernel's message when it refuses", async () => {
    const wire = {
      on: (/** @type {string} */ _n, /** @type {any} */ cb) => { wire.cb = cb; },
      off() {},
      /** @type {any} */ cb: null,
      send: (/** @type {any} */ m) => setTimeout(() => wire.cb({ kind: "reply", rid: m.rid, ok: false, error: { code: "too-large", message: "too big" } })),
    };
    await expect(sendFile(new Channel(wire), fileOf(10).file, "e", { chunkSize: 4, window: 2 })).rejects.toThrow("too big");
  });

  it("resends a chunk lost on the way once a probe shows the kernel is answering", async () => {
    let now = 0;
    const k = fakeKernel({ drop: new Set([2]) }); // message 2 = the second chunk
    const ch = new Channel(k.wire, { probeAfterMs: 100, now: () => now });
    const { file, bytes } = fileOf(5000);
    const done = sendFile(ch, file, "e1", { chunkSize: 1000, window: 2 });
    await new Promise((r) => setTimeout(r, 20));
    now = 1000;
    ch.tick(); // probe: the ping comes back first, so the lost chunk is resent
    await done;
    expect(k.files.get("e1").bytes).toEqual(bytes);
  });
});

describe("Channel", () => {
  it("reports waiting while the kernel is busy and carries on afterwards", async () => {
    let now = 0;
    const k = fakeKernel({ busy: true });
    const ch = new Channel(k.wire, { probeAfterMs: 100, now: () => now });
    /** @type {boolean[]} */
    const states = [];
    ch.waitListeners.add((w) => states.push(w));
    const reply = ch.request({ kind: KIND.PING });
    now = 500;
    ch.tick();
    expect(ch.waiting).toBe(true);
    k.release();
    await reply;
    await new Promise((r) => setTimeout(r, 0));
    expect(ch.waiting).toBe(false);
    expect(states).toEqual([true, false]);
  });

  it("fails every request in flight when the kernel goes away", async () => {
    const k = fakeKernel({ busy: true });
    const ch = new Channel(k.wire);
    const p = ch.request({ kind: KIND.PING });
    ch.failAll("the kernel restarted");
    await expect(p).rejects.toThrow("the kernel restarted");
  });

  it("ignores messages that are not replies and replies nobody waits for", () => {
    const k = fakeKernel();
    const ch = new Channel(k.wire);
    expect(() => ch.receive({ kind: "other" })).not.toThrow();
    expect(() => ch.receive({ kind: "reply", rid: 999, ok: true })).not.toThrow();
  });
});
