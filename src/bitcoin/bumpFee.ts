/**
 * Fee bumps (BIP-125 replace-by-fee) of an unconfirmed transaction of the device's wallet, as
 * an unsigned PSBT that signPsbt signs with the original passed as `origTxs`, so that the
 * device shows "update TXID … fee increased by …" instead of a new payment.
 *
 * The replacement keeps everything the device checks against the original: the same inputs in
 * the same order (the firmware refuses removing or rearranging original inputs), the same
 * outputs in the same order, version and lock time; only the change output shrinks by the fee
 * increase. The inputs carry what a signer needs (as createPsbt writes them: witnessUtxo,
 * nonWitnessUtxo, BIP-32 derivations, redeemScript) and nSequence 0xfffffffd unless the
 * original's was lower (BIP-125 signalling, so the bump can be bumped again).
 *
 * The new fee follows Bitcoin Core's replacement rules (BIP-125 rules 3 and 4,
 * doc/policy/mempool-replacements.md): it pays at least the original's fee plus the
 * incremental relay fee (1 sat/vB, DEFAULT_INCREMENTAL_RELAY_FEE) for the replacement's own
 * size, and a higher fee rate than the original. The replacement's size is estimated with the
 * largest signatures (72-byte DER + sighash byte; 64-byte BIP-340), so the rate paid is never
 * below the one asked for. The original's fee comes from the UTXOs it spends: each must be
 * listed with its previous transaction, which is checked as createPsbt checks it.
 */
import { hex } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { decodeTx as decodeRawTx, encodeTx, type RawTransaction } from './rawTx.js';
import { invalidParameter } from '../errors.js';
import { parsePath, type Path } from '../path.js';
import { AccountKeys, type AccountKey } from './accounts.js';
import { keyScript, xOnly } from './address.js';
import { getCoin, resolveScriptType, type CoinName, type ScriptType } from './coins.js';
import { dustThreshold, type Utxo } from './createPsbt.js';
import { compactSize, txidOf } from './sighash.js';

export interface BumpFeeParameters {
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName;
  /** The account key(s) the inputs and the change belong to (getPublicKey results). */
  account: AccountKey | AccountKey[];
  /** The transaction to replace, as broadcast (signed raw transaction, hex or bytes). */
  tx: string | Uint8Array;
  /** The UTXOs it spends, one per input (as for createPsbt: txid, vout, amount, path, prevTx). */
  utxos: Utxo[];
  /** Its change output, by key path: that output pays the fee increase. */
  change: { path: Path; scriptType?: ScriptType };
  /** The new fee rate in sat/vB: above the original's. */
  feeRate: number;
  /** nSequence of every input; default each original's if at most 0xfffffffd, else 0xfffffffd. */
  sequence?: number;
}

export interface BumpFeeReturnType {
  /** The unsigned replacement; sign it with signPsbt(trezor, psbt, { origTxs: [tx] }). */
  psbt: Uint8Array;
  /** Its fee in satoshis. */
  fee: bigint;
  /** The fee of the transaction it replaces. */
  originalFee: bigint;
  /** Its estimated virtual size (vB), with the largest signatures. */
  vsize: number;
}

/** Bitcoin Core DEFAULT_INCREMENTAL_RELAY_FEE and DEFAULT_MIN_RELAY_TX_FEE, sat/vB (policy.h before v29.1). */
const INCREMENTAL_RELAY_FEE = 1;
const MIN_RELAY_FEE = 1;
/** BIP-125: an input signals replaceability with nSequence below 0xfffffffe. */
const SEQUENCE_RBF = 0xfffffffd;

/** Weight of one signed input with the largest signature: non-witness bytes × 4 + witness bytes. */
const INPUT_WEIGHT: Record<ScriptType, number> = {
  p2pkh: 4 * (32 + 4 + 1 + 1 + 73 + 1 + 33 + 4),
  'p2sh-p2wpkh': 4 * (32 + 4 + 1 + 23 + 4) + (1 + 1 + 73 + 1 + 33),
  p2wpkh: 4 * (32 + 4 + 1 + 4) + (1 + 1 + 73 + 1 + 33),
  p2tr: 4 * (32 + 4 + 1 + 4) + (1 + 1 + 64),
};

function estimateVsize(types: ScriptType[], scripts: Uint8Array[]): number {
  const segwit = types.some((t) => t !== 'p2pkh');
  let weight = 4 * (4 + 4 + compactSize(types.length).length + compactSize(scripts.length).length);
  for (const script of scripts) weight += 4 * (8 + compactSize(script.length).length + script.length);
  for (const type of types) weight += INPUT_WEIGHT[type] + (segwit && type === 'p2pkh' ? 1 : 0);
  if (segwit) weight += 2;
  return Math.ceil(weight / 4);
}

function rawBytes(value: unknown, field: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string' && /^([0-9a-fA-F]{2})+$/.test(value)) return hex.decode(value.toLowerCase());
  throw invalidParameter(field, 'expected a raw transaction (hex or bytes)');
}

function decodeTx(value: unknown, field: string): RawTransaction {
  return decodeRawTx(rawBytes(value, field), (problem) => invalidParameter(field, `not a raw transaction: ${problem}`));
}

/**
 * An unsigned replacement of `tx` at a higher fee rate, the change paying the difference.
 * @example
 * const { psbt } = bumpFee({ coin: 'Testnet', account, tx: stuckTxHex, utxos, change: { path: "m/84'/1'/0'/1/0" }, feeRate: 12 });
 * const { tx } = await signPsbt(trezor, psbt, { coin: 'Testnet', origTxs: [stuckTxHex] });
 */
export function bumpFee(params: BumpFeeParameters): BumpFeeReturnType {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected an object');
  const coin = getCoin(params.coin);
  const keys = new AccountKeys(params.account);
  const { feeRate } = params;
  if (typeof feeRate !== 'number' || !Number.isFinite(feeRate) || feeRate < MIN_RELAY_FEE || feeRate > 100_000) {
    throw invalidParameter('feeRate', `expected a number of sat/vB between ${MIN_RELAY_FEE} (minimum relay fee) and 100000`);
  }
  if (params.sequence !== undefined && (!Number.isInteger(params.sequence) || params.sequence < 0 || params.sequence > 0xffffffff)) {
    throw invalidParameter('sequence', 'expected a u32');
  }
  const original = decodeTx(params.tx, 'tx');
  if (!Array.isArray(params.utxos)) throw invalidParameter('utxos', 'expected the UTXOs the transaction spends');

  // Each input of the original, with its UTXO: key, script and previous transaction checked.
  const byOutpoint = new Map<string, number>();
  params.utxos.forEach((u, i) => {
    if (typeof u !== 'object' || u === null || typeof u.txid !== 'string') throw invalidParameter(`utxos[${i}]`, 'expected { txid, vout, amount, path, prevTx }');
    byOutpoint.set(`${u.txid.toLowerCase()}:${u.vout}`, i);
  });
  const tx = new Transaction({ version: original.version, lockTime: original.lockTime, allowUnknownOutputs: true });
  const types: ScriptType[] = [];
  let totalIn = 0n;
  const used = new Set<number>();
  original.inputs.forEach((input, j) => {
    const outpoint = `${hex.encode(input.txid)}:${input.index}`;
    const i = byOutpoint.get(outpoint);
    if (i === undefined) throw invalidParameter('utxos', `misses ${outpoint}, which input ${j} of the transaction spends`);
    used.add(i);
    const u = params.utxos[i]!;
    const field = `utxos[${i}]`;
    const addressN = parsePath(u.path, `${field}.path`);
    const type = resolveScriptType(addressN, u.scriptType, coin, `${field}.scriptType`);
    const { publicKey, rootFingerprint } = keys.derive(addressN, `${field}.path`);
    const { script, redeemScript } = keyScript(type, publicKey);
    if (u.prevTx === undefined) throw invalidParameter(`${field}.prevTx`, 'required: the amount of the input is checked against it');
    const prevRaw = rawBytes(u.prevTx, `${field}.prevTx`);
    const prev = decodeTx(prevRaw, `${field}.prevTx`);
    if (hex.encode(txidOf(prev)) !== hex.encode(input.txid)) throw invalidParameter(`${field}.prevTx`, `does not hash to txid ${hex.encode(input.txid)}`);
    const out = prev.outputs[input.index];
    if (!out || hex.encode(out.script) !== hex.encode(script)) {
      throw invalidParameter(`${field}.path`, `output ${input.index} of the previous transaction is not paid to the ${type} key at this path`);
    }
    const claimed = typeof u.amount === 'bigint' ? u.amount : Number.isSafeInteger(u.amount) ? BigInt(u.amount) : undefined;
    if (claimed === undefined) throw invalidParameter(`${field}.amount`, 'expected an integer number of satoshis (bigint or safe integer)');
    if (claimed !== out.amount) throw invalidParameter(`${field}.amount`, `the previous transaction says ${out.amount} sat`);
    totalIn += out.amount;
    types.push(type);
    const der = { fingerprint: rootFingerprint, path: addressN };
    tx.addInput({
      txid: input.txid,
      index: input.index,
      sequence: params.sequence ?? Math.min(input.sequence, SEQUENCE_RBF),
      witnessUtxo: { script, amount: out.amount },
      nonWitnessUtxo: prevRaw,
      ...(redeemScript ? { redeemScript } : {}),
      ...(type === 'p2tr' ? { tapInternalKey: xOnly(publicKey), tapBip32Derivation: [[xOnly(publicKey), { hashes: [], der }]] } : { bip32Derivation: [[publicKey, der]] }),
    });
  });
  params.utxos.forEach((_, i) => {
    if (!used.has(i)) throw invalidParameter(`utxos[${i}]`, 'is not spent by the transaction to bump (a fee bump keeps the same inputs)');
  });

  // The change output: the one paying the key at change.path.
  if (typeof params.change !== 'object' || params.change === null) throw invalidParameter('change', 'expected { path }');
  const changeN = parsePath(params.change.path, 'change.path');
  const changeType = resolveScriptType(changeN, params.change.scriptType, coin, 'change.scriptType');
  const changeKey = keys.derive(changeN, 'change.path');
  const changeScript = keyScript(changeType, changeKey.publicKey);
  const changeIndex = original.outputs.findIndex((o) => hex.encode(o.script) === hex.encode(changeScript.script));
  if (changeIndex < 0) throw invalidParameter('change.path', 'no output of the transaction pays to it');

  // Fees: BIP-125 rules 3 and 4, and a higher rate than the original's.
  const totalOut = original.outputs.reduce((sum, o) => sum + o.amount, 0n);
  const originalFee = totalIn - totalOut;
  if (originalFee < 0n) throw invalidParameter('utxos', `the inputs (${totalIn} sat) pay less than the outputs (${totalOut} sat)`);
  const stripped = encodeTx(original, false).length;
  const originalVsize = Math.ceil((3 * stripped + rawBytes(params.tx, 'tx').length) / 4);
  const vsize = estimateVsize(types, original.outputs.map((o) => o.script));
  const fee = BigInt(Math.ceil(feeRate * vsize));
  const originalRate = Number(originalFee) / originalVsize;
  if (feeRate <= originalRate) throw invalidParameter('feeRate', `must be above the original's ${originalRate.toFixed(2)} sat/vB`);
  const minimum = originalFee + BigInt(Math.ceil(INCREMENTAL_RELAY_FEE * vsize));
  if (fee < minimum) {
    throw invalidParameter('feeRate', `BIP-125 needs a fee of at least ${minimum} sat (the original's plus ${INCREMENTAL_RELAY_FEE} sat/vB): at least ${(Number(minimum) / vsize).toFixed(2)} sat/vB`);
  }
  const change = original.outputs[changeIndex]!;
  const newChange = change.amount - (fee - originalFee);
  const dust = dustThreshold(change.script);
  if (newChange < dust) throw invalidParameter('feeRate', `the change (${change.amount} sat) cannot pay ${fee - originalFee} sat more and stay above dust (${dust} sat)`);

  original.outputs.forEach((o, j) => tx.addOutput({ script: o.script, amount: j === changeIndex ? newChange : o.amount }));
  const der = { fingerprint: changeKey.rootFingerprint, path: changeN };
  tx.updateOutput(
    changeIndex,
    changeType === 'p2tr'
      ? { tapInternalKey: xOnly(changeKey.publicKey), tapBip32Derivation: [[xOnly(changeKey.publicKey), { hashes: [], der }]] }
      : { bip32Derivation: [[changeKey.publicKey, der]], ...(changeScript.redeemScript ? { redeemScript: changeScript.redeemScript } : {}) },
  );
  return { psbt: tx.toPSBT(0), fee, originalFee, vsize };
}
