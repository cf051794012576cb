/**
 * Protocol v1 framing: one `(type, payload)` message ⇄ 64-byte reports. Pure, no I/O.
 *
 * First report:        [ '?' | '#' '#' | type u16 BE | length u32 BE | payload[0..55) ]
 *                        1     2         2             4               55 bytes = 64
 * Continuation report: [ '?' | payload[next 63 bytes] ]
 * The last report is zero padded. Source: trezor-firmware legacy/firmware/usb.c and
 * core/src/trezor/wire/codec/codec_v1.py (see shared PROTOCOL.md §2).
 *
 * Decoding is an incremental reducer: feed reports one at a time, get a message when the
 * declared length is complete. It skips stray reports before a header, ignores bytes past
 * the declared length (Core firmware leaves stale bytes in the padding), and rejects a bad
 * continuation magic or an oversize declared length before buffering anything.
 */
import { protocolError } from '../errors.js';

export const REPORT_SIZE = 64;
const MAGIC = 0x3f; // '?'
const HASH = 0x23; // '#'
const HEADER_SIZE = 9; // ?## + type(2) + length(4)
const FIRST_PAYLOAD = REPORT_SIZE - HEADER_SIZE; // 55
const NEXT_PAYLOAD = REPORT_SIZE - 1; // 63

/** Default cap on a declared payload length: 16 MiB. */
export const DEFAULT_MAX_LENGTH = 16 * 1024 * 1024;

export interface Message {
  type: number;
  payload: Uint8Array;
}

/** Number of 64-byte reports a payload of `length` bytes needs. */
export function reportCount(length: number): number {
  return 1 + Math.ceil(Math.max(0, length - FIRST_PAYLOAD) / NEXT_PAYLOAD);
}

/**
 * Cut one message into zero-padded 64-byte reports.
 * @example encodeReports(55, new Uint8Array()) // GetFeatures: one report 3f23230037000000...
 */
export function encodeReports(type: number, payload: Uint8Array): Uint8Array[] {
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw protocolError(`message type out of range: ${type}`);
  const count = reportCount(payload.length);
  const reports: Uint8Array[] = new Array(count);
  const first = new Uint8Array(REPORT_SIZE);
  first[0] = MAGIC;
  first[1] = HASH;
  first[2] = HASH;
  const view = new DataView(first.buffer);
  view.setUint16(3, type); // 2 bytes, big-endian
  view.setUint32(5, payload.length); // 4 bytes, big-endian (9 in total)
  first.set(payload.subarray(0, FIRST_PAYLOAD), HEADER_SIZE);
  reports[0] = first;
  let offset = FIRST_PAYLOAD;
  for (let i = 1; i < count; i++) {
    const report = new Uint8Array(REPORT_SIZE);
    report[0] = MAGIC;
    report.set(payload.subarray(offset, offset + NEXT_PAYLOAD), 1);
    offset += NEXT_PAYLOAD;
    reports[i] = report;
  }
  return reports;
}

/** Reassembly state. `undefined` means "waiting for a header". */
export interface DecodeState {
  readonly type: number;
  readonly payload: Uint8Array; // allocated once, at the declared length
  readonly received: number;
}

export interface DecodeOptions {
  /** Largest declared payload length accepted (default 16 MiB). */
  maxLength?: number;
}

/**
 * Feed one report. Returns the new state; a message is complete when
 * `state.received === state.payload.length` (see {@link completedMessage}).
 */
export function decodeReport(
  state: DecodeState | undefined,
  report: Uint8Array,
  options: DecodeOptions = {},
): DecodeState | undefined {
  if (state === undefined || state.received >= state.payload.length) {
    // Waiting for a header: anything else is a stray report and is dropped.
    if (report.length < HEADER_SIZE || report[0] !== MAGIC || report[1] !== HASH || report[2] !== HASH) return undefined;
    const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
    const type = view.getUint16(3);
    const length = view.getUint32(5);
    const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (length > max) throw protocolError(`declared message length ${length} exceeds the limit of ${max} bytes`);
    const payload = new Uint8Array(length);
    const chunk = report.subarray(HEADER_SIZE, HEADER_SIZE + length);
    payload.set(chunk);
    return { type, payload, received: chunk.length };
  }
  if (report.length < 1 || report[0] !== MAGIC) {
    throw protocolError(`continuation report has magic 0x${(report[0] ?? 0).toString(16)} instead of 0x3f`);
  }
  const want = state.payload.length - state.received;
  const chunk = report.subarray(1, 1 + Math.min(want, NEXT_PAYLOAD));
  state.payload.set(chunk, state.received);
  return { type: state.type, payload: state.payload, received: state.received + chunk.length };
}

/** The finished message, or undefined while more reports are needed. */
export function completedMessage(state: DecodeState | undefined): Message | undefined {
  if (state === undefined || state.received < state.payload.length) return undefined;
  return { type: state.type, payload: state.payload };
}

/** Decode a complete sequence of reports (convenience for tests and buffered transports). */
export function decodeReports(reports: Iterable<Uint8Array>, options?: DecodeOptions): Message {
  let state: DecodeState | undefined;
  for (const report of reports) {
    state = decodeReport(state, report, options);
    const message = completedMessage(state);
    if (message) return message;
  }
  throw protocolError('reports ended before the message was complete');
}
