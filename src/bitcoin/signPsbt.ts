/**
 * Sign a PSBT on the device: PSBT in, signed PSBT and final transaction out.
 *
 * The firmware does not take a PSBT. It drives a question-and-answer exchange (SignTx, then
 * TxRequest → TxAck until TXFINISHED; shared PROTOCOL.md §7.4) in which it asks for each input
 * and output of the transaction, for the metadata, inputs and outputs of every previous
 * transaction (to check the amounts it signs for), confirms the payment with the user, and
 * streams back the serialised signed transaction and the signatures. This module translates:
 *
 * 1. Before touching the device it reads the PSBT and rejects what the firmware could not sign
 *    or what would not be safe: inputs without a BIP-32 derivation of one wallet, without an
 *    amount, without the previous transaction (unless every input is taproot), previous
 *    transactions that do not hash to the input's txid or disagree on the amount, keys that do
 *    not own the spent script, non-default sighash types, outputs without an address form;
 *    and, as NotSupported, taproot (spending, taproot change, sending to a taproot address) on
 *    firmware that predates it (Trezor One < 1.10.4, Core < 2.4.3). Key paths of inputs and
 *    change that name another coin (m/84'/0'/… signed as Testnet) are InvalidParameters while
 *    the device's safety checks are strict, as the firmware would refuse them (Forbidden key
 *    path); with relaxed safety checks the device asks the user instead, so they go through.
 * 2. It precomputes every answer once (the TxInput/TxOutput of the new transaction; the
 *    metadata, inputs and outputs of each distinct previous transaction) and then answers
 *    exactly what the device asks, in whatever order, so each request costs O(1) on the host.
 *    Outputs whose derivation belongs to the signing wallet and whose script the key produces
 *    go to the device as change (address_n + script type): the device derives them itself and
 *    does not ask the user to confirm them. With `origTxs` (a fee bump or changed payment), the
 *    inputs and outputs that continue an original carry orig_hash / orig_index and the device's
 *    questions about the original are answered too (replacement.ts).
 * 3. Every returned signature is verified against its sighash (legacy, BIP-143 — for every
 *    input under SIGHASH_ALL|FORKID on coins with a fork id, Bitcoin Cash and Gold — or BIP-341,
 *    midstates computed once) and the input's key, with the fastest verifier of the platform
 *    (sigverify.ts: OpenSSL in Node, @noble/curves elsewhere); the serialised transaction the device
 *    streamed must equal the one rebuilt on the host from the PSBT and those signatures.
 *    Any mismatch is VerificationFailed, and nothing is returned.
 *
 * Multisig inputs (multisig.ts: the m-of-n witness/redeem script, the cosigners' derivations
 * and global xpubs) are signed with the device's key, the cosigners' signatures already in the
 * PSBT kept in place; inputs that are not the device's go as EXTERNAL (external.ts: presigned,
 * or with a SLIP-19 proof). When the PSBT names several master fingerprints the device is asked
 * once for its own (fingerprint.ts).
 *
 * The result carries the PSBT with the signatures added (partialSig / tapKeySig; finalized with
 * `finalize`), the raw transaction the device serialised, its txid, and whether every input is
 * complete (a multisig input may still wait for cosigners).
 *
 * parsePsbt, planSigning and finish are exported for the connect-web adapter (the same checks
 * around a Trezor Connect signTransaction); the bitcoin entry does not re-export them.
 *
 * PSBTs (v0 and v2) are read and written as raw key-value maps (psbtCodec.ts, psbtFields.ts)
 * rather than with @scure/btc-signer: every field of the caller's PSBT survives untouched and
 * in its order, and the signing path stays small in a browser bundle. A btc-signer Transaction
 * is accepted through its toPSBT(), without loading the class here.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { base64, hex } from '@scure/base';
import type { Transaction } from '@scure/btc-signer';
import { TrezorError, invalidParameter, protocolError } from '../errors.js';
import type { MessageMap, PrevInput, PrevOutput, PrevTx, TxInput, TxOutput } from '../messages/index.js';
import { formatPath } from '../path.js';
import { cancelOnHostError, expectType, invokeCallback, type CallFn, type Trezor } from '../session/trezor.js';
import { keyScript, scriptAddress } from './address.js';
import { isOpReturn, opReturnData } from './opReturn.js';
import { answerOriginal, linkOriginals, requireReplacement, type OrigTx, type OrigTxPlan } from './replacement.js';
import { CHANGE_SCRIPT_TYPE, INPUT_SCRIPT_TYPE, foreignCoinPath, getCoin, requireTaproot, type CoinInfo, type CoinName, type ScriptType } from './coins.js';
import { ownPrevTx, type ParsedPrevTx } from './prevtx.js';
import { Sighasher, compactSize, forkIdHashType, serializeOutput, sha256d, txidOf, u32, type SighashInput } from './sighash.js';
import { externalInput } from './external.js';
import { deviceFingerprint } from './fingerprint.js';
import { decodeRawPsbt, encodeRawPsbt, psbtCounts, psbtKey, removeTypes, setPair, type KeyValue } from './psbtCodec.js';
import { readGlobal, readInput, readOutput, type PsbtInputFields, type PsbtOutputFields } from './psbtFields.js';
import { encodeWitness } from './rawTx.js';
import { signatureVerifier, type SignatureVerifier } from './sigverify.js';
import { MULTISIG_CHANGE_SCRIPT_TYPE, MULTISIG_INPUT_SCRIPT_TYPE, multisigSpend, psbtMultisig, type GlobalXpub, type PsbtMultisig } from './multisig.js';

export type AmountUnit = 'BITCOIN' | 'MILLIBITCOIN' | 'MICROBITCOIN' | 'SATOSHI';

/** Where the exchange is: the device asked for an input/output/previous tx, or returned a signature. */
export interface SignPsbtProgress {
  phase: 'input' | 'output' | 'previousTransaction' | 'originalTransaction' | 'signature';
  /** Index of the input/output (for previousTransaction: the first input spending from it; for originalTransaction: which of origTxs). */
  index: number;
  /** Number of inputs (or outputs for 'output'). */
  total: number;
}

export interface SignPsbtParameters {
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName | CoinInfo;
  /** How the device displays amounts; default its own setting (BTC). */
  amountUnit?: AmountUnit;
  /**
   * The transaction(s) this PSBT replaces (RBF fee bump, payment change), as broadcast: signed
   * raw transactions (hex or bytes). The device then shows the change against the original
   * (see replacement.ts; bumpFee builds such a PSBT).
   */
  origTxs?: OrigTx[];
  onProgress?: (progress: SignPsbtProgress) => void;
  /**
   * Finalize (BIP-174 finalizer) every input that is then complete: final scriptSig/witness
   * written, partial signatures and scripts removed. Default false: signatures are added only.
   */
  finalize?: boolean;
  signal?: AbortSignal;
}

export interface SignPsbtReturnType {
  /** The PSBT with every input's signature added (not finalized). */
  psbt: Uint8Array;
  /** The final signed transaction, as the device serialised it. */
  tx: Uint8Array;
  /** Its txid (display hex). */
  txid: string;
  /**
   * Every input holds all its signatures (a multisig input m of them, an external input its
   * final script): `tx` can be broadcast. False while cosigners still have to sign the PSBT.
   */
  complete: boolean;
}

export interface InputPlan {
  type: ScriptType;
  publicKey: Uint8Array;
  /** The 32-byte key the signature must verify against (x-only tweaked key for taproot). */
  verifyKey: Uint8Array;
  prevScript: Uint8Array;
  redeemScript?: Uint8Array;
  message: TxInput;
  /** A multisig input: its script and the cosigners' signatures already in the PSBT (script order). */
  multisig?: PsbtMultisig & { signatures: (Uint8Array | undefined)[] };
  /** An input of another party (EXTERNAL): what it brings into the transaction. */
  external?: { scriptSig: Uint8Array; witness: Uint8Array[] };
}

export interface PrevTxPlan {
  firstInput: number;
  meta: PrevTx;
  inputs: PrevInput[];
  outputs: PrevOutput[];
  /** Bytes after nLockTime (a Dash DIP-2 payload), asked for as TXEXTRADATA. */
  extra?: Uint8Array;
}

export type PsbtSource = Uint8Array | string | Transaction;
type InputMap = PsbtInputFields;
type OutputMap = PsbtOutputFields;

/** A PSBT (v0 or v2) seen as a transaction: outpoints, outputs and their key-value maps. */
export interface PsbtView {
  version: number;
  lockTime: number;
  /** `map`: the decoded fields; `raw`: the input's key-value pairs, which finish() writes to. */
  inputs: { txid: Uint8Array; index: number; sequence: number; map: InputMap; raw: KeyValue[] }[];
  outputs: { amount: bigint; script: Uint8Array; map: OutputMap }[];
  /** PSBT_GLOBAL_XPUB entries: the cosigners' account keys of a multisig wallet. */
  xpubs: GlobalXpub[];
  /** The PSBT again, with whatever was changed in the maps. */
  encode(): Uint8Array;
}

const SEQUENCE_FINAL = 0xffffffff;

function psbtBytes(psbt: PsbtSource): Uint8Array {
  if (psbt instanceof Uint8Array) return psbt;
  if (typeof psbt === 'string') {
    const text = psbt.trim();
    try {
      return /^70736274ff([0-9a-fA-F]{2})*$/.test(text) ? hex.decode(text.toLowerCase()) : base64.decode(text);
    } catch {
      throw invalidParameter('psbt', 'expected PSBT bytes, base64 or hex');
    }
  }
  // A @scure/btc-signer Transaction (duck-typed, so that this module never loads its class).
  if (psbt && typeof (psbt as Transaction).toPSBT === 'function') return (psbt as Transaction).toPSBT();
  throw invalidParameter('psbt', 'expected PSBT bytes, base64 or a @scure/btc-signer Transaction');
}

/** Decode with BIP-174 (v0) or BIP-370 (v2) field rules. */
export function parsePsbt(psbt: PsbtSource): PsbtView {
  const bytes = psbtBytes(psbt);
  const fail = (field: string, problem: string) => invalidParameter(field, problem);
  const raw = decodeRawPsbt(bytes, (problem) => invalidParameter('psbt', `not a valid PSBT: ${problem}`));
  const { version } = psbtCounts(raw.global, (problem) => invalidParameter('psbt', problem));
  const global = readGlobal(raw.global, version, fail);
  const inputs = raw.inputs.map((map, i) => readInput(map, version, `psbt.inputs[${i}]`, fail));
  const outputs = raw.outputs.map((map, i) => readOutput(map, version, `psbt.outputs[${i}]`, fail));
  const xpubs = (global.xpub ?? []).map(([node, origin]) => ({ node, origin }));
  const encode = () => encodeRawPsbt(raw);
  if (version === 0) {
    const tx = global.unsignedTx!;
    return {
      version: tx.version,
      lockTime: tx.lockTime,
      inputs: tx.inputs.map((input, i) => ({ txid: input.txid, index: input.index, sequence: input.sequence, map: inputs[i]!, raw: raw.inputs[i]! })),
      outputs: tx.outputs.map((output, i) => ({ amount: output.amount, script: output.script, map: outputs[i]! })),
      xpubs,
      encode,
    };
  }
  if (inputs.some((i) => i.requiredTimeLocktime !== undefined || i.requiredHeightLocktime !== undefined)) {
    throw invalidParameter('psbt', 'PSBTv2 inputs with required lock times are not supported');
  }
  return {
    version: global.txVersion!,
    lockTime: global.fallbackLocktime ?? 0,
    // txid and index are required in a v2 input, amount and script in a v2 output (psbtFields.ts).
    inputs: inputs.map((map, i) => ({ txid: map.txid!, index: map.index!, sequence: map.sequence ?? SEQUENCE_FINAL, map, raw: raw.inputs[i]! })),
    outputs: outputs.map((map) => ({ amount: map.amount!, script: map.script!, map })),
    xpubs,
    encode,
  };
}

function equal(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The script type a key pays to in `script`, if any of the single-key ones. */
function ownedScriptType(script: Uint8Array, publicKey: Uint8Array, isTaprootKey: boolean): { type: ScriptType; redeemScript?: Uint8Array } | undefined {
  const types: ScriptType[] = isTaprootKey ? ['p2tr'] : ['p2wpkh', 'p2sh-p2wpkh', 'p2pkh'];
  for (const type of types) {
    const derived = keyScript(type, publicKey);
    if (equal(derived.script, script)) return derived.redeemScript ? { type, redeemScript: derived.redeemScript } : { type };
  }
  return undefined;
}

/** A segwit v1 (taproot) output script: OP_1 <32 bytes>. */
function isTaprootScript(script: Uint8Array): boolean {
  return script.length === 34 && script[0] === 0x51 && script[1] === 0x20;
}

/**
 * Sign every input of a PSBT with the device.
 * @example const { tx, txid } = await signPsbt(trezor, psbtBase64, { coin: 'Testnet' })
 */
export async function signPsbt(trezor: Trezor, psbt: PsbtSource, options: SignPsbtParameters = {}): Promise<SignPsbtReturnType> {
  if (typeof options !== 'object' || options === null) throw invalidParameter('options', 'expected { coin?, onProgress?, signal? }');
  const coin = getCoin(options.coin);
  if (coin.overwintered) throw invalidParameter('coin', `${coin.name} transactions are not PSBTs: sign them with signZcashTransaction`);
  const { signal } = options;
  // A progress listener's bug (a throw, a rejected promise) must not break the exchange.
  const onProgress = options.onProgress ? (progress: SignPsbtProgress) => invokeCallback(options.onProgress, progress) : undefined;
  if (options.amountUnit !== undefined && !['BITCOIN', 'MILLIBITCOIN', 'MICROBITCOIN', 'SATOSHI'].includes(options.amountUnit)) {
    throw invalidParameter('amountUnit', 'expected BITCOIN, MILLIBITCOIN, MICROBITCOIN or SATOSHI');
  }
  const tx = parsePsbt(psbt);
  // With safety checks relaxed the firmware asks the user about a foreign path instead of refusing it.
  const safety = trezor.features.safety_checks;
  const strict = safety !== 'PromptAlways' && safety !== 'PromptTemporarily';
  const own = await deviceFingerprint(trezor, keyOrigins(tx), coin, signal);
  const plan = planSigning(tx, coin, strict, own, trezor.features.major_version !== 1);
  // Firmware before taproot knows neither SPENDTAPROOT / PAYTOTAPROOT nor bech32m addresses.
  if (plan.inputs.some((i) => i.type === 'p2tr')) requireTaproot(trezor.features, 'Taproot inputs');
  if (plan.outputScripts.some((o) => isTaprootScript(o.script))) requireTaproot(trezor.features, 'Taproot outputs');
  if (options.origTxs !== undefined) {
    plan.origTxs = linkOriginals(options.origTxs, plan, coin);
    if (plan.origTxs.size) requireReplacement(trezor.features);
  }

  const signatures: (Uint8Array | undefined)[] = new Array(plan.inputs.length);
  const chunks: Uint8Array[] = [];
  await trezor.exclusive((deviceCall) =>
    cancelOnHostError(deviceCall, async (call) => {
      let reply = await call(
        'SignTx',
        {
          outputs_count: plan.outputs.length,
          inputs_count: plan.inputs.length,
          coin_name: coin.name,
          version: plan.version,
          lock_time: plan.lockTime,
          ...(options.amountUnit ? { amount_unit: options.amountUnit } : {}),
        },
        { signal },
      );
      for (;;) {
        const request = expectType(reply, 'TxRequest');
        const serialized = request.serialized;
        if (serialized) {
          if (serialized.serialized_tx && serialized.serialized_tx.length) chunks.push(serialized.serialized_tx);
          if (serialized.signature_index !== undefined && serialized.signature !== undefined) {
            const index = serialized.signature_index;
            if (index >= plan.inputs.length) throw protocolError(`The device returned a signature for input ${index} of ${plan.inputs.length}`);
            signatures[index] = serialized.signature;
            onProgress?.({ phase: 'signature', index, total: plan.inputs.length });
          }
        }
        if (request.request_type === 'TXFINISHED') return;
        reply = await answer(call, request, plan, onProgress, signal);
      }
    }),
  );

  return finish(tx, plan, signatures, concatBytes(...chunks), options.finalize === true);
}


/** Every master fingerprint the PSBT's inputs name, with one path under it. */
function keyOrigins(tx: PsbtView): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const { map } of tx.inputs) {
    if (map.finalScriptSig || map.finalScriptWitness) continue;
    for (const [, d] of map.bip32Derivation ?? []) if (d.path.length && !out.has(d.fingerprint)) out.set(d.fingerprint, d.path);
    for (const [, d] of map.tapBip32Derivation ?? []) if (d.der.path.length && !out.has(d.der.fingerprint)) out.set(d.der.fingerprint, d.der.path);
  }
  return out;
}

export interface SigningPlan {
  version: number;
  lockTime: number;
  inputs: InputPlan[];
  outputs: TxOutput[];
  outputScripts: { amount: bigint; script: Uint8Array }[];
  prevTxs: Map<string, PrevTxPlan>;
  /** Transactions this one replaces, by txid (display hex). */
  origTxs?: Map<string, OrigTxPlan>;
  sighasher: Sighasher;
  /** SIGHASH_ALL, or ALL|FORKID|fork_id<<8 on a coin with replay protection (BIP-143 for every input). */
  hashType: number;
}

/** InvalidParameters when a key path of the PSBT belongs to another coin (see foreignCoinPath). */
function checkCoinPath(path: number[], coin: CoinInfo, field: string): void {
  const foreign = foreignCoinPath(path, coin);
  if (foreign) {
    throw invalidParameter(field, `${formatPath(path)} ${foreign}: the PSBT does not belong to coin ${coin.name}, and the device would refuse the path (Forbidden key path)`);
  }
}

/**
 * `own`: the device's master fingerprint (fingerprint.ts); `verifiesSignatures`: the firmware
 * checks presigned external inputs (Core; the One does not).
 */
export function planSigning(tx: PsbtView, coin: CoinInfo, strictPaths: boolean, own: number | undefined, verifiesSignatures: boolean): SigningPlan {
  const xpubs = tx.xpubs;
  const nInputs = tx.inputs.length;
  const nOutputs = tx.outputs.length;
  if (nInputs === 0) throw invalidParameter('psbt.inputs', 'the PSBT has no inputs');
  if (nOutputs === 0) throw invalidParameter('psbt.outputs', 'the PSBT has no outputs');
  const version = tx.version;
  const lockTime = tx.lockTime;
  if (version < 1 || version > 0xffffffff) throw invalidParameter('psbt.version', `unsupported transaction version ${version}`);

  const inputs: InputPlan[] = [];
  const sighashInputs: SighashInput[] = [];
  // Previous transactions nonWitnessUtxo cannot hold (prevtx.ts), by input.
  const ownPrevs: (ParsedPrevTx | undefined)[] = [];
  for (let i = 0; i < nInputs; i++) {
    const field = `psbt.inputs[${i}]`;
    const { txid, index, sequence, map: input } = tx.inputs[i]!;
    const final = input.finalScriptSig !== undefined || input.finalScriptWitness !== undefined;
    if (!final && input.sighashType !== undefined && input.sighashType !== 1 && input.sighashType !== 0 && input.sighashType !== forkIdHashType(coin.forkId)) {
      throw invalidParameter(`${field}.sighashType`, 'the device signs SIGHASH_ALL (or DEFAULT for taproot, ALL|FORKID on forks) only');
    }

    // The spent output: amount and script.
    let prevOut: { amount: bigint; script: Uint8Array } | undefined;
    const ownPrev = input.nonWitnessUtxo ? undefined : ownPrevTx(input.proprietary, txid, coin.extraData, `${field}.proprietary`);
    ownPrevs.push(ownPrev);
    if (ownPrev) {
      const out = ownPrev.outputs[index];
      if (!out) throw invalidParameter(`${field}.proprietary`, `the previous transaction has no output ${index}`);
      if (input.witnessUtxo && (input.witnessUtxo.amount !== out.amount || !equal(input.witnessUtxo.script, out.script_pubkey))) {
        throw invalidParameter(`${field}.witnessUtxo`, 'disagrees with the previous transaction');
      }
      prevOut = { amount: out.amount, script: out.script_pubkey };
    } else if (input.nonWitnessUtxo) {
      const out = input.nonWitnessUtxo.outputs[index];
      if (!out) throw invalidParameter(`${field}.nonWitnessUtxo`, `has no output ${index}`);
      if (!equal(txidOf(input.nonWitnessUtxo), txid)) throw invalidParameter(`${field}.nonWitnessUtxo`, 'does not hash to the input txid');
      if (input.witnessUtxo && (input.witnessUtxo.amount !== out.amount || !equal(input.witnessUtxo.script, out.script))) {
        throw invalidParameter(`${field}.witnessUtxo`, 'disagrees with the previous transaction');
      }
      prevOut = out;
    } else if (input.witnessUtxo) prevOut = input.witnessUtxo;
    if (!prevOut) throw invalidParameter(`${field}.witnessUtxo`, 'missing: the amount of the spent output is unknown');
    sighashInputs.push({ txid: txid.slice().reverse(), index, sequence, amount: prevOut.amount, script: prevOut.script });
    const outpoint = { prev_hash: txid, prev_index: index, sequence, amount: prevOut.amount };

    // A multisig input with one of the device's keys among the cosigners (multisig.ts).
    const signedKeys = input.partialSig ?? [];
    const multisig = final ? undefined : psbtMultisig(input, prevOut.script, own, xpubs, field, (key) => signedKeys.some(([k]) => equal(k, key)));
    if (multisig) {
      if (strictPaths) checkCoinPath(multisig.own.path, coin, `${field}.bip32Derivation`);
      if (!coin.segwit && multisig.type !== 'p2sh') throw invalidParameter(field, `${coin.name} has no segwit`);
      // The cosigners' signatures so far, by key in script order (sighash byte kept).
      const signatures = multisig.pubkeys.map((key) => {
        if (equal(key, multisig.own.publicKey)) return undefined;
        const sig = signedKeys.find(([k]) => equal(k, key))?.[1];
        if (sig && sig[sig.length - 1] !== (forkIdHashType(coin.forkId) & 0xff)) throw invalidParameter(`${field}.partialSig`, 'a cosigner signature is not SIGHASH_ALL (with the coin\'s fork id), which the device writes for every signature');
        return sig;
      });
      inputs.push({
        // 'p2pkh' stands for "legacy digest" (bare P2SH), 'p2wpkh' for BIP-143; finish() reads `multisig`.
        type: multisig.type === 'p2sh' ? 'p2pkh' : 'p2wpkh',
        publicKey: multisig.own.publicKey,
        verifyKey: multisig.own.publicKey,
        prevScript: prevOut.script,
        message: {
          address_n: multisig.own.path,
          ...outpoint,
          script_type: MULTISIG_INPUT_SCRIPT_TYPE[multisig.type],
          multisig: { ...multisig.message, signatures: signatures.map((sig) => (sig ? sig.subarray(0, -1) : new Uint8Array(0))) },
        },
        multisig: { ...multisig, signatures },
      });
      continue;
    }

    // The device's key that spends this input, if any (a key under its master fingerprint).
    let derivation: { publicKey: Uint8Array; fingerprint: number; path: number[]; taproot: boolean } | undefined;
    const mine = (fingerprint: number) => own === undefined || fingerprint === own;
    const taprootDer = (input.tapBip32Derivation ?? []).filter(([, d]) => d.hashes.length === 0 && mine(d.der.fingerprint));
    const ecdsaDer = (input.bip32Derivation ?? []).filter(([, d]) => mine(d.fingerprint));
    if (!final && taprootDer.length === 1) {
      const [key, d] = taprootDer[0]!;
      derivation = { publicKey: key, fingerprint: d.der.fingerprint, path: d.der.path, taproot: true };
    } else if (!final && ecdsaDer.length === 1) {
      const [key, d] = ecdsaDer[0]!;
      derivation = { publicKey: key, fingerprint: d.fingerprint, path: d.path, taproot: false };
    } else if (!final && (ecdsaDer.length > 1 || taprootDer.length > 1)) {
      throw invalidParameter(`${field}.bip32Derivation`, 'has several keys of the device without a multisig witnessScript/redeemScript naming them');
    } else {
      // Not the device's: an external input (external.ts).
      const external = externalInput(input, prevOut.script, field, strictPaths, verifiesSignatures);
      const type = isTaprootScript(prevOut.script) ? 'p2tr' : 'p2wpkh';
      inputs.push({ type, publicKey: new Uint8Array(0), verifyKey: new Uint8Array(0), prevScript: prevOut.script, message: { ...outpoint, ...external.message }, external });
      continue;
    }
    if (derivation.path.length === 0 || derivation.path.length > 8) throw invalidParameter(`${field}.bip32Derivation`, 'path depth must be 1..8');
    if (strictPaths) checkCoinPath(derivation.path, coin, `${field}.${derivation.taproot ? 'tapBip32Derivation' : 'bip32Derivation'}`);

    const owned = ownedScriptType(prevOut.script, derivation.publicKey, derivation.taproot);
    if (!owned) throw invalidParameter(`${field}.bip32Derivation`, 'its key does not own the spent output script');
    if (owned.type === 'p2tr' && !coin.taproot) throw invalidParameter(field, `${coin.name} has no taproot`);
    if (owned.type !== 'p2pkh' && !coin.segwit) throw invalidParameter(field, `${coin.name} has no segwit`);
    if (input.redeemScript && owned.redeemScript && !equal(input.redeemScript, owned.redeemScript)) {
      throw invalidParameter(`${field}.redeemScript`, 'does not match the key');
    }
    const plan: InputPlan = {
      type: owned.type,
      publicKey: derivation.publicKey,
      verifyKey: owned.type === 'p2tr' ? prevOut.script.subarray(2, 34) : derivation.publicKey,
      prevScript: prevOut.script,
      message: {
        address_n: derivation.path,
        ...outpoint,
        script_type: INPUT_SCRIPT_TYPE[owned.type],
      },
    };
    if (owned.redeemScript) plan.redeemScript = owned.redeemScript;
    inputs.push(plan);
  }

  // Previous transactions, needed unless every input is taproot.
  const taprootOnly = inputs.every((i) => i.type === 'p2tr');
  const prevTxs = new Map<string, PrevTxPlan>();
  tx.inputs.forEach(({ txid, map }, i) => {
    const prev = map.nonWitnessUtxo;
    const ownPrev = ownPrevs[i];
    if (ownPrev) {
      const id = hex.encode(txid);
      if (!prevTxs.has(id)) prevTxs.set(id, { firstInput: i, meta: ownPrev.meta, inputs: ownPrev.inputs, outputs: ownPrev.outputs, extra: ownPrev.extra });
      return;
    }
    if (!prev) {
      if (!taprootOnly) {
        throw invalidParameter(`psbt.inputs[${i}].nonWitnessUtxo`, 'missing: the device checks every non-taproot spend against its previous transaction');
      }
      return;
    }
    const id = hex.encode(txid);
    if (prevTxs.has(id)) return;
    prevTxs.set(id, {
      firstInput: i,
      meta: { version: prev.version >>> 0, lock_time: prev.lockTime, inputs_count: prev.inputs.length, outputs_count: prev.outputs.length },
      inputs: prev.inputs.map((p) => ({ prev_hash: p.txid, prev_index: p.index, script_sig: p.finalScriptSig, sequence: p.sequence })),
      outputs: prev.outputs.map((o) => ({ amount: o.amount, script_pubkey: o.script })),
    });
  });

  // Outputs: change (derivation of this wallet, key owns the script), OP_RETURN, or an address.
  // A multisig output is change when the device's inputs are all multisig of its cosigners.
  const wallets = new Set(inputs.filter((input) => !input.external).map((input) => input.multisig?.wallet ?? '-'));
  const multisigWallet = wallets.size === 1 ? [...wallets][0] : undefined;
  const outputs: TxOutput[] = [];
  const outputScripts: { amount: bigint; script: Uint8Array }[] = [];
  for (let i = 0; i < nOutputs; i++) {
    const field = `psbt.outputs[${i}]`;
    const output = tx.outputs[i]!;
    if (!output.script || output.amount === undefined) throw invalidParameter(field, 'missing its script or amount');
    outputScripts.push({ amount: output.amount, script: output.script });
    const multisigChange = psbtMultisig(output.map, output.script, own, xpubs, field);
    if (multisigChange && multisigChange.wallet && multisigChange.singlePath && multisigChange.wallet === multisigWallet) {
      if (strictPaths) checkCoinPath(multisigChange.own.path, coin, `${field}.bip32Derivation`);
      const type = MULTISIG_CHANGE_SCRIPT_TYPE[multisigChange.type];
      outputs.push({ address_n: multisigChange.own.path, amount: output.amount, script_type: type, multisig: multisigChange.message });
      continue;
    }
    const change = changeOutput(output.map, output.script, own);
    if (change) {
      if (strictPaths) checkCoinPath(change.path, coin, `${field}.${change.taproot ? 'tapBip32Derivation' : 'bip32Derivation'}`);
      outputs.push({ address_n: change.path, amount: output.amount, script_type: CHANGE_SCRIPT_TYPE[change.type] });
      continue;
    }
    const data = opReturnData(output.script);
    if (data) {
      if (output.amount !== 0n) throw invalidParameter(`${field}.amount`, 'an OP_RETURN output must carry 0 sat for the device');
      outputs.push({ amount: 0n, script_type: 'PAYTOOPRETURN', op_return_data: data });
      continue;
    }
    if (isOpReturn(output.script)) throw invalidParameter(`${field}.script`, 'an OP_RETURN output must be OP_RETURN and one push of its data: the device signs no other form');
    const address = scriptAddress(coin, output.script);
    if (!address) throw invalidParameter(`${field}.script`, `has no ${coin.name} address form the device could show`);
    outputs.push({ address, amount: output.amount, script_type: 'PAYTOADDRESS' });
  }

  return {
    version,
    lockTime,
    inputs,
    outputs,
    outputScripts,
    prevTxs,
    sighasher: new Sighasher({ version, lockTime, inputs: sighashInputs, outputs: outputScripts }),
    hashType: forkIdHashType(coin.forkId),
  };
}

function changeOutput(output: OutputMap, script: Uint8Array, fingerprint: number | undefined): { path: number[]; type: ScriptType; taproot: boolean } | undefined {
  if (fingerprint === undefined) return undefined;
  const candidates: { key: Uint8Array; fingerprint: number; path: number[]; taproot: boolean }[] = [];
  for (const [key, d] of output.tapBip32Derivation ?? []) {
    if (d.hashes.length === 0) candidates.push({ key, fingerprint: d.der.fingerprint, path: d.der.path, taproot: true });
  }
  for (const [key, d] of output.bip32Derivation ?? []) candidates.push({ key, fingerprint: d.fingerprint, path: d.path, taproot: false });
  if (candidates.length !== 1) return undefined;
  const c = candidates[0]!;
  if (c.fingerprint !== fingerprint || c.path.length === 0 || c.path.length > 8) return undefined;
  const owned = ownedScriptType(script, c.key, c.taproot);
  return owned ? { path: c.path, type: owned.type, taproot: c.taproot } : undefined;
}

/** The TxAck for one TxRequest. */
function answer(call: CallFn, request: MessageMap['TxRequest'], plan: SigningPlan, onProgress: SignPsbtParameters['onProgress'], signal: AbortSignal | undefined) {
  const details = request.details ?? {};
  const index = details.request_index ?? 0;
  const options = { signal };
  if (details.tx_hash && details.tx_hash.length) {
    const orig = plan.origTxs?.get(hex.encode(details.tx_hash));
    if (orig) {
      onProgress?.({ phase: 'originalTransaction', index: orig.index, total: plan.origTxs!.size });
      return answerOriginal(call, request, orig, options);
    }
    const prev = plan.prevTxs.get(hex.encode(details.tx_hash));
    if (!prev) throw protocolError(`The device asked for previous transaction ${hex.encode(details.tx_hash)}, which the PSBT does not carry`);
    onProgress?.({ phase: 'previousTransaction', index: prev.firstInput, total: plan.inputs.length });
    switch (request.request_type) {
      case 'TXMETA':
        return call('TxAckPrevMeta', { tx: prev.meta }, options);
      case 'TXINPUT': {
        const input = prev.inputs[index];
        if (!input) throw protocolError(`The device asked for input ${index} of a previous transaction with ${prev.inputs.length}`);
        return call('TxAckPrevInput', { tx: { input } }, options);
      }
      case 'TXOUTPUT': {
        const output = prev.outputs[index];
        if (!output) throw protocolError(`The device asked for output ${index} of a previous transaction with ${prev.outputs.length}`);
        return call('TxAckPrevOutput', { tx: { output } }, options);
      }
      case 'TXEXTRADATA': {
        const offset = details.extra_data_offset ?? 0;
        const length = details.extra_data_len ?? 0;
        const chunk = prev.extra?.slice(offset, offset + length);
        if (!chunk || chunk.length !== length) throw protocolError('The device asked for extra data the previous transaction does not have');
        return call('TxAckPrevExtraData', { tx: { extra_data_chunk: chunk } }, options);
      }
      default:
        throw protocolError(`Unexpected request ${String(request.request_type)} about a previous transaction`);
    }
  }
  switch (request.request_type) {
    case 'TXINPUT': {
      const input = plan.inputs[index];
      if (!input) throw protocolError(`The device asked for input ${index} of ${plan.inputs.length}`);
      onProgress?.({ phase: 'input', index, total: plan.inputs.length });
      return call('TxAckInput', { tx: { input: input.message } }, options);
    }
    case 'TXOUTPUT': {
      const output = plan.outputs[index];
      if (!output) throw protocolError(`The device asked for output ${index} of ${plan.outputs.length}`);
      onProgress?.({ phase: 'output', index, total: plan.outputs.length });
      return call('TxAckOutput', { tx: { output } }, options);
    }
    default:
      throw protocolError(`Unexpected request ${String(request.request_type)} (only standard transactions are supported)`);
  }
}

/** What one input brings to the final transaction, its signature verified. */
export interface CheckedInput {
  scriptSig: Uint8Array;
  witness: Uint8Array[];
  /** The input holds all its signatures (a multisig input may wait for cosigners). */
  complete: boolean;
  segwit: boolean;
}

const verificationFailed = (why: string) => new TrezorError('VerificationFailed', why);

/**
 * Check the device's signature of input `i` against the input's sighash and key, and build the
 * input's final scripts. VerificationFailed when the signature is missing, misplaced (an
 * external input) or does not verify.
 */
export function checkInput(plan: SigningPlan, i: number, signature: Uint8Array | undefined, verifier: SignatureVerifier): CheckedInput {
  const input = plan.inputs[i]!;
  if (input.external) {
    // Another party's input: the device writes it as given and returns no signature for it.
    if (signature) throw verificationFailed(`The device returned a signature for input ${i}, which is not its own`);
    const { scriptSig, witness } = input.external;
    return { scriptSig, witness, complete: scriptSig.length > 0 || witness.length > 0, segwit: witness.length > 0 };
  }
  if (!signature) throw verificationFailed(`The device returned no signature for input ${i}`);
  if (input.type === 'p2tr') {
    if (!verifier.schnorr(signature, plan.sighasher.bip341(i), input.verifyKey)) throw verificationFailed(`The signature of input ${i} does not verify`);
    return { scriptSig: new Uint8Array(0), witness: [signature], complete: true, segwit: true };
  }
  const multisig = input.multisig;
  const scriptCode = multisig ? multisig.script : input.type === 'p2pkh' ? input.prevScript : keyScript('p2pkh', input.publicKey).script;
  const forkId = plan.hashType !== 1;
  // The sighash is SHA-256 of this (sigverify.ts: the verifier hashes it once more).
  const hashedOnce = input.type === 'p2pkh' && !forkId ? plan.sighasher.legacyOnce(i, scriptCode) : plan.sighasher.bip143Once(i, scriptCode, plan.hashType);
  if (!verifier.ecdsa(signature, hashedOnce, input.publicKey)) throw verificationFailed(`The signature of input ${i} does not verify`);
  const sig = concatBytes(signature, Uint8Array.of(plan.hashType & 0xff));
  if (multisig) {
    // The device's signature in its key's place among the cosigners' (multisig.ts).
    const all = multisig.pubkeys.map((key, k) => (equal(key, input.publicKey) ? sig : multisig.signatures[k]));
    const spend = multisigSpend(multisig.type, multisig.script, all);
    return { scriptSig: spend.scriptSig, witness: spend.witness, complete: all.filter(Boolean).length >= multisig.m, segwit: multisig.type !== 'p2sh' };
  }
  if (input.type === 'p2pkh') {
    return { scriptSig: concatBytes(Uint8Array.of(sig.length), sig, Uint8Array.of(input.publicKey.length), input.publicKey), witness: [], complete: true, segwit: false };
  }
  return {
    scriptSig: input.redeemScript ? concatBytes(Uint8Array.of(input.redeemScript.length), input.redeemScript) : new Uint8Array(0),
    witness: [sig, input.publicKey],
    complete: true,
    segwit: true,
  };
}

/** Verify the signatures and the device's transaction; build the signed PSBT. */
export function finish(
  tx: PsbtView,
  plan: SigningPlan,
  signatures: (Uint8Array | undefined)[],
  deviceTx: Uint8Array,
  finalize: boolean,
  verifier: SignatureVerifier = signatureVerifier(),
): SignPsbtReturnType {
  const fail = verificationFailed;
  const inputs = plan.inputs.map((_, i) => checkInput(plan, i, signatures[i], verifier));
  const scriptSigs = inputs.map((c) => c.scriptSig);
  const witnesses = inputs.map((c) => c.witness);
  const complete = inputs.map((c) => c.complete);
  const segwit = inputs.some((c) => c.segwit);

  // The transaction as the PSBT and the verified signatures define it.
  const body: Uint8Array[] = [compactSize(plan.inputs.length)];
  plan.inputs.forEach((input, i) => {
    body.push(input.message.prev_hash.slice().reverse(), u32(input.message.prev_index), compactSize(scriptSigs[i]!.length), scriptSigs[i]!, u32(input.message.sequence!));
  });
  body.push(compactSize(plan.outputScripts.length), ...plan.outputScripts.map(serializeOutput));
  const version = u32(plan.version);
  const lockTime = u32(plan.lockTime);
  const stripped = concatBytes(version, ...body, lockTime);
  const expected = segwit ? concatBytes(version, Uint8Array.of(0x00, 0x01), ...body, ...witnesses.map(encodeWitness), lockTime) : stripped;
  if (!equal(expected, deviceTx)) throw fail('The transaction the device serialised differs from the PSBT with its signatures');

  // The signed PSBT: the signatures go into the input maps, everything else stays as it was
  // (a cosigner's signatures too); with `finalize`, complete inputs get their final scripts.
  plan.inputs.forEach((input, i) => {
    if (input.external) return;
    const signature = signatures[i]!;
    const map = tx.inputs[i]!.raw;
    if (input.type === 'p2tr') setPair(map, psbtKey(0x13), signature); // PSBT_IN_TAP_KEY_SIG
    else {
      setPair(map, psbtKey(0x02, input.publicKey), concatBytes(signature, Uint8Array.of(plan.hashType & 0xff))); // PSBT_IN_PARTIAL_SIG
      if (input.redeemScript) setPair(map, psbtKey(0x04), input.redeemScript); // PSBT_IN_REDEEM_SCRIPT
    }
    if (finalize && complete[i]) {
      // BIP-174 input finalizer: the final scripts, and none of the data that led to them
      // (partial sigs, sighash type, redeem/witness script, derivations, tap key sig, tap derivations, tap internal key).
      removeTypes(map, [0x02, 0x03, 0x04, 0x05, 0x06, 0x13, 0x16, 0x17]);
      if (scriptSigs[i]!.length) setPair(map, psbtKey(0x07), scriptSigs[i]!); // PSBT_IN_FINAL_SCRIPTSIG
      if (witnesses[i]!.length) setPair(map, psbtKey(0x08), encodeWitness(witnesses[i]!)); // PSBT_IN_FINAL_SCRIPTWITNESS
    }
  });
  return { psbt: tx.encode(), tx: deviceTx, txid: hex.encode(sha256d(stripped).reverse()), complete: complete.every(Boolean) };
}

