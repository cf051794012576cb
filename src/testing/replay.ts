/**
 * Transcript replay: the check that holds a device to recordings of the real firmware. A
 * transcript (shared transcripts/README.md) lists every message the host and the official
 * emulator exchanged on the wire (`=>` / `<=`) and on the debug link (`d=>` / `d<=`). The
 * replayer sends each host line as recorded, reads each device line from the device under
 * test and compares the payloads field by field, except where two honest devices differ:
 *
 *   Features         device_id 6, revision 13, bootloader_hash 14, fw_vendor 25, session_id 35
 *   Failure          message 2 (the firmware's text; the code must match)
 *   DebugLinkState   layout 1, matrix 3, reset_word 7, reset_entropy 8
 *   Entropy          entropy 1
 *   EntropyRequest   entropy_commitment 1 (unless the device was given the round's entropy)
 *   after EntropyAck only message types (the seed is the device's own from there on), unless
 *     the device was given that round's entropy from the recording (options.recordedChoices)
 *
 * Masked fields must still be present when the recording has them. Two host messages carry
 * device randomness and are translated: PinMatrixAck positions (recorded matrix → digits →
 * live matrix) and Initialize.session_id (recorded id → the id the live device handed out).
 * `# idle: N s` advances the device's clock; when the host waits for a device line and the
 * device waits too, time is advanced to its next timer (auto-lock, PIN delay) instead of
 * sleeping. A mismatch reports the line, what was expected and what came; a replay passes
 * only when every line was consumed and the device sent nothing more.
 */
import { decodeAs, encodeAs, messageName, type MessageName } from '../messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../protocol/v1.js';
import type { TransportConnection } from '../transport/types.js';
import type { Model } from './virtual/context.js';
import type { VirtualTrezor } from './virtual/device.js';
import type { RecordedChoices } from './virtual/recorded.js';
import { nextMacrotask, type ManualClock } from './virtual/clock.js';

export type TranscriptEvent =
  | { kind: 'send' | 'receive'; channel: 'wire' | 'debug'; line: number; name: string; type: number; payload: Uint8Array }
  | { kind: 'idle'; line: number; seconds: number };

export interface Transcript {
  path?: string;
  /** Header values: test, outcome, setup, device… */
  header: Record<string, string>;
  /** The recorded model, from the `# device:` line (e.g. 'T3T1'). */
  model?: Model;
  /** The recorded firmware version, from the `# device:` line (e.g. '2.8.9'). */
  firmware?: string;
  events: TranscriptEvent[];
}

const LINE = /^(d?)(=>|<=)\s+(\w+)\s+(\d+)(?:\s+([0-9a-fA-F]*))?\s*$/;

function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Parse a transcript file.
 * @example parseTranscript('=> Ping 1 0a026869\n<= Success 2 0a026869').events.length // 2
 */
export function parseTranscript(text: string, path?: string): Transcript {
  const header: Record<string, string> = {};
  const events: TranscriptEvent[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (!text) return;
    if (text.startsWith('#')) {
      const idle = /^#\s*idle:\s*([\d.]+)\s*s/.exec(text);
      if (idle) {
        events.push({ kind: 'idle', line, seconds: Number(idle[1]) });
        return;
      }
      const kv = /^#\s*([\w-]+):\s*(.*)$/.exec(text);
      if (kv && !(kv[1]! in header)) header[kv[1]!] = kv[2]!;
      return;
    }
    const m = LINE.exec(text);
    if (!m) throw new SyntaxError(`${path ?? 'transcript'}:${line}: cannot parse "${text.slice(0, 60)}"`);
    events.push({
      kind: m[2] === '=>' ? 'send' : 'receive',
      channel: m[1] ? 'debug' : 'wire',
      line,
      name: m[3]!,
      type: Number(m[4]),
      payload: fromHex(m[5] ?? ''),
    });
  });
  // e.g. "# device: T3T1 emulator, firmware 2.8.9 (revision fad96822)"
  const device = header.device ?? '';
  const model = /\b(T1B1|T2T1|T2B1|T3T1)\b/.exec(device)?.[1] as Model | undefined;
  const firmware = /\bfirmware (\d+\.\d+\.\d+)\b/.exec(device)?.[1];
  return { ...(path !== undefined ? { path } : {}), header, ...(model ? { model } : {}), ...(firmware ? { firmware } : {}), events };
}

// ----- field-level comparison --------------------------------------------------------------------

/** Raw protobuf fields: number → values (varints as decimal, everything else as hex), in order. */
function rawFields(payload: Uint8Array): Map<number, string[]> {
  const fields = new Map<number, string[]>();
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= payload.length) throw new RangeError('truncated varint');
      const byte = payload[i++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < payload.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value: string;
    if (wire === 0) value = varint().toString();
    else if (wire === 2) {
      const length = Number(varint());
      value = toHex(payload.subarray(i, i + length));
      i += length;
    } else if (wire === 5) {
      value = toHex(payload.subarray(i, i + 4));
      i += 4;
    } else if (wire === 1) {
      value = toHex(payload.subarray(i, i + 8));
      i += 8;
    } else throw new RangeError(`wire type ${wire}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

/** Fields whose value is the device's own (presence still counts). */
export const MASKED_FIELDS: Readonly<Record<string, readonly number[]>> = {
  Features: [6, 13, 14, 25, 35],
  Failure: [2],
  DebugLinkState: [1, 3, 7, 8],
  Entropy: [1],
};

/**
 * Fields never printed in a mismatch report: PIN, passphrase, seed words (also one at a time:
 * WordAck during recovery, the debug link's reset_word), private keys (DebugLinkState.node)
 * and the entropy a new seed is made of (EntropyAck, reset_entropy).
 */
const SECRET_FIELDS = new Set([
  'pin',
  'passphrase',
  'mnemonic_secret',
  'mnemonics',
  'mnemonic',
  'private_key',
  'word',
  'reset_word',
  'entropy',
  'reset_entropy',
]);
const SECRET_FIELD_NUMBERS: Readonly<Record<string, readonly number[]>> = {
  DebugLinkState: [2, 4, 5, 7, 8],
  PinMatrixAck: [1],
  PassphraseAck: [1],
  LoadDevice: [1, 3],
  WordAck: [1],
  EntropyAck: [1],
};

function describe(name: string, payload: Uint8Array): string {
  try {
    return JSON.stringify(decodeAs(name as MessageName, payload), (key, v) =>
      SECRET_FIELDS.has(key) ? '<secret>' : v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? v.toString() : v,
    );
  } catch {
    return `${payload.length} bytes`;
  }
}

/** Differences between a recorded and a live payload, under the masking rules (and `alsoMasked` field numbers). */
export function compareFields(name: string, expected: Uint8Array, got: Uint8Array, alsoMasked: readonly number[] = []): string[] {
  let a: Map<number, string[]>;
  let b: Map<number, string[]>;
  try {
    a = rawFields(expected);
    b = rawFields(got);
  } catch (error) {
    return [`unparseable payload (${String(error)})`];
  }
  const masked = new Set([...(MASKED_FIELDS[name] ?? []), ...alsoMasked]);
  const differences: string[] = [];
  for (const field of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(field) ?? [];
    const y = b.get(field) ?? [];
    if (masked.has(field)) {
      if (x.length !== y.length) differences.push(`field ${field}: expected ${x.length} value(s), got ${y.length}`);
      continue;
    }
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) {
      const secret = SECRET_FIELD_NUMBERS[name]?.includes(field);
      differences.push(secret ? `field ${field}: values differ` : `field ${field}: expected [${x.join(', ')}], got [${y.join(', ')}]`);
    }
  }
  return differences.sort();
}

// ----- the replayer --------------------------------------------------------------------------------

/** The device under test, seen from the host. */
export interface ReplayEndpoint {
  wire: TransportConnection;
  debug: TransportConnection;
  /** Resolve once the device waits for the host (virtual device: its firmware loop is blocked). */
  settle(): Promise<void>;
  /** Move the device's clock forward (idle lines). */
  advance(ms: number): void;
  /** Jump to the device's next timer; false when none is pending. */
  advanceToNextTimer(): boolean;
}

export interface ReplayOptions {
  /** Messages compared by type only (for investigating a gap; the replay is then not exact). */
  looseMessages?: readonly string[];
  /**
   * The choices the device was given to make as the recording did ({@link recordedChoices}):
   * after the EntropyAck of a ResetDevice round whose internal entropy it was given, the seed is
   * the recording's, so fields are compared on as before instead of by type only.
   */
  recordedChoices?: RecordedChoices;
}

export interface ReplayMismatch {
  line: number;
  /** The transcript line's direction and name, e.g. "<= Features". */
  event: string;
  message: string;
  expected?: string;
  got?: string;
}

export interface ReplayResult {
  ok: boolean;
  /** Events consumed before the end or the first mismatch. */
  consumed: number;
  total: number;
  mismatch?: ReplayMismatch;
}

/** Reads whole messages from one channel; a read that lost a race stays pending. */
class Reader {
  private state: DecodeState | undefined;
  private pending: Promise<{ type: number; payload: Uint8Array }> | undefined;
  private settled: { type: number; payload: Uint8Array } | undefined;
  private failure: unknown;

  constructor(private readonly connection: TransportConnection) {}

  private async readOne(): Promise<{ type: number; payload: Uint8Array }> {
    for (;;) {
      const report = await this.connection.read();
      this.state = decodeReport(this.state, report);
      const done = completedMessage(this.state);
      if (done) {
        this.state = undefined;
        return done;
      }
    }
  }

  /** Start a read if none is running. */
  poll(): void {
    if (this.pending || this.settled || this.failure !== undefined) return;
    const read = this.readOne();
    this.pending = read;
    read.then(
      (message) => {
        this.pending = undefined;
        this.settled = message;
      },
      (error) => {
        this.pending = undefined;
        this.failure = error;
      },
    );
  }

  /** A message that already arrived, if any. */
  take(): { type: number; payload: Uint8Array } | undefined {
    if (this.failure !== undefined) throw this.failure;
    const message = this.settled;
    this.settled = undefined;
    return message;
  }
}

async function write(connection: TransportConnection, type: number, payload: Uint8Array): Promise<void> {
  for (const report of encodeReports(type, payload)) await connection.write(report);
}

/**
 * Replay a transcript against a device.
 * @example const result = await replayTranscript(parseTranscript(text), virtualEndpoint(virtual, clock))
 */
export async function replayTranscript(transcript: Transcript, endpoint: ReplayEndpoint, options: ReplayOptions = {}): Promise<ReplayResult> {
  const loose = new Set(options.looseMessages ?? []);
  const readers = { wire: new Reader(endpoint.wire), debug: new Reader(endpoint.debug) };
  const sessionIds = new Map<string, Uint8Array>();
  let recordedMatrix: string | undefined;
  let liveMatrix: string | undefined;
  let typesOnly = false;
  /** EntropyAcks sent so far; the rounds with recorded entropy keep every field compared. */
  let entropyAcks = 0;
  let entropyRequests = 0;
  const knownRounds = options.recordedChoices?.resetEntropy?.length ?? 0;
  const total = transcript.events.length;
  let consumed = 0;

  const mismatch = (event: TranscriptEvent, message: string, expected?: string, got?: string): ReplayResult => ({
    ok: false,
    consumed,
    total,
    mismatch: {
      line: event.line,
      event: event.kind === 'idle' ? '# idle' : `${event.channel === 'debug' ? 'd' : ''}${event.kind === 'send' ? '=>' : '<='} ${event.name}`,
      message,
      ...(expected !== undefined ? { expected } : {}),
      ...(got !== undefined ? { got } : {}),
    },
  });

  /** Wait for the device's next message on `channel`, moving time on while both sides wait. */
  const receive = async (channel: 'wire' | 'debug'): Promise<{ type: number; payload: Uint8Array } | undefined> => {
    const reader = readers[channel];
    for (let spins = 0; spins < 10_000; spins++) {
      reader.poll();
      const early = reader.take();
      if (early) return early;
      await endpoint.settle();
      await nextMacrotask();
      const message = reader.take();
      if (message) return message;
      if (!endpoint.advanceToNextTimer()) return undefined;
    }
    return undefined;
  };

  for (const event of transcript.events) {
    if (event.kind === 'idle') {
      await endpoint.settle();
      endpoint.advance(event.seconds * 1000);
      consumed++;
      continue;
    }
    const channelConnection = event.channel === 'wire' ? endpoint.wire : endpoint.debug;
    if (event.kind === 'send') {
      let payload = event.payload;
      if (event.name === 'PinMatrixAck' && recordedMatrix && liveMatrix) {
        const ack = decodeAs('PinMatrixAck', payload);
        const translated = Array.from(ack.pin, (c) => {
          const digit = c >= '1' && c <= '9' ? recordedMatrix![c.charCodeAt(0) - 49] : undefined;
          const position = digit ? liveMatrix!.indexOf(digit) : -1;
          return position >= 0 ? String(position + 1) : c;
        }).join('');
        payload = encodeAs('PinMatrixAck', { pin: translated });
      }
      if (event.name === 'Initialize' && event.channel === 'wire') {
        const init = decodeAs('Initialize', payload);
        const live = init.session_id ? sessionIds.get(toHex(init.session_id)) : undefined;
        if (live) payload = encodeAs('Initialize', { ...init, session_id: live });
      }
      if (event.name === 'EntropyAck' && entropyAcks++ >= knownRounds) typesOnly = true;
      // Debug lines are sent once the device has caught up, as a test waits before it looks.
      if (event.channel === 'debug') await endpoint.settle();
      try {
        await write(channelConnection, event.type, payload);
      } catch (error) {
        return mismatch(event, `sending failed: ${String(error)}`);
      }
      consumed++;
      continue;
    }
    let got: { type: number; payload: Uint8Array } | undefined;
    try {
      got = await receive(event.channel);
    } catch (error) {
      return mismatch(event, `reading failed: ${String(error)}`);
    }
    if (!got) return mismatch(event, 'the device sent nothing', describe(event.name, event.payload));
    const gotName = messageName(got.type) ?? `#${got.type}`;
    if (got.type !== event.type) {
      return mismatch(event, `expected ${event.name}, got ${gotName}`, describe(event.name, event.payload), describe(gotName, got.payload));
    }
    // A round's entropy commitment is the device's own randomness unless it was given that round's entropy.
    const ownCommitment = event.name === 'EntropyRequest' && entropyRequests++ >= knownRounds ? [1] : [];
    if (!typesOnly && !loose.has(event.name)) {
      const differences = compareFields(event.name, event.payload, got.payload, ownCommitment);
      if (differences.length) {
        return mismatch(
          event,
          `${event.name} differs: ${differences.join('; ')}`,
          describe(event.name, event.payload),
          describe(gotName, got.payload),
        );
      }
    }
    if (event.name === 'Features') {
      const recorded = decodeAs('Features', event.payload).session_id;
      const live = decodeAs('Features', got.payload).session_id;
      if (recorded && live) sessionIds.set(toHex(recorded), live);
    }
    if (event.name === 'DebugLinkState') {
      const recorded = decodeAs('DebugLinkState', event.payload).matrix;
      const live = decodeAs('DebugLinkState', got.payload).matrix;
      if (recorded && /^[1-9]{9}$/.test(recorded)) recordedMatrix = recorded;
      if (live && /^[1-9]{9}$/.test(live)) liveMatrix = live;
    }
    consumed++;
  }

  // Nothing more may come from the device.
  await endpoint.settle();
  await nextMacrotask();
  for (const channel of ['wire', 'debug'] as const) {
    readers[channel].poll();
    await nextMacrotask();
    const extra = readers[channel].take();
    if (extra) {
      const name = messageName(extra.type) ?? `#${extra.type}`;
      const last = transcript.events[transcript.events.length - 1];
      return {
        ok: false,
        consumed,
        total,
        mismatch: {
          line: last?.line ?? 0,
          event: 'end of transcript',
          message: `the device sent ${name} on the ${channel} after the last line`,
          got: describe(name, extra.payload),
        },
      };
    }
  }
  return { ok: true, consumed, total };
}

/** Replay endpoint for a VirtualTrezor running on a ManualClock. */
export async function virtualEndpoint(virtual: VirtualTrezor, clock: ManualClock): Promise<ReplayEndpoint & { close(): Promise<void> }> {
  const wireTransport = virtual.transport();
  const debugTransport = virtual.debugTransport();
  const [wireDevice] = await wireTransport.enumerate();
  const [debugDevice] = await debugTransport.enumerate();
  const wire = await wireTransport.open(wireDevice!);
  const debug = await debugTransport.open(debugDevice!);
  return {
    wire,
    debug,
    settle: () => virtual.settle(),
    advance: (ms) => clock.advance(ms),
    advanceToNextTimer: () => clock.advanceToNextTimer(),
    async close() {
      await wire.close();
      await debug.close();
    },
  };
}

/** Message names a transcript uses (for gap bookkeeping). */
export function transcriptMessages(transcript: Transcript): Set<string> {
  return new Set(transcript.events.flatMap((e) => (e.kind === 'idle' ? [] : [e.name as MessageName | string])));
}

/**
 * The random choices a Trezor One recording shows through its own messages, for
 * VirtualTrezorOptions.recordedChoices (virtual/recorded.ts says why the virtual device cannot
 * draw them itself): the internal entropy of each ResetDevice round — the next round's
 * EntropyRequest.prev_entropy, or a non-zero DebugLinkState.reset_entropy read during the round —
 * and, for each WordRequest of a scrambled recovery, the first DebugLinkState read after it
 * (recovery_word_pos, recovery_fake_word), as trezorlib's read_recovery_word() reads it.
 * @example new VirtualTrezor({ model: 'T1B1', recordedChoices: recordedChoices(transcript) })
 */
export function recordedChoices(transcript: Transcript): RecordedChoices {
  const resetEntropy: Uint8Array[] = [];
  const recoveryWords: { position: number; fakeWord: string }[] = [];
  /** The ResetDevice round under way (0-based over the whole recording); -1 before the first. */
  let round = -1;
  let requests = 0;
  let wordAsked = false;
  const keep = (index: number, entropy: Uint8Array | undefined) => {
    if (index >= 0 && entropy?.length === 32 && entropy.some((b) => b !== 0)) resetEntropy[index] ??= entropy;
  };
  for (const event of transcript.events) {
    if (event.kind === 'idle') continue;
    if (event.kind === 'send' && event.name === 'ResetDevice') round = requests;
    else if (event.kind === 'receive' && event.name === 'EntropyRequest') {
      round = requests++;
      keep(round - 1, decodeAs('EntropyRequest', event.payload).prev_entropy);
    } else if (event.kind === 'receive' && event.name === 'WordRequest') wordAsked = true;
    else if (event.kind === 'receive' && event.name === 'DebugLinkState') {
      const state = decodeAs('DebugLinkState', event.payload);
      keep(round, state.reset_entropy);
      if (wordAsked) {
        recoveryWords.push({ position: state.recovery_word_pos ?? 0, fakeWord: state.recovery_fake_word ?? '' });
        wordAsked = false;
      }
    }
  }
  // Rounds the recording never revealed stay holes: the device draws from there on.
  const known = resetEntropy.findIndex((e) => e === undefined);
  return { resetEntropy: known < 0 ? resetEntropy : resetEntropy.slice(0, known), recoveryWords };
}

