// The front end of a drop zone, one per widget model whatever the number of views (FileInput, and the
// Playground with one entry group per file field): the request channel and its hello (protocol version,
// chunk size), the files picked here and their transfers (one at a time, as much in flight as pacing.js allows),
// and how they combine with the entries the kernel publishes. Knows the model only through the Wire and
// getters.
import { Channel } from "./rpc.js";
import { ERROR_CODE, KIND, LIMITS, PROTOCOL_VERSION, STATE } from "./protocol.js";
import { mergeEntries } from "./entries.js";
import { Pacing, speedText } from "./pacing.js";
import { headSha256 } from "./headhash.js";
import { Transfer, refuseReason } from "./transfer.js";

/** @typedef {import("./protocol.js").Entry} Entry */
/** @typedef {import("./protocol.js").Request} Request */
/**
 * @typedef {{
 *   id: string, group: string, name: string, size: number, type: string, file: File | null, url: string,
 *   phase: "queued" | "sending" | "sent" | "failed", acked: number, error: string, preview: string,
 *   abort: AbortController, seen: boolean, gone?: string
 * }} LocalEntry
 * @typedef {import("./entries.js").ShownEntry} ShownEntry
 * @typedef {{entries: () => Entry[], chunkSize?: () => number, maxBytes?: () => number}} Config
 *   `entries`: every entry the kernel publishes; chunkSize: what to use until hello says; maxBytes:
 *   the widget's cap (100 MiB, more when it has a bucket for big files)
 * @typedef {{group?: string, multiple?: boolean}} Place  which group an entry joins; whether it takes several
 */

const LOST_HINT = "lost: pick again";

export class DropZone {
  /** @param {import("./rpc.js").Wire} wire @param {Config} config */
  constructor(wire, config) {
    this.channel = new Channel(wire);
    this.config = config;
    this.tuning = { chunkSize: config.chunkSize?.() || LIMITS.JUPYTER_CHUNK_BYTES };
    /** What the acks taught about the link, shared by this page's transfers. */
    this.pacing = new Pacing({ maxChunk: this.tuning.chunkSize });
    /** @type {import("./transfer.js").Link} whether the socket to the kernel is up */
    this.link = { up: true, changes: new Set() };
    /** Set when the kernel and this page speak different protocol versions: nothing can work but a reload. */
    this.fatal = "";
    /** Set once the kernel restarted or went away: every entry reads "lost: pick again". */
    this.lost = "";
    /** @type {Map<string, LocalEntry>} */
    this.local = new Map();
    /** @type {Set<string>} ids removed here whose removal the kernel hasn't published yet */
    this.removed = new Set();
    /** @type {Map<string, string>} a sentence for the user, by group */
    this.notices = new Map();
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    this.queue = Promise.resolve();
    this.counter = 0;
    this.channel.waitListeners.add(() => this.changed());
    this.timer = setInterval(() => this.channel.tick(), 1000);
    this.channel.request({ kind: KIND.HELLO, version: PROTOCOL_VERSION }).then(
      (reply) => {
        if (reply.version !== PROTOCOL_VERSION) {
          this.stop(`The kernel's replicate-widget speaks protocol version ${reply.version} and this page's widget ${PROTOCOL_VERSION}: reload the page.`);
          return;
        }
        this.tuning = { chunkSize: reply.chunk_size || this.tuning.chunkSize };
        this.pacing.maxChunk = this.tuning.chunkSize;
      },
      (err) => {
        if (err.code === ERROR_CODE.VERSION_MISMATCH) this.stop(err.message);
      },
    );
  }

  changed() {
    for (const cb of this.listeners) cb();
  }

  /** @param {string} message */
  stop(message) {
    this.fatal = message;
    console.warn(`replicate-widget: ${message}`);
    this.changed();
  }

  /** @param {string} [group] */
  notice(group = "") {
    return this.fatal || this.notices.get(group) || "";
  }

  /** @param {string} message @param {string} [group] */
  setNotice(message, group = "") {
    this.notices.set(group, message);
    this.changed();
  }

  /**
   * A request of the widget's own (the Playground's run, cancel, secret): one reply, like the transfer's.
   * @param {Request} content
   */
  request(content) {
    if (this.fatal) return Promise.reject(new Error(this.fatal));
    return this.channel.request(content);
  }

  /** @param {string} group */
  newId(group) {
    const token = `${this.channel.session}-${++this.counter}`;
    return group ? `${group}:${token}` : token;
  }

  /** The socket to the kernel went down (up=false) or is back. @param {boolean} up */
  setLink(up) {
    if (up === this.link.up) return;
    this.link.up = up;
    for (const cb of this.link.changes) cb();
    this.changed();
  }

  /**
   * Make room for one entry in a group that takes one; a paused entry the same file may resume stays.
   * @param {Place} place @param {{name: string, size: number}} [file]
   */
  makeRoom({ group = "", multiple = true }, file) {
    if (multiple) return;
    for (const e of this.shown(group)) {
      if (!(file && e.state === STATE.PAUSED && e.name === file.name && e.size === file.size)) this.remove(e.id);
    }
  }

  /** @param {File[]} files @param {Place} [place] */
  addFiles(files, place = {}) {
    const group = place.group ?? "";
    if (this.fatal) return this.changed();
    const refused = [];
    for (const file of files) {
      const reason = refuseReason(file, this.config.maxBytes?.());
      if (reason) {
        refused.push(reason);
        continue;
      }
      this.makeRoom(place, file);
      const id = this.newId(group);
      const type = file.type || "application/octet-stream";
      const preview = /^(image|audio|video)\//.test(type) ? URL.createObjectURL(file) : "";
      /** @type {LocalEntry} */
      const entry = { id, group, name: file.name, size: file.size, type, file, url: "", phase: "queued", acked: 0, error: "", preview, abort: new AbortController(), seen: false };
      this.local.set(id, entry);
      this.queue = this.queue.then(() => this.send(entry));
    }
    if (refused.length) this.setNotice(refused.join(" "), group);
    else this.changed();
  }

  /** @param {LocalEntry} entry */
  async send(entry) {
    if (!this.local.has(entry.id) || !entry.file) return;
    entry.phase = "sending";
    this.changed();
    try {
      const file = entry.file;
      await new Transfer(this.channel, file, entry.id, {
        pacing: this.pacing,
        maxChunk: this.tuning.chunkSize,
        head: await headSha256(file),
        // No paused entry of this name and size: the kernel has nothing to resume, so bytes go at once.
        fresh: !this.config.entries().some((e) => e.state === STATE.PAUSED && e.name === file.name && e.size === file.size),
        link: this.link,
        signal: entry.abort.signal,
        onProgress: (acked) => {
          entry.acked = acked;
          this.changed();
        },
        // The kernel kept this file's bytes from before a page reload: the old entry goes on, in place.
        onResumed: (id) => this.rekey(entry, id),
      }).run();
      entry.phase = "sent";
    } catch (err) {
      if (!this.local.has(entry.id)) return; // removed while sending
      entry.phase = "failed";
      const code = /** @type {{code?: string}} */ (err).code;
      const message = err instanceof Error ? err.message : String(err);
      entry.error = entry.gone ? `${LOST_HINT} (${entry.gone})`
        : code === ERROR_CODE.UNKNOWN_ENTRY ? `${LOST_HINT} (the kernel no longer has this file)`
        : code === ERROR_CODE.CUT_OFF ? `${LOST_HINT} (${message.replace(/^./, (c) => c.toLowerCase()).replace(/\.$/, "")})`
        : message;
    }
    this.changed();
  }

  /** @param {LocalEntry} entry @param {string} id */
  rekey(entry, id) {
    this.local.delete(entry.id);
    entry.id = id;
    this.local.set(id, entry);
    this.changed();
  }

  /** @param {string} url @param {Place} [place] */
  addUrl(url, place = {}) {
    const group = place.group ?? "";
    if (this.fatal) return this.changed();
    this.makeRoom(place);
    const id = this.newId(group);
    const name = decodeURIComponent(new URL(url).pathname.split("/").pop() || url);
    /** @type {LocalEntry} */
    const entry = { id, group, name, size: 0, type: "url", file: null, url, phase: "sending", acked: 0, error: "", preview: "", abort: new AbortController(), seen: false };
    this.local.set(id, entry);
    this.changed();
    this.channel.request({ kind: KIND.URL, id, url }).then(
      () => { entry.phase = "sent"; this.changed(); },
      (err) => { entry.phase = "failed"; entry.error = String(err.message ?? err); this.changed(); },
    );
  }

  /** @param {string} id */
  remove(id) {
    this.forget(id);
    this.removed.add(id);
    this.changed();
    this.channel.request({ kind: KIND.REMOVE, id }).catch(() => {}).finally(() => {
      this.removed.delete(id);
      this.changed();
    });
  }

  /** Stop and drop a local entry. @param {string} id */
  forget(id) {
    const entry = this.local.get(id);
    if (!entry) return;
    entry.abort.abort();
    if (entry.preview) URL.revokeObjectURL(entry.preview);
    this.local.delete(id);
  }

  /** The kernel published its entries: forget local ones it had and dropped (Python called remove/clear). */
  syncEntries() {
    const published = new Set(this.config.entries().map((e) => e.id));
    for (const entry of [...this.local.values()]) {
      if (published.has(entry.id)) entry.seen = true;
      else if (entry.seen) this.forget(entry.id);
    }
    this.changed();
  }

  /** The kernel may have restarted: a fresh kernel never answers, so transfers in flight are lost. */
  checkKernel() {
    let answered = false;
    this.channel.request({ kind: KIND.PING }).then(() => { answered = true; }, () => {});
    setTimeout(() => {
      if (answered) return;
      const reason = "the kernel restarted or went away";
      // Every entry the old kernel listed, ready or half uploaded, is gone with it.
      this.lost = `${LOST_HINT} (${reason})`;
      this.channel.failAll(reason);
      // A transfer waiting for the socket to come back would wait forever: stop it with the same words.
      for (const e of this.local.values()) {
        if (e.phase !== "sending") continue;
        e.gone = reason;
        e.abort.abort();
      }
      this.changed();
    }, 5000);
  }

  /**
   * Kernel entries in their order, then files still on their way, as a view shows them.
   * @param {string} [group]  only this group's entries (ids "<group>:..."); all when not given
   */
  shown(group) {
    const moving = {
      waiting: this.channel.waiting,
      reconnecting: !this.link.up,
      detail: (/** @type {LocalEntry} */ l) => speedText(this.pacing.bytesPerSecond, l.size - l.acked, l.size),
      lost: this.lost,
    };
    return mergeEntries(this.config.entries(), this.local, this.removed, moving, group);
  }

  dispose() {
    clearInterval(this.timer);
    for (const id of [...this.local.keys()]) this.forget(id);
    this.channel.dispose();
  }
}
