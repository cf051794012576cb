/**
 * Unsigned transactions as PSBTs (BIP-174), ready for signPsbt or any other signer.
 *
 * The caller lists spendable outputs of its device accounts (UTXOs: outpoint, amount, key path
 * and the raw previous transaction) and where to pay; this module picks the UTXOs with
 * @scure/btc-signer's coin selection, prices the transaction at the fee rate, adds a change
 * output to `change.path` when the remainder is above dust, and writes what a hardware signer
 * needs to recognise its own keys and check the amounts:
 *
 * - every input: `witnessUtxo` (amount + script), `nonWitnessUtxo` (the whole previous
 *   transaction, which the firmware hashes to check the amount since 1.9.1/2.3.1; optional
 *   only when every selected input is taproot), BIP-32 derivation (`bip32Derivation` or
 *   `tapBip32Derivation` + `tapInternalKey`), `redeemScript` for P2SH-P2WPKH;
 * - the change output: the same derivation records, so signers treat it as change.
 *
 * Everything is checked before anything is built: addresses must belong to the coin, amounts
 * must be above the output's dust threshold (Bitcoin Core's; for the family coins of
 * coins-family.ts at least the definition's dust_limit, which also bounds the change, and the
 * fee rate at least its minfee_kb), previous transactions must hash to the txid and
 * pay the stated amount to the key at the stated path. Failures are InvalidParameters naming
 * the field (`outputs[1].amount`, `utxos[0].prevTx` …).
 */
import { hex } from '@scure/base';
import { selectUTXO, type Transaction } from '@scure/btc-signer';
import { decodeTx, type RawTransaction } from './rawTx.js';
import { describeValue, invalidParameter } from '../errors.js';
import { checkAddressPath, parsePath, type Path } from '../path.js';
import { AccountKeys, type AccountKey } from './accounts.js';
import { addressScript, keyScript, scriptAddress, xOnly } from './address.js';
import { COINS, btcNetwork, getCoin, resolveScriptType, type CoinInfo, type CoinName, type ScriptType } from './coins.js';
import { MAX_OP_RETURN_DATA, opReturnScript } from './opReturn.js';
import { PREV_TX_KEY } from './prevtx.js';
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
  /** Fee rate in sat/vB (fractions are rounded up). */
  feeRate: number;
  /** Where the change goes. */
  change: { path: Path; scriptType?: ScriptType };
  /** Coin selection; default 'default' (blackjack, then largest first). */
  strategy?: SelectionStrategy;
  /** Transaction version, default 2. */
  version?: number;
  /** nLockTime, default 0. */
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
 */
export function createPsbt(params: CreatePsbtParameters): Uint8Array {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected an object');
  const coin = getCoin(params.coin);
  const network = btcNetwork(coin);
  const wallet = params.multisig !== undefined ? multisigWallet(params.multisig, coin) : undefined;
  const keys = new AccountKeys(wallet ? [] : params.account);
  const feeRate = params.feeRate;
  // Above 0: a transaction paying no fee is below every node's minimum relay fee and never relays.
  if (typeof feeRate !== 'number' || !Number.isFinite(feeRate) || feeRate <= 0 || feeRate > 100_000) {
    throw invalidParameter('feeRate', 'expected a number of sat/vB above 0 and at most 100000');
  }
  // The family coins (coins-family.ts): their definition's minimum relay fee and dust limit.
  const family = !Object.prototype.hasOwnProperty.call(COINS, coin.name);
  if (coin.minFeePerKb !== undefined && feeRate * 1000 < coin.minFeePerKb) {
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
    const sequence = u.sequence ?? 0xfffffffd;
    if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) throw invalidParameter(`${field}.sequence`, 'expected a u32');
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
    const input: Parameters<Transaction['addInput']>[0] = {
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
      input.tapBip32Derivation = [[xOnly(publicKey), { hashes: [], der: { fingerprint: rootFingerprint, path: addressN } }]];
    } else {
      input.bip32Derivation = [[publicKey, { fingerprint: rootFingerprint, path: addressN }]];
    }
    return { input, type, nonWitnessUtxo, field, ownPrev };
  });

  // Change.
  if (typeof params.change !== 'object' || params.change === null) throw invalidParameter('change', 'expected { path }');
  const changeSpend = wallet?.at(params.change.path, 'change.path');
  const changeN = changeSpend ? [] : parsePath(params.change.path, 'change.path');
  if (!changeSpend) checkAddressPath(changeN, 'change.path');
  const changeType = changeSpend ? 'p2wpkh' : resolveScriptType(changeN, params.change.scriptType, coin, 'change.scriptType');
  const changeKey = changeSpend ? { publicKey: new Uint8Array(0), rootFingerprint: 0 } : keys.derive(changeN, 'change.path');
  const changeScript = changeSpend ?? keyScript(changeType, changeKey.publicKey);
  // base58 even where the coin writes addresses otherwise (CashAddr): btc-signer reads it back.
  const changeAddress = scriptAddress(coin, changeScript.script, true)!;

  let selected: ReturnType<typeof selectUTXO>;
  try {
    selected = selectUTXO(
      candidates.map((c) => c.input),
      outputs.map((o) => ({ script: o.script, amount: o.amount })),
      params.strategy ?? 'default',
      {
        feePerByte: BigInt(Math.ceil(feeRate)),
        ...(family ? { dust: dustFloor, dustRelayFeeRate: 1n } : {}),
        changeAddress,
        network,
        bip69: false,
        createTx: true,
        version,
        lockTime,
        allowUnknownOutputs: hasOpReturn,
        // Keep the proprietary previous-transaction field (btc-signer strips it by default); the
        // input then has no nonWitnessUtxo, but the device still checks its amount against it.
        ...(candidates.some((c) => c.ownPrev) ? { allowUnknown: true, allowLegacyWitnessUtxo: true } : {}),
      },
    );
  } catch (e) {
    throw invalidParameter('strategy', `coin selection failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!selected || !selected.tx) {
    const total = candidates.reduce((sum, c) => sum + c.input.witnessUtxo!.amount, 0n);
    const wanted = outputs.reduce((sum, o) => sum + o.amount, 0n);
    throw invalidParameter('utxos', `insufficient funds: ${total} sat available, ${wanted} sat plus the fee at ${feeRate} sat/vB needed`);
  }
  const tx = selected.tx;

  // Previous transactions: the firmware skips them only when every input is taproot.
  const chosen = selected.inputs.map((inp) => candidates.find((c) => c.input.index === inp.index && hex.encode(inp.txid!) === c.input.txid)!);
  const taprootOnly = chosen.every((c) => c.type === 'p2tr');
  chosen.forEach((c, i) => {
    if (c.type === 'p2tr' && c.nonWitnessUtxo && !taprootOnly) tx.updateInput(i, { nonWitnessUtxo: c.nonWitnessUtxo });
    if (!taprootOnly && !c.nonWitnessUtxo) {
      throw invalidParameter(`${c.field}.prevTx`, 'required: a taproot input spent together with non-taproot inputs needs its previous transaction');
    }
  });

  // Change output: derivation records so signers recognise it.
  if (selected.change) {
    const index = tx.outputsLength - 1;
    if (changeSpend) {
      tx.updateOutput(index, {
        bip32Derivation: changeSpend.bip32Derivation,
        ...(changeSpend.redeemScript ? { redeemScript: changeSpend.redeemScript } : {}),
        ...(changeSpend.witnessScript ? { witnessScript: changeSpend.witnessScript } : {}),
      });
    } else if (changeType === 'p2tr') {
      const key = xOnly(changeKey.publicKey);
      tx.updateOutput(index, {
        tapInternalKey: key,
        tapBip32Derivation: [[key, { hashes: [], der: { fingerprint: changeKey.rootFingerprint, path: changeN } }]],
      });
    } else {
      tx.updateOutput(index, {
        bip32Derivation: [[changeKey.publicKey, { fingerprint: changeKey.rootFingerprint, path: changeN }]],
        ...(changeScript.redeemScript ? { redeemScript: changeScript.redeemScript } : {}),
      });
    }
  }
  return wallet ? wallet.withXpubs(tx.toPSBT(0)) : tx.toPSBT(0);
}
