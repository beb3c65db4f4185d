// File -> chunks -> kernel. What is in flight is sized by time (pacing.js): about a quarter second of the rate the
// kernel's acks show, so a cell run meanwhile waits little behind file bytes. Each chunk carries its offset,
// so the kernel assembles the file even when chunks overtake each other. The kernel's reply to `begin` lists
// the byte ranges it already holds (a resent begin after a cut socket, or a file picked again after a page
// reload): only the rest is sent, and no byte the kernel acknowledged is ever sent again.
import { ERROR_CODE, KIND, LIMITS } from "./protocol.js";
import { ChannelError } from "./rpc.js";
import { coveredBytes, mergeRanges, nextPiece } from "./ranges.js";

/** @typedef {import("./rpc.js").Channel} Channel */
/** @typedef {import("./pacing.js").Pacing} Pacing */
/** @typedef {import("./ranges.js").Range} Range */
/**
 * @typedef {{
 *   up: boolean,
 *   changes: Set<() => void>
 * }} Link  whether the socket to the kernel is up (JupyterLab says so; elsewhere it stays true)
 * @typedef {{
 *   pacing: Pacing,
 *   maxChunk?: number,
 *   onProgress?: (acked: number, size: number) => void,
 *   onResumed?: (id: string) => void,
 *   signal?: AbortSignal,
 *   head?: string,
 *   fresh?: boolean,
 *   link?: Link
 * }} SendOptions
 * @typedef {{id: string, name: string, size: number, type: string, sha256?: string}} Sent
 */

/**
 * Refuse a file before any byte moves. Returns a sentence for the user, or null when the file may go.
 * @param {{name: string, size: number}} file
 * @param {number} [maxBytes]
 */
export function refuseReason(file, maxBytes = LIMITS.MAX_FILE_BYTES) {
  if (file.size > maxBytes) {
    const limit = `${file.name} is ${formatBytes(file.size)}: the limit is ${formatBytes(maxBytes)} per file.`;
    // A widget with a bucket already has the higher cap: then only a link helps.
    const bucket = maxBytes <= LIMITS.MAX_FILE_BYTES
      ? ', or give the widget storage="s3://bucket/prefix" to send big files through your own bucket'
      : "";
    return `${limit} Paste a link to it instead${bucket}.`;
  }
  return null;
}

/**
 * One file on its way to the kernel: `await new Transfer(channel, file, id, opts).run()` resolves when the
 * kernel holds every byte (a reply says `complete`), rejects with the kernel's error, or a ChannelError when
 * the transfer is cut off for good. `id` is the entry's id; the kernel may answer with an older one it
 * resumes instead, which `id` then becomes.
 */
export class Transfer {
  /**
   * @param {Channel} channel
   * @param {Blob & {name: string, lastModified?: number}} file
   * @param {string} id
   * @param {SendOptions} opts
   */
  constructor(channel, file, id, opts) {
    this.channel = channel;
    this.file = file;
    this.id = id;
    this.opts = opts;
    this.type = file.type || "application/octet-stream";
    this.pacing = opts.pacing;
    /** @type {Range[]} bytes the kernel acknowledged */
    this.done = [];
    /** @type {Map<number, {end: number, token: import("./pacing.js").SentChunk}>} by offset */
    this.inFlight = new Map();
    this.complete = false;
    /** @type {string | undefined} */
    this.sha256 = undefined;
    /** @type {Error | null} */
    this.failure = null;
    // Whether the kernel has answered a begin, and whether a chunk got there before the begin did (below).
    this.begun = false;
    this.overtaken = false;
    this.maxChunk = Math.min(opts.maxChunk ?? LIMITS.JUPYTER_CHUNK_BYTES, this.pacing.maxChunk);
    // One wake-up for whatever happens next: an ack, an error, the socket going down or coming back.
    this.woken = false;
    /** @type {(() => void) | null} */
    this.resume = null;
    this.wake = () => {
      this.woken = true;
      this.resume?.();
    };
  }

  /** @returns {Promise<void>} */
  nextEvent() {
    return new Promise((resolve) => {
      if (this.woken) resolve(undefined);
      else this.resume = () => resolve(undefined);
    }).then(() => {
      this.woken = false;
      this.resume = null;
    });
  }

  /** Ask the kernel what it holds (a begin is idempotent), and take over the entry it resumes, if any. */
  async begin() {
    const { file, opts } = this;
    const reply = await this.channel.request({
      kind: KIND.BEGIN, id: this.id, name: file.name, size: file.size, type: this.type,
      last_modified: Math.floor(file.lastModified ?? 0), head_sha256: opts.head ?? "",
    });
    // The kernel may lower the chunk size for its host; never go above what it said.
    this.begun = true;
    this.maxChunk = Math.min(this.maxChunk, Number(reply.chunk_size) || this.maxChunk);
    this.pacing.maxChunk = this.maxChunk;
    if (typeof reply.id === "string" && reply.id !== this.id) {
      this.id = reply.id;
      opts.onResumed?.(this.id);
    }
    const have = Array.isArray(reply.have) ? /** @type {Range[]} */ (reply.have) : [];
    this.done = mergeRanges([...this.done, ...have]);
    if (reply.complete) this.complete = true;
    if (typeof reply.sha256 === "string") this.sha256 = reply.sha256;
    opts.onProgress?.(coveredBytes(this.done), file.size);
  }

  /** Send [start, end) and account for its ack. @param {number} start @param {number} end */
  async sendPiece(start, end) {
    const { pacing, inFlight, opts } = this;
    const link = opts.link;
    const token = pacing.sent(end - start);
    inFlight.set(start, { end, token });
    try {
      const buffer = await this.file.slice(start, end).arrayBuffer();
      if (inFlight.get(start)?.token !== token) return; // abandoned by reconnect() meanwhile
      if (link && !link.up) {
        // The socket died while the bytes were read: JupyterLab would queue them and send them after its
        // own reconnect, behind our begin; the gap goes again once the kernel has said what it holds.
        inFlight.delete(start);
        pacing.lost(token);
        return;
      }
      // The clock starts when the bytes leave, not while the browser reads them from disk.
      pacing.departs(token);
      const reply = await this.channel.request({ kind: KIND.CHUNK, id: this.id, offset: start }, [buffer]);
      if (inFlight.get(start)?.token !== token) return; // abandoned after a reconnect, counted again since
      inFlight.delete(start);
      pacing.ackedChunk(token);
      this.done = mergeRanges([...this.done, [start, end]]);
      if (reply.complete) {
        this.complete = true;
        if (typeof reply.sha256 === "string") this.sha256 = reply.sha256;
      }
      opts.onProgress?.(coveredBytes(this.done), this.file.size);
    } catch (err) {
      if (inFlight.get(start)?.token !== token) return;
      inFlight.delete(start);
      pacing.lost(token);
      const code = err instanceof ChannelError ? err.code : "";
      // "No such entry" before the begin is answered means the chunk overtook it: JupyterLab 4.6 sends comm
      // messages to a kernel subshell, and ipykernel 7 may queue the begin behind a running cell while
      // the chunks go to the subshell's thread. The piece goes again once the begin is answered.
      if (code === ERROR_CODE.UNKNOWN_ENTRY && !this.begun) this.overtaken = true;
      else if (code !== "abandoned") this.failure ??= /** @type {Error} */ (err);
    } finally {
      this.wake();
    }
  }

  /** The socket died under the chunks in flight: forget them, wait for it, and ask what arrived. */
  async reconnect() {
    const { link, signal } = this.opts;
    for (const { token } of this.inFlight.values()) this.pacing.lost(token);
    this.inFlight.clear();
    this.channel.abandon((content) => content.kind === KIND.CHUNK && content.id === this.id);
    while (link && !link.up && !signal?.aborted) await this.nextEvent();
    if (!signal?.aborted) await this.begin();
  }

  /** @returns {Promise<Sent>} */
  async run() {
    const { file, opts, pacing } = this;
    const { link, signal } = opts;
    link?.changes.add(this.wake);
    signal?.addEventListener("abort", this.wake);
    try {
      // A file no paused entry could match sends its first chunks right behind the begin, without waiting a
      // round trip for the reply: the kernel mostly handles requests in order, so the begin is there first
      // (a chunk that overtakes it goes again after the reply). On a 150 ms link that wait was 3 % of a 5 s
      // transfer. Otherwise the reply says what the kernel holds first, so no byte it holds goes again.
      /** @type {Promise<void> | null} */
      let beginning = null;
      if (opts.fresh && file.size > 0) {
        beginning = this.begin().catch((err) => {
          this.failure = err; // the kernel's reason to refuse the file, not the chunks' "no such entry"
        }).finally(this.wake);
      } else {
        await this.begin();
      }
      let askedAgain = false;
      while (!this.complete) {
        if (signal?.aborted) throw new DOMException("The transfer was stopped.", "AbortError");
        if (this.failure) throw this.failure;
        if (link && !link.up) {
          await this.reconnect();
          continue;
        }
        if (this.overtaken && !this.begun) {
          await this.nextEvent(); // the begin's answer wakes this loop
          continue;
        }
        const moving = [...this.inFlight].map(([a, { end }]) => /** @type {Range} */ ([a, end]));
        const covered = mergeRanges([...this.done, ...moving]);
        const size = pacing.nextChunk();
        const piece = nextPiece(covered, file.size, size || pacing.chunkSize);
        if (piece && size > 0) {
          void this.sendPiece(piece[0], piece[1]);
          continue;
        }
        if (!piece && this.inFlight.size === 0) {
          // Every byte is acknowledged but no reply said complete (a lost reply): ask once more.
          if (askedAgain) throw new Error(`The kernel did not confirm all of ${file.name}: pick it again.`);
          askedAgain = true;
          await this.begin();
          continue;
        }
        await this.nextEvent();
      }
      await beginning;
      if (this.failure) throw this.failure;
    } finally {
      link?.changes.delete(this.wake);
      signal?.removeEventListener("abort", this.wake);
      for (const { token } of this.inFlight.values()) pacing.lost(token);
    }
    return { id: this.id, name: file.name, size: file.size, type: this.type, sha256: this.sha256 };
  }
}

/** Human size, binary units as the limit is stated ("100 MiB"). @param {number} n */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
