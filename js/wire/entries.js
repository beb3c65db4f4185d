// What a drop zone's views list: the kernel's entries in their order, each with what this page knows better
// (its preview, its progress while the kernel is busy, a failure it saw first), then the files still on
// their way. Pure, so it is tested without a DOM or a kernel.
import { STATE } from "./protocol.js";

/** @typedef {import("./protocol.js").Entry} Entry */
/** @typedef {import("./dropzone.js").LocalEntry} LocalEntry */
/**
 * @typedef {Entry & {preview: string, waiting: boolean, local: boolean, detail: string, reconnecting: boolean}} ShownEntry
 *   detail: speed and time left on a slow link (""); reconnecting: the socket to the kernel is down
 * @typedef {{waiting: boolean, reconnecting: boolean, detail: (l: LocalEntry) => string, lost?: string}} Moving
 *   waiting: the kernel is busy (a cell runs), transfers wait; reconnecting: the socket is down;
 *   lost: set once the kernel restarted or went away: it holds none of its entries' files any more
 */

/**
 * @param {Entry[]} kernel       the entries the kernel publishes
 * @param {Map<string, LocalEntry>} local   the files and URLs given on this page
 * @param {Set<string>} removed  ids removed here whose removal the kernel hasn't published yet
 * @param {Moving} moving       how transfers on their way look now
 * @param {string} [group]       only this group's entries (ids "<group>:..."); all when not given
 * @returns {ShownEntry[]}
 */
export function mergeEntries(kernel, local, removed, moving, group) {
  /** A file on its way: held up, reconnecting, or moving (with speed and time left when slow). */
  const onItsWay = (/** @type {LocalEntry} */ l) => ({
    state: STATE.RECEIVING,
    waiting: moving.waiting && !moving.reconnecting,
    reconnecting: moving.reconnecting,
    detail: moving.waiting || moving.reconnecting ? "" : moving.detail(l),
  });
  const inGroup = (/** @type {string} */ id) => group === undefined || (group ? id.startsWith(`${group}:`) : !id.includes(":"));
  /** @type {ShownEntry[]} */
  const out = [];
  const seen = new Set();
  for (const k of kernel) {
    if (removed.has(k.id) || !inGroup(k.id)) continue;
    seen.add(k.id);
    const l = local.get(k.id);
    /** @type {ShownEntry} */
    const e = { ...k, preview: l?.preview ?? "", waiting: false, local: Boolean(l), detail: "", reconnecting: false };
    if (moving.lost && e.state !== STATE.ERROR) Object.assign(e, { state: STATE.ERROR, error: l?.error || moving.lost });
    else if (l && l.phase === "failed") Object.assign(e, { state: STATE.ERROR, error: l.error });
    else if (l && l.phase === "sending" && (k.state === STATE.RECEIVING || k.state === STATE.PAUSED)) {
      Object.assign(e, onItsWay(l), { progress: Math.max(k.progress, l.size ? l.acked / l.size : 0) });
    }
    out.push(e);
  }
  for (const l of local.values()) {
    if (seen.has(l.id) || removed.has(l.id) || !inGroup(l.id)) continue;
    const failed = l.phase === "failed";
    out.push({
      id: l.id, name: l.name, size: l.size, type: l.type, url: l.url, sha256: "", preview: l.preview, local: true,
      state: failed ? STATE.ERROR : l.phase === "sent" ? STATE.READY : l.phase === "sending" ? STATE.RECEIVING : STATE.WAITING,
      progress: l.size ? l.acked / l.size : 0, error: l.error, waiting: !failed && (moving.waiting || l.phase === "queued"),
      detail: "", reconnecting: false,
      ...(l.phase === "sending" && l.file ? onItsWay(l) : {}),
    });
  }
  return out;
}
