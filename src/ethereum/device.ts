/**
 * Ethereum on the device, for ethers users: addresses, transactions (ethers TransactionLike),
 * EIP-191 messages and EIP-712 typed data. Each function checks its parameters before anything
 * reaches the device (InvalidParameters / NotSupported); the message flows themselves, the
 * address cache, the firmware gates and the host-side signature checks are in ./flows.ts,
 * which needs no ethers and is shared with `trezor-direct/viem`. Every signature is recovered
 * on the host and must come from the path's address (VerificationFailed otherwise).
 */
import type { SignatureLike, TransactionLike } from 'ethers';
import { verifyMessage as ethersVerifyMessage } from 'ethers/hash';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import { encodeXpub } from '../bitcoin/xpub.js';
import { HARDENED, checkAddressPath, parsePath, type Path } from '../path.js';
import type { Trezor } from '../session/trezor.js';
import { bytesOf, parseAddress, publicKeyToAddress, toHex } from './crypto.js';
import { definitionsField, requestAddress, requestAddresses, signMessageFlow, signTransactionFlow, signTypedDataFlow, type EthereumDefinitions } from './flows.js';
import { planTransaction } from './tx.js';
import { signedTransaction, type SignedTransaction } from './tx-encode.js';
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

export interface GetAddressesParameters {
  /** BIP-32 paths, as getAddress takes them. */
  paths: readonly Path[];
  definitions?: EthereumDefinitions;
  signal?: AbortSignal;
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
    // What the screen showed is held against the address the path's key gives (before the
    // signing flows may remember it).
    check:
      parameters.show === true
        ? async (address) => {
            const derived = await silentAddress(trezor, addressN, parameters.signal);
            if (derived !== address) throw new TrezorError('VerificationFailed', `The device showed ${address}, but the path's key gives ${derived}`);
          }
        : undefined,
  });
}

/**
 * The EIP-55 addresses of several paths, in order, asked silently in one exclusive flow (no
 * other call interleaves; each is remembered for the signing flows, as getAddress does).
 * @example const [a0, a1] = await getAddresses(trezor, { paths: ["m/44'/60'/0'/0/0", "m/44'/60'/0'/0/1"] })
 */
export async function getAddresses(trezor: Trezor, parameters: GetAddressesParameters): Promise<string[]> {
  const paths = parameters?.paths;
  if (!Array.isArray(paths)) throw invalidParameter('paths', `expected an array of paths, got ${describeValue(paths)}`);
  const addressNs = paths.map((path: Path, i: number) => {
    const addressN = parsePath(path, `paths[${i}]`);
    checkAddressPath(addressN, `paths[${i}]`);
    return addressN;
  });
  if (addressNs.length === 0) return [];
  return requestAddresses(trezor, addressNs, { definitions: definitionsField(parameters.definitions), signal: parameters.signal });
}

/**
 * The address at `addressN` without the screen, to hold a shown address against: derived on the
 * host from the verified public key of its hardened prefix (m/44'/60'/0' for m/44'/60'/0'/0/i),
 * or asked again silently when the path has no unhardened tail under an account-deep prefix.
 */
async function silentAddress(trezor: Trezor, addressN: number[], signal?: AbortSignal): Promise<string> {
  let cut = addressN.length;
  while (cut > 0 && addressN[cut - 1]! < HARDENED) cut--;
  if (cut >= 3 && cut < addressN.length) {
    const parent = await getPublicKey(trezor, { path: addressN.slice(0, cut), signal });
    // BIP-32 CKDpub: I = HMAC-SHA512(c, K ‖ ser32(i)); K' = IL·G + K; c' = IR.
    let key = secp256k1.Point.fromBytes(bytesOf(parent.publicKey, 'publicKey'));
    let chain = bytesOf(parent.chainCode, 'chainCode');
    for (const index of addressN.slice(cut)) {
      const I = hmac(sha512, chain, concatBytes(key.toBytes(true), Uint8Array.of(index >>> 24, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff)));
      key = secp256k1.Point.BASE.multiply(secp256k1.Point.Fn.fromBytes(I.subarray(0, 32))).add(key);
      chain = I.subarray(32);
    }
    return publicKeyToAddress(key.toBytes(true));
  }
  return requestAddress(trezor, addressN, { signal });
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
 * eth_sendRawTransaction. The signature is checked on the host first: it must recover, over the
 * payload built from the fields sent to the device, to the path's address (VerificationFailed
 * otherwise). signTransactionDetailed gives the hash and (v, r, s) too.
 * @example const raw = await signTransaction(trezor, { path, tx: { chainId: 1, nonce: 0, gasLimit: 21000, maxFeePerGas, maxPriorityFeePerGas, to, value } })
 */
export async function signTransaction(trezor: Trezor, parameters: SignTransactionParameters): Promise<string> {
  return (await signTransactionDetailed(trezor, parameters)).serialized;
}

/**
 * As signTransaction, with the parts of the result: the serialized transaction, its hash, the
 * recovered signer and the signature (v as serialized: the EIP-155 v for legacy transactions,
 * the y-parity for EIP-1559; yParity in both).
 * @example const { serialized, hash, v, r, s } = await signTransactionDetailed(trezor, { path, tx })
 */
export async function signTransactionDetailed(trezor: Trezor, parameters: SignTransactionParameters): Promise<SignedTransaction> {
  const addressN = parsePath(parameters?.path);
  checkAddressPath(addressN);
  const plan = planTransaction(parameters?.tx);
  const definitions = definitionsField(parameters.definitions);
  return signTransactionFlow(
    trezor,
    addressN,
    plan,
    { definitions, signal: parameters.signal, chunkify: parameters.chunkify, from: plan.from },
    (signature, expected) => signedTransaction(plan, signature, expected),
  );
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
  const address = parameters.address;
  // As ethers' getAddress: the 0x is optional, a mixed-case checksum must be right.
  const expected = parseAddress(typeof address === 'string' && /^[0-9a-fA-F]{40}$/.test(address) ? `0x${address}` : address, 'address');
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
