/**
 * Bitcoin on the virtual device: GetAddress, GetPublicKey, SignMessage, VerifyMessage and the
 * whole SignTx exchange, written after the firmware's own workflows (legacy/firmware
 * fsm_msg_coin.h, signing.c, crypto.c for the Trezor One 1.14.1; core apps/bitcoin for the
 * Model T 2.4.1) and held to the emulator recordings in shared/transcripts*.
 *
 * Keys come from the session's keychain (../keychain.ts); ECDSA signatures are RFC 6979 with low S (noble,
 * the same nonce derivation as trezor-crypto, no low-R grinding) and BIP-340 signatures use
 * 32 zero bytes of aux randomness, as the firmware does, so transactions and messages are
 * byte-identical with the firmware's test vectors.
 *
 * SignTx, as the device drives it (each step is one TxRequest, answered by a TxAck):
 *
 *   1  inputs  TXINPUT i                  path check (Forbidden key path / one warning), amounts
 *      outputs TXOUTPUT i                 ButtonRequest ConfirmOutput unless change
 *      totals                             NotEnoughFunds; FeeOverThreshold; SignTx for >2
 *                                         changes and for a lock time; final SignTx
 *   2  previous transactions (skipped when every input is taproot), for each input:
 *      TXINPUT i, TXMETA, TXINPUT j / TXOUTPUT j of the previous tx; amount and script checks
 *   3  serialization: a legacy input is signed by streaming all inputs and outputs again
 *      (legacy digest); a segwit input is re-read and serialised; then every output
 *   4  witnesses (segwit only): TXINPUT i → signature; then TXFINISHED
 *
 * Each piece of the signed transaction rides on the next TxRequest (`serialized`). The two
 * models differ in where the pieces are cut and in the shape of TxRequest:
 *
 *   T1B1  header ‖ count travel with the first input, the output count with the first
 *         output; non-segwit inputs are requested again in the witness pass (witness 00);
 *         `details` only when something is asked, `serialized` only when it carries data.
 *   T2T1  header ‖ count are written when serialization starts, the output count when the
 *         outputs start; non-segwit inputs get their 00 witness without a request; every
 *         TxRequest carries `details` and `serialized` (serialized_tx possibly empty).
 *         Core 2.4.1 also differs in its checks: a foreign input path only warns in phase 1
 *         and its keychain refuses the key when signing; a fee over ten times the threshold
 *         fails outright; it does not tie previous outputs to the input's key.
 *
 * Every input and output the host sends again must equal what it sent in phase 1, or the
 * device fails with "Transaction has changed during signing" (the firmware checks running
 * hashes; this device compares each item, so it reports the first difference at once).
 *
 * Multisig (P2SH, P2SH-P2WSH, P2WSH; `nodes` + `address_n` or the older `pubkeys` form) is
 * served like the firmware: the device's signature goes in its key's place among the
 * cosigners' (`signatures`), and a multisig output is change only when it has the inputs'
 * cosigner set with one common derivation path.
 *
 * Replacement transactions (RBF; inputs and outputs with orig_hash): in phase 1 the first such
 * input brings the original's TXMETA, each replacing input its TXORIGINPUT (same outpoint,
 * amount and script), then the user confirms the original TXID; each replacing output streams
 * the original's outputs up to its orig_index (skipped ones must be change), a decreased
 * external amount is confirmed, and the original's TXID is checked. Instead of "really send"
 * the user confirms the fee change. Before signing, one signature of the original (its first
 * input with address_n) must verify: a legacy one after streaming the original again, segwit
 * and taproot ones from the phase-1 hashes (the Trezor One re-reads the original's inputs).
 *
 * External inputs (EXTERNAL, another party's coins, e.g. PayJoin) are accepted with a SLIP-19
 * proof of non-ownership or a signature of their owner (P2PKH, P2SH-P2WPKH, P2WPKH, P2TR), both
 * verified: the One checks a proof in phase 1, Core with the previous transaction, where the
 * owner's signature is checked too (a P2PKH one after streaming the transaction again for its
 * legacy digest). Without either they need relaxed safety checks and an extra warning. Their
 * scriptSig and witness go into the transaction as given.
 *
 * Coins: Bitcoin, Testnet, Regtest, Litecoin, Bcash, Bgold, Dash, Dogecoin, Zcash and the
 * testnets of Bcash, Bgold, Dash and Zcash, with the firmware's parameters (../coins.ts, its
 * own table, not the library's). Bcash addresses are CashAddr; Bcash and Bgold inputs are all
 * signed with BIP-143 (force_bip143) and SIGHASH_ALL | FORKID | fork_id << 8 (0x41, 0x4f41),
 * read once each instead of re-streamed for a legacy digest. Zcash (overwintered) inputs are
 * read once likewise and signed with the ZIP-243 (v4) or ZIP-244 (v5: no previous
 * transactions) digest, the transaction serialised with the overwintered header and footer
 * (./zcash.ts). Bgold and Dash are refused ("Unsupported coin type") on the models whose
 * firmware leaves them out (Safe 3, Safe 5). Others (Groestlcoin, whose Groestl hashing
 * @noble/hashes lacks, Decred, Elements …) get "Invalid coin name".
 *
 * GetPublicKey also derives on nist256p1 and ed25519 (SLIP-10, ./slip10.ts); UnlockPath opens
 * the SLIP-25 coinjoin account (m/10025') for the request that follows it.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { signDigest } from '../ecdsa.js';
import { memoize, stableMessage } from '../memo.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { taprootTweakPrivKey, taprootTweakPubkey } from '@scure/btc-signer/utils.js';
import {
  decodeAs,
  encodeAs,
  type MessageMap,
  type MultisigRedeemScriptType,
  type PrevInput,
  type PrevOutput,
  type PrevTx,
  type TxInput,
  type TxOutput,
  type TxRequest,
} from '../../../messages/index.js';
import { HARDENED } from '../../../path.js';
import { deviceCoin, type DeviceCoin } from '../coins.js';
import { fail, type DeviceContext, type HandlerTable, type Reply } from '../context.js';
import { firmwareHas, unknownMessageText } from '../firmware.js';
import { namesScreens, screen } from '../screens.js';
import { cashaddrDecode, cashaddrEncode } from './cashaddr.js';
import { confirmSignVerify, coreMessageText, coreMonoPages } from './core-text.js';
import { isSlip10Curve } from './slip10.js';
import { prevTxFrame, zcashFooter, zcashHeader, zip243Digest, zip244Digest, type ZcashHeader } from './zcash.js';
import type { Keychain } from '../keychain.js';

const base58check = /* @__PURE__ */ createBase58check(sha256);
const hash160 = (data: Uint8Array) => ripemd160(sha256(data));
const sha256d = (data: Uint8Array) => sha256(sha256(data));

const PATH_MAX_ACCOUNT = 100;
const PATH_MAX_CHANGE = 1;
const PATH_MAX_ADDRESS_INDEX = 1_000_000;
const BIP32_MAX_LAST_ELEMENT = 1_000_000;
const MAX_SILENT_CHANGE_COUNT = 2;
const SEQUENCE_FINAL = 0xffffffff;
const GREEN_ADDRESS_PURPOSE = 1195487518;
/** SLIP-25 coinjoin accounts, m/10025'/…: only after UnlockPath. */
const SLIP25_PURPOSE = (HARDENED | 10025) >>> 0;
const CHANGED = 'Transaction has changed during signing';

type InputType = 'SPENDADDRESS' | 'SPENDMULTISIG' | 'EXTERNAL' | 'SPENDWITNESS' | 'SPENDP2SHWITNESS' | 'SPENDTAPROOT';
type OutputType = 'PAYTOADDRESS' | 'PAYTOSCRIPTHASH' | 'PAYTOMULTISIG' | 'PAYTOOPRETURN' | 'PAYTOWITNESS' | 'PAYTOP2SHWITNESS' | 'PAYTOTAPROOT';

const INTERNAL_INPUT_TYPES: readonly string[] = ['SPENDADDRESS', 'SPENDMULTISIG', 'SPENDWITNESS', 'SPENDP2SHWITNESS', 'SPENDTAPROOT'];
const SEGWIT_INPUT_TYPES: readonly string[] = ['SPENDWITNESS', 'SPENDP2SHWITNESS', 'SPENDTAPROOT'];
const MULTISIG_INPUT_TYPES: readonly string[] = ['SPENDMULTISIG', 'SPENDP2SHWITNESS', 'SPENDWITNESS'];
const MULTISIG_OUTPUT_TYPES: readonly string[] = ['PAYTOMULTISIG', 'PAYTOP2SHWITNESS', 'PAYTOWITNESS'];
const CHANGE_OUTPUT_TYPES: readonly string[] = ['PAYTOADDRESS', 'PAYTOMULTISIG', 'PAYTOP2SHWITNESS', 'PAYTOWITNESS', 'PAYTOTAPROOT'];
const SEGWIT_OUTPUT_TYPES: readonly string[] = ['PAYTOP2SHWITNESS', 'PAYTOWITNESS', 'PAYTOTAPROOT'];
const CHANGE_TO_INPUT: Readonly<Record<string, InputType>> = {
  PAYTOADDRESS: 'SPENDADDRESS',
  PAYTOMULTISIG: 'SPENDMULTISIG',
  PAYTOWITNESS: 'SPENDWITNESS',
  PAYTOP2SHWITNESS: 'SPENDP2SHWITNESS',
  PAYTOTAPROOT: 'SPENDTAPROOT',
};

// ----------------------------------------------------------------------------------------------
// Coins and paths

function coinOf(name: string | undefined, ctx: DeviceContext): DeviceCoin {
  const coin = deviceCoin(name);
  if (!coin) fail('Failure_DataError', 'Invalid coin name');
  // A coin left out of this model's firmware (support.json): core keychain.py _get_coin_by_name.
  if (coin.models && !coin.models.includes(ctx.model)) fail('Failure_DataError', 'Unsupported coin type');
  return coin;
}

/** Taproot needs the coin and the claimed firmware (1.10.4 / 2.4.3: the Model T 2.4.1 predates it). */
function taprootEnabled(ctx: DeviceContext, coin: DeviceCoin): boolean {
  return coin.taproot && firmwareHas(ctx, 'taproot');
}

function coinTypeMatches(coin: DeviceCoin, element: number | undefined): boolean {
  return element === (HARDENED | coin.slip44) >>> 0;
}

/**
 * What an UnlockPath right before the request opened (fsm_getUnlockedSchema): nothing, the
 * external chain of the SLIP-25 account (addresses, keys) or the whole account (SignTx).
 */
type Slip25Access = 'none' | 'external' | 'account';

function slip25Access(ctx: DeviceContext, signing: boolean): Slip25Access {
  if (ctx.unlockedPath !== SLIP25_PURPOSE) return 'none';
  return signing ? 'account' : 'external';
}

/**
 * crypto.c coin_path_check(): is `addressN` a path this coin uses (`full`: and for this script
 * type)? Patterns: BIP-44/49/84/86, BIP-48, Green Address and Casa compatibility paths, and
 * the SLIP-25 taproot account m/10025'/coin'/0'/1'/change/index once unlocked (`slip25`).
 * @example coinPathCheck(DEVICE_COINS.Bitcoin, 'SPENDWITNESS', [0x80000054, 0x80000000, 0x80000000, 0, 0], false, true, true) // true
 */
export function coinPathCheck(
  coin: DeviceCoin,
  scriptType: string,
  addressN: readonly number[],
  multisig: boolean,
  full: boolean,
  taproot: boolean,
  slip25: Slip25Access = 'none',
): boolean {
  const n = addressN;
  if (n.length === 0) return false;
  if (n[0] === SLIP25_PURPOSE) {
    return (
      slip25 !== 'none' &&
      taproot &&
      n.length === 6 &&
      coinTypeMatches(coin, n[1]) &&
      n[2] === HARDENED >>> 0 &&
      n[3] === (HARDENED | 1) >>> 0 &&
      n[4]! <= (slip25 === 'account' ? PATH_MAX_CHANGE : 0) &&
      n[5]! <= PATH_MAX_ADDRESS_INDEX &&
      (!full || (scriptType === 'SPENDTAPROOT' && !multisig))
    );
  }
  const h = (i: number) => (n[i]! & HARDENED) !== 0;
  const u = (i: number) => n[i]! & 0x7fffffff;
  const standard = (segwit: boolean, ok: boolean) =>
    ok &&
    (!segwit || coin.segwit) &&
    n.length === 5 &&
    coinTypeMatches(coin, n[1]) &&
    h(2) &&
    u(2) <= PATH_MAX_ACCOUNT &&
    n[3]! <= PATH_MAX_CHANGE &&
    n[4]! <= PATH_MAX_ADDRESS_INDEX;
  switch (n[0]) {
    case (HARDENED | 44) >>> 0:
      return standard(false, true) && (!full || (scriptType === 'SPENDADDRESS' && !multisig));
    case (HARDENED | 45) >>> 0: {
      let valid = true;
      if (n.length === 4) {
        // BIP-45 (Copay): m/45'/cosigner/change/index, a Bitcoin path.
        valid = coin.slip44 === 0 && n[1]! <= 100 && n[2]! <= PATH_MAX_CHANGE && n[3]! <= PATH_MAX_ADDRESS_INDEX;
      } else if (n.length === 5) {
        // Casa: m/45'/coin_type/account/change/index, unhardened.
        if (!h(1)) valid = coinTypeMatches(coin, (HARDENED | n[1]!) >>> 0) && n[2]! <= PATH_MAX_ACCOUNT && n[3]! <= PATH_MAX_CHANGE && n[4]! <= PATH_MAX_ADDRESS_INDEX;
      } else if (n.length === 6) {
        // Unchained Capital: m/45'/coin_type(')/account(')/[0-1000000]/change/index.
        valid =
          coinTypeMatches(coin, (HARDENED | n[1]!) >>> 0) &&
          h(1) === h(2) &&
          u(2) <= PATH_MAX_ACCOUNT &&
          n[3]! <= 1_000_000 &&
          n[4]! <= PATH_MAX_CHANGE &&
          n[5]! <= PATH_MAX_ADDRESS_INDEX;
        if (full) valid = valid && multisig && ['SPENDADDRESS', 'SPENDMULTISIG', 'SPENDWITNESS'].includes(scriptType);
        return valid;
      } else return false;
      if (full) valid = valid && multisig && ['SPENDADDRESS', 'SPENDMULTISIG'].includes(scriptType);
      return valid;
    }
    case (HARDENED | 48) >>> 0: {
      let valid = (n.length === 5 || n.length === 6) && coinTypeMatches(coin, n[1]) && h(2) && u(2) <= PATH_MAX_ACCOUNT;
      if (n.length === 5) {
        valid = valid && n[3]! <= PATH_MAX_CHANGE && n[4]! <= PATH_MAX_ADDRESS_INDEX;
        if (full) valid = valid && multisig && scriptType === 'SPENDMULTISIG';
      } else if (n.length === 6) {
        const type = u(3);
        valid = valid && h(3) && type <= 2 && (type === 0 || coin.segwit) && n[4]! <= PATH_MAX_CHANGE && n[5]! <= PATH_MAX_ADDRESS_INDEX;
        if (full) {
          const expected = type === 0 ? ['SPENDMULTISIG', 'SPENDADDRESS'] : type === 1 ? ['SPENDP2SHWITNESS'] : ['SPENDWITNESS'];
          valid = valid && multisig && expected.includes(scriptType);
        }
      }
      return valid;
    }
    case (HARDENED | 49) >>> 0:
      return standard(true, true) && (!full || scriptType === 'SPENDP2SHWITNESS');
    case (HARDENED | 84) >>> 0:
      return standard(true, true) && (!full || scriptType === 'SPENDWITNESS');
    case (HARDENED | 86) >>> 0:
      return standard(true, taproot) && (!full || (scriptType === 'SPENDTAPROOT' && !multisig));
    case 1:
    case 4:
      return coin.slip44 === 0 && n.length === 2 && n[1]! <= PATH_MAX_ADDRESS_INDEX && (!full || scriptType !== 'SPENDTAPROOT');
    case (HARDENED | 3) >>> 0:
      return (
        coin.slip44 === 0 &&
        n.length === 4 &&
        h(1) &&
        u(1) <= 100 &&
        (n[2] === 1 || n[2] === 4) &&
        n[3]! <= PATH_MAX_ADDRESS_INDEX &&
        (!full || scriptType !== 'SPENDTAPROOT')
      );
    case GREEN_ADDRESS_PURPOSE:
      if (coin.slip44 !== 0) return false;
      if (n.length === 3) return !full && n[1] === 6 && n[2]! <= PATH_MAX_ADDRESS_INDEX;
      return n.length === 1 && !full;
    case 49:
      return (
        n.length === 5 &&
        coinTypeMatches(coin, (HARDENED | n[1]!) >>> 0) &&
        !h(1) &&
        n[2]! <= PATH_MAX_ACCOUNT &&
        n[3]! <= PATH_MAX_CHANGE &&
        n[4]! <= PATH_MAX_ADDRESS_INDEX &&
        (!full || scriptType === 'SPENDP2SHWITNESS')
      );
    default:
      return false;
  }
}

/**
 * fsm_checkCoinPath(): a path that fails the full check is refused under Strict safety checks
 * unless it is at least a known path of the coin, and otherwise shown with a warning.
 * Returns true when the warning was shown.
 */
async function checkCoinPath(
  ctx: DeviceContext,
  coin: DeviceCoin,
  scriptType: string,
  addressN: readonly number[],
  multisig: boolean,
  warn = true,
  signing = false,
): Promise<boolean> {
  const taproot = taprootEnabled(ctx, coin);
  const slip25 = slip25Access(ctx, signing);
  if (coinPathCheck(coin, scriptType, addressN, multisig, true, taproot, slip25)) return false;
  if (ctx.safetyChecks === 'Strict' && !coinPathCheck(coin, scriptType, addressN, multisig, false, taproot, slip25)) {
    fail('Failure_DataError', 'Forbidden key path');
  }
  if (!warn) return false;
  await ctx.confirm('ButtonRequest_UnknownDerivationPath', { text: 'Wrong address path for selected coin. Continue at your own risk!', ...screen(ctx, 'path_warning') });
  return true;
}

// ----------------------------------------------------------------------------------------------
// Scripts and addresses

function p2pkhScript(keyHash: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), keyHash, Uint8Array.of(0x88, 0xac));
}
function p2shScript(scriptHash: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0xa9, 0x14), scriptHash, Uint8Array.of(0x87));
}
function witnessScript(version: number, program: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(version === 0 ? 0 : 0x50 + version, program.length), program);
}

/** BIP-86 output key of a compressed public key (no script tree). */
function taprootOutputKey(publicKey: Uint8Array): Uint8Array {
  return taprootTweakPubkey(publicKey.slice(1, 33), new Uint8Array(0))[0];
}

/** scriptPubKey of a single-key input script type (fill_input_script_pubkey). */
function keyScriptPubKey(scriptType: string, publicKey: Uint8Array): Uint8Array {
  switch (scriptType) {
    case 'SPENDADDRESS':
      return p2pkhScript(hash160(publicKey));
    case 'SPENDWITNESS':
      return witnessScript(0, hash160(publicKey));
    case 'SPENDP2SHWITNESS':
      return p2shScript(hash160(witnessScript(0, hash160(publicKey))));
    case 'SPENDTAPROOT':
      return witnessScript(1, taprootOutputKey(publicKey));
    default:
      fail('Failure_DataError', 'Unsupported script type.');
  }
}

// --- multisig (crypto.c cryptoMultisig*, script.c compile_script_multisig) -----------------------

interface Multisig {
  /** OP_m <pubkeys> OP_n OP_CHECKMULTISIG */
  script: Uint8Array;
  /** In script order. */
  pubkeys: Uint8Array[];
  /** Existing signatures by position (empty = not signed yet). */
  signatures: Uint8Array[];
  /** Identity of the cosigner set, for change detection (m, order and the sorted account nodes). */
  fingerprint: string;
  /** Every cosigner key derived along the same path (required of a change output). */
  singlePath: boolean;
}

function multisigOf(ms: MultisigRedeemScriptType): Multisig {
  const entries: { node: MessageMap['PublicKey']['node']; path: readonly number[] }[] = ms.nodes?.length
    ? ms.nodes.map((node) => ({ node, path: ms.address_n ?? [] }))
    : (ms.pubkeys ?? []).map((p) => ({ node: p.node, path: p.address_n ?? [] }));
  const n = entries.length;
  const m = ms.m ?? 0;
  if (n < 1 || n > 15 || m < 1 || m > n) fail('Failure_DataError', 'Invalid multisig parameters');
  const pubkeys = entries.map(({ node, path }) => {
    if (!node?.public_key || node.public_key.length !== 33 || !node.chain_code || node.chain_code.length !== 32) {
      fail('Failure_DataError', 'Invalid multisig parameters');
    }
    let key: HDKey;
    try {
      key = new HDKey({ publicKey: node.public_key, chainCode: node.chain_code, depth: node.depth, index: node.child_num, parentFingerprint: node.fingerprint });
      for (const index of path) key = key.deriveChild(index);
    } catch {
      fail('Failure_DataError', 'Invalid multisig parameters');
    }
    return key.publicKey!;
  });
  const sorted = String(ms.pubkeys_order ?? 'PRESERVED') === 'LEXICOGRAPHIC';
  if (sorted) pubkeys.sort((a, b) => hexOf(a).localeCompare(hexOf(b)));
  const script = concatBytes(Uint8Array.of(0x50 + m), ...pubkeys.map((k) => pushData(k)), Uint8Array.of(0x50 + n, 0xae));
  const nodes = entries.map(({ node }) => `${node.depth}/${node.fingerprint}/${node.child_num}/${hexOf(node.chain_code)}/${hexOf(node.public_key)}`).sort();
  const signatures = pubkeys.map((_, i) => ms.signatures?.[i] ?? new Uint8Array(0));
  const paths = new Set(entries.map(({ path }) => path.join('/')));
  return { script, pubkeys, signatures, fingerprint: `${m}|${sorted ? 1 : 0}|${nodes.join(',')}`, singlePath: paths.size === 1 };
}

/** scriptPubKey of a multisig script type (P2SH, P2SH-P2WSH, P2WSH). */
function multisigScriptPubKey(scriptType: string, script: Uint8Array): Uint8Array {
  switch (scriptType) {
    case 'SPENDMULTISIG':
    case 'SPENDADDRESS':
      return p2shScript(hash160(script));
    case 'SPENDP2SHWITNESS':
      return p2shScript(hash160(witnessScript(0, sha256(script))));
    case 'SPENDWITNESS':
      return witnessScript(0, sha256(script));
    default:
      fail('Failure_DataError', 'Multisig field provided but not expected.');
  }
}

function multisigAddress(coin: DeviceCoin, scriptType: string, script: Uint8Array): string {
  const scriptPubKey = multisigScriptPubKey(scriptType, script);
  if (scriptType === 'SPENDWITNESS') return segwitAddress(coin, 0, sha256(script));
  if (coin.cashaddr_prefix) return cashaddrEncode(coin.cashaddr_prefix, 'p2sh', scriptPubKey.subarray(2, 22));
  return base58Address(coin.address_type_p2sh, scriptPubKey.subarray(2, 22));
}

/**
 * The version prefix of a base58 address, big-endian in as many bytes as it needs (crypto
 * address.c address_prefix_bytes_len: Zcash's are two bytes, 0x1cb8 → "t1…").
 */
function versionBytes(version: number): Uint8Array {
  const length = version <= 0xff ? 1 : version <= 0xffff ? 2 : version <= 0xffffff ? 3 : 4;
  return Uint8Array.from({ length }, (_, i) => (version >>> (8 * (length - 1 - i))) & 0xff);
}

function base58Address(version: number, hash: Uint8Array): string {
  return base58check.encode(concatBytes(versionBytes(version), hash));
}

function segwitAddress(coin: DeviceCoin, version: number, program: Uint8Array): string {
  const prefix = coin.bech32_prefix;
  if (!prefix) fail('Failure_DataError', "Can't encode address");
  const words = [version, ...bech32.toWords(program)];
  return version === 0 ? bech32.encode(prefix, words) : bech32m.encode(prefix, words);
}

/** compute_address() for single-key script types. */
function keyAddress(coin: DeviceCoin, scriptType: string, publicKey: Uint8Array): string {
  switch (scriptType) {
    case 'SPENDADDRESS':
      if (coin.cashaddr_prefix) return cashaddrEncode(coin.cashaddr_prefix, 'p2pkh', hash160(publicKey));
      return base58Address(coin.address_type, hash160(publicKey));
    case 'SPENDP2SHWITNESS':
      return base58Address(coin.address_type_p2sh, hash160(witnessScript(0, hash160(publicKey))));
    case 'SPENDWITNESS':
      return segwitAddress(coin, 0, hash160(publicKey));
    case 'SPENDTAPROOT':
      return segwitAddress(coin, 1, taprootOutputKey(publicKey));
    default:
      fail('Failure_DataError', "Can't encode address");
  }
}

/** address_to_script_pubkey(): undefined when the text is not an address of this coin. */
function addressScript(coin: DeviceCoin, address: string, taproot: boolean): Uint8Array | undefined {
  if (coin.cashaddr_prefix) {
    const decoded = cashaddrDecode(coin.cashaddr_prefix, address);
    if (!decoded) return undefined;
    return decoded.type === 'p2pkh' ? p2pkhScript(decoded.hash) : p2shScript(decoded.hash);
  }
  const lower = address.toLowerCase();
  if (coin.bech32_prefix && lower.startsWith(`${coin.bech32_prefix}1`)) {
    for (const codec of [bech32, bech32m]) {
      let decoded: { prefix: string; words: number[] };
      try {
        decoded = codec.decode(address as `${string}1${string}`, 90);
      } catch {
        continue;
      }
      if (decoded.prefix !== coin.bech32_prefix) return undefined;
      const [version, ...rest] = decoded.words;
      if (version === undefined || (version === 0) !== (codec === bech32)) return undefined;
      let program: Uint8Array;
      try {
        program = bech32.fromWords(rest);
      } catch {
        return undefined;
      }
      if (version === 0 && (program.length === 20 || program.length === 32)) return witnessScript(0, program);
      if (version === 1 && program.length === 32 && taproot) {
        try {
          schnorr.utils.lift_x(BigInt(`0x${hexOf(program)}`));
        } catch {
          return undefined;
        }
        return witnessScript(1, program);
      }
      return undefined;
    }
    return undefined;
  }
  let raw: Uint8Array;
  try {
    raw = base58check.decode(address);
  } catch {
    return undefined;
  }
  for (const [version, script] of [
    [coin.address_type, p2pkhScript],
    [coin.address_type_p2sh, p2shScript],
  ] as const) {
    const prefix = versionBytes(version);
    if (raw.length === prefix.length + 20 && equal(raw.subarray(0, prefix.length), prefix)) return script(raw.subarray(prefix.length));
  }
  return undefined;
}

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ----------------------------------------------------------------------------------------------
// Serialization (transaction.c)

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}
function u64le(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return b;
}
function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  return concatBytes(Uint8Array.of(0xfe), u32le(n));
}
const varBytes = (data: Uint8Array) => concatBytes(varint(data.length), data);
/** A script push of up to 75 bytes (OP_PUSH n) or longer (OP_PUSHDATA1/2). */
function pushData(data: Uint8Array): Uint8Array {
  if (data.length < 0x4c) return concatBytes(Uint8Array.of(data.length), data);
  if (data.length <= 0xff) return concatBytes(Uint8Array.of(0x4c, data.length), data);
  return concatBytes(Uint8Array.of(0x4d, data.length & 0xff, data.length >>> 8), data);
}
/** Outpoint: txid in internal byte order (the reverse of prev_hash) ‖ index. */
const outpoint = (prevHash: Uint8Array, index: number) => concatBytes(prevHash.slice().reverse(), u32le(index));
const serializeOutput = (amount: bigint, script: Uint8Array) => concatBytes(u64le(amount), varBytes(script));

// ----------------------------------------------------------------------------------------------
// Screens

/**
 * A Trezor One screen that "no" does not cancel: the firmware shows the other view of the
 * same screen (the QR code) and asks again; "yes" accepts.
 */
async function cyclingScreen(ctx: DeviceContext, code: string, text: string): Promise<void> {
  while ((await ctx.confirm(code, { text, allowNo: true })) === false) {
    // "no": the other view of the same screen.
  }
}

/** T1 fsm_layoutPaginated: 4 rows of 18 ASCII characters, or of 8 bytes shown in hex. */
async function t1MessagePages(ctx: DeviceContext, message: Uint8Array, title: string): Promise<void> {
  const ascii = message.every((byte) => byte >= 0x20 && byte <= 0x7e);
  const perPage = ascii ? 18 * 4 : 8 * 4;
  let offset = 0;
  do {
    const shown = message.subarray(offset, offset + perPage);
    offset += perPage;
    await ctx.confirm('ButtonRequest_Other', { text: `${title} ${ascii ? new TextDecoder().decode(shown) : hexOf(shown)}` });
  } while (offset < message.length);
}

function formatAmount(coin: DeviceCoin, amount: bigint, unit: string | number | undefined): string {
  const units: Record<string, [bigint, string]> = {
    BITCOIN: [100_000_000n, coin.coin_shortcut],
    MILLIBITCOIN: [100_000n, `m${coin.coin_shortcut}`],
    MICROBITCOIN: [100n, `u${coin.coin_shortcut}`],
    SATOSHI: [1n, `sat ${coin.coin_shortcut}`],
  };
  const [div, label] = units[String(unit ?? 'BITCOIN')] ?? units.BITCOIN!;
  const whole = amount / div;
  const frac = (amount % div).toString().padStart(div.toString().length - 1, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''} ${label}`;
}

// ----------------------------------------------------------------------------------------------
// GetAddress, GetPublicKey

async function getAddressHandler(ctx: DeviceContext, request: MessageMap['GetAddress']): Promise<Reply> {
  const addressN = request.address_n ?? [];
  if (ctx.model === 'T1B1') await ctx.unlock();
  const coin = coinOf(request.coin_name, ctx);
  const scriptType = String(request.script_type ?? 'SPENDADDRESS');
  const keys = await ctx.keychain();
  if (scriptType === 'SPENDTAPROOT' && !taprootEnabled(ctx, coin)) fail('Failure_DataError', "Can't encode address");
  // Only the segwit types need segwit: bare P2SH multisig (SPENDMULTISIG) is fine on Bcash
  // (core apps/bitcoin/addresses.py get_address; legacy fsm_msg_coin.h is_segwit_input_script_type).
  if (['SPENDWITNESS', 'SPENDP2SHWITNESS', 'SPENDTAPROOT'].includes(scriptType) && !coin.segwit) fail('Failure_DataError', "Can't encode address");
  const node = keys.node(addressN);
  const multisig = request.multisig ? multisigOf(request.multisig) : undefined;
  if (multisig && !['SPENDMULTISIG', 'SPENDADDRESS', 'SPENDP2SHWITNESS', 'SPENDWITNESS'].includes(scriptType)) fail('Failure_DataError', "Can't encode address");
  // compute_address(): a multisig address must include this device's key.
  if (multisig && !multisig.pubkeys.some((key) => equal(key, node.publicKey!))) fail('Failure_DataError', "Can't encode address");
  const address = multisig
    ? multisigAddress(coin, scriptType, multisig.script)
    : // Kept beside the cached node (../memo.ts): the hashing and encoding cost more than the rest.
      memoize(node, `address/${coin.coin_name}/${scriptType}`, () => keyAddress(coin, scriptType, node.publicKey!));
  const hasMultisig = multisig !== undefined;
  if (ctx.model === 'T1B1') {
    if (request.show_display) {
      await checkCoinPath(ctx, coin, scriptType, addressN, hasMultisig);
      await cyclingScreen(ctx, 'ButtonRequest_Address', `${hasMultisig ? `Multisig ${request.multisig!.m} of ${multisig!.pubkeys.length}:` : 'Address:'} ${address}`);
    }
    // A single-sig address is the same answer every time: built and encoded once (../memo.ts).
    return { type: 'Address', message: multisig ? { address } : stableMessage(node, `Address/${address}`, () => ({ address })) };
  }
  // Core validates the path against the script type only for an address it shows ("skip
  // soft-validation for silent calls", core/src/apps/bitcoin/get_address.py); the keychain
  // still refuses a path outside the coin's under Strict safety checks.
  await checkCoinPath(ctx, coin, scriptType, addressN, hasMultisig, request.show_display === true);
  // From 2.5.1 a single-sig address on a standard (or confirmed) path comes with its SLIP-24 MAC.
  let mac: Uint8Array | undefined;
  if (!hasMultisig && firmwareHas(ctx, 'addressMac')) {
    const standard = coinPathCheck(coin, scriptType, addressN, false, true, taprootEnabled(ctx, coin), slip25Access(ctx, false));
    if (request.show_display || standard) mac = addressMac(await ctx.seed(), coin.slip44, address);
  }
  if (request.show_display) {
    await ctx.confirm('ButtonRequest_Address', { text: `Address: ${address}`, ...screen(ctx, 'show_address', { Bolt: 1, Caesar: 1, Delizia: 2 }) });
  }
  return { type: 'Address', message: mac ? { address, mac } : { address } };
}

/**
 * SLIP-24 address MAC (core/src/apps/common/address_mac.py): HMAC-SHA256 under the SLIP-21 key
 * m/"SLIP-0024"/"Address MAC key" of slip44 (uint32 LE) ‖ compact size ‖ the address.
 */
function addressMac(seed: Uint8Array, slip44: number, address: string): Uint8Array {
  const text = new TextEncoder().encode(address);
  return hmac(sha256, slip21Key(seed, ['SLIP-0024', 'Address MAC key']), concatBytes(u32le(slip44), varBytes(text)));
}

/** hdnode_serialize_public() with the version the firmware picks (or Failure); fsm_msgGetPublicKey. */
function xpubVersion(coin: DeviceCoin, scriptType: string, ignoreMagic: boolean, taproot: boolean): number {
  const magic = (() => {
    switch (scriptType) {
      case 'SPENDADDRESS':
      case 'SPENDMULTISIG':
        return coin.xpub_magic;
      case 'SPENDP2SHWITNESS':
        if (coin.segwit) return ignoreMagic ? coin.xpub_magic : coin.xpub_magic_segwit_p2sh;
        break;
      case 'SPENDWITNESS':
        if (coin.segwit) return ignoreMagic ? coin.xpub_magic : coin.xpub_magic_segwit_native;
        break;
      case 'SPENDTAPROOT':
        if (taproot) return coin.xpub_magic;
        break;
    }
    return null;
  })();
  if (!magic) fail('Failure_DataError', 'Invalid combination of coin and script_type');
  return magic;
}

/** What an xpub records of a node (an HDKey or a SLIP-10 node). */
type XpubNode = Pick<HDKey, 'depth' | 'parentFingerprint' | 'index' | 'chainCode'>;

function serializeXpub(version: number, node: XpubNode, publicKey: Uint8Array): string {
  // Kept beside the node (../memo.ts): base58 of 82 bytes costs more than the rest of GetPublicKey.
  return memoize(node, `xpub/${version}`, () => {
    const out = new Uint8Array(78);
    const view = new DataView(out.buffer);
    view.setUint32(0, version >>> 0);
    out[4] = node.depth;
    view.setUint32(5, node.parentFingerprint >>> 0);
    view.setUint32(9, node.index >>> 0);
    out.set(node.chainCode!, 13);
    out.set(publicKey, 45);
    return base58check.encode(out);
  });
}

async function getPublicKeyHandler(ctx: DeviceContext, request: MessageMap['GetPublicKey']): Promise<Reply> {
  const addressN = request.address_n ?? [];
  if (ctx.model === 'T1B1') await ctx.unlock();
  const coin = coinOf(request.coin_name, ctx);
  const curve = request.ecdsa_curve_name ?? 'secp256k1';
  if (curve !== 'secp256k1' && !isSlip10Curve(curve)) fail('Failure_DataError', 'Only the secp256k1 curve is supported by this device');
  // SLIP-25 keys only right after an UnlockPath of their subtree.
  if (addressN[0] === SLIP25_PURPOSE && ctx.unlockedPath !== SLIP25_PURPOSE) fail('Failure_DataError', 'Forbidden key path');
  let node: XpubNode & { publicKey: Uint8Array };
  let rootFingerprint: number;
  if (curve === 'secp256k1') {
    const keys = await ctx.keychain();
    node = keys.node(addressN) as HDKey & { publicKey: Uint8Array };
    rootFingerprint = keys.root.fingerprint;
  } else {
    // SLIP-10 on the requested curve: the fingerprints, the xpub and the descriptor all come
    // from that curve's tree (the firmware serialises it with the coin's xpub version).
    const keys = await ctx.keychain();
    node = keys.slip10(curve, addressN);
    rootFingerprint = keys.slip10Root(curve).fingerprint;
  }
  const scriptType = String(request.script_type ?? 'SPENDADDRESS');
  const xpub = serializeXpub(xpubVersion(coin, scriptType, request.ignore_xpub_magic === true, taprootEnabled(ctx, coin)), node, node.publicKey);
  if (request.show_display) {
    if (ctx.model === 'T1B1') {
      for (let page = 0; page < 2; page++) await cyclingScreen(ctx, 'ButtonRequest_PublicKey', `XPUB ${page + 1}/2 ${xpub}`);
    } else {
      // Core shows the xpub in lines of 16 characters, 5 lines a page; its debug layout of the
      // second page reads [title, line 6, '', '', line 7] (recorded from the 2.4.1 emulator).
      const line = (i: number) => xpub.slice(16 * i, 16 * i + 16);
      const first = ['XPUB', line(0), line(1), line(2), line(3), line(4)].join('\n');
      const second = ['XPUB', line(5), '', '', xpub.slice(96)].join('\n');
      await ctx.confirm('ButtonRequest_PublicKey', { pages: 2, text: `${first}\f${second}`, ...screen(ctx, 'show_xpub') });
    }
  }
  const withDescriptor = ctx.model === 'T1B1' || firmwareHas(ctx, 'xpubDescriptor');
  // The same node, coin and script type give the same answer: built and encoded once (../memo.ts).
  const message = stableMessage(node, `PublicKey/${coin.coin_name}/${scriptType}/${xpub}/${withDescriptor}`, () => {
    const built: MessageMap['PublicKey'] = {
      node: {
        depth: node.depth,
        fingerprint: node.parentFingerprint,
        child_num: node.index,
        chain_code: node.chainCode!,
        public_key: node.publicKey,
      },
      xpub,
      root_fingerprint: rootFingerprint,
    };
    if (withDescriptor) {
      // The account's BIP-380 descriptor (1.14.1; Core from 2.7.0).
      const wrap: Record<string, [string, string]> = {
        SPENDADDRESS: ['pkh(', ')'],
        SPENDP2SHWITNESS: ['sh(wpkh(', '))'],
        SPENDWITNESS: ['wpkh(', ')'],
        SPENDTAPROOT: ['tr(', ')'],
      };
      const parts = wrap[scriptType];
      if (parts) {
        const origin = [rootFingerprint.toString(16).padStart(8, '0'), ...addressN.map((n) => (n >= HARDENED ? `${n - HARDENED}h` : String(n)))].join('/');
        const plain = serializeXpub(coin.xpub_magic, node, node.publicKey);
        const body = `${parts[0]}[${origin}]${plain}/<0;1>/*${parts[1]}`;
        built.descriptor = `${body}#${memoize(node, body, () => descriptorChecksum(body))}`;
      }
    }
    return built;
  });
  return { type: 'PublicKey', message };
}

const DESC_INPUT = '0123456789()[],\'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';
const DESC_CHECKSUM = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
/** The BIP-380 generator, 40-bit values split as [bits 32..39, bits 0..31] (JavaScript's bit operators are 32-bit). */
const DESC_GENERATOR: readonly (readonly [number, number])[] = [
  [0xf5, 0xdee51989],
  [0xa9, 0xfdca3312],
  [0x1b, 0xab10e32d],
  [0x37, 0x06b1677a],
  [0x64, 0x4d626ffd],
];

/** BIP-380 checksum (the firmware's descriptor.c); the 40-bit state as two numbers, hi:lo. */
function descriptorChecksum(text: string): string {
  let hi = 0;
  let lo = 1;
  const step = (value: number) => {
    const top = hi >>> 3; // chk >> 35
    // chk = ((chk & 0x7ffffffff) << 5) ^ value
    hi = ((hi & 0x7) << 5) | (lo >>> 27);
    lo = ((lo << 5) ^ value) >>> 0;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) {
        hi ^= DESC_GENERATOR[i]![0];
        lo = (lo ^ DESC_GENERATOR[i]![1]) >>> 0;
      }
    }
  };
  let groups: number[] = [];
  for (const ch of text) {
    const v = DESC_INPUT.indexOf(ch);
    step(v & 31);
    groups.push(v >> 5);
    if (groups.length === 3) {
      step(groups[0]! * 9 + groups[1]! * 3 + groups[2]!);
      groups = [];
    }
  }
  if (groups.length === 1) step(groups[0]!);
  else if (groups.length === 2) step(groups[0]! * 3 + groups[1]!);
  for (let i = 0; i < 8; i++) step(0);
  lo = (lo ^ 1) >>> 0;
  // Eight 5-bit characters, most significant first: bits 35..39 are hi >> 3, and so on.
  const chk = hi * 0x1_0000_0000 + lo;
  let out = '';
  for (let i = 0; i < 8; i++) out += DESC_CHECKSUM[Math.floor(chk / 2 ** (5 * (7 - i))) & 31];
  return out;
}

// ----------------------------------------------------------------------------------------------
// Messages
//
// SignMessage, as each firmware answers it:
//   T1B1 1.14.1  path check against the script type; address screen; message pages.
//   T2T1 2.4.1   path checked only against the coin's keychain (validate_path without the
//                script-type check); one screen with the message; then the address, in
//                get_address()'s words when the script type cannot have one.
//   T2T1 2.4.3+  path checked against the script type; address screen, then the message.
// The signature header is 27 + recid + 4 (compressed key), plus 4 for P2SH-P2WPKH and 8 for
// P2WPKH unless no_script_type asks for the plain one (Bitcoin Core's form) — honoured only
// from 1.10.4 / 2.4.3 on: older firmware ignores the flag (sign_message.py at core/v2.4.1).

function messageDigest(coin: DeviceCoin, message: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(coin.signed_message_header);
  return sha256d(concatBytes(varBytes(header), varBytes(message)));
}

/** address_short(): Core shows a CashAddr address without its prefix. */
function addressShort(coin: DeviceCoin, address: string): string {
  const prefix = coin.cashaddr_prefix ? `${coin.cashaddr_prefix}:` : undefined;
  return prefix && address.startsWith(prefix) ? address.slice(prefix.length) : address;
}

/**
 * Core's get_address() for a single key (apps/bitcoin/addresses.py), with its refusals: a
 * ProcessError naming what the coin or the request lacks.
 */
function coreKeyAddress(ctx: DeviceContext, coin: DeviceCoin, scriptType: string, publicKey: Uint8Array): string {
  switch (scriptType) {
    case 'SPENDADDRESS':
      return keyAddress(coin, scriptType, publicKey);
    case 'SPENDMULTISIG':
      fail('Failure_ProcessError', 'Multisig details required');
    case 'SPENDWITNESS':
    case 'SPENDP2SHWITNESS':
      if (!coin.segwit) fail('Failure_ProcessError', 'Segwit not enabled on this coin');
      return keyAddress(coin, scriptType, publicKey);
    case 'SPENDTAPROOT':
      // 2.4.1 has no taproot branch: the script type is simply invalid there.
      if (!firmwareHas(ctx, 'taproot')) break;
      if (!coin.taproot) fail('Failure_ProcessError', 'Taproot not enabled on this coin');
      return keyAddress(coin, scriptType, publicKey);
  }
  fail('Failure_ProcessError', 'Invalid script type');
}

/**
 * Core before 2.4.3, validate_path() without additional checks: Forbidden key path under
 * Strict safety checks when the coin's keychain does not know the path, else a warning.
 * The keychain's patterns are taken as the Trezor One's "known path of the coin".
 */
async function checkKeychainPath(ctx: DeviceContext, coin: DeviceCoin, addressN: readonly number[]): Promise<void> {
  if (coinPathCheck(coin, 'SPENDADDRESS', addressN, false, false, taprootEnabled(ctx, coin), slip25Access(ctx, false))) return;
  if (ctx.safetyChecks === 'Strict') fail('Failure_DataError', 'Forbidden key path');
  await ctx.confirm('ButtonRequest_UnknownDerivationPath', { text: 'Wrong address path for selected coin. Continue at your own risk!', ...screen(ctx, 'path_warning') });
}

async function signMessageHandler(ctx: DeviceContext, request: MessageMap['SignMessage']): Promise<Reply> {
  const addressN = request.address_n ?? [];
  const message = request.message ?? new Uint8Array(0);
  const scriptType = String(request.script_type ?? 'SPENDADDRESS');
  const signable = ['SPENDADDRESS', 'SPENDP2SHWITNESS', 'SPENDWITNESS'].includes(scriptType);
  if (ctx.model === 'T1B1') await ctx.unlock();
  const coin = coinOf(request.coin_name, ctx);
  let node: HDKey;
  let address: string;
  if (ctx.model === 'T1B1') {
    await checkCoinPath(ctx, coin, scriptType, addressN, false);
    node = (await ctx.keychain()).node(addressN);
    if (!signable || (scriptType !== 'SPENDADDRESS' && !coin.segwit)) fail('Failure_ProcessError', 'Error computing address');
    address = keyAddress(coin, scriptType, node.publicKey!);
    await ctx.confirm('ButtonRequest_Other', { text: `Confirm address ${address}` });
    await t1MessagePages(ctx, message, 'Sign message?');
  } else if (firmwareHas(ctx, 'signMessageShowsAddress')) {
    const keys = await ctx.keychain();
    await checkCoinPath(ctx, coin, scriptType, addressN, false);
    node = keys.node(addressN);
    address = coreKeyAddress(ctx, coin, scriptType, node.publicKey!);
    if (namesScreens(ctx.layout)) {
      await confirmSignVerify(ctx, { address: addressShort(coin, address), message: coreMessageText(message), verify: false });
    } else {
      await ctx.confirm('ButtonRequest_Other', { text: `Confirm address: ${addressShort(coin, address)}` });
      await ctx.confirm('ButtonRequest_Other', { text: `Sign ${coin.coin_shortcut} message: ${coreMessageText(message)}` });
    }
  } else {
    const keys = await ctx.keychain();
    await checkKeychainPath(ctx, coin, addressN);
    await ctx.confirm('ButtonRequest_Other', { text: `Sign ${coin.coin_shortcut} message: ${coreMessageText(message)}` });
    node = keys.node(addressN);
    address = coreKeyAddress(ctx, coin, scriptType, node.publicKey!);
  }
  if (!signable) fail('Failure_ProcessError', 'Unsupported script type');
  const recovered = signDigest(messageDigest(coin, message), node.privateKey!).toBytes('recovered');
  let header = 27 + recovered[0]! + 4;
  if (!(request.no_script_type === true && firmwareHas(ctx, 'signMessageNoScriptType'))) {
    if (scriptType === 'SPENDP2SHWITNESS') header += 4;
    else if (scriptType === 'SPENDWITNESS') header += 8;
  }
  const signature = concatBytes(Uint8Array.of(header), recovered.subarray(1));
  return { type: 'MessageSignature', message: { address, signature } };
}

/** The public key a message signature recovers (27-30 uncompressed, 31-34 compressed), or undefined. */
function recoverMessageKey(coin: DeviceCoin, message: Uint8Array, header: number, compact: Uint8Array): Uint8Array | undefined {
  try {
    return secp256k1.Signature.fromBytes(compact, 'compact')
      .addRecoveryBit((header - 27) & 3)
      .recoverPublicKey(messageDigest(coin, message))
      .toBytes(header >= 31);
  } catch {
    return undefined;
  }
}

/**
 * cryptoMessageVerify() (and Core from 2.5.1): the script type comes from the address, a
 * 27-34 header fits any of them. 0 valid, 1 bad address, 2 bad signature.
 */
function verify(coin: DeviceCoin, message: Uint8Array, address: string, signature: Uint8Array): 0 | 1 | 2 {
  const script = addressScript(coin, address, false);
  if (!script) return 1;
  const header = signature[0]!;
  if (header < 27 || header > 42) return 2;
  const publicKey = recoverMessageKey(coin, message, header, signature.subarray(1));
  if (!publicKey) return 2;
  const keyHash = hash160(publicKey);
  const candidates: Uint8Array[] = [];
  if (header <= 34) candidates.push(p2pkhScript(keyHash));
  if (header >= 31) {
    if (header <= 38) candidates.push(p2shScript(hash160(witnessScript(0, keyHash))));
    if (header <= 34 || header >= 39) candidates.push(witnessScript(0, keyHash));
  }
  return candidates.some((c) => equal(c, script)) ? 0 : 2;
}

/**
 * Core before 2.5.1 (verify_message.py at core/v2.4.1): the header alone says the script type
 * (27-34 P2PKH, 35-38 P2SH-P2WPKH, 39-42 P2WPKH); the address it gives must equal the one sent.
 */
function verifyByHeader(coin: DeviceCoin, message: Uint8Array, address: string, signature: Uint8Array): boolean {
  const header = signature[0]!;
  if (header < 27 || header > 42) return false;
  const [scriptType, offset] = header <= 34 ? ['SPENDADDRESS', 0] : header <= 38 ? ['SPENDP2SHWITNESS', 4] : ['SPENDWITNESS', 8];
  if (scriptType !== 'SPENDADDRESS' && !coin.segwit) return false;
  const publicKey = recoverMessageKey(coin, message, header - offset, signature.subarray(1));
  return publicKey !== undefined && keyAddress(coin, scriptType, publicKey) === address;
}

async function verifyMessageHandler(ctx: DeviceContext, request: MessageMap['VerifyMessage']): Promise<Reply> {
  const coin = coinOf(request.coin_name, ctx);
  const signature = request.signature ?? new Uint8Array(0);
  const message = request.message ?? new Uint8Array(0);
  const address = request.address ?? '';
  if (signature.length !== 65) fail('Failure_ProcessError', 'Invalid signature');
  if (ctx.model !== 'T1B1' && !firmwareHas(ctx, 'verifyMessageByAddress')) {
    if (!verifyByHeader(coin, message, address, signature)) fail('Failure_ProcessError', 'Invalid signature');
  } else {
    const result = verify(coin, message, address, signature);
    if (result === 1) fail('Failure_DataError', 'Invalid address');
    if (result === 2) fail('Failure_ProcessError', 'Invalid signature');
  }
  if (ctx.model === 'T1B1') {
    await ctx.confirm('ButtonRequest_Other', { text: `Confirm address ${address}` });
    await t1MessagePages(ctx, message, 'Verified message');
    await ctx.confirm('ButtonRequest_Other', { text: 'The signature is valid.' });
  } else if (namesScreens(ctx.layout)) {
    await confirmSignVerify(ctx, { address: addressShort(coin, address), message: coreMessageText(message), verify: true });
    await ctx.confirm('ButtonRequest_Success', { text: 'The signature is valid.', ...screen(ctx, 'verify_message') });
  } else {
    // confirm_signverify(): the address, then the message in monospace pages (as Ethereum's).
    await ctx.confirm('ButtonRequest_Other', { text: `Confirm address: ${addressShort(coin, address)}` });
    const pages = coreMonoPages(`Verify ${coin.coin_shortcut} message`, coreMessageText(message));
    await ctx.confirm('ButtonRequest_Other', { text: pages.join('\f'), ...(pages.length > 1 ? { pages: pages.length } : {}) });
    if (firmwareHas(ctx, 'verifyMessageByAddress')) await ctx.confirm('ButtonRequest_Success', { text: 'The signature is valid.' });
  }
  return { type: 'Success', message: { message: 'Message verified' } };
}

// ----------------------------------------------------------------------------------------------
// SignTx

/**
 * save_signature(): the signature of an original input — the first push of its witness (after
 * the item count) or of its scriptSig; DER with SIGHASH_ALL, or a 64-byte BIP-340 signature.
 * Undefined when the input carries none; a malformed one fails.
 */
function origSignature(input: TxInput, scriptType: string): Uint8Array | undefined {
  const witness = input.witness && input.witness.length > 1 ? input.witness.subarray(1) : undefined;
  const bytes = witness ?? (input.script_sig && input.script_sig.length ? input.script_sig : undefined);
  if (!bytes) return undefined;
  const size = bytes[0]!;
  if (size < 1 || size > bytes.length - 1) fail('Failure_DataError', 'Unsupported signature script.');
  const pushed = bytes.subarray(1, 1 + size);
  if (scriptType === 'SPENDTAPROOT') {
    if (pushed.length === 64) return pushed;
    if (pushed.length === 65 && pushed[64] === 1) return pushed.subarray(0, 64);
    fail('Failure_DataError', 'Unsupported signature script.');
  }
  if (pushed[pushed.length - 1] !== 1) fail('Failure_DataError', 'Unsupported signature script.');
  return pushed.subarray(0, pushed.length - 1);
}

/** The standard single-key forms a scriptPubKey can take. */
function scriptKind(script: Uint8Array): 'p2pkh' | 'p2sh' | 'p2wpkh' | 'p2wsh' | 'p2tr' | 'other' {
  if (script.length === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 0x14 && script[23] === 0x88 && script[24] === 0xac) return 'p2pkh';
  if (script.length === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) return 'p2sh';
  if (script.length === 22 && script[0] === 0 && script[1] === 0x14) return 'p2wpkh';
  if (script.length === 34 && script[0] === 0 && script[1] === 0x20) return 'p2wsh';
  if (script.length === 34 && script[0] === 0x51 && script[1] === 0x20) return 'p2tr';
  return 'other';
}

/** Reads Bitcoin serialization (varints, pushes, witness stacks); throws RangeError past the end. */
class ByteReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new RangeError('ByteReader: past the end');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  byte(): number {
    return this.take(1)[0]!;
  }

  varint(): number {
    const first = this.byte();
    if (first < 0xfd) return first;
    const size = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    const bytes = this.take(size);
    let n = 0;
    for (let i = size - 1; i >= 0; i--) n = n * 256 + bytes[i]!;
    return n;
  }

  /** A witness stack: item count, then each item with its length. */
  witness(): Uint8Array[] {
    const items: Uint8Array[] = [];
    for (let count = this.varint(); count > 0; count--) items.push(this.take(this.varint()));
    return items;
  }
}

/** Canonical bytes of an input/output as sent, to compare later copies with; incomplete ones fail. */
function encoded(name: 'TxInput' | 'TxOutput', message: TxInput | TxOutput, failure: string): Uint8Array {
  try {
    return name === 'TxInput' ? encodeAs('TxAckInput', { tx: { input: message as TxInput } }) : encodeAs('TxAckOutput', { tx: { output: message as TxOutput } });
  } catch {
    fail(failure === CHANGED ? 'Failure_ProcessError' : 'Failure_DataError', failure);
  }
}

/** What change detection knows of a transaction's inputs (extract_input_bip32_path, multisig fingerprints). */
interface Wallet {
  /** Account prefix shared by all inputs (all but the last two elements); null once they disagree. */
  prefix: number[] | null | undefined;
  depth: number;
  /** Cosigner set shared by all inputs; mismatch once any differs or one is single-key. */
  multisigFp: string | undefined;
  multisigMismatch: boolean;
}

function newWallet(): Wallet {
  return { prefix: undefined, depth: 0, multisigFp: undefined, multisigMismatch: false };
}

function walletAdd(wallet: Wallet, addressN: readonly number[], multisig: Multisig | undefined): void {
  if (multisig && !wallet.multisigMismatch) {
    if (wallet.multisigFp !== undefined && wallet.multisigFp !== multisig.fingerprint) wallet.multisigMismatch = true;
    else wallet.multisigFp = multisig.fingerprint;
  } else if (!multisig) wallet.multisigMismatch = true;
  if (wallet.prefix === null) return;
  if (addressN.length < 2) wallet.prefix = null;
  else if (wallet.prefix === undefined) {
    wallet.prefix = addressN.slice(0, -2);
    wallet.depth = addressN.length;
  } else if (addressN.length !== wallet.depth || wallet.prefix.some((n, i) => addressN[i] !== n)) wallet.prefix = null;
}

/**
 * The original of a replacement transaction (RBF, PayJoin), as far as it has been streamed:
 * its inputs and outputs are checked against the new ones in phase 1 and hashed for its TXID,
 * and one of its signatures is verified before anything is signed.
 */
interface OrigTx {
  hash: Uint8Array;
  version: number;
  lockTime: number;
  inputsCount: number;
  outputsCount: number;
  inputs: { input: TxInput; scriptType: string; scriptPubKey: Uint8Array }[];
  outputs: { amount: bigint; script: Uint8Array; change: boolean }[];
  wallet: Wallet;
  minSequence: number;
  totalIn: bigint;
  totalOut: bigint;
  changeOut: bigint;
  externalIn: bigint;
  /** The input whose signature is checked: the first with address_n and a signature. */
  verify?: { index: number; publicKey: Uint8Array; signature: Uint8Array };
}

interface InputRecord {
  encoded: Uint8Array;
  input: TxInput;
  scriptType: InputType;
  scriptPubKey: Uint8Array;
  multisig?: Multisig;
}

interface OutputRecord {
  encoded: Uint8Array;
  amount: bigint;
  script: Uint8Array;
}

/** One SignTx exchange: the firmware's signing state for this transaction. */
class Signing {
  private readonly t1: boolean;
  private readonly taproot: boolean;
  /** SIGHASH_ALL, with FORKID and the fork id on coins with replay protection. */
  private readonly hashType: number;
  private readonly slip25: Slip25Access;
  private readonly inputs: InputRecord[] = [];
  private readonly outputs: OutputRecord[] = [];
  private pending: Uint8Array[] = [];
  private signature: { index: number; der: Uint8Array } | undefined;
  private totalIn = 0n;
  /** Inputs of other parties (EXTERNAL), PayJoin. */
  private externalIn = 0n;
  /** An external input came without proof or signature (safety checks relaxed). */
  private unverifiedExternal = false;
  private totalOut = 0n;
  private changeOut = 0n;
  private changeCount = 0;
  private weight: number;
  private segwit = false;
  private taprootOnly = true;
  private minSequence = SEQUENCE_FINAL;
  private pathWarned = false;
  /** What the inputs say about change outputs. */
  private readonly wallet: Wallet = newWallet();
  /** The transaction this one replaces (orig_hash), once an input names it. */
  private orig: OrigTx | undefined;
  private readonly version: number;
  private readonly lockTime: number;
  private readonly inputsCount: number;
  private readonly outputsCount: number;
  /** Zcash (overwintered coins): what the transaction commits to besides inputs and outputs (./zcash.ts). */
  private readonly zcash: ZcashHeader | undefined;

  constructor(
    private readonly ctx: DeviceContext,
    private readonly coin: DeviceCoin,
    private readonly keys: Keychain,
    private readonly request: MessageMap['SignTx'],
  ) {
    this.t1 = ctx.model === 'T1B1';
    this.taproot = taprootEnabled(ctx, coin);
    this.hashType = coin.fork_id !== null ? (1 | 0x40 | (coin.fork_id << 8)) >>> 0 : 1;
    this.slip25 = slip25Access(ctx, true);
    this.version = request.version ?? 1;
    this.lockTime = request.lock_time ?? 0;
    this.inputsCount = request.inputs_count;
    this.outputsCount = request.outputs_count;
    this.zcash = coin.overwintered
      ? { version: this.version, versionGroupId: request.version_group_id!, branchId: request.branch_id!, lockTime: this.lockTime, expiry: request.expiry ?? 0 }
      : undefined;
    this.weight = 4 * (4 + 4 + varint(this.inputsCount).length + varint(this.outputsCount).length);
  }

  // --- the wire ---------------------------------------------------------------------------------

  private emit(bytes: Uint8Array): void {
    this.pending.push(bytes);
  }

  /** Send one TxRequest (with whatever is pending) and return the raw TxAck payload. */
  private async txRequest(
    type: 'TXINPUT' | 'TXOUTPUT' | 'TXMETA' | 'TXORIGINPUT' | 'TXORIGOUTPUT' | 'TXEXTRADATA',
    index: number | undefined,
    txHash?: Uint8Array,
    extra?: { offset: number; length: number },
  ): Promise<Uint8Array> {
    const details: NonNullable<TxRequest['details']> = {};
    if (index !== undefined) details.request_index = index;
    if (txHash) details.tx_hash = txHash;
    if (extra) {
      details.extra_data_len = extra.length;
      details.extra_data_offset = extra.offset;
    }
    const message: TxRequest = { request_type: type, details };
    this.attachSerialized(message);
    const answer = await this.ctx.ask('TxRequest', message, ['TxAck']);
    return answer.payload;
  }

  private attachSerialized(message: TxRequest): void {
    const data = this.pending.length ? concatBytes(...this.pending) : new Uint8Array(0);
    if (this.t1 && !data.length && !this.signature) return;
    const serialized: NonNullable<TxRequest['serialized']> = {};
    if (this.signature) {
      serialized.signature_index = this.signature.index;
      serialized.signature = this.signature.der;
    }
    if (data.length || !this.t1 || this.signature) serialized.serialized_tx = data;
    message.serialized = serialized;
    this.pending = [];
    this.signature = undefined;
  }

  private finished(): Reply {
    const message: TxRequest = { request_type: 'TXFINISHED' };
    if (!this.t1) message.details = {};
    this.attachSerialized(message);
    return { type: 'TxRequest', message };
  }

  private async askInput(index: number): Promise<TxInput> {
    const input = decodeAs('TxAckInput', await this.txRequest('TXINPUT', index)).tx?.input;
    if (!input) fail('Failure_DataError', 'Failed to decode message');
    return input;
  }

  private async askOutput(index: number): Promise<TxOutput> {
    const output = decodeAs('TxAckOutput', await this.txRequest('TXOUTPUT', index)).tx?.output;
    if (!output) fail('Failure_DataError', 'Failed to decode message');
    return output;
  }

  /** The input again; it must be the one phase 1 saw. */
  private async askSameInput(index: number): Promise<TxInput> {
    const input = await this.askInput(index);
    this.validateInput(input);
    if (!equal(encoded('TxInput', input, CHANGED), this.inputs[index]!.encoded)) fail('Failure_ProcessError', CHANGED);
    return input;
  }

  private async askSameOutput(index: number): Promise<OutputRecord> {
    const output = await this.askOutput(index);
    const record = this.outputs[index]!;
    if (!equal(encoded('TxOutput', output, CHANGED), record.encoded)) fail('Failure_ProcessError', CHANGED);
    return record;
  }

  // --- phase 1 ----------------------------------------------------------------------------------

  async run(): Promise<Reply> {
    for (let i = 0; i < this.inputsCount; i++) {
      const input = await this.askInput(i);
      await this.addInput(i, input);
      if (input.orig_hash) await this.addOrigInput(i, input);
    }
    if (this.orig) await this.confirmReplacement(this.orig);
    for (let i = 0; i < this.outputsCount; i++) await this.addOutput(i, await this.askOutput(i));
    if (this.orig) await this.finishOrigOutputs(this.orig);
    await this.confirmTotals();
    // Zcash v5: the ZIP-244 digest commits to every spent amount and script, so, as for
    // taproot, no previous transaction is asked for (legacy signing.c, core apps/zcash/signer.py).
    if (!this.taprootOnly && this.zcash?.version !== 5) {
      for (let i = 0; i < this.inputsCount; i++) {
        const prevScript = await this.checkPrevTx(i);
        const record = this.inputs[i]!;
        if (record.scriptType === 'EXTERNAL') {
          if (!record.scriptPubKey.length) record.scriptPubKey = prevScript;
          await this.verifyExternal(i, prevScript);
        }
      }
    }
    if (this.orig) await this.verifyOrig(this.orig);
    await this.serialize();
    return this.finished();
  }

  private validateInput(input: TxInput): InputType {
    const type = String(input.script_type ?? 'SPENDADDRESS');
    if (!input.prev_hash || input.prev_hash.length !== 32) fail('Failure_DataError', 'Provided prev_hash is invalid.');
    if (input.multisig && !MULTISIG_INPUT_TYPES.includes(type)) fail('Failure_DataError', 'Multisig field provided but not expected.');
    if (type === 'EXTERNAL') {
      // Core 2.4.1 takes the scriptPubKey from the previous transaction instead.
      if (!input.script_pubkey && this.t1) fail('Failure_DataError', 'Missing script_pubkey field');
    } else {
      if (!INTERNAL_INPUT_TYPES.includes(type)) fail('Failure_DataError', 'Unsupported script type.');
      if (SEGWIT_INPUT_TYPES.includes(type) && !this.coin.segwit) fail('Failure_DataError', 'Segwit not enabled on this coin');
      if (type === 'SPENDTAPROOT' && !this.taproot) fail('Failure_DataError', 'Taproot not enabled on this coin.');
    }
    if (input.orig_hash) {
      if (input.orig_index === undefined) fail('Failure_DataError', 'Missing orig_index field.');
      if (input.orig_hash.length !== 32) fail('Failure_ProcessError', 'Encountered invalid orig_hash');
    }
    if (input.script_pubkey && type !== 'EXTERNAL') fail('Failure_DataError', "Input's script_pubkey provided but not expected.");
    if (type === 'SPENDMULTISIG' && !input.multisig) fail('Failure_ProcessError', 'Failed to derive scriptPubKey');
    return type as InputType;
  }

  private async addInput(index: number, input: TxInput): Promise<void> {
    const type = this.validateInput(input);
    if (input.amount === undefined || input.amount === null) fail('Failure_DataError', 'Expected input with amount');
    if (type === 'EXTERNAL') {
      this.addExternalInput(index, input);
      return;
    }
    const addressN = input.address_n ?? [];
    const hasMultisig = input.multisig !== undefined;
    if (this.t1) {
      if (await checkCoinPath(this.ctx, this.coin, type, addressN, hasMultisig, !this.pathWarned, true)) this.pathWarned = true;
    } else if (!this.pathWarned && !coinPathCheck(this.coin, type, addressN, hasMultisig, true, this.taproot, this.slip25)) {
      // Core 2.4.1 only warns here ("foreign address"); its keychain refuses the key when signing.
      await this.ctx.confirm('ButtonRequest_UnknownDerivationPath', { text: 'Wrong address path for selected coin.', ...screen(this.ctx, 'path_warning') });
      this.pathWarned = true;
    }
    const publicKey = this.keys.node(addressN).publicKey!;
    const multisig = input.multisig ? multisigOf(input.multisig) : undefined;
    // fill_input_script_pubkey(): this device's key must be one of the cosigners.
    if (multisig && !multisig.pubkeys.some((key) => equal(key, publicKey))) fail('Failure_ProcessError', 'Failed to derive scriptPubKey');
    const record: InputRecord = {
      encoded: encoded('TxInput', input, 'Failed to decode message'),
      input,
      scriptType: type,
      scriptPubKey: multisig ? multisigScriptPubKey(type, multisig.script) : keyScriptPubKey(type, publicKey),
    };
    if (multisig) record.multisig = multisig;
    this.inputs[index] = record;
    walletAdd(this.wallet, addressN, multisig);
    this.totalIn += BigInt(input.amount);
    if (this.totalIn > 0xffffffffffffffffn) fail('Failure_DataError', 'Value overflow');
    const sequence = input.sequence ?? SEQUENCE_FINAL;
    if (sequence < this.minSequence) this.minSequence = sequence;
    if (type !== 'SPENDTAPROOT') this.taprootOnly = false;
    // tx_input_weight()
    let weight = 4 * 40;
    const scriptSize = multisig
      ? 1 + (input.multisig!.m ?? 1) * 73 + pushData(multisig.script).length
      : type === 'SPENDTAPROOT'
        ? 66
        : 107;
    if (type === 'SPENDADDRESS' || type === 'SPENDMULTISIG') weight += 4 * (scriptSize + varint(scriptSize).length);
    else {
      if (!this.segwit) weight += 2 + this.inputsCount;
      weight += type === 'SPENDP2SHWITNESS' ? 4 * (multisig ? 36 : 24) : 4;
      weight += 1 + scriptSize;
      this.segwit = true;
    }
    this.weight += weight;
  }

  private validateOutput(output: TxOutput): string {
    const type = String(output.script_type ?? 'PAYTOADDRESS');
    const addressN = output.address_n ?? [];
    if (output.multisig && !MULTISIG_OUTPUT_TYPES.includes(type)) fail('Failure_DataError', 'Multisig field provided but not expected.');
    if (addressN.length && !CHANGE_OUTPUT_TYPES.includes(type)) fail('Failure_DataError', "Output's address_n provided but not expected.");
    if (type === 'PAYTOOPRETURN') {
      if (output.address !== undefined || addressN.length || output.multisig) fail('Failure_DataError', 'OP_RETURN output with address or multisig');
      if (BigInt(output.amount ?? 0n) !== 0n) fail('Failure_DataError', 'OP_RETURN output with non-zero amount');
    } else {
      if (output.op_return_data !== undefined) fail('Failure_DataError', 'OP RETURN data provided but not OP RETURN script type.');
      if (output.address !== undefined && addressN.length) fail('Failure_DataError', 'Both address and address_n provided.');
      if (output.address === undefined && !addressN.length) fail('Failure_DataError', 'Missing address');
    }
    if (SEGWIT_OUTPUT_TYPES.includes(type) && !this.coin.segwit) fail('Failure_DataError', 'Segwit not enabled on this coin');
    if (type === 'PAYTOTAPROOT' && !this.taproot) fail('Failure_DataError', 'Taproot not enabled on this coin.');
    if (output.orig_hash) {
      if (output.orig_index === undefined) fail('Failure_DataError', 'Missing orig_index field.');
      if (output.orig_hash.length !== 32) fail('Failure_ProcessError', 'Encountered invalid orig_hash');
    }
    if (type === 'PAYTOMULTISIG' && !output.multisig) fail('Failure_ProcessError', 'Failed to compile output');
    return type;
  }

  private isChange(type: string, addressN: readonly number[], multisig: Multisig | undefined, wallet: Wallet = this.wallet): boolean {
    const inputType = CHANGE_TO_INPUT[type];
    if (!inputType || !addressN.length || !wallet.prefix) return false;
    // A multisig change output must have the cosigners of every input.
    if (multisig && (wallet.multisigFp === undefined || wallet.multisigMismatch || multisig.fingerprint !== wallet.multisigFp || !multisig.singlePath)) return false;
    // The Trezor One also wants the change path to fit its script type (Core 2.4.1 does not).
    if (this.t1 && !coinPathCheck(this.coin, inputType, addressN, multisig !== undefined, true, this.taproot, this.slip25)) return false;
    const n = addressN.length;
    return (
      n >= 2 &&
      n === wallet.depth &&
      wallet.prefix.every((e, i) => addressN[i] === e) &&
      addressN[n - 2]! <= PATH_MAX_CHANGE &&
      addressN[n - 1]! <= BIP32_MAX_LAST_ELEMENT
    );
  }

  /** compile_output(): the output's scriptPubKey. */
  private outputScript(type: string, output: TxOutput, multisig: Multisig | undefined): Uint8Array {
    if (type === 'PAYTOOPRETURN') return concatBytes(Uint8Array.of(0x6a), pushData(output.op_return_data ?? new Uint8Array(0)));
    const addressN = output.address_n ?? [];
    if (multisig) return multisigScriptPubKey(CHANGE_TO_INPUT[type]!, multisig.script);
    if (addressN.length) {
      const publicKey = this.keys.node(addressN).publicKey!;
      return keyScriptPubKey(CHANGE_TO_INPUT[type]!, publicKey);
    }
    const script = addressScript(this.coin, output.address ?? '', this.taproot);
    if (!script) fail('Failure_ProcessError', 'Failed to compile output');
    return script;
  }

  private async addOutput(index: number, output: TxOutput): Promise<void> {
    const type = this.validateOutput(output);
    const amount = BigInt(output.amount ?? 0n);
    const multisig = output.multisig ? multisigOf(output.multisig) : undefined;
    const addressN = output.address_n ?? [];
    const change = this.isChange(type, addressN, multisig);
    if (addressN.length && !change && this.t1) {
      // compile_output(): an output to one of the device's own keys on an unusual path.
      await checkCoinPath(this.ctx, this.coin, CHANGE_TO_INPUT[type]!, addressN, multisig !== undefined, true, true);
    }
    const script = this.outputScript(type, output, multisig);
    this.totalOut += amount;
    if (this.orig && !output.orig_hash && !change && this.t1) {
      fail('Failure_ProcessError', 'Adding new external outputs in replacement transactions is not supported.');
    }
    if (change) {
      this.changeOut += amount;
      this.changeCount++;
    } else if (output.orig_hash) {
      // Shown only where it differs from the original (below).
    } else if (this.orig && this.t1) {
      // The Trezor One shows no outputs of a replacement transaction.
    } else {
      const shown = type === 'PAYTOOPRETURN' ? `OP_RETURN ${hexOf(output.op_return_data ?? new Uint8Array(0))}` : output.address ?? 'change';
      await this.confirmOutput(shown, formatAmount(this.coin, amount, this.request.amount_unit), type === 'PAYTOOPRETURN');
    }
    this.outputs[index] = { encoded: encoded('TxOutput', output, 'Failed to decode message'), amount, script };
    this.weight += 4 * (8 + script.length + varint(script.length).length);
    if (output.orig_hash) await this.addOrigOutput(output, amount, script, change);
  }

  /**
   * An external output. Core 2.8.9 (confirm_output in trezor/ui/layouts of each model): the Safe 5 shows it as
   * one screen; the Model T and the Safe 3 show the recipient, then the amount, each a
   * 'confirm_output' ButtonRequest — a "no" on the recipient ends the signing, a "no" on the
   * amount goes back to the recipient. OP_RETURN is one 'op_return' screen everywhere.
   */
  private async confirmOutput(shown: string, amount: string, opReturn: boolean): Promise<void> {
    const text = `Confirm sending ${amount} to ${shown}`;
    if (!namesScreens(this.ctx.layout) || this.ctx.layout === 'Delizia' || opReturn) {
      await this.ctx.confirm('ButtonRequest_ConfirmOutput', { text, ...screen(this.ctx, opReturn ? 'op_return' : 'confirm_output') });
      return;
    }
    for (;;) {
      await this.ctx.confirm('ButtonRequest_ConfirmOutput', { text: `Recipient\n${shown}`, ...screen(this.ctx, 'confirm_output') });
      const amountShown = await this.ctx.confirm('ButtonRequest_ConfirmOutput', { text: `Amount\n${amount}`, ...screen(this.ctx, 'confirm_output'), allowNo: true });
      if (amountShown !== false) return;
    }
  }

  private async confirmTotals(): Promise<void> {
    if (namesScreens(this.ctx.layout)) {
      await this.confirmTotals289();
      return;
    }
    if (this.totalOut > this.totalIn) fail('Failure_NotEnoughFunds', 'Not enough funds');
    const fee = this.totalIn - this.totalOut;
    const threshold = this.t1
      ? (BigInt(this.weight) * BigInt(this.coin.maxfee_kb)) / 4000n
      : (BigInt(this.coin.maxfee_kb) * BigInt(Math.ceil(this.weight / 4))) / 1000n;
    const unit = this.request.amount_unit;
    // Core refuses a fee ten times over the threshold outright under Strict safety checks.
    if (!this.t1 && fee > 10n * threshold && this.ctx.safetyChecks === 'Strict') fail('Failure_DataError', 'The fee is unexpectedly large');
    if (fee > threshold) await this.ctx.confirm('ButtonRequest_FeeOverThreshold', { text: `Fee ${formatAmount(this.coin, fee, unit)} is unexpectedly high.` });
    if (this.changeCount > MAX_SILENT_CHANGE_COUNT) await this.ctx.confirm('ButtonRequest_SignTx', { text: `The transaction contains ${this.changeCount} change outputs.` });
    if (this.orig) {
      await this.confirmReplacementFee(this.orig, fee);
      return;
    }
    if (this.lockTime !== 0) {
      const disabled = this.minSequence === SEQUENCE_FINAL;
      await this.ctx.confirm('ButtonRequest_SignTx', { text: `Locktime ${this.lockTime}${disabled ? ' (disabled)' : ''}` });
    }
    if (this.unverifiedExternal) await this.ctx.confirm('ButtonRequest_SignTx', { text: 'Warning!\nThe transaction contains\nunverified external inputs.' });
    await this.ctx.confirm('ButtonRequest_SignTx', {
      text: `Really send ${formatAmount(this.coin, this.totalOut - this.changeOut, unit)} from your wallet? Fee included: ${formatAmount(this.coin, fee, unit)}`,
    });
  }

  /**
   * Core 2.8.9 BasicApprover.approve_tx (core/src/apps/bitcoin/sign_tx/approvers.py): unverified
   * external inputs, then inputs from more than one account, the fee, the change count, then the
   * replacement's fee or the locktime and the total, each screen named as in its layout.py.
   */
  private async confirmTotals289(): Promise<void> {
    const ctx = this.ctx;
    const unit = this.request.amount_unit;
    if (this.unverifiedExternal) {
      await ctx.confirm('ButtonRequest_SignTx', { text: 'Warning!\nThe transaction contains\nunverified external inputs.', ...screen(ctx, 'unverified_external_input') });
    }
    if (!this.wallet.prefix) await ctx.confirm('ButtonRequest_SignTx', { text: 'Sending from multiple accounts.\nContinue anyway?', ...screen(ctx, 'sending_from_multiple_accounts') });
    if (this.totalOut > this.totalIn) fail('Failure_NotEnoughFunds', 'Not enough funds');
    const fee = this.totalIn - this.totalOut;
    const threshold = (BigInt(this.coin.maxfee_kb) * BigInt(Math.ceil(this.weight / 4))) / 1000n;
    if (fee > threshold) {
      if (fee > 10n * threshold && ctx.safetyChecks === 'Strict') fail('Failure_DataError', 'The fee is unexpectedly large');
      await ctx.confirm('ButtonRequest_FeeOverThreshold', { text: `Fee ${formatAmount(this.coin, fee, unit)} is unexpectedly high.`, ...screen(ctx, 'fee_over_threshold') });
    }
    if (this.changeCount > MAX_SILENT_CHANGE_COUNT) {
      await ctx.confirm('ButtonRequest_SignTx', { text: `The transaction contains ${this.changeCount} change outputs.`, ...screen(ctx, 'change_count_over_threshold') });
    }
    if (this.orig) {
      await this.confirmReplacementFee(this.orig, fee);
      return;
    }
    if (this.lockTime !== 0) {
      const disabled = this.minSequence === SEQUENCE_FINAL;
      await ctx.confirm('ButtonRequest_SignTx', { text: `Locktime ${this.lockTime}${disabled ? ' (disabled)' : ''}`, ...screen(ctx, 'nondefault_locktime') });
    }
    await ctx.confirm('ButtonRequest_SignTx', {
      text: `Summary\nTotal amount: ${formatAmount(this.coin, this.totalOut - this.changeOut, unit)}\nIncluding fee: ${formatAmount(this.coin, fee, unit)}`,
      ...screen(ctx, 'confirm_total', { Bolt: 1, Caesar: 3, Delizia: 2 }),
    });
  }

  // --- replacement transactions (orig_hash) -----------------------------------------------------

  /** Phase 1, an input that replaces one of the original's: TXMETA the first time, then TXORIGINPUT. */
  private async addOrigInput(inputIndex: number, input: TxInput): Promise<void> {
    const hash = input.orig_hash!;
    let orig = this.orig;
    // Zcash v5 signers refuse replacements (legacy signing.c, core apps/zcash/signer.py).
    if (this.zcash && this.zcash.version !== 4) fail('Failure_ProcessError', 'Replacement transactions are not supported.');
    if (!orig) {
      const meta = decodeAs('TxAckPrevMeta', await this.txRequest('TXMETA', undefined, hash)).tx ?? ({} as PrevTx);
      if (meta.version_group_id !== undefined) fail('Failure_DataError', 'Version group ID not enabled on this coin.');
      if (meta.branch_id !== undefined) fail('Failure_DataError', 'Branch ID not enabled on this coin.');
      if (meta.timestamp !== undefined) fail('Failure_DataError', 'Timestamp not enabled on this coin.');
      if (meta.expiry !== undefined) fail('Failure_DataError', 'Expiry not enabled on this coin.');
      if (meta.extra_data_len) fail('Failure_DataError', 'Extra data not enabled on this coin.');
      orig = {
        hash,
        version: meta.version ?? 1,
        lockTime: meta.lock_time ?? 0,
        inputsCount: meta.inputs_count ?? 0,
        outputsCount: meta.outputs_count ?? 0,
        inputs: [],
        outputs: [],
        wallet: newWallet(),
        minSequence: SEQUENCE_FINAL,
        totalIn: 0n,
        totalOut: 0n,
        changeOut: 0n,
        externalIn: 0n,
      };
      this.orig = orig;
    } else if (!equal(hash, orig.hash)) fail('Failure_ProcessError', 'Only one original transaction is allowed.');
    const index = input.orig_index!;
    if (index >= orig.inputsCount) fail('Failure_DataError', 'Not enough inputs in original transaction.');
    if (index !== orig.inputs.length) fail('Failure_DataError', 'Rearranging or removal of original inputs is not supported.');
    const origInput = await this.askOrigInput(orig, index);
    const record = this.inputs[inputIndex]!;
    const scriptType = String(origInput.input.script_type ?? 'SPENDADDRESS');
    if (
      !equal(origInput.input.prev_hash, input.prev_hash) ||
      origInput.input.prev_index !== input.prev_index ||
      BigInt(origInput.input.amount ?? -1n) !== BigInt(input.amount) ||
      scriptType !== record.scriptType ||
      !equal(origInput.scriptPubKey, record.scriptPubKey)
    ) {
      fail('Failure_ProcessError', 'Original input does not match current input.');
    }
    orig.inputs.push(origInput);
    orig.totalIn += BigInt(origInput.input.amount!);
    if (scriptType === 'EXTERNAL') orig.externalIn += BigInt(origInput.input.amount!);
    else walletAdd(orig.wallet, origInput.input.address_n ?? [], origInput.input.multisig ? multisigOf(origInput.input.multisig) : undefined);
    const sequence = origInput.input.sequence ?? SEQUENCE_FINAL;
    if (sequence < orig.minSequence) orig.minSequence = sequence;
    if (!orig.verify && scriptType !== 'EXTERNAL' && (origInput.input.address_n ?? []).length && !origInput.input.multisig) {
      const signature = origSignature(origInput.input, scriptType);
      if (signature) orig.verify = { index, publicKey: this.keys.node(origInput.input.address_n!).publicKey!, signature };
    }
  }

  /** TXORIGINPUT: an input of the original transaction with its scriptPubKey. */
  private async askOrigInput(orig: OrigTx, index: number): Promise<OrigTx['inputs'][number]> {
    const input = decodeAs('TxAckInput', await this.txRequest('TXORIGINPUT', index, orig.hash)).tx?.input;
    if (!input) fail('Failure_DataError', 'Failed to decode message');
    if (!input.prev_hash || input.prev_hash.length !== 32) fail('Failure_DataError', 'Provided prev_hash is invalid.');
    const scriptType = String(input.script_type ?? 'SPENDADDRESS');
    if (input.amount === undefined) fail('Failure_DataError', 'Expected input with amount');
    let scriptPubKey: Uint8Array;
    if (scriptType === 'EXTERNAL') {
      if (!input.script_pubkey && this.t1) fail('Failure_DataError', 'Missing script_pubkey field');
      scriptPubKey = input.script_pubkey ?? new Uint8Array(0);
    } else {
      if (!INTERNAL_INPUT_TYPES.includes(scriptType)) fail('Failure_DataError', 'Unsupported script type.');
      const multisig = input.multisig ? multisigOf(input.multisig) : undefined;
      const publicKey = this.keys.node(input.address_n ?? []).publicKey!;
      scriptPubKey = multisig ? multisigScriptPubKey(scriptType, multisig.script) : keyScriptPubKey(scriptType, publicKey);
    }
    return { input, scriptType, scriptPubKey };
  }

  /** After the inputs: every original input must be spent again; the user confirms the TXID. */
  private async confirmReplacement(orig: OrigTx): Promise<void> {
    if (orig.inputs.length !== orig.inputsCount) {
      fail(this.t1 ? 'Failure_DataError' : 'Failure_ProcessError', 'Removal of original inputs is not supported.');
    }
    const finalize = this.minSequence > 0xfffffffd && orig.minSequence <= 0xfffffffd;
    await this.ctx.confirm('ButtonRequest_SignTx', { text: `${finalize ? 'Finalize' : 'Update'} TXID: ${hexOf(orig.hash)}` });
  }

  /** TXORIGOUTPUT: the original's output `index`, compiled like a new one. */
  private async askOrigOutput(orig: OrigTx, index: number): Promise<{ output: TxOutput; amount: bigint; script: Uint8Array; change: boolean }> {
    const output = decodeAs('TxAckOutput', await this.txRequest('TXORIGOUTPUT', index, orig.hash)).tx?.output;
    if (!output) fail('Failure_DataError', 'Failed to decode message');
    const type = this.validateOutput(output);
    const multisig = output.multisig ? multisigOf(output.multisig) : undefined;
    const script = this.outputScript(type, output, multisig);
    const amount = BigInt(output.amount ?? 0n);
    const change = this.isChange(type, output.address_n ?? [], multisig, orig.wallet);
    orig.outputs.push({ amount, script, change });
    orig.totalOut += amount;
    if (change) orig.changeOut += amount;
    return { output, amount, script, change };
  }

  /** Phase 1, an output that replaces one of the original's; skipped original outputs must be change. */
  private async addOrigOutput(output: TxOutput, amount: bigint, script: Uint8Array, change: boolean): Promise<void> {
    const orig = this.orig;
    if (!orig || !equal(output.orig_hash!, orig.hash)) fail('Failure_ProcessError', 'Unknown original transaction.');
    const index = output.orig_index!;
    if (index >= orig.outputsCount) fail('Failure_ProcessError', 'Not enough outputs in original transaction.');
    if (orig.outputs.length > index) fail('Failure_ProcessError', 'Rearranging of original outputs is not supported.');
    while (orig.outputs.length < index) {
      if (!(await this.askOrigOutput(orig, orig.outputs.length)).change) fail('Failure_DataError', 'Removal of original external outputs is not supported.');
    }
    const original = await this.askOrigOutput(orig, index);
    if (!equal(original.script, script)) fail('Failure_ProcessError', 'Not an original output.');
    if (change && !original.change) fail('Failure_DataError', 'Original output is missing change-output parameters.');
    if (original.change) return;
    if (amount < original.amount) {
      const unit = this.request.amount_unit;
      if (this.t1) {
        // Two screens, each confirmed: the address, then the amounts.
        await this.ctx.confirm('ButtonRequest_ConfirmOutput', { text: `Modify amount for\naddress:\n${original.output.address ?? ''}` });
        await this.ctx.confirm('ButtonRequest_ConfirmOutput', {
          text: `Decrease amount by:\n${formatAmount(this.coin, original.amount - amount, unit)}\nNew amount:\n${formatAmount(this.coin, amount, unit)}`,
        });
      } else {
        // One paginated screen (its second page as the 2.4.1 emulator's debug layout reads it).
        const first = ['Modify amount', 'Address:', original.output.address ?? ''].join('\n');
        const second = ['Modify amount', 'Decrease amount by:', '', formatAmount(this.coin, original.amount - amount, unit), '', 'New amount:', '', formatAmount(this.coin, amount, unit)].join('\n');
        await this.ctx.confirm('ButtonRequest_ConfirmOutput', { pages: 2, text: `${first}\f${second}` });
      }
    } else if (amount > original.amount && this.t1) {
      fail('Failure_ProcessError', 'Increasing original output amounts is not supported.');
    }
  }

  /** After the outputs: the original's remaining outputs (removed change), then its TXID. */
  private async finishOrigOutputs(orig: OrigTx): Promise<void> {
    while (orig.outputs.length < orig.outputsCount) {
      if (!(await this.askOrigOutput(orig, orig.outputs.length)).change) fail('Failure_DataError', 'Removal of original external outputs is not supported.');
    }
    const txid = sha256d(
      concatBytes(
        u32le(orig.version),
        varint(orig.inputsCount),
        ...orig.inputs.map(({ input }) => concatBytes(outpoint(input.prev_hash, input.prev_index), varBytes(input.script_sig ?? new Uint8Array(0)), u32le(input.sequence ?? SEQUENCE_FINAL))),
        varint(orig.outputsCount),
        ...orig.outputs.map((o) => serializeOutput(o.amount, o.script)),
        u32le(orig.lockTime),
      ),
    ).reverse();
    if (!equal(txid, orig.hash)) fail('Failure_ProcessError', 'Invalid original TXID.');
  }

  /** signing_confirm_tx() / approve_tx() for a replacement: no "really send", a fee-change screen. */
  private async confirmReplacementFee(orig: OrigTx, fee: bigint): Promise<void> {
    if (orig.totalOut > orig.totalIn) fail('Failure_ProcessError', 'Negative fees not supported in transaction replacement.');
    const origFee = orig.totalIn - orig.totalOut;
    // What leaves the wallet: our inputs minus our change.
    const spending = this.totalIn - this.externalIn - this.changeOut;
    const origSpending = orig.totalIn - orig.externalIn - orig.changeOut;
    if (this.t1 ? this.totalOut - this.changeOut > orig.totalOut - orig.changeOut : spending - origSpending > fee - origFee) {
      fail('Failure_ProcessError', 'Invalid replacement transaction.');
    }
    const lockTime = this.minSequence === SEQUENCE_FINAL ? 0 : this.lockTime;
    const origLockTime = orig.minSequence === SEQUENCE_FINAL ? 0 : orig.lockTime;
    if (lockTime !== origLockTime) fail('Failure_ProcessError', 'Original transactions must have same effective nLockTime as replacement transaction.');
    const unit = this.request.amount_unit;
    // The One asks whenever the fee changed; Core when the user pays more, or always unless it is a PayJoin.
    const ask = this.t1 ? fee !== origFee : spending > origSpending || this.externalIn === 0n;
    if (ask) {
      await this.ctx.confirm('ButtonRequest_SignTx', {
        text: `Fee ${fee > origFee ? 'increased' : 'decreased'} by ${formatAmount(this.coin, fee > origFee ? fee - origFee : origFee - fee, unit)}, new fee ${formatAmount(this.coin, fee, unit)}`,
      });
    }
  }

  /**
   * Before signing: one signature of the original must verify. A legacy input needs the whole
   * original streamed again for its digest; segwit and taproot digests come from phase 1. The
   * Trezor One streams the original's inputs in any case.
   */
  private async verifyOrig(orig: OrigTx): Promise<void> {
    const verify = orig.verify;
    if (!verify) fail('Failure_ProcessError', 'The original transaction must specify address_n for at least one input.');
    const scriptType = orig.inputs[verify.index]!.scriptType;
    const legacy = scriptType === 'SPENDADDRESS';
    if (!legacy && !this.t1) {
      this.checkOrigSignature(orig, orig.inputs, orig.outputs);
      return;
    }
    // What the host sends now is what gets hashed, as in the firmware's streamed digest.
    const inputs: OrigTx['inputs'] = [];
    for (let j = 0; j < orig.inputsCount; j++) {
      inputs.push(await this.askOrigInput(orig, j));
      // A segwit or taproot digest comes from the phase-1 hashes; it is checked on the way.
      if (j === verify.index && !legacy) this.checkOrigSignature(orig, orig.inputs, orig.outputs);
    }
    if (!legacy) return;
    const outputs: OrigTx['outputs'] = [];
    for (let j = 0; j < orig.outputsCount; j++) {
      const output = decodeAs('TxAckOutput', await this.txRequest('TXORIGOUTPUT', j, orig.hash)).tx?.output;
      if (!output) fail('Failure_DataError', 'Failed to decode message');
      const type = this.validateOutput(output);
      const script = this.outputScript(type, output, output.multisig ? multisigOf(output.multisig) : undefined);
      outputs.push({ amount: BigInt(output.amount ?? 0n), script, change: false });
    }
    this.checkOrigSignature(orig, inputs, outputs);
  }

  /** Verify the original's saved signature over its digest from these inputs and outputs. */
  private checkOrigSignature(orig: OrigTx, records: OrigTx['inputs'], outputList: OrigTx['outputs']): void {
    const verify = orig.verify!;
    const scriptType = records[verify.index]!.scriptType;
    const inputs = records.map((r) => r.input);
    const input = inputs[verify.index]!;
    const outputs = concatBytes(...outputList.map((o) => serializeOutput(o.amount, o.script)));
    let valid: boolean;
    if (scriptType === 'SPENDTAPROOT') {
      const tag = sha256(new TextEncoder().encode('TapSighash'));
      const digest = sha256(
        concatBytes(
          tag,
          tag,
          Uint8Array.of(0, 0),
          u32le(orig.version),
          u32le(orig.lockTime),
          sha256(concatBytes(...inputs.map((i) => outpoint(i.prev_hash, i.prev_index)))),
          sha256(concatBytes(...inputs.map((i) => u64le(BigInt(i.amount!))))),
          sha256(concatBytes(...records.map((r) => varBytes(r.scriptPubKey)))),
          sha256(concatBytes(...inputs.map((i) => u32le(i.sequence ?? SEQUENCE_FINAL)))),
          sha256(outputs),
          Uint8Array.of(0),
          u32le(verify.index),
        ),
      );
      valid = verify.signature.length === 64 && schnorr.verify(verify.signature, digest, taprootOutputKey(verify.publicKey));
    } else {
      const scriptCode = p2pkhScript(hash160(verify.publicKey));
      const digest =
        scriptType === 'SPENDADDRESS'
          ? sha256d(
              concatBytes(
                u32le(orig.version),
                varint(inputs.length),
                ...inputs.map((i, j) => concatBytes(outpoint(i.prev_hash, i.prev_index), varBytes(j === verify.index ? scriptCode : new Uint8Array(0)), u32le(i.sequence ?? SEQUENCE_FINAL))),
                varint(outputList.length),
                outputs,
                u32le(orig.lockTime),
                u32le(1),
              ),
            )
          : sha256d(
              concatBytes(
                u32le(orig.version),
                sha256d(concatBytes(...inputs.map((i) => outpoint(i.prev_hash, i.prev_index)))),
                sha256d(concatBytes(...inputs.map((i) => u32le(i.sequence ?? SEQUENCE_FINAL)))),
                outpoint(input.prev_hash, input.prev_index),
                varBytes(scriptCode),
                u64le(BigInt(input.amount!)),
                u32le(input.sequence ?? SEQUENCE_FINAL),
                sha256d(outputs),
                u32le(orig.lockTime),
                u32le(1),
              ),
            );
      let ok = false;
      try {
        ok = secp256k1.verify(verify.signature, digest, verify.publicKey, { prehash: false, format: 'der', lowS: false });
      } catch {
        ok = false;
      }
      valid = ok;
    }
    if (!valid) fail('Failure_DataError', this.t1 ? 'Invalid signature.' : 'Invalid signature');
  }

  // --- phase 2: previous transactions -----------------------------------------------------------

  /** Stream the previous transaction of input `index`; returns the scriptPubKey it spends. */
  private async checkPrevTx(index: number): Promise<Uint8Array> {
    const input = await this.askSameInput(index);
    const prevHash = input.prev_hash;
    const meta = decodeAs('TxAckPrevMeta', await this.txRequest('TXMETA', undefined, prevHash)).tx ?? ({} as PrevTx);
    const outputsCount = meta.outputs_count ?? 0;
    const inputsCount = meta.inputs_count ?? 0;
    if (outputsCount <= input.prev_index) fail('Failure_DataError', 'Not enough outputs in previous transaction.');
    const extraLength = meta.extra_data_len ?? 0;
    if (extraLength && !this.coin.extra_data) fail('Failure_DataError', 'Extra data not enabled on this coin.');
    if (meta.expiry !== undefined && !this.zcash) fail('Failure_DataError', 'Expiry not enabled on this coin.');
    if (meta.timestamp !== undefined) fail('Failure_DataError', 'Timestamp not enabled on this coin.');
    const prevVersion = meta.version ?? 1;
    if (this.zcash) {
      // An overwintered previous transaction (legacy signing.c STAGE_REQUEST_2_PREV_META).
      if (prevVersion >= 3 && meta.version_group_id === undefined) fail('Failure_DataError', 'Version group ID must be set when version >= 3.');
      if (prevVersion < 3 && meta.version_group_id !== undefined) fail('Failure_DataError', 'Version group ID must be unset when version < 3.');
    } else {
      if (meta.version_group_id !== undefined) fail('Failure_DataError', 'Version group ID not enabled on this coin.');
      if (meta.branch_id !== undefined) fail('Failure_DataError', 'Branch ID not enabled on this coin.');
    }
    const frame = this.zcash ? prevTxFrame(prevVersion, meta.version_group_id, meta.lock_time ?? 0, meta.expiry ?? 0) : { header: u32le(prevVersion), footer: u32le(meta.lock_time ?? 0) };
    const parts: Uint8Array[] = [frame.header, varint(inputsCount)];
    for (let j = 0; j < inputsCount; j++) {
      const prev = decodeAs('TxAckPrevInput', await this.txRequest('TXINPUT', j, prevHash)).tx?.input ?? ({} as PrevInput);
      if (!prev.prev_hash || prev.prev_hash.length !== 32) fail('Failure_DataError', 'Provided prev_hash is invalid.');
      parts.push(outpoint(prev.prev_hash, prev.prev_index ?? 0), varBytes(prev.script_sig ?? new Uint8Array(0)), u32le(prev.sequence ?? SEQUENCE_FINAL));
    }
    parts.push(varint(outputsCount));
    const record = this.inputs[index]!;
    let spent: Uint8Array = new Uint8Array(0);
    for (let j = 0; j < outputsCount; j++) {
      const prev = decodeAs('TxAckPrevOutput', await this.txRequest('TXOUTPUT', j, prevHash)).tx?.output ?? ({} as PrevOutput);
      const amount = BigInt(prev.amount ?? 0n);
      const script = prev.script_pubkey ?? new Uint8Array(0);
      parts.push(serializeOutput(amount, script));
      if (j === input.prev_index) {
        spent = script;
        if (amount !== BigInt(input.amount)) fail('Failure_DataError', 'Invalid amount specified');
        // Trezor One 1.14.1 also ties the previous output to the input's key (Core 2.4.1 does not).
        if (this.t1 && !equal(script, record.scriptPubKey)) fail('Failure_DataError', 'Input does not match scriptPubKey');
      }
    }
    parts.push(frame.footer);
    // Extra data (a Dash DIP-2 payload, a Zcash transaction's shielded tail) in chunks of at most 1024 bytes, hashed as it comes
    // (legacy/firmware/signing.c send_req_2_prev_extradata).
    for (let offset = 0; offset < extraLength; offset += 1024) {
      const length = Math.min(1024, extraLength - offset);
      const chunk = decodeAs('TxAckPrevExtraData', await this.txRequest('TXEXTRADATA', undefined, prevHash, { offset, length })).tx?.extra_data_chunk ?? new Uint8Array(0);
      if (chunk.length !== length) fail('Failure_DataError', 'Wrong extra data length');
      parts.push(chunk);
    }
    if (!equal(sha256d(concatBytes(...parts)).reverse(), prevHash)) fail('Failure_DataError', 'Encountered invalid prevhash');
    return spent;
  }

  // --- phase 3/4: serialization and signatures --------------------------------------------------

  /** The private key of an input; Core's keychain refuses paths outside the coin's schemas. */
  private signingKey(input: TxInput, scriptType: string): HDKey {
    const addressN = input.address_n ?? [];
    if (!this.t1 && this.ctx.safetyChecks === 'Strict' && !coinPathCheck(this.coin, scriptType, addressN, false, false, this.taproot, this.slip25)) {
      fail('Failure_DataError', 'Forbidden key path');
    }
    return this.keys.node(addressN);
  }

  private header(): Uint8Array {
    if (this.zcash) return zcashHeader(this.zcash, this.inputsCount);
    return concatBytes(u32le(this.version), this.segwit ? Uint8Array.of(0x00, 0x01) : new Uint8Array(0), varint(this.inputsCount));
  }

  /** What follows the outputs (and witnesses): nLockTime, or Zcash's footer. */
  private footer(): Uint8Array {
    return this.zcash ? zcashFooter(this.zcash) : u32le(this.lockTime);
  }

  private async serialize(): Promise<void> {
    const hashes = this.segwit || this.coin.force_bip143 ? this.segwitHashes() : undefined;
    if (!this.t1) this.emit(this.header());
    for (let i = 0; i < this.inputsCount; i++) {
      const record = this.inputs[i]!;
      const first = this.t1 && i === 0 ? this.header() : new Uint8Array(0);
      if (record.scriptType === 'SPENDADDRESS' || record.scriptType === 'SPENDMULTISIG') {
        if (this.coin.force_bip143 || this.zcash) await this.signForkId(i, first, hashes);
        else await this.signLegacy(i, first);
        continue;
      }
      const input = await this.askSameInput(i);
      let scriptSig: Uint8Array = new Uint8Array(0);
      if (record.scriptType === 'EXTERNAL') scriptSig = input.script_sig ?? scriptSig;
      else if (record.scriptType === 'SPENDP2SHWITNESS') {
        scriptSig = record.multisig
          ? pushData(witnessScript(0, sha256(record.multisig.script)))
          : pushData(witnessScript(0, hash160(this.keys.node(input.address_n ?? []).publicKey!)));
      }
      this.emit(concatBytes(first, outpoint(input.prev_hash, input.prev_index), varBytes(scriptSig), u32le(input.sequence ?? SEQUENCE_FINAL)));
    }
    if (!this.t1) this.emit(varint(this.outputsCount));
    for (let i = 0; i < this.outputsCount; i++) {
      const record = await this.askSameOutput(i);
      const last = !this.segwit && this.t1 && i === this.outputsCount - 1 ? this.footer() : new Uint8Array(0);
      this.emit(concatBytes(this.t1 && i === 0 ? varint(this.outputsCount) : new Uint8Array(0), serializeOutput(record.amount, record.script), last));
    }
    if (this.segwit) {
      for (let i = 0; i < this.inputsCount; i++) {
        const record = this.inputs[i]!;
        if (record.scriptType === 'SPENDADDRESS' || record.scriptType === 'SPENDMULTISIG') {
          if (this.t1) await this.askSameInput(i);
          this.emit(Uint8Array.of(0));
        } else if (record.scriptType === 'EXTERNAL') {
          // Its witness as given (00 for none); Core asks again only for one that has a witness.
          if (this.t1 || record.input.witness?.length) {
            const input = await this.askSameInput(i);
            this.emit(input.witness?.length ? input.witness : Uint8Array.of(0));
          } else this.emit(Uint8Array.of(0));
        } else {
          const input = await this.askSameInput(i);
          this.signWitness(i, input, record, hashes!);
        }
      }
      this.emit(u32le(this.lockTime));
    } else if (!this.t1) {
      this.emit(this.footer());
    }
  }

  /** Stream every input and output again and sign input `index` with the legacy digest. */
  private async signLegacy(index: number, prefix: Uint8Array): Promise<void> {
    const parts: Uint8Array[] = [u32le(this.version), varint(this.inputsCount)];
    let signed: { input: TxInput; node: HDKey } | undefined;
    for (let j = 0; j < this.inputsCount; j++) {
      const input = await this.askSameInput(j);
      let scriptCode: Uint8Array = new Uint8Array(0);
      if (j === index) {
        const record = this.inputs[index]!;
        const node = this.signingKey(input, record.scriptType);
        scriptCode = record.multisig ? record.multisig.script : p2pkhScript(hash160(node.publicKey!));
        signed = { input, node };
      }
      parts.push(outpoint(input.prev_hash, input.prev_index), varBytes(scriptCode), u32le(input.sequence ?? SEQUENCE_FINAL));
    }
    parts.push(varint(this.outputsCount));
    for (let j = 0; j < this.outputsCount; j++) {
      const record = await this.askSameOutput(j);
      parts.push(serializeOutput(record.amount, record.script));
    }
    parts.push(u32le(this.lockTime), u32le(1));
    const { input, node } = signed!;
    const der = signDigest(sha256d(concatBytes(...parts)), node.privateKey!).toBytes('der');
    const multisig = this.inputs[index]!.multisig;
    const scriptSig = multisig
      ? concatBytes(Uint8Array.of(0), ...this.cosignatures(multisig, node, der).map((sig) => pushData(sig)), pushData(multisig.script))
      : concatBytes(pushData(concatBytes(der, Uint8Array.of(1))), pushData(node.publicKey!));
    this.signature = { index, der };
    this.emit(concatBytes(prefix, outpoint(input.prev_hash, input.prev_index), varBytes(scriptSig), u32le(input.sequence ?? SEQUENCE_FINAL)));
  }

  /**
   * A coin with replay protection (Bcash, force_bip143): the input is read once and signed with
   * the BIP-143 digest and SIGHASH_ALL | FORKID, no legacy re-streaming. Zcash likewise, with
   * its ZIP-243 (v4) or ZIP-244 (v5) digest and SIGHASH_ALL.
   */
  private async signForkId(index: number, prefix: Uint8Array, h: ReturnType<Signing['segwitHashes']> | undefined): Promise<void> {
    const input = await this.askSameInput(index);
    const record = this.inputs[index]!;
    const node = this.signingKey(input, record.scriptType);
    const multisig = record.multisig;
    const scriptCode = multisig ? multisig.script : p2pkhScript(hash160(node.publicKey!));
    const digest = this.zcash ? this.zcashDigest(index, input, scriptCode) : this.bip143Digest(h!, input, scriptCode);
    const der = signDigest(digest, node.privateKey!).toBytes('der');
    const scriptSig = multisig
      ? concatBytes(Uint8Array.of(0), ...this.cosignatures(multisig, node, der).map((sig) => pushData(sig)), pushData(multisig.script))
      : concatBytes(pushData(concatBytes(der, Uint8Array.of(this.hashType & 0xff))), pushData(node.publicKey!));
    this.signature = { index, der };
    this.emit(concatBytes(prefix, outpoint(input.prev_hash, input.prev_index), varBytes(scriptSig), u32le(input.sequence ?? SEQUENCE_FINAL)));
  }

  /** Zcash signature digest of input `index` (ZIP-243 with `scriptCode`, or ZIP-244). */
  private zcashDigest(index: number, input: TxInput, scriptCode: Uint8Array): Uint8Array {
    const tx = this.zcash!;
    const sigInput = (r: { input: TxInput; scriptPubKey: Uint8Array }) => ({
      prevHash: r.input.prev_hash,
      prevIndex: r.input.prev_index,
      sequence: r.input.sequence ?? SEQUENCE_FINAL,
      amount: BigInt(r.input.amount),
      scriptPubKey: r.scriptPubKey,
    });
    const inputs = this.inputs.map(sigInput);
    const outputs = this.outputs.map((o) => ({ amount: o.amount, script: o.script }));
    if (tx.version === 5) return zip244Digest(tx, inputs, outputs, index);
    return zip243Digest(tx, inputs, outputs, sigInput({ input, scriptPubKey: this.inputs[index]!.scriptPubKey }), scriptCode);
  }

  /** The multisig signatures with this device's in its key's place, each with the sighash byte. */
  private cosignatures(multisig: Multisig, node: HDKey, der: Uint8Array): Uint8Array[] {
    const own = multisig.pubkeys.findIndex((key) => equal(key, node.publicKey!));
    if (own < 0) fail('Failure_DataError', 'Pubkey not found in multisig script');
    return multisig.signatures
      .map((sig, i) => (i === own ? der : sig))
      .filter((sig) => sig.length > 0)
      .map((sig) => concatBytes(sig, Uint8Array.of(this.hashType & 0xff)));
  }

  /** BIP-143 / BIP-341 transaction-wide hashes, from the inputs and outputs of phase 1. */
  private segwitHashes() {
    const prevouts = sha256(concatBytes(...this.inputs.map((r) => outpoint(r.input.prev_hash, r.input.prev_index))));
    const amounts = sha256(concatBytes(...this.inputs.map((r) => u64le(BigInt(r.input.amount)))));
    const scripts = sha256(concatBytes(...this.inputs.map((r) => varBytes(r.scriptPubKey))));
    const sequences = sha256(concatBytes(...this.inputs.map((r) => u32le(r.input.sequence ?? SEQUENCE_FINAL))));
    const outputs = sha256(concatBytes(...this.outputs.map((o) => serializeOutput(o.amount, o.script))));
    return { prevouts, amounts, scripts, sequences, outputs };
  }

  /** BIP-341 key-path digest (SIGHASH_DEFAULT) of input `index`. */
  private bip341Digest(h: ReturnType<Signing['segwitHashes']>, index: number): Uint8Array {
    const tag = sha256(new TextEncoder().encode('TapSighash'));
    return sha256(
      concatBytes(tag, tag, Uint8Array.of(0, 0), u32le(this.version), u32le(this.lockTime), h.prevouts, h.amounts, h.scripts, h.sequences, h.outputs, Uint8Array.of(0), u32le(index)),
    );
  }

  /** BIP-143 digest (SIGHASH_ALL, with FORKID on such coins) of `input` with `scriptCode`. */
  private bip143Digest(h: ReturnType<Signing['segwitHashes']>, input: TxInput, scriptCode: Uint8Array): Uint8Array {
    return sha256d(
      concatBytes(
        u32le(this.version),
        sha256(h.prevouts),
        sha256(h.sequences),
        outpoint(input.prev_hash, input.prev_index),
        varBytes(scriptCode),
        u64le(BigInt(input.amount)),
        u32le(input.sequence ?? SEQUENCE_FINAL),
        sha256(h.outputs),
        u32le(this.lockTime),
        u32le(this.hashType),
      ),
    );
  }

  // --- external inputs ----------------------------------------------------------------------------

  /**
   * Phase 1, an input of another party (EXTERNAL, with its script_pubkey). It is accepted with a
   * SLIP-19 proof of non-ownership (the One checks it here, Core with the previous transaction)
   * or a signature of its owner (checked with the previous transaction); without either only
   * when safety checks are relaxed, and then the user is warned.
   */
  private addExternalInput(index: number, input: TxInput): void {
    const scriptPubKey = input.script_pubkey ?? new Uint8Array(0);
    if (input.ownership_proof) {
      if (this.t1 && !this.ownershipProofValid(input, scriptPubKey)) fail('Failure_DataError', 'Invalid external input.');
    } else if (!input.script_sig?.length && !input.witness?.length) {
      if (this.ctx.safetyChecks === 'Strict') fail('Failure_ProcessError', 'Unverifiable external input.');
      this.unverifiedExternal = true;
    }
    this.inputs[index] = { encoded: encoded('TxInput', input, 'Failed to decode message'), input, scriptType: 'EXTERNAL', scriptPubKey };
    this.totalIn += BigInt(input.amount);
    this.externalIn += BigInt(input.amount);
    if (this.totalIn > 0xffffffffffffffffn) fail('Failure_DataError', 'Value overflow');
    const sequence = input.sequence ?? SEQUENCE_FINAL;
    if (sequence < this.minSequence) this.minSequence = sequence;
    // Weighed like the internal input of the same kind (without a scriptPubKey: as its signature looks).
    const kind = scriptPubKey.length ? scriptKind(scriptPubKey) : input.witness?.length ? (input.script_sig?.length ? 'p2sh' : 'p2wpkh') : 'p2pkh';
    let weight = 4 * 40;
    if (kind === 'p2pkh') weight += 4 * (107 + 1);
    else {
      if (!this.segwit) weight += 2 + this.inputsCount;
      weight += (kind === 'p2sh' ? 4 * 24 : 4) + 1 + (kind === 'p2tr' ? 66 : 107);
      this.segwit = true;
    }
    this.weight += weight;
  }

  /** SLIP-19: the proof's signature over its body, the scriptPubKey and the commitment data, and none of its ownership ids ours. */
  private ownershipProofValid(input: TxInput, scriptPubKey: Uint8Array): boolean {
    const proof = input.ownership_proof!;
    const reader = new ByteReader(proof);
    try {
      if (!equal(reader.take(4), Uint8Array.of(0x53, 0x4c, 0x00, 0x19))) return false;
      reader.take(1); // flags
      const count = reader.varint();
      const ids: Uint8Array[] = [];
      for (let i = 0; i < count; i++) ids.push(reader.take(32));
      const body = proof.subarray(0, reader.offset);
      const scriptSig = reader.take(reader.varint());
      const witness = reader.witness();
      if (reader.offset !== proof.length) return false;
      const own = hmac(sha256, slip21Key(this.keys.seed, ['SLIP-0019', 'Ownership identification key']), scriptPubKey);
      if (ids.some((id) => equal(id, own))) return false;
      // SLIP-19 signs SHA-256(body ‖ scriptPubKey ‖ commitment data), length-prefixed since its
      // final form (1.14.1, Core 2.5.1); Core 2.4.x still hashed the two bare (the earlier draft).
      const commitment = input.commitment_data ?? new Uint8Array(0);
      const digest = firmwareHas(this.ctx, 'slip19FinalProof')
        ? sha256(concatBytes(body, varBytes(scriptPubKey), varBytes(commitment)))
        : sha256(concatBytes(body, scriptPubKey, commitment));
      return this.ownerSignatureValid(scriptPubKey, scriptSig, witness, () => digest, 1) === undefined;
    } catch {
      return false;
    }
  }

  /**
   * Check an owner's signature (SignatureVerifier): undefined when valid, else the failure text.
   * `digest(scriptCode, taproot)` gives what was signed; `sighash` is the byte ECDSA signatures end with.
   */
  private ownerSignatureValid(
    scriptPubKey: Uint8Array,
    scriptSig: Uint8Array,
    witness: Uint8Array[],
    digest: (scriptCode: Uint8Array, taproot: boolean) => Uint8Array,
    sighash: number,
  ): string | undefined {
    const kind = scriptKind(scriptPubKey);
    let signature: Uint8Array | undefined;
    let publicKey: Uint8Array | undefined;
    if (kind === 'p2tr') {
      signature = witness[0];
      if (witness.length !== 1 || !signature) return 'Invalid signature';
      const sig = signature.length === 65 && signature[64] === 1 ? signature.subarray(0, 64) : signature;
      if (sig.length !== 64) return 'Unsupported sighash type';
      try {
        return schnorr.verify(sig, digest(new Uint8Array(0), true), scriptPubKey.subarray(2)) ? undefined : 'Invalid signature';
      } catch {
        return 'Invalid signature';
      }
    }
    if (kind === 'p2wpkh' || kind === 'p2sh') {
      if (witness.length !== 2) return 'Invalid signature';
      [signature, publicKey] = witness as [Uint8Array, Uint8Array];
      const program = witnessScript(0, hash160(publicKey));
      if (kind === 'p2wpkh') {
        if (!equal(program, scriptPubKey)) return 'Invalid public key hash';
      } else {
        if (!equal(scriptSig, pushData(program))) return 'Invalid public key hash';
        if (!equal(p2shScript(hash160(program)), scriptPubKey)) return 'Invalid script hash';
      }
    } else if (kind === 'p2pkh') {
      const reader = new ByteReader(scriptSig);
      try {
        signature = reader.take(reader.byte());
        publicKey = reader.take(reader.byte());
      } catch {
        return 'Invalid signature';
      }
      if (!equal(p2pkhScript(hash160(publicKey)), scriptPubKey)) return 'Invalid public key hash';
    } else return 'Unsupported script type.';
    if (signature[signature.length - 1] !== sighash) return 'Unsupported sighash type';
    try {
      const ok = secp256k1.verify(signature.subarray(0, -1), digest(p2pkhScript(hash160(publicKey)), false), publicKey, { prehash: false, format: 'der', lowS: false });
      return ok ? undefined : 'Invalid signature';
    } catch {
      return 'Invalid signature';
    }
  }

  /** Phase 2, after its previous transaction: the external input's proof or signature must verify. */
  private async verifyExternal(index: number, prevScript: Uint8Array): Promise<void> {
    const record = this.inputs[index]!;
    const input = record.input;
    const invalid = this.t1 ? 'Invalid signature.' : 'Invalid signature';
    if (input.ownership_proof) {
      if (!this.t1 && !this.ownershipProofValid(input, prevScript)) fail('Failure_DataError', invalid);
      return;
    }
    if (!input.script_sig?.length && !input.witness?.length) return; // unverified, the user was warned
    const witness = input.witness?.length ? new ByteReader(input.witness).witness() : [];
    let legacyDigest: Uint8Array | undefined;
    if (scriptKind(prevScript) === 'p2pkh' && !this.coin.force_bip143 && !this.zcash) legacyDigest = await this.legacyDigest(index, prevScript);
    const h = this.segwitHashes();
    // Zcash: the input's own ZIP-243 / ZIP-244 digest (core zcash_v4.py / zcash_v5 sig hashers).
    const zcash = this.zcash ? (scriptCode: Uint8Array) => this.zcashDigest(index, input, scriptCode) : undefined;
    const failure = this.ownerSignatureValid(
      prevScript,
      input.script_sig ?? new Uint8Array(0),
      witness,
      (scriptCode, taproot) => zcash?.(scriptCode) ?? legacyDigest ?? (taproot ? this.bip341Digest(h, index) : this.bip143Digest(h, input, scriptCode)),
      this.hashType & 0xff,
    );
    if (failure) fail('Failure_DataError', failure === 'Invalid signature' ? invalid : failure);
  }

  /** The legacy digest of input `index` with `scriptCode`, streaming every input and output again. */
  private async legacyDigest(index: number, scriptCode: Uint8Array): Promise<Uint8Array> {
    const parts: Uint8Array[] = [u32le(this.version), varint(this.inputsCount)];
    for (let j = 0; j < this.inputsCount; j++) {
      const input = await this.askSameInput(j);
      parts.push(outpoint(input.prev_hash, input.prev_index), varBytes(j === index ? scriptCode : new Uint8Array(0)), u32le(input.sequence ?? SEQUENCE_FINAL));
    }
    parts.push(varint(this.outputsCount));
    for (let j = 0; j < this.outputsCount; j++) {
      const record = await this.askSameOutput(j);
      parts.push(serializeOutput(record.amount, record.script));
    }
    parts.push(u32le(this.lockTime), u32le(1));
    return sha256d(concatBytes(...parts));
  }

  private signWitness(index: number, input: TxInput, record: InputRecord, h: ReturnType<Signing['segwitHashes']>): void {
    const node = this.signingKey(input, record.scriptType);
    if (record.scriptType === 'SPENDTAPROOT') {
      const digest = this.bip341Digest(h, index);
      const signature = schnorr.sign(digest, taprootTweakPrivKey(node.privateKey!), new Uint8Array(32));
      this.signature = { index, der: signature };
      this.emit(concatBytes(Uint8Array.of(1), pushData(signature)));
      return;
    }
    const multisig = record.multisig;
    const digest = this.bip143Digest(h, input, multisig ? multisig.script : p2pkhScript(hash160(node.publicKey!)));
    const der = signDigest(digest, node.privateKey!).toBytes('der');
    this.signature = { index, der };
    if (multisig) {
      // OP_0 dummy, the signatures so far (this one in its place), the witness script.
      const sigs = this.cosignatures(multisig, node, der);
      this.emit(concatBytes(Uint8Array.of(2 + sigs.length, 0), ...sigs.map((sig) => varBytes(sig)), varBytes(multisig.script)));
      return;
    }
    this.emit(concatBytes(Uint8Array.of(2), pushData(concatBytes(der, Uint8Array.of(this.hashType & 0xff))), pushData(node.publicKey!)));
  }
}

async function signTxHandler(ctx: DeviceContext, request: MessageMap['SignTx']): Promise<Reply> {
  if (ctx.model === 'T1B1') await ctx.unlock();
  if (!request.inputs_count) fail('Failure_DataError', 'Transaction must have at least one input');
  if (!request.outputs_count) fail('Failure_DataError', 'Transaction must have at least one output');
  const coin = coinOf(request.coin_name, ctx);
  if (request.expiry !== undefined && !coin.overwintered) fail('Failure_DataError', 'Expiry not enabled on this coin.');
  if (request.timestamp !== undefined) fail('Failure_DataError', 'Timestamp not enabled on this coin.');
  const keys = await ctx.keychain();
  if (coin.overwintered) {
    // legacy signing.c tx_info_init, core sign_tx/helpers.py sanitize_sign_tx and the signers'
    // version checks: v4 everywhere, v5 since 1.11.1 / 2.5.1.
    if (request.version_group_id === undefined) fail('Failure_DataError', 'Version group ID must be set.');
    if (request.branch_id === undefined) fail('Failure_DataError', 'Branch ID must be set.');
    const version = request.version ?? 1;
    if (version !== 4 && !(version === 5 && firmwareHas(ctx, 'zcashV5'))) fail('Failure_DataError', 'Unsupported transaction version.');
  } else {
    if (request.version_group_id !== undefined) fail('Failure_DataError', 'Version group ID not enabled on this coin.');
    if (request.branch_id !== undefined) fail('Failure_DataError', 'Branch ID not enabled on this coin.');
  }
  if (request.coinjoin_request) fail('Failure_DataError', 'CoinJoin is not supported by this device');
  return new Signing(ctx, coin, keys, request).run();
}

/**
 * UnlockPath (legacy fsm_msgUnlockPath): only the whole SLIP-25 subtree can be unlocked. The
 * answer's MAC is HMAC-SHA256 under the SLIP-21 key m/"TREZOR"/"Keychain MAC key" of the seed
 * over the path, each element a little-endian uint32; a request that brings the MAC of an
 * earlier unlock skips the confirmation. The unlock holds for the next request only.
 */
async function unlockPathHandler(ctx: DeviceContext, request: MessageMap['UnlockPath']): Promise<Reply> {
  if (!firmwareHas(ctx, 'unlockPath')) fail('Failure_UnexpectedMessage', unknownMessageText(ctx.model));
  if (ctx.model === 'T1B1') await ctx.unlock();
  const addressN = request.address_n ?? [];
  if (addressN.length !== 1 || addressN[0] !== SLIP25_PURPOSE) fail('Failure_DataError', 'Invalid path');
  const data = new Uint8Array(4 * addressN.length);
  addressN.forEach((n, i) => new DataView(data.buffer).setUint32(4 * i, n, true));
  const mac = hmac(sha256, slip21Key(await ctx.seed(), ['TREZOR', 'Keychain MAC key']), data);
  if (request.mac !== undefined) {
    if (!equal(request.mac, mac)) fail('Failure_DataError', 'Invalid MAC');
  } else {
    await ctx.confirm('ButtonRequest_Other', { text: 'Coinjoin\nDo you want to allow\naccess to coinjoin\naccounts?' });
  }
  ctx.unlockPath?.(addressN[0]!);
  return { type: 'UnlockedPathRequest', message: { mac } };
}

/** SLIP-21 symmetric key at `labels` below the seed's master node. */
function slip21Key(seed: Uint8Array, labels: readonly string[]): Uint8Array {
  const encoder = new TextEncoder();
  let node = hmac(sha512, encoder.encode('Symmetric key seed'), seed);
  for (const label of labels) node = hmac(sha512, node.subarray(0, 32), concatBytes(Uint8Array.of(0), encoder.encode(label)));
  return node.slice(32);
}

/**
 * The Bitcoin messages of the virtual device.
 * @example new VirtualTrezor({ handlers: [bitcoinHandlers] })
 */
export const bitcoinHandlers: HandlerTable = {
  GetAddress: getAddressHandler,
  GetPublicKey: getPublicKeyHandler,
  SignMessage: signMessageHandler,
  VerifyMessage: verifyMessageHandler,
  SignTx: signTxHandler,
  UnlockPath: unlockPathHandler,
};
