/**
 * trezor-direct/bitcoin: Bitcoin (and Testnet, Regtest, Litecoin; Bitcoin Cash, Bitcoin Gold,
 * Dogecoin, Dash and Zcash as coin constants) on a Trezor.
 *
 * Addresses and extended keys from the device, account descriptors, unsigned PSBTs with coin
 * selection built on the host, PSBT signing through the firmware's TxRequest/TxAck exchange
 * with every signature verified on the host, and signed messages. Built on
 * @scure/btc-signer; the core entry (`trezor-direct`) does not depend on it.
 *
 * @example
 * import { connect } from 'trezor-direct';
 * import { getAddress, signPsbt } from 'trezor-direct/bitcoin';
 * const address = await getAddress(trezor, { path: "m/84'/0'/0'/0/0", show: true });
 */
export { COINS, getCoin, scriptTypeFromPath, type CoinInfo, type CoinName, type FamilyCoinName, type ScriptType } from './coins.js';
export { BCASH, BCASH_TESTNET, BGOLD, BGOLD_TESTNET, DASH, DASH_TESTNET, DOGECOIN, ZCASH, ZCASH_TESTNET } from './coins-family.js';
export { cashaddrDecode, cashaddrEncode, type AddressFormat } from './cashaddr.js';
export { PREV_TX_KEY, type ParsedPrevTx } from './prevtx.js';
export { getAddress, getAddresses, type GetAddressParameters, type GetAddressesParameters } from './getAddress.js';
export {
  accountDescriptor,
  descriptorChecksum,
  getAccountDescriptor,
  getPublicKey,
  type GetAccountDescriptorParameters,
  type GetPublicKeyParameters,
  type GetPublicKeyReturnType,
} from './getPublicKey.js';
export { type AccountKey } from './accounts.js';
export { createPsbt, dustThreshold, type CreatePsbtParameters, type PsbtOutput, type SelectionStrategy, type Utxo } from './createPsbt.js';
export { signPsbt, type AmountUnit, type SignPsbtParameters, type SignPsbtProgress, type SignPsbtReturnType } from './signPsbt.js';
export { bumpFee, type BumpFeeParameters, type BumpFeeReturnType } from './bumpFee.js';
export { MAX_OP_RETURN_DATA } from './opReturn.js';
export { type OrigTx, type OriginalTransaction } from './replacement.js';
export {
  messageDigest,
  signMessage,
  verifyMessage,
  type SignMessageParameters,
  type SignMessageReturnType,
  type VerifyMessageParameters,
} from './message.js';
export { decodeXpub, encodeXpub, type ExtendedPublicKey } from './xpub.js';
export {
  multisigDescriptor,
  multisigScript,
  type MultisigCosigner,
  type MultisigDescriptorParameters,
  type MultisigParameters,
  type MultisigScriptType,
} from './multisig.js';
export { ownershipProofFields } from './external.js';
export {
  ZCASH_VERSION_GROUP_ID,
  createZcashTransaction,
  signZcashTransaction,
  zip317Fee,
  type CreateZcashParameters,
  type SignZcashParameters,
  type SignZcashReturnType,
  type ZcashInput,
  type ZcashOutput,
  type ZcashTransaction,
} from './zcash.js';
