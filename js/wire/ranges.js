// Byte ranges of a file, [start, end): what the kernel holds, what is in flight, what to send next.

/** @typedef {[number, number]} Range  [start, end) */

/** Ranges sorted and merged where they touch or overlap. @param {Range[]} ranges @returns {Range[]} */
export function mergeRanges(ranges) {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  /** @type {Range[]} */
  const out = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Bytes covered by merged ranges. @param {Range[]} ranges */
export function coveredBytes(ranges) {
  return ranges.reduce((n, [a, b]) => n + b - a, 0);
}

/**
 * The next piece to send: the first byte not covered, up to `maxLength` bytes and not into covered ground.
 * @param {Range[]} covered merged @param {number} size @param {number} maxLength @returns {Range | null}
 */
export function nextPiece(covered, size, maxLength) {
  let at = 0;
  for (const [a, b] of covered) {
    if (at < a) return [at, Math.min(a, at + maxLength)];
    at = Math.max(at, b);
  }
  return at < size ? [at, Math.min(size, at + maxLength)] : null;
}
