/**
 * `trezor-direct/ethereum`: Ethereum (and EVM chains) on a Trezor, on top of ethers v6.
 *
 *  - getAddress / getAddresses / getPublicKey: EIP-55 addresses (one, or several in one flow)
 *    and keys of BIP-44 paths;
 *  - signTransaction: legacy EIP-155 and EIP-1559 transactions, any calldata length
 *    (signTransactionDetailed: with the hash and v, r, s);
 *  - signMessage / verifyMessage: EIP-191 personal messages;
 *  - signTypedData: EIP-712 (full structure on Core models, hashes on the Trezor One);
 *  - TrezorSigner: an ethers Signer; createEip1193Provider: a `window.ethereum`-style provider;
 *  - announceTrezorProvider: EIP-6963 discovery of any such provider (no ethers needed).
 *
 * Every signature is recovered on the host and must come from the path's address before it
 * is returned (VerificationFailed otherwise), with @noble over our own RLP of the fields sent
 * to the device. ethers is imported by subpath and only where an ethers object is needed
 * (TrezorSigner, the EIP-1193 provider, EIP-712 hashing, verifyMessage), so a bundle with
 * getAddress + signTransaction holds no ethers code; the core entry never imports ethers.
 *
 * @example
 * import { connect, webUsb } from 'trezor-direct';
 * import { getAddress, signTransaction } from 'trezor-direct/ethereum';
 * const trezor = await connect({ transport: webUsb() });
 * const raw = await signTransaction(trezor, { path: "m/44'/60'/0'/0/0", tx });
 */
export {
  getAddress,
  getAddresses,
  getPublicKey,
  signTransaction,
  signTransactionDetailed,
  signMessage,
  signTypedData,
  verifyMessage,
  supportsEip1559,
  type EthereumDefinitions,
  type GetAddressParameters,
  type GetAddressesParameters,
  type GetPublicKeyParameters,
  type GetPublicKeyReturnType,
  type SignTransactionParameters,
  type SignMessageParameters,
  type SignTypedDataParameters,
  type VerifyMessageParameters,
} from './device.js';
export { TrezorSigner, type TrezorSignerOptions } from './signer.js';
export {
  createEip1193Provider,
  ProviderRpcError,
  type CreateEip1193ProviderParameters,
  type Eip1193Event,
  type RequestArguments,
  type RpcProvider,
  type TrezorEip1193Provider,
} from './provider.js';
export { planTransaction, dataChunkPlan, eip155V, MAX_CHAIN_ID_FULL_V, type SignedTransaction, type TransactionPlan } from './tx.js';
export {
  announceTrezorProvider,
  TREZOR_DIRECT_ICON,
  TREZOR_PROVIDER_INFO,
  type AnnounceTrezorProviderParameters,
  type AnnouncedProvider,
  type Eip6963ProviderInfo,
} from './eip6963.js';
export { prepareTypedData, type PreparedTypedData, type TypedDataInput } from './typed-data.js';
