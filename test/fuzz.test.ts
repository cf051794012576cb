// The wire fuzzer (test/support/wire-fuzz.ts) at a small size with fixed seeds, so `npm test`
// replays the same cases every time; `npm run fuzz` runs 100 000+ cases with a fresh seed.
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzFrames, fuzzMessages, fuzzRandomReports, fuzzSessions, recordedCorpus, type Recorded } from './support/wire-fuzz.js';

let corpus: { answers: Recorded[]; requests: Recorded[] };
beforeAll(() => {
  corpus = recordedCorpus();
});

describe('wire fuzz (seeded)', () => {
  it('reads the recorded answers of every transcript folder', () => {
    expect(corpus.answers.length).toBeGreaterThan(1000);
    expect(corpus.requests.length).toBeGreaterThan(1000);
  });

  it('mutated recorded answers: the frame decoder and message decoders end in a message or a ProtocolError', () => {
    const report = fuzzFrames(corpus.answers, 3000, 20261202);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(3000);
    // The mutations reach every outcome, so the property is not vacuous.
    for (const outcome of ['decoded', 'frame-error', 'message-error', 'incomplete']) expect(report.outcomes[outcome]).toBeGreaterThan(0);
  });

  it('random report streams', () => {
    const report = fuzzRandomReports(2000, 7);
    expect(report.failures).toEqual([]);
    expect(report.outcomes['frame-error']).toBeGreaterThan(0);
  });

  it('every message decoder with random, mutated and cross-typed payloads', () => {
    const report = fuzzMessages([...corpus.answers, ...corpus.requests], 3000, 11);
    expect(report.failures).toEqual([]);
    expect(report.outcomes.decoded).toBeGreaterThan(0);
    expect(report.outcomes['message-error']).toBeGreaterThan(0);
  });

  it('live sessions answered with mutated reports settle in time with a TrezorError or an answer', async () => {
    const report = await fuzzSessions(corpus.answers, 150, 5);
    expect(report.failures).toEqual([]);
    expect(report.outcomes.UnexpectedMessage).toBeGreaterThan(0);
    expect(report.outcomes.ProtocolError).toBeGreaterThan(0);
  });
});
