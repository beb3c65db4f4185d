import { describe, expect, it } from "vitest";
import { Channel } from "./rpc.js";
import { Transfer, formatBytes, refuseReason } from "./transfer.js";

/** @param {ConstructorParameters<typeof Transfer>} args */
const send = (...args) => new Transfer(...args).run();
import { coveredBytes, mergeRanges, nextPiece } from "./ranges.js";
import { PACING, Pacing } from "./pacing.js";
import { KIND, LIMITS } from "./protocol.js";

/**
 * A fake kernel behind a fake model: assembles chunks by offset, acks each one, answers `begin` with the ranges
 * it holds, and records every chunk received (offset, length) and the most bytes unacknowledged at once.
 * `drop` loses the messages with those numbers; `busy` holds every reply until release(), as a kernel running
 * a cell does; `cutAfter` loses every message (and reply) after that many chunks, until reconnect();
 * `holdBegin` holds only the begins until release(), as a kernel whose chunks go to a subshell's thread while
 * the begin waits behind a cell (a chunk for a file not begun is refused as an unknown entry).
 */
function fakeKernel({ drop = new Set(), busy = false, cutAfter = Infinity, holdBegin = false } = {}) {
  /** @type {((msg: any) => void) | null} */
  let listener = null;
  /** @type {Map<string, {size: number, bytes: Uint8Array, got: Map<number, number>}>} */
  const files = new Map();
  let inFlightBytes = 0;
  let maxInFlightBytes = 0;
  let sent = 0;
  let chunks = 0;
  let down = false;
  /** @type {[number, number][]} every chunk that reached the kernel */
  const received = [];
  /** @type {(() => void)[]} */
  const queued = [];
  const have = (/** @type {string} */ id) => {
    const f = files.get(id);
    return f ? [...f.got].map(([o, n]) => [o, o + n]) : [];
  };
  const wire = {
    on: (/** @type {string} */ _n, /** @type {any} */ cb) => { listener = cb; },
    off: () => { listener = null; },
    send(/** @type {any} */ msg, /** @type {any} */ _cb, /** @type {ArrayBuffer[] | undefined} */ buffers) {
      const n = sent++;
      const bytes = buffers?.[0]?.byteLength ?? 0;
      if (msg.kind === KIND.CHUNK) {
        inFlightBytes += bytes;
        maxInFlightBytes = Math.max(maxInFlightBytes, inFlightBytes);
        if (++chunks > cutAfter) down = true;
      }
      if (drop.has(n) || down) { inFlightBytes -= bytes; return; }
      const handle = () => {
        /** @type {any} */
        let reply = { kind: "reply", rid: msg.rid, ok: true };
        if (msg.kind === KIND.BEGIN) {
          if (!files.has(msg.id)) files.set(msg.id, { size: msg.size, bytes: new Uint8Array(msg.size), got: new Map() });
          const f = /** @type {any} */ (files.get(msg.id));
          const total = [...f.got.values()].reduce((a, b) => a + b, 0);
          reply = { ...reply, chunk_size: 4 * 1024 * 1024, have: have(msg.id), complete: total === f.size };
        }
        if (msg.kind === KIND.CHUNK && !files.has(msg.id)) {
          inFlightBytes -= bytes;
          reply = { ...reply, ok: false, error: { code: "unknown-entry", message: "no such entry" } };
        } else if (msg.kind === KIND.CHUNK) {
          inFlightBytes -= bytes;
          const f = /** @type {any} */ (files.get(msg.id));
          const data = new Uint8Array(/** @type {ArrayBuffer[]} */ (buffers)[0]);
          received.push([msg.offset, data.length]);
          f.bytes.set(data, msg.offset);
          f.got.set(msg.offset, data.length); // a resent chunk counts once
          const total = [...f.got.values()].reduce((a, b) => a + b, 0);
          reply = { ...reply, complete: total === f.size };
        }
        queueMicrotask(() => listener?.(reply));
      };
      if (busy || (holdBegin && msg.kind === KIND.BEGIN)) queued.push(handle);
      else setTimeout(handle, 0);
    },
  };
  return {
    wire, files, received,
    stats: () => ({ maxInFlightBytes, sent }),
    release: () => queued.splice(0).forEach((h) => h()),
    reconnect: () => { down = false; cutAfter = Infinity; },
  };
}

/** Byte-equal, fast (toEqual walks a megabyte element by element). @param {Uint8Array | undefined} a @param {Uint8Array} b */
const same = (a, b) => {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

function fileOf(/** @type {number} */ size, name = "data.bin") {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) % 251;
  return { file: new File([bytes], name, { type: "application/octet-stream" }), bytes };
}

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

/** A Pacing on a fake clock that advances 10 ms per read, so rates are finite and repeatable. */
function testPacing(maxChunk = 4 * 1024 * 1024) {
  let t = 0;
  return new Pacing({ maxChunk, now: () => (t += 0.01) });
}

describe("Transfer", () => {
  it("delivers every byte, starting with small chunks", async () => {
    const k = fakeKernel();
    const ch = new Channel(k.wire);
    const { file, bytes } = fileOf(1_000_000);
    /** @type {number[]} */
    const progress = [];
    const pacing = testPacing();
    await send(ch, file, "e1", { pacing, onProgress: (a) => progress.push(a) });
    expect(same(k.files.get("e1")?.bytes, bytes)).toBe(true);
    expect(progress.at(-1)).toBe(1_000_000);
    // A conservative start: the first chunks are a third of the starting window.
    expect(k.received[0][1]).toBeLessThanOrEqual(PACING.START_WINDOW / 3);
  });

  it("keeps no more unacknowledged than the window before the first ack", async () => {
    const k = fakeKernel({ busy: true });
    const ch = new Channel(k.wire);
    const pacing = testPacing();
    const done = send(ch, fileOf(2_000_000).file, "e1", { pacing });
    await new Promise((r) => setTimeout(r, 20));
    k.release(); // the begin
    await new Promise((r) => setTimeout(r, 20));
    expect(k.stats().maxInFlightBytes).toBeLessThanOrEqual(PACING.START_WINDOW);
    expect(k.stats().maxInFlightBytes).toBeGreaterThan(0);
    const release = setInterval(() => k.release(), 1);
    await done;
    clearInterval(release);
  });

  it("sends a fresh file's first chunks right behind the begin, without waiting for its reply", async () => {
    for (const fresh of [true, false]) {
      const k = fakeKernel({ busy: true });
      const { file, bytes } = fileOf(1_000_000);
      const done = send(new Channel(k.wire), file, "e1", { pacing: testPacing(), fresh });
      await new Promise((r) => setTimeout(r, 20));
      // Nothing answered yet: a fresh file already sent the starting window; another waits for the reply.
      const sent = k.stats().sent;
      expect(sent).toBe(fresh ? 4 : 1); // the begin, then three chunks of a third of the window
      const release = setInterval(() => k.release(), 1);
      await done;
      clearInterval(release);
      expect(same(k.files.get("e1")?.bytes, bytes)).toBe(true);
    }
  });

  it("sends again, once the begin is answered, the chunks that overtook it (comms over a subshell)", async () => {
    const k = fakeKernel({ holdBegin: true });
    const { file, bytes } = fileOf(1_000_000);
    const done = send(new Channel(k.wire), file, "e1", { pacing: testPacing(), fresh: true });
    await new Promise((r) => setTimeout(r, 50));
    // The first chunks were refused, and no more went while the begin waited: no busy loop of refusals.
    const sentWhileHeld = k.stats().sent;
    expect(sentWhileHeld).toBe(4); // the begin and the three chunks sent right behind it
    expect(k.received).toEqual([]);
    k.release();
    await done;
    expect(same(k.files.get("e1")?.bytes, bytes)).toBe(true);
  });

  it("says the kernel's reason when it refuses a fresh file, not the chunks' 'no such entry'", async () => {
    const wire = {
      on: (/** @type {string} */ _n, /** @type {any} */ cb) => { wire.cb = cb; },
      off() {},
      /** @type {any} */ cb: null,
      send: (/** @type {any} */ m) => setTimeout(() => wire.cb({
        kind: "reply", rid: m.rid, ok: false,
        error: m.kind === KIND.BEGIN ? { code: "too-large", message: "too big" } : { code: "unknown-entry", message: "no such entry" },
      })),
    };
    await expect(send(new Channel(wire), fileOf(300_000).file, "e", { pacing: testPacing(), fresh: true }))
      .rejects.toThrow("too big");
  });

  it("sends only what the kernel does not hold yet (a file picked again after a reload)", async () => {
    const k = fakeKernel();
    const { file, bytes } = fileOf(300_000);
    k.files.set("e1", { size: 300_000, bytes: new Uint8Array(300_000), got: new Map([[0, 100_000], [200_000, 50_000]]) });
    const f = /** @type {any} */ (k.files.get("e1"));
    f.bytes.set(bytes.subarray(0, 100_000), 0);
    f.bytes.set(bytes.subarray(200_000, 250_000), 200_000);
    await send(new Channel(k.wire), file, "e1", { pacing: testPacing() });
    expect(same(f.bytes, bytes)).toBe(true);
    const sentBytes = k.received.reduce((a, [, n]) => a + n, 0);
    expect(sentBytes).toBe(150_000);
    for (const [o, n] of k.received) expect(o >= 100_000 && o + n <= 200_000 || o >= 250_000).toBe(true);
  });

  it("takes over the older entry the kernel resumes", async () => {
    const wire = {
      /** @type {any} */ cb: null,
      on: (/** @type {string} */ _n, /** @type {any} */ cb) => { wire.cb = cb; },
      off() {},
      /** @type {any[]} */ seen: [],
      send(/** @type {any} */ m) {
        wire.seen.push(m);
        const reply = m.kind === KIND.BEGIN
          ? { id: "old-entry", have: [[0, 6]], complete: false, chunk_size: 4 }
          : { complete: m.offset + 4 >= 10 };
        setTimeout(() => wire.cb({ kind: "reply", rid: m.rid, ok: true, ...reply }));
      },
    };
    /** @type {string[]} */
    const resumed = [];
    const sent = await send(new Channel(wire), fileOf(10).file, "new-entry", {
      pacing: testPacing(), head: "ab".repeat(32), onResumed: (id) => resumed.push(id),
    });
    expect(resumed).toEqual(["old-entry"]);
    expect(sent.id).toBe("old-entry");
    expect(wire.seen[0]).toMatchObject({ kind: "begin", head_sha256: "ab".repeat(32) });
    expect(wire.seen.slice(1).map((m) => [m.id, m.offset])).toEqual([["old-entry", 6]]);
  });

  it("after a cut socket, resumes from what the kernel acknowledged and sends no acknowledged byte again", async () => {
    const k = fakeKernel({ cutAfter: 5 });
    const ch = new Channel(k.wire);
    const { file, bytes } = fileOf(2_000_000);
    /** @type {import("./transfer.js").Link} */
    const link = { up: true, changes: new Set() };
    const setLink = (/** @type {boolean} */ up) => { link.up = up; for (const cb of link.changes) cb(); };
    const done = send(ch, file, "e1", { pacing: testPacing(), link });
    await new Promise((r) => setTimeout(r, 30));
    setLink(false); // the socket dropped: messages after the 5th chunk were lost
    k.reconnect();
    await new Promise((r) => setTimeout(r, 10));
    setLink(true);
    await done;
    expect(same(k.files.get("e1")?.bytes, bytes)).toBe(true);
    // Every chunk reached the kernel once: none of its bytes was sent twice.
    const offsets = k.received.map(([o]) => o);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(k.received.reduce((a, [, n]) => a + n, 0)).toBe(2_000_000);
  });

  it("rejects with the kernel's message when it refuses", async () => {
    const wire = {
      on: (/** @type {string} */ _n, /** @type {any} */ cb) => { wire.cb = cb; },
      off() {},
      /** @type {any} */ cb: null,
      send: (/** @type {any} */ m) => setTimeout(() => wire.cb({ kind: "reply", rid: m.rid, ok: false, error: { code: "too-large", message: "too big" } })),
    };
    await expect(send(new Channel(wire), fileOf(10).file, "e", { pacing: testPacing() })).rejects.toThrow("too big");
  });

  it("resends a chunk lost on the way once a probe shows the kernel is answering", async () => {
    let now = 0;
    const k = fakeKernel({ drop: new Set([2]) }); // message 2 = the second chunk
    const ch = new Channel(k.wire, { probeAfterMs: 100, now: () => now });
    const { file, bytes } = fileOf(300_000);
    const done = send(ch, file, "e1", { pacing: testPacing() });
    await new Promise((r) => setTimeout(r, 20));
    now = 1000;
    ch.tick(); // probe: the ping comes back first, so the lost chunk is resent
    await done;
    expect(same(k.files.get("e1")?.bytes, bytes)).toBe(true);
  });
});

describe("chunk sizes", () => {
  it("never go over the host's limit, even when the link is fast", async () => {
    const k = fakeKernel();
    const pacing = testPacing(512 * 1024); // Colab and marimo
    await send(new Channel(k.wire), fileOf(3_000_000).file, "e1", { pacing });
    expect(Math.max(...k.received.map(([, n]) => n))).toBeLessThanOrEqual(512 * 1024);
  });
});

describe("ranges", () => {
  it("merges touching and overlapping ranges", () => {
    expect(mergeRanges([[5, 8], [0, 2], [2, 4], [7, 9]])).toEqual([[0, 4], [5, 9]]);
    expect(coveredBytes(mergeRanges([[0, 4], [2, 6]]))).toBe(6);
  });
  it("picks the next piece in the first gap, never into covered ground", () => {
    expect(nextPiece([[0, 4], [6, 10]], 12, 100)).toEqual([4, 6]);
    expect(nextPiece([[0, 10]], 12, 100)).toEqual([10, 12]);
    expect(nextPiece([[0, 12]], 12, 100)).toBeNull();
    expect(nextPiece([], 12, 5)).toEqual([0, 5]);
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
