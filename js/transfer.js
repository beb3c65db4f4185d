// File -> chunks -> kernel, with a credit window: at most `window` chunks are unacknowledged at a time, so
// neither the browser nor the kernel holds more than a few chunks, and a slow kernel slows the sender.
// Each chunk carries its offset, so the kernel assembles the file even when chunks overtake each other.
import { KIND, LIMITS } from "./protocol.js";

/** @typedef {import("./rpc.js").Channel} Channel */
/**
 * @typedef {{
 *   chunkSize: number, window: number,
 *   onProgress?: (acked: number, size: number) => void,
 *   signal?: AbortSignal
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

/** The chunk boundaries of a file: [offset, end) pairs. @param {number} size @param {number} chunkSize */
export function chunkRanges(size, chunkSize) {
  if (!(chunkSize > 0)) throw new RangeError("chunkSize must be positive");
  /** @type {[number, number][]} */
  const ranges = [];
  for (let offset = 0; offset < size; offset += chunkSize) ranges.push([offset, Math.min(size, offset + chunkSize)]);
  return ranges;
}

/**
 * Stream one file to the kernel. Resolves when the kernel holds every byte (its reply to the last chunk says
 * `complete`), rejects with the kernel's error or a ChannelError when the transfer is cut off.
 * @param {Channel} channel
 * @param {Blob & {name: string}} file
 * @param {string} id
 * @param {SendOptions} opts
 * @returns {Promise<Sent>}
 */
export async function sendFile(channel, file, id, opts) {
  const type = file.type || "application/octet-stream";
  const begun = await channel.request({ kind: KIND.BEGIN, id, name: file.name, size: file.size, type });
  // The kernel may lower the chunk size for its host; never go above what it said.
  const chunkSize = Math.min(opts.chunkSize, Number(begun.chunk_size) || opts.chunkSize);
  const window = Math.max(1, opts.window);
  const ranges = chunkRanges(file.size, chunkSize);
  let acked = 0;
  let complete = Boolean(begun.complete);
  let sha256 = typeof begun.sha256 === "string" ? begun.sha256 : undefined;
  let next = 0;
  let failed = false;
  opts.onProgress?.(0, file.size);

  /** @returns {Promise<void>} */
  const sendOne = async () => {
    while (next < ranges.length && !failed) {
      if (opts.signal?.aborted) throw new DOMException("The transfer was stopped.", "AbortError");
      const [start, end] = ranges[next++];
      const buffer = await file.slice(start, end).arrayBuffer();
      const reply = await channel.request({ kind: KIND.CHUNK, id, offset: start }, [buffer]);
      acked += end - start;
      if (reply.complete) {
        complete = true;
        if (typeof reply.sha256 === "string") sha256 = reply.sha256;
      }
      opts.onProgress?.(acked, file.size);
    }
  };
  // `window` workers each keep one chunk in flight: together they are the credit window.
  const workers = Array.from({ length: Math.min(window, ranges.length) }, () =>
    sendOne().catch((err) => {
      failed = true; // the other workers stop at their next chunk
      throw err;
    }),
  );
  await Promise.all(workers);
  if (!complete) {
    throw new Error(`The kernel did not confirm all of ${file.name}: pick it again.`);
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
