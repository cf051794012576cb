/**
 * Ethereum on the device: addresses, transactions, EIP-191 messages and EIP-712 typed data
 * (shared PROTOCOL.md §8). Each function checks its parameters before anything reaches the
 * device (InvalidParameters / NotSupported), runs its message flow inside one
 * `trezor.exclusive` block, and verifies what the device returned before handing it back:
 * every signature is recovered on the host and must come from the path's address
 * (VerificationFailed otherwise).
 *
 * The path's address is learnt once per session with a silent EthereumGetAddress and cached
 * per device object, session id and path.
 *
 * Model differences handled here (PROTOCOL.md §12):
 *  - EIP-1559 needs Trezor One ≥ 1.10.4 / Core ≥ 2.4.2;
 *  - EIP-712: Core ≥ 2.4.3 streams the whole structure (EthereumSignTypedData); the Trezor One
 *    (≥ 1.10.5) signs the two hashes computed on the host (EthereumSignTypedHash);
 *  - legacy chain ids above 2147483629 come back with v = parity only.
 */
import {
  SigningKey,
  computeAddress,
  computeHmac,
  concat,
  getAddress as checksumAddress,
  getBytes,
  hashMessage,
  hexlify,
  recoverAddress,
  toBeHex,
  toUtf8Bytes,
  verifyMessage as ethersVerifyMessage,
} from 'ethers';
import type { BytesLike, SignatureLike, TransactionLike } from 'ethers';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import { modelFamily } from '../models.js';
import { encodeXpub } from '../bitcoin/xpub.js';
import { HARDENED, checkAddressPath, parsePath, type Path } from '../path.js';
import { firmwareAtLeast, requireFirmware } from '../session/firmware.js';
import { cancelOnHostError, expectType, type CallFn, type Trezor } from '../session/trezor.js';
import { applySignature, planTransaction, DATA_CHUNK_SIZE } from './tx.js';
import { prepareTypedData, structAck, valueAck, type TypedDataInput } from './typed-data.js';

/** First firmware with EIP-1559 transactions (Trezor One / Core). */
const EIP1559_SINCE = { one: [1, 10, 4], core: [2, 4, 2] } as const;
/** First firmware with EIP-712: EthereumSignTypedHash on the Trezor One, EthereumSignTypedData on Core. */
const TYPED_DATA_SINCE = { one: [1, 10, 5], core: [2, 4, 3] } as const;

/**
 * Signed network / token definitions (PROTOCOL.md §8.5), passed through to the device as
 * given: this library never fetches them. Needed on firmware ≥ 1.13 / 2.6 for chains and tokens
 * the firmware does not know. Hex strings or bytes.
 */
export interface EthereumDefinitions {
  encodedNetwork?: BytesLike;
  encodedToken?: BytesLike;
}

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
 * The address at `addressN` without the screen, to hold a shown address against: derived on the
 * host from the verified public key of its hardened prefix (m/44'/60'/0' for m/44'/60'/0'/0/i),
 * or asked again silently when the path has no unhardened tail under an account-deep prefix.
 */
async function silentAddress(trezor: Trezor, addressN: number[], signal?: AbortSignal): Promise<string> {
  let cut = addressN.length;
  while (cut > 0 && addressN[cut - 1]! < HARDENED) cut--;
  if (cut >= 3 && cut < addressN.length) {
    const parent = await getPublicKey(trezor, { path: addressN.slice(0, cut), signal });
    // BIP-32 CKDpub on ethers' own primitives (no second curve library in the bundle):
    // I = HMAC-SHA512(c, K ‖ ser32(i)); K' = IL·G + K; c' = IR.
    let key = parent.publicKey;
    let chain = parent.chainCode;
    for (const index of addressN.slice(cut)) {
      const I = getBytes(computeHmac('sha512', chain, concat([key, toBeHex(index, 4)])));
      key = SigningKey.addPoints(SigningKey.computePublicKey(I.subarray(0, 32), true), key, true);
      chain = hexlify(I.subarray(32));
    }
    return computeAddress(key);
  }
  const answer = await trezor.typedCall('EthereumGetAddress', { address_n: addressN, show_display: false }, 'EthereumAddress', { signal });
  return addressFromAnswer(answer);
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
  const definitions = definitionsField(parameters.definitions);
  const answer = await trezor.typedCall(
    'EthereumGetAddress',
    {
      address_n: addressN,
      show_display: !!parameters.show,
      ...(definitions?.encoded_network ? { encoded_network: definitions.encoded_network } : {}),
      ...(parameters.chunkify !== undefined ? { chunkify: parameters.chunkify } : {}),
    },
    'EthereumAddress',
    { signal: parameters.signal },
  );
  const address = addressFromAnswer(answer);
  if (parameters.show === true) {
    const derived = await silentAddress(trezor, addressN, parameters.signal);
    if (derived !== address) throw new TrezorError('VerificationFailed', `The device showed ${address}, but the path's key gives ${derived}`);
  }
  rememberAddress(trezor, addressN, address);
  return address;
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
  const publicKey = hexlify(node.public_key);
  return {
    xpub: answer.xpub,
    publicKey,
    chainCode: hexlify(node.chain_code),
    depth: node.depth,
    fingerprint: node.fingerprint,
    childNum: node.child_num,
    address: computeAddress(publicKey),
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
  if (plan.type === 2) requireFirmware(trezor.features, EIP1559_SINCE.one, EIP1559_SINCE.core, 'EIP-1559 transactions');
  const { signal } = parameters;

  const signed = await trezor.exclusive(async (call) => {
    const expected = await pathAddress(trezor, call, addressN, signal);
    if (plan.from && plan.from !== expected) {
      throw invalidParameter('tx.from', `${plan.from} is not the address of this path (${expected})`);
    }
    const extra = {
      address_n: addressN,
      ...(definitions ? { definitions } : {}),
      ...(parameters.chunkify !== undefined ? { chunkify: parameters.chunkify } : {}),
    };
    // The calldata loop: the device asks for chunks until it answers with the signature.
    const final = await cancelOnHostError(call, async (call) => {
      let reply =
        plan.type === 0
          ? await call('EthereumSignTx', { ...plan.fields, ...extra }, { signal })
          : await call('EthereumSignTxEIP1559', { ...plan.fields, ...extra }, { signal });
      let offset = Math.min(plan.data.length, DATA_CHUNK_SIZE);
      for (;;) {
        const request = expectType(reply, 'EthereumTxRequest');
        if (request.data_length === undefined || request.data_length === null) {
          if (offset !== plan.data.length) throw new TrezorError('ProtocolError', `The device signed after ${offset} of ${plan.data.length} data bytes`);
          return request;
        }
        const wanted = request.data_length;
        if (wanted < 1 || wanted > DATA_CHUNK_SIZE || offset + wanted > plan.data.length) {
          throw new TrezorError('ProtocolError', `The device asked for ${wanted} more data bytes, ${plan.data.length - offset} are left`);
        }
        const chunk = plan.data.subarray(offset, offset + wanted);
        offset += wanted;
        reply = await call('EthereumTxAck', { data_chunk: chunk }, { signal });
      }
    });
    const tx = applySignature(plan, final.signature_v ?? undefined, final.signature_r ?? undefined, final.signature_s ?? undefined);
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
  });
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
  const definitions = definitionsField(parameters.definitions);
  const { signal } = parameters;
  return trezor.exclusive(async (call) => {
    const expected = await pathAddress(trezor, call, addressN, signal);
    const answer = expectType(
      await call(
        'EthereumSignMessage',
        { address_n: addressN, message, ...(definitions?.encoded_network ? { encoded_network: definitions.encoded_network } : {}) },
        { signal },
      ),
      'EthereumMessageSignature',
    );
    return checkSignature(answer.signature, hashMessage(message), expected, answer.address);
  });
}

/**
 * EIP-712 typed data signature (eth_signTypedData_v4), 0x-hex r ‖ s ‖ v.
 * @example const signature = await signTypedData(trezor, { path, domain, types, message })
 */
export async function signTypedData(trezor: Trezor, parameters: SignTypedDataParameters): Promise<string> {
  const addressN = parsePath(parameters?.path);
  checkAddressPath(addressN);
  const prepared = prepareTypedData(parameters);
  const definitions = definitionsField(parameters.definitions);
  const { signal } = parameters;
  const one = isTrezorOne(trezor);
  // Trezor One: EthereumSignTypedHash since 1.10.5; Core: the full EthereumSignTypedData since 2.4.3.
  requireFirmware(trezor.features, TYPED_DATA_SINCE.one, TYPED_DATA_SINCE.core, 'EIP-712 typed data');

  return trezor.exclusive(async (call) => {
    const expected = await pathAddress(trezor, call, addressN, signal);
    let answer;
    if (one) {
      answer = expectType(
        await call(
          'EthereumSignTypedHash',
          {
            address_n: addressN,
            domain_separator_hash: getBytes(prepared.domainSeparator),
            ...(prepared.messageHash ? { message_hash: getBytes(prepared.messageHash) } : {}),
            ...(definitions?.encoded_network ? { encoded_network: definitions.encoded_network } : {}),
          },
          { signal },
        ),
        'EthereumTypedDataSignature',
      );
    } else {
      // The struct/value questions: answers come from the prepared data; a question it cannot
      // answer is a host error mid-flow, so the device is cancelled.
      answer = await cancelOnHostError(call, async (call) => {
        let reply = await call(
          'EthereumSignTypedData',
          { address_n: addressN, primary_type: prepared.primaryType, metamask_v4_compat: true, ...(definitions ? { definitions } : {}) },
          { signal },
        );
        for (;;) {
          if (reply.type === 'EthereumTypedDataStructRequest') {
            reply = await call('EthereumTypedDataStructAck', structAck(prepared, reply.message.name), { signal });
          } else if (reply.type === 'EthereumTypedDataValueRequest') {
            reply = await call('EthereumTypedDataValueAck', { value: valueAck(prepared, reply.message.member_path ?? []) }, { signal });
          } else {
            return expectType(reply, 'EthereumTypedDataSignature');
          }
        }
      });
    }
    return checkSignature(answer.signature, prepared.digest, expected, answer.address);
  });
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

/**
 * True for the Trezor One (legacy firmware, model family 1), which lacks full EIP-712.
 * @example isTrezorOne(trezor) // true on a T1B1
 */
export function isTrezorOne(trezor: Trezor): boolean {
  return modelFamily(trezor.features) === 1;
}

/**
 * Whether the connected firmware signs EIP-1559 transactions (T1 ≥ 1.10.4, Core ≥ 2.4.2).
 * @example const tx = supportsEip1559(trezor) ? { ...base, maxFeePerGas, maxPriorityFeePerGas } : { ...base, gasPrice }
 */
export function supportsEip1559(trezor: Trezor): boolean {
  return firmwareAtLeast(trezor.features, EIP1559_SINCE.one, EIP1559_SINCE.core);
}

// ---------------------------------------------------------------------------------------------

/** Addresses by device object, then "session:path". */
const addressCache = /* @__PURE__ */ new WeakMap<Trezor, Map<string, string>>();

function cacheKey(trezor: Trezor, addressN: readonly number[]): string {
  // The session's own id, not features.session_id: GetFeatures answers may omit it, and then
  // two sessions (two passphrase wallets) would share one entry.
  const session = trezor.sessionId;
  return `${session ? hexlify(session) : '-'}:${addressN.join('/')}`;
}

function rememberAddress(trezor: Trezor, addressN: readonly number[], address: string): void {
  let cache = addressCache.get(trezor);
  if (!cache) addressCache.set(trezor, (cache = new Map()));
  cache.set(cacheKey(trezor, addressN), address);
}

/** The path's address, from the cache or a silent EthereumGetAddress inside the caller's flow. */
async function pathAddress(trezor: Trezor, call: CallFn, addressN: number[], signal: AbortSignal | undefined): Promise<string> {
  const cached = addressCache.get(trezor)?.get(cacheKey(trezor, addressN));
  if (cached) return cached;
  const answer = expectType(await call('EthereumGetAddress', { address_n: addressN, show_display: false }, { signal }), 'EthereumAddress');
  const address = addressFromAnswer(answer);
  rememberAddress(trezor, addressN, address);
  return address;
}

function addressFromAnswer(answer: { address?: string | null; _old_address?: Uint8Array | null }): string {
  const raw = answer.address ?? (answer._old_address ? hexlify(answer._old_address) : undefined);
  if (typeof raw !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(raw)) {
    throw new TrezorError('ProtocolError', 'EthereumAddress without a valid address');
  }
  // Checksum it ourselves: RSK paths come back with the RSKIP-60 checksum, not EIP-55.
  return checksumAddress(`0x${raw.replace(/^0x/, '').toLowerCase()}`);
}

/** r ‖ s ‖ v signature → recovered signer must equal both the path's and the device's address. */
function checkSignature(signature: Uint8Array | undefined, digest: string, expected: string, deviceAddress: string | undefined): string {
  if (!signature || signature.length !== 65 || (signature[64] !== 27 && signature[64] !== 28)) {
    throw new TrezorError('VerificationFailed', 'The device returned a malformed signature');
  }
  const hex = hexlify(signature);
  let recovered: string;
  try {
    recovered = recoverAddress(digest, hex);
  } catch (cause) {
    throw new TrezorError('VerificationFailed', 'The device signature does not recover to any key', { cause });
  }
  if (recovered !== expected) {
    throw new TrezorError('VerificationFailed', `The signature recovers to ${recovered}, not to the path's address ${expected}`);
  }
  if (deviceAddress !== undefined && deviceAddress.toLowerCase().replace(/^0x/, '') !== expected.toLowerCase().slice(2)) {
    throw new TrezorError('VerificationFailed', `The device reports address ${deviceAddress} for a signature by ${expected}`);
  }
  return hex;
}

function messageBytes(message: string | Uint8Array, field: string): Uint8Array {
  if (typeof message === 'string') return toUtf8Bytes(message);
  if (message instanceof Uint8Array) return message;
  throw invalidParameter(field, 'expected a string or a Uint8Array');
}

function definitionsField(definitions: EthereumDefinitions | undefined): { encoded_network?: Uint8Array; encoded_token?: Uint8Array } | undefined {
  if (definitions === undefined) return undefined;
  if (typeof definitions !== 'object' || definitions === null) throw invalidParameter('definitions', 'expected { encodedNetwork?, encodedToken? }');
  const out: { encoded_network?: Uint8Array; encoded_token?: Uint8Array } = {};
  for (const [key, wire] of [['encodedNetwork', 'encoded_network'], ['encodedToken', 'encoded_token']] as const) {
    const value = definitions[key];
    if (value === undefined) continue;
    try {
      out[wire] = getBytes(value);
    } catch {
      throw invalidParameter(`definitions.${key}`, 'expected hex or bytes of a signed definition');
    }
  }
  return Object.keys(out).length ? out : undefined;
}
