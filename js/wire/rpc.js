// Request/response over the widget's custom messages: every request gets exactly one reply from the kernel.
// A request whose reply is late is probed with a ping: if the ping comes back first, the request was lost on
// the way (a dropped socket) and is resent (the kernel accepts resends); if the ping waits too, the kernel is
// busy running a cell and the caller is told it is "waiting for the kernel".
import { KIND, isReply } from "./protocol.js";

/** @typedef {import("./protocol.js").Reply} Reply */
/**
 * @typedef {{
 *   on(name: "msg:custom", cb: (msg: any, buffers: DataView[]) => void): void,
 *   off(name: "msg:custom", cb: (msg: any, buffers: DataView[]) => void): void,
 *   send(content: any, callbacks?: any, buffers?: ArrayBuffer[]): void
 * }} Wire  the part of an anywidget model the channel uses
 */
/**
 * @typedef {{
 *   content: Record<string, unknown>, buffers: ArrayBuffer[] | undefined, sentAt: number, tries: number,
 *   resolve: (r: Reply) => void, reject: (e: Error) => void
 * }} Pending
 */

export class ChannelError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Channel {
  /**
   * @param {Wire} wire
   * @param {{probeAfterMs?: number, maxTries?: number, now?: () => number}} [opts]
   */
  constructor(wire, opts = {}) {
    this.wire = wire;
    this.session = Math.random().toString(36).slice(2) + Date.now().toString(36);
    this.probeAfterMs = opts.probeAfterMs ?? 4000;
    this.maxTries = opts.maxTries ?? 3;
    this.now = opts.now ?? (() => Date.now());
    this.nextRid = 1;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    /** @type {number | null} rid of the probe in flight */
    this.probe = null;
    this.waiting = false;
    /** @type {Set<(waiting: boolean) => void>} */
    this.waitListeners = new Set();
    /** @param {any} msg */
    this.onMessage = (msg) => this.receive(msg);
    wire.on("msg:custom", this.onMessage);
  }

  /**
   * Send one request; resolves with the kernel's ok reply, rejects with a ChannelError otherwise.
   * @param {import("./protocol.js").Request} content
   * @param {ArrayBuffer[]} [buffers]
   * @returns {Promise<Reply>}
   */
  request(content, buffers) {
    const rid = this.nextRid++;
    return new Promise((resolve, reject) => {
      const p = { content: { ...content, rid, session: this.session }, buffers, sentAt: 0, tries: 0, resolve, reject };
      this.pending.set(rid, p);
      this.transmit(rid, p);
    });
  }

  /** @param {number} rid @param {Pending} p */
  transmit(rid, p) {
    p.sentAt = this.now();
    p.tries += 1;
    try {
      this.wire.send(p.content, undefined, p.buffers);
    } catch (err) {
      this.pending.delete(rid);
      console.debug("replicate-widget: send failed", err);
      p.reject(new ChannelError("cut-off", "the connection to the kernel is gone"));
    }
  }

  /** @param {unknown} msg */
  receive(msg) {
    if (!isReply(msg)) return;
    const p = this.pending.get(msg.rid);
    if (!p) return; // a reply to a resent request that was answered already
    this.pending.delete(msg.rid);
    if (msg.rid === this.probe) this.afterProbe(p.sentAt);
    if (msg.ok) p.resolve(msg);
    else p.reject(new ChannelError(msg.error?.code ?? "error", msg.error?.message ?? "The kernel refused."));
    this.setWaiting(this.oldestAge() > this.probeAfterMs);
  }

  /** Called on a timer: probe late requests, report whether we wait for the kernel. */
  tick() {
    const late = this.oldestAge() > this.probeAfterMs;
    this.setWaiting(late);
    if (late && this.probe === null) {
      this.probe = this.nextRid;
      this.request({ kind: KIND.PING }).catch(() => {}).finally(() => { this.probe = null; });
    }
  }

  /** The probe came back: every request sent before it and still unanswered was lost. @param {number} probeSentAt */
  afterProbe(probeSentAt) {
    for (const [rid, p] of this.pending) {
      if (p.sentAt > probeSentAt || rid === this.probe) continue;
      if (p.tries >= this.maxTries) {
        this.pending.delete(rid);
        p.reject(new ChannelError("cut-off", "messages to the kernel were lost several times"));
      } else {
        this.transmit(rid, p);
      }
    }
  }

  oldestAge() {
    let oldest = Infinity;
    for (const p of this.pending.values()) oldest = Math.min(oldest, p.sentAt);
    return oldest === Infinity ? 0 : this.now() - oldest;
  }

  /** @param {boolean} waiting */
  setWaiting(waiting) {
    if (waiting === this.waiting) return;
    this.waiting = waiting;
    for (const cb of this.waitListeners) cb(waiting);
  }

  /** Fail every request in flight (the kernel restarted or the page goes away). @param {string} message */
  failAll(message) {
    for (const [rid, p] of this.pending) {
      this.pending.delete(rid);
      p.reject(new ChannelError("cut-off", message));
    }
    this.setWaiting(false);
  }

  /**
   * Give up requests whose content matches (their socket died): they reject with code "abandoned", are never
   * resent, and a late reply to them is ignored.
   * @param {(content: Record<string, unknown>) => boolean} matches
   */
  abandon(matches) {
    for (const [rid, p] of this.pending) {
      if (!matches(p.content)) continue;
      this.pending.delete(rid);
      p.reject(new ChannelError("abandoned", "given up after the connection was lost"));
    }
    this.setWaiting(this.oldestAge() > this.probeAfterMs);
  }

  dispose() {
    this.wire.off("msg:custom", this.onMessage);
    this.failAll("the widget was closed");
  }
}
