/**
 * Previous transactions in a coin's own serialisation, split the way the device asks for them
 * (TXMETA, TXINPUT, TXOUTPUT, TXEXTRADATA): Bitcoin-like ones whose bytes after nLockTime are
 * extra data (a Dash DIP-2 special transaction's payload: version ≥ 3 with a type in the upper
 * 16 bits), and Zcash's overwintered ones (the overwintered bit and version group id in the
 * header; expiry after nLockTime, or for v5 the ZIP-225 header; the shielded tail as extra
 * data). No segwit serialisation: witnesses are not part of what the device hashes.
 *
 * The txid is left to the caller (double SHA-256 of the bytes, or ZIP-244 for Zcash v5), so
 * this module stays free of Zcash's hashes.
 *
 * A PSBT carries such a transaction (which BIP-174's nonWitnessUtxo, a Bitcoin transaction,
 * cannot) in a proprietary input field: PSBT_IN_PROPRIETARY (0xFC), identifier
 * "trezor-direct", subtype 0x00, value the raw transaction ({@link PREV_TX_KEY}).
 */
import type { PrevInput, PrevOutput, PrevTx } from '../messages/index.js';
import { invalidParameter } from '../errors.js';
import { sha256d } from './sighash.js';

/** A previous transaction as the device asks for it. */
export interface ParsedPrevTx {
  meta: PrevTx;
  inputs: PrevInput[];
  outputs: PrevOutput[];
  /** What follows the part the header describes (the device's extra data); may be empty. */
  extra: Uint8Array;
}

const OVERWINTERED = 0x80000000;

/**
 * Key (after the 0xFC type byte) of the proprietary PSBT input field holding a previous
 * transaction nonWitnessUtxo cannot: compactSize(13) ‖ "trezor-direct" ‖ subtype 0.
 * @example input.proprietary = [[PREV_TX_KEY, rawDashTx]]
 */
export const PREV_TX_KEY: Uint8Array = /* @__PURE__ */ Uint8Array.of(13, ...new TextEncoder().encode('trezor-direct'), 0);

/**
 * Split a raw previous transaction; `extraData` allows bytes after the outputs' part (coins
 * whose definition has extra_data: Dash, Zcash).
 * @example parsePrevTx(raw, true).meta.extra_data_len // a DIP-2 payload's length
 */
export function parsePrevTx(raw: Uint8Array, extraData: boolean, field = 'prevTx'): ParsedPrevTx {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let at = 0;
  const fail = (why: string) => invalidParameter(field, `not a raw transaction: ${why}`);
  const need = (n: number) => {
    if (at + n > raw.length) throw fail('truncated');
  };
  const readU32 = () => (need(4), (at += 4), view.getUint32(at - 4, true));
  const readCompact = () => {
    need(1);
    const first = raw[at++]!;
    if (first < 0xfd) return first;
    if (first === 0xfd) return (need(2), (at += 2), view.getUint16(at - 2, true));
    if (first === 0xfe) return readU32();
    throw fail('oversized count');
  };
  const readBytes = (n: number) => (need(n), (at += n), raw.slice(at - n, at));
  const header = readU32();
  const overwintered = extraData && (header & OVERWINTERED) !== 0;
  const version = overwintered ? header & 0x7fffffff : header;
  const meta: PrevTx = { version, lock_time: 0, inputs_count: 0, outputs_count: 0 };
  if (overwintered) meta.version_group_id = readU32();
  if (overwintered && version === 5) {
    meta.branch_id = readU32();
    meta.lock_time = readU32();
    meta.expiry = readU32();
  }
  const inputs: PrevInput[] = [];
  const nInputs = readCompact();
  if (nInputs === 0) throw fail('no inputs (segwit serialisation is not read here)');
  for (let i = 0; i < nInputs; i++) {
    const prev = readBytes(32).reverse();
    const prev_index = readU32();
    const script_sig = readBytes(readCompact());
    inputs.push({ prev_hash: prev, prev_index, script_sig, sequence: readU32() });
  }
  const outputs: PrevOutput[] = [];
  for (let n = readCompact(), i = 0; i < n; i++) {
    need(8);
    const amount = view.getBigUint64(at, true);
    at += 8;
    outputs.push({ amount, script_pubkey: readBytes(readCompact()) });
  }
  if (!(overwintered && version === 5)) {
    meta.lock_time = readU32();
    if (overwintered) meta.expiry = readU32();
  }
  const extra = raw.slice(at);
  if (extra.length && !extraData) throw fail(`${extra.length} bytes after nLockTime`);
  meta.inputs_count = inputs.length;
  meta.outputs_count = outputs.length;
  if (extra.length) meta.extra_data_len = extra.length;
  return { meta, inputs, outputs, extra };
}

/**
 * The reader of previous transactions with extra data that the coins with extra_data carry
 * (CoinInfo.extraData).
 * @example DASH.extraData(raw, 'prevTx').extra // the DIP-2 payload
 */
export function readExtraDataTx(raw: Uint8Array, field: string): ParsedPrevTx {
  return parsePrevTx(raw, true, field);
}

/**
 * The previous transaction of a PSBT input held in the proprietary field ({@link PREV_TX_KEY}),
 * read with the coin's reader (CoinInfo.extraData) and checked to hash to the input's txid
 * (`txid` in display order); undefined when the input has none.
 * @example ownPrevTx(input.proprietary, txid, coin.extraData, 'psbt.inputs[0].proprietary')
 */
export function ownPrevTx(
  proprietary: readonly (readonly [Uint8Array, Uint8Array])[] | undefined,
  txid: Uint8Array,
  read: ((raw: Uint8Array, field: string) => ParsedPrevTx) | undefined,
  field: string,
): ParsedPrevTx | undefined {
  const entry = proprietary?.find(([key]) => key.length === PREV_TX_KEY.length && key.every((b, i) => b === PREV_TX_KEY[i]));
  if (!entry) return undefined;
  if (!read) throw invalidParameter(field, "holds a previous transaction with extra data, which this coin's transactions do not have");
  const parsed = read(entry[1], field);
  const id = sha256d(entry[1]).reverse();
  if (!id.every((b, i) => b === txid[i])) throw invalidParameter(field, 'the previous transaction does not hash to the input txid');
  return parsed;
}
