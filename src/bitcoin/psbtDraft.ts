/**
 * An unsigned PSBT (BIP-174, version 0) written straight from what createPsbt knows: the
 * transaction's inputs and outputs and the fields a signer needs. Every value is already
 * checked by the caller, so nothing is parsed or validated again, and the whole PSBT is
 * serialised once, in one pass (psbtCodec.ts), which keeps createPsbt linear in the UTXOs.
 * Pairs are written sorted by key type, then key data, as BIP-174 readers expect and
 * @scure/btc-signer writes them.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { hex } from '@scure/base';
import { encodeRawPsbt, psbtKey, type KeyValue } from './psbtCodec.js';
import { compactSizeBytes, encodeTx, u32le, u64le, varBytes } from './rawTx.js';

/** A key origin: master fingerprint (u32, as getPublicKey returns it) and full path. */
export interface KeyOrigin {
  fingerprint: number;
  path: readonly number[];
}

export interface DraftInput {
  /** Display hex. */
  txid: string;
  index: number;
  sequence: number;
  witnessUtxo: { script: Uint8Array; amount: bigint };
  nonWitnessUtxo?: Uint8Array;
  redeemScript?: Uint8Array;
  witnessScript?: Uint8Array;
  bip32Derivation?: [publicKey: Uint8Array, origin: KeyOrigin][];
  tapInternalKey?: Uint8Array;
  /** Key-path only (no leaf hashes). */
  tapBip32Derivation?: [xOnlyKey: Uint8Array, origin: KeyOrigin][];
  /** PSBT_IN_PROPRIETARY pairs: key after the 0xFC type, value. */
  proprietary?: [key: Uint8Array, value: Uint8Array][];
}

export interface DraftOutput {
  script: Uint8Array;
  amount: bigint;
  redeemScript?: Uint8Array;
  witnessScript?: Uint8Array;
  bip32Derivation?: [publicKey: Uint8Array, origin: KeyOrigin][];
  tapInternalKey?: Uint8Array;
  tapBip32Derivation?: [xOnlyKey: Uint8Array, origin: KeyOrigin][];
}

/** Fingerprint (4 bytes, big-endian as BIP-32 prints it) ‖ each index as u32 LE. */
function origin(o: KeyOrigin): Uint8Array {
  return concatBytes(u32le(o.fingerprint).reverse(), ...o.path.map(u32le));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Keys here are one type byte (all types used are < 0xfd) ‖ key data: byte order sorts them. */
const sorted = (map: KeyValue[]): KeyValue[] => map.sort((x, y) => compareBytes(x[0], y[0]));

function inputMap(input: DraftInput): KeyValue[] {
  const map: KeyValue[] = [];
  if (input.nonWitnessUtxo) map.push([psbtKey(0x00), input.nonWitnessUtxo]);
  map.push([psbtKey(0x01), concatBytes(u64le(input.witnessUtxo.amount), varBytes(input.witnessUtxo.script))]);
  if (input.redeemScript) map.push([psbtKey(0x04), input.redeemScript]);
  if (input.witnessScript) map.push([psbtKey(0x05), input.witnessScript]);
  for (const [key, o] of input.bip32Derivation ?? []) map.push([psbtKey(0x06, key), origin(o)]);
  for (const [key, o] of input.tapBip32Derivation ?? []) map.push([psbtKey(0x16, key), concatBytes(compactSizeBytes(0), origin(o))]);
  if (input.tapInternalKey) map.push([psbtKey(0x17), input.tapInternalKey]);
  for (const [key, value] of input.proprietary ?? []) map.push([psbtKey(0xfc, key), value]);
  return sorted(map);
}

function outputMap(output: DraftOutput): KeyValue[] {
  const map: KeyValue[] = [];
  if (output.redeemScript) map.push([psbtKey(0x00), output.redeemScript]);
  if (output.witnessScript) map.push([psbtKey(0x01), output.witnessScript]);
  for (const [key, o] of output.bip32Derivation ?? []) map.push([psbtKey(0x02, key), origin(o)]);
  if (output.tapInternalKey) map.push([psbtKey(0x05), output.tapInternalKey]);
  for (const [key, o] of output.tapBip32Derivation ?? []) map.push([psbtKey(0x07, key), concatBytes(compactSizeBytes(0), origin(o))]);
  return sorted(map);
}

/**
 * The PSBT of an unsigned transaction with these inputs and outputs.
 * @example encodeDraftPsbt({ version: 2, lockTime: 0, inputs: [...], outputs: [...] })
 */
export function encodeDraftPsbt(tx: { version: number; lockTime: number; inputs: readonly DraftInput[]; outputs: readonly DraftOutput[] }): Uint8Array {
  const unsigned = encodeTx(
    {
      version: tx.version,
      segwitFlag: false,
      inputs: tx.inputs.map((i) => ({ txid: hex.decode(i.txid), index: i.index, finalScriptSig: new Uint8Array(0), sequence: i.sequence })),
      outputs: tx.outputs.map((o) => ({ amount: o.amount, script: o.script })),
      lockTime: tx.lockTime,
    },
    false,
  );
  return encodeRawPsbt({ global: [[psbtKey(0x00), unsigned]], inputs: tx.inputs.map(inputMap), outputs: tx.outputs.map(outputMap) });
}
