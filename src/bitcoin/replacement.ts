/**
 * Replacement transactions for signPsbt: a fee bump (BIP-125 RBF) or a changed payment, signed
 * so that the device shows it as a change to the original rather than as a new payment.
 *
 * The firmware signs a replacement only when it can check it against the original: every input
 * and output of the new transaction that continues one of the original's carries `orig_hash`
 * (the original's txid) and `orig_index`, and the device then streams the original itself with
 * TxRequests of their own (TXMETA, TXORIGINPUT, TXORIGOUTPUT, `tx_hash` = orig_hash), hashes it
 * to check its TXID, and verifies its signatures, so that only a transaction this wallet signed
 * can be replaced (trezor-firmware core/src/apps/bitcoin/sign_tx/bitcoin.py
 * process_original_input, get_original_output, fetch_removed_original_outputs,
 * verify_original_txs; legacy/firmware/signing.c). The caller passes the original(s) as
 * broadcast; this module links them to the PSBT and precomputes every answer:
 *
 * - inputs by outpoint: every input of an original must be spent again, in the original's order
 *   (the firmware refuses "Removal of original inputs" and "Rearranging or removal of original
 *   inputs"). The original's input goes to the device as the new one does (key path, script
 *   type, amount) with the original's nSequence, scriptSig and witness: its signatures.
 * - outputs by script, in the original's order: a new output paying the same script as an
 *   output of the original continues it. Original outputs the PSBT drops must be change, and the
 *   device must be told their key path (`changePaths`); an external output cannot be dropped.
 *   An original output continued by a change output goes as change too (the firmware demands
 *   it: "Original output is missing change-output parameters"), OP_RETURN as PAYTOOPRETURN,
 *   any other by its address.
 *
 * Whatever cannot work is InvalidParameters naming the field (`origTxs[0].inputs[1]`, …) before
 * anything reaches the device. Firmware that predates replacement (Trezor One < 1.9.4, Core
 * < 2.3.5, their CHANGELOGs) gets NotSupported.
 */
import { hex } from '@scure/base';
import { decodeTx, encodeWitness, type RawTransaction } from './rawTx.js';
import { invalidParameter, protocolError } from '../errors.js';
import type { MessageMap, PrevTx, TxInput, TxOutput } from '../messages/index.js';
import { formatPath, parsePath, type Path } from '../path.js';
import { requireFirmware, type VersionFeatures } from '../session/firmware.js';
import type { CallFn } from '../session/trezor.js';
import { scriptAddress, scriptKind } from './address.js';
import type { CoinInfo } from './coins.js';
import { opReturnData } from './opReturn.js';
import { txidOf } from './sighash.js';

/** An original transaction with the key paths of change outputs the replacement drops. */
export interface OriginalTransaction {
  /** The original as broadcast, signed: raw transaction hex or bytes. */
  tx: string | Uint8Array;
  /** Output index → key path, for change outputs of the original that the PSBT no longer has. */
  changePaths?: Record<number, Path>;
}

/** A transaction a PSBT replaces: signed raw hex or bytes, or with change paths. */
export type OrigTx = string | Uint8Array | OriginalTransaction;

/** Everything the device may ask about one original transaction. */
export interface OrigTxPlan {
  /** Its position in `origTxs`. */
  index: number;
  /** Its txid (display order, as orig_hash). */
  hash: Uint8Array;
  meta: PrevTx;
  inputs: TxInput[];
  outputs: TxOutput[];
}

/** What linking needs of a signing plan: the TxInput/TxOutput messages it will send (they get orig_hash / orig_index). */
export interface ReplacementTarget {
  inputs: { message: TxInput }[];
  outputs: TxOutput[];
  outputScripts: { amount: bigint; script: Uint8Array }[];
  prevTxs: Map<string, unknown>;
}

type DecodedTx = RawTransaction;

/** First firmware that signs replacement transactions (legacy 1.9.4 and core 2.3.5 CHANGELOGs). */
const REPLACEMENT_SINCE = { one: [1, 9, 4], core: [2, 3, 5] } as const;

/**
 * NotSupported, before anything is sent, when the firmware cannot sign replacements.
 * @example requireReplacement(trezor.features)
 */
export function requireReplacement(features: VersionFeatures | undefined): void {
  requireFirmware(features, REPLACEMENT_SINCE.one, REPLACEMENT_SINCE.core, 'Replacement transactions (origTxs)');
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function parseOriginal(value: unknown, field: string): { tx: DecodedTx; hash: Uint8Array; changePaths: Map<number, number[]> } {
  const source: { tx: unknown; changePaths?: Record<number, unknown> } =
    typeof value === 'object' && value !== null && !(value instanceof Uint8Array) ? (value as OriginalTransaction) : { tx: value };
  const raw = source.tx;
  let bytes: Uint8Array;
  if (raw instanceof Uint8Array) bytes = raw;
  else if (typeof raw === 'string' && /^([0-9a-fA-F]{2})+$/.test(raw.trim())) bytes = hex.decode(raw.trim().toLowerCase());
  else throw invalidParameter(field, 'expected a signed raw transaction (hex or bytes), or { tx, changePaths }');
  const tx = decodeTx(bytes, (problem) => invalidParameter(field, `not a raw transaction: ${problem}`));
  if (!tx.inputs.length || !tx.outputs.length) throw invalidParameter(field, 'a transaction needs inputs and outputs');
  const changePaths = new Map<number, number[]>();
  if (source.changePaths !== undefined) {
    if (typeof source.changePaths !== 'object' || source.changePaths === null) throw invalidParameter(`${field}.changePaths`, 'expected { [outputIndex]: path }');
    for (const [key, path] of Object.entries(source.changePaths)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= tx.outputs.length) {
        throw invalidParameter(`${field}.changePaths`, `${key} is not an output index of the original (it has ${tx.outputs.length})`);
      }
      changePaths.set(index, parsePath(path as Path, `${field}.changePaths[${index}]`));
    }
  }
  return { tx, hash: txidOf(tx), changePaths };
}

/** The change script type the device compiles for an output script of ours. */
function changeScriptType(script: Uint8Array): TxOutput['script_type'] | undefined {
  const kind = scriptKind(script);
  if (kind?.type === 'pkh') return 'PAYTOADDRESS';
  if (kind?.type === 'sh') return 'PAYTOP2SHWITNESS';
  if (kind?.type === 'witness' && kind.version === 0 && kind.program.length === 20) return 'PAYTOWITNESS';
  if (kind?.type === 'witness' && kind.version === 1 && kind.program.length === 32) return 'PAYTOTAPROOT';
  return undefined;
}

/**
 * Link a signing plan to the transactions it replaces: sets orig_hash / orig_index on the
 * plan's input and output messages, and returns the answers about each original by txid.
 * @example plan.origTxs = linkOriginals(options.origTxs, plan, coin)
 */
export function linkOriginals(origTxs: unknown, target: ReplacementTarget, coin: CoinInfo): Map<string, OrigTxPlan> {
  if (!Array.isArray(origTxs)) throw invalidParameter('origTxs', 'expected an array of the signed transactions this PSBT replaces');
  const originals = origTxs.map((value, k) => parseOriginal(value, `origTxs[${k}]`));
  const plans = new Map<string, OrigTxPlan>();

  // Inputs: by outpoint, each original's in its own order.
  const byOutpoint = new Map<string, number>();
  target.inputs.forEach(({ message }, i) => byOutpoint.set(`${hex.encode(message.prev_hash)}:${message.prev_index}`, i));
  const linkedInput = new Map<number, string>();
  originals.forEach(({ tx, hash }, k) => {
    const field = `origTxs[${k}]`;
    const id = hex.encode(hash);
    if (plans.has(id)) throw invalidParameter(field, `is listed twice (txid ${id})`);
    if (target.prevTxs.has(id)) throw invalidParameter(field, `the PSBT spends an output of ${id}, so it cannot also replace it`);
    const inputs: TxInput[] = [];
    let last = -1;
    tx.inputs.forEach((input, j) => {
      const outpoint = `${hex.encode(input.txid)}:${input.index}`;
      const i = byOutpoint.get(outpoint);
      if (i === undefined) {
        throw invalidParameter(`${field}.inputs[${j}]`, `spends ${outpoint}, which the PSBT does not: a replacement spends every input of the original (the device refuses to drop one)`);
      }
      const other = linkedInput.get(i);
      if (other !== undefined) throw invalidParameter(`psbt.inputs[${i}]`, `replaces an input of ${other} and of ${field}`);
      if (i < last) throw invalidParameter('psbt.inputs', `spend the inputs of ${field} in another order than the original (the device refuses rearranged inputs)`);
      last = i;
      linkedInput.set(i, field);
      const witness = tx.witnesses?.[j] ?? [];
      if (!input.finalScriptSig.length && !witness.length) {
        throw invalidParameter(`${field}.inputs[${j}]`, 'carries no signature: pass the original as it was broadcast (the device verifies its signatures)');
      }
      const message = target.inputs[i]!.message;
      // The original's input is the new one (key path, script type, amount) with its own nSequence and signatures.
      const { orig_hash: _hash, orig_index: _index, script_sig: _sig, witness: _witness, ...same } = message;
      inputs.push({ ...same, sequence: input.sequence, script_sig: input.finalScriptSig, ...(witness.length ? { witness: encodeWitness(witness) } : {}) });
      message.orig_hash = hash;
      message.orig_index = j;
    });
    plans.set(id, {
      index: k,
      hash,
      meta: { version: tx.version >>> 0, lock_time: tx.lockTime, inputs_count: tx.inputs.length, outputs_count: tx.outputs.length },
      inputs,
      outputs: new Array<TxOutput>(tx.outputs.length),
    });
  });

  // Outputs: by script, each original's in its own order; what is skipped must be change.
  const next = originals.map(() => 0);
  const dropped = (k: number, from: number, to: number) => {
    for (let j = from; j < to; j++) {
      const { tx, changePaths } = originals[k]!;
      const path = changePaths.get(j);
      const type = changeScriptType(tx.outputs[j]!.script);
      if (!path || !type) {
        throw invalidParameter(
          `origTxs[${k}].outputs[${j}]`,
          path
            ? 'is not a script the device can derive as change'
            : 'is not in the PSBT (or not in the original order): the device drops only change outputs of the original, and needs their key path in changePaths',
        );
      }
      plans.get(hex.encode(originals[k]!.hash))!.outputs[j] = { address_n: path, amount: tx.outputs[j]!.amount, script_type: type };
    }
  };
  target.outputScripts.forEach(({ script }, i) => {
    for (let k = 0; k < originals.length; k++) {
      const { tx, hash, changePaths } = originals[k]!;
      let j = next[k]!;
      while (j < tx.outputs.length && !equal(tx.outputs[j]!.script, script)) j++;
      if (j === tx.outputs.length) continue;
      const field = `origTxs[${k}].outputs[${j}]`;
      dropped(k, next[k]!, j);
      next[k] = j + 1;
      const message = target.outputs[i]!;
      plans.get(hex.encode(hash))!.outputs[j] = originalOutput(tx.outputs[j]!, message, changePaths.get(j), coin, field);
      message.orig_hash = hash;
      message.orig_index = j;
      return;
    }
  });
  originals.forEach(({ tx }, k) => dropped(k, next[k]!, tx.outputs.length));
  return plans;
}

/** The original's output as the device wants it, given the new output that continues it. */
function originalOutput(output: { amount: bigint; script: Uint8Array }, continued: TxOutput, changePath: number[] | undefined, coin: CoinInfo, field: string): TxOutput {
  const data = opReturnData(output.script);
  if (data) {
    if (output.amount !== 0n) throw invalidParameter(field, 'an OP_RETURN output with a non-zero amount, which the device does not sign');
    return { amount: 0n, script_type: 'PAYTOOPRETURN', op_return_data: data };
  }
  if (continued.address_n?.length) {
    if (changePath && formatPath(changePath) !== formatPath(continued.address_n)) {
      throw invalidParameter(field, `changePaths says ${formatPath(changePath)}, the PSBT's change output ${formatPath(continued.address_n)}`);
    }
    const { orig_hash: _hash, orig_index: _index, ...change } = continued;
    return { ...change, amount: output.amount };
  }
  if (changePath) {
    const type = changeScriptType(output.script);
    if (!type) throw invalidParameter(field, 'is not a script the device can derive as change');
    return { address_n: changePath, amount: output.amount, script_type: type };
  }
  const address = scriptAddress(coin, output.script);
  if (!address) throw invalidParameter(field, `has no ${coin.name} address form the device could show`);
  return { address, amount: output.amount, script_type: 'PAYTOADDRESS' };
}

/**
 * The TxAck for a TxRequest about an original transaction (tx_hash = its txid).
 * @example if (orig) return answerOriginal(call, request, orig, { signal })
 */
export function answerOriginal(call: CallFn, request: MessageMap['TxRequest'], orig: OrigTxPlan, options: { signal?: AbortSignal | undefined }) {
  const index = request.details?.request_index ?? 0;
  const what = `the original transaction ${hex.encode(orig.hash)}`;
  switch (request.request_type) {
    case 'TXMETA':
      return call('TxAckPrevMeta', { tx: orig.meta }, options);
    case 'TXORIGINPUT': {
      const input = orig.inputs[index];
      if (!input) throw protocolError(`The device asked for input ${index} of ${what}, which has ${orig.inputs.length}`);
      return call('TxAckInput', { tx: { input } }, options);
    }
    case 'TXORIGOUTPUT': {
      const output = orig.outputs[index];
      if (!output) throw protocolError(`The device asked for output ${index} of ${what}, which has ${orig.outputs.length}`);
      return call('TxAckOutput', { tx: { output } }, options);
    }
    default:
      throw protocolError(`Unexpected request ${String(request.request_type)} about ${what}`);
  }
}
