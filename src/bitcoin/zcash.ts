/**
 * Zcash (transparent) transactions: an unsigned form of their own, built on the host and signed
 * on the device.
 *
 * Why not a PSBT: BIP-174 has no place for what a Zcash transaction commits to besides inputs
 * and outputs (version group id, consensus branch id, expiry height), its `nonWitnessUtxo`
 * holds a Bitcoin-serialised transaction while Zcash previous transactions are overwintered
 * (an extra header and a shielded tail), and a v5 txid is not a double SHA-256. So a Zcash
 * transaction here is a plain object ({@link ZcashTransaction}: amounts as bigint, or decimal
 * strings when it has been through JSON; the fields of
 * the firmware's SignTx plus inputs with their key paths and outputs), which
 * {@link createZcashTransaction} builds from UTXOs and {@link signZcashTransaction} signs.
 *
 * What the firmware requires (core apps/bitcoin/sign_tx, core/v2.8.9; legacy likewise):
 * - version 5 (ZIP-225, since core 2.5.1 / legacy 1.11.1) or 4 (Sapling), with the version
 *   group id (0x26A7270A / 0x892F2085) and the consensus branch id of the network upgrade the
 *   transaction is for (NU5 0xC2D6D0B4, NU6 0xC8E71055 …: the caller names it), and an expiry
 *   height (0: none).
 * - v5 inputs are signed with the ZIP-244 digest, which commits to every spent amount and
 *   script: the device does not ask for previous transactions. v4 inputs are signed with the
 *   ZIP-243 digest, and the device streams each previous transaction (with its overwintered
 *   header and its tail as extra data) to check the amounts.
 *
 * Every signature is verified on the host against that digest and the key of the spent
 * script, and the transaction the device serialised must equal the one rebuilt here.
 * No shielded parts: the Sapling and Orchard bundles are empty.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { hex } from '@scure/base';
import { TrezorError, describeValue, invalidParameter, protocolError } from '../errors.js';
import type { MessageMap, PrevInput, PrevOutput, PrevTx, TxInput, TxOutput } from '../messages/index.js';
import { parsePath, type Path } from '../path.js';
import { cancelOnHostError, expectType, type CallFn, type Trezor } from '../session/trezor.js';
import { AccountKeys, type AccountKey } from './accounts.js';
import { addressScript, hash160, keyScript, scriptAddress } from './address.js';
import type { CoinInfo } from './coins.js';
import { parsePrevTx } from './prevtx.js';
import { compactSize, serializeOutput, sha256d, u32 } from './sighash.js';

/** Version group ids of the transaction formats the firmware signs (ZIP-225, ZIP-202). */
export const ZCASH_VERSION_GROUP_ID = /* @__PURE__ */ Object.freeze({ 4: 0x892f2085, 5: 0x26a7270a } as const);

const OVERWINTERED = 0x80000000;

/** An input: a UTXO of the device's wallet. */
export interface ZcashInput {
  /** Id of the transaction that created it (display hex). */
  txid: string;
  vout: number;
  /** Value in zatoshis. */
  amount: bigint | number | string;
  /** Key path, e.g. "m/44'/133'/0'/0/0" (P2PKH); omitted for another party's presigned input (scriptSig). */
  path?: Path;
  /**
   * Another party's input, already signed (hex scriptSig, with scriptPubKey or prevTx): sent as
   * EXTERNAL, the device checks its signature and keeps it (test_zcash.py::test_external_presigned).
   */
  scriptSig?: string;
  /** Its output script (hex); taken from prevTx when omitted. */
  scriptPubKey?: string;
  /** The raw previous transaction (hex): required to sign a v4 transaction. */
  prevTx?: string;
  /** nSequence, default 0xffffffff. */
  sequence?: number;
}

/**
 * An output: to an address, or change back to a key of the wallet (with its P2PKH script when
 * known, which the device's change is then held to).
 */
export type ZcashOutput = { address: string; amount: bigint | number | string } | { path: Path; amount: bigint | number | string; scriptPubKey?: string };

/** An unsigned transparent Zcash transaction: what the device's SignTx needs, and the inputs and outputs. */
export interface ZcashTransaction {
  /** 5 (NU5 and later) or 4 (Sapling). */
  version: 4 | 5;
  /** Default: the one of the version (ZCASH_VERSION_GROUP_ID). */
  versionGroupId?: number;
  /** Consensus branch id of the network upgrade (e.g. NU5 0xC2D6D0B4). */
  branchId: number;
  /** Expiry height, default 0 (none). */
  expiry?: number;
  /** nLockTime, default 0. */
  lockTime?: number;
  inputs: ZcashInput[];
  outputs: ZcashOutput[];
}

export interface SignZcashParameters {
  /** ZCASH or ZCASH_TESTNET (coins-family.ts). */
  coin: CoinInfo;
  signal?: AbortSignal;
}

export interface SignZcashReturnType {
  /** The signed transaction, as the device serialised it. */
  tx: Uint8Array;
  /** Its txid (display hex): ZIP-244 for v5, double SHA-256 for v4. */
  txid: string;
  /** The DER signature of each input, as the device returned it (empty for a presigned input). */
  signatures: Uint8Array[];
}

// ----------------------------------------------------------------------------------------------
// Digests

const utf8 = (text: string) => new TextEncoder().encode(text);
const blake = (personal: string | Uint8Array, ...data: Uint8Array[]) =>
  blake2b(concatBytes(...data), { dkLen: 32, personalization: typeof personal === 'string' ? utf8(personal) : personal });

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

const varBytes = (data: Uint8Array) => concatBytes(compactSize(data.length), data);

/** One input as the digests see it. */
export interface ZcashDigestInput {
  /** Previous txid, internal byte order. */
  txid: Uint8Array;
  index: number;
  sequence: number;
  amount: bigint;
  script: Uint8Array;
  /** A presigned input's final scriptSig (another party's): no signature of the device. */
  scriptSig?: Uint8Array;
}

/** What the digests commit to. */
export interface ZcashDigestTx {
  version: 4 | 5;
  versionGroupId: number;
  branchId: number;
  lockTime: number;
  expiry: number;
  inputs: readonly ZcashDigestInput[];
  outputs: readonly { amount: bigint; script: Uint8Array }[];
}

const outpoint = (i: ZcashDigestInput) => concatBytes(i.txid, u32(i.index));

function personalWithBranch(prefix: string, branchId: number): Uint8Array {
  return concatBytes(utf8(prefix), u32(branchId));
}

/** ZIP-244 parts shared by the txid and the signature digest. */
function zip244Parts(tx: ZcashDigestTx) {
  const header = blake('ZTxIdHeadersHash', u32(tx.version | OVERWINTERED), u32(tx.versionGroupId), u32(tx.branchId), u32(tx.lockTime), u32(tx.expiry));
  const prevouts = blake('ZTxIdPrevoutHash', ...tx.inputs.map(outpoint));
  const sequences = blake('ZTxIdSequencHash', ...tx.inputs.map((i) => u32(i.sequence)));
  const outputs = blake('ZTxIdOutputsHash', ...tx.outputs.map(serializeOutput));
  const empty = tx.inputs.length === 0 && tx.outputs.length === 0;
  return { header, prevouts, sequences, outputs, empty, sapling: blake('ZTxIdSaplingHash'), orchard: blake('ZTxIdOrchardHash') };
}

/**
 * The ZIP-244 txid of a transparent-only v5 transaction (display hex).
 * @example zip244Txid(tx) // 'c5309bd6…'
 */
export function zip244Txid(tx: ZcashDigestTx): string {
  const p = zip244Parts(tx);
  const transparent = p.empty ? blake('ZTxIdTranspaHash') : blake('ZTxIdTranspaHash', p.prevouts, p.sequences, p.outputs);
  return hex.encode(blake(personalWithBranch('ZcashTxHash_', tx.branchId), p.header, transparent, p.sapling, p.orchard).reverse());
}

/**
 * The ZIP-244 signature digest (SIGHASH_ALL) of input `i` of a transparent v5 transaction.
 * @example zip244SignatureDigest(tx, 0)
 */
export function zip244SignatureDigest(tx: ZcashDigestTx, i: number): Uint8Array {
  const p = zip244Parts(tx);
  const amounts = blake('ZTxTrAmountsHash', ...tx.inputs.map((input) => u64(input.amount)));
  const scripts = blake('ZTxTrScriptsHash', ...tx.inputs.map((input) => varBytes(input.script)));
  const input = tx.inputs[i]!;
  const txin = blake('Zcash___TxInHash', outpoint(input), u64(input.amount), varBytes(input.script), u32(input.sequence));
  const transparent = blake('ZTxIdTranspaHash', Uint8Array.of(1), p.prevouts, amounts, scripts, p.sequences, p.outputs, txin);
  return blake(personalWithBranch('ZcashTxHash_', tx.branchId), p.header, transparent, p.sapling, p.orchard);
}

/**
 * The ZIP-243 signature digest (SIGHASH_ALL) of input `i` of a transparent v4 (Sapling)
 * transaction; the scriptCode of a P2PKH input is its scriptPubKey.
 * @example zip243SignatureDigest(tx, 0)
 */
export function zip243SignatureDigest(tx: ZcashDigestTx, i: number): Uint8Array {
  const zero = new Uint8Array(32);
  const input = tx.inputs[i]!;
  return blake(
    personalWithBranch('ZcashSigHash', tx.branchId),
    u32(tx.version | OVERWINTERED),
    u32(tx.versionGroupId),
    blake('ZcashPrevoutHash', ...tx.inputs.map(outpoint)),
    blake('ZcashSequencHash', ...tx.inputs.map((x) => u32(x.sequence))),
    blake('ZcashOutputsHash', ...tx.outputs.map(serializeOutput)),
    zero, // hashJoinSplits
    zero, // hashShieldedSpends
    zero, // hashShieldedOutputs
    u32(tx.lockTime),
    u32(tx.expiry),
    u64(0n), // valueBalance
    u32(1), // SIGHASH_ALL
    outpoint(input),
    varBytes(input.script),
    u64(input.amount),
    u32(input.sequence),
  );
}

/**
 * The serialised transparent transaction (v4: ZIP-202/Sapling layout, v5: ZIP-225) with these
 * scriptSigs.
 * @example serializeZcash(tx, scriptSigs)
 */
export function serializeZcash(tx: ZcashDigestTx, scriptSigs: readonly Uint8Array[]): Uint8Array {
  const vin = [compactSize(tx.inputs.length), ...tx.inputs.flatMap((input, i) => [outpoint(input), varBytes(scriptSigs[i] ?? new Uint8Array(0)), u32(input.sequence)])];
  const vout = [compactSize(tx.outputs.length), ...tx.outputs.map(serializeOutput)];
  const header = [u32(tx.version | OVERWINTERED), u32(tx.versionGroupId)];
  if (tx.version === 5) return concatBytes(...header, u32(tx.branchId), u32(tx.lockTime), u32(tx.expiry), ...vin, ...vout, Uint8Array.of(0, 0, 0));
  return concatBytes(...header, ...vin, ...vout, u32(tx.lockTime), u32(tx.expiry), u64(0n), Uint8Array.of(0, 0, 0));
}

// ----------------------------------------------------------------------------------------------
// Previous transactions

/** A previous transaction split the way the device asks for it. */
export interface ZcashPrevTx {
  txid: string;
  meta: PrevTx;
  inputs: PrevInput[];
  outputs: PrevOutput[];
  /** Everything after the outputs the header does not cover (the device's extra data). */
  extra: Uint8Array;
}

/**
 * Read a raw Zcash transaction (v1/v2 Bitcoin-like, v3/v4 overwintered, v5 ZIP-225) for the
 * device; it must hash to its txid (v5: transparent-only, as the firmware computes it).
 * @example parseZcashTx(hex.decode(raw)).outputs[0].amount
 */
export function parseZcashTx(raw: Uint8Array, field = 'prevTx'): ZcashPrevTx {
  const { meta, inputs, outputs, extra } = parsePrevTx(raw, true, field);
  const version = meta.version;
  if (version === 5 && meta.version_group_id === undefined) throw invalidParameter(field, 'not a Zcash transaction: a v5 transaction must be overwintered');
  let txid: string;
  if (version === 5) {
    if (extra.length !== 3 || extra.some((b) => b !== 0)) throw invalidParameter(field, 'a v5 previous transaction with shielded parts cannot be checked here: give scriptPubKey instead');
    txid = zip244Txid({
      version: 5,
      versionGroupId: meta.version_group_id!,
      branchId: meta.branch_id!,
      lockTime: meta.lock_time,
      expiry: meta.expiry!,
      inputs: inputs.map((i) => ({ txid: i.prev_hash.slice().reverse(), index: i.prev_index, sequence: i.sequence, amount: 0n, script: new Uint8Array(0) })),
      outputs: outputs.map((o) => ({ amount: o.amount, script: o.script_pubkey })),
    });
  } else txid = hex.encode(sha256d(raw).reverse());
  return { txid, meta, inputs, outputs, extra };
}

// ----------------------------------------------------------------------------------------------
// Checking the unsigned form

const MAX_ZATOSHIS = 21_000_000n * 100_000_000n;

function zatoshis(value: unknown, field: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^[0-9]{1,17}$/.test(value)) n = BigInt(value);
  else throw invalidParameter(field, 'expected an integer number of zatoshis (bigint, safe integer or decimal string)');
  if (n < 0n || n > MAX_ZATOSHIS) throw invalidParameter(field, 'out of range');
  return n;
}

function u32Of(value: unknown, field: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffffffff) throw invalidParameter(field, 'expected a u32');
  return value as number;
}

function hexOf(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(value)) throw invalidParameter(field, 'expected hex');
  return hex.decode(value.toLowerCase());
}

interface Plan {
  digest: ZcashDigestTx;
  inputs: TxInput[];
  outputs: TxOutput[];
  prevTxs: Map<string, ZcashPrevTx>;
}

function checkCoin(coin: CoinInfo | undefined): CoinInfo {
  if (typeof coin !== 'object' || coin === null || !coin.overwintered) throw invalidParameter('coin', `expected ZCASH or ZCASH_TESTNET, got ${describeValue(coin)}`);
  return coin;
}

function planZcash(tx: ZcashTransaction, coin: CoinInfo): Plan {
  if (typeof tx !== 'object' || tx === null) throw invalidParameter('tx', 'expected { version, branchId, inputs, outputs }');
  if (tx.version !== 4 && tx.version !== 5) throw invalidParameter('tx.version', 'expected 4 or 5');
  const version = tx.version;
  const versionGroupId = u32Of(tx.versionGroupId, 'tx.versionGroupId', ZCASH_VERSION_GROUP_ID[version]);
  const branchId = u32Of(tx.branchId, 'tx.branchId');
  const expiry = u32Of(tx.expiry, 'tx.expiry', 0);
  const lockTime = u32Of(tx.lockTime, 'tx.lockTime', 0);
  if (!Array.isArray(tx.inputs) || tx.inputs.length === 0) throw invalidParameter('tx.inputs', 'expected at least one input');
  if (!Array.isArray(tx.outputs) || tx.outputs.length === 0) throw invalidParameter('tx.outputs', 'expected at least one output');

  const prevTxs = new Map<string, ZcashPrevTx>();
  const inputs: TxInput[] = [];
  const digestInputs: ZcashDigestInput[] = [];
  let total = 0n;
  tx.inputs.forEach((input, i) => {
    const field = `tx.inputs[${i}]`;
    if (typeof input !== 'object' || input === null) throw invalidParameter(field, 'expected { txid, vout, amount, path }');
    if (typeof input.txid !== 'string' || !/^[0-9a-fA-F]{64}$/.test(input.txid)) throw invalidParameter(`${field}.txid`, 'expected 64 hex characters');
    const txid = input.txid.toLowerCase();
    const vout = u32Of(input.vout, `${field}.vout`);
    const amount = zatoshis(input.amount, `${field}.amount`);
    const scriptSig = input.scriptSig === undefined ? undefined : hexOf(input.scriptSig, `${field}.scriptSig`);
    if (scriptSig && input.path !== undefined) throw invalidParameter(`${field}.path`, 'a presigned input (scriptSig) is another party\'s: no path');
    const addressN = scriptSig ? undefined : parsePath(input.path as Path, `${field}.path`);
    const sequence = u32Of(input.sequence, `${field}.sequence`, 0xffffffff);
    let script = input.scriptPubKey === undefined ? undefined : hexOf(input.scriptPubKey, `${field}.scriptPubKey`);
    if (input.prevTx !== undefined) {
      const prev = prevTxs.get(txid) ?? parseZcashTx(hexOf(input.prevTx, `${field}.prevTx`), `${field}.prevTx`);
      if (prev.txid !== txid) throw invalidParameter(`${field}.prevTx`, `does not hash to txid ${txid}`);
      const out = prev.outputs[vout];
      if (!out) throw invalidParameter(`${field}.vout`, `the previous transaction has ${prev.outputs.length} outputs`);
      if (out.amount !== amount) throw invalidParameter(`${field}.amount`, `the previous transaction says ${out.amount}`);
      if (script && hex.encode(script) !== hex.encode(out.script_pubkey)) throw invalidParameter(`${field}.scriptPubKey`, 'disagrees with the previous transaction');
      script = out.script_pubkey;
      prevTxs.set(txid, prev);
    } else if (version === 4) {
      throw invalidParameter(`${field}.prevTx`, 'required for a v4 transaction: the device checks the amount against it');
    }
    if (!script) throw invalidParameter(`${field}.scriptPubKey`, 'missing (or give prevTx)');
    if (script.length !== 25 || script[0] !== 0x76 || script[1] !== 0xa9 || script[24] !== 0xac) {
      throw invalidParameter(`${field}.scriptPubKey`, 'the device signs P2PKH inputs only');
    }
    total += amount;
    const prevHash = hex.decode(txid);
    inputs.push(
      scriptSig
        ? { prev_hash: prevHash, prev_index: vout, sequence, script_type: 'EXTERNAL', amount, script_pubkey: script, script_sig: scriptSig }
        : { address_n: addressN!, prev_hash: prevHash, prev_index: vout, sequence, script_type: 'SPENDADDRESS', amount },
    );
    digestInputs.push({ txid: prevHash.slice().reverse(), index: vout, sequence, amount, script, ...(scriptSig ? { scriptSig } : {}) });
  });

  const outputs: TxOutput[] = [];
  const digestOutputs: { amount: bigint; script: Uint8Array }[] = [];
  let spent = 0n;
  tx.outputs.forEach((output, i) => {
    const field = `tx.outputs[${i}]`;
    if (typeof output !== 'object' || output === null) throw invalidParameter(field, 'expected { address, amount } or { path, amount }');
    const amount = zatoshis(output.amount, `${field}.amount`);
    spent += amount;
    if ('path' in output) {
      // Change: the device derives the P2PKH script itself; the script here is only for the
      // digests, so it is whatever the device will put there, checked after signing.
      outputs.push({ address_n: parsePath(output.path, `${field}.path`), amount, script_type: 'PAYTOADDRESS' });
      digestOutputs.push({ amount, script: output.scriptPubKey === undefined ? new Uint8Array(0) : hexOf(output.scriptPubKey, `${field}.scriptPubKey`) });
      return;
    }
    const script = addressScript(coin, output.address);
    if (!script) throw invalidParameter(`${field}.address`, `not a transparent ${coin.name} address: ${describeValue(output.address)}`);
    if (amount < BigInt(coin.dustLimit)) throw invalidParameter(`${field}.amount`, `${amount} is below ${coin.name}'s dust limit (${coin.dustLimit})`);
    outputs.push({ address: scriptAddress(coin, script)!, amount, script_type: 'PAYTOADDRESS' });
    digestOutputs.push({ amount, script });
  });
  if (spent > total) throw invalidParameter('tx.outputs', `spend ${spent} zatoshis, the inputs hold ${total}`);
  return { digest: { version, versionGroupId, branchId, lockTime, expiry, inputs: digestInputs, outputs: digestOutputs }, inputs, outputs, prevTxs };
}

// ----------------------------------------------------------------------------------------------
// Signing

/**
 * Sign a transparent Zcash transaction on the device.
 * @example const { tx, txid } = await signZcashTransaction(trezor, unsigned, { coin: ZCASH })
 */
export async function signZcashTransaction(trezor: Trezor, tx: ZcashTransaction, options: SignZcashParameters): Promise<SignZcashReturnType> {
  if (typeof options !== 'object' || options === null) throw invalidParameter('options', 'expected { coin }');
  const coin = checkCoin(options.coin);
  const { signal } = options;
  const plan = planZcash(tx, coin);
  const { digest } = plan;
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
          version: digest.version,
          lock_time: digest.lockTime,
          expiry: digest.expiry,
          version_group_id: digest.versionGroupId,
          branch_id: digest.branchId,
        },
        { signal },
      );
      for (;;) {
        const request = expectType(reply, 'TxRequest');
        const serialized = request.serialized;
        if (serialized?.serialized_tx?.length) chunks.push(serialized.serialized_tx);
        if (serialized?.signature_index !== undefined && serialized.signature !== undefined) {
          if (serialized.signature_index >= plan.inputs.length) throw protocolError(`The device returned a signature for input ${serialized.signature_index} of ${plan.inputs.length}`);
          signatures[serialized.signature_index] = serialized.signature;
        }
        if (request.request_type === 'TXFINISHED') return;
        reply = await answer(call, request, plan, signal);
      }
    }),
  );
  return verify(plan, signatures, concatBytes(...chunks));
}

function answer(call: CallFn, request: MessageMap['TxRequest'], plan: Plan, signal: AbortSignal | undefined) {
  const details = request.details ?? {};
  const index = details.request_index ?? 0;
  const options = { signal };
  if (details.tx_hash?.length) {
    const prev = plan.prevTxs.get(hex.encode(details.tx_hash));
    if (!prev) throw protocolError(`The device asked for previous transaction ${hex.encode(details.tx_hash)}, which was not given`);
    switch (request.request_type) {
      case 'TXMETA':
        return call('TxAckPrevMeta', { tx: prev.meta }, options);
      case 'TXINPUT':
        if (!prev.inputs[index]) break;
        return call('TxAckPrevInput', { tx: { input: prev.inputs[index] } }, options);
      case 'TXOUTPUT':
        if (!prev.outputs[index]) break;
        return call('TxAckPrevOutput', { tx: { output: prev.outputs[index] } }, options);
      case 'TXEXTRADATA': {
        const offset = details.extra_data_offset ?? 0;
        const length = details.extra_data_len ?? 0;
        if (offset + length > prev.extra.length) break;
        return call('TxAckPrevExtraData', { tx: { extra_data_chunk: prev.extra.slice(offset, offset + length) } }, options);
      }
      default:
    }
    throw protocolError(`Unexpected request ${String(request.request_type)} ${index} about previous transaction ${prev.txid}`);
  }
  if (request.request_type === 'TXINPUT' && plan.inputs[index]) return call('TxAckInput', { tx: { input: plan.inputs[index] } }, options);
  if (request.request_type === 'TXOUTPUT' && plan.outputs[index]) return call('TxAckOutput', { tx: { output: plan.outputs[index] } }, options);
  throw protocolError(`Unexpected request ${String(request.request_type)} ${index} (Zcash: transparent inputs and outputs only)`);
}

/** Read the scriptSigs and change scripts from the device's transaction, check them, rebuild. */
function verify(plan: Plan, signatures: (Uint8Array | undefined)[], deviceTx: Uint8Array): SignZcashReturnType {
  const fail = (why: string) => new TrezorError('VerificationFailed', why);
  let parsed: ZcashPrevTx;
  try {
    parsed = parseZcashTx(deviceTx, 'tx');
  } catch {
    throw fail('The device returned a transaction that does not parse');
  }
  if (parsed.inputs.length !== plan.inputs.length || parsed.outputs.length !== plan.outputs.length) throw fail('The device returned a transaction of another shape');
  // Change outputs: the device derived their scripts; they must be P2PKH (what PAYTOADDRESS with a path gives).
  const outputs = plan.digest.outputs.map((o, i) => {
    const script = parsed.outputs[i]!.script_pubkey;
    if (o.script.length) {
      if (hex.encode(o.script) !== hex.encode(script)) throw fail(`Output ${i} of the device's transaction pays another script`);
      return o;
    }
    if (script.length !== 25 || script[0] !== 0x76) throw fail(`Change output ${i} is not a P2PKH script`);
    return { amount: o.amount, script };
  });
  const digestTx: ZcashDigestTx = { ...plan.digest, outputs };
  const scriptSigs = parsed.inputs.map((input, i) => {
    const presigned = plan.digest.inputs[i]!.scriptSig;
    if (presigned) {
      // Another party's input: the device keeps its scriptSig as given.
      if (hex.encode(input.script_sig) !== hex.encode(presigned)) throw fail(`The device changed the presigned scriptSig of input ${i}`);
      return presigned;
    }
    const signature = signatures[i];
    if (!signature) throw fail(`The device returned no signature for input ${i}`);
    const expectedScript = plan.digest.inputs[i]!.script;
    const scriptSig = input.script_sig;
    // <sig ‖ 0x01> <33-byte key>
    const sigLength = scriptSig[0]!;
    const publicKey = scriptSig.subarray(2 + sigLength);
    if (scriptSig[1 + sigLength] !== 33 || publicKey.length !== 33 || hex.encode(scriptSig.subarray(1, 1 + sigLength)) !== hex.encode(concatBytes(signature, Uint8Array.of(1)))) {
      throw fail(`The scriptSig of input ${i} is not the returned signature and a key`);
    }
    if (hex.encode(keyScript('p2pkh', publicKey).script) !== hex.encode(expectedScript) || hex.encode(hash160(publicKey)) !== hex.encode(expectedScript.subarray(3, 23))) {
      throw fail(`Input ${i} was signed with a key that does not own it`);
    }
    const sighash = digestTx.version === 5 ? zip244SignatureDigest(digestTx, i) : zip243SignatureDigest(digestTx, i);
    let ok = false;
    try {
      ok = secp256k1.verify(signature, sighash, publicKey, { prehash: false, format: 'der', lowS: true });
    } catch {
      ok = false;
    }
    if (!ok) throw fail(`The signature of input ${i} does not verify`);
    return scriptSig;
  });
  if (hex.encode(serializeZcash(digestTx, scriptSigs)) !== hex.encode(deviceTx)) {
    throw fail('The transaction the device serialised differs from the one signed for');
  }
  const txid = digestTx.version === 5 ? zip244Txid(digestTx) : hex.encode(sha256d(deviceTx).reverse());
  return { tx: deviceTx, txid, signatures: signatures.map((sig) => sig ?? new Uint8Array(0)) };
}

// ----------------------------------------------------------------------------------------------
// Building

/** ZIP-317: marginal fee and grace actions; standard sizes of a P2PKH input and output. */
const MARGINAL_FEE = 5000n;
const GRACE_ACTIONS = 2n;
const P2PKH_OUTPUT_SIZE = 34n;

/**
 * The ZIP-317 conventional fee of a transparent transaction: 5000 zatoshis per logical action,
 * at least 2, where the logical actions are max(⌈input bytes / 150⌉, ⌈output bytes / 34⌉).
 * @example zip317Fee(1, [34, 34]) // 10000n
 */
export function zip317Fee(p2pkhInputs: number, outputSizes: readonly number[]): bigint {
  const outBytes = outputSizes.reduce((sum, n) => sum + BigInt(n), 0n);
  // ⌈n · 150 / 150⌉: a P2PKH input counts as one action.
  const inActions = BigInt(p2pkhInputs);
  const outActions = (outBytes + P2PKH_OUTPUT_SIZE - 1n) / P2PKH_OUTPUT_SIZE;
  const actions = inActions > outActions ? inActions : outActions;
  return MARGINAL_FEE * (actions > GRACE_ACTIONS ? actions : GRACE_ACTIONS);
}

export interface CreateZcashParameters {
  /** ZCASH or ZCASH_TESTNET. */
  coin: CoinInfo;
  /** The account key(s) the UTXOs and the change belong to (getPublicKey results). */
  account: AccountKey | AccountKey[];
  utxos: (Omit<ZcashInput, 'scriptPubKey' | 'scriptSig' | 'path'> & { path: Path })[];
  outputs: { address: string; amount: bigint | number | string }[];
  /** Where the change goes (a P2PKH path under the account). */
  change: { path: Path };
  branchId: number;
  /** Default 5. */
  version?: 4 | 5;
  expiry?: number;
  lockTime?: number;
}

/**
 * An unsigned Zcash transaction paying `outputs` from the largest UTXOs first, at the ZIP-317
 * conventional fee, with change above the dust limit. Each input gets its scriptPubKey from the
 * account key, checked against prevTx when given (required for version 4).
 * @example const unsigned = createZcashTransaction({ coin: ZCASH_TESTNET, account, utxos, outputs: [{ address: 'tm…', amount: 100_000n }], change: { path: "m/44'/1'/0'/1/0" }, branchId: 0xc2d6d0b4 })
 */
export function createZcashTransaction(params: CreateZcashParameters): ZcashTransaction {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected an object');
  const coin = checkCoin(params.coin);
  const keys = new AccountKeys(params.account);
  const version = params.version ?? 5;
  if (!Array.isArray(params.outputs) || params.outputs.length === 0) throw invalidParameter('outputs', 'expected at least one output');
  const outputs = params.outputs.map((o, i) => {
    const script = addressScript(coin, o?.address);
    if (!script) throw invalidParameter(`outputs[${i}].address`, `not a transparent ${coin.name} address: ${describeValue(o?.address)}`);
    const amount = zatoshis(o.amount, `outputs[${i}].amount`);
    if (amount < BigInt(coin.dustLimit)) throw invalidParameter(`outputs[${i}].amount`, `${amount} is below ${coin.name}'s dust limit (${coin.dustLimit})`);
    return { address: o.address, amount, size: 9 + script.length };
  });
  if (!Array.isArray(params.utxos) || params.utxos.length === 0) throw invalidParameter('utxos', 'expected at least one UTXO');
  const utxos = params.utxos.map((u, i) => {
    const field = `utxos[${i}]`;
    if (typeof u !== 'object' || u === null) throw invalidParameter(field, 'expected { txid, vout, amount, path }');
    const addressN = parsePath(u.path, `${field}.path`);
    const script = keyScript('p2pkh', keys.derive(addressN, `${field}.path`).publicKey).script;
    return { ...u, amount: zatoshis(u.amount, `${field}.amount`), scriptPubKey: hex.encode(script) };
  });
  const changeN = parsePath(params.change?.path, 'change.path');
  const changeScript = hex.encode(keyScript('p2pkh', keys.derive(changeN, 'change.path').publicKey).script);
  const wanted = outputs.reduce((sum, o) => sum + o.amount, 0n);
  const sizes = outputs.map((o) => o.size);
  const chosen: typeof utxos = [];
  let have = 0n;
  for (const utxo of [...utxos].sort((a, b) => (b.amount > a.amount ? 1 : b.amount < a.amount ? -1 : 0))) {
    chosen.push(utxo);
    have += utxo.amount;
    const feeWithChange = zip317Fee(chosen.length, [...sizes, Number(P2PKH_OUTPUT_SIZE)]);
    const feeWithout = zip317Fee(chosen.length, sizes);
    const change = have - wanted - feeWithChange;
    if (change >= BigInt(coin.dustLimit) || have >= wanted + feeWithout) {
      const unsigned: ZcashTransaction = {
        version,
        branchId: u32Of(params.branchId, 'branchId'),
        expiry: u32Of(params.expiry, 'expiry', 0),
        lockTime: u32Of(params.lockTime, 'lockTime', 0),
        inputs: chosen.map(({ txid, vout, amount, path, scriptPubKey, prevTx, sequence }) => ({
          txid,
          vout,
          amount,
          path,
          scriptPubKey,
          ...(prevTx !== undefined ? { prevTx } : {}),
          ...(sequence !== undefined ? { sequence } : {}),
        })),
        outputs: [
          ...outputs.map(({ address, amount }) => ({ address, amount })),
          ...(change >= BigInt(coin.dustLimit) ? [{ path: changeN, amount: change, scriptPubKey: changeScript }] : []),
        ],
      };
      planZcash(unsigned, coin); // every check signing makes, now
      return unsigned;
    }
  }
  throw invalidParameter('utxos', `insufficient funds: ${have} zatoshis available, ${wanted} plus the ZIP-317 fee needed`);
}
