/**
 * The signtx vectors of test/fixtures/vectors/btc-complete.json as this library takes them: a
 * PSBT (inputs with their derivations and previous transactions, change outputs with theirs,
 * OP_RETURN outputs), and the original transactions of replacement vectors as raw signed
 * transactions (`origTxs`). The vectors give previous and original transactions in the
 * firmware's txcache JSON form (trezor-firmware tests/txcache); this module serialises them,
 * deriving the scripts of change outputs from the SLIP-14 seed where the JSON names only a path.
 * Nothing here looks at a vector's `orig_hash` / `orig_index`: those are what the library must
 * find on its own, and the tests compare them.
 */
import { hex } from '@scure/base';
import { RawTx, RawWitness, Transaction } from '@scure/btc-signer';
import { addressScript, keyScript, xOnly } from '../../src/bitcoin/address.js';
import { getCoin, type ScriptType } from '../../src/bitcoin/coins.js';
import { opReturnScript } from '../../src/bitcoin/opReturn.js';
import type { OrigTx } from '../../src/bitcoin/replacement.js';
import { formatPath, parsePath } from '../../src/path.js';
import { ROOT_FINGERPRINT, publicKeyAt } from './bitcoin-wallet.js';
import { fixturePath } from './fixtures.js';
import { readFileSync } from 'node:fs';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Vector = any;

/** Every signtx vector of btc-complete.json. */
export function signTxVectors(): Vector[] {
  const data = JSON.parse(readFileSync(fixturePath('vectors/btc-complete.json'), 'utf8'));
  const list = data.vectors.filter((v: Vector) => v.kind === 'signtx');
  if (!list.length) throw new Error('btc-complete.json has no signtx vectors');
  return list;
}

const INPUT_TYPES: Record<string, ScriptType> = { SPENDADDRESS: 'p2pkh', SPENDP2SHWITNESS: 'p2sh-p2wpkh', SPENDWITNESS: 'p2wpkh', SPENDTAPROOT: 'p2tr' };
const CHANGE_TYPES: Record<string, ScriptType> = { PAYTOADDRESS: 'p2pkh', PAYTOP2SHWITNESS: 'p2sh-p2wpkh', PAYTOWITNESS: 'p2wpkh', PAYTOTAPROOT: 'p2tr' };

function pathOf(addressN: string | number[]): string {
  return typeof addressN === 'string' ? addressN : formatPath(addressN);
}

/** The script of a txcache / TxOutputType output: address, key path + script type, or OP_RETURN data. */
function outputScript(output: Vector, coinName: string): Uint8Array {
  if (output.script_pubkey) return hex.decode(output.script_pubkey);
  if (output.op_return_data !== undefined) return opReturnScript(hex.decode(output.op_return_data));
  if (output.address) {
    const script = addressScript(getCoin(coinName), output.address);
    if (!script) throw new Error(`vector address ${output.address} is not a ${coinName} address`);
    return script;
  }
  const type = CHANGE_TYPES[output.script_type ?? 'PAYTOADDRESS'];
  if (!type || !output.address_n) throw new Error(`vector output ${JSON.stringify(output)} has no script form here`);
  return keyScript(type, publicKeyAt(pathOf(output.address_n))).script;
}

/** A txcache JSON transaction (previous or original) serialised, with witnesses where it has them. */
export function cacheTx(json: Vector, coinName: string): Uint8Array {
  const witnesses = json.inputs.map((input: Vector) => (input.witness ? RawWitness.decode(hex.decode(input.witness)) : []));
  const segwit = witnesses.some((w: Uint8Array[]) => w.length > 0);
  const outputs = json.bin_outputs ?? json.outputs;
  return RawTx.encode({
    version: json.version,
    segwitFlag: segwit,
    inputs: json.inputs.map((input: Vector) => ({
      txid: hex.decode(input.prev_hash),
      index: input.prev_index,
      finalScriptSig: hex.decode(input.script_sig ?? ''),
      sequence: input.sequence ?? 0xffffffff,
    })),
    outputs: outputs.map((output: Vector) => ({ amount: BigInt(output.amount), script: outputScript(output, coinName) })),
    witnesses: segwit ? witnesses : undefined,
    lockTime: json.lock_time ?? 0,
  });
}

/** The unsigned PSBT of a vector: what a wallet would hand signPsbt. */
export function vectorPsbt(v: Vector): Uint8Array {
  const opts = v.sign_tx_options ?? {};
  const tx = new Transaction({ version: opts.version ?? 1, lockTime: opts.lock_time ?? 0, allowUnknownOutputs: true });
  const taprootOnly = v.inputs.every((i: Vector) => i.script_type === 'SPENDTAPROOT');
  for (const input of v.inputs) {
    const type = INPUT_TYPES[input.script_type ?? 'SPENDADDRESS'];
    if (!type) throw new Error(`vector input type ${input.script_type} is not a single-key one`);
    const path = pathOf(input.address_n);
    const key = publicKeyAt(path);
    const { script, redeemScript } = keyScript(type, key);
    const der = { fingerprint: ROOT_FINGERPRINT, path: parsePath(path) };
    const prev = v.prev_txs?.[input.prev_hash];
    tx.addInput({
      txid: input.prev_hash,
      index: input.prev_index,
      sequence: input.sequence ?? 0xffffffff,
      witnessUtxo: { script, amount: BigInt(input.amount) },
      ...(prev && !taprootOnly ? { nonWitnessUtxo: cacheTx(prev, v.coin) } : {}),
      ...(redeemScript ? { redeemScript } : {}),
      ...(type === 'p2tr' ? { tapInternalKey: xOnly(key), tapBip32Derivation: [[xOnly(key), { hashes: [], der }]] } : { bip32Derivation: [[key, der]] }),
    });
  }
  for (const output of v.outputs) {
    const script = outputScript(output, v.coin);
    tx.addOutput({ script, amount: BigInt(output.amount) });
    if (output.address_n) {
      const path = pathOf(output.address_n);
      const key = publicKeyAt(path);
      const der = { fingerprint: ROOT_FINGERPRINT, path: parsePath(path) };
      const type = CHANGE_TYPES[output.script_type ?? 'PAYTOADDRESS']!;
      tx.updateOutput(
        tx.outputsLength - 1,
        type === 'p2tr'
          ? { tapInternalKey: xOnly(key), tapBip32Derivation: [[xOnly(key), { hashes: [], der }]] }
          : { bip32Derivation: [[key, der]], ...(keyScript(type, key).redeemScript ? { redeemScript: keyScript(type, key).redeemScript! } : {}) },
      );
    }
  }
  return tx.toPSBT(0);
}

/**
 * The originals of a replacement vector as signPsbt takes them: raw signed transactions, with
 * the key paths of change outputs the replacement drops (only those: the others the library
 * must recognise from the PSBT's own change outputs).
 */
export function vectorOrigTxs(v: Vector): { txid: string; raw: Uint8Array; origTx: OrigTx }[] {
  const newScripts = new Set(v.outputs.map((o: Vector) => hex.encode(outputScript(o, v.coin))));
  return Object.entries(v.orig_txs ?? {}).map(([txid, json]: [string, Vector]) => {
    const raw = cacheTx(json, v.coin);
    const changePaths: Record<number, string> = {};
    json.outputs.forEach((output: Vector, j: number) => {
      if (output.address_n && !newScripts.has(hex.encode(outputScript(output, v.coin)))) changePaths[j] = pathOf(output.address_n);
    });
    return { txid, raw, origTx: Object.keys(changePaths).length ? { tx: raw, changePaths } : raw };
  });
}
