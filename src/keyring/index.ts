/**
 * `trezor-direct/keyring`: MetaMask's Trezor keyring (`@metamask/eth-trezor-keyring`) on
 * trezor-direct, with no Trezor Connect popup. `createKeyringBridge()` returns the bridge object
 * that `new TrezorKeyring({ bridge })` takes; the keyring package stays the app's own (an
 * optional peer), this entry never imports it.
 *
 * @example
 * import { TrezorKeyring } from '@metamask/eth-trezor-keyring';
 * import { webUsb } from 'trezor-direct';
 * import { createKeyringBridge } from 'trezor-direct/keyring';
 * const keyring = new TrezorKeyring({ bridge: createKeyringBridge({ transport: webUsb() }) });
 * await keyring.init();
 * const accounts = await keyring.addAccounts(1);
 */
export {
  createKeyringBridge,
  type BridgePublicKey,
  type BridgeResponse,
  type BridgeSignedTx,
  type BridgeTransaction,
  type BridgeTypedDataParameters,
  type CreateKeyringBridgeParameters,
  type TrezorKeyringBridge,
} from './bridge.js';
