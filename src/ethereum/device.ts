/**
 * Ethereum on the device, for ethers users: addresses, transactions (ethers TransactionLike),
 * EIP-191 messages and EIP-712 typed data. Each function checks its parameters before anything
 * reaches the device (InvalidParameters / NotSupported); the message flows themselves, the
 * address cache, the firmware gates and the host-side signature checks are in ./flows.ts,
 * which needs no ethers and is shared with `trezor-direct/viem`. Every signature is recovered
 * on the host and must come from the path's address (VerificationFailed otherwise).
 */
import { getAddress as checksumAddress, verifyMessage as ethersVerifyMessage } from 'ethers';
import type { SignatureLike, TransactionLike } from 'ethers';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import { encodeXpub } from '../bitcoin/xpub.js';
import { checkAddressPath, parsePath, type Path } from '../path.js';
import type { Trezor } from '../session/trezor.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { publicKeyToAddress, toHex } from './crypto.js';
import { definitionsField, requestAddress, signMessageFlow, signTransactionFlow, signTypedDataFlow, type EthereumDefinitions } from './flows.js';
import { applySignature, planTransaction } from './tx.js';
import { prepareTypedData, type TypedDataInput } from './typed-data.js';

export { isTrezorOne, supportsEip1559, type EthereumDefinitions } from './flows.js';

interface CommonParameters {
  /** BIP-32 path, e.g. "m/44'/60'/0'/0/0", or an address_n array. */
  path: Path;
  signal?: AbortSignal;
}

export interface GetAddressParameters extends CommonParameters {
  /** Show the address on the device screen for the user to compare. */
  show?: boolean;
  /** Show it in chunks of 4 characters (newer firmware). */
  chunkify?: boolean;
  definitions?: EthereumDefinitions;
}

export interface GetPublicKeyParameters extends CommonParameters {
  show?: boolean;
}

export interface GetPublicKeyReturnType {
  xpub: string;
  /** 0x-hex, 33 bytes compressed. */
  publicKey: string;
  /** 0x-hex, 32 bytes. */
  chainCode: string;
  depth: number;
  fingerprint: number;
  childNum: number;
  /** The EIP-55 address of this key. */
  address: string;
}

export interface SignTransactionParameters extends CommonParameters {
  /** ethers TransactionLike: legacy (gasPrice) or EIP-1559 (maxFeePerGas, maxPriorityFeePerGas). */
  tx: TransactionLike<string>;
  definitions?: EthereumDefinitions;
  chunkify?: boolean;
}

export interface SignMessageParameters extends CommonParameters {
  /** A string is signed as its UTF-8 bytes (as ethers' signMessage), bytes as they are. */
  message: string | Uint8Array;
  definitions?: EthereumDefinitions;
}

export interface SignTypedDataParameters extends CommonParameters, TypedDataInput {
  definitions?: EthereumDefinitions;
}

export interface VerifyMessageParameters {
  address: string;
  message: string | Uint8Array;
  signature: SignatureLike;
}

/**
 * The EIP-55 checksummed address at `path`.
 * @example const address = await getAddress(trezor, { path: "m/44'/60'/0'/0/0", show: true })
 */
export async function getAddress(trezor: Trezor, parameters: GetAddressParameters): Promise<string> {
  const addressN = parsePath(parameters?.path);
  checkAddressPath(addressN);
  if (parameters.show !== undefined && typeof parameters.show !== 'boolean') {
    throw invalidParameter('show', `expected a boolean, got ${describeValue(parameters.show)}`);
  }
  return requestAddress(trezor, addressN, {
    show: parameters.show,
    chunkify: parameters.chunkify,
    definitions: definitionsField(parameters.definitions),
    signal: parameters.signal,
  });
}

/**
 * The public key (and xpub) at `path`; the firmware allows it for m/44'/coin'/account'/… paths.
 * @example const { xpub } = await getPublicKey(trezor, { path: "m/44'/60'/0'" })
 */
export async function getPublicKey(trezor: Trezor, parameters: GetPublicKeyParameters): Promise<GetPublicKeyReturnType> {
  const addressN = parsePath(parameters?.path);
  const answer = await trezor.typedCall(
    'EthereumGetPublicKey',
    { address_n: addressN, show_display: !!parameters.show },
    'EthereumPublicKey',
    { signal: parameters.signal },
  );
  const node = answer.node;
  if (!node?.public_key || node.public_key.length !== 33 || !node.chain_code) {
    throw new TrezorError('ProtocolError', 'EthereumPublicKey without a 33-byte public key');
  }
  const last = addressN[addressN.length - 1];
  if (node.depth !== addressN.length || (last !== undefined && node.child_num !== last)) {
    throw new TrezorError('VerificationFailed', `The device returned the key of another node (depth ${node.depth}) than the requested path`);
  }
  // The xpub must serialise the node it came with (the firmware uses Bitcoin's xpub version,
  // 0x0488b21e, for Ethereum keys: core/src/apps/ethereum/get_public_key.py).
  const serialised =
    node.chain_code.length === 32
      ? encodeXpub({ version: 0x0488b21e, depth: node.depth, parentFingerprint: node.fingerprint, childNumber: node.child_num, chainCode: node.chain_code, publicKey: node.public_key })
      : undefined;
  if (answer.xpub !== serialised) throw new TrezorError('VerificationFailed', 'The extended key the device returned does not match its node');
  const publicKey = toHex(node.public_key);
  return {
    xpub: answer.xpub,
    publicKey,
    chainCode: toHex(node.chain_code),
    depth: node.depth,
    fingerprint: node.fingerprint,
    childNum: node.child_num,
    address: publicKeyToAddress(node.public_key),
  };
}

/**
 * Sign a transaction; returns the signed, serialized transaction (0x…), ready for
 * eth_sendRawTransaction.
 * @example const raw = await signTransaction(trezor, { path, tx: { chainId: 1, nonce: 0, gasLimit: 21000, maxFeePerGas, maxPriorityFeePerGas, to, value } })
 */
export async function signTransaction(trezor: Trezor, parameters: SignTransactionParameters): Promise<string> {
  const addressN = parsePath(parameters?.path);
  checkAddressPath(addressN);
  const plan = planTransaction(parameters?.tx);
  const definitions = definitionsField(parameters.definitions);
  const signed = await signTransactionFlow(
    trezor,
    addressN,
    plan,
    { definitions, signal: parameters.signal, chunkify: parameters.chunkify, from: plan.from },
    ({ v, r, s }, expected) => {
      const tx = applySignature(plan, v, r, s);
      // Recovery itself throws (a plain Error from the curve code) when r is not a point's x.
      let from: string | null;
      try {
        from = tx.from;
      } catch (cause) {
        throw new TrezorError('VerificationFailed', 'The transaction signature does not recover to any key', { cause });
      }
      if (from !== expected) {
        throw new TrezorError('VerificationFailed', `The transaction signature recovers to ${String(from)}, not to ${expected}`);
      }
      return tx;
    },
  );
  return signed.serialized;
}

/**
 * EIP-191 personal_sign of `message` (the device adds the "\x19Ethereum Signed Message:\n"
 * prefix); returns the 65-byte signature r ‖ s ‖ v as 0x-hex, v ∈ {27, 28}.
 * @example const signature = await signMessage(trezor, { path, message: 'hello' })
 */
export async function signMessage(trezor: Trezor, parameters: SignMessageParameters): Promise<string> {
  const addressN = parsePath(parameters?.path);
  checkAddressPath(addressN);
  const message = messageBytes(parameters.message, 'message');
  return signMessageFlow(trezor, addressN, message, { definitions: definitionsField(parameters.definitions), signal: parameters.signal });
}

/**
 * EIP-712 typed data signature (eth_signTypedData_v4), 0x-hex r ‖ s ‖ v.
 * @example const signature = await signTypedData(trezor, { path, domain, types, message })
 */
export async function signTypedData(trezor: Trezor, parameters: SignTypedDataParameters): Promise<string> {
  const addressN = parsePath(parameters?.path);
  checkAddressPath(addressN);
  const prepared = prepareTypedData(parameters);
  return signTypedDataFlow(trezor, addressN, prepared, { definitions: definitionsField(parameters.definitions), signal: parameters.signal });
}

/**
 * Check an EIP-191 signature on the host (no device): true when it recovers to `address`.
 * @example verifyMessage({ address, message: 'hello', signature }) // true
 */
export function verifyMessage(parameters: VerifyMessageParameters): boolean {
  const message = messageBytes(parameters.message, 'message');
  let expected: string;
  try {
    expected = checksumAddress(parameters.address);
  } catch {
    throw invalidParameter('address', 'not a valid Ethereum address');
  }
  try {
    return ethersVerifyMessage(message, parameters.signature) === expected;
  } catch {
    return false;
  }
}

function messageBytes(message: string | Uint8Array, field: string): Uint8Array {
  if (typeof message === 'string') return utf8ToBytes(message);
  if (message instanceof Uint8Array) return message;
  throw invalidParameter(field, 'expected a string or a Uint8Array');
}
