import { describe, expect, it, vi } from "vitest";
import { DropZone } from "./dropzone.js";
import { KIND, PROTOCOL_VERSION } from "./protocol.js";

/** A kernel that answers every request, publishing entries as FileInput does (before its reply). */
function setup({ multiple = true, version = PROTOCOL_VERSION } = {}) {
  /** @type {any[]} */
  let entries = [];
  /** @type {((m: any) => void) | null} */
  let listener = null;
  const files = new Map();
  const wire = {
    on: (/** @type {string} */ _n, /** @type {any} */ cb) => { listener = cb; },
    off: () => {},
    send(/** @type {any} */ m, /** @type {any} */ _c, /** @type {ArrayBuffer[] | undefined} */ buffers) {
      setTimeout(() => {
        /** @type {any} */
        const reply = { kind: "reply", rid: m.rid, ok: true };
        if (m.kind === KIND.HELLO) Object.assign(reply, { version, chunk_size: 4 });
        if (m.kind === KIND.BEGIN) {
          files.set(m.id, { size: m.size, got: 0 });
          entries = [...entries, { id: m.id, name: m.name, size: m.size, type: m.type, state: "receiving", progress: 0, error: "", url: "", sha256: "" }];
        }
        if (m.kind === KIND.CHUNK) {
          const f = files.get(m.id);
          f.got += /** @type {ArrayBuffer[]} */ (buffers)[0].byteLength;
          reply.complete = f.got === f.size;
          if (reply.complete) entries = entries.map((e) => (e.id === m.id ? { ...e, state: "ready", progress: 1 } : e));
        }
        if (m.kind === KIND.REMOVE) entries = entries.filter((e) => e.id !== m.id);
        if (m.kind === KIND.URL) entries = [...entries, { id: m.id, name: "x", size: 0, type: "url", state: "ready", progress: 1, error: "", url: m.url, sha256: "" }];
        session.syncEntries();
        listener?.(reply);
      }, 0);
    },
  };
  const session = new DropZone(wire, { entries: () => entries });
  const place = { multiple };
  return { session, place, clear: () => { entries = []; session.syncEntries(); } };
}

const settle = () => new Promise((r) => setTimeout(r, 30));

describe("DropZone", () => {
  it("shows a picked file at once, then the kernel's entry when it is ready", async () => {
    const { session } = setup();
    session.addFiles([new File(["0123456789"], "a.txt", { type: "text/plain" })]);
    expect(session.shown().map((e) => [e.name, e.local])).toEqual([["a.txt", true]]);
    await vi.waitFor(() => expect(session.shown().map((e) => e.state)).toEqual(["ready"]));
    session.dispose();
  });

  it("refuses a file over the limit before any byte moves, with a notice", () => {
    const { session } = setup();
    const big = new File([""], "huge.bin");
    Object.defineProperty(big, "size", { value: 104_857_601 });
    session.addFiles([big]);
    expect(session.shown()).toEqual([]);
    expect(session.notice()).toMatch(/huge\.bin.*100 MiB/);
    session.dispose();
  });

  it("replaces the entry when the widget takes one file", async () => {
    const { session, place } = setup({ multiple: false });
    session.addFiles([new File(["one"], "1.txt")], place);
    await settle();
    session.addFiles([new File(["two"], "2.txt")], place);
    await settle();
    expect(session.shown().map((e) => e.name)).toEqual(["2.txt"]);
    session.dispose();
  });

  it("forgets entries the kernel dropped (w.clear() in Python)", async () => {
    const { session, clear } = setup();
    session.addFiles([new File(["abc"], "a.txt")]);
    session.addUrl("https://example.com/cat.png");
    await settle();
    expect(session.shown().length).toBe(2);
    clear();
    expect(session.shown()).toEqual([]);
    session.dispose();
  });

  it("shows a transfer cut off by a restart as lost", async () => {
    const { session } = setup();
    session.channel.wire.send = () => {}; // a fresh kernel never answers
    session.addFiles([new File(["abcdefgh"], "a.txt")]);
    await settle();
    session.channel.failAll("the kernel restarted or went away");
    await settle();
    const [entry] = session.shown();
    expect(entry.state).toBe("error");
    expect(entry.error).toMatch(/^lost: pick again/);
    session.dispose();
  });

  it("keeps each group's entries apart, with ids the kernel files under the group", async () => {
    const { session } = setup();
    await settle();
    session.addFiles([new File(["a"], "a.png")], { group: "image", multiple: false });
    session.addFiles([new File(["m"], "m.png")], { group: "mask", multiple: false });
    await settle();
    expect(session.shown("image").map((e) => e.name)).toEqual(["a.png"]);
    expect(session.shown("mask").map((e) => e.name)).toEqual(["m.png"]);
    expect(session.shown("image")[0].id).toMatch(/^image:/);
    session.addFiles([new File(["b"], "b.png")], { group: "image", multiple: false });
    await settle();
    expect(session.shown("image").map((e) => e.name)).toEqual(["b.png"]); // replaced in its group only
    expect(session.shown("mask").map((e) => e.name)).toEqual(["m.png"]);
    session.dispose();
  });

  it("takes the chunk size the kernel gives in its hello reply", async () => {
    const { session } = setup();
    await settle();
    expect(session.tuning).toEqual({ chunkSize: 4 });
    expect(session.pacing.maxChunk).toBe(4); // the pacing never makes a chunk bigger than the host takes
    session.dispose();
  });

  it("stops with 'reload the page' when the kernel speaks another protocol version", async () => {
    const { session } = setup({ version: PROTOCOL_VERSION + 1 });
    await settle();
    expect(session.fatal).toMatch(/reload the page/);
    session.addFiles([new File(["abc"], "a.txt")]);
    expect(session.shown()).toEqual([]); // nothing is sent to a kernel that can't understand it
    expect(session.notice()).toMatch(/reload the page/);
    await expect(session.request({ kind: KIND.RUN })).rejects.toThrow(/reload the page/);
    session.dispose();
  });
});
