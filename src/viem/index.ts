/**
 * `trezor-direct/viem`: a Trezor for viem apps, with no ethers.
 *
 *  - trezorAccount: a viem Account (address, signMessage, signTransaction, signTypedData) for
 *    `createWalletClient({ account, transport })`;
 *  - createTrezorProvider: an EIP-1193 provider over any `request()`-style RPC (a viem
 *    transport, `window.ethereum`-shaped node clients), for dapps that take a provider;
 *  - announceTrezorProvider (also in `trezor-direct/ethereum`): EIP-6963 discovery.
 *
 * viem is an optional peer dependency: the app's own copy is used, never bundled.
 *
 * @example
 * import { connect, webUsb } from 'trezor-direct';
 * import { trezorAccount } from 'trezor-direct/viem';
 * const trezor = await connect({ transport: webUsb() });
 * const account = await trezorAccount(trezor, { path: "m/44'/60'/0'/0/0" });
 */
export { trezorAccount, viemTransactionValues, DEFAULT_PATH, type TrezorAccount, type TrezorAccountOptions } from './account.js';
export {
  createTrezorProvider,
  ProviderRpcError,
  toProviderError,
  type CreateTrezorProviderParameters,
  type Eip1193Rpc,
  type TrezorProvider,
  type TrezorProviderEvent,
} from './provider.js';
export {
  announceTrezorProvider,
  TREZOR_DIRECT_ICON,
  TREZOR_PROVIDER_INFO,
  type AnnounceTrezorProviderParameters,
  type Eip6963ProviderInfo,
} from '../ethereum/eip6963.js';
