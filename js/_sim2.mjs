import { Flow, FLOW } from "./flow.js";
const MiB = 1048576;
class RawRtt extends Flow {
  get minRtt() { let b = Infinity; for (const a of this.acks) b = Math.min(b, a.took); return b === Infinity ? 0 : b; }
}
// Startup: until the rate stops growing, keep gain x (rate x raw RTT) in flight, like BBR's startup.
class Startup extends Flow {
  constructor(o) { super(o); this.full = false; this.bestSeen = 0; this.flat = 0; this.roundEnd = 0; }
  ackedChunk(c) {
    super.ackedChunk(c);
    if (this.full) return;
    if (this.acked >= this.roundEnd) {            // one round: the bytes in flight at the last round's end were acked
      const r = this.rate.best;
      if (r > this.bestSeen * 1.25) { this.bestSeen = r; this.flat = 0; } else if (++this.flat >= 3) this.full = true;
      this.roundEnd = this.acked + this.inFlight;
    }
  }
  get rawRtt() { let b = Infinity; for (const a of this.acks) b = Math.min(b, a.took); return b === Infinity ? 0 : b; }
  get window() {
    const w = super.window;
    const rate = this.rate.best;
    if (this.full || rate === null) return w;
    return Math.max(w, Math.min(GAIN * rate * this.rawRtt, rate * (this.rawRtt + FLOW.MAX_WAIT_S)));
  }
}
let GAIN = +(process.env.GAIN ?? 2.89);
function run(Cls, { rate, rtt, size, kernel = 0, maxChunk = 4 * MiB, fixed = 0.1 }) {
  let now = 0;
  const flow = new Cls({ maxChunk, now: () => now });
  let pending = [], linkFreeAt = 0, kernelFreeAt = 0, sentBytes = 0, ackedBytes = 0, worstQ = 0;
  const step = 0.0005;
  for (; ackedBytes < size; now += step) {
    for (const p of pending.filter((p) => p.ackAt <= now)) { flow.ackedChunk(p.token); ackedBytes += p.token.bytes; }
    pending = pending.filter((p) => p.ackAt > now);
    let c = Math.min(flow.chunkSize, size - sentBytes);
    while (sentBytes < size && flow.canSend(c)) {
      worstQ = Math.max(worstQ, linkFreeAt - now);
      const token = flow.sent(c); sentBytes += c;
      linkFreeAt = Math.max(now, linkFreeAt) + c / rate;
      const arrive = linkFreeAt + rtt / 2;
      kernelFreeAt = Math.max(arrive, kernelFreeAt) + kernel * c / MiB + fixed * 0.01;
      pending.push({ ackAt: kernelFreeAt + rtt / 2, token });
      c = Math.min(flow.chunkSize, size - sentBytes);
    }
  }
  return { used: (size / rate) / (now + rtt), worstQ };
}
const settings = [[5, 0.02, 4], [5, 0.15, 4], [20, 0.02, 16], [20, 0.15, 16], [100, 0.02, 64], [100, 0.15, 64], [50, 0.08, 32], [10,0.1,12]];
for (const [name, Cls] of [["current", Flow], ["rawRtt", RawRtt], ["startup", Startup]]) {
  const cells = settings.map(([m, rtt, mib]) => {
    const r = run(Cls, { rate: m * 1e6 / 8, rtt, size: mib * MiB, kernel: 0.004 });
    return `${m}/${rtt * 1000}: ${r.used.toFixed(2)} q${r.worstQ.toFixed(2)}`;
  });
  console.log(name.padEnd(8), cells.join(" | "));
}
{
  let now = 0; const rate = 12.5e6, rtt = 0.15, size = 64 * MiB;
  for (const Cls of [Flow, Startup]) {
  now = 0;
  const flow = new Cls({ maxChunk: 4 * MiB, now: () => now });
  let pending = [], linkFreeAt = 0, sentBytes = 0, ackedBytes = 0; const tr = [];
  for (let k = 0; ackedBytes < size; now += 0.0005, k++) {
    for (const p of pending.filter((p) => p.ackAt <= now)) { flow.ackedChunk(p.token); ackedBytes += p.token.bytes; }
    pending = pending.filter((p) => p.ackAt > now);
    let c = Math.min(flow.chunkSize, size - sentBytes);
    while (sentBytes < size && flow.canSend(c)) { const token = flow.sent(c); sentBytes += c; linkFreeAt = Math.max(now, linkFreeAt) + c / rate; pending.push({ ackAt: linkFreeAt + rtt, token }); c = Math.min(flow.chunkSize, size - sentBytes); }
    if (k % 100 === 0 && now < 2) tr.push(`${now.toFixed(2)} w${(flow.window / MiB).toFixed(2)} c${(flow.chunkSize / 1024) | 0} r${((flow.rate.best ?? 0) / 1e6).toFixed(1)} rtt${flow.minRtt.toFixed(3)} f${flow.full ? 1 : 0}`);
  }
  console.log(tr.join("\n"));
  }
}
