/**
 * The coins this module speaks and the script types it signs for.
 *
 * Network parameters are the firmware's own coin definitions (trezor-firmware
 * `common/defs/bitcoin/*.json`): base58 version bytes, bech32 human-readable part, the
 * SLIP-132 extended-key versions the device uses for each script type, SLIP-44 coin type,
 * the signed-message header and the fee threshold (`maxfee_kb`) above which the device warns.
 * The same table feeds @scure/btc-signer (`network`) so addresses decoded on the host match
 * the ones the device derives.
 *
 * Script types are named after the output they spend (`p2pkh`, `p2sh-p2wpkh`, `p2wpkh`,
 * `p2tr`); the firmware's InputScriptType / OutputScriptType names stay inside this module.
 * When a call omits the script type it follows the path's purpose (BIP-44/49/84/86).
 *
 * Only Bitcoin, Testnet, Regtest and Litecoin are looked up by name. The other coins of the
 * Bitcoin family (Bitcoin Cash, Bitcoin Gold, Dogecoin, Dash, Zcash: coins-family.ts) are
 * constants the app imports and passes as `coin`, so a Bitcoin-only bundle carries none of
 * them, nor their address formats and signature schemes.
 */
import type { AddressFormat } from './cashaddr.js';
import type { ParsedPrevTx } from './prevtx.js';
import { describeValue, invalidParameter } from '../errors.js';
import { HARDENED } from '../path.js';
import { firmwareAtLeast, requireFirmware, type VersionFeatures } from '../session/firmware.js';

/** Script type of a single-signature Bitcoin output. */
export type ScriptType = 'p2pkh' | 'p2sh-p2wpkh' | 'p2wpkh' | 'p2tr';

/** The firmware's coin_name values this module looks up by name. */
export type CoinName = 'Bitcoin' | 'Testnet' | 'Regtest' | 'Litecoin';

/** coin_name of the coins exported as constants by coins-family.ts. */
export type FamilyCoinName = 'Bcash' | 'Bcash Testnet' | 'Bgold' | 'Bgold Testnet' | 'Dogecoin' | 'Dash' | 'Dash Testnet' | 'Zcash' | 'Zcash Testnet';

/** Network parameters of one coin (common/defs/bitcoin/<coin>.json). */
export interface CoinInfo {
  /** coin_name as the firmware spells it. */
  readonly name: CoinName | FamilyCoinName;
  /** coin_shortcut, as the device shows amounts. */
  readonly shortcut: string;
  /** SLIP-44 coin type (second path element, hardened). */
  readonly slip44: number;
  /** Base58 version of P2PKH addresses (address_type; Zcash's take two bytes, big-endian). */
  readonly pubKeyHash: number;
  /** Base58 version of P2SH addresses (address_type_p2sh). */
  readonly scriptHash: number;
  /** WIF version byte (only for btc-signer's network object; not in the firmware's definitions). */
  readonly wif?: number;
  /** bech32 / bech32m human-readable part; none for coins without segwit. */
  readonly bech32?: string;
  /** Extended public key version bytes by script type (SLIP-132); taproot uses the plain one. */
  readonly xpubVersion: { readonly p2pkh: number; readonly 'p2sh-p2wpkh'?: number; readonly p2wpkh?: number };
  /** Whether the firmware enables segwit / taproot for this coin. */
  readonly segwit: boolean;
  readonly taproot: boolean;
  /** signed_message_header without the length byte. */
  readonly messageHeader: string;
  /** Fee per kB (sat) above which the device asks to confirm a high fee. */
  readonly maxFeePerKb: number;
  /** Smallest output value the network relays (dust_limit). */
  readonly dustLimit: number;
  /** Lowest fee per kB (sat) the network relays (minfee_kb); createPsbt refuses less. */
  readonly minFeePerKb?: number;
  /**
   * Replay protection (fork_id): every input is signed with the BIP-143 digest (force_bip143)
   * and the hash type SIGHASH_ALL | SIGHASH_FORKID | fork_id << 8.
   */
  readonly forkId?: number;
  /** Addresses in a format of their own (Bitcoin Cash: CashAddr), read and written through it. */
  readonly addressFormat?: AddressFormat;
  /** Zcash (overwintered): transactions have their own form; see zcash.ts. */
  readonly overwintered?: boolean;
  /**
   * Transactions may carry extra data after the outputs (extra_data: Dash, Zcash): the reader
   * of such previous transactions (prevtx.ts readExtraDataTx), carried by the coin so that
   * only these coins bundle it.
   */
  readonly extraData?: (raw: Uint8Array, field: string) => ParsedPrevTx;
}

const BITCOIN_MESSAGE = 'Bitcoin Signed Message:\n';

/**
 * The supported coins by firmware coin name.
 * @example COINS.Testnet.bech32 // 'tb'
 */
export const COINS: Readonly<Record<CoinName, CoinInfo & { readonly name: CoinName }>> = /* @__PURE__ */ Object.freeze({
  Bitcoin: {
    name: 'Bitcoin',
    shortcut: 'BTC',
    slip44: 0,
    pubKeyHash: 0x00,
    scriptHash: 0x05,
    wif: 0x80,
    bech32: 'bc',
    xpubVersion: { p2pkh: 0x0488b21e, 'p2sh-p2wpkh': 0x049d7cb2, p2wpkh: 0x04b24746 },
    segwit: true,
    taproot: true,
    messageHeader: BITCOIN_MESSAGE,
    maxFeePerKb: 2_000_000,
    dustLimit: 546,
  },
  Testnet: {
    name: 'Testnet',
    shortcut: 'TEST',
    slip44: 1,
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
    bech32: 'tb',
    xpubVersion: { p2pkh: 0x043587cf, 'p2sh-p2wpkh': 0x044a5262, p2wpkh: 0x045f1cf6 },
    segwit: true,
    taproot: true,
    messageHeader: BITCOIN_MESSAGE,
    maxFeePerKb: 10_000_000,
    dustLimit: 546,
  },
  Regtest: {
    name: 'Regtest',
    shortcut: 'REGTEST',
    slip44: 1,
    pubKeyHash: 0x6f,
    scriptHash: 0xc4,
    wif: 0xef,
    bech32: 'bcrt',
    xpubVersion: { p2pkh: 0x043587cf, 'p2sh-p2wpkh': 0x044a5262, p2wpkh: 0x045f1cf6 },
    segwit: true,
    taproot: true,
    messageHeader: BITCOIN_MESSAGE,
    maxFeePerKb: 10_000_000,
    dustLimit: 546,
  },
  Litecoin: {
    name: 'Litecoin',
    shortcut: 'LTC',
    slip44: 2,
    pubKeyHash: 0x30,
    scriptHash: 0x32,
    wif: 0xb0,
    bech32: 'ltc',
    xpubVersion: { p2pkh: 0x019da462, 'p2sh-p2wpkh': 0x01b26ef6, p2wpkh: 0x04b24746 },
    segwit: true,
    taproot: false,
    messageHeader: 'Litecoin Signed Message:\n',
    maxFeePerKb: 67_000_000,
    dustLimit: 546,
  },
});

/**
 * Look a coin up by its firmware name (default 'Bitcoin'); unknown names are InvalidParameters.
 * @example getCoin('Regtest').bech32 // 'bcrt'
 */
export function getCoin(name?: string, field?: string): CoinInfo & { readonly name: CoinName };
export function getCoin(name: string | CoinInfo | undefined, field?: string): CoinInfo;
export function getCoin(name: string | CoinInfo = 'Bitcoin', field = 'coin'): CoinInfo {
  // A coin constant (coins-family.ts) or an app's own CoinInfo.
  if (typeof name === 'object' && name !== null && typeof name.name === 'string' && typeof name.pubKeyHash === 'number' && typeof name.xpubVersion === 'object') {
    return name;
  }
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(COINS, name)) {
    throw invalidParameter(field, `unknown coin ${describeValue(name)}; expected one of ${Object.keys(COINS).join(', ')}`);
  }
  return COINS[name as CoinName];
}

/**
 * The network object @scure/btc-signer takes for a coin.
 * @example new Transaction().addOutputAddress(address, 1000n, btcNetwork(getCoin('Testnet')))
 */
export function btcNetwork(coin: CoinInfo): { bech32: string; pubKeyHash: number; scriptHash: number; wif: number } {
  return { bech32: coin.bech32 ?? '', pubKeyHash: coin.pubKeyHash, scriptHash: coin.scriptHash, wif: coin.wif ?? 0 };
}

const SCRIPT_TYPES: readonly ScriptType[] = ['p2pkh', 'p2sh-p2wpkh', 'p2wpkh', 'p2tr'];

const PURPOSE_SCRIPT_TYPE: Readonly<Record<number, ScriptType>> = /* @__PURE__ */ Object.freeze({
  44: 'p2pkh',
  49: 'p2sh-p2wpkh',
  84: 'p2wpkh',
  86: 'p2tr',
});

/**
 * The script type a path's purpose implies (m/44' p2pkh, m/49' p2sh-p2wpkh, m/84' p2wpkh,
 * m/86' p2tr), or undefined for any other path.
 * @example scriptTypeFromPath([0x80000054, 0x80000000, 0x80000000]) // 'p2wpkh'
 */
export function scriptTypeFromPath(addressN: readonly number[]): ScriptType | undefined {
  const first = addressN[0];
  if (first === undefined || first < HARDENED) return undefined;
  return PURPOSE_SCRIPT_TYPE[first - HARDENED];
}

/**
 * The explicit script type, validated, or the one the path implies; InvalidParameters when
 * neither says (a non-standard path needs `scriptType`). Segwit/taproot must be enabled for
 * the coin.
 * @example resolveScriptType([0x80000056], undefined, getCoin()) // 'p2tr'
 */
export function resolveScriptType(addressN: readonly number[], scriptType: unknown, coin: CoinInfo, field = 'scriptType'): ScriptType {
  let type: ScriptType | undefined;
  if (scriptType !== undefined) {
    if (!SCRIPT_TYPES.includes(scriptType as ScriptType)) {
      throw invalidParameter(field, `expected one of ${SCRIPT_TYPES.join(', ')}, got ${describeValue(scriptType)}`);
    }
    type = scriptType as ScriptType;
  } else {
    type = scriptTypeFromPath(addressN);
    if (!type) throw invalidParameter(field, 'cannot be inferred from the path (purpose is not 44, 49, 84 or 86); pass it');
  }
  if (type !== 'p2pkh' && !coin.segwit) throw invalidParameter(field, `${coin.name} has no segwit`);
  if (type === 'p2tr' && !coin.taproot) throw invalidParameter(field, `${coin.name} has no taproot`);
  return type;
}

/** Purposes whose paths carry the SLIP-44 coin type, hardened, as their second element. */
const COIN_TYPED_PURPOSES = [44, 48, 49, 84, 86, 10025].map((p) => p + HARDENED);

/**
 * Why the firmware would refuse `addressN` for `coin` as a key of another coin, or undefined
 * when the path names this coin or no coin. The paths that name a coin are BIP-44/48/49/84/86
 * and SLIP-25 (`m/purpose'/coin_type'/…`) and Casa's unhardened `m/49/coin_type/…`; with any
 * other coin type both firmwares answer "Forbidden key path" while safety checks are strict
 * (legacy/firmware/crypto.c coin_path_check → check_cointype; core apps/bitcoin/keychain.py,
 * whose schemas put `coin_type` there). Testnet and Regtest share coin type 1. A coin with a
 * fork id (Bitcoin Cash, Bitcoin Gold) but not its testnet may also use Bitcoin's coin type 0
 * (core keychain.py: "coin.fork_id is not None and coin.slip44 != SLIP44_TESTNET"), to spend
 * what was received before the fork. A path of the right coin
 * but of another script type is not refused here: the firmware asks the user instead.
 * @example foreignCoinPath(parsePath("m/84'/0'/0'/0/0"), COINS.Testnet) // "has coin type 0' (Bitcoin), not 1' (Testnet)"
 */
export function foreignCoinPath(addressN: readonly number[], coin: CoinInfo): string | undefined {
  const [purpose, coinType] = addressN;
  if (purpose === undefined || coinType === undefined) return undefined;
  let named: number | undefined;
  if (COIN_TYPED_PURPOSES.includes(purpose)) named = coinType >= HARDENED ? coinType - HARDENED : -1;
  else if (purpose === 49 && coinType < HARDENED) named = coinType;
  if (named === undefined || named === coin.slip44) return undefined;
  if (named === 0 && coin.forkId !== undefined && coin.slip44 !== 1) return undefined;
  if (named < 0) return `has an unhardened coin type ${coinType}, not ${coin.slip44}' (${coin.name})`;
  const owners = Object.values(COINS).filter((c) => c.slip44 === named).map((c) => c.name);
  const suffix = purpose === 49 ? '' : "'";
  return `has coin type ${named}${suffix}${owners.length ? ` (${owners.join(', ')})` : ''}, not ${coin.slip44}${suffix} (${coin.name})`;
}

/**
 * InputScriptType name of a script type (messages-bitcoin.proto).
 * @example INPUT_SCRIPT_TYPE.p2tr // 'SPENDTAPROOT'
 */
export const INPUT_SCRIPT_TYPE = /* @__PURE__ */ Object.freeze({
  p2pkh: 'SPENDADDRESS',
  'p2sh-p2wpkh': 'SPENDP2SHWITNESS',
  p2wpkh: 'SPENDWITNESS',
  p2tr: 'SPENDTAPROOT',
} as const);

/**
 * OutputScriptType name for a change output of a script type.
 * @example CHANGE_SCRIPT_TYPE.p2wpkh // 'PAYTOWITNESS'
 */
export const CHANGE_SCRIPT_TYPE = /* @__PURE__ */ Object.freeze({
  p2pkh: 'PAYTOADDRESS',
  'p2sh-p2wpkh': 'PAYTOP2SHWITNESS',
  p2wpkh: 'PAYTOWITNESS',
  p2tr: 'PAYTOTAPROOT',
} as const);

/**
 * The SLIP-132 version for an extended public key of this script type (taproot: plain xpub).
 * @example xpubVersionFor(getCoin('Bitcoin'), 'p2wpkh') // 0x04b24746 (zpub)
 */
export function xpubVersionFor(coin: CoinInfo, scriptType: ScriptType | undefined, ignoreXpubMagic = false): number {
  if (ignoreXpubMagic || scriptType === undefined || scriptType === 'p2tr') return coin.xpubVersion.p2pkh;
  return coin.xpubVersion[scriptType] ?? coin.xpubVersion.p2pkh;
}

/** First firmware with taproot (addresses, xpubs, spending, sending), shared PROTOCOL.md §12. */
const TAPROOT_SINCE = { one: [1, 10, 4], core: [2, 4, 3] } as const;

/**
 * Whether the connected firmware knows taproot: Trezor One ≥ 1.10.4, Core ≥ 2.4.3
 * (legacy/firmware and core CHANGELOG: GetAddress, sending to and spending from taproot).
 * Without Features (nothing connected yet) the answer is true: the device then decides.
 * @example hasTaproot(trezor.features) // false on a Model T with 2.4.1
 */
export function hasTaproot(features: VersionFeatures | undefined): boolean {
  return firmwareAtLeast(features, TAPROOT_SINCE.one, TAPROOT_SINCE.core);
}

/**
 * NotSupported, before anything is sent, when the connected firmware predates taproot.
 * @example requireTaproot(trezor.features, 'Taproot addresses')
 */
export function requireTaproot(features: VersionFeatures | undefined, what: string): void {
  requireFirmware(features, TAPROOT_SINCE.one, TAPROOT_SINCE.core, what);
}
