/**
 * `trezor-direct/connect-web`: the same coin-level calls as `trezor-direct/bitcoin` and
 * `trezor-direct/ethereum`, carried by a Trezor Connect object that the app installs and passes
 * in: the fallback for browsers with neither WebUSB nor WebHID (Firefox, Safari), where Connect
 * reaches the device through Trezor Suite / Bridge and its popup. Parameters, results and error
 * codes (TrezorError) are those of the direct functions, and what comes back is verified on the
 * host in the same way. `@trezor/connect-web` (or `@trezor/connect` in Node) stays the app's
 * own optional peer: this entry imports nothing from it (its licence forbids bundling it), and
 * needs `ethers` and `@scure/btc-signer` as the two coin entries do.
 *
 * @example
 * import TrezorConnect from '@trezor/connect-web';
 * import { fromTrezorConnect } from 'trezor-direct/connect-web';
 * await TrezorConnect.init({ manifest: { appName: 'My dapp', email: 'dev@example.com', appUrl: location.origin } });
 * const trezor = fromTrezorConnect(TrezorConnect);
 * const address = await trezor.ethereum.getAddress({ path: "m/44'/60'/0'/0/0" });
 * const { txid } = await trezor.bitcoin.signPsbt(psbt, { coin: 'Testnet' });
 */
export { fromTrezorConnect, type TrezorConnectAdapter } from './adapter.js';
export { fromConnectFailure, toConnectCode, type ConnectErrorCode } from './codes.js';
export type { ConnectBitcoin } from './bitcoin.js';
export type { ConnectEthereum } from './ethereum.js';
export type {
  ConnectEthereumTransaction,
  ConnectInputScriptType,
  ConnectRefTransaction,
  ConnectResponse,
  ConnectTxInput,
  ConnectTxOutput,
  TrezorConnectLike,
} from './connect.js';
