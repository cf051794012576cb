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
  const length = payload.length;
  const count = reportCount(length);
  const reports: Uint8Array[] = new Array(count);
  const first = new Uint8Array(REPORT_SIZE);
  first[0] = MAGIC;
  first[1] = HASH;
  first[2] = HASH;
  first[3] = type >>> 8; // type: 2 bytes, big-endian
  first[4] = type & 0xff;
  first[5] = length >>> 24; // length: 4 bytes, big-endian (9 header bytes in total)
  first[6] = (length >>> 16) & 0xff;
  first[7] = (length >>> 8) & 0xff;
  first[8] = length & 0xff;
  // Reports are small: a plain loop copies them faster than a subarray() view and set().
  copy(payload, 0, first, HEADER_SIZE, Math.min(length, FIRST_PAYLOAD));
  reports[0] = first;
  let offset = FIRST_PAYLOAD;
  for (let i = 1; i < count; i++) {
    const report = new Uint8Array(REPORT_SIZE);
    report[0] = MAGIC;
    copy(payload, offset, report, 1, Math.min(length - offset, NEXT_PAYLOAD));
    offset += NEXT_PAYLOAD;
    reports[i] = report;
  }
  return reports;
}

/** Copies `n` bytes from `from[at..]` to `to[into..]` (n ≤ 63). */
function copy(from: Uint8Array, at: number, to: Uint8Array, into: number, n: number): void {
  for (let i = 0; i < n; i++) to[into + i] = from[at + i]!;
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
    const type = (report[3]! << 8) | report[4]!;
    const length = ((report[5]! << 24) | (report[6]! << 16) | (report[7]! << 8) | report[8]!) >>> 0;
    const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (length > max) throw protocolError(`declared message length ${length} exceeds the limit of ${max} bytes`);
    const payload = new Uint8Array(length);
    // A short report (a transport may hand over fewer than 64 bytes) carries what it has.
    const n = Math.max(0, Math.min(length, report.length - HEADER_SIZE));
    copy(report, HEADER_SIZE, payload, 0, n);
    return { type, payload, received: n };
  }
  if (report.length < 1 || report[0] !== MAGIC) {
    throw protocolError(`continuation report has magic 0x${(report[0] ?? 0).toString(16)} instead of 0x3f`);
  }
  const want = state.payload.length - state.received;
  const n = Math.max(0, Math.min(want, NEXT_PAYLOAD, report.length - 1));
  copy(report, 1, state.payload, state.received, n);
  return { type: state.type, payload: state.payload, received: state.received + n };
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
