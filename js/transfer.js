// File -> chunks -> kernel. What is in flight is sized by time (flow.js): about a quarter second of the rate the
// kernel's acks show, so a cell run meanwhile waits little behind file bytes. Each chunk carries its offset,
// so the kernel assembles the file even when chunks overtake each other. The kernel's reply to `begin` lists
// the byte ranges it already holds (a resent begin after a cut socket, or a file picked again after a page
// reload): only the rest is sent, and no byte the kernel acknowledged is ever sent again.
import { KIND, LIMITS } from "./protocol.js";
import { ChannelError } from "./rpc.js";
import { coveredBytes, mergeRanges, nextPiece } from "./ranges.js";

/** @typedef {import("./rpc.js").Channel} Channel */
/** @typedef {import("./flow.js").Flow} Flow */
/** @typedef {import("./ranges.js").Range} Range */
/**
 * @typedef {{
 *   up: boolean,
 *   changes: Set<() => void>
 * }} Link  whether the socket to the kernel is up (JupyterLab says so; elsewhere it stays true)
 * @typedef {{
 *   flow: Flow,
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
 * Stream one file to the kernel. Resolves when the kernel holds every byte (a reply says `complete`), rejects
 * with the kernel's error, or a ChannelError when the transfer is cut off for good.
 * @param {Channel} channel
 * @param {Blob & {name: string, lastModified?: number}} file
 * @param {string} id  the entry's id; the kernel may answer with an older one it resumes instead
 * @param {SendOptions} opts
 * @returns {Promise<Sent>}
 */
export async function sendFile(channel, file, id, opts) {
  const type = file.type || "application/octet-stream";
  const { flow, link, signal } = opts;
  /** @type {Range[]} bytes the kernel acknowledged */
  let done = [];
  /** @type {Map<number, {end: number, token: import("./flow.js").SentChunk}>} by offset */
  const inFlight = new Map();
  let complete = false;
  /** @type {string | undefined} */
  let sha256;
  /** @type {Error | null} */
  let failure = null;
  let maxChunk = Math.min(opts.maxChunk ?? LIMITS.JUPYTER_CHUNK_BYTES, flow.maxChunk);

  // One wake-up for whatever happens next: an ack, an error, the socket going down or coming back.
  let woken = false;
  /** @type {(() => void) | null} */
  let resume = null;
  const wake = () => {
    woken = true;
    resume?.();
  };
  const nextEvent = () =>
    new Promise((resolve) => {
      if (woken) resolve(undefined);
      else resume = () => resolve(undefined);
    }).then(() => {
      woken = false;
      resume = null;
    });
  link?.changes.add(wake);
  signal?.addEventListener("abort", wake);

  /** Ask the kernel what it holds (a begin is idempotent), and take over the entry it resumes, if any. */
  const begin = async () => {
    const reply = await channel.request({
      kind: KIND.BEGIN, id, name: file.name, size: file.size, type,
      last_modified: Math.floor(file.lastModified ?? 0), head_sha256: opts.head ?? "",
    });
    // The kernel may lower the chunk size for its host; never go above what it said.
    maxChunk = Math.min(maxChunk, Number(reply.chunk_size) || maxChunk);
    flow.maxChunk = maxChunk;
    if (typeof reply.id === "string" && reply.id !== id) {
      id = reply.id;
      opts.onResumed?.(id);
    }
    const have = Array.isArray(reply.have) ? /** @type {Range[]} */ (reply.have) : [];
    done = mergeRanges([...done, ...have]);
    if (reply.complete) complete = true;
    if (typeof reply.sha256 === "string") sha256 = reply.sha256;
    opts.onProgress?.(coveredBytes(done), file.size);
  };

  /** Send [start, end) and account for its ack. @param {number} start @param {number} end */
  const sendPiece = async (start, end) => {
    const token = flow.sent(end - start);
    inFlight.set(start, { end, token });
    try {
      const buffer = await file.slice(start, end).arrayBuffer();
      if (inFlight.get(start)?.token !== token) return; // abandoned by reconnect() meanwhile
      if (link && !link.up) {
        // The socket died while the bytes were read: JupyterLab would queue them and send them after its
        // own reconnect, behind our begin; the gap goes again once the kernel has said what it holds.
        inFlight.delete(start);
        flow.lost(token);
        return;
      }
      // The clock starts when the bytes leave, not while the browser reads them from disk.
      flow.departs(token);
      const reply = await channel.request({ kind: KIND.CHUNK, id, offset: start }, [buffer]);
      if (inFlight.get(start)?.token !== token) return; // abandoned after a reconnect, counted again since
      inFlight.delete(start);
      flow.ackedChunk(token);
      done = mergeRanges([...done, [start, end]]);
      if (reply.complete) {
        complete = true;
        if (typeof reply.sha256 === "string") sha256 = reply.sha256;
      }
      opts.onProgress?.(coveredBytes(done), file.size);
    } catch (err) {
      if (inFlight.get(start)?.token !== token) return;
      inFlight.delete(start);
      flow.lost(token);
      if (!(err instanceof ChannelError && err.code === "abandoned")) failure ??= /** @type {Error} */ (err);
    } finally {
      wake();
    }
  };

  /** The socket died under the chunks in flight: forget them, wait for it, and ask what arrived. */
  const reconnect = async () => {
    for (const { token } of inFlight.values()) flow.lost(token);
    inFlight.clear();
    channel.abandon((content) => content.kind === KIND.CHUNK && content.id === id);
    while (link && !link.up && !signal?.aborted) await nextEvent();
    if (!signal?.aborted) await begin();
  };

  try {
    // A file no paused entry could match sends its first chunks right behind the begin, without waiting a
    // round trip for the reply: the kernel handles requests in order, so the begin is there first. (On a
    // 150 ms link that wait was 3 % of a 5 s transfer.) Otherwise the reply says what the kernel holds first,
    // so no byte it holds goes again.
    /** @type {Promise<void> | null} */
    let beginning = null;
    if (opts.fresh && file.size > 0) {
      beginning = begin().catch((err) => {
        failure = err; // the kernel's reason to refuse the file, not the chunks' "no such entry"
      }).finally(wake);
    } else {
      await begin();
    }
    let askedAgain = false;
    while (!complete) {
      if (signal?.aborted) throw new DOMException("The transfer was stopped.", "AbortError");
      if (failure) throw failure;
      if (link && !link.up) {
        await reconnect();
        continue;
      }
      const covered = mergeRanges([...done, ...[...inFlight].map(([a, { end }]) => /** @type {Range} */ ([a, end]))]);
      const size = flow.nextChunk();
      const piece = nextPiece(covered, file.size, size || flow.chunkSize);
      if (piece && size > 0) {
        void sendPiece(piece[0], piece[1]);
        continue;
      }
      if (!piece && inFlight.size === 0) {
        // Every byte is acknowledged but no reply said complete (a lost reply): ask once more.
        if (askedAgain) throw new Error(`The kernel did not confirm all of ${file.name}: pick it again.`);
        askedAgain = true;
        await begin();
        continue;
      }
      await nextEvent();
    }
    await beginning;
    if (failure) throw failure;
  } finally {
    link?.changes.delete(wake);
    signal?.removeEventListener("abort", wake);
    for (const { token } of inFlight.values()) flow.lost(token);
  }
  return { id, name: file.name, size: file.size, type, sha256 };
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
