/**
 * Protobuf codec for the Trezor wire messages: a small interpreter of the descriptor tables
 * that scripts/gen-proto.ts generates from proto/ (./generated/schema.ts).
 *
 * Why an interpreter and not protobufjs: measured with esbuild 0.28 (--bundle --minify
 * --format=esm --platform=browser, then gzip -9) on an entry that encodes Initialize and
 * decodes Features, each runtime carrying the schema of all of proto/ (129 wire messages):
 *
 *   this interpreter + generated/schema.ts                        9.6 kB min+gzip (30 kB min)
 *   protobufjs 8.8 /minimal + pbjs static-module code            39.4 kB min+gzip
 *     (static code of Initialize + Features alone: 16.3 kB; the runtime by itself: 12.6 kB)
 *   protobufjs 8.8 /light + the schema as JSON (Root.fromJSON)   37.2 kB min+gzip
 *
 * Of the 9.6 kB, the descriptor table is 7.0 kB and this file about 2.6 kB. The core bundle
 * budget is 25 kB for everything and decodeMessage() must know every wire message, so only
 * the interpreter fits; it also states the wire rules below directly instead of configuring
 * a general library into them.
 *
 * Wire rules (proto2, as the firmware expects them; see PROTOCOL.md section 3):
 * - Fields are emitted in ascending field number (trezorlib follows the .proto declaration
 *   order instead, which differs only for EthereumSignTx, where `to` = 11 is declared before
 *   value = 6; the firmware takes either). Repeated scalars are emitted unpacked (one tag per
 *   element: Core rejects packed input); packed input is accepted on decode.
 * - uint64/int64/sint64 decode to bigint (encode takes bigint or a safe-integer number);
 *   uint32/int32/sint32 (zig-zag) to number; bool to boolean; bytes to a fresh Uint8Array;
 *   string to string (UTF-8, invalid UTF-8 is malformed input); an enum to its value name,
 *   or the number when the schema has no name for it (encode takes either).
 * - Absent optional fields stay absent: no proto default is filled in on decode. `required`
 *   is checked when encoding (older firmware omitted fields that are required today, so
 *   decoding does not insist on them).
 * - Unknown fields are skipped (wire types 0, 1, 2, 5); groups and wire types 6/7 are
 *   malformed. A known field with the wrong wire type is malformed.
 * - Malformed or truncated input -> TrezorError ProtocolError, never another exception and
 *   never a hang. A missing required field or a wrongly typed value when encoding ->
 *   TrezorError InvalidParameters naming the field path (e.g. "SignTx.inputs_count").
 *
 * Byte layout of one field: tag = varint(field_number << 3 | wire_type), then
 *   wire type 0: varint value (LEB128, 7 bits per byte, low group first, at most 10 bytes)
 *   wire type 2: varint length ‖ that many bytes (string, bytes, embedded message, packed)
 *   wire type 1 / 5: 8 / 4 raw bytes (never used by Trezor; skipped when unknown)
 */
import { TrezorError, invalidParameter, protocolError } from '../errors.js';
import { ENUMS, MESSAGES, WIRE, type FieldDesc } from './generated/schema.js';
import type { MessageMap, MessageName } from './generated/types.js';

/** A decoded message with its name, discriminated on `type`. */
export type AnyMessage = { [N in MessageName]: { type: N; message: MessageMap[N] } }[MessageName];

/**
 * What encoding accepts for a message shape T: like T, but 64-bit integers may also be plain
 * numbers (safe integers) and arrays may be readonly.
 */
export type Encodable<T> = T extends bigint
  ? bigint | number
  : T extends Uint8Array
    ? Uint8Array
    : T extends readonly (infer E)[]
      ? readonly Encodable<E>[]
      : T extends object
        ? { [K in keyof T]: Encodable<T[K]> }
        : T;

/**
 * What encodeMessage / encodeAs accept for message N: the decoded shape itself (so a decoded
 * message re-encodes as is, also from generic code) or its Encodable form.
 */
export type MessageInput<N extends MessageName> = MessageMap[N] | Encodable<MessageMap[N]>;

// Field kinds (see the header of generated/schema.ts). Kinds below K_STRING are varints.
const K_UINT32 = 0;
const K_INT32 = 1;
const K_SINT32 = 2;
const K_UINT64 = 3;
const K_INT64 = 4;
const K_SINT64 = 5;
const K_BOOL = 6;
const K_ENUM = 7;
const K_STRING = 8;
const K_BYTES = 9;
const K_MESSAGE = 10;
const F_REPEATED = 1;
const F_REQUIRED = 2;

/** Nesting deeper than this is refused (EIP-712 field types are recursive). */
const MAX_DEPTH = 32;

// ---------------------------------------------------------------------------------------------
// Schema access (compiled lazily, once per message)

interface Compiled {
  name: string;
  fields: readonly FieldDesc[];
  /** Fields by number: a dense array (field numbers are small), holes for unknown numbers. */
  byNumber: (FieldDesc | undefined)[];
  /** The compiled schema of each embedded-message field, by field number (filled on first use). */
  children: (Compiled | undefined)[];
  wireId: number | undefined;
}

const compiled = new Map<string, Compiled>();
const enumNames = new Map<string, Map<number, string>>();

function schemaOf(name: string): Compiled | undefined {
  let c = compiled.get(name);
  if (c === undefined) {
    const desc = Object.prototype.hasOwnProperty.call(MESSAGES, name) ? MESSAGES[name] : undefined;
    if (desc === undefined) return undefined;
    const byNumber: (FieldDesc | undefined)[] = [];
    for (const f of desc[0]) byNumber[f[0]] = f;
    c = { name, fields: desc[0], byNumber, children: [], wireId: desc[1] };
    compiled.set(name, c);
  }
  return c;
}

/** The schema of an embedded-message field, looked up by name once per field. */
function childOf(c: Compiled, f: FieldDesc): Compiled {
  return (c.children[f[0]] ??= schemaOf(f[4]!)!);
}

function enumValues(name: string): { readonly [value: string]: number } {
  return ENUMS[name]!;
}

/**
 * The wire number of an enum value by its .proto name, or undefined when the schema has no such value.
 * @example enumValue('Capability', 'Capability_PassphraseEntry') // 17
 */
export function enumValue(enumName: string, valueName: string): number | undefined {
  const values = Object.prototype.hasOwnProperty.call(ENUMS, enumName) ? ENUMS[enumName]! : {};
  return Object.prototype.hasOwnProperty.call(values, valueName) ? values[valueName] : undefined;
}

function enumNameOf(name: string, value: number): string | undefined {
  let byNumber = enumNames.get(name);
  if (byNumber === undefined) {
    byNumber = new Map();
    for (const [k, v] of Object.entries(enumValues(name))) if (!byNumber.has(v)) byNumber.set(v, k);
    enumNames.set(name, byNumber);
  }
  return byNumber.get(value);
}

function knownMessage(name: unknown, what: string): Compiled {
  const c = typeof name === 'string' ? schemaOf(name) : undefined;
  if (c === undefined || c.wireId === undefined) throw invalidParameter(what, `unknown message name ${String(name)}`);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Decoding

let textDecoder: TextDecoder | undefined;

interface Reader {
  buf: Uint8Array;
  pos: number;
  end: number;
}

/** High 32 bits of the last varint read (the low 32 bits are returned). */
let hi = 0;

function malformed(what: string): TrezorError<'ProtocolError'> {
  return protocolError(`malformed message: ${what}`);
}

function readVarint(r: Reader): number {
  const buf = r.buf;
  let pos = r.pos;
  let lo = 0;
  let high = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= r.end) throw malformed('truncated varint');
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= bits << 28;
      high = bits >>> 4;
    } else high |= bits << (shift - 32);
    if (b < 0x80) {
      r.pos = pos;
      hi = high >>> 0;
      return lo >>> 0;
    }
  }
  throw malformed('varint longer than 10 bytes');
}

function readLength(r: Reader): number {
  const len = readVarint(r);
  if (hi !== 0 || len > r.end - r.pos) throw malformed('length past the end');
  return len;
}

function skipField(r: Reader, wireType: number): void {
  let n: number;
  if (wireType === 0) return void readVarint(r);
  else if (wireType === 1) n = 8;
  else if (wireType === 5) n = 4;
  else if (wireType === 2) n = readLength(r);
  else throw malformed(`wire type ${wireType}`);
  if (n > r.end - r.pos) throw malformed('field past the end');
  r.pos += n;
}

/** Reads one varint-kind value. */
function readScalar(r: Reader, f: FieldDesc): unknown {
  const lo = readVarint(r);
  switch (f[2]) {
    case K_UINT32:
      return lo;
    case K_INT32:
      return lo | 0;
    case K_SINT32:
      return (lo >>> 1) ^ -(lo & 1);
    case K_BOOL:
      return (lo | hi) !== 0;
    case K_ENUM: {
      const n = lo | 0;
      return enumNameOf(f[4]!, n) ?? n;
    }
    default: {
      const u = (BigInt(hi) << 32n) | BigInt(lo);
      if (f[2] === K_UINT64) return u;
      if (f[2] === K_INT64) return BigInt.asIntN(64, u);
      return (u >> 1n) ^ -(u & 1n); // K_SINT64
    }
  }
}

/** UTF-8 bytes [start, end) as a string; invalid UTF-8 is a ProtocolError. */
function readString(buf: Uint8Array, start: number, end: number, c: Compiled, f: FieldDesc): string {
  // TextDecoder beats any JavaScript loop even on short ASCII strings (Node 20: 110 ns for an
  // address, a String.fromCharCode loop 240 ns), so there is no fast path here.
  textDecoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return textDecoder.decode(buf.subarray(start, end));
  } catch (e) {
    throw protocolError(`malformed message: ${c.name}.${f[1]}: invalid UTF-8`, e);
  }
}

function decodeInto(c: Compiled, r: Reader, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw malformed('nesting too deep');
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = readVarint(r);
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (number === 0 || hi !== 0) throw malformed('invalid field number');
    const f = number < c.byNumber.length ? c.byNumber[number] : undefined;
    if (f === undefined) {
      skipField(r, wireType);
      continue;
    }
    const kind = f[2];
    const repeated = (f[3] & F_REPEATED) !== 0;
    let value: unknown;
    if (kind < K_STRING) {
      if (wireType === 2 && repeated) {
        // packed: a length-delimited run of varints
        const len = readLength(r);
        const end = r.end;
        r.end = r.pos + len;
        const list = (out[f[1]] ??= []) as unknown[];
        while (r.pos < r.end) list.push(readScalar(r, f));
        r.end = end;
        continue;
      }
      if (wireType !== 0) throw malformed(`${c.name}.${f[1]}: wire type ${wireType}, expected 0`);
      value = readScalar(r, f);
    } else {
      if (wireType !== 2) throw malformed(`${c.name}.${f[1]}: wire type ${wireType}, expected 2`);
      const len = readLength(r);
      const start = r.pos;
      if (kind === K_MESSAGE) {
        const end = r.end;
        r.end = start + len;
        value = decodeInto(childOf(c, f), r, depth + 1);
        r.end = end;
      } else if (kind === K_BYTES) {
        value = r.buf.slice(start, start + len);
      } else {
        value = readString(r.buf, start, start + len, c, f);
      }
      r.pos = start + len;
    }
    if (repeated) ((out[f[1]] ??= []) as unknown[]).push(value);
    else out[f[1]] = value;
  }
  return out;
}

function decodeWith(c: Compiled, payload: Uint8Array): Record<string, unknown> {
  if (!isBytes(payload)) throw invalidParameter('payload', 'expected a Uint8Array');
  try {
    return decodeInto(c, { buf: payload, pos: 0, end: payload.length }, 0);
  } catch (e) {
    if (e instanceof TrezorError) throw new TrezorError(e.code, `${c.name}: ${e.message}`, { cause: e.cause });
    throw protocolError(`${c.name}: malformed message`, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

let textEncoder: TextEncoder | undefined;

class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 64) {
    this.buf = new Uint8Array(size);
  }

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Writes an unsigned 32-bit varint. */
  varint(v: number): void {
    this.reserve(5);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** Writes a 64-bit varint given as two unsigned 32-bit halves. */
  varint64(lo: number, high: number): void {
    if (high === 0) return this.varint(lo);
    this.reserve(10);
    for (let i = 0; i < 4; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    // 28 bits written; the 5th byte takes the last 4 bits of lo and 3 of high
    let v = lo | ((high & 0x07) << 4);
    high >>>= 3;
    while (high > 0) {
      this.buf[this.pos++] = v | 0x80;
      v = high & 0x7f;
      high >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A length-prefixed UTF-8 string, written in place (no intermediate byte array). */
  string(s: string): void {
    const n = utf8Length(s);
    this.varint(n);
    this.reserve(n);
    if (n === s.length) {
      // Pure ASCII (any other character takes more than one byte per UTF-16 unit).
      const buf = this.buf;
      const at = this.pos;
      for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i);
    } else {
      textEncoder ??= new TextEncoder();
      textEncoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + n));
    }
    this.pos += n;
  }
}

/**
 * Bytes of `s` in UTF-8 as TextEncoder writes it: a lone surrogate becomes U+FFFD (3 bytes).
 * @example utf8Length('€') // 3
 */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array || (ArrayBuffer.isView(v) && v.constructor.name === 'Uint8Array');
}

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;

/** Splits a 64-bit value (already range-checked, as unsigned two's complement) into halves. */
function write64(w: Writer, u: bigint): void {
  w.varint64(Number(u & 0xffffffffn), Number(u >> 32n));
}

function to64(v: unknown, signed: boolean, message: string, f: FieldDesc, index: number): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else throw invalidParameter(fieldPath(message, f, index), 'expected a bigint or a safe integer');
  if (signed ? b < -TWO_63 || b >= TWO_63 : b < 0n || b >= TWO_64) {
    throw invalidParameter(fieldPath(message, f, index), `out of range for ${signed ? 'int64' : 'uint64'}`);
  }
  return b;
}

function int32(v: unknown, message: string, f: FieldDesc, index: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw invalidParameter(fieldPath(message, f, index), 'expected an int32');
  }
  return v;
}

/** int32 and enum values: negative numbers take 10 bytes (sign-extended to 64 bits). */
function writeInt32(w: Writer, v: number): void {
  if (v >= 0) w.varint(v);
  else w.varint64(v >>> 0, 0xffffffff);
}

/** "Msg.field" or "Msg.field[3]": only built for an error message or a nested message's path. */
function fieldPath(path: string, f: FieldDesc, index: number): string {
  return index < 0 ? `${path}.${f[1]}` : `${path}.${f[1]}[${index}]`;
}

/** Writes field `f` of the message at `message` (its path); `index` is the element of a repeated field, -1 otherwise. */
function writeField(w: Writer, c: Compiled, f: FieldDesc, v: unknown, message: string, index: number, depth: number): void {
  const kind = f[2];
  w.varint((f[0] << 3) | (kind < K_STRING ? 0 : 2));
  switch (kind) {
    case K_UINT32:
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw invalidParameter(fieldPath(message, f, index), 'expected a uint32');
      }
      return w.varint(v);
    case K_INT32:
      return writeInt32(w, int32(v, message, f, index));
    case K_SINT32: {
      const n = int32(v, message, f, index);
      return w.varint(((n << 1) ^ (n >> 31)) >>> 0);
    }
    case K_UINT64:
      return write64(w, to64(v, false, message, f, index));
    case K_INT64:
      return write64(w, BigInt.asUintN(64, to64(v, true, message, f, index)));
    case K_SINT64: {
      const n = to64(v, true, message, f, index);
      return write64(w, BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
    }
    case K_BOOL:
      if (typeof v !== 'boolean') throw invalidParameter(fieldPath(message, f, index), 'expected a boolean');
      return w.varint(v ? 1 : 0);
    case K_ENUM: {
      if (typeof v === 'string') {
        const values = enumValues(f[4]!);
        if (!Object.prototype.hasOwnProperty.call(values, v)) {
          throw invalidParameter(fieldPath(message, f, index), `unknown ${f[4]} value ${JSON.stringify(v)}`);
        }
        return writeInt32(w, values[v]!);
      }
      return writeInt32(w, int32(v, message, f, index));
    }
    case K_STRING:
      if (typeof v !== 'string') throw invalidParameter(fieldPath(message, f, index), 'expected a string');
      return w.string(v);
    case K_BYTES:
      if (!isBytes(v)) throw invalidParameter(fieldPath(message, f, index), 'expected a Uint8Array');
      return w.bytes(v);
    default: {
      // Embedded message: reserve one length byte, encode, then patch the length in (moving
      // the body right when the length needs more than one byte).
      w.reserve(1);
      const lengthAt = w.pos++;
      const start = w.pos;
      encodeInto(childOf(c, f), v, w, fieldPath(message, f, index), depth + 1);
      const len = w.pos - start;
      if (len < 0x80) {
        w.buf[lengthAt] = len;
        return;
      }
      let extra = 0;
      for (let n = len >>> 7; n > 0x7f; n >>>= 7) extra++;
      extra++;
      w.reserve(extra);
      w.buf.copyWithin(start + extra, start, w.pos);
      w.pos = lengthAt;
      w.varint(len);
      w.pos = start + extra + len;
    }
  }
}

function encodeInto(c: Compiled, msg: unknown, w: Writer, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw invalidParameter(path, 'nesting too deep (is the object cyclic?)');
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || isBytes(msg)) {
    throw invalidParameter(path, `expected a ${c.name} object`);
  }
  const obj = msg as Record<string, unknown>;
  const fields = c.fields;
  for (let n = 0; n < fields.length; n++) {
    const f = fields[n]!;
    const v = obj[f[1]];
    if (v === undefined || v === null) {
      if (f[3] & F_REQUIRED) throw invalidParameter(fieldPath(path, f, -1), 'required field is missing');
    } else if (f[3] & F_REPEATED) {
      if (!Array.isArray(v)) throw invalidParameter(fieldPath(path, f, -1), 'expected an array');
      for (let i = 0; i < v.length; i++) writeField(w, c, f, v[i], path, i, depth);
    } else {
      writeField(w, c, f, v, path, -1, depth);
    }
  }
}

/**
 * The writer encodeWith reuses (its buffer grows to the largest message and is kept up to
 * SCRATCH_KEEP bytes), and whether an encoding is using it: an encoding started from inside
 * another one (a getter on the message object that encodes) gets a writer of its own.
 */
let scratch: Writer | undefined;
let scratchBusy = false;
const SCRATCH_KEEP = 64 * 1024;

function encodeWith(c: Compiled, message: unknown): Uint8Array {
  if (scratchBusy) {
    const own = new Writer();
    encodeInto(c, message, own, c.name, 0);
    return own.buf.slice(0, own.pos);
  }
  const w = (scratch ??= new Writer(256));
  w.pos = 0;
  scratchBusy = true;
  try {
    encodeInto(c, message, w, c.name, 0);
    return w.buf.slice(0, w.pos);
  } finally {
    scratchBusy = false;
    if (w.buf.length > SCRATCH_KEEP) scratch = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Encodes a message and returns its wire id with the payload.
 * @example
 * const { type, payload } = encodeMessage('GetAddress', { address_n: [0x80000054, 0x80000000, 0x80000000, 0, 0], coin_name: 'Bitcoin', script_type: 'SPENDWITNESS' });
 */
export function encodeMessage<N extends MessageName>(
  name: N,
  message: MessageInput<N>,
): { type: number; payload: Uint8Array } {
  const c = knownMessage(name, 'name');
  return { type: c.wireId!, payload: encodeWith(c, message) };
}

/**
 * Encodes a message and returns the protobuf payload only.
 * @example
 * encodeAs('Ping', { message: 'hi' }) // Uint8Array [0x0a, 0x02, 0x68, 0x69]
 */
export function encodeAs<N extends MessageName>(name: N, message: MessageInput<N>): Uint8Array {
  return encodeWith(knownMessage(name, 'name'), message);
}

/**
 * Decodes a payload by its wire id. Id 22 decodes as the legacy TxAck (a superset of every
 * TxAck* view), id 37 as the current PaymentRequest. An unknown id is a ProtocolError.
 * @example
 * const m = decodeMessage(17, payload); if (m.type === 'Features') m.message.major_version
 */
export function decodeMessage(type: number, payload: Uint8Array): AnyMessage {
  const name = Number.isInteger(type) && Object.prototype.hasOwnProperty.call(WIRE, type) ? WIRE[type] : undefined;
  if (name === undefined) throw protocolError(`unknown message type ${String(type)}`);
  return { type: name, message: decodeWith(schemaOf(name)!, payload) } as AnyMessage;
}

/**
 * Decodes a payload as the named message.
 * @example
 * const features = decodeAs('Features', payload);
 */
export function decodeAs<N extends MessageName>(name: N, payload: Uint8Array): MessageMap[N] {
  return decodeWith(knownMessage(name, 'name'), payload) as unknown as MessageMap[N];
}

/**
 * Wire id of a message.
 * @example
 * messageTypeId('TxAckInput') // 22
 */
export function messageTypeId(name: MessageName): number {
  return knownMessage(name, 'name').wireId!;
}

/**
 * Name a decoder gives to a wire id, or undefined when the id is unknown.
 * @example
 * messageName(17) // 'Features'
 */
export function messageName(type: number): MessageName | undefined {
  return Object.prototype.hasOwnProperty.call(WIRE, type) ? (WIRE[type] as MessageName) : undefined;
}

/**
 * Encodes a message that has no wire id of its own: one a protocol frame carries bare, such as
 * THP's ThpDeviceProperties or ThpHandshakeCompletionReqNoisePayload.
 * @example
 * encodeEmbedded('ThpHandshakeCompletionReqNoisePayload', {}) // Uint8Array []
 */
export function encodeEmbedded(name: string, message: object): Uint8Array {
  const c = schemaOf(name);
  if (c === undefined) throw invalidParameter('name', `unknown message name ${name}`);
  return encodeWith(c, message);
}

/**
 * Decodes a message that has no wire id of its own (see encodeEmbedded). A malformed payload
 * is a ProtocolError.
 * @example
 * const props = decodeEmbedded<ThpDeviceProperties>('ThpDeviceProperties', bytes);
 */
export function decodeEmbedded<T>(name: string, payload: Uint8Array): T {
  const c = schemaOf(name);
  if (c === undefined) throw invalidParameter('name', `unknown message name ${name}`);
  return decodeWith(c, payload) as T;
}
