// The front end's side of one FileInput: the files picked here, their transfers (one at a time, each with a
// credit window), and how they combine with the entries the kernel publishes. Shared by every view of the
// widget on the page; knows the model only through the Channel and the getters it is given.
import { Channel } from "./rpc.js";
import { KIND, PROTOCOL_VERSION, STATE } from "./protocol.js";
import { refuseReason, sendFile } from "./transfer.js";

/** @typedef {import("./protocol.js").Entry} Entry */
/**
 * @typedef {{
 *   id: string, name: string, size: number, type: string, file: File | null, url: string,
 *   phase: "queued" | "sending" | "sent" | "failed", acked: number, error: string, preview: string,
 *   abort: AbortController, seen: boolean
 * }} LocalEntry
 * @typedef {Entry & {preview: string, waiting: boolean, local: boolean}} ShownEntry
 * @typedef {{chunkSize: () => number, window: () => number, multiple: () => boolean, maxBytes?: () => number, entries: () => Entry[]}} Config
 */

const LOST_HINT = "lost: pick again";

export class FileSession {
  /** @param {import("./rpc.js").Wire} wire @param {Config} config */
  constructor(wire, config) {
    this.channel = new Channel(wire);
    this.config = config;
    /** @type {Map<string, LocalEntry>} */
    this.local = new Map();
    /** @type {Set<string>} ids removed here whose removal the kernel hasn't published yet */
    this.removed = new Set();
    this.notice = "";
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    this.queue = Promise.resolve();
    this.counter = 0;
    this.channel.waitListeners.add(() => this.changed());
    this.timer = setInterval(() => this.channel.tick(), 1000);
    this.channel.request({ kind: KIND.HELLO, version: PROTOCOL_VERSION }).catch(() => {});
  }

  changed() {
    for (const cb of this.listeners) cb();
  }

  /** @param {string} message */
  setNotice(message) {
    this.notice = message;
    this.changed();
  }

  newId() {
    return `${this.channel.session}-${++this.counter}`;
  }

  /** @param {File[]} files */
  addFiles(files) {
    const refused = [];
    for (const file of files) {
      const reason = refuseReason(file, this.config.maxBytes?.());
      if (reason) {
        refused.push(reason);
        continue;
      }
      if (!this.config.multiple()) for (const e of this.shown()) this.remove(e.id);
      const id = this.newId();
      const type = file.type || "application/octet-stream";
      const preview = /^(image|audio|video)\//.test(type) ? URL.createObjectURL(file) : "";
      /** @type {LocalEntry} */
      const entry = { id, name: file.name, size: file.size, type, file, url: "", phase: "queued", acked: 0, error: "", preview, abort: new AbortController(), seen: false };
      this.local.set(id, entry);
      this.queue = this.queue.then(() => this.send(entry));
    }
    if (refused.length) this.setNotice(refused.join(" "));
    else this.changed();
  }

  /** @param {LocalEntry} entry */
  async send(entry) {
    if (!this.local.has(entry.id) || !entry.file) return;
    entry.phase = "sending";
    this.changed();
    try {
      await sendFile(this.channel, entry.file, entry.id, {
        chunkSize: this.config.chunkSize(),
        window: this.config.window(),
        signal: entry.abort.signal,
        onProgress: (acked) => {
          entry.acked = acked;
          this.changed();
        },
      });
      entry.phase = "sent";
    } catch (err) {
      if (!this.local.has(entry.id)) return; // removed while sending
      entry.phase = "failed";
      const code = /** @type {{code?: string}} */ (err).code;
      const message = err instanceof Error ? err.message : String(err);
      entry.error = code === "unknown-entry" ? `${LOST_HINT} (the kernel no longer has this file)`
        : code === "cut-off" ? `${LOST_HINT} (${message.replace(/^./, (c) => c.toLowerCase()).replace(/\.$/, "")})`
        : message;
    }
    this.changed();
  }

  /** @param {string} url */
  addUrl(url) {
    if (!this.config.multiple()) for (const e of this.shown()) this.remove(e.id);
    const id = this.newId();
    const name = decodeURIComponent(new URL(url).pathname.split("/").pop() || url);
    /** @type {LocalEntry} */
    const entry = { id, name, size: 0, type: "url", file: null, url, phase: "sending", acked: 0, error: "", preview: "", abort: new AbortController(), seen: false };
    this.local.set(id, entry);
    this.changed();
    this.channel.request({ kind: KIND.URL, id, url }).then(
      () => { entry.phase = "sent"; this.changed(); },
      (err) => { entry.phase = "failed"; entry.error = String(err.message ?? err); this.changed(); },
    );
  }

  /** @param {string} id */
  remove(id) {
    const entry = this.local.get(id);
    if (entry) {
      entry.abort.abort();
      if (entry.preview) URL.revokeObjectURL(entry.preview);
      this.local.delete(id);
    }
    this.removed.add(id);
    this.changed();
    this.channel.request({ kind: KIND.REMOVE, id }).catch(() => {}).finally(() => {
      this.removed.delete(id);
      this.changed();
    });
  }

  /** The kernel published its entries: forget local ones it had and dropped (Python called remove/clear). */
  syncEntries() {
    const published = new Set(this.config.entries().map((e) => e.id));
    for (const entry of [...this.local.values()]) {
      if (published.has(entry.id)) entry.seen = true;
      else if (entry.seen) {
        entry.abort.abort();
        if (entry.preview) URL.revokeObjectURL(entry.preview);
        this.local.delete(entry.id);
      }
    }
    this.changed();
  }

  /** The kernel may have restarted: a fresh kernel never answers, so transfers in flight are lost. */
  checkKernel() {
    let answered = false;
    this.channel.request({ kind: KIND.PING }).then(() => { answered = true; }, () => {});
    setTimeout(() => {
      if (!answered) this.channel.failAll("the kernel restarted or went away");
    }, 5000);
  }

  /** Kernel entries in their order, then files still on their way, as the view shows them. @returns {ShownEntry[]} */
  shown() {
    const waiting = this.channel.waiting;
    /** @type {ShownEntry[]} */
    const out = [];
    const seen = new Set();
    for (const k of this.config.entries()) {
      if (this.removed.has(k.id)) continue;
      seen.add(k.id);
      const l = this.local.get(k.id);
      const e = { ...k, preview: l?.preview ?? "", waiting: false, local: Boolean(l) };
      if (l && l.phase === "failed") Object.assign(e, { state: STATE.ERROR, error: l.error });
      else if (l && k.state === STATE.RECEIVING) {
        e.progress = Math.max(k.progress, l.size ? l.acked / l.size : 0);
        e.waiting = waiting;
      }
      out.push(e);
    }
    for (const l of this.local.values()) {
      if (seen.has(l.id) || this.removed.has(l.id)) continue;
      const failed = l.phase === "failed";
      out.push({
        id: l.id, name: l.name, size: l.size, type: l.type, url: l.url, sha256: "", preview: l.preview, local: true,
        state: failed ? STATE.ERROR : l.phase === "sent" ? STATE.READY : l.phase === "sending" ? STATE.RECEIVING : STATE.WAITING,
        progress: l.size ? l.acked / l.size : 0, error: l.error, waiting: !failed && (waiting || l.phase === "queued"),
      });
    }
    return out;
  }

  dispose() {
    clearInterval(this.timer);
    for (const id of [...this.local.keys()]) {
      const e = this.local.get(id);
      e?.abort.abort();
      if (e?.preview) URL.revokeObjectURL(e.preview);
    }
    this.channel.dispose();
  }
}
