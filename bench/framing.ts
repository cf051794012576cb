/**
 * Host cost of protocol-v1 framing: encode + decode per 64-byte report, and a 1 MB payload
 * (which must not copy quadratically). Budget (DESIGN.md): ≤ 2 µs per report.
 */
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../src/protocol/v1.js';

function roundTrip(payload: Uint8Array): number {
  const reports = encodeReports(22, payload);
  let state: DecodeState | undefined;
  for (const r of reports) state = decodeReport(state, r);
  if (!completedMessage(state)) throw new Error('incomplete');
  return reports.length;
}

export function run(): void {
  const sizes = [64 * 1024, 1024 * 1024];
  for (const size of sizes) {
    const payload = new Uint8Array(size).map((_, i) => i & 0xff);
    roundTrip(payload); // warm up
    const rounds = size > 100_000 ? 10 : 100;
    let reports = 0;
    const start = performance.now();
    for (let i = 0; i < rounds; i++) reports += roundTrip(payload);
    const ms = performance.now() - start;
    const perReport = (ms * 1000) / reports;
    console.log(
      `framing ${String(size).padStart(8)} B payload: ${(ms / rounds).toFixed(2)} ms per message, ${perReport.toFixed(3)} µs per report (budget 2 µs, ${((perReport / 2) * 100).toFixed(0)}%)`,
    );
  }
  // Linearity: time per byte at 1 MB vs 64 kB.
  // Best of several runs per size, so a garbage collection in one run does not decide it.
  const t = (size: number) => {
    const p = new Uint8Array(size);
    let best = Infinity;
    for (let i = 0; i < 9; i++) {
      const s = performance.now();
      roundTrip(p);
      best = Math.min(best, performance.now() - s);
    }
    return best / size;
  };
  const ratio = t(1024 * 1024) / t(64 * 1024);
  console.log(`framing cost per byte, 1 MB vs 64 kB: ratio ${ratio.toFixed(2)} (≈1 linear; quadratic copying would give ≈16)`);
}

if (import.meta.url === `file://${process.argv[1]}`) run();
