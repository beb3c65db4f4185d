// The messages between a widget's front end and the kernel. Mirror of
// src/replicate_widget/wire/protocol.py: tests/unit/wire/test_protocol_agreement.py checks that the constants
// and the request/reply typedefs below agree with it.
//
// Every request carries `kind`, `rid` (unique within this front end's `session`) and gets exactly one
// reply: {kind: "reply", rid, ok: true, ...} or {kind: "reply", rid, ok: false, error: {code, message}}.
// The first request is `hello`: both sides compare PROTOCOL_VERSION and stop on a mismatch.

export const PROTOCOL_VERSION = 3;

export const KIND = /** @type {const} */ ({
  HELLO: "hello",
  BEGIN: "begin",
  CHUNK: "chunk",
  URL: "url",
  REMOVE: "remove",
  PING: "ping",
  RUN: "run",
  CANCEL: "cancel",
  SECRET: "secret",
  REPLY: "reply",
});

export const STATE = /** @type {const} */ ({
  WAITING: "waiting",
  RECEIVING: "receiving",
  PAUSED: "paused",
  READY: "ready",
  UPLOADING: "uploading",
  UPLOADED: "uploaded",
  ERROR: "error",
});

export const ERROR_CODE = /** @type {const} */ ({
  BAD_MESSAGE: "bad-message",
  TOO_LARGE: "too-large",
  UNKNOWN_ENTRY: "unknown-entry",
  SIZE_MISMATCH: "size-mismatch",
  CUT_OFF: "cut-off",
  IO: "io",
  VERSION_MISMATCH: "version-mismatch",
});

export const LIMITS = /** @type {const} */ ({
  MAX_FILE_BYTES: 104_857_600,
  JUPYTER_CHUNK_BYTES: 4 * 1024 * 1024,
  SMALL_CHUNK_BYTES: 512 * 1024,
});

// Requests as the caller builds them; the Channel adds `rid` and `session`.
/**
 * @typedef {{kind: "hello", version: number}} HelloRequest
 * @typedef {{
 *   kind: "begin", id: string, name: string, size: number, type: string, last_modified: number, head_sha256: string
 * }} BeginRequest  last_modified and head_sha256 recognise the file after a page reload ("" when not computed)
 * @typedef {{kind: "chunk", id: string, offset: number}} ChunkRequest
 * @typedef {{kind: "url", id: string, url: string}} UrlRequest
 * @typedef {{kind: "remove", id: string}} RemoveRequest
 * @typedef {{kind: "ping"}} PingRequest
 * @typedef {{kind: "run"}} RunRequest
 * @typedef {{kind: "cancel"}} CancelRequest
 * @typedef {{kind: "secret", name: string, value: string}} SecretRequest
 * @typedef {HelloRequest | BeginRequest | ChunkRequest | UrlRequest | RemoveRequest | PingRequest | RunRequest | CancelRequest | SecretRequest} Request
 */

/**
 * @typedef {{code: string, message: string}} WireError
 * @typedef {{
 *   kind: "reply", rid: number, ok: boolean, error?: WireError,
 *   version?: number, chunk_size?: number,
 *   id?: string, have?: number[][],
 *   complete?: boolean, received?: number, sha256?: string | null,
 *   started?: boolean
 * }} Reply  fields beyond `ok` and `error` depend on the request's kind (hello, begin/chunk, run)
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
