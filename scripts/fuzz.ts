/**
 * `npm run fuzz`: the wire fuzzer (test/support/wire-fuzz.ts) at full size: mutated recorded
 * answers through the frame decoder and the message decoders, random report streams, every
 * message decoder with random and cross-typed payloads, and live sessions answered with
 * mutated reports. Prints the case count and the failures; exits non-zero on any failure.
 * `FUZZ_SEED=n` repeats a run; the default seed is fresh each time and printed.
 */
import { fuzzFrames, fuzzMessages, fuzzRandomReports, fuzzSessions, recordedCorpus, type FuzzReport } from '../test/support/wire-fuzz.js';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const { answers, requests } = recordedCorpus();
console.log(`wire fuzz, seed ${seed} (FUZZ_SEED=${seed} repeats it); corpus: ${answers.length} recorded answers, ${requests.length} requests`);

const parts: [string, () => FuzzReport | Promise<FuzzReport>][] = [
  ['frames: mutated recorded answers -> frame + message decoders', () => fuzzFrames(answers, 60_000, seed)],
  ['frames: random report streams', () => fuzzRandomReports(20_000, seed + 1)],
  ['messages: every decoder, random and cross-typed payloads', () => fuzzMessages([...answers, ...requests], 40_000, seed + 2)],
  ['sessions: calls answered with mutated reports', () => fuzzSessions(answers, 3_000, seed + 3)],
];

let cases = 0;
const failures: string[] = [];
for (const [name, run] of parts) {
  const start = performance.now();
  const report = await run();
  cases += report.cases;
  failures.push(...report.failures.map((f) => `${name}: ${f}`));
  const outcomes = Object.entries(report.outcomes).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`  ${name}: ${report.cases} cases, ${report.failures.length} failures, ${((performance.now() - start) / 1000).toFixed(1)} s\n    outcomes: ${outcomes}`);
}
console.log(`${cases} cases, ${failures.length} failures`);
for (const f of failures) console.log(`  FAIL ${f}`);
process.exit(failures.length ? 1 : 0);
