/**
 * The Ethereum message flows on the device, with no ethers: address, transaction (with the
 * calldata loop), EIP-191 message and EIP-712 typed data (shared PROTOCOL.md §8). Each runs
 * inside one `trezor.exclusive` block and checks what the device returned with @noble
 * (./crypto.ts): every signature must recover to the path's address (VerificationFailed
 * otherwise). `trezor-direct/ethereum` (ethers) and `trezor-direct/viem` are thin layers over
 * these; each brings its own transaction shape and EIP-712 hashing.
 *
 * The path's address is learnt once per session with a silent EthereumGetAddress and cached
 * per device object, session id and path.
 *
 * Model differences handled here (PROTOCOL.md §12):
 *  - EIP-1559 needs Trezor One ≥ 1.10.4 / Core ≥ 2.4.2;
 *  - EIP-712: Core ≥ 2.4.3 streams the whole structure (EthereumSignTypedData); the Trezor One
 *    (≥ 1.10.5) signs the two hashes computed on the host (EthereumSignTypedHash).
 */
import { TrezorError, invalidParameter } from '../errors.js';
import { modelFamily } from '../models.js';
import { firmwareAtLeast, requireFirmware } from '../session/firmware.js';
import { cancelOnHostError, expectType, type CallFn, type Trezor } from '../session/trezor.js';
import { bytesOf, checksumAddress, personalMessageHash, recoverAddress, toHex } from './crypto.js';
import { structAck, valueAck, type PreparedTypedData } from './eip712.js';
import { DATA_CHUNK_SIZE, type TransactionRequestFields } from './tx-fields.js';

/** First firmware with EIP-1559 transactions (Trezor One / Core). */
export const EIP1559_SINCE = { one: [1, 10, 4], core: [2, 4, 2] } as const;
/** First firmware with EIP-712: EthereumSignTypedHash on the Trezor One, EthereumSignTypedData on Core. */
export const TYPED_DATA_SINCE = { one: [1, 10, 5], core: [2, 4, 3] } as const;

/**
 * Signed network / token definitions (PROTOCOL.md §8.5), passed through to the device as
 * given: this library never fetches them. Needed on firmware ≥ 1.13 / 2.6 for chains and tokens
 * the firmware does not know. Hex strings or bytes.
 */
export interface EthereumDefinitions {
  encodedNetwork?: string | Uint8Array;
  encodedToken?: string | Uint8Array;
}

/** Definitions as the wire takes them. */
export interface DefinitionsField {
  encoded_network?: Uint8Array;
  encoded_token?: Uint8Array;
}

/** Options every signing flow takes. */
export interface FlowOptions {
  definitions?: DefinitionsField | undefined;
  signal?: AbortSignal | undefined;
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

/**
 * Check `definitions` and turn them into wire fields (undefined when there are none).
 * @example definitionsField({ encodedNetwork: '0x…' }) // { encoded_network: Uint8Array }
 */
export function definitionsField(definitions: EthereumDefinitions | undefined): DefinitionsField | undefined {
  if (definitions === undefined) return undefined;
  if (typeof definitions !== 'object' || definitions === null) throw invalidParameter('definitions', 'expected { encodedNetwork?, encodedToken? }');
  const out: DefinitionsField = {};
  for (const [key, wire] of [['encodedNetwork', 'encoded_network'], ['encodedToken', 'encoded_token']] as const) {
    const value = definitions[key];
    if (value === undefined) continue;
    try {
      out[wire] = bytesOf(value, `definitions.${key}`);
    } catch {
      throw invalidParameter(`definitions.${key}`, 'expected hex or bytes of a signed definition');
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * EthereumGetAddress: the EIP-55 address at `addressN` (remembered for the signing flows).
 * @example await requestAddress(trezor, parsePath("m/44'/60'/0'/0/0"), { show: true })
 */
export async function requestAddress(
  trezor: Trezor,
  addressN: number[],
  options: FlowOptions & {
    show?: boolean | undefined;
    chunkify?: boolean | undefined;
    /** Runs before the address is remembered for the signing flows; throws to refuse it. */
    check?: (address: string) => Promise<void>;
  } = {},
): Promise<string> {
  const network = options.definitions?.encoded_network;
  const answer = await trezor.typedCall(
    'EthereumGetAddress',
    {
      address_n: addressN,
      show_display: !!options.show,
      ...(network ? { encoded_network: network } : {}),
      ...(options.chunkify !== undefined ? { chunkify: options.chunkify } : {}),
    },
    'EthereumAddress',
    { signal: options.signal },
  );
  const address = addressFromAnswer(answer);
  await options.check?.(address);
  rememberAddress(trezor, addressN, address);
  return address;
}

/**
 * EthereumGetAddress for several paths in one exclusive flow (no screen): one address per path,
 * in order, each remembered for the signing flows.
 * @example await requestAddresses(trezor, [parsePath("m/44'/60'/0'/0/0"), parsePath("m/44'/60'/0'/0/1")], {})
 */
export async function requestAddresses(trezor: Trezor, paths: readonly number[][], options: FlowOptions = {}): Promise<string[]> {
  const network = options.definitions?.encoded_network;
  return trezor.exclusive(async (call) => {
    const addresses: string[] = [];
    for (const addressN of paths) {
      const message = { address_n: addressN, show_display: false, ...(network ? { encoded_network: network } : {}) };
      const address = addressFromAnswer(expectType(await call('EthereumGetAddress', message, { signal: options.signal }), 'EthereumAddress'));
      rememberAddress(trezor, addressN, address);
      addresses.push(address);
    }
    return addresses;
  });
}

/** What the device signed a transaction with, as it returned it. */
export interface DeviceTxSignature {
  v: number | undefined;
  r: Uint8Array | undefined;
  s: Uint8Array | undefined;
}

/**
 * EthereumSignTx / EthereumSignTxEIP1559 with the calldata loop. `finish` gets the device's
 * (v, r, s) and the path's address, inside the same exclusive block, and must verify them.
 * `from`, when given, must be the path's address (InvalidParameters 'tx.from').
 * @example await signTransactionFlow(trezor, addressN, transactionFields(values), {}, (sig, expected) => serialize(sig))
 */
export async function signTransactionFlow<T>(
  trezor: Trezor,
  addressN: number[],
  request: TransactionRequestFields,
  options: FlowOptions & { chunkify?: boolean | undefined; from?: string | undefined },
  finish: (signature: DeviceTxSignature, expected: string) => T,
): Promise<T> {
  if (request.type === 2) requireFirmware(trezor.features, EIP1559_SINCE.one, EIP1559_SINCE.core, 'EIP-1559 transactions');
  const { signal, definitions } = options;
  return trezor.exclusive(async (call) => {
    const expected = await pathAddress(trezor, call, addressN, signal);
    if (options.from && options.from !== expected) {
      throw invalidParameter('tx.from', `${options.from} is not the address of this path (${expected})`);
    }
    const extra = {
      address_n: addressN,
      ...(definitions ? { definitions } : {}),
      ...(options.chunkify !== undefined ? { chunkify: options.chunkify } : {}),
    };
    // The calldata loop: the device asks for chunks until it answers with the signature.
    const final = await cancelOnHostError(call, async (call) => {
      let reply =
        request.type === 0
          ? await call('EthereumSignTx', { ...request.fields, ...extra }, { signal })
          : await call('EthereumSignTxEIP1559', { ...request.fields, ...extra }, { signal });
      let offset = Math.min(request.data.length, DATA_CHUNK_SIZE);
      for (;;) {
        const answer = expectType(reply, 'EthereumTxRequest');
        if (answer.data_length === undefined || answer.data_length === null) {
          if (offset !== request.data.length) throw new TrezorError('ProtocolError', `The device signed after ${offset} of ${request.data.length} data bytes`);
          return answer;
        }
        const wanted = answer.data_length;
        if (wanted < 1 || wanted > DATA_CHUNK_SIZE || offset + wanted > request.data.length) {
          throw new TrezorError('ProtocolError', `The device asked for ${wanted} more data bytes, ${request.data.length - offset} are left`);
        }
        const chunk = request.data.subarray(offset, offset + wanted);
        offset += wanted;
        reply = await call('EthereumTxAck', { data_chunk: chunk }, { signal });
      }
    });
    return finish({ v: final.signature_v ?? undefined, r: final.signature_r ?? undefined, s: final.signature_s ?? undefined }, expected);
  });
}

/**
 * EthereumSignMessage (EIP-191 personal_sign; the device adds the prefix): the 65-byte
 * signature r ‖ s ‖ v as 0x-hex, v ∈ {27, 28}, verified on the host.
 * @example await signMessageFlow(trezor, addressN, utf8ToBytes('hello'), {})
 */
export async function signMessageFlow(trezor: Trezor, addressN: number[], message: Uint8Array, options: FlowOptions): Promise<string> {
  const { signal, definitions } = options;
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
    return checkSignature(answer.signature, personalMessageHash(message), expected, answer.address);
  });
}

/**
 * EIP-712 on the device: the struct/value loop (EthereumSignTypedData) on Core, the two hashes
 * (EthereumSignTypedHash) on the Trezor One. Returns r ‖ s ‖ v as 0x-hex, verified on the host.
 * @example await signTypedDataFlow(trezor, addressN, prepared, {})
 */
export async function signTypedDataFlow(trezor: Trezor, addressN: number[], prepared: PreparedTypedData, options: FlowOptions): Promise<string> {
  const { signal, definitions } = options;
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
            domain_separator_hash: bytesOf(prepared.domainSeparator, 'typedData'),
            ...(prepared.messageHash ? { message_hash: bytesOf(prepared.messageHash, 'typedData') } : {}),
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
    return checkSignature(answer.signature, bytesOf(prepared.digest, 'typedData'), expected, answer.address);
  });
}

// ---------------------------------------------------------------------------------------------

/** Addresses by device object, then "session:path". */
const addressCache = /* @__PURE__ */ new WeakMap<Trezor, Map<string, string>>();

function cacheKey(trezor: Trezor, addressN: readonly number[]): string {
  // The session's own id, not features.session_id: GetFeatures answers may omit it, and then
  // two sessions (two passphrase wallets) would share one entry.
  const session = trezor.sessionId;
  return `${session ? toHex(session) : '-'}:${addressN.join('/')}`;
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
  const raw = answer.address ?? (answer._old_address ? toHex(answer._old_address) : undefined);
  if (typeof raw !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(raw)) {
    throw new TrezorError('ProtocolError', 'EthereumAddress without a valid address');
  }
  // Checksum it ourselves: RSK paths come back with the RSKIP-60 checksum, not EIP-55.
  return checksumAddress(raw);
}

/** r ‖ s ‖ v signature → recovered signer must equal both the path's and the device's address. */
function checkSignature(signature: Uint8Array | undefined, digest: Uint8Array, expected: string, deviceAddress: string | undefined): string {
  if (!signature || signature.length !== 65 || (signature[64] !== 27 && signature[64] !== 28)) {
    throw new TrezorError('VerificationFailed', 'The device returned a malformed signature');
  }
  const recovered = recoverAddress(digest, signature.subarray(0, 32), signature.subarray(32, 64), signature[64] - 27);
  if (recovered !== expected) {
    throw new TrezorError('VerificationFailed', `The signature recovers to ${recovered}, not to the path's address ${expected}`);
  }
  if (deviceAddress !== undefined && deviceAddress.toLowerCase().replace(/^0x/, '') !== expected.toLowerCase().slice(2)) {
    throw new TrezorError('VerificationFailed', `The device reports address ${deviceAddress} for a signature by ${expected}`);
  }
  return toHex(signature);
}
