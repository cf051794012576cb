/**
 * PSBT framing (BIP-174 v0, BIP-370 v2) as raw key-value maps.
 *
 * A PSBT is a magic, a global map, one map per input and one per output; each map is a list of
 * key-value pairs. This module reads and writes exactly that, keeping every pair (unknown and
 * proprietary ones included) byte for byte and in its order, so that a PSBT the library only
 * adds signatures to comes back as the caller gave it plus those signatures. What the fields
 * mean is psbtFields.ts. Only as much of the global map is read here as is needed to know how
 * many input and output maps follow (the v0 unsigned transaction, or the v2 counts).
 *
 * Lengths are checked against the remaining bytes before anything is allocated; malformed
 * input fails through the caller's `fail` (InvalidParameters for the caller's PSBT).
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { hex } from '@scure/base';
import { invalidParameter } from '../errors.js';
import { ByteReader, compactSizeBytes, decodeTx, type Fail } from './rawTx.js';

/** One pair: the whole key (key type ‖ key data) and the value. */
export type KeyValue = [key: Uint8Array, value: Uint8Array];

/** A PSBT as its maps, each a list of pairs in file order. */
export interface RawPsbt {
  global: KeyValue[];
  inputs: KeyValue[][];
  outputs: KeyValue[][];
}

const MAGIC = /* @__PURE__ */ Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff);

/**
 * The key type of a key and where its key data starts.
 * @example keyType(Uint8Array.of(0x02, ...pubkey)) // { type: 2, data: pubkey }
 */
export function keyType(key: Uint8Array): { type: number; data: Uint8Array } {
  const r = new ByteReader(key, (problem) => invalidParameter('psbt', `malformed key type: ${problem}`));
  const type = r.compactSize();
  return { type, data: key.subarray(r.pos) };
}

/**
 * A key of the given type with the given key data.
 * @example psbtKey(0x13) // tapKeySig
 */
export function psbtKey(type: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concatBytes(compactSizeBytes(type), data);
}

function readMap(r: ByteReader, where: string): KeyValue[] {
  const map: KeyValue[] = [];
  const seen = new Set<string>();
  for (;;) {
    const keyLength = r.compactSize();
    if (keyLength === 0) return map;
    const key = r.bytes(keyLength);
    const id = hex.encode(key);
    if (seen.has(id)) throw r.fail(`${where} has key ${id} twice`);
    seen.add(id);
    try {
      keyType(key);
    } catch {
      throw r.fail(`${where} has a malformed key type in key ${id}`);
    }
    map.push([key, r.varBytes()]);
  }
}

function unkeyed(map: KeyValue[], type: number): Uint8Array | undefined {
  return map.find(([key]) => key.length === 1 && key[0] === type)?.[1];
}

function compactValue(value: Uint8Array | undefined, fail: Fail, name: string): number | undefined {
  if (!value) return undefined;
  const r = new ByteReader(value, (p) => fail(`${name}: ${p}`));
  const n = r.compactSize();
  r.end();
  return n;
}

/**
 * The PSBT version (0 or 2) and map counts a global map declares.
 * @example psbtCounts(raw.global, fail) // { version: 0, inputs: 1, outputs: 2 }
 */
export function psbtCounts(global: KeyValue[], fail: Fail): { version: number; inputs: number; outputs: number } {
  const versionBytes = unkeyed(global, 0xfb);
  let version = 0;
  if (versionBytes) {
    if (versionBytes.length !== 4) throw fail('global version: expected 4 bytes');
    version = new ByteReader(versionBytes, fail).u32();
  }
  if (version === 0) {
    const tx = unkeyed(global, 0x00);
    if (!tx) throw fail('missing its unsigned transaction');
    const decoded = decodeTx(tx, (p) => fail(`unsigned transaction: ${p}`), false);
    return { version, inputs: decoded.inputs.length, outputs: decoded.outputs.length };
  }
  if (version === 2) {
    const inputs = compactValue(unkeyed(global, 0x04), fail, 'input count');
    const outputs = compactValue(unkeyed(global, 0x05), fail, 'output count');
    if (inputs === undefined || outputs === undefined) throw fail('a PSBTv2 needs its input and output counts');
    return { version, inputs, outputs };
  }
  throw fail(`unsupported PSBT version ${version}`);
}

/**
 * Split a PSBT into its maps. Fails (through `fail`) on a wrong magic, a truncated or
 * oversized length, a duplicate key, fewer maps than declared or bytes after the last map.
 * @example const raw = decodeRawPsbt(bytes, (p) => invalidParameter('psbt', p))
 */
export function decodeRawPsbt(bytes: Uint8Array, fail: Fail): RawPsbt {
  const r = new ByteReader(bytes, fail);
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('not a PSBT (no "psbt" magic)');
  r.pos = MAGIC.length;
  const global = readMap(r, 'the global map');
  const counts = psbtCounts(global, fail);
  // Each map is at least its terminating byte.
  if (counts.inputs + counts.outputs > r.left) throw fail(`declares ${counts.inputs} inputs and ${counts.outputs} outputs, more than its ${r.left} remaining bytes hold`);
  const inputs: KeyValue[][] = [];
  for (let i = 0; i < counts.inputs; i++) inputs.push(readMap(r, `input ${i}`));
  const outputs: KeyValue[][] = [];
  for (let i = 0; i < counts.outputs; i++) outputs.push(readMap(r, `output ${i}`));
  r.end();
  return { global, inputs, outputs };
}

/**
 * Serialise a PSBT's maps, pairs in their order.
 * @example base64.encode(encodeRawPsbt(raw))
 */
export function encodeRawPsbt(psbt: RawPsbt): Uint8Array {
  // Two passes (sizes, then bytes) into one buffer: no intermediate arrays per pair.
  const maps = [psbt.global, ...psbt.inputs, ...psbt.outputs];
  const sizeOf = (n: number) => (n < 0xfd ? 1 : n <= 0xffff ? 3 : 5);
  let length = MAGIC.length;
  for (const map of maps) {
    for (const [key, value] of map) length += sizeOf(key.length) + key.length + sizeOf(value.length) + value.length;
    length += 1;
  }
  const out = new Uint8Array(length);
  out.set(MAGIC);
  let at = MAGIC.length;
  const put = (data: Uint8Array) => {
    const size = compactSizeBytes(data.length);
    out.set(size, at);
    out.set(data, at + size.length);
    at += size.length + data.length;
  };
  for (const map of maps) {
    for (const [key, value] of map) {
      put(key);
      put(value);
    }
    out[at++] = 0;
  }
  return out;
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const ka = keyType(a);
  const kb = keyType(b);
  if (ka.type !== kb.type) return ka.type - kb.type;
  for (let i = 0; i < Math.min(ka.data.length, kb.data.length); i++) if (ka.data[i] !== kb.data[i]) return ka.data[i]! - kb.data[i]!;
  return ka.data.length - kb.data.length;
}

/**
 * Set a pair: the value of an existing key is replaced where it is; a new key goes before the
 * first pair that sorts after it (key type, then key data), which keeps a sorted map sorted.
 * @example setPair(input, psbtKey(0x13), signature)
 */
export function setPair(map: KeyValue[], key: Uint8Array, value: Uint8Array): void {
  const id = hex.encode(key);
  const existing = map.find(([k]) => hex.encode(k) === id);
  if (existing) {
    existing[1] = value;
    return;
  }
  const at = map.findIndex(([k]) => compareKeys(k, key) > 0);
  map.splice(at < 0 ? map.length : at, 0, [key, value]);
}

/**
 * Remove every pair of the given key types.
 * @example removeTypes(input, [0x02, 0x03]) // partial signatures and sighash type
 */
export function removeTypes(map: KeyValue[], types: readonly number[]): void {
  for (let i = map.length - 1; i >= 0; i--) if (types.includes(keyType(map[i]![0]).type)) map.splice(i, 1);
}
