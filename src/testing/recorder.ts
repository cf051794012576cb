/**
 * Transcript recording, the pure half: turns the 64-byte reports a proxy sees between a host
 * and a device — on the wire and on the debug link, in both directions — into a transcript in
 * the format replay.ts reads (shared transcripts/README.md):
 *
 *     # header lines…
 *     => Name TYPE HEX     host → device, wire           d=> …  host → device, debug link
 *     <= Name TYPE HEX     device → host, wire           d<= …  device → host, debug link
 *
 * Each direction of each channel has its own v1 reassembly (protocol/v1.ts), so a message is
 * written once its declared length has arrived, in the order the proxy completed them. The
 * UDP presence probe (PINGPING / PONGPONG) is below message level and not recorded. When the
 * host starts a message more than `idleThresholdMs` after the last event, an `# idle: N s`
 * line goes before it: the host waited, and a replay must let that time pass on the device
 * (auto-lock, busy timers). A Failure from the device gets a `# note:` with its code and text.
 *
 * No sockets and no clock here: the caller passes each datagram with the time it saw it
 * (scripts/record-emulator.ts does the UDP part).
 */
import { decodeAs, messageName } from '../messages/index.js';
import { REPORT_SIZE, completedMessage, decodeReport, type DecodeState } from '../protocol/v1.js';

export type RecordedChannel = 'wire' | 'debug';
/** Who sent the datagram: the host (test side) or the device (emulator side). */
export type RecordedSender = 'host' | 'device';

export interface RecorderOptions {
  /** A host message that starts this long after the last event gets an idle line (default 1000 ms). */
  idleThresholdMs?: number;
}

export interface TranscriptMeta {
  /** The test the recording belongs to, e.g. "test/device/core.test.ts > core flows > Ping…". */
  test: string;
  /** passed / failed / … as the test runner reported it. */
  outcome: string;
  /** What ran behind the proxy, when not read from Features (e.g. "T3T1 emulator, firmware 2.8.9"). */
  device?: string;
  /** The kind of device for the automatic `# device:` line (default "emulator"). */
  source?: string;
  /** More header lines, without the leading "# ". */
  extra?: readonly string[];
}

const PROBES = new Set(['PINGPING', 'PONGPONG']);

/** Is this datagram the UDP presence probe rather than a report? */
export function isProbe(datagram: Uint8Array): boolean {
  return datagram.length === 8 && PROBES.has(String.fromCharCode(...datagram));
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** One comment-safe line: no line breaks, no control characters. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

/**
 * "T3T1 emulator, firmware 2.8.9 (revision 1a2b3c4d)" from a Features payload, or undefined
 * when it does not decode.
 * @example describeFeatures(payload, 'emulator') // 'T2T1 emulator, firmware 2.8.9 (revision …)'
 */
export function describeFeatures(payload: Uint8Array, source = 'emulator'): string | undefined {
  try {
    const f = decodeAs('Features', payload);
    const model = f.internal_model ?? (f.model === '1' ? 'T1B1' : f.model === 'T' ? 'T2T1' : f.model);
    const revision = f.revision?.length ? ` (revision ${toHex(f.revision).slice(0, 8)})` : '';
    return `${model ?? 'unknown model'} ${source}, firmware ${f.major_version}.${f.minor_version}.${f.patch_version}${revision}`;
  } catch {
    return undefined;
  }
}

/**
 * Records one transcript. Feed it every datagram with {@link TranscriptRecorder.observe}, mark
 * phases, then {@link TranscriptRecorder.finish} returns the file's text.
 * @example
 * const recorder = new TranscriptRecorder();
 * for (const report of encodeReports(1, ping)) recorder.observe('wire', 'host', report, 0);
 * recorder.finish({ test: 'ping', outcome: 'passed' }); // "# transcript v1\n…\n=> Ping 1 0a…\n"
 */
export class TranscriptRecorder {
  private readonly idleThresholdMs: number;
  private readonly states = new Map<string, DecodeState | undefined>();
  /** When the host's message in progress on each channel began (its first report). */
  private readonly started = new Map<RecordedChannel, number>();
  private readonly body: string[] = [];
  private lastEventAt: number | undefined;
  private firstFeatures: Uint8Array | undefined;
  private eventCount = 0;
  private payloadBytes = 0;

  constructor(options: RecorderOptions = {}) {
    this.idleThresholdMs = options.idleThresholdMs ?? 1000;
  }

  /** Message lines so far (`=>`, `<=`, `d=>`, `d<=`). */
  get events(): number {
    return this.eventCount;
  }

  /**
   * One datagram the proxy forwarded, seen at `at` ms (any monotonic clock). Returns the
   * transcript line when it completed a message.
   */
  observe(channel: RecordedChannel, sender: RecordedSender, datagram: Uint8Array, at: number): string | undefined {
    if (isProbe(datagram)) return undefined;
    // The emulators read and write exactly one 64-byte report per datagram.
    const report = new Uint8Array(REPORT_SIZE);
    report.set(datagram.subarray(0, REPORT_SIZE));
    const key = `${channel}/${sender}`;
    const before = this.states.get(key);
    let state: DecodeState | undefined;
    try {
      state = decodeReport(before, report);
    } catch (error) {
      this.states.set(key, undefined);
      this.body.push(`# note: ${channel} ${sender} report dropped: ${oneLine(String(error))}`);
      return undefined;
    }
    if (sender === 'host' && before === undefined && state !== undefined) this.started.set(channel, at);
    const message = completedMessage(state);
    if (!message) {
      this.states.set(key, state);
      return undefined;
    }
    this.states.set(key, undefined);
    if (sender === 'host') {
      const began = this.started.get(channel) ?? at;
      if (this.lastEventAt !== undefined && began - this.lastEventAt > this.idleThresholdMs) {
        this.body.push(`# idle: ${((began - this.lastEventAt) / 1000).toFixed(2)}s host idle before next write`);
      }
    }
    const name = messageName(message.type) ?? `Unknown${message.type}`;
    const arrow = `${channel === 'debug' ? 'd' : ''}${sender === 'host' ? '=>' : '<='}`;
    const line = `${arrow} ${name} ${message.type}${message.payload.length ? ` ${toHex(message.payload)}` : ''}`;
    this.body.push(line);
    this.eventCount++;
    this.payloadBytes += message.payload.length;
    this.lastEventAt = at;
    if (sender === 'device' && channel === 'wire') {
      if (name === 'Features') this.firstFeatures ??= message.payload.slice();
      if (name === 'Failure') this.body.push(`# note: ${describeFailure(message.payload)}`);
    }
    return line;
  }

  /** `# phase: setup|call|teardown` at this point of the transcript. */
  phase(name: string): void {
    this.body.push(`# phase: ${oneLine(name)}`);
  }

  /** A `# note:` line at this point of the transcript. */
  note(text: string): void {
    this.body.push(`# note: ${oneLine(text)}`);
  }

  /** Messages still being reassembled (a non-empty list at the end means a cut-off message). */
  unfinished(): string[] {
    return [...this.states].filter(([, s]) => s !== undefined && s.received < s.payload.length).map(([key]) => key);
  }

  /** The transcript's text: header, then every event in order. */
  finish(meta: TranscriptMeta): string {
    const device = meta.device ?? (this.firstFeatures && describeFeatures(this.firstFeatures, meta.source)) ?? 'unknown';
    const header = [
      '# transcript v1',
      `# device: ${oneLine(device)}`,
      `# test: ${oneLine(meta.test)}`,
      `# outcome: ${oneLine(meta.outcome)}`,
      ...(meta.extra ?? []).map((line) => `# ${oneLine(line)}`),
      "# order: the recording proxy's order: '=>' once a host message has fully passed it, '<=' once a device message has; UDP PINGPING/PONGPONG probes are not recorded",
      ...this.unfinished().map((key) => `# note: a ${key} message was cut off when the recording ended`),
      `# events: ${this.eventCount} payload_bytes: ${this.payloadBytes}`,
    ];
    return `${[...header, ...this.body].join('\n')}\n`;
  }
}

function describeFailure(payload: Uint8Array): string {
  try {
    const failure = decodeAs('Failure', payload);
    const code = String(failure.code ?? 'none').replace(/^Failure_/, '');
    return `Failure code=${code} message='${oneLine(failure.message ?? '')}'`;
  } catch {
    return 'Failure (does not decode)';
  }
}
