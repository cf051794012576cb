/**
 * The firmware's SignTx test vectors (test/fixtures/vectors/btc-complete.json, trezorlib's
 * sign_tx arguments with their previous and original transactions) written as what a wallet
 * hands signPsbt: the PSBT, with every input's previous transaction and spent output, the
 * device's key derivations from the seed the firmware's test loads (SLIP-14 for most), change
 * outputs with theirs, OP_RETURN outputs, multisig scripts with every cosigner's derivation,
 * the cosigners' signatures as partialSig and account xpubs as PSBT_GLOBAL_XPUB, inputs of
 * another party (EXTERNAL) with their final scripts or SLIP-19 ownership proof; and the
 * originals of replacement vectors as raw signed transactions (`vectorOrigTxs`).
 *
 * The vectors give transactions in the firmware's txcache JSON form (trezor-firmware
 * tests/txcache); this module serialises them (Bitcoin-family forms via coin-vectors.ts) and
 * checks each previous transaction hashes to the txid it is filed under. The data is the
 * vector's; nothing here computes an expected value, and nothing looks at a vector's
 * `orig_hash` / `orig_index`: those the library must find on its own, and the tests compare them.
 */
import { hex } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { RawTx, RawWitness } from '@scure/btc-signer';
import { RawPSBTV0 } from '@scure/btc-signer/psbt.js';
import { Transaction } from '@scure/btc-signer';
import { readFileSync } from 'node:fs';
import { addressScript, keyScript, xOnly } from '../../src/bitcoin/address.js';
import { COINS, getCoin, type CoinInfo, type ScriptType } from '../../src/bitcoin/coins.js';
import * as FAMILY from '../../src/bitcoin/coins-family.js';
import { ownershipProofFields } from '../../src/bitcoin/external.js';
import { multisigPayment, multisigScript, parseMultisigScript, type MultisigScriptType } from '../../src/bitcoin/multisig.js';
import { opReturnScript } from '../../src/bitcoin/opReturn.js';
import { PREV_TX_KEY } from '../../src/bitcoin/prevtx.js';
import type { OrigTx } from '../../src/bitcoin/replacement.js';
import { forkIdHashType, sha256d } from '../../src/bitcoin/sighash.js';
import { decodeXpub } from '../../src/bitcoin/xpub.js';
import { formatPath, parsePath } from '../../src/path.js';
import { serializePrevTx } from './coin-vectors.js';
import { fixturePath } from './fixtures.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Vector = any;

/** Every signtx vector of btc-complete.json. */
export function signTxVectors(): Vector[] {
  const data = JSON.parse(readFileSync(fixturePath('vectors/btc-complete.json'), 'utf8'));
  const list = data.vectors.filter((v: Vector) => v.kind === 'signtx');
  if (!list.length) throw new Error('btc-complete.json has no signtx vectors');
  return list;
}

/** Why the vector cannot be a PSBT for signPsbt, or undefined. */
export function notAPsbt(vector: Vector): string | undefined {
  if (vector.prev_txs_forged?.length) return 'its previous transaction is forged (trezorlib forge_prevtx): a PSBT nonWitnessUtxo must hash to the input txid, which signPsbt checks';
  return undefined;
}

/** The coin a vector names: one of COINS or a Bitcoin-family constant of coins-family.ts. */
export function vectorCoin(name: string): CoinInfo {
  if (Object.prototype.hasOwnProperty.call(COINS, name)) return getCoin(name);
  const coin = Object.values(FAMILY).find((c) => c.name === name);
  if (!coin) throw new Error(`vector coin ${name} is not one this library knows`);
  return coin;
}

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

type Origin = { fingerprint: number; path: number[] };
type Xpub = { node: ReturnType<typeof decodeXpub>; origin: Origin };

/** The wallet the firmware's test loads: its seed (mnemonic + passphrase) as an HD root. */
class Wallet {
  private static readonly cache = new Map<string, HDKey>();
  readonly root: HDKey;
  constructor(vector: Vector) {
    const id = `${vector.mnemonic}\n${vector.passphrase ?? ''}`;
    let root = Wallet.cache.get(id);
    if (!root) Wallet.cache.set(id, (root = HDKey.fromMasterSeed(mnemonicToSeedSync(vector.mnemonic, vector.passphrase ?? ''))));
    this.root = root;
  }
  get fingerprint(): number {
    return this.root.fingerprint;
  }
  /** The key at a vector's address_n (a path string or trezorlib's list of indices) and its origin. */
  key(addressN: string | number[]): { publicKey: Uint8Array; origin: Origin } {
    const path = typeof addressN === 'string' ? addressN : formatPath(addressN);
    return { publicKey: this.root.derive(path).publicKey!, origin: { fingerprint: this.fingerprint, path: parsePath(path) } };
  }
}

/** The cosigners of a vector's multisig field, in the order the test gives them. */
function cosigners(ms: Vector, fingerprint: number): { publicKey: Uint8Array; origin?: Origin; xpub?: Xpub }[] {
  const entries: { node: Vector; path: number[] }[] = ms.nodes?.length
    ? ms.nodes.map((node: Vector) => ({ node, path: ms.address_n ?? [] }))
    : ms.pubkeys.map((p: Vector) => ({ node: p.node, path: p.address_n ?? [] }));
  return entries.map(({ node, path }, i) => {
    const publicKey = hex.decode(ms.pubkeys_derived[i]);
    if (!node.derived_from_seed_path) return { publicKey };
    const accountPath = parsePath(node.derived_from_seed_path);
    return { publicKey, origin: { fingerprint, path: [...accountPath, ...path] }, xpub: { node: decodeXpub(node.xpub), origin: { fingerprint, path: accountPath } } };
  });
}

/** A multisig field as PSBT data: the payment's scripts, the derivations of the keys of this seed, cosigners' signatures, account xpubs. */
function multisigFields(ms: Vector, scriptType: string, fingerprint: number, coin: CoinInfo) {
  const keys = cosigners(ms, fingerprint);
  const sorted = ms.pubkeys_order === 'LEXICOGRAPHIC';
  const payment = multisigPayment(MULTI[scriptType]!, multisigScript(ms.m, keys.map((k) => k.publicKey), sorted));
  const bip32Derivation = keys.filter((k) => k.origin).map((k) => [k.publicKey, k.origin!] as [Uint8Array, Origin]);
  // Signature slots follow the script order (sorted keys when LEXICOGRAPHIC).
  const ordered = sorted ? [...keys].sort((a, b) => hex.encode(a.publicKey).localeCompare(hex.encode(b.publicKey))) : keys;
  // The test gives bare DER signatures; the device appends the coin's SIGHASH_ALL byte (0x41 with
  // Bcash's / Bgold's fork id: core apps/bitcoin/sign_tx/bitcoinlike.py get_hash_type).
  const hashByte = (forkIdHashType(coin.forkId) & 0xff).toString(16).padStart(2, '0');
  const partialSig = (ms.signatures ?? [])
    .map((sig: string, i: number) => (sig ? ([ordered[i]!.publicKey, hex.decode(`${sig}${hashByte}`)] as [Uint8Array, Uint8Array]) : undefined))
    .filter(Boolean) as [Uint8Array, Uint8Array][];
  const scripts = { ...(payment.redeemScript ? { redeemScript: payment.redeemScript } : {}), ...(payment.witnessScript ? { witnessScript: payment.witnessScript } : {}) };
  return { script: payment.script, scripts, bip32Derivation, partialSig, xpubs: keys.filter((k) => k.xpub).map((k) => k.xpub!) };
}

/**
 * The derivations an input shows as this seed's. A test may put several keys of its one seed in
 * the script and sign with the one at address_n (test_bgold.py::test_send_multisig_1 signs with
 * the third account after the first): a PSBT says which key signs only by the derivations, and
 * signPsbt takes the first unsigned key of the seed in script order, so when that is not the
 * test's key, the other unsigned keys of the seed are left bare (cosigners of another wallet).
 */
function signerDerivations(ms: ReturnType<typeof multisigFields>, signer: Uint8Array): [Uint8Array, Origin][] {
  const same = (a: Uint8Array, b: Uint8Array) => hex.encode(a) === hex.encode(b);
  const signed = (key: Uint8Array) => ms.partialSig.some(([k]) => same(k, key));
  const order = parseMultisigScript(ms.scripts.witnessScript ?? ms.scripts.redeemScript)!.pubkeys;
  const first = order.find((key) => !signed(key) && ms.bip32Derivation.some(([k]) => same(k, key)));
  if (!first || same(first, signer)) return ms.bip32Derivation;
  return ms.bip32Derivation.filter(([key]) => same(key, signer) || signed(key));
}

/** A single-key script of the seed at address_n, with the PSBT fields that name its key. */
function singleKeyFields(wallet: Wallet, addressN: string | number[], scriptType: string) {
  const type = SINGLE[scriptType ?? 'SPENDADDRESS'];
  if (!type) throw new Error(`vector script type ${scriptType} is not a single-key one`);
  const { publicKey, origin } = wallet.key(addressN);
  const { script, redeemScript } = keyScript(type, publicKey);
  const fields: Record<string, unknown> =
    type === 'p2tr'
      ? { tapInternalKey: xOnly(publicKey), tapBip32Derivation: [[xOnly(publicKey), { hashes: [], der: origin }]] }
      : { bip32Derivation: [[publicKey, origin]], ...(redeemScript ? { redeemScript } : {}) };
  return { script, fields };
}

/**
 * An output (TxOutputType or txcache JSON) as script + PSBT fields: script_pubkey, OP_RETURN
 * data, an address of the coin, or a key path of the seed (single-key or multisig change).
 */
function outputOf(output: Vector, coin: CoinInfo, wallet: Wallet): { script: Uint8Array; fields: Record<string, unknown>; xpubs: Xpub[] } {
  if (output.script_pubkey) return { script: hex.decode(output.script_pubkey), fields: {}, xpubs: [] };
  if (output.op_return_data !== undefined) return { script: opReturnScript(hex.decode(output.op_return_data)), fields: {}, xpubs: [] };
  if (output.address) {
    const script = addressScript(coin, output.address);
    if (!script) throw new Error(`vector address ${output.address} is not a ${coin.name} address`);
    return { script, fields: {}, xpubs: [] };
  }
  if (!output.address_n) throw new Error(`vector output ${JSON.stringify(output)} has no script form here`);
  const scriptType = output.script_type ?? 'PAYTOADDRESS';
  if (output.multisig) {
    const ms = multisigFields(output.multisig, scriptType, wallet.fingerprint, coin);
    return { script: ms.script, fields: { bip32Derivation: ms.bip32Derivation, ...ms.scripts }, xpubs: ms.xpubs };
  }
  return { ...singleKeyFields(wallet, output.address_n, scriptType), xpubs: [] };
}

/**
 * A txcache JSON transaction (previous or original) serialised, with witnesses where it has
 * them; Bitcoin-family forms (extra data, Zcash overwintered) by coin-vectors.ts.
 * @example Transaction.fromRaw(cacheTx(vector.orig_txs[txid], vector)).id === txid
 */
export function cacheTx(json: Vector, vector: Vector): Uint8Array {
  if (json.extra_data || json.version_group_id !== undefined) return serializePrevTx(json);
  const coin = vectorCoin(vector.coin);
  const wallet = new Wallet(vector);
  const witnesses = json.inputs.map((input: Vector) => (input.witness ? RawWitness.decode(hex.decode(input.witness)) : []));
  const segwit = witnesses.some((w: Uint8Array[]) => w.length > 0);
  return RawTx.encode({
    version: json.version,
    segwitFlag: segwit,
    inputs: json.inputs.map((input: Vector) => ({
      txid: hex.decode(input.prev_hash),
      index: input.prev_index,
      finalScriptSig: hex.decode(input.script_sig ?? ''),
      sequence: input.sequence ?? 0xffffffff,
    })),
    outputs: (json.bin_outputs ?? json.outputs).map((output: Vector) => ({ amount: BigInt(output.amount), script: outputOf(output, coin, wallet).script })),
    witnesses: segwit ? witnesses : undefined,
    lockTime: json.lock_time ?? 0,
  });
}

/** The txid of a serialised txcache transaction (witnesses stripped; extra data is part of it). */
function txidOf(raw: Uint8Array, json: Vector): string {
  if (json.extra_data) return hex.encode(sha256d(raw).reverse());
  const tx = RawTx.decode(raw);
  return hex.encode(sha256d(RawTx.encode({ ...tx, segwitFlag: false, witnesses: undefined })).reverse());
}

/**
 * The vector's transaction as an unsigned PSBT (v0) carrying everything signPsbt needs.
 * @example const psbt = vectorPsbt(vector); await signPsbt(trezor, psbt, { coin: vector.coin, origTxs: vectorOrigTxs(vector).map((o) => o.origTx) })
 */
export function vectorPsbt(vector: Vector): Uint8Array {
  const coin = vectorCoin(vector.coin);
  const wallet = new Wallet(vector);
  const options = vector.sign_tx_options ?? {};
  const tx = new Transaction({ version: options.version ?? 1, lockTime: options.lock_time ?? 0, allowUnknownOutputs: true, allowUnknownInputs: true, allowUnknown: true, disableScriptCheck: true });
  const inputFields: Record<string, unknown>[] = [];
  const outputFields: Record<string, unknown>[] = [];
  const xpubs = new Map<string, Xpub>();
  for (const input of vector.inputs) {
    const prevJson = vector.prev_txs?.[input.prev_hash];
    const prevRaw = prevJson ? cacheTx(prevJson, vector) : undefined;
    if (prevRaw && !vector.prev_txs_forged?.includes(input.prev_hash) && txidOf(prevRaw, prevJson) !== input.prev_hash) {
      throw new Error(`vector ${vector.id}: previous transaction ${input.prev_hash} does not hash to its txid once serialised`);
    }
    const amount = BigInt(input.amount);
    let script: Uint8Array;
    let fields: Record<string, unknown> = {};
    if (input.script_type === 'EXTERNAL') {
      script = hex.decode(input.script_pubkey);
      if (input.script_sig) fields.finalScriptSig = hex.decode(input.script_sig);
      if (input.witness) fields.finalScriptWitness = RawWitness.decode(hex.decode(input.witness));
      if (input.ownership_proof) fields.proprietary = ownershipProofFields(hex.decode(input.ownership_proof), input.commitment_data ? hex.decode(input.commitment_data) : undefined);
    } else if (input.multisig) {
      const ms = multisigFields(input.multisig, input.script_type, wallet.fingerprint, coin);
      script = ms.script;
      fields = { ...ms.scripts, bip32Derivation: signerDerivations(ms, wallet.key(input.address_n).publicKey), ...(ms.partialSig.length ? { partialSig: ms.partialSig } : {}) };
      for (const x of ms.xpubs) xpubs.set(hex.encode(x.node.publicKey), x);
    } else {
      ({ script, fields } = singleKeyFields(wallet, input.address_n, input.script_type ?? 'SPENDADDRESS'));
    }
    const prevOut = prevRaw && !prevJson.extra_data && prevJson.version_group_id === undefined ? RawTx.decode(prevRaw).outputs[input.prev_index] : undefined;
    if (prevOut && (prevOut.amount !== amount || hex.encode(prevOut.script) !== hex.encode(script))) {
      throw new Error(`vector ${vector.id}: input ${input.prev_hash}:${input.prev_index} does not match its previous transaction`);
    }
    // A Dash DIP-2 special transaction (extra data after nLockTime) is no nonWitnessUtxo: it
    // goes into the library's proprietary field (src/bitcoin/prevtx.ts).
    const special = Boolean(prevJson?.extra_data);
    tx.addInput({
      txid: input.prev_hash,
      index: input.prev_index,
      sequence: input.sequence ?? 0xffffffff,
      witnessUtxo: { script, amount },
      ...(prevRaw && !special ? { nonWitnessUtxo: prevRaw } : {}),
    });
    if (special) fields.proprietary = [...((fields.proprietary as unknown[]) ?? []), [PREV_TX_KEY, prevRaw]];
    inputFields.push(fields);
  }
  for (const output of vector.outputs) {
    const { script, fields, xpubs: outXpubs } = outputOf(output, coin, wallet);
    tx.addOutput({ script, amount: BigInt(output.amount) });
    outputFields.push(output.address_n ? fields : {});
    for (const x of outXpubs) xpubs.set(hex.encode(x.node.publicKey), x);
  }
  const raw = RawPSBTV0.decode(tx.toPSBT(0));
  inputFields.forEach((fields, i) => Object.assign(raw.inputs[i]!, fields));
  outputFields.forEach((fields, i) => Object.assign(raw.outputs[i]!, fields));
  if (xpubs.size) raw.global.xpub = [...xpubs.values()].map((x) => [x.node, x.origin]) as never;
  return RawPSBTV0.encode(raw);
}

/**
 * The originals of a replacement vector as signPsbt takes them: raw signed transactions, with
 * the key paths of change outputs the replacement drops (only those: the others the library
 * must recognise from the PSBT's own change outputs).
 */
export function vectorOrigTxs(vector: Vector): { txid: string; raw: Uint8Array; origTx: OrigTx }[] {
  const coin = vectorCoin(vector.coin);
  const wallet = new Wallet(vector);
  const scriptOf = (output: Vector) => hex.encode(outputOf(output, coin, wallet).script);
  const newScripts = new Set(vector.outputs.map(scriptOf));
  return Object.entries(vector.orig_txs ?? {}).map(([txid, json]: [string, Vector]) => {
    const raw = cacheTx(json, vector);
    const changePaths: Record<number, string> = {};
    json.outputs.forEach((output: Vector, j: number) => {
      if (output.address_n && !newScripts.has(scriptOf(output))) changePaths[j] = typeof output.address_n === 'string' ? output.address_n : formatPath(output.address_n);
    });
    return { txid, raw, origTx: Object.keys(changePaths).length ? { tx: raw, changePaths } : raw };
  });
}
