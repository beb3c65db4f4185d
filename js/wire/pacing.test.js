import { describe, expect, it } from "vitest";
import { PACING, Pacing, WindowedBest, durationText, speedText } from "./pacing.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * A link simulated on a fake clock: `rate` bytes/s, `rtt` seconds, the sender keeping the flow's window full
 * with the flow's chunk size. Returns the flow and what it saw: the largest queue (seconds a message sent
 * behind the file bytes would wait) and the bytes delivered per second over the last half.
 * `kernel`: seconds each ack takes beyond the round trip (the server and the kernel handling the chunk).
 * @param {{rate: number, rtt: number, seconds: number, maxChunk?: number, kernel?: number}} link
 */
export function simulate({ rate, rtt, seconds, maxChunk = 4 * MiB, kernel = 0 }) {
  let now = 0;
  const flow = new Pacing({ maxChunk, now: () => now });
  /** @type {{ackAt: number, token: import("./pacing.js").SentChunk}[]} */
  let pending = [];
  let linkFreeAt = 0;
  let worstQueue = 0;
  let deliveredLate = 0;
  let delivered = 0;
  /** @type {number | null} */
  let halfAt = null; // when the first half of what the link could carry in `seconds` was acked
  /** @type {number | null} */
  let fullAt = null; // when the link first carried 90 % of its rate over a round trip
  let window = { t: 0, bytes: 0 };
  const step = 0.001;
  for (; now < seconds; now += step) {
    for (const p of pending.filter((p) => p.ackAt <= now)) {
      flow.ackedChunk(p.token);
      if (now > seconds / 2) deliveredLate += p.token.bytes;
      delivered += p.token.bytes;
      if (halfAt === null && delivered >= (rate * seconds) / 2) halfAt = now;
      window.bytes += p.token.bytes;
    }
    if (now - window.t >= Math.max(rtt, 0.1)) {
      if (fullAt === null && window.bytes >= 0.9 * rate * (now - window.t)) fullAt = window.t;
      window = { t: now, bytes: 0 };
    }
    pending = pending.filter((p) => p.ackAt > now);
    for (let size = flow.nextChunk(); size > 0; size = flow.nextChunk()) {
      // A message sent now would wait for the link to carry what is queued before it.
      worstQueue = Math.max(worstQueue, Math.max(0, linkFreeAt - now));
      const token = flow.sent(size);
      linkFreeAt = Math.max(now, linkFreeAt) + size / rate;
      pending.push({ ackAt: linkFreeAt + rtt + kernel, token });
    }
  }
  for (const p of pending) { // the file is done: every chunk sent is acked
    now = Math.max(now, p.ackAt);
    flow.ackedChunk(p.token);
  }
  return { flow, worstQueue, fullAt, halfAt, used: deliveredLate / (seconds / 2) / rate };
}

describe("WindowedBest", () => {
  it("keeps the max of the horizon and forgets older samples", () => {
    const best = new WindowedBest(1, (a, b) => a >= b);
    best.add(0, 5);
    best.add(0.5, 3);
    expect(best.best).toBe(5);
    best.add(1.2, 2); // 5 is now older than the horizon
    expect(best.best).toBe(3);
    best.add(1.6, 1);
    expect(best.best).toBe(2);
  });
  it("keeps the min when asked to", () => {
    const best = new WindowedBest(10, (a, b) => a <= b);
    for (const [t, v] of [[0, 0.3], [1, 0.1], [2, 0.2]]) best.add(t, v);
    expect(best.best).toBe(0.1);
  });
});

describe("Pacing before any ack", () => {
  it("starts small: a quarter MiB in flight, in chunks of a third of it", () => {
    const flow = new Pacing({ maxChunk: 4 * MiB, now: () => 0 });
    expect(flow.bytesPerSecond).toBeNull();
    expect(flow.window).toBe(PACING.START_WINDOW);
    expect(flow.chunkSize).toBe(Math.floor(PACING.START_WINDOW / 3 / KiB) * KiB);
  });
  it("lets one chunk go when nothing is in flight, then only while half a chunk fits", () => {
    const flow = new Pacing({ maxChunk: 4 * MiB, now: () => 0 });
    const chunk = flow.chunkSize;
    expect(flow.nextChunk()).toBe(chunk);
    flow.sent(chunk);
    flow.sent(chunk);
    expect(flow.nextChunk()).toBe(chunk); // a third chunk: the window holds three
    flow.sent(chunk);
    expect(flow.nextChunk()).toBe(0);
  });
});

describe("Pacing learning a link from its acks", () => {
  it("measures the delivery rate, and a burst of acks after a stall does not inflate it", () => {
    let now = 0;
    const flow = new Pacing({ maxChunk: 4 * MiB, now: () => now });
    const a = flow.sent(100 * KiB);
    const b = flow.sent(100 * KiB);
    now = 2; // the kernel was busy for two seconds, then both acks arrive together
    flow.ackedChunk(a);
    flow.ackedChunk(b);
    expect(flow.bytesPerSecond).toBeCloseTo((200 * KiB) / 2, 0);
  });

  it("is not inflated by acks a busy kernel held back, then released together", () => {
    let now = 0;
    const flow = new Pacing({ maxChunk: 4 * MiB, now: () => now });
    const rate = 1 * MiB; // a chunk of 100 KiB every 0.1 s, acked 0.1 s later
    /** @type {import("./pacing.js").SentChunk[]} */
    const held = [];
    for (let i = 0; i < 20; i++) {
      const chunk = flow.sent(100 * KiB);
      now += 0.1;
      if (i < 10) flow.ackedChunk(chunk); // the kernel answers...
      else held.push(chunk); // ...then runs a cell for a second, and the acks wait
    }
    for (const chunk of held) flow.ackedChunk(chunk);
    expect(/** @type {number} */ (flow.bytesPerSecond)).toBeLessThanOrEqual(rate * 1.01);
  });

  it("is not inflated by an ack the kernel held back, then released right before the next ones", () => {
    let now = 0;
    const flow = new Pacing({ maxChunk: 4 * MiB, now: () => now });
    const rate = 10 * MiB; // 1 MiB chunks cross in 0.1 s; the round trip is 0.1 s more
    const [a, b1, b2] = [flow.sent(MiB), flow.sent(MiB), flow.sent(MiB)];
    now = 1; // a cell ran in the kernel for a second: the three chunks crossed long ago, unacked
    flow.ackedChunk(a);
    const c = flow.sent(MiB); // leaves on that ack...
    now = 1.001;
    flow.ackedChunk(b1); // ...and the two held acks follow at once
    now = 1.002;
    flow.ackedChunk(b2);
    now = 1.2; // c crossed the idle link: 3 MiB acked in the 0.2 s since a's ack, but sent over a second
    flow.ackedChunk(c);
    expect(/** @type {number} */ (flow.bytesPerSecond)).toBeLessThanOrEqual(rate);
  });

  it("climbs faster than doubling while the rate still grows, then holds twice the pipe", () => {
    // 100 Mbit/s, 150 ms, and 50 ms for the server and the kernel to handle each chunk, as measured here.
    const rate = 100e6 / 8;
    const { flow, halfAt, worstQueue } = simulate({ rate, rtt: 0.15, seconds: 5, kernel: 0.05 });
    // Half of what the link carries in 5 s is acked less than 0.75 s after a full link would have it
    // (0.93 s when the window only doubled each round trip).
    expect(/** @type {number} */ (halfAt) - 2.5).toBeLessThan(0.75);
    expect(worstQueue).toBeLessThan(PACING.MAX_WAIT_S);
    expect(flow.startup.over).toBe(true);
    const pipe = rate * flow.minRtt + flow.chunkFor(rate);
    expect(flow.window).toBeLessThanOrEqual(Math.max(rate * PACING.TARGET_S, 2 * pipe) * 1.01);
  });

  for (const [mbit, rttMs] of [[5, 20], [5, 150], [20, 20], [20, 150], [100, 20], [100, 150]]) {
    it(`${mbit} Mbit/s at ${rttMs} ms: fills the link soon, keeps a queued message under half a second`, () => {
      const rate = (mbit * 1e6) / 8;
      const rtt = rttMs / 1000;
      const { flow, worstQueue, used, fullAt } = simulate({ rate, rtt, seconds: 8 });
      expect(used).toBeGreaterThan(0.95);
      expect(worstQueue).toBeLessThan(PACING.MAX_WAIT_S);
      // From a quarter MiB to the link's rate in a few round trips, not creeping up over seconds.
      expect(fullAt).not.toBeNull();
      expect(/** @type {number} */ (fullAt)).toBeLessThan(1.2);
      // About a quarter second of the rate in flight, or twice the pipe (the round trip's worth and a
      // chunk) when that is more.
      const pipe = rate * rtt + flow.chunkFor(rate);
      const expected = Math.max(rate * PACING.TARGET_S, 2 * pipe);
      expect(flow.window / expected).toBeGreaterThan(0.8);
      expect(flow.window / expected).toBeLessThan(1.3);
      expect(flow.minRtt).toBeCloseTo(rtt, 1);
    });
  }

  it("shrinks chunks on slow links and grows them up to the host's maximum on fast ones", () => {
    const slow = simulate({ rate: 5e6 / 8, rtt: 0.05, seconds: 4 }).flow.chunkSize;
    const fast = simulate({ rate: 40e6, rtt: 0.01, seconds: 4 }).flow.chunkSize;
    const colab = simulate({ rate: 40e6, rtt: 0.01, seconds: 4, maxChunk: 512 * KiB }).flow.chunkSize;
    expect(slow).toBeLessThanOrEqual(64 * KiB);
    expect(slow).toBeGreaterThanOrEqual(PACING.MIN_CHUNK);
    expect(fast).toBeGreaterThan(2 * MiB);
    expect(fast).toBeLessThanOrEqual(4 * MiB);
    expect(colab).toBe(512 * KiB);
  });

  it("follows a link that becomes slower, within the rate horizon", () => {
    let now = 0;
    const flow = new Pacing({ maxChunk: 4 * MiB, now: () => now });
    const feed = (/** @type {number} */ rate, /** @type {number} */ until) => {
      for (; now < until; now += 0.05) {
        const t = flow.sent(rate * 0.05);
        now += 0.05;
        flow.ackedChunk(t);
      }
    };
    feed(10e6, 2);
    expect(flow.bytesPerSecond).toBeGreaterThan(4e6);
    feed(1e6, 2 + PACING.RATE_HORIZON_S + 1);
    expect(flow.bytesPerSecond).toBeLessThan(1.01e6);
  });

  it("forgets a chunk whose socket died: it no longer holds the window", () => {
    const flow = new Pacing({ maxChunk: 4 * MiB, now: () => 0 });
    const t = flow.sent(PACING.START_WINDOW);
    expect(flow.nextChunk()).toBe(0);
    flow.lost(t);
    expect(flow.inFlight).toBe(0);
    expect(flow.nextChunk()).toBeGreaterThan(0);
  });

  it("starts again from the small window after an idle pause, not at a rate from another network", () => {
    const { flow } = simulate({ rate: 100e6 / 8, rtt: 0.02, seconds: 3 });
    expect(flow.window).toBeGreaterThan(2 * MiB);
    const paused = flow.now() + PACING.IDLE_S + 1;
    flow.now = () => paused;
    expect(flow.nextChunk()).toBe(Math.floor(PACING.START_WINDOW / 3 / KiB) * KiB);
    expect(flow.window).toBe(PACING.START_WINDOW);
  });

  it("keeps what it learned across files sent one after the other", () => {
    const { flow } = simulate({ rate: 100e6 / 8, rtt: 0.02, seconds: 3 });
    const learned = flow.window;
    const soon = flow.now() + 0.5; // the next file's first chunk, half a second after the last ack
    flow.now = () => soon;
    expect(flow.nextChunk()).toBeGreaterThan(PACING.START_WINDOW);
    expect(flow.window).toBe(learned);
  });
});

describe("speedText", () => {
  it("says speed and time left when the rest takes a while, nothing when it is nearly done", () => {
    expect(speedText(625_000, 30 * 625_000)).toBe("5.0 Mbit/s, 30 s left");
    expect(speedText(2_500_000, 300 * 2_500_000)).toBe("20 Mbit/s, 5 min left");
    expect(speedText(625_000, 625_000)).toBe("");
    expect(speedText(null, 10 * MiB)).toBe("");
  });
  it("stays on to the end of a slow file, and off for a file that is quick as a whole", () => {
    const size = 30 * 625_000;
    expect(speedText(625_000, 625_000, size)).toBe("5.0 Mbit/s, 1 s left");
    expect(speedText(625_000, 625_000, 2 * 625_000)).toBe("");
  });
  it("writes durations a person reads at a glance", () => {
    expect(durationText(44.2)).toBe("45 s");
    expect(durationText(3900)).toBe("1 h 5 min");
  });
});
