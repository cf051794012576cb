/**
 * The other coins of the Bitcoin family the firmware signs: Bitcoin Cash, Bitcoin Gold,
 * Dogecoin, Dash and Zcash (transparent), with the testnets the firmware has.
 *
 * Each is an exported constant that the app passes as `coin` (`getAddress(trezor, { path,
 * coin: BCASH })`), not a row of a table looked up by name: an app that signs Bitcoin only
 * bundles none of them, and an app that imports BCASH bundles CashAddr but not Zcash.
 *
 * Source: trezor-firmware common/defs/bitcoin/{bcash, bcash_testnet, bgold, bgold_testnet,
 * dogecoin, dash, dash_testnet, zcash, zcash_testnet}.json at tag core/v2.8.9 (the fields kept
 * here are the same at core/v2.4.1 except Dogecoin's minfee_kb and dust_limit, which 2.4.1 had
 * at 100000000 and 99999999). Field by field: coin_name, coin_shortcut, slip44, address_type,
 * address_type_p2sh, bech32_prefix, xpub_magic(_segwit_p2sh/_segwit_native), segwit,
 * signed_message_header, maxfee_kb, minfee_kb, dust_limit, fork_id, cashaddr_prefix,
 * overwintered, extra_data. None of them has taproot. `wif` is not part of the definitions
 * and is left out (the library never handles private keys).
 */
import { cashaddrFormat } from './cashaddr.js';
import type { CoinInfo } from './coins.js';
import { readExtraDataTx } from './prevtx.js';

/**
 * Bitcoin Cash (bcash.json): CashAddr addresses (`bitcoincash:`), replay protection with fork
 * id 0 (every input signed with the BIP-143 digest and SIGHASH_ALL|FORKID, 0x41), no segwit.
 * @example await getAddress(trezor, { path: "m/44'/145'/0'/0/0", coin: BCASH }) // 'bitcoincash:qr08q88p9etk89wgv05nwlrkm4l0urz4cyl36hh9sv'
 */
export const BCASH: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Bcash',
  shortcut: 'BCH',
  slip44: 145,
  pubKeyHash: 0,
  scriptHash: 5,
  xpubVersion: { p2pkh: 76067358 },
  segwit: false,
  taproot: false,
  messageHeader: 'Bitcoin Signed Message:\n',
  maxFeePerKb: 14000000,
  minFeePerKb: 1000,
  dustLimit: 546,
  forkId: 0,
  addressFormat: /* @__PURE__ */ cashaddrFormat('bitcoincash'),
});

/**
 * Bitcoin Cash testnet (bcash_testnet.json): `bchtest:` CashAddr, fork id 0, coin type 1.
 * @example await getAddress(trezor, { path: "m/44'/1'/0'/0/0", coin: BCASH_TESTNET })
 */
export const BCASH_TESTNET: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Bcash Testnet',
  shortcut: 'TBCH',
  slip44: 1,
  pubKeyHash: 111,
  scriptHash: 196,
  xpubVersion: { p2pkh: 70617039 },
  segwit: false,
  taproot: false,
  messageHeader: 'Bitcoin Signed Message:\n',
  maxFeePerKb: 10000000,
  minFeePerKb: 1000,
  dustLimit: 546,
  forkId: 0,
  addressFormat: /* @__PURE__ */ cashaddrFormat('bchtest'),
});

/**
 * Bitcoin Gold (bgold.json): fork id 79 (SIGHASH_ALL|FORKID|79<<8 over the BIP-143 digest for
 * every input), segwit with the `btg` prefix, base58 versions 38 (G…) and 23 (A…).
 * @example await getAddress(trezor, { path: "m/49'/156'/0'/0/0", coin: BGOLD })
 */
export const BGOLD: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Bgold',
  shortcut: 'BTG',
  slip44: 156,
  pubKeyHash: 38,
  scriptHash: 23,
  bech32: 'btg',
  xpubVersion: { p2pkh: 76067358, 'p2sh-p2wpkh': 77429938, p2wpkh: 78792518 },
  segwit: true,
  taproot: false,
  messageHeader: 'Bitcoin Gold Signed Message:\n',
  maxFeePerKb: 380000000,
  minFeePerKb: 1000,
  dustLimit: 546,
  forkId: 79,
});

/**
 * Bitcoin Gold testnet (bgold_testnet.json): `tbtg`, fork id 79, coin type 1.
 * @example await getAddress(trezor, { path: "m/84'/1'/0'/0/0", coin: BGOLD_TESTNET })
 */
export const BGOLD_TESTNET: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Bgold Testnet',
  shortcut: 'TBTG',
  slip44: 1,
  pubKeyHash: 111,
  scriptHash: 196,
  bech32: 'tbtg',
  xpubVersion: { p2pkh: 70617039, 'p2sh-p2wpkh': 71979618, p2wpkh: 73342198 },
  segwit: true,
  taproot: false,
  messageHeader: 'Bitcoin Gold Signed Message:\n',
  maxFeePerKb: 500000,
  minFeePerKb: 1000,
  dustLimit: 546,
  forkId: 79,
});

/**
 * Dogecoin (dogecoin.json): P2PKH/P2SH only (D…/9…), dgub xpubs, a dust limit of 0.01 DOGE
 * (1 000 000 sat) and a minimum relay fee of 100 000 sat/kB.
 * @example await getAddress(trezor, { path: "m/44'/3'/0'/0/0", coin: DOGECOIN })
 */
export const DOGECOIN: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Dogecoin',
  shortcut: 'DOGE',
  slip44: 3,
  pubKeyHash: 30,
  scriptHash: 22,
  xpubVersion: { p2pkh: 49990397 },
  segwit: false,
  taproot: false,
  messageHeader: 'Dogecoin Signed Message:\n',
  maxFeePerKb: 1200000000000,
  minFeePerKb: 100000,
  dustLimit: 1000000,
});

/**
 * Dash (dash.json): P2PKH/P2SH only (X…/7…), drkp xpubs, dust limit 5460 sat; transactions may
 * carry a DIP-2 special payload (extra_data), which previous transactions pass to the device.
 * @example await getAddress(trezor, { path: "m/44'/5'/0'/0/0", coin: DASH }) // 'X…'
 */
export const DASH: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Dash',
  shortcut: 'DASH',
  slip44: 5,
  pubKeyHash: 76,
  scriptHash: 16,
  xpubVersion: { p2pkh: 50221772 },
  segwit: false,
  taproot: false,
  messageHeader: 'DarkCoin Signed Message:\n',
  maxFeePerKb: 45000000,
  minFeePerKb: 1000,
  dustLimit: 5460,
  extraData: readExtraDataTx,
});

/**
 * Dash testnet (dash_testnet.json): y…/8… addresses, coin type 1.
 * @example await getAddress(trezor, { path: "m/44'/1'/0'/0/0", coin: DASH_TESTNET })
 */
export const DASH_TESTNET: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Dash Testnet',
  shortcut: 'tDASH',
  slip44: 1,
  pubKeyHash: 140,
  scriptHash: 19,
  xpubVersion: { p2pkh: 70617039 },
  segwit: false,
  taproot: false,
  messageHeader: 'DarkCoin Signed Message:\n',
  maxFeePerKb: 100000,
  minFeePerKb: 10000,
  dustLimit: 5460,
  extraData: readExtraDataTx,
});

/**
 * Zcash (zcash.json), transparent addresses only (t1…/t3…, two-byte base58 versions 7352 and
 * 7357). Transactions are signed with signZcashTransaction (zcash.ts), not PSBT.
 * @example await getAddress(trezor, { path: "m/44'/133'/0'/0/0", coin: ZCASH }) // 't1…'
 */
export const ZCASH: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Zcash',
  shortcut: 'ZEC',
  slip44: 133,
  pubKeyHash: 7352,
  scriptHash: 7357,
  xpubVersion: { p2pkh: 76067358 },
  segwit: false,
  taproot: false,
  messageHeader: 'Zcash Signed Message:\n',
  maxFeePerKb: 51000000,
  minFeePerKb: 1000,
  dustLimit: 546,
  overwintered: true,
  extraData: readExtraDataTx,
});

/**
 * Zcash testnet (zcash_testnet.json): tm…/t2… addresses (7461, 7354), coin type 1.
 * @example await getAddress(trezor, { path: "m/44'/1'/0'/0/0", coin: ZCASH_TESTNET }) // 'tm…'
 */
export const ZCASH_TESTNET: CoinInfo = /* @__PURE__ */ Object.freeze({
  name: 'Zcash Testnet',
  shortcut: 'TAZ',
  slip44: 1,
  pubKeyHash: 7461,
  scriptHash: 7354,
  xpubVersion: { p2pkh: 70617039 },
  segwit: false,
  taproot: false,
  messageHeader: 'Zcash Signed Message:\n',
  maxFeePerKb: 10000000,
  minFeePerKb: 1000,
  dustLimit: 546,
  overwintered: true,
  extraData: readExtraDataTx,
});
