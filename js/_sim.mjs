import { Flow } from "./flow.js";
const MiB = 1048576;
function run({ rate, rtt, size, kernel = 0, maxChunk = 4 * MiB }) {
  let now = 0;
  const flow = new Flow({ maxChunk, now: () => now });
  let pending = [], linkFreeAt = 0, kernelFreeAt = 0, sentBytes = 0, ackedBytes = 0, worstQ = 0;
  const step = 0.0005;
  const trace = [];
  for (; ackedBytes < size; now += step) {
    for (const p of pending.filter((p) => p.ackAt <= now)) { flow.ackedChunk(p.token); ackedBytes += p.token.bytes; }
    pending = pending.filter((p) => p.ackAt > now);
    let c = Math.min(flow.chunkSize, size - sentBytes);
    while (sentBytes < size && flow.canSend(c)) {
      worstQ = Math.max(worstQ, linkFreeAt - now);
      const token = flow.sent(c); sentBytes += c;
      linkFreeAt = Math.max(now, linkFreeAt) + c / rate;
      const arrive = linkFreeAt + rtt / 2;
      kernelFreeAt = Math.max(arrive, kernelFreeAt) + kernel * c / MiB;
      pending.push({ ackAt: kernelFreeAt + rtt / 2, token });
      c = Math.min(flow.chunkSize, size - sentBytes);
    }
    if (Math.abs(now*10 - Math.round(now*10)) < step*5 ) trace.push(`${now.toFixed(1)}:${(flow.window/MiB).toFixed(2)}/${(flow.chunkSize/1024)|0}K`);
  }
  const ideal = size / rate + rtt;
  return { took: now, ideal, used: (size / rate) / now, worstQ, trace: trace.slice(0, 20).join(" ") };
}
for (const [mbit, rtt, mib] of [[5, 0.15, 4], [20, 0.02, 16], [20,0.15,16], [100, 0.15, 64], [100, 0.02, 64]]) {
  for (const kernel of [0, 0.01]) {
    const r = run({ rate: mbit * 1e6 / 8, rtt, size: mib * MiB, kernel });
    console.log(`${mbit}/${rtt*1000} k=${kernel}: took ${r.took.toFixed(2)} ideal ${r.ideal.toFixed(2)} used ${r.used.toFixed(2)} worstQ ${r.worstQ.toFixed(2)}`);
    if (kernel === 0) console.log("   ", r.trace);
  }
}
