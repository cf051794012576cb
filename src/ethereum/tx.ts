/**
 * Ethereum transactions as the Trezor firmware takes them: an ethers `TransactionLike` is
 * checked and turned into the fields of EthereumSignTx (legacy, EIP-155) or
 * EthereumSignTxEIP1559 (type 2), with the calldata split for streaming; the device's
 * (v, r, s) is then put back into the transaction and the signed bytes serialized.
 * Everything here is pure: no device I/O, so it is tested on its own.
 *
 * Wire rules (shared PROTOCOL.md §3, §8.2):
 *  - quantities (nonce, gas, value) are minimal big-endian bytes, zero is the empty string;
 *  - at most 1024 bytes of calldata travel in `data_initial_chunk`, `data_length` is the total;
 *    the device asks for the rest with EthereumTxRequest{data_length = n}, n ≤ 1024, and the
 *    host answers exactly n bytes;
 *  - `chain_id` is required and ≥ 1: the firmware cannot sign a pre-EIP-155 transaction.
 *
 * Signature `v` (legacy): the device returns the full EIP-155 v = 2·chainId + 35 + parity when
 * chainId ≤ MAX_CHAIN_ID_FULL_V, else only the parity (0/1), because signature_v is a uint32.
 * EIP-1559: always the y-parity.
 */
import { Signature, Transaction, accessListify, getAddress, getBytes, hexlify, toBeArray } from 'ethers';
import type { AccessListish, BigNumberish, BytesLike, TransactionLike } from 'ethers';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';

/** Largest chain id for which the firmware returns the full EIP-155 `v`: ⌊(2³² − 1 − 36) / 2⌋. */
export const MAX_CHAIN_ID_FULL_V = /* @__PURE__ */ BigInt(2147483629);
/** Bytes of calldata per message (initial chunk and each EthereumTxAck). */
export const DATA_CHUNK_SIZE = 1024;
/** The firmware's limit on calldata length (its RLP encoder's bound). */
export const MAX_DATA_LENGTH = 16_000_000;

const MAX_UINT64 = /* @__PURE__ */ (BigInt(1) << BigInt(64)) - BigInt(1);
const MAX_UINT256 = /* @__PURE__ */ (BigInt(1) << BigInt(256)) - BigInt(1);

/** The fields shared by both start messages (snake_case, as on the wire). */
interface CommonFields {
  nonce: Uint8Array;
  gas_limit: Uint8Array;
  to: string;
  value: Uint8Array;
  data_initial_chunk: Uint8Array;
  data_length: number;
  chain_id: bigint;
}

/** EthereumSignTx without address_n / definitions. */
export interface LegacyFields extends CommonFields {
  gas_price: Uint8Array;
}

/** EthereumSignTxEIP1559 without address_n / definitions. */
export interface Eip1559Fields extends CommonFields {
  max_gas_fee: Uint8Array;
  max_priority_fee: Uint8Array;
  access_list: { address: string; storage_keys: Uint8Array[] }[];
}

/** What to send and what to expect, for one transaction. */
export type TransactionPlan =
  | { type: 0; message: 'EthereumSignTx'; fields: LegacyFields; data: Uint8Array; chainId: bigint; unsigned: Transaction; from?: string }
  | { type: 2; message: 'EthereumSignTxEIP1559'; fields: Eip1559Fields; data: Uint8Array; chainId: bigint; unsigned: Transaction; from?: string };

/**
 * Check a transaction and plan its signing request. Throws `InvalidParameters` naming the
 * field, or `NotSupported` for transaction kinds the firmware cannot sign (types 1, 3, 4).
 * @example const plan = planTransaction({ chainId: 1, nonce: 0, gasLimit: 21000, gasPrice: 1n, to, value: 1n })
 */
export function planTransaction(tx: TransactionLike<string>): TransactionPlan {
  if (typeof tx !== 'object' || tx === null) throw invalidParameter('tx', 'expected a transaction object');
  const type = transactionType(tx);

  const chainId = optionalQuantity(tx.chainId, 'tx.chainId');
  if (chainId === undefined || chainId === BigInt(0)) {
    // No opt-out: the firmware itself requires chain_id ≥ 1 (EIP-155), so an unprotected
    // (replayable) transaction could never be signed anyway.
    throw invalidParameter('tx.chainId', 'missing: Trezor firmware signs only EIP-155 transactions, which need a chain id of 1 or more');
  }
  if (chainId > MAX_UINT64) throw invalidParameter('tx.chainId', 'does not fit in 64 bits');

  const nonce = requiredQuantity(tx.nonce, 'tx.nonce');
  const gasLimit = requiredQuantity(tx.gasLimit, 'tx.gasLimit');
  if (gasLimit === BigInt(0)) throw invalidParameter('tx.gasLimit', 'must not be zero');
  const value = optionalQuantity(tx.value, 'tx.value') ?? BigInt(0);
  const data = bytesField(tx.data ?? '0x', 'tx.data');
  if (data.length > MAX_DATA_LENGTH) throw invalidParameter('tx.data', `longer than the firmware's limit of ${MAX_DATA_LENGTH} bytes`);

  let to = '';
  if (tx.to !== undefined && tx.to !== null) {
    to = addressField(tx.to, 'tx.to');
  } else if (data.length === 0) {
    // The firmware refuses contract creation without init code ("Safety check failed").
    throw invalidParameter('tx.to', 'missing, and there is no data: a contract creation needs init code');
  }
  let from: string | undefined;
  if (tx.from !== undefined && tx.from !== null) from = addressField(tx.from, 'tx.from');

  const common: CommonFields = {
    nonce: quantityBytes(nonce),
    gas_limit: quantityBytes(gasLimit),
    to,
    value: quantityBytes(value),
    data_initial_chunk: data.subarray(0, DATA_CHUNK_SIZE),
    data_length: data.length,
    chain_id: chainId,
  };
  if (nonce > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidParameter('tx.nonce', 'too large');
  const base = { chainId, nonce: Number(nonce), gasLimit, to: to || null, value, data: hexlify(data) };

  if (type === 0) {
    const gasPrice = requiredQuantity(tx.gasPrice, 'tx.gasPrice');
    if (tx.accessList && accessListify(tx.accessList).length > 0) {
      throw invalidParameter('tx.accessList', 'a legacy (type 0) transaction has no access list');
    }
    // Same fee-overflow check as the firmware (gas_price and gas_limit together ≤ 30 bytes).
    if (common.gas_limit.length + quantityBytes(gasPrice).length > 30) throw invalidParameter('tx.gasPrice', 'gasPrice × gasLimit overflows');
    const fields: LegacyFields = { ...common, gas_price: quantityBytes(gasPrice) };
    const unsigned = Transaction.from({ ...base, type: 0, gasPrice });
    return { type: 0, message: 'EthereumSignTx', fields, data, chainId, unsigned, ...(from ? { from } : {}) };
  }

  const maxFeePerGas = requiredQuantity(tx.maxFeePerGas, 'tx.maxFeePerGas');
  const maxPriorityFeePerGas = requiredQuantity(tx.maxPriorityFeePerGas, 'tx.maxPriorityFeePerGas');
  if (maxPriorityFeePerGas > maxFeePerGas) throw invalidParameter('tx.maxPriorityFeePerGas', 'is greater than maxFeePerGas');
  if (common.gas_limit.length + quantityBytes(maxFeePerGas).length > 30) throw invalidParameter('tx.maxFeePerGas', 'maxFeePerGas × gasLimit overflows');
  const accessList = accessListField(tx.accessList);
  const fields: Eip1559Fields = {
    ...common,
    max_gas_fee: quantityBytes(maxFeePerGas),
    max_priority_fee: quantityBytes(maxPriorityFeePerGas),
    access_list: accessList.map((entry) => ({ address: entry.address, storage_keys: entry.storageKeys.map((key) => getBytes(key)) })),
  };
  const unsigned = Transaction.from({ ...base, type: 2, maxFeePerGas, maxPriorityFeePerGas, accessList });
  return { type: 2, message: 'EthereumSignTxEIP1559', fields, data, chainId, unsigned, ...(from ? { from } : {}) };
}

/**
 * The calldata chunks after the initial one, in the order the device asks for them.
 * @example dataChunkPlan(4099) // [1024, 1024, 1024, 3] (after the initial 1024)
 */
export function dataChunkPlan(dataLength: number): number[] {
  const plan: number[] = [];
  for (let left = Math.max(0, dataLength - DATA_CHUNK_SIZE); left > 0; left -= Math.min(DATA_CHUNK_SIZE, left)) {
    plan.push(Math.min(DATA_CHUNK_SIZE, left));
  }
  return plan;
}

/**
 * The y-parity (0/1) of a device signature, from the `signature_v` it returned. Legacy:
 * either the full EIP-155 v or, for chain ids above MAX_CHAIN_ID_FULL_V, the parity alone.
 * Returns undefined when v is inconsistent with the chain id.
 * @example yParityFromDevice(0, 38, 1n) // 1
 */
export function yParityFromDevice(type: 0 | 2, v: number, chainId: bigint): 0 | 1 | undefined {
  if (type === 2 || v <= 1) return v === 0 || v === 1 ? v : undefined;
  const parity = BigInt(v) - BigInt(35) - BigInt(2) * chainId;
  // Only chain ids that fit the full v may come back as a full v.
  if (chainId > MAX_CHAIN_ID_FULL_V) return undefined;
  return parity === BigInt(0) ? 0 : parity === BigInt(1) ? 1 : undefined;
}

/**
 * The full legacy (EIP-155) v for a chain id and y-parity: 2·chainId + 35 + parity.
 * @example eip155V(3125659152n, 0) // 6251318339n
 */
export function eip155V(chainId: bigint, parity: 0 | 1): bigint {
  return BigInt(2) * chainId + BigInt(35) + BigInt(parity);
}

/**
 * Put the device's signature into the planned transaction. Returns the signed transaction
 * (its `from` is the recovered signer) or throws VerificationFailed when the parts are malformed.
 * @example applySignature(plan, request.signature_v, request.signature_r, request.signature_s).serialized
 */
export function applySignature(plan: TransactionPlan, v: number | undefined, r: Uint8Array | undefined, s: Uint8Array | undefined): Transaction {
  if (v === undefined || !r || !s || r.length !== 32 || s.length !== 32) {
    throw new TrezorError('VerificationFailed', 'The device returned an incomplete transaction signature');
  }
  const yParity = yParityFromDevice(plan.type, v, plan.chainId);
  if (yParity === undefined) {
    throw new TrezorError('VerificationFailed', `The device returned signature_v ${v}, which does not fit chain id ${plan.chainId}`);
  }
  const signed = plan.unsigned.clone();
  try {
    signed.signature = Signature.from({ r: hexlify(r), s: hexlify(s), yParity });
  } catch (cause) {
    throw new TrezorError('VerificationFailed', 'The device returned a malformed transaction signature', { cause });
  }
  return signed;
}

/**
 * Minimal big-endian bytes of a non-negative integer; zero is empty (PROTOCOL.md §3).
 * @example quantityBytes(21000n) // Uint8Array [0x52, 0x08]
 */
export function quantityBytes(value: bigint): Uint8Array {
  return value === BigInt(0) ? new Uint8Array(0) : toBeArray(value);
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
    if (tx.accessList && accessListify(tx.accessList).length > 0) {
      throw new TrezorError('NotSupported', 'gasPrice with an access list is an EIP-2930 (type 1) transaction, which Trezor firmware cannot sign; use maxFeePerGas (type 2)');
    }
    return 0;
  }
  throw invalidParameter('tx.gasPrice', 'missing: give gasPrice (legacy) or maxFeePerGas and maxPriorityFeePerGas (EIP-1559)');
}

function requiredQuantity(value: BigNumberish | null | undefined, field: string): bigint {
  const out = optionalQuantity(value, field);
  if (out === undefined) throw invalidParameter(field, 'missing');
  return out;
}

function optionalQuantity(value: BigNumberish | null | undefined, field: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  let out: bigint;
  try {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error('unsafe');
    out = typeof value === 'bigint' ? value : BigInt(value as number | string);
  } catch {
    throw invalidParameter(field, `expected a non-negative integer (bigint, safe number or numeric string), got ${describeValue(value)}`);
  }
  if (out < BigInt(0)) throw invalidParameter(field, 'must not be negative');
  if (out > MAX_UINT256) throw invalidParameter(field, 'does not fit in 256 bits');
  return out;
}

function bytesField(value: BytesLike, field: string): Uint8Array {
  try {
    return getBytes(value);
  } catch {
    throw invalidParameter(field, `expected 0x-prefixed hex or a Uint8Array, got ${describeValue(value)}`);
  }
}

function addressField(value: string, field: string): string {
  try {
    return getAddress(value);
  } catch {
    throw invalidParameter(field, `not a valid address (or its EIP-55 checksum is wrong): ${describeValue(value)}`);
  }
}

function accessListField(value: AccessListish | null | undefined) {
  if (value === undefined || value === null) return [];
  try {
    return accessListify(value);
  } catch {
    throw invalidParameter('tx.accessList', 'expected [{ address, storageKeys: [32-byte hex…] }]');
  }
}
