/**
 * Ethereum transactions from ethers: an ethers `TransactionLike` is checked and turned into the
 * fields of EthereumSignTx / EthereumSignTxEIP1559 (through ./tx-fields.ts, which holds the wire
 * rules), and the device's (v, r, s) is then checked and serialized with ./tx-encode.ts. Only
 * ethers' types are used: the values are read here with the library's own parsers (the same
 * forms ethers accepts: BigNumberish quantities, BytesLike data, 0x addresses with or without a
 * checksum, any AccessListish), so signing pays for no ethers code. Pure: no device I/O.
 */
import type { AccessListish, BytesLike, TransactionLike } from 'ethers';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import { bytesOf, parseAddress } from './crypto.js';
import { signedTransaction, type SignedTransaction } from './tx-encode.js';
import { optionalQuantity, requiredQuantity, transactionFields, type TransactionRequestFields, type TransactionValues } from './tx-fields.js';

export {
  DATA_CHUNK_SIZE,
  MAX_CHAIN_ID_FULL_V,
  MAX_DATA_LENGTH,
  dataChunkPlan,
  eip155V,
  quantityBytes,
  yParityFromDevice,
  type Eip1559Fields,
  type LegacyFields,
} from './tx-fields.js';
export type { SignedTransaction } from './tx-encode.js';

/** What to send and what to expect, for one transaction: the device request and the checked values. */
export type TransactionPlan = TransactionRequestFields & { values: TransactionValues; from?: string };

/**
 * Check a transaction and plan its signing request. Throws `InvalidParameters` naming the
 * field, or `NotSupported` for transaction kinds the firmware cannot sign (types 1, 3, 4).
 * @example const plan = planTransaction({ chainId: 1, nonce: 0, gasLimit: 21000, gasPrice: 1n, to, value: 1n })
 */
export function planTransaction(tx: TransactionLike<string>): TransactionPlan {
  if (typeof tx !== 'object' || tx === null) throw invalidParameter('tx', 'expected a transaction object');
  const type = transactionType(tx);

  const chainId = optionalQuantity(tx.chainId, 'tx.chainId');
  const nonce = requiredQuantity(tx.nonce, 'tx.nonce');
  const gasLimit = requiredQuantity(tx.gasLimit, 'tx.gasLimit');
  const value = optionalQuantity(tx.value, 'tx.value') ?? BigInt(0);
  const data = bytesField(tx.data ?? '0x', 'tx.data');
  const to = tx.to !== undefined && tx.to !== null ? addressField(tx.to, 'tx.to') : undefined;
  let from: string | undefined;
  if (tx.from !== undefined && tx.from !== null) from = addressField(tx.from, 'tx.from');

  let values: TransactionValues;
  if (type === 0) {
    const gasPrice = requiredQuantity(tx.gasPrice, 'tx.gasPrice');
    if (accessListField(tx.accessList).length > 0) {
      throw invalidParameter('tx.accessList', 'a legacy (type 0) transaction has no access list');
    }
    values = { type, chainId, nonce, gasLimit, to, value, data, gasPrice };
  } else {
    const maxFeePerGas = requiredQuantity(tx.maxFeePerGas, 'tx.maxFeePerGas');
    const maxPriorityFeePerGas = requiredQuantity(tx.maxPriorityFeePerGas, 'tx.maxPriorityFeePerGas');
    values = { type, chainId, nonce, gasLimit, to, value, data, maxFeePerGas, maxPriorityFeePerGas, accessList: accessListField(tx.accessList) };
  }
  return { ...transactionFields(values), values, ...(from ? { from } : {}) };
}

/**
 * Put the device's signature into the planned transaction: the signed transaction, its hash and
 * (v, r, s), with `from` the recovered signer. Throws VerificationFailed when the parts are
 * malformed, v does not fit the chain id or the signature recovers to no key (the caller
 * compares `from` with the address it expects).
 * @example applySignature(plan, request.signature_v, request.signature_r, request.signature_s).serialized
 */
export function applySignature(plan: TransactionPlan, v: number | undefined, r: Uint8Array | undefined, s: Uint8Array | undefined): SignedTransaction {
  return signedTransaction(plan, { v, r, s }, undefined);
}

function transactionType(tx: TransactionLike<string>): 0 | 2 {
  const extra = tx as { blobs?: unknown; blobVersionedHashes?: unknown; authorizationList?: unknown };
  if (extra.blobs != null || (Array.isArray(extra.blobVersionedHashes) && extra.blobVersionedHashes.length > 0)) {
    throw new TrezorError('NotSupported', 'Trezor firmware cannot sign blob (EIP-4844, type 3) transactions');
  }
  if (Array.isArray(extra.authorizationList) && extra.authorizationList.length > 0) {
    throw new TrezorError('NotSupported', 'This library does not sign EIP-7702 (type 4) transactions');
  }
  if (tx.type !== undefined && tx.type !== null) {
    const type = Number(tx.type);
    if (type === 0 || type === 2) return type;
    if (type === 1 || type === 3 || type === 4) {
      throw new TrezorError('NotSupported', `Trezor firmware cannot sign type ${type} transactions (only legacy EIP-155 and EIP-1559)`);
    }
    throw invalidParameter('tx.type', `unknown transaction type ${String(tx.type)}`);
  }
  if (tx.maxFeePerGas != null || tx.maxPriorityFeePerGas != null) return 2;
  if (tx.gasPrice != null) {
    if (accessListField(tx.accessList).length > 0) {
      throw new TrezorError('NotSupported', 'gasPrice with an access list is an EIP-2930 (type 1) transaction, which Trezor firmware cannot sign; use maxFeePerGas (type 2)');
    }
    return 0;
  }
  throw invalidParameter('tx.gasPrice', 'missing: give gasPrice (legacy) or maxFeePerGas and maxPriorityFeePerGas (EIP-1559)');
}

function bytesField(value: BytesLike, field: string): Uint8Array {
  try {
    return bytesOf(value, field);
  } catch {
    throw invalidParameter(field, `expected 0x-prefixed hex or a Uint8Array, got ${describeValue(value)}`);
  }
}

/** An address as ethers' getAddress takes it: 40 hex digits, 0x optional, a mixed-case checksum must be right. */
function addressField(value: unknown, field: string): string {
  const prefixed = typeof value === 'string' && /^[0-9a-fA-F]{40}$/.test(value) ? `0x${value}` : value;
  try {
    return parseAddress(prefixed, field);
  } catch {
    throw invalidParameter(field, `not a valid address (or its EIP-55 checksum is wrong): ${describeValue(value)}`);
  }
}

/**
 * ethers' AccessListish: [{ address, storageKeys }], [[address, storageKeys]] or
 * { address: storageKeys } (the last sorted by address, as ethers' accessListify does).
 */
function accessListField(value: AccessListish | null | undefined): { address: string; storageKeys: Uint8Array[] }[] {
  if (value === undefined || value === null) return [];
  const bad = () => invalidParameter('tx.accessList', 'expected [{ address, storageKeys: [32-byte hex…] }]');
  const entry = (address: unknown, keys: unknown) => {
    if (!Array.isArray(keys)) throw bad();
    return {
      address: addressField(address, 'tx.accessList'),
      storageKeys: keys.map((key: unknown) => {
        if (typeof key !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw bad();
        return bytesOf(key, 'tx.accessList');
      }),
    };
  };
  if (Array.isArray(value)) {
    return value.map((item: unknown) => {
      if (Array.isArray(item)) {
        if (item.length > 2) throw bad();
        return entry(item[0], item[1]);
      }
      if (typeof item !== 'object' || item === null) throw bad();
      const { address, storageKeys } = item as { address?: unknown; storageKeys?: unknown };
      return entry(address, storageKeys);
    });
  }
  if (typeof value !== 'object') throw bad();
  const list = Object.entries(value as Record<string, unknown>).map(([address, keys]) => entry(address, keys));
  return list.sort((a, b) => a.address.localeCompare(b.address));
}
