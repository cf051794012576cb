/**
 * The PSBT fields the signing path reads, decoded from the raw maps of psbtCodec.ts.
 *
 * Global: unsigned transaction (v0), xpubs, v2 transaction version / fallback lock time /
 * counts, PSBT version, proprietary. Input: previous transaction, witness UTXO, partial
 * signatures, sighash type, redeem / witness script, BIP-32 and taproot BIP-32 derivations,
 * final scriptSig / witness, taproot key signature and internal key, v2 outpoint, sequence and
 * required lock times, proprietary. Output: redeem / witness script, derivations, taproot
 * internal key, v2 amount and script, proprietary. Other keys are not decoded (they stay in the
 * raw map untouched). The decoded shapes are those of @scure/btc-signer's PSBT coders, which
 * the tests cross-check against; field rules per version follow BIP-174 / BIP-370.
 *
 * Malformed values fail through `fail(field, problem)` naming the field (e.g. `psbt.inputs[1].partialSig`).
 */
import { ByteReader, decodeTx, decodeWitness, type RawTransaction, type RawTxOutput } from './rawTx.js';
import { keyType, type KeyValue } from './psbtCodec.js';

/** Builds the error for a malformed field. */
export type FieldFail = (field: string, problem: string) => Error;

/** A BIP-32 key origin: master fingerprint (big-endian u32) and path. */
export interface KeyOriginField {
  fingerprint: number;
  path: number[];
}

export interface XpubNode {
  version: number;
  depth: number;
  parentFingerprint: number;
  childNumber: number;
  chainCode: Uint8Array;
  publicKey: Uint8Array;
}

export interface PsbtGlobalFields {
  unsignedTx?: RawTransaction;
  xpub?: [XpubNode, KeyOriginField][];
  txVersion?: number;
  fallbackLocktime?: number;
  inputCount?: number;
  outputCount?: number;
  version?: number;
  /** Key data after the 0xfc type byte, and value. */
  proprietary?: [Uint8Array, Uint8Array][];
}

export interface PsbtInputFields {
  nonWitnessUtxo?: RawTransaction;
  witnessUtxo?: RawTxOutput;
  partialSig?: [Uint8Array, Uint8Array][];
  sighashType?: number;
  redeemScript?: Uint8Array;
  witnessScript?: Uint8Array;
  bip32Derivation?: [Uint8Array, KeyOriginField][];
  finalScriptSig?: Uint8Array;
  finalScriptWitness?: Uint8Array[];
  /** v2: display order, as a transaction's txid. */
  txid?: Uint8Array;
  index?: number;
  sequence?: number;
  requiredTimeLocktime?: number;
  requiredHeightLocktime?: number;
  tapKeySig?: Uint8Array;
  tapBip32Derivation?: [Uint8Array, { hashes: Uint8Array[]; der: KeyOriginField }][];
  tapInternalKey?: Uint8Array;
  proprietary?: [Uint8Array, Uint8Array][];
}

export interface PsbtOutputFields {
  redeemScript?: Uint8Array;
  witnessScript?: Uint8Array;
  bip32Derivation?: [Uint8Array, KeyOriginField][];
  amount?: bigint;
  script?: Uint8Array;
  tapInternalKey?: Uint8Array;
  tapBip32Derivation?: [Uint8Array, { hashes: Uint8Array[]; der: KeyOriginField }][];
  proprietary?: [Uint8Array, Uint8Array][];
}

/** How a field's key data and value are read: [name, keyed?, decode value]. */
type Rule = [name: string, key: ((data: Uint8Array, r: ByteReader) => unknown) | undefined, value: (r: ByteReader) => unknown];

const bytes = (r: ByteReader) => r.bytes(r.left);
const u32 = (r: ByteReader) => r.u32();
const fixed = (n: number) => (r: ByteReader) => r.bytes(n);

function origin(r: ByteReader): KeyOriginField {
  if (r.left < 4 || r.left % 4) throw r.fail('expected a 4-byte fingerprint and 4-byte path indexes');
  const b = r.bytes(4);
  const fingerprint = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const path: number[] = [];
  while (r.left) path.push(r.u32());
  return { fingerprint, path };
}

function tapOrigin(r: ByteReader) {
  const hashes: Uint8Array[] = [];
  for (let i = 0, n = r.count(32); i < n; i++) hashes.push(r.bytes(32));
  return { hashes, der: origin(r) };
}

function keyOfLength(...lengths: number[]) {
  return (data: Uint8Array, r: ByteReader) => {
    if (!lengths.includes(data.length)) throw r.fail(`key data of ${data.length} bytes, expected ${lengths.join(' or ')}`);
    return data.slice();
  };
}
const ecdsaKey = keyOfLength(33, 65);
const xonlyKey = keyOfLength(32);

function proprietaryKey(data: Uint8Array, r: ByteReader): Uint8Array {
  const k = new ByteReader(data, (p) => r.fail(`proprietary key: ${p}`));
  k.varBytes(); // identifier
  k.compactSize(); // subtype
  return data.slice();
}

function xpubKey(data: Uint8Array, r: ByteReader): XpubNode {
  if (data.length !== 78) throw r.fail(`an extended public key is 78 bytes, not ${data.length}`);
  const k = new ByteReader(data, r.fail);
  const be = () => {
    const b = k.bytes(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  };
  const node = { version: be(), depth: k.u8(), parentFingerprint: be(), childNumber: be(), chainCode: k.bytes(32), publicKey: k.bytes(33) };
  if (node.publicKey[0] !== 2 && node.publicKey[0] !== 3) throw r.fail('the extended public key holds no compressed public key');
  if (node.depth === 0 && (node.parentFingerprint || node.childNumber)) throw r.fail('a depth-0 extended key must have no parent fingerprint and child number');
  return node;
}

function i64Amount(r: ByteReader): bigint {
  const amount = r.u64();
  if (amount >= 1n << 63n) throw r.fail('negative amount');
  return amount;
}

function schnorrSig(r: ByteReader): Uint8Array {
  if (r.left !== 64 && r.left !== 65) throw r.fail('a Schnorr signature is 64 or 65 bytes');
  return bytes(r);
}

const GLOBAL: Record<number, Rule> = {
  0x00: ['unsignedTx', undefined, (r) => decodeTx(bytes(r), r.fail, false)],
  0x01: ['xpub', xpubKey, origin],
  0x02: ['txVersion', undefined, u32],
  0x03: ['fallbackLocktime', undefined, u32],
  0x04: ['inputCount', undefined, (r) => r.compactSize()],
  0x05: ['outputCount', undefined, (r) => r.compactSize()],
  0xfb: ['version', undefined, u32],
  0xfc: ['proprietary', proprietaryKey, bytes],
};

const INPUT: Record<number, Rule> = {
  0x00: ['nonWitnessUtxo', undefined, (r) => decodeTx(bytes(r), r.fail)],
  0x01: ['witnessUtxo', undefined, (r) => ({ amount: r.u64(), script: r.varBytes() })],
  0x02: ['partialSig', ecdsaKey, bytes],
  0x03: ['sighashType', undefined, u32],
  0x04: ['redeemScript', undefined, bytes],
  0x05: ['witnessScript', undefined, bytes],
  0x06: ['bip32Derivation', ecdsaKey, origin],
  0x07: ['finalScriptSig', undefined, bytes],
  0x08: [
    'finalScriptWitness',
    undefined,
    (r) => {
      const stack = decodeWitness(bytes(r), r.fail);
      if (!stack.length) throw r.fail('empty witness');
      return stack;
    },
  ],
  0x0e: ['txid', undefined, (r) => r.bytes(32).reverse()],
  0x0f: ['index', undefined, u32],
  0x10: ['sequence', undefined, u32],
  0x11: ['requiredTimeLocktime', undefined, u32],
  0x12: ['requiredHeightLocktime', undefined, u32],
  0x13: ['tapKeySig', undefined, schnorrSig],
  0x16: ['tapBip32Derivation', xonlyKey, tapOrigin],
  0x17: ['tapInternalKey', undefined, fixed(32)],
  0xfc: ['proprietary', proprietaryKey, bytes],
};

const OUTPUT: Record<number, Rule> = {
  0x00: ['redeemScript', undefined, bytes],
  0x01: ['witnessScript', undefined, bytes],
  0x02: ['bip32Derivation', ecdsaKey, origin],
  0x03: ['amount', undefined, i64Amount],
  0x04: ['script', undefined, bytes],
  0x05: ['tapInternalKey', undefined, fixed(32)],
  0x07: ['tapBip32Derivation', xonlyKey, tapOrigin],
  0xfc: ['proprietary', proprietaryKey, bytes],
};

/** Key types per map that only PSBTv2 has (BIP-370), and that v2 must have. */
const V2_ONLY = { global: [0x02, 0x03, 0x04, 0x05, 0x06], input: [0x0e, 0x0f, 0x10, 0x11, 0x12], output: [0x03, 0x04] };
const V2_REQUIRED = { global: [0x02, 0x04, 0x05], input: [0x0e, 0x0f], output: [0x03, 0x04] };

function readMap(map: KeyValue[], rules: Record<number, Rule>, version: number, kind: keyof typeof V2_ONLY, field: string, fail: FieldFail): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const types = new Set<number>();
  for (const [key, value] of map) {
    const { type, data } = keyType(key);
    types.add(type);
    if (version === 0 && V2_ONLY[kind].includes(type)) throw fail(field, `key type 0x${type.toString(16)} is PSBTv2 only`);
    if (version === 2 && kind === 'global' && type === 0x00) throw fail(field, 'a PSBTv2 has no unsigned transaction');
    const rule = rules[type];
    if (!rule) continue;
    const [name, keyRule, valueRule] = rule;
    const where = `${field}.${name}`;
    const r = new ByteReader(value, (p) => fail(where, p));
    if (!keyRule && data.length) throw fail(where, 'unexpected key data');
    const k = keyRule?.(data, r);
    const v = valueRule(r);
    r.end();
    if (keyRule) ((out[name] ??= []) as unknown[]).push([k, v]);
    else out[name] = v;
  }
  if (version === 2) {
    for (const type of V2_REQUIRED[kind]) if (!types.has(type)) throw fail(field, `a PSBTv2 needs key type 0x${type.toString(16)}`);
  }
  return out;
}

/**
 * Decode the global map's fields (`version`: 0 or 2, from psbtCounts).
 * @example readGlobal(raw.global, 0, (field, p) => invalidParameter(field, p))
 */
export function readGlobal(map: KeyValue[], version: number, fail: FieldFail): PsbtGlobalFields {
  const global = readMap(map, GLOBAL, version, 'global', 'psbt', fail) as PsbtGlobalFields;
  for (const [xpub, der] of global.xpub ?? []) {
    if (xpub.depth !== der.path.length) throw fail('psbt.xpub', `an xpub of depth ${xpub.depth} with a path of ${der.path.length} indexes`);
  }
  if (version === 0) {
    if (global.unsignedTx!.inputs.some((input) => input.finalScriptSig.length)) throw fail('psbt.unsignedTx', 'has a scriptSig');
  }
  return global;
}

/**
 * Decode an input map's fields.
 * @example readInput(raw.inputs[0], 0, 'psbt.inputs[0]', (field, p) => invalidParameter(field, p))
 */
export function readInput(map: KeyValue[], version: number, field: string, fail: FieldFail): PsbtInputFields {
  return readMap(map, INPUT, version, 'input', field, fail) as PsbtInputFields;
}

/**
 * Decode an output map's fields.
 * @example readOutput(raw.outputs[0], 0, 'psbt.outputs[0]', (field, p) => invalidParameter(field, p))
 */
export function readOutput(map: KeyValue[], version: number, field: string, fail: FieldFail): PsbtOutputFields {
  return readMap(map, OUTPUT, version, 'output', field, fail) as PsbtOutputFields;
}
