/**
 * The coins the virtual device serves, with the firmware's own parameters.
 *
 * Source: trezor-firmware, common/defs/bitcoin/{bitcoin, bitcoin_testnet, bitcoin_regtest,
 * litecoin, bcash, bcash_testnet, bgold, bgold_testnet, dash, dash_testnet, dogecoin, zcash,
 * zcash_testnet}.json at tag legacy/v1.14.1 (the Trezor One the device
 * imitates); which models carry a coin: common/defs/support.json at core/v2.8.9. The copies
 * at core/v2.4.1 hold the same value for every field kept here; they have no `taproot` key
 * yet, and 2.4.1 has no taproot anyway (firmware.ts gates it by version). Values and field names
 * are the JSON's, numbers in the JSON's decimal, so each line can be held against its source.
 *
 * Why a table of its own: the library has one (src/bitcoin/coins.ts), but what the virtual device
 * answers is what the tests hold the library to. Were both to read one table, a wrong version
 * byte or xpub magic would be wrong on both sides and every test would pass. Here the two are
 * written apart from the same public source; test/virtual-coins.test.ts checks that nothing
 * under src/testing imports the library's coin modules and that the two tables agree.
 *
 * Coins outside this table get "Invalid coin name" from the handlers, though the firmware knows
 * them: Groestlcoin (Groestl-512, not in @noble/hashes), Decred (BLAKE-256), Elements and others
 * are not served.
 */

/** One coin of common/defs/bitcoin/*.json, the fields the virtual device reads. */
export interface DeviceCoin {
  readonly coin_name: string;
  /** Unit the screens show amounts in. */
  readonly coin_shortcut: string;
  /** SLIP-44 coin type (second path element, hardened). */
  readonly slip44: number;
  /** Base58 version byte of P2PKH addresses. */
  readonly address_type: number;
  /** Base58 version byte of P2SH addresses. */
  readonly address_type_p2sh: number;
  /** bech32/bech32m human-readable part; null: no segwit addresses. */
  readonly bech32_prefix: string | null;
  /** CashAddr prefix: legacy addresses are shown and read as CashAddr. */
  readonly cashaddr_prefix: string | null;
  /** SLIP-132 version of xpubs (P2PKH, multisig, taproot). */
  readonly xpub_magic: number;
  /** SLIP-132 version of P2SH-P2WPKH account xpubs (ypub); null: none. */
  readonly xpub_magic_segwit_p2sh: number | null;
  /** SLIP-132 version of P2WPKH account xpubs (zpub); null: none. */
  readonly xpub_magic_segwit_native: number | null;
  readonly segwit: boolean;
  readonly taproot: boolean;
  /** Replay protection: sighash type carries SIGHASH_FORKID | fork_id << 8; null: none. */
  readonly fork_id: number | null;
  /** Every input, legacy ones too, is signed with the BIP-143 digest. */
  readonly force_bip143: boolean;
  /** Prefix of the signed-message digest (without its length byte). */
  readonly signed_message_header: string;
  /** Fee per kB (satoshi) above which the device warns of a high fee. */
  readonly maxfee_kb: number;
  /**
   * Previous transactions may carry extra data after nLockTime (extra_data: a Dash DIP-2
   * payload, the shielded tail of a Zcash transaction).
   */
  readonly extra_data?: boolean;
  /** Zcash: overwintered transactions (version group id, branch id, expiry; ZIP-243/244 digests). */
  readonly overwintered?: boolean;
  /**
   * The models whose firmware carries the coin, when not all (support.json "unsupported"
   * entries: Bitcoin Gold and Dash, and their testnets, are not in the Safe 3 and Safe 5
   * firmware).
   */
  readonly models?: readonly string[];
}

/**
 * The served coins by coin_name.
 * @example DEVICE_COINS.Litecoin.address_type // 48
 */
export const DEVICE_COINS: Readonly<Record<string, DeviceCoin>> = /* @__PURE__ */ Object.freeze({
  // bitcoin.json
  Bitcoin: {
    coin_name: 'Bitcoin',
    coin_shortcut: 'BTC',
    slip44: 0,
    address_type: 0,
    address_type_p2sh: 5,
    bech32_prefix: 'bc',
    cashaddr_prefix: null,
    xpub_magic: 76067358,
    xpub_magic_segwit_p2sh: 77429938,
    xpub_magic_segwit_native: 78792518,
    segwit: true,
    taproot: true,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'Bitcoin Signed Message:\n',
    maxfee_kb: 2000000,
  },
  // bitcoin_testnet.json
  Testnet: {
    coin_name: 'Testnet',
    coin_shortcut: 'TEST',
    slip44: 1,
    address_type: 111,
    address_type_p2sh: 196,
    bech32_prefix: 'tb',
    cashaddr_prefix: null,
    xpub_magic: 70617039,
    xpub_magic_segwit_p2sh: 71979618,
    xpub_magic_segwit_native: 73342198,
    segwit: true,
    taproot: true,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'Bitcoin Signed Message:\n',
    maxfee_kb: 10000000,
  },
  // bitcoin_regtest.json
  Regtest: {
    coin_name: 'Regtest',
    coin_shortcut: 'REGTEST',
    slip44: 1,
    address_type: 111,
    address_type_p2sh: 196,
    bech32_prefix: 'bcrt',
    cashaddr_prefix: null,
    xpub_magic: 70617039,
    xpub_magic_segwit_p2sh: 71979618,
    xpub_magic_segwit_native: 73342198,
    segwit: true,
    taproot: true,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'Bitcoin Signed Message:\n',
    maxfee_kb: 10000000,
  },
  // litecoin.json
  Litecoin: {
    coin_name: 'Litecoin',
    coin_shortcut: 'LTC',
    slip44: 2,
    address_type: 48,
    address_type_p2sh: 50,
    bech32_prefix: 'ltc',
    cashaddr_prefix: null,
    xpub_magic: 27108450,
    xpub_magic_segwit_p2sh: 28471030,
    xpub_magic_segwit_native: 78792518,
    segwit: true,
    taproot: false,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'Litecoin Signed Message:\n',
    maxfee_kb: 67000000,
  },
  // bcash.json
  Bcash: {
    coin_name: 'Bcash',
    coin_shortcut: 'BCH',
    slip44: 145,
    address_type: 0,
    address_type_p2sh: 5,
    bech32_prefix: null,
    cashaddr_prefix: 'bitcoincash',
    xpub_magic: 76067358,
    xpub_magic_segwit_p2sh: null,
    xpub_magic_segwit_native: null,
    segwit: false,
    taproot: false,
    fork_id: 0,
    force_bip143: true,
    signed_message_header: 'Bitcoin Signed Message:\n',
    maxfee_kb: 14000000,
  },
  // bgold.json
  Bgold: {
    coin_name: 'Bgold',
    coin_shortcut: 'BTG',
    slip44: 156,
    address_type: 38,
    address_type_p2sh: 23,
    bech32_prefix: 'btg',
    cashaddr_prefix: null,
    xpub_magic: 76067358,
    xpub_magic_segwit_p2sh: 77429938,
    xpub_magic_segwit_native: 78792518,
    segwit: true,
    taproot: false,
    fork_id: 79,
    force_bip143: true,
    signed_message_header: 'Bitcoin Gold Signed Message:\n',
    maxfee_kb: 380000000,
    models: ['T1B1', 'T2T1'],
  },
  // dash.json
  Dash: {
    coin_name: 'Dash',
    coin_shortcut: 'DASH',
    slip44: 5,
    address_type: 76,
    address_type_p2sh: 16,
    bech32_prefix: null,
    cashaddr_prefix: null,
    xpub_magic: 50221772,
    xpub_magic_segwit_p2sh: null,
    xpub_magic_segwit_native: null,
    segwit: false,
    taproot: false,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'DarkCoin Signed Message:\n',
    maxfee_kb: 45000000,
    extra_data: true,
    models: ['T1B1', 'T2T1'],
  },
  // dogecoin.json
  Dogecoin: {
    coin_name: 'Dogecoin',
    coin_shortcut: 'DOGE',
    slip44: 3,
    address_type: 30,
    address_type_p2sh: 22,
    bech32_prefix: null,
    cashaddr_prefix: null,
    xpub_magic: 49990397,
    xpub_magic_segwit_p2sh: null,
    xpub_magic_segwit_native: null,
    segwit: false,
    taproot: false,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'Dogecoin Signed Message:\n',
    maxfee_kb: 1200000000000,
  },
  // bcash_testnet.json
  'Bcash Testnet': {
    coin_name: 'Bcash Testnet',
    coin_shortcut: 'TBCH',
    slip44: 1,
    address_type: 111,
    address_type_p2sh: 196,
    bech32_prefix: null,
    cashaddr_prefix: 'bchtest',
    xpub_magic: 70617039,
    xpub_magic_segwit_p2sh: null,
    xpub_magic_segwit_native: null,
    segwit: false,
    taproot: false,
    fork_id: 0,
    force_bip143: true,
    signed_message_header: 'Bitcoin Signed Message:\n',
    maxfee_kb: 10000000,
  },
  // bgold_testnet.json
  'Bgold Testnet': {
    coin_name: 'Bgold Testnet',
    coin_shortcut: 'TBTG',
    slip44: 1,
    address_type: 111,
    address_type_p2sh: 196,
    bech32_prefix: 'tbtg',
    cashaddr_prefix: null,
    xpub_magic: 70617039,
    xpub_magic_segwit_p2sh: 71979618,
    xpub_magic_segwit_native: 73342198,
    segwit: true,
    taproot: false,
    fork_id: 79,
    force_bip143: true,
    signed_message_header: 'Bitcoin Gold Signed Message:\n',
    maxfee_kb: 500000,
    models: ['T1B1', 'T2T1'],
  },
  // dash_testnet.json
  'Dash Testnet': {
    coin_name: 'Dash Testnet',
    coin_shortcut: 'tDASH',
    slip44: 1,
    address_type: 140,
    address_type_p2sh: 19,
    bech32_prefix: null,
    cashaddr_prefix: null,
    xpub_magic: 70617039,
    xpub_magic_segwit_p2sh: null,
    xpub_magic_segwit_native: null,
    segwit: false,
    taproot: false,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'DarkCoin Signed Message:\n',
    maxfee_kb: 100000,
    extra_data: true,
    models: ['T1B1', 'T2T1'],
  },
  // zcash.json (address versions are two bytes: 0x1cb8 t1…, 0x1cbd t3…)
  Zcash: {
    coin_name: 'Zcash',
    coin_shortcut: 'ZEC',
    slip44: 133,
    address_type: 7352,
    address_type_p2sh: 7357,
    bech32_prefix: null,
    cashaddr_prefix: null,
    xpub_magic: 76067358,
    xpub_magic_segwit_p2sh: null,
    xpub_magic_segwit_native: null,
    segwit: false,
    taproot: false,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'Zcash Signed Message:\n',
    maxfee_kb: 51000000,
    extra_data: true,
    overwintered: true,
  },
  // zcash_testnet.json
  'Zcash Testnet': {
    coin_name: 'Zcash Testnet',
    coin_shortcut: 'TAZ',
    slip44: 1,
    address_type: 7461,
    address_type_p2sh: 7354,
    bech32_prefix: null,
    cashaddr_prefix: null,
    xpub_magic: 70617039,
    xpub_magic_segwit_p2sh: null,
    xpub_magic_segwit_native: null,
    segwit: false,
    taproot: false,
    fork_id: null,
    force_bip143: false,
    signed_message_header: 'Zcash Signed Message:\n',
    maxfee_kb: 10000000,
    extra_data: true,
    overwintered: true,
  },
} satisfies Record<string, DeviceCoin>);

/**
 * The coin of a request's coin_name (default Bitcoin), or undefined when the device does not
 * serve it.
 * @example deviceCoin('Regtest')?.bech32_prefix // 'bcrt'
 */
export function deviceCoin(name: string | undefined): DeviceCoin | undefined {
  const key = name ?? 'Bitcoin';
  return Object.prototype.hasOwnProperty.call(DEVICE_COINS, key) ? DEVICE_COINS[key] : undefined;
}
