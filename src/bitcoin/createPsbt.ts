/**
 * Unsigned transactions as PSBTs (BIP-174), ready for signPsbt or any other signer.
 *
 * The caller lists spendable outputs of its device accounts (UTXOs: outpoint, amount, key path
 * and the raw previous transaction) and where to pay; this module picks the UTXOs with
 * @scure/btc-signer's coin selection, prices the transaction at the fee rate (or pays an exact
 * `fee`), adds a change output to `change.path` when the remainder is above dust (or none with
 * `change: false`, the remainder then going to the fee within `maxFeeExcess`), and writes what a
 * hardware signer needs to recognise its own keys and check the amounts:
 *
 * - every input: `witnessUtxo` (amount + script), `nonWitnessUtxo` (the whole previous
 *   transaction, which the firmware hashes to check the amount since 1.9.1/2.3.1; optional
 *   only when every selected input is taproot), BIP-32 derivation (`bip32Derivation` or
 *   `tapBip32Derivation` + `tapInternalKey`), `redeemScript` for P2SH-P2WPKH;
 * - the change output: the same derivation records, so signers treat it as change.
 *
 * The selection sees only what it weighs (amount, script, redeem/witness script, taproot key);
 * keys are derived once per path from cached parent nodes (accounts.ts), and the PSBT is written
 * in one pass (psbtDraft.ts), so 1,000 UTXOs cost a few hundred ms rather than seconds.
 *
 * Everything is checked before anything is built: addresses must belong to the coin, amounts
 * must be above the output's dust threshold (Bitcoin Core's; for the family coins of
 * coins-family.ts at least the definition's dust_limit, which also bounds the change, and the
 * fee rate at least its minfee_kb), previous transactions must hash to the txid and
 * pay the stated amount to the key at the stated path. Failures are InvalidParameters naming
 * the field (`outputs[1].amount`, `utxos[0].prevTx` …).
 */
import { hex } from '@scure/base';
import { selectUTXO } from '@scure/btc-signer';
import { decodeTx, type RawTransaction } from './rawTx.js';
import { describeValue, invalidParameter } from '../errors.js';
import { checkAddressPath, parsePath, type Path } from '../path.js';
import { AccountKeys, type AccountKey } from './accounts.js';
import { addressScript, keyScript, scriptAddress, xOnly } from './address.js';
import { COINS, btcNetwork, getCoin, resolveScriptType, type CoinInfo, type CoinName, type ScriptType } from './coins.js';
import { MAX_OP_RETURN_DATA, opReturnScript } from './opReturn.js';
import { PREV_TX_KEY } from './prevtx.js';
import { encodeDraftPsbt, type DraftInput, type DraftOutput } from './psbtDraft.js';
import { sha256d, txidOf } from './sighash.js';
import { multisigWallet, type MultisigAccount } from './multisigWallet.js';

/** A spendable output of the device's wallet. */
export interface Utxo {
  /** Id of the transaction that created it (display hex). */
  txid: string;
  /** Its output index in that transaction. */
  vout: number;
  /** Value in satoshis. */
  amount: bigint | number;
  /** Full key path, e.g. "m/84'/1'/0'/0/3". */
  path: Path;
  /** Inferred from the path's purpose when omitted. */
  scriptType?: ScriptType;
  /** The raw previous transaction (hex or bytes). Required unless every selected input is taproot. */
  prevTx?: string | Uint8Array;
  /** nSequence; default 0xfffffffd (replaceable, BIP-125). */
  sequence?: number;
}

/** A payment: to an address, or an OP_RETURN data carrier (at most 80 bytes, amount 0; one per transaction). */
export type PsbtOutput = { address: string; amount: bigint | number } | { opReturn: string | Uint8Array; amount?: 0 | 0n };

/** Coin selection strategies of @scure/btc-signer. */
export type SelectionStrategy = 'default' | 'all' | `accum${'Newest' | 'Oldest' | 'Smallest' | 'Biggest'}` | `exact${'Newest' | 'Oldest' | 'Smallest' | 'Biggest'}/accum${'Newest' | 'Oldest' | 'Smallest' | 'Biggest'}`;

export interface CreatePsbtParameters {
  /** Firmware coin name, default 'Bitcoin'. */
  coin?: CoinName | CoinInfo;
  /** The account key(s) the UTXOs and the change belong to (getPublicKey results). */
  account?: AccountKey | AccountKey[];
  /**
   * Spend from a multisig wallet instead (witness/redeem scripts, every cosigner's derivation and
   * account xpub written): the UTXOs' and the change's `path` are then below the cosigners'
   * accounts ("0/3" receive, "1/0" change) and their scriptType is the wallet's.
   */
  multisig?: MultisigAccount;
  utxos: Utxo[];
  outputs: PsbtOutput[];
  /** Fee rate in sat/vB (fractions are rounded up). Give either this or `fee`. */
  feeRate?: number;
  /** The exact fee in satoshis, instead of a rate (the UTXOs are selected to pay it). */
  fee?: bigint | number;
  /**
   * Where the change goes, or `false` for no change output: the selected UTXOs then pay the
   * outputs and the fee, and what they hold beyond that goes to the fee too, up to
   * `maxFeeExcess` (InvalidParameters beyond it).
   */
  change: { path: Path; scriptType?: ScriptType } | false;
  /**
   * With `change: false` or an exact `fee`: the most that the selected UTXOs may add to the fee
   * when no change output is written, in satoshis. Default 546 (Bitcoin Core's dust threshold of a
   * P2PKH output) with `feeRate`, 0 with `fee` (the fee is then exactly `fee`, or an error).
   */
  maxFeeExcess?: bigint | number;
  /**
   * nSequence of every UTXO that does not give its own. Default 0xfffffffd (replaceable, BIP-125;
   * see `rbf`).
   */
  sequence?: number;
  /**
   * Signal replaceability (BIP-125): true (the default) gives 0xfffffffd, false 0xfffffffe (final
   * but with the lock time enforced). Not together with `sequence`; a UTXO's own sequence must agree.
   */
  rbf?: boolean;
  /** Coin selection; default 'default' (blackjack, then largest first). */
  strategy?: SelectionStrategy;
  /** Transaction version (1 or 2), default 2. */
  version?: number;
  /** nLockTime (block height below 500,000,000, else a Unix time), default 0. */
  lockTime?: number;
}

const MAX_SATOSHIS = 21_000_000n * 100_000_000n;
/** Bitcoin Core's dust relay fee (sat/kvB) and input sizes for GetDustThreshold (policy.cpp). */
const DUST_RELAY_FEE = 3n;

function amountOf(value: unknown, field: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else throw invalidParameter(field, 'expected an integer number of satoshis (bigint or safe integer)');
  if (n < 0n || n > MAX_SATOSHIS) throw invalidParameter(field, 'out of range');
  return n;
}

function bytesOf(value: unknown, field: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string' && /^([0-9a-fA-F]{2})*$/.test(value)) return hex.decode(value.toLowerCase());
  throw invalidParameter(field, 'expected hex or a Uint8Array');
}

/**
 * Bitcoin Core's dust threshold of an output script (GetDustThreshold at 3 sat/vB).
 * @example dustThreshold(p2wpkhScript) // 294n
 */
export function dustThreshold(script: Uint8Array): bigint {
  if (script[0] === 0x6a) return 0n; // OP_RETURN: unspendable, never dust
  const outputSize = BigInt(8 + 1 + script.length);
  const isWitness = script.length >= 4 && script.length <= 42 && (script[0] === 0 || (script[0]! >= 0x51 && script[0]! <= 0x60)) && script[1] === script.length - 2;
  const spendSize = isWitness ? 32n + 4n + 1n + 107n / 4n + 4n : 32n + 4n + 1n + 107n + 4n;
  return (outputSize + spendSize) * DUST_RELAY_FEE;
}

/**
 * Build an unsigned PSBT paying `outputs` from some of `utxos`, with change.
 * @example const psbt = createPsbt({ coin: 'Regtest', account, utxos, outputs: [{ address, amount: 50_000n }], feeRate: 2, change: { path: "m/84'/1'/0'/1/0" } })
 * @example const sweep = createPsbt({ coin: 'Regtest', account, utxos, outputs: [{ address, amount: 99_000n }], fee: 1000n, change: false, rbf: false })
 */
export function createPsbt(params: CreatePsbtParameters): Uint8Array {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected an object');
  const coin = getCoin(params.coin);
  const network = btcNetwork(coin);
  const wallet = params.multisig !== undefined ? multisigWallet(params.multisig, coin) : undefined;
  const keys = new AccountKeys(wallet ? [] : params.account);
  // The fee: a rate or an exact amount, not both.
  if (params.fee !== undefined && params.feeRate !== undefined) throw invalidParameter('fee', 'give either fee (exact satoshis) or feeRate (sat/vB), not both');
  const exactFee = params.fee === undefined ? undefined : amountOf(params.fee, 'fee');
  const feeRate = params.feeRate;
  // Above 0: a transaction paying no fee is below every node's minimum relay fee and never relays.
  if (exactFee === undefined && (typeof feeRate !== 'number' || !Number.isFinite(feeRate) || feeRate <= 0 || feeRate > 100_000)) {
    throw invalidParameter('feeRate', 'expected a number of sat/vB above 0 and at most 100000 (or an exact fee)');
  }
  if (exactFee === 0n) throw invalidParameter('fee', 'a transaction paying no fee does not relay');
  const maxFeeExcess = params.maxFeeExcess === undefined ? (exactFee === undefined ? 546n : 0n) : amountOf(params.maxFeeExcess, 'maxFeeExcess');
  // nSequence: a default for every UTXO, or the RBF switch.
  if (params.sequence !== undefined && params.rbf !== undefined) throw invalidParameter('rbf', 'give either rbf or sequence, not both');
  if (params.rbf !== undefined && typeof params.rbf !== 'boolean') throw invalidParameter('rbf', 'expected a boolean');
  const defaultSequence = params.sequence ?? (params.rbf === false ? 0xfffffffe : 0xfffffffd);
  if (!Number.isInteger(defaultSequence) || defaultSequence < 0 || defaultSequence > 0xffffffff) throw invalidParameter('sequence', 'expected a u32');
  // The family coins (coins-family.ts): their definition's minimum relay fee and dust limit.
  const family = !Object.prototype.hasOwnProperty.call(COINS, coin.name);
  if (feeRate !== undefined && coin.minFeePerKb !== undefined && feeRate * 1000 < coin.minFeePerKb) {
    throw invalidParameter('feeRate', `${coin.name} relays nothing below ${coin.minFeePerKb / 1000} sat/vB (minfee_kb)`);
  }
  const dustFloor = family ? BigInt(coin.dustLimit) : 0n;
  const version = params.version ?? 2;
  const lockTime = params.lockTime ?? 0;
  if (!Number.isInteger(version) || version < 1 || version > 2) throw invalidParameter('version', 'expected 1 or 2');
  if (!Number.isInteger(lockTime) || lockTime < 0 || lockTime > 0xffffffff) throw invalidParameter('lockTime', 'expected a u32');

  // Outputs: addresses of this coin, amounts above dust.
  if (!Array.isArray(params.outputs) || params.outputs.length === 0) throw invalidParameter('outputs', 'expected at least one output');
  let hasOpReturn = false;
  const outputs = params.outputs.map((o, i) => {
    const field = `outputs[${i}]`;
    if (typeof o !== 'object' || o === null) throw invalidParameter(field, 'expected { address, amount } or { opReturn }');
    if ('opReturn' in o) {
      const data = bytesOf(o.opReturn, `${field}.opReturn`);
      // Relay policy (opReturn.ts): 80 bytes of data, one data output per transaction.
      if (data.length > MAX_OP_RETURN_DATA) throw invalidParameter(`${field}.opReturn`, `${data.length} bytes: at most ${MAX_OP_RETURN_DATA} relay as standard`);
      if (hasOpReturn) throw invalidParameter(field, 'a second OP_RETURN output: nodes relay one per transaction');
      if ('amount' in o && o.amount !== undefined && o.amount !== 0 && o.amount !== 0n) throw invalidParameter(`${field}.amount`, 'an OP_RETURN output carries 0 sat');
      hasOpReturn = true;
      return { script: opReturnScript(data), amount: 0n };
    }
    const script = addressScript(coin, o.address);
    if (!script) throw invalidParameter(`${field}.address`, `not a ${coin.name} address: ${describeValue(o.address)}`);
    const amount = amountOf(o.amount, `${field}.amount`);
    const core = dustThreshold(script);
    const dust = core > dustFloor ? core : dustFloor;
    if (amount < dust) throw invalidParameter(`${field}.amount`, `${amount} sat is dust for this output (minimum ${dust})`);
    return { script, amount };
  });

  // UTXOs: each one's key, script and previous transaction.
  if (!Array.isArray(params.utxos) || params.utxos.length === 0) throw invalidParameter('utxos', 'expected at least one UTXO');
  const seen = new Set<string>();
  const candidates = params.utxos.map((u, i) => {
    const field = `utxos[${i}]`;
    if (typeof u !== 'object' || u === null) throw invalidParameter(field, 'expected { txid, vout, amount, path, prevTx }');
    if (typeof u.txid !== 'string' || !/^[0-9a-fA-F]{64}$/.test(u.txid)) throw invalidParameter(`${field}.txid`, 'expected 64 hex characters');
    const txid = u.txid.toLowerCase();
    if (!Number.isInteger(u.vout) || u.vout < 0 || u.vout > 0xffffffff) throw invalidParameter(`${field}.vout`, 'expected a u32');
    const outpoint = `${txid}:${u.vout}`;
    if (seen.has(outpoint)) throw invalidParameter(field, `${outpoint} is listed twice`);
    seen.add(outpoint);
    const amount = amountOf(u.amount, `${field}.amount`);
    const spend = wallet?.at(u.path, `${field}.path`);
    const addressN = spend ? [] : parsePath(u.path, `${field}.path`);
    if (!spend) checkAddressPath(addressN, `${field}.path`);
    const type = spend ? 'p2wpkh' : resolveScriptType(addressN, u.scriptType, coin, `${field}.scriptType`);
    const { publicKey, rootFingerprint } = spend ? { publicKey: new Uint8Array(0), rootFingerprint: 0 } : keys.derive(addressN, `${field}.path`);
    const { script, redeemScript } = spend ?? keyScript(type, publicKey);
    const sequence = u.sequence ?? defaultSequence;
    if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) throw invalidParameter(`${field}.sequence`, 'expected a u32');
    if (params.rbf === false && sequence < 0xfffffffe) throw invalidParameter(`${field}.sequence`, `0x${sequence.toString(16)} signals replaceability (BIP-125), but rbf is false`);
    let nonWitnessUtxo: Uint8Array | undefined;
    // A previous transaction with extra data (a Dash DIP-2 special transaction) is not one
    // nonWitnessUtxo can hold: it travels in the proprietary field of prevtx.ts instead.
    let ownPrev = false;
    if (u.prevTx !== undefined) {
      nonWitnessUtxo = bytesOf(u.prevTx, `${field}.prevTx`);
      let prev: { outputs: { amount?: bigint; script?: Uint8Array }[] };
      let decoded: RawTransaction | undefined;
      try {
        decoded = decodeTx(nonWitnessUtxo, (problem) => invalidParameter(`${field}.prevTx`, `not a raw transaction: ${problem}`));
      } catch (e) {
        if (!coin.extraData) throw e;
      }
      if (decoded) {
        if (hex.encode(txidOf(decoded)) !== txid) throw invalidParameter(`${field}.prevTx`, `does not hash to txid ${txid}`);
        prev = decoded;
      } else {
        const parsed = coin.extraData!(nonWitnessUtxo, `${field}.prevTx`);
        if (hex.encode(sha256d(nonWitnessUtxo).reverse()) !== txid) throw invalidParameter(`${field}.prevTx`, `does not hash to txid ${txid}`);
        prev = { outputs: parsed.outputs.map((o) => ({ amount: o.amount, script: o.script_pubkey })) };
        ownPrev = true;
      }
      const out = prev.outputs[u.vout];
      if (!out) throw invalidParameter(`${field}.vout`, `the previous transaction has ${prev.outputs.length} outputs`);
      if (out.amount !== amount) throw invalidParameter(`${field}.amount`, `the previous transaction says ${out.amount} sat`);
      if (hex.encode(out.script!) !== hex.encode(script)) {
        throw invalidParameter(`${field}.path`, `output ${u.vout} of the previous transaction is not paid to the ${spend ? `${wallet!.scriptType} multisig` : `${type} key`} at this path`);
      }
    } else if (type !== 'p2tr') {
      throw invalidParameter(`${field}.prevTx`, 'required: the device checks the amount of non-taproot inputs against the previous transaction');
    }
    const input: DraftInput = {
      txid,
      index: u.vout,
      sequence,
      witnessUtxo: { script, amount },
      ...(ownPrev ? { proprietary: [[PREV_TX_KEY, nonWitnessUtxo!]] } : nonWitnessUtxo && type !== 'p2tr' ? { nonWitnessUtxo } : {}),
      ...(redeemScript ? { redeemScript } : {}),
    };
    if (spend) {
      input.bip32Derivation = spend.bip32Derivation;
      if (spend.witnessScript) input.witnessScript = spend.witnessScript;
    } else if (type === 'p2tr') {
      input.tapInternalKey = xOnly(publicKey);
      input.tapBip32Derivation = [[xOnly(publicKey), { fingerprint: rootFingerprint, path: addressN }]];
    } else {
      input.bip32Derivation = [[publicKey, { fingerprint: rootFingerprint, path: addressN }]];
    }
    // What the coin selection needs to weigh the input, and nothing it would check again.
    const light: Parameters<typeof selectUTXO>[0][number] = {
      txid,
      index: u.vout,
      sequence,
      witnessUtxo: { script, amount },
      ...(redeemScript ? { redeemScript } : {}),
      ...(spend?.witnessScript ? { witnessScript: spend.witnessScript } : {}),
      ...(type === 'p2tr' && !spend ? { tapInternalKey: xOnly(publicKey) } : {}),
    };
    return { input, light, type, nonWitnessUtxo, field, ownPrev };
  });
  if (params.lockTime !== undefined && params.lockTime > 0 && candidates.every((c) => c.input.sequence === 0xffffffff)) {
    throw invalidParameter('lockTime', 'every input is final (sequence 0xffffffff): the lock time would not be enforced');
  }

  // Change.
  if (params.change !== false && (typeof params.change !== 'object' || params.change === null)) throw invalidParameter('change', 'expected { path } or false');
  const changeParams = params.change === false ? undefined : params.change;
  const changeSpend = changeParams ? wallet?.at(changeParams.path, 'change.path') : undefined;
  const changeN = changeParams && !changeSpend ? parsePath(changeParams.path, 'change.path') : [];
  if (changeParams && !changeSpend) checkAddressPath(changeN, 'change.path');
  const changeType = !changeParams ? 'p2pkh' : changeSpend ? 'p2wpkh' : resolveScriptType(changeN, changeParams.scriptType, coin, 'change.scriptType');
  const changeKey = changeParams && !changeSpend ? keys.derive(changeN, 'change.path') : { publicKey: new Uint8Array(0), rootFingerprint: 0 };
  // Without change the selection still prices one (a P2PKH of no key) to decide; none is written.
  const changeScript = changeSpend ?? (changeParams ? keyScript(changeType, changeKey.publicKey) : { script: Uint8Array.of(0x76, 0xa9, 0x14, ...new Uint8Array(20), 0x88, 0xac) });
  // base58 even where the coin writes addresses otherwise (CashAddr): btc-signer reads it back.
  const changeAddress = scriptAddress(coin, changeScript.script, true)!;

  // An exact fee is selected for as one more payment at a rate of 0.
  const wanted = outputs.map((o) => ({ script: o.script, amount: o.amount }));
  if (exactFee !== undefined) wanted.push({ script: changeScript.script, amount: exactFee });
  // No change: a remainder up to maxFeeExcess is not worth a change output (dust = that bound).
  const dust = changeParams ? (family ? { dust: dustFloor, dustRelayFeeRate: 1n } : {}) : { dust: maxFeeExcess, dustRelayFeeRate: 1n };
  let selected: ReturnType<typeof selectUTXO>;
  try {
    selected = selectUTXO(
      candidates.map((c) => c.light),
      wanted,
      params.strategy ?? 'default',
      {
        feePerByte: exactFee === undefined ? BigInt(Math.ceil(feeRate!)) : 0n,
        ...dust,
        changeAddress,
        network,
        bip69: false,
        createTx: false,
        version,
        lockTime,
        allowUnknownOutputs: true,
        allowLegacyWitnessUtxo: true,
        disableScriptCheck: true,
      },
    );
  } catch (e) {
    throw invalidParameter('strategy', `coin selection failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!selected) {
    const total = candidates.reduce((sum, c) => sum + c.input.witnessUtxo.amount, 0n);
    const target = outputs.reduce((sum, o) => sum + o.amount, 0n);
    const fee = exactFee === undefined ? `the fee at ${feeRate} sat/vB` : `the fee of ${exactFee} sat`;
    throw invalidParameter('utxos', `insufficient funds: ${total} sat available, ${target} sat plus ${fee} needed`);
  }

  // The selected UTXOs (by outpoint: no search per input), in the order chosen.
  const byOutpoint = new Map(candidates.map((c) => [`${c.input.txid}:${c.input.index}`, c]));
  const chosen = selected.inputs.map((inp) => byOutpoint.get(`${hex.encode(inp.txid!)}:${inp.index}`)!);
  const inTotal = chosen.reduce((sum, c) => sum + c.input.witnessUtxo.amount, 0n);
  const outTotal = outputs.reduce((sum, o) => sum + o.amount, 0n);
  const changeAmount = selected.change ? selected.outputs[selected.outputs.length - 1]!.amount : 0n;
  if (selected.change && !changeParams) {
    throw invalidParameter('change', `no change output, but the selected UTXOs hold ${changeAmount} sat more than the outputs and the fee need (maxFeeExcess ${maxFeeExcess}): give change, raise maxFeeExcess or pick UTXOs that fit (strategy 'exact…')`);
  }
  if (!selected.change && (!changeParams || exactFee !== undefined)) {
    // The fee the transaction needs, and what the selected UTXOs add to it (with change and a
    // rate, a remainder too small for a change output goes to the fee as it always has).
    const needed = exactFee ?? BigInt(Math.ceil(feeRate!)) * BigInt(Math.ceil(selected.weight / 4));
    const excess = inTotal - outTotal - needed;
    if (excess > maxFeeExcess) {
      throw invalidParameter(changeParams ? 'maxFeeExcess' : 'change', `the ${excess} sat the selected UTXOs hold beyond the outputs and the fee would go to the fee (maxFeeExcess ${maxFeeExcess})`);
    }
  }

  // Previous transactions: the firmware skips them only when every input is taproot.
  const taprootOnly = chosen.every((c) => c.type === 'p2tr');
  const inputs = chosen.map((c) => {
    if (!taprootOnly && !c.nonWitnessUtxo) {
      throw invalidParameter(`${c.field}.prevTx`, 'required: a taproot input spent together with non-taproot inputs needs its previous transaction');
    }
    return c.type === 'p2tr' && c.nonWitnessUtxo && !taprootOnly ? { ...c.input, nonWitnessUtxo: c.nonWitnessUtxo } : c.input;
  });

  // Change output: derivation records so signers recognise it.
  const draftOutputs: DraftOutput[] = outputs.map((o) => ({ script: o.script, amount: o.amount }));
  if (selected.change) {
    const change: DraftOutput = { script: changeScript.script, amount: changeAmount };
    if (changeSpend) {
      change.bip32Derivation = changeSpend.bip32Derivation;
      if (changeSpend.redeemScript) change.redeemScript = changeSpend.redeemScript;
      if (changeSpend.witnessScript) change.witnessScript = changeSpend.witnessScript;
    } else if (changeType === 'p2tr') {
      const key = xOnly(changeKey.publicKey);
      change.tapInternalKey = key;
      change.tapBip32Derivation = [[key, { fingerprint: changeKey.rootFingerprint, path: changeN }]];
    } else {
      change.bip32Derivation = [[changeKey.publicKey, { fingerprint: changeKey.rootFingerprint, path: changeN }]];
      if (changeScript.redeemScript) change.redeemScript = changeScript.redeemScript;
    }
    draftOutputs.push(change);
  }
  const psbt = encodeDraftPsbt({ version, lockTime, inputs, outputs: draftOutputs });
  return wallet ? wallet.withXpubs(psbt) : psbt;
}
