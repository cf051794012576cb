/**
 * The wire fuzzer: what a broken or hostile device can send, thrown at the frame decoder, every
 * message decoder and a live session. Shared by `npm run fuzz` (scripts/fuzz.ts, 100 000+
 * cases) and a smaller seeded run inside `npm test` (test/fuzz.test.ts).
 *
 * Inputs are the device answers recorded from the official emulators (test/fixtures/
 * transcripts*), cut into 64-byte reports and mutated: bit flips, truncated reports and
 * streams, wrong magic, declared length 0 / over the cap / off by a few, reports reordered,
 * dropped, duplicated or interleaved with strays, unknown and wrong message types, and plain
 * random bytes. The rule every case must keep: it ends in a decoded message, or a TrezorError
 * ProtocolError (frame or protobuf), or (in a session) the TrezorError the call maps it to
 * (UnexpectedMessage for an answer of the wrong type, Timeout for a device silent mid-message,
 * the mapped code of a Failure that still decodes, VerificationFailed when a coin check catches
 * it); never another exception, a hang, an unhandled rejection or a buffer above the cap.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isTrezorError } from '../../src/errors.js';
import { getAddress as btcGetAddress, getPublicKey as btcGetPublicKey } from '../../src/bitcoin/index.js';
import { getAddress as ethGetAddress } from '../../src/ethereum/index.js';
import { WIRE } from '../../src/messages/generated/schema.js';
import { decodeMessage } from '../../src/messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../../src/protocol/v1.js';
import { connect } from '../../src/session/connect.js';
import { features, scriptedTransport } from './scripted-device.js';
import { transcriptFiles, unhex } from './fixtures.js';

const LINE = /^(d?(?:=>|<=)) (\S+) (\d+)(?: ([0-9a-f]*))?$/;
const FOLDERS = ['transcripts', 'transcripts-t2t1', 'transcripts-t2t1-2.8.9', 'transcripts-t3t1-2.8.9', 'transcripts-t2b1-2.8.9'];

export interface Recorded {
  type: number;
  payload: Uint8Array;
}

/** Every distinct device answer (and host request) recorded in the transcripts. */
export function recordedCorpus(): { answers: Recorded[]; requests: Recorded[] } {
  const seen = new Set<string>();
  const answers: Recorded[] = [];
  const requests: Recorded[] = [];
  for (const folder of FOLDERS) {
    for (const file of transcriptFiles(folder)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = LINE.exec(line);
        if (!m) continue;
        const key = `${m[1]} ${m[3]} ${m[4] ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const entry = { type: Number(m[3]), payload: unhex(m[4] ?? '') };
        (m[1].endsWith('<=') ? answers : requests).push(entry);
      }
    }
  }
  return { answers, requests };
}

/** The cap the fuzzer decodes with (smaller than the 16 MiB default, so "huge" is cheap to hit). */
export const FUZZ_CAP = 64 * 1024;
const KNOWN_TYPES = Object.keys(WIRE).map(Number);

export type Mutation =
  | { kind: 'bitflip'; report: number; byte: number; bit: number }
  | { kind: 'truncateStream'; keep: number }
  | { kind: 'truncateReport'; report: number; length: number }
  | { kind: 'magic'; report: number; byte: number; value: number }
  | { kind: 'length'; to: 'zero' | 'huge' | 'cap+1' | 'shorter' | 'longer' | 'random'; delta: number; value: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'reverse' }
  | { kind: 'drop'; report: number }
  | { kind: 'duplicate'; report: number }
  | { kind: 'stray'; at: number; bytes: Uint8Array }
  | { kind: 'type'; to: 'unknown' | 'known'; value: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('bitflip' as const), report: fc.nat(), byte: fc.nat(63), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncateStream' as const), keep: fc.nat(8) }),
  fc.record({ kind: fc.constant('truncateReport' as const), report: fc.nat(), length: fc.nat(63) }),
  fc.record({ kind: fc.constant('magic' as const), report: fc.nat(), byte: fc.nat(2), value: fc.nat(255) }),
  fc.record({
    kind: fc.constant('length' as const),
    to: fc.constantFrom('zero' as const, 'huge' as const, 'cap+1' as const, 'shorter' as const, 'longer' as const, 'random' as const),
    delta: fc.integer({ min: 1, max: 200 }),
    value: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('reverse' as const) }),
  fc.record({ kind: fc.constant('drop' as const), report: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), report: fc.nat() }),
  fc.record({ kind: fc.constant('stray' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 0, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('type' as const), to: fc.constantFrom('unknown' as const, 'known' as const), value: fc.nat(0xffff) }),
);

/** Apply mutations to a copy of `reports`. */
export function mutate(original: readonly Uint8Array[], mutations: readonly Mutation[]): Uint8Array[] {
  let reports = original.map((r) => r.slice());
  const pick = (i: number) => (reports.length === 0 ? -1 : i % reports.length);
  for (const m of mutations) {
    switch (m.kind) {
      case 'bitflip': {
        const i = pick(m.report);
        if (i >= 0 && reports[i]!.length > 0) reports[i]![m.byte % reports[i]!.length]! ^= 1 << m.bit;
        break;
      }
      case 'truncateStream':
        reports = reports.slice(0, Math.min(m.keep, Math.max(0, reports.length - 1)));
        break;
      case 'truncateReport': {
        const i = pick(m.report);
        if (i >= 0) reports[i] = reports[i]!.slice(0, m.length);
        break;
      }
      case 'magic': {
        const i = pick(m.report);
        if (i >= 0 && reports[i]!.length > m.byte) reports[i]![m.byte] = m.value;
        break;
      }
      case 'length': {
        const first = reports[0];
        if (!first || first.length < 9) break;
        const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
        const declared = view.getUint32(5);
        const to = {
          zero: 0,
          huge: 0xffffffff,
          'cap+1': FUZZ_CAP + 1,
          shorter: Math.max(0, declared - m.delta),
          longer: declared + m.delta,
          random: m.value,
        }[m.to];
        view.setUint32(5, to >>> 0);
        break;
      }
      case 'swap': {
        const a = pick(m.a);
        const b = pick(m.b);
        if (a >= 0) [reports[a], reports[b]] = [reports[b]!, reports[a]!];
        break;
      }
      case 'reverse':
        reports.reverse();
        break;
      case 'drop': {
        const i = pick(m.report);
        if (i >= 0) reports.splice(i, 1);
        break;
      }
      case 'duplicate': {
        const i = pick(m.report);
        if (i >= 0) reports.splice(i, 0, reports[i]!.slice());
        break;
      }
      case 'stray':
        reports.splice(reports.length === 0 ? 0 : m.at % (reports.length + 1), 0, m.bytes.slice());
        break;
      case 'type': {
        const first = reports[0];
        if (!first || first.length < 9) break;
        let value = m.value;
        if (m.to === 'known') value = KNOWN_TYPES[m.value % KNOWN_TYPES.length]!;
        else while (Object.prototype.hasOwnProperty.call(WIRE, value)) value = (value + 7919) & 0xffff;
        new DataView(first.buffer, first.byteOffset, first.byteLength).setUint16(3, value);
        break;
      }
    }
  }
  return reports;
}

export type FrameOutcome = 'decoded' | 'frame-error' | 'message-error' | 'incomplete' | 'dropped';

/**
 * Feed reports to the frame decoder as the session does (a ProtocolError drops the partial
 * message and decoding goes on with the next report) and decode every completed message.
 * Throws (a fuzz failure) on anything but a ProtocolError, or on a buffer above the cap.
 */
export function decodeStream(reports: readonly Uint8Array[], cap = FUZZ_CAP): FrameOutcome[] {
  const outcomes: FrameOutcome[] = [];
  let state: DecodeState | undefined;
  for (const report of reports) {
    try {
      state = decodeReport(state, report, { maxLength: cap });
    } catch (e) {
      if (!isTrezorError(e, 'ProtocolError')) throw new Error(`frame decoder threw a non-ProtocolError: ${String(e)}`, { cause: e });
      state = undefined;
      outcomes.push('frame-error');
      continue;
    }
    if (state && state.payload.length > cap) throw new Error(`frame decoder buffered ${state.payload.length} bytes, over the cap of ${cap}`);
    const done = completedMessage(state);
    if (!done) continue;
    state = undefined;
    outcomes.push(decodeOne(done.type, done.payload));
  }
  if (state) outcomes.push('incomplete');
  if (outcomes.length === 0) outcomes.push('dropped');
  return outcomes;
}

/** decodeMessage, which must return or throw a ProtocolError. */
export function decodeOne(type: number, payload: Uint8Array): 'decoded' | 'message-error' {
  try {
    const m = decodeMessage(type, payload);
    if (typeof m.type !== 'string' || typeof m.message !== 'object' || m.message === null) throw new Error('decodeMessage returned no message');
    return 'decoded';
  } catch (e) {
    if (!isTrezorError(e, 'ProtocolError')) throw new Error(`decodeMessage(${type}) threw a non-ProtocolError: ${String(e)}`, { cause: e });
    return 'message-error';
  }
}

export interface FuzzReport {
  cases: number;
  failures: string[];
  outcomes: Record<string, number>;
}

function count(outcomes: Record<string, number>, key: string): void {
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}

function failureText(error: unknown, seed: number, counterexample: unknown): string {
  const text = error instanceof Error ? error.message.split('\n').slice(0, 6).join(' | ') : String(error);
  return `seed ${seed}: ${text} ${JSON.stringify(counterexample, (_, v) => (v instanceof Uint8Array ? Array.from(v) : v))?.slice(0, 400)}`;
}

/** Frames: mutated recorded answers through the frame decoder and the message decoders. */
export function fuzzFrames(corpus: Recorded[], runs: number, seed: number): FuzzReport {
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  const arb = fc.tuple(fc.nat(corpus.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 3 }));
  const result = fc.check(
    fc.property(arb, ([index, mutations]) => {
      const { type, payload } = corpus[index]!;
      for (const o of decodeStream(mutate(encodeReports(type, payload), mutations))) count(outcomes, o);
    }),
    { numRuns: runs, seed },
  );
  if (result.failed) failures.push(failureText(result.errorInstance, seed, result.counterexample));
  return { cases: result.numRuns, failures, outcomes };
}

/** Random report streams, no recording behind them. */
export function fuzzRandomReports(runs: number, seed: number): FuzzReport {
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  const header = fc.tuple(fc.nat(0xffff), fc.nat({ max: 2 * FUZZ_CAP }), fc.uint8Array({ maxLength: 55 })).map(([type, length, rest]) => {
    const r = new Uint8Array(64);
    r.set([0x3f, 0x23, 0x23]);
    new DataView(r.buffer).setUint16(3, type);
    new DataView(r.buffer).setUint32(5, length);
    r.set(rest, 9);
    return r;
  });
  const report = fc.oneof(fc.uint8Array({ maxLength: 64 }), header, fc.uint8Array({ minLength: 63, maxLength: 63 }).map((b) => Uint8Array.of(0x3f, ...b)));
  const result = fc.check(
    fc.property(fc.array(report, { maxLength: 12 }), (reports) => {
      for (const o of decodeStream(reports)) count(outcomes, o);
    }),
    { numRuns: runs, seed },
  );
  if (result.failed) failures.push(failureText(result.errorInstance, seed, result.counterexample));
  return { cases: result.numRuns, failures, outcomes };
}

/**
 * Every message decoder: random payloads, and recorded payloads (answers and requests) read as
 * every wire type in turn (an answer of the wrong type) and with bit flips and cuts.
 */
export function fuzzMessages(corpus: Recorded[], runs: number, seed: number): FuzzReport {
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.tuple(fc.nat(corpus.length - 1), fc.nat(), fc.nat(7), fc.nat()).map(([i, at, bit, cut]) => {
      const p = corpus[i]!.payload.slice();
      if (p.length > 0) p[at % p.length]! ^= 1 << bit;
      return cut % 3 === 0 ? p.subarray(0, cut % (p.length + 1)) : p;
    }),
  );
  const result = fc.check(
    fc.property(fc.nat(KNOWN_TYPES.length - 1), payload, (t, bytes) => {
      count(outcomes, decodeOne(KNOWN_TYPES[t]!, bytes));
    }),
    { numRuns: runs, seed },
  );
  if (result.failed) failures.push(failureText(result.errorInstance, seed, result.counterexample));
  return { cases: result.numRuns, failures, outcomes };
}

/** Session calls whose answer is a mutated recorded answer. */
const CALLS = [
  { request: 'GetAddress', run: (t: Awaited<ReturnType<typeof connect>>, signal: AbortSignal) => t.typedCall('GetAddress', { address_n: [0x80000054, 0x80000000, 0x80000000, 0, 0] }, 'Address', { signal }) },
  { request: 'GetAddress', run: (t: Awaited<ReturnType<typeof connect>>, signal: AbortSignal) => btcGetAddress(t, { path: "m/84'/0'/0'/0/0", signal } as never) },
  { request: 'GetPublicKey', run: (t: Awaited<ReturnType<typeof connect>>, signal: AbortSignal) => btcGetPublicKey(t, { path: "m/84'/0'/0'", signal } as never) },
  { request: 'EthereumGetAddress', run: (t: Awaited<ReturnType<typeof connect>>, signal: AbortSignal) => ethGetAddress(t, { path: "m/44'/60'/0'/0/0", signal } as never) },
  { request: 'Ping', run: (t: Awaited<ReturnType<typeof connect>>, signal: AbortSignal) => t.ping('fuzz', { signal }) },
] as const;

/** What a session call may end in when the device answers garbage. */
const SESSION_CODES = new Set(['ProtocolError', 'UnexpectedMessage', 'Timeout', 'ActionCancelled', 'PinCancelled', 'VerificationFailed', 'FirmwareError', 'PinInvalid', 'DeviceLocked', 'DeviceBusy', 'NotSupported', 'PassphraseCancelled']);

/**
 * A live session: connect, one call, and the device answers with mutated reports; after that it
 * answers every further message (ButtonAck, Cancel...) with Failure(ActionCancelled). A call
 * still pending once the device has nothing more to say is aborted (as an app would on close),
 * which must end it too. Each case must settle within `bound` ms.
 */
export async function fuzzSessions(corpus: Recorded[], runs: number, seed: number, bound = 2000): Promise<FuzzReport> {
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const arb = fc.tuple(fc.nat(CALLS.length - 1), fc.nat(corpus.length - 1), fc.array(mutationArb, { minLength: 0, maxLength: 3 }));
  try {
    const result = await fc.check(
      fc.asyncProperty(arb, async ([callIndex, answerIndex, mutations]) => {
        const call = CALLS[callIndex]!;
        const { type, payload } = corpus[answerIndex]!;
        const reports = mutate(encodeReports(type, payload), mutations);
        let sent!: () => void;
        const answered = new Promise<void>((resolve) => (sent = resolve));
        const { transport, errors } = scriptedTransport(async (d) => {
          await d.expect('Initialize');
          d.send('Features', features({ capabilities: ['Capability_Bitcoin', 'Capability_Ethereum'] } as never));
          await d.expect(call.request);
          d.sendRaw(reports);
          sent();
          for (;;) {
            await d.next();
            d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
          }
        });
        const trezor = await connect({ transport, sessionId: null, messageTimeout: 20, cancelTimeout: 100 });
        const abort = new AbortController();
        const pending = call.run(trezor, abort.signal).then(
          () => 'resolved',
          (e: unknown) => {
            if (!isTrezorError(e)) throw new Error(`a ${call.request} call ended in a non-TrezorError: ${String(e)}`, { cause: e });
            if (!SESSION_CODES.has(e.code)) throw new Error(`a ${call.request} call ended in ${e.code}: ${e.message}`);
            return e.code;
          },
        );
        // Once the device has said everything, give the session a few turns, then abort.
        void answered.then(async () => {
          for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
          abort.abort();
        });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const hang = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`a ${call.request} call did not end within ${bound} ms`)), bound);
        });
        try {
          count(outcomes, await Promise.race([pending, hang]));
        } finally {
          clearTimeout(timer);
          await trezor.close().catch(() => undefined);
        }
        const other = errors.filter((e) => !isTrezorError(e));
        if (other.length) throw new Error(`scripted device failed: ${String(other[0])}`);
        if (unhandled.length) throw new Error(`unhandled rejection: ${String(unhandled[0])}`);
      }),
      { numRuns: runs, seed },
    );
    if (result.failed) failures.push(failureText(result.errorInstance, seed, result.counterexample));
    await new Promise((r) => setTimeout(r, 50));
    if (unhandled.length) failures.push(`unhandled rejection after the run: ${String(unhandled[0])}`);
    return { cases: result.numRuns, failures, outcomes };
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}
