// Pacing by time: how many bytes may be unacknowledged, and how big each chunk is, so the link stays
// full while a person's own messages (cells, clicks) wait little behind file bytes on the one websocket.
//
// The kernel acks every chunk. From the acks, a Pacing learns two things:
// - the delivery rate: for each ack, the bytes acked since that chunk was sent over the time since the ack
//   before it left (as BBR does). A burst of acks after a stall (a busy kernel, a reconnect) cannot inflate
//   it, because the stall falls inside that time. (Counted from the chunk's own departure instead, acks held
//   back and released together made a 20 Mbit/s link look 35 % faster, and a `print` waited a second.) The
//   rate is the best sample of the last few seconds: the link's capacity shows in its best recent samples,
//   and a window kept below it would leave the link idle. A sample is also never faster than its bytes were
//   sent (BBR's guard against acks compressed together).
// - the round trip without queueing: the least over recent acks of the time taken minus the chunk's own time
//   on the link at the rate known now (re-evaluated as the rate estimate improves, so the slow first acks
//   cannot make it look shorter than it is).
// The pipe is what keeps the link busy until an ack comes back: the round trip's worth of the rate, plus the
// chunk on the link (a chunk is acked only once all of it has crossed; without it, 1-2 MiB chunks on a
// 100 Mbit/s, 150 ms link kept too little in flight and the rate stopped growing at 60 % of the link).
// In flight: about a quarter second of the rate, at least twice the pipe (so the rate it measures can keep
// growing), and never so much that a message sent now waits more than half a second behind the bytes not yet
// across. While the link is still being learned (startup, until the rate grew less than a quarter in two
// round trips, as BBR decides), three pipes: doubling each round trip of about 0.25 s, a 100 Mbit/s, 150 ms
// link took over a second to fill, a fifth of a 64 MiB transfer.
// Chunks are a third of what may be in flight, but at least a tenth of a second of the rate: on a fast link
// each message costs the kernel more than its bytes do, and 1 MiB chunks ran 30 % slower than 4 MiB ones
// here. So three chunks in flight, each between 16 KiB and the host's maximum.
// Before the first ack, a small window (256 KiB: under half a second even at 5 Mbit/s). After a few seconds
// with nothing in flight the link may have changed (a laptop leaves the office), so a Pacing starts again from
// that small window instead of sending at a rate it learned on another network.

export const PACING = {
  TARGET_S: 0.25,
  MAX_WAIT_S: 0.5,
  START_WINDOW: 256 * 1024,
  MIN_CHUNK: 16 * 1024,
  CHUNKS_IN_FLIGHT: 3,
  CHUNK_S: 0.1,
  RATE_HORIZON_S: 3,
  RTT_HORIZON_S: 10,
  IDLE_S: 3,
  STARTUP_GAIN: 3,
  STARTUP_GROWTH: 1.25,
  STARTUP_FLAT_ROUNDS: 2,
};

/** @typedef {{t: number, value: number}} Sample */

/** The best (max or min) value seen within a sliding time horizon. */
export class WindowedBest {
  /** @param {number} horizon seconds @param {(a: number, b: number) => boolean} better */
  constructor(horizon, better) {
    this.horizon = horizon;
    this.better = better;
    /** @type {Sample[]} kept in order of time, each better than every later one */
    this.samples = [];
  }

  /** @param {number} t seconds @param {number} value */
  add(t, value) {
    while (this.samples.length && !this.better(this.samples[this.samples.length - 1].value, value)) this.samples.pop();
    this.samples.push({ t, value });
    this.expire(t);
  }

  /** @param {number} t */
  expire(t) {
    while (this.samples.length > 1 && this.samples[0].t < t - this.horizon) this.samples.shift();
  }

  /** @returns {number | null} */
  get best() {
    return this.samples.length ? this.samples[0].value : null;
  }
}

/**
 * @typedef {{at: number, ackedBefore: number, since: number, sentSince: number, bytes: number}} SentChunk  what
 *   its ack is measured against: when it left, the bytes acked by then, when the last of those was acked, and
 *   when that last one had left
 */

/** The delivery rate: the best sample within the horizon. */
const bestRate = () => new WindowedBest(PACING.RATE_HORIZON_S, (a, b) => a >= b);

/** Startup: while the rate still grows by a quarter each round trip, the link is not full yet. */
const startupState = () => ({ roundEndsAt: 0, rateThen: 0, flatRounds: 0, over: false });

export class Pacing {
  /**
   * @param {{maxChunk: number, now?: () => number}} opts maxChunk: the host's limit in bytes; now(): seconds
   */
  constructor(opts) {
    this.maxChunk = opts.maxChunk;
    this.now = opts.now ?? (() => performance.now() / 1000);
    this.acked = 0; // bytes acked since this Pacing began, over every file it carried
    this.inFlight = 0;
    this.lastActive = -Infinity; // when the last chunk left or the last ack came
    // What the Pacing learned of the link (forget() starts it again).
    /** @type {number | null} */
    this.lastAck = null; // when the last ack came
    /** @type {number | null} */
    this.lastAckedLeft = null; // when the chunk of that ack had left
    this.rate = bestRate();
    /** @type {{t: number, took: number, bytes: number}[]} recent acks, for the round trip */
    this.acks = [];
    this.startup = startupState();
  }

  /** Start learning the link afresh. */
  forget() {
    this.lastAck = null;
    this.lastAckedLeft = null;
    this.rate = bestRate();
    this.acks = [];
    this.startup = startupState();
  }

  /** Bytes per second, or null before the first ack. */
  get bytesPerSecond() {
    return this.rate.best;
  }

  /** The smallest round trip seen lately, without a chunk's own time on the link, in seconds (0 before
   * the first ack). */
  get minRtt() {
    const rate = this.rate.best;
    let best = Infinity;
    for (const a of this.acks) best = Math.min(best, rate ? a.took - a.bytes / rate : a.took);
    return best === Infinity ? 0 : Math.max(0, best);
  }

  /** How many bytes may be unacknowledged now. */
  get window() {
    const rate = this.rate.best;
    if (rate === null) return PACING.START_WINDOW;
    const chunk = this.chunkFor(rate);
    const pipe = rate * this.minRtt + chunk;
    const gain = this.startup.over ? 2 : PACING.STARTUP_GAIN;
    const wanted = Math.max(rate * PACING.TARGET_S, gain * pipe, PACING.CHUNKS_IN_FLIGHT * chunk);
    // A message sent now waits behind the bytes not yet across: in flight, less the round trip's worth.
    const ceiling = rate * (this.minRtt + PACING.MAX_WAIT_S);
    return Math.max(2 * PACING.MIN_CHUNK, Math.min(wanted, ceiling));
  }

  /** The size of a full chunk, in whole KiB (see the top of this module). */
  get chunkSize() {
    const rate = this.rate.best;
    if (rate === null) return this.clampChunk(PACING.START_WINDOW / PACING.CHUNKS_IN_FLIGHT);
    return this.clampChunk(Math.max(this.window / PACING.CHUNKS_IN_FLIGHT, this.chunkFor(rate)));
  }

  /**
   * How many bytes may leave now as one chunk (0: none may yet). Always a full chunk: pieces cut to fit the
   * window kept every later chunk cut too. One goes while the window has room for at least half of it, so
   * what is in flight averages the window. One always may when nothing is in flight, so a window below a
   * chunk never stalls. A method, not a getter: after an idle pause it makes the Pacing forget the link.
   */
  nextChunk() {
    if (this.inFlight === 0 && this.now() - this.lastActive > PACING.IDLE_S) this.forget();
    const full = this.chunkSize;
    return this.inFlight === 0 || this.inFlight + full / 2 <= this.window ? full : 0;
  }

  /** A tenth of a second of the rate, within the limits. @param {number} rate */
  chunkFor(rate) {
    return this.clampChunk(rate * PACING.CHUNK_S);
  }

  /** @param {number} size */
  clampChunk(size) {
    const whole = Math.floor(size / 1024) * 1024;
    return Math.max(Math.min(PACING.MIN_CHUNK, this.maxChunk), Math.min(this.maxChunk, whole));
  }

  /** A chunk leaves. @param {number} bytes @returns {SentChunk} */
  sent(bytes) {
    this.inFlight += bytes;
    /** @type {SentChunk} */
    const chunk = { at: 0, ackedBefore: 0, since: 0, sentSince: 0, bytes };
    this.departs(chunk);
    return chunk;
  }

  /** Measure the chunk from now (its bytes were read from disk meanwhile). @param {SentChunk} chunk */
  departs(chunk) {
    const now = this.now();
    this.lastActive = now;
    Object.assign(chunk, {
      at: now,
      ackedBefore: this.acked,
      since: this.lastAck ?? now,
      sentSince: this.lastAckedLeft ?? now,
    });
  }

  /** The kernel acked a chunk. @param {SentChunk} chunk */
  ackedChunk(chunk) {
    const now = this.now();
    this.lastActive = now;
    this.lastAck = now;
    this.inFlight = Math.max(0, this.inFlight - chunk.bytes);
    this.acked += chunk.bytes;
    const took = now - chunk.at;
    if (took <= 0) return;
    // Over the time since the ack before it left, as BBR measures: acks held back by a busy kernel and
    // released together fall inside that time, so they cannot make the link look faster than it is.
    // And never faster than those bytes were sent: an ack the kernel held back, then released right before
    // the next ones, would shorten the time since it (BBR's guard against ack compression).
    const elapsed = Math.max(now - chunk.since, chunk.at - chunk.sentSince);
    this.rate.add(now, (this.acked - chunk.ackedBefore) / elapsed);
    this.lastAckedLeft = chunk.at;
    this.endOfRound(chunk);
    this.acks.push({ t: now, took, bytes: chunk.bytes });
    while (this.acks.length > 1 && this.acks[0].t < now - PACING.RTT_HORIZON_S) this.acks.shift();
  }

  /** Once a round trip: startup is over when the rate stopped growing. @param {SentChunk} chunk */
  endOfRound(chunk) {
    const s = this.startup;
    if (s.over || chunk.ackedBefore < s.roundEndsAt) return;
    s.roundEndsAt = this.acked; // the round ends with the ack of a chunk sent after now
    const rate = /** @type {number} */ (this.rate.best);
    if (rate >= s.rateThen * PACING.STARTUP_GROWTH) Object.assign(s, { rateThen: rate, flatRounds: 0 });
    else if (++s.flatRounds >= PACING.STARTUP_FLAT_ROUNDS) s.over = true;
  }

  /** A chunk will never be acked (its socket died): it no longer counts as in flight. @param {SentChunk} chunk */
  lost(chunk) {
    this.inFlight = Math.max(0, this.inFlight - chunk.bytes);
  }
}

/**
 * Speed and time left as the widget shows them on a slow link, or "" on a fast one (where a transfer is over
 * before anyone reads it). Whether the link is slow is judged on the whole file, not on what is left, so the
 * text stays on to the end instead of blinking off and on as the time left crosses the threshold.
 * Rates in bytes per second.
 * @param {number | null} bytesPerSecond @param {number} left bytes still to go @param {number} size the file's
 */
export function speedText(bytesPerSecond, left, size = left) {
  if (!bytesPerSecond || bytesPerSecond <= 0 || left <= 0) return "";
  if (size / bytesPerSecond < 3) return "";
  const mbit = (bytesPerSecond * 8) / 1e6;
  const speed = mbit >= 10 ? `${Math.round(mbit)} Mbit/s` : `${mbit.toFixed(1)} Mbit/s`;
  return `${speed}, ${durationText(left / bytesPerSecond)} left`;
}

/** "45 s", "3 min", "1 h 5 min". @param {number} seconds */
export function durationText(seconds) {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
