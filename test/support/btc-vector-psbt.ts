/**
 * The firmware's SignTx test vectors (test/fixtures/vectors/btc-complete.json, trezorlib's
 * sign_tx arguments with their previous transactions) written as the PSBT a wallet would hand
 * to signPsbt: every input's previous transaction and spent output, the device's key
 * derivations (the seed the test loads, SLIP-14 for most), multisig scripts with every
 * cosigner's derivation, the cosigners' signatures as partialSig, their account xpubs as
 * PSBT_GLOBAL_XPUB, external inputs with their final scripts or ownership proof. The data is
 * the vector's; nothing here computes an expected value.
 */
import { hex } from '@scure/base';
import { RawPSBTV0 } from '@scure/btc-signer/psbt.js';
import { RawTx, Transaction } from '@scure/btc-signer';
import { RawWitness } from '@scure/btc-signer/script.js';
import { addressScript, keyScript, xOnly } from '../../src/bitcoin/address.js';
import { getCoin, type CoinName, type ScriptType } from '../../src/bitcoin/coins.js';
import { ownershipProofFields } from '../../src/bitcoin/external.js';
import { multisigPayment, multisigScript, type MultisigScriptType } from '../../src/bitcoin/multisig.js';
import { decodeXpub } from '../../src/bitcoin/xpub.js';
import { parsePath } from '../../src/path.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Vector = any;

const SINGLE: Record<string, ScriptType> = {
  SPENDADDRESS: 'p2pkh',
  SPENDP2SHWITNESS: 'p2sh-p2wpkh',
  SPENDWITNESS: 'p2wpkh',
  SPENDTAPROOT: 'p2tr',
  PAYTOADDRESS: 'p2pkh',
  PAYTOP2SHWITNESS: 'p2sh-p2wpkh',
  PAYTOWITNESS: 'p2wpkh',
  PAYTOTAPROOT: 'p2tr',
};
const MULTI: Record<string, MultisigScriptType> = {
  SPENDADDRESS: 'p2sh',
  SPENDMULTISIG: 'p2sh',
  SPENDP2SHWITNESS: 'p2sh-p2wsh',
  SPENDWITNESS: 'p2wsh',
  PAYTOADDRESS: 'p2sh',
  PAYTOMULTISIG: 'p2sh',
  PAYTOP2SHWITNESS: 'p2sh-p2wsh',
  PAYTOWITNESS: 'p2wsh',
};

/** A txcache transaction (TransactionType JSON) serialised without witnesses. */
export function rawPrevTx(prev: any): Uint8Array {
  return RawTx.encode({
    version: prev.version,
    segwitFlag: false,
    inputs: prev.inputs.map((i: any) => ({
      txid: hex.decode(i.prev_hash),
      index: i.prev_index,
      finalScriptSig: hex.decode(i.script_sig ?? ''),
      sequence: i.sequence ?? 0xffffffff,
    })),
    outputs: prev.bin_outputs.map((o: any) => ({ amount: BigInt(o.amount), script: hex.decode(o.script_pubkey) })),
    witnesses: [],
    lockTime: prev.lock_time ?? 0,
  });
}

/** Why the vector cannot be a PSBT for signPsbt, or undefined. */
export function notAPsbt(vector: Vector): string | undefined {
  if (vector.prev_txs_forged?.length) return 'its previous transaction is forged (trezorlib forge_prevtx): a PSBT nonWitnessUtxo must hash to the input txid, which signPsbt checks';
  if (vector.orig_txs) return 'a replacement transaction (orig_txs), not part of this suite';
  return undefined;
}

interface Cosigner {
  publicKey: Uint8Array;
  origin?: { fingerprint: number; path: number[] };
  xpub?: { node: ReturnType<typeof decodeXpub>; origin: { fingerprint: number; path: number[] } };
}

/** The cosigners of a vector's multisig field, in the order the test gives them. */
function cosigners(ms: any, ROOT_FINGERPRINT: number): Cosigner[] {
  const entries: { node: any; path: number[] }[] = ms.nodes?.length
    ? ms.nodes.map((node: any) => ({ node, path: ms.address_n ?? [] }))
    : ms.pubkeys.map((p: any) => ({ node: p.node, path: p.address_n ?? [] }));
  return entries.map(({ node, path }, i) => {
    const publicKey = hex.decode(ms.pubkeys_derived[i]);
    if (!node.derived_from_seed_path) return { publicKey };
    const accountPath = parsePath(node.derived_from_seed_path);
    const origin = { fingerprint: ROOT_FINGERPRINT, path: [...accountPath, ...path] };
    return { publicKey, origin, xpub: { node: decodeXpub(node.xpub), origin: { fingerprint: ROOT_FINGERPRINT, path: accountPath } } };
  });
}

function multisigFields(ms: any, scriptType: string, fingerprint: number) {
  const keys = cosigners(ms, fingerprint);
  const sorted = ms.pubkeys_order === 'LEXICOGRAPHIC';
  const script = multisigScript(ms.m, keys.map((k) => k.publicKey), sorted);
  const payment = multisigPayment(MULTI[scriptType]!, script);
  const bip32Derivation = keys.filter((k) => k.origin).map((k) => [k.publicKey, k.origin!] as [Uint8Array, { fingerprint: number; path: number[] }]);
  // Signature slots follow the script order (sorted keys when LEXICOGRAPHIC).
  const ordered = sorted ? [...keys].sort((a, b) => hex.encode(a.publicKey).localeCompare(hex.encode(b.publicKey))) : keys;
  const partialSig = (ms.signatures ?? [])
    .map((sig: string, i: number) => (sig ? ([ordered[i]!.publicKey, hex.decode(`${sig}01`)] as [Uint8Array, Uint8Array]) : undefined))
    .filter(Boolean) as [Uint8Array, Uint8Array][];
  return { payment, bip32Derivation, partialSig, xpubs: keys.filter((k) => k.xpub).map((k) => k.xpub!) };
}

/**
 * The vector's transaction as an unsigned PSBT (v0) carrying everything signPsbt needs.
 * @example const psbt = vectorPsbt(vector); await signPsbt(trezor, psbt, { coin: vector.coin })
 */
export function vectorPsbt(vector: Vector): Uint8Array {
  const coin = getCoin(vector.coin as CoinName);
  // The seed the firmware's test loads (SLIP-14 "all …" for all but a few).
  const ROOT = HDKey.fromMasterSeed(mnemonicToSeedSync(vector.mnemonic, vector.passphrase ?? ''));
  const ROOT_FINGERPRINT = ROOT.fingerprint;
  const options = vector.sign_tx_options ?? {};
  const tx = new Transaction({ version: options.version ?? 1, lockTime: options.lock_time ?? 0, allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
  const inputFields: Record<string, unknown>[] = [];
  const outputFields: Record<string, unknown>[] = [];
  const xpubs = new Map<string, { node: ReturnType<typeof decodeXpub>; origin: { fingerprint: number; path: number[] } }>();
  for (const input of vector.inputs) {
    const prevJson = vector.prev_txs?.[input.prev_hash];
    const prevRaw = prevJson ? rawPrevTx(prevJson) : undefined;
    const amount = BigInt(input.amount);
    let script: Uint8Array;
    const fields: Record<string, unknown> = {};
    if (input.script_type === 'EXTERNAL') {
      script = hex.decode(input.script_pubkey);
      if (input.script_sig) fields.finalScriptSig = hex.decode(input.script_sig);
      if (input.witness) fields.finalScriptWitness = RawWitness.decode(hex.decode(input.witness));
      if (input.ownership_proof) fields.proprietary = ownershipProofFields(hex.decode(input.ownership_proof), input.commitment_data ? hex.decode(input.commitment_data) : undefined);
    } else if (input.multisig) {
      const ms = multisigFields(input.multisig, input.script_type, ROOT_FINGERPRINT);
      script = ms.payment.script;
      if (ms.payment.redeemScript) fields.redeemScript = ms.payment.redeemScript;
      if (ms.payment.witnessScript) fields.witnessScript = ms.payment.witnessScript;
      fields.bip32Derivation = ms.bip32Derivation;
      if (ms.partialSig.length) fields.partialSig = ms.partialSig;
      for (const x of ms.xpubs) xpubs.set(hex.encode(x.node.publicKey), x);
    } else {
      const type = SINGLE[input.script_type]!;
      const path = parsePath(input.address_n);
      const publicKey = ROOT.derive(input.address_n).publicKey!;
      const k = keyScript(type, publicKey);
      script = k.script;
      if (k.redeemScript) fields.redeemScript = k.redeemScript;
      if (type === 'p2tr') {
        fields.tapInternalKey = xOnly(publicKey);
        fields.tapBip32Derivation = [[xOnly(publicKey), { hashes: [], der: { fingerprint: ROOT_FINGERPRINT, path } }]];
      } else fields.bip32Derivation = [[publicKey, { fingerprint: ROOT_FINGERPRINT, path }]];
    }
    const prevOut = prevRaw ? RawTx.decode(prevRaw).outputs[input.prev_index] : undefined;
    if (prevOut && (prevOut.amount !== amount || hex.encode(prevOut.script) !== hex.encode(script))) {
      throw new Error(`vector ${vector.id}: input ${input.prev_hash}:${input.prev_index} does not match its previous transaction`);
    }
    tx.addInput({
      txid: input.prev_hash,
      index: input.prev_index,
      sequence: input.sequence ?? 0xffffffff,
      witnessUtxo: { script, amount },
      ...(prevRaw ? { nonWitnessUtxo: prevRaw } : {}),
    });
    inputFields.push(fields);
  }
  for (const output of vector.outputs) {
    const amount = BigInt(output.amount);
    if (output.script_type === 'PAYTOOPRETURN') {
      const data = hex.decode(output.op_return_data);
      tx.addOutput({ script: Uint8Array.of(0x6a, ...(data.length < 0x4c ? [data.length] : [0x4c, data.length]), ...data), amount });
      outputFields.push({});
    } else if (output.address_n && output.multisig) {
      const ms = multisigFields(output.multisig, output.script_type, ROOT_FINGERPRINT);
      tx.addOutput({ script: ms.payment.script, amount });
      outputFields.push({
        bip32Derivation: ms.bip32Derivation,
        ...(ms.payment.redeemScript ? { redeemScript: ms.payment.redeemScript } : {}),
        ...(ms.payment.witnessScript ? { witnessScript: ms.payment.witnessScript } : {}),
      });
      for (const x of ms.xpubs) xpubs.set(hex.encode(x.node.publicKey), x);
    } else if (output.address_n) {
      const type = SINGLE[output.script_type]!;
      const path = parsePath(output.address_n);
      const publicKey = ROOT.derive(output.address_n).publicKey!;
      const k = keyScript(type, publicKey);
      const der = type === 'p2tr'
        ? { tapInternalKey: xOnly(publicKey), tapBip32Derivation: [[xOnly(publicKey), { hashes: [], der: { fingerprint: ROOT_FINGERPRINT, path } }]] }
        : { bip32Derivation: [[publicKey, { fingerprint: ROOT_FINGERPRINT, path }]], ...(k.redeemScript ? { redeemScript: k.redeemScript } : {}) };
      tx.addOutput({ script: k.script, amount });
      outputFields.push(der);
    } else {
      const script = addressScript(coin, output.address);
      if (!script) throw new Error(`vector ${vector.id}: ${output.address} is not a ${coin.name} address`);
      tx.addOutput({ script, amount });
      outputFields.push({});
    }
  }
  const raw = RawPSBTV0.decode(tx.toPSBT(0));
  inputFields.forEach((fields, i) => Object.assign(raw.inputs[i]!, fields));
  outputFields.forEach((fields, i) => Object.assign(raw.outputs[i]!, fields));
  if (xpubs.size) raw.global.xpub = [...xpubs.values()].map((x) => [x.node, x.origin]) as never;
  return RawPSBTV0.encode(raw);
}
