// The messages between the widget's front end and the kernel. Mirror of
// src/replicate_widget/_protocol.py: tests/unit/test_protocol_agreement.py checks both agree.
//
// Every request carries `kind`, `rid` (unique within this front end's `session`) and gets exactly one
// reply: {kind: "reply", rid, ok: true, ...} or {kind: "reply", rid, ok: false, error: {code, message}}.

export const PROTOCOL_VERSION = 1;

export const KIND = {
  HELLO: "hello",
  BEGIN: "begin",
  CHUNK: "chunk",
  URL: "url",
  REMOVE: "remove",
  PING: "ping",
  REPLY: "reply",
};

export const STATE = {
  WAITING: "waiting",
  RECEIVING: "receiving",
  READY: "ready",
  UPLOADING: "uploading",
  UPLOADED: "uploaded",
  ERROR: "error",
};

export const ERROR_CODE = {
  BAD_MESSAGE: "bad-message",
  TOO_LARGE: "too-large",
  UNKNOWN_ENTRY: "unknown-entry",
  SIZE_MISMATCH: "size-mismatch",
  CUT_OFF: "cut-off",
  IO: "io",
};

export const LIMITS = {
  MAX_FILE_BYTES: 104_857_600,
  JUPYTER_CHUNK_BYTES: 4 * 1024 * 1024,
  SMALL_CHUNK_BYTES: 512 * 1024,
};

/**
 * @typedef {{code: string, message: string}} WireError
 * @typedef {{kind: "reply", rid: number, ok: boolean, error?: WireError, [key: string]: unknown}} Reply
 * @typedef {{
 *   id: string, name: string, size: number, type: string, state: string,
 *   progress: number, error: string, url: string, sha256: string
 * }} Entry  an entry as the kernel publishes it in the `entries` trait (metadata only)
 */

/**
 * @param {unknown} msg
 * @returns {msg is Reply}
 */
export function isReply(msg) {
  if (typeof msg !== "object" || msg === null) return false;
  const m = /** @type {Record<string, unknown>} */ (msg);
  return m.kind === KIND.REPLY && typeof m.rid === "number" && typeof m.ok === "boolean";
}

/** A URL the widget takes as a hosted file: one http(s) URL and nothing else. */
export function asHostedUrl(/** @type {string} */ text) {
  const s = text.trim();
  if (!/^https?:\/\/\S+$/i.test(s)) return null;
  try {
    return new URL(s).href;
  } catch {
    return null;
  }
}
