/**
 * A viem Account whose key lives on a Trezor: `trezorAccount(trezor, { path })` answers
 * viem's custom-account interface (address, signMessage, signTransaction, signTypedData), so
 * `createWalletClient({ account, transport })`, `sendTransaction` and contract writes use the
 * device. viem prepares transactions (nonce, gas, fees); the device flows, wire encoding,
 * signature checks and serialization are the library's ethers-free ones (src/ethereum/flows.ts,
 * tx-encode.ts; a chain's own serializer, when viem passes one, writes the signed bytes):
 * every signature is recovered with @noble and must come from the path's address before it is
 * returned. Nothing here imports ethers.
 *
 * Transaction kinds: legacy (EIP-155) and EIP-1559 are signed; EIP-2930 (type 1), EIP-4844 and
 * EIP-7702 are refused with NotSupported: the firmware has no message for them (it signs only
 * EthereumSignTx and EthereumSignTxEIP1559).
 */
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { hashDomain, hashStruct, validateTypedData } from 'viem';
import type { Hex, LocalAccount, SerializeTransactionFn, SignableMessage, TransactionSerializable, TypedDataDefinition } from 'viem';
import { toAccount } from 'viem/accounts';
import { TrezorError, invalidParameter } from '../errors.js';
import { formatPath, parsePath, type Path } from '../path.js';
import type { Trezor } from '../session/trezor.js';
import { bytesOf, keccak256, parseAddress, recoverAddress, toHex } from '../ethereum/crypto.js';
import { DOMAIN, checkTypedData, type PreparedTypedData, type TypedDataInput } from '../ethereum/eip712.js';
import {
  definitionsField,
  requestAddress,
  signMessageFlow,
  signTransactionFlow,
  signTypedDataFlow,
  type DefinitionsField,
  type EthereumDefinitions,
} from '../ethereum/flows.js';
import { signedTransaction } from '../ethereum/tx-encode.js';
import { optionalQuantity, requiredQuantity, transactionFields, yParityFromDevice, type TransactionValues } from '../ethereum/tx-fields.js';

/** The default account path, BIP-44 account 0, address 0. */
export const DEFAULT_PATH = "m/44'/60'/0'/0/0";

export interface TrezorAccountOptions {
  /** BIP-32 path of the account (default m/44'/60'/0'/0/0). */
  path?: Path;
  /** Signed network / token definitions passed to the device with each request. */
  definitions?: EthereumDefinitions;
  /** Show addresses in chunks of 4 characters when the device displays them (newer firmware). */
  chunkify?: boolean;
}

/**
 * A viem LocalAccount (source 'trezor') with the device and path it signs with. Like every
 * account made with viem's `toAccount`, it has no `publicKey` at run time and no raw `sign`.
 */
export type TrezorAccount = LocalAccount<'trezor'> & {
  /** The account path, as "m/44'/60'/0'/0/0". */
  readonly path: string;
  readonly trezor: Trezor;
};

/**
 * The viem Account of one path on a Trezor; asks the device for the address (no screen).
 * @example
 * const account = await trezorAccount(trezor, { path: "m/44'/60'/0'/0/0" });
 * const client = createWalletClient({ account, chain: mainnet, transport: http() });
 * const hash = await client.sendTransaction({ to, value: parseEther('0.01') });
 */
export async function trezorAccount(trezor: Trezor, options: TrezorAccountOptions = {}): Promise<TrezorAccount> {
  if (!trezor || typeof (trezor as { exclusive?: unknown }).exclusive !== 'function') throw invalidParameter('trezor', 'expected a connected Trezor');
  const addressN = parsePath(options.path ?? DEFAULT_PATH);
  const definitions = definitionsField(options.definitions);
  const address = (await requestAddress(trezor, addressN, { definitions })) as Hex;
  const { chunkify } = options;

  const account = toAccount({
    address,
    async signMessage({ message }: { message: SignableMessage }): Promise<Hex> {
      return (await signMessageFlow(trezor, addressN, messageBytes(message), { definitions })) as Hex;
    },
    async signTransaction(transaction, signOptions): Promise<Hex> {
      const serializer = signOptions?.serializer as SerializeTransactionFn<TransactionSerializable> | undefined;
      return signViemTransaction(trezor, addressN, transaction as TransactionSerializable, serializer, { definitions, chunkify });
    },
    async signTypedData(typedData): Promise<Hex> {
      const prepared = prepareViemTypedData(typedData as unknown as TypedDataDefinition);
      return (await signTypedDataFlow(trezor, addressN, prepared, { definitions })) as Hex;
    },
  });
  return Object.assign(account, { source: 'trezor' as const, path: formatPath(addressN), trezor });
}

/** viem's SignableMessage: text as UTF-8, `{ raw }` as the bytes it holds. */
function messageBytes(message: SignableMessage): Uint8Array {
  if (typeof message === 'string') return utf8ToBytes(message);
  if (typeof message === 'object' && message !== null && 'raw' in message) return bytesOf(message.raw, 'message.raw');
  throw invalidParameter('message', 'expected a string or { raw: hex | bytes }');
}

/**
 * Sign a viem transaction. Without a chain serializer (viem passes one only for chains with
 * their own transaction formats), the library's encoder (src/ethereum/tx-encode.ts) checks the
 * signature over the payload of the fields sent to the device and serializes the result, the
 * same bytes viem's serializeTransaction gives. With one, the signer is recovered from the
 * serializer's own unsigned bytes and the serializer writes the signed transaction.
 */
async function signViemTransaction(
  trezor: Trezor,
  addressN: number[],
  tx: TransactionSerializable,
  serializer: SerializeTransactionFn<TransactionSerializable> | undefined,
  options: { definitions: DefinitionsField | undefined; chunkify: boolean | undefined },
): Promise<Hex> {
  const request = transactionFields(viemTransactionValues(tx));
  return signTransactionFlow(trezor, addressN, request, options, (signature, expected) => {
    if (!serializer) return signedTransaction(request, signature, expected).serialized;
    const { v, r, s } = signature;
    if (v === undefined || !r || !s || r.length !== 32 || s.length !== 32) {
      throw new TrezorError('VerificationFailed', 'The device returned an incomplete transaction signature');
    }
    const yParity = yParityFromDevice(request.type, v, request.chainId);
    if (yParity === undefined) throw new TrezorError('VerificationFailed', `The device returned signature_v ${v}, which does not fit chain id ${request.chainId}`);
    // What the key signed: keccak256 of the unsigned serialization (EIP-155 for legacy, which
    // viem applies when chainId > 0; 0x02 ‖ rlp(…) for EIP-1559).
    const unsigned = bytesOf(serializer(tx), 'tx');
    const recovered = recoverAddress(keccak256(unsigned), r, s, yParity);
    if (recovered !== expected) throw new TrezorError('VerificationFailed', `The transaction signature recovers to ${recovered}, not to ${expected}`);
    return serializer(tx, { r: toHex(r), s: toHex(s), v: BigInt(27 + yParity), yParity });
  });
}

/**
 * A viem TransactionSerializable checked into plain values. Throws InvalidParameters naming the
 * field, or NotSupported for kinds the firmware cannot sign.
 */
export function viemTransactionValues(tx: TransactionSerializable): TransactionValues {
  if (typeof tx !== 'object' || tx === null) throw invalidParameter('tx', 'expected a transaction object');
  const loose = tx as TransactionSerializable & { blobs?: unknown; blobVersionedHashes?: unknown; authorizationList?: unknown };
  let type: 0 | 2;
  const kind = loose.type;
  if (kind === 'legacy') type = 0;
  else if (kind === 'eip1559') type = 2;
  else if (kind === 'eip2930') throw new TrezorError('NotSupported', 'Trezor firmware cannot sign EIP-2930 (type 1) transactions; use EIP-1559 (type 2) with the same access list');
  else if (kind === 'eip4844' || loose.blobs != null || (Array.isArray(loose.blobVersionedHashes) && loose.blobVersionedHashes.length > 0)) {
    throw new TrezorError('NotSupported', 'Trezor firmware cannot sign blob (EIP-4844, type 3) transactions');
  } else if (kind === 'eip7702' || (Array.isArray(loose.authorizationList) && loose.authorizationList.length > 0)) {
    throw new TrezorError('NotSupported', 'This library does not sign EIP-7702 (type 4) transactions');
  } else if (kind !== undefined) throw invalidParameter('tx.type', `unknown transaction type ${String(kind)}`);
  else if (loose.maxFeePerGas != null || loose.maxPriorityFeePerGas != null) type = 2;
  else if (loose.gasPrice != null) {
    if (Array.isArray(loose.accessList) && loose.accessList.length > 0) {
      throw new TrezorError('NotSupported', 'gasPrice with an access list is an EIP-2930 (type 1) transaction, which Trezor firmware cannot sign; use maxFeePerGas (type 2)');
    }
    type = 0;
  } else throw invalidParameter('tx.gasPrice', 'missing: give gasPrice (legacy) or maxFeePerGas and maxPriorityFeePerGas (EIP-1559)');

  const common = {
    chainId: optionalQuantity(loose.chainId, 'tx.chainId'),
    nonce: requiredQuantity(loose.nonce, 'tx.nonce'),
    gasLimit: requiredQuantity(loose.gas, 'tx.gas'),
    to: loose.to != null ? parseAddress(loose.to, 'tx.to') : undefined,
    value: optionalQuantity(loose.value, 'tx.value') ?? BigInt(0),
    data: bytesOf(loose.data ?? '0x', 'tx.data'),
  };
  if (type === 0) {
    if (Array.isArray(loose.accessList) && loose.accessList.length > 0) throw invalidParameter('tx.accessList', 'a legacy transaction has no access list');
    return { type, ...common, gasPrice: requiredQuantity(loose.gasPrice, 'tx.gasPrice') };
  }
  const accessList = (loose.accessList ?? []).map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.storageKeys)) throw invalidParameter(`tx.accessList[${i}]`, 'expected { address, storageKeys }');
    return {
      address: parseAddress(entry.address, `tx.accessList[${i}].address`),
      storageKeys: entry.storageKeys.map((key, k) => {
        const bytes = bytesOf(key, `tx.accessList[${i}].storageKeys[${k}]`);
        if (bytes.length !== 32) throw invalidParameter(`tx.accessList[${i}].storageKeys[${k}]`, 'expected 32 bytes');
        return bytes;
      }),
    };
  });
  return {
    type,
    ...common,
    maxFeePerGas: requiredQuantity(loose.maxFeePerGas, 'tx.maxFeePerGas'),
    maxPriorityFeePerGas: requiredQuantity(loose.maxPriorityFeePerGas, 'tx.maxPriorityFeePerGas'),
    accessList,
  };
}

/** Typed data checked by the library (what the device will be asked) and hashed by viem. */
function prepareViemTypedData(definition: TypedDataDefinition): PreparedTypedData {
  if (typeof definition !== 'object' || definition === null) throw invalidParameter('typedData', 'expected { domain, types, primaryType, message }');
  const input = definition as unknown as TypedDataInput;
  const checked = checkTypedData({ ...input, domain: input.domain ?? {}, message: input.message ?? {} });
  const { primaryType, types, domain, message } = checked;
  let domainSeparator: Hex;
  let messageHash: Hex | undefined;
  try {
    // viem checks values against their types (integer ranges, byte lengths, addresses).
    validateTypedData({ domain, types, primaryType, message } as never);
    domainSeparator = hashDomain({ domain, types } as never);
    if (primaryType !== DOMAIN) messageHash = hashStruct({ data: message, primaryType, types } as never);
  } catch (cause) {
    const e = cause as { shortMessage?: string; message?: string };
    throw invalidParameter('typedData', e?.shortMessage ?? e?.message ?? String(cause));
  }
  const digest = toHex(keccak256(concatBytes(new Uint8Array([0x19, 0x01]), bytesOf(domainSeparator, 'typedData'), ...(messageHash ? [bytesOf(messageHash, 'typedData')] : []))));
  return { ...checked, domainSeparator, ...(messageHash ? { messageHash } : {}), digest };
}
