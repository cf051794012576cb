/**
 * Ethereum transactions as the firmware takes them, with no ethers: checked values become the
 * fields of EthereumSignTx (legacy, EIP-155) or EthereumSignTxEIP1559 (type 2), and the
 * device's `signature_v` is read back as a y-parity. The ethers planner (./tx.ts) and the viem
 * account (src/viem/account.ts) both build on this, each from its own transaction shape.
 *
 * Wire rules (shared PROTOCOL.md §3, §8.2):
 *  - quantities (nonce, gas, value) are minimal big-endian bytes, zero is the empty string;
 *  - at most 1024 bytes of calldata travel in `data_initial_chunk`, `data_length` is the total;
 *    the device asks for the rest with EthereumTxRequest{data_length = n}, n ≤ 1024;
 *  - `chain_id` is required and ≥ 1: the firmware cannot sign a pre-EIP-155 transaction.
 *
 * Signature `v` (legacy): the device returns the full EIP-155 v = 2·chainId + 35 + parity when
 * chainId ≤ MAX_CHAIN_ID_FULL_V, else only the parity (0/1), because signature_v is a uint32.
 * EIP-1559: always the y-parity.
 */
import { describeValue, invalidParameter } from '../errors.js';

/** Largest chain id for which the firmware returns the full EIP-155 `v`: ⌊(2³² − 1 − 36) / 2⌋. */
export const MAX_CHAIN_ID_FULL_V = /* @__PURE__ */ BigInt(2147483629);
/** Bytes of calldata per message (initial chunk and each EthereumTxAck). */
export const DATA_CHUNK_SIZE = 1024;
/** The firmware's limit on calldata length (its RLP encoder's bound). */
export const MAX_DATA_LENGTH = 16_000_000;

const MAX_UINT64 = /* @__PURE__ */ BigInt(`0x${'f'.repeat(16)}`); // 2⁶⁴ − 1
const MAX_UINT256 = /* @__PURE__ */ BigInt(`0x${'f'.repeat(64)}`); // 2²⁵⁶ − 1

/** The fields shared by both start messages (snake_case, as on the wire). */
export interface CommonFields {
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

/** A transaction with every value already parsed (addresses checksummed, bytes as bytes). */
export type TransactionValues = {
  chainId: bigint | undefined;
  nonce: bigint;
  gasLimit: bigint;
  /** Checksummed address, or undefined for a contract creation. */
  to: string | undefined;
  value: bigint;
  data: Uint8Array;
} & (
  | { type: 0; gasPrice: bigint }
  | { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; accessList: readonly { address: string; storageKeys: readonly Uint8Array[] }[] }
);

/** The device request for one transaction: which message, its fields, and the whole calldata. */
export type TransactionRequestFields =
  | { type: 0; message: 'EthereumSignTx'; fields: LegacyFields; data: Uint8Array; chainId: bigint }
  | { type: 2; message: 'EthereumSignTxEIP1559'; fields: Eip1559Fields; data: Uint8Array; chainId: bigint };

/**
 * The checks that span fields (chain id, contract creation, fee overflow, fee order) and the
 * wire fields. Throws InvalidParameters naming the `tx.` field.
 * @example transactionFields({ type: 0, chainId: 1n, nonce: 0n, gasLimit: 21000n, to, value: 1n, data: new Uint8Array(), gasPrice: 1n })
 */
export function transactionFields(tx: TransactionValues): TransactionRequestFields {
  const { chainId, data } = tx;
  if (chainId === undefined || chainId === BigInt(0)) {
    // No opt-out: the firmware itself requires chain_id ≥ 1 (EIP-155), so an unprotected
    // (replayable) transaction could never be signed anyway.
    throw invalidParameter('tx.chainId', 'missing: Trezor firmware signs only EIP-155 transactions, which need a chain id of 1 or more');
  }
  if (chainId > MAX_UINT64) throw invalidParameter('tx.chainId', 'does not fit in 64 bits');
  if (tx.gasLimit === BigInt(0)) throw invalidParameter('tx.gasLimit', 'must not be zero');
  if (data.length > MAX_DATA_LENGTH) throw invalidParameter('tx.data', `longer than the firmware's limit of ${MAX_DATA_LENGTH} bytes`);
  if (tx.to === undefined && data.length === 0) {
    // The firmware refuses contract creation without init code ("Safety check failed").
    throw invalidParameter('tx.to', 'missing, and there is no data: a contract creation needs init code');
  }
  if (tx.nonce > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidParameter('tx.nonce', 'too large');
  const common: CommonFields = {
    nonce: quantityBytes(tx.nonce),
    gas_limit: quantityBytes(tx.gasLimit),
    to: tx.to ?? '',
    value: quantityBytes(tx.value),
    data_initial_chunk: data.subarray(0, DATA_CHUNK_SIZE),
    data_length: data.length,
    chain_id: chainId,
  };
  if (tx.type === 0) {
    // Same fee-overflow check as the firmware (gas_price and gas_limit together ≤ 30 bytes).
    if (common.gas_limit.length + quantityBytes(tx.gasPrice).length > 30) throw invalidParameter('tx.gasPrice', 'gasPrice × gasLimit overflows');
    return { type: 0, message: 'EthereumSignTx', fields: { ...common, gas_price: quantityBytes(tx.gasPrice) }, data, chainId };
  }
  if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) throw invalidParameter('tx.maxPriorityFeePerGas', 'is greater than maxFeePerGas');
  if (common.gas_limit.length + quantityBytes(tx.maxFeePerGas).length > 30) throw invalidParameter('tx.maxFeePerGas', 'maxFeePerGas × gasLimit overflows');
  const fields: Eip1559Fields = {
    ...common,
    max_gas_fee: quantityBytes(tx.maxFeePerGas),
    max_priority_fee: quantityBytes(tx.maxPriorityFeePerGas),
    access_list: tx.accessList.map((entry) => ({ address: entry.address, storage_keys: [...entry.storageKeys] })),
  };
  return { type: 2, message: 'EthereumSignTxEIP1559', fields, data, chainId };
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
 * Minimal big-endian bytes of a non-negative integer; zero is empty (PROTOCOL.md §3).
 * @example quantityBytes(21000n) // Uint8Array [0x52, 0x08]
 */
export function quantityBytes(value: bigint): Uint8Array {
  if (value === BigInt(0)) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A required non-negative integer of at most 256 bits (bigint, safe number or numeric string).
 * @example requiredQuantity('0x5208', 'tx.gasLimit') // 21000n
 */
export function requiredQuantity(value: unknown, field: string): bigint {
  const out = optionalQuantity(value, field);
  if (out === undefined) throw invalidParameter(field, 'missing');
  return out;
}

/**
 * As requiredQuantity, but undefined/null give undefined.
 * @example optionalQuantity(undefined, 'tx.value') // undefined
 */
export function optionalQuantity(value: unknown, field: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  let out: bigint;
  try {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error('unsafe');
    if (typeof value !== 'bigint' && typeof value !== 'number' && typeof value !== 'string') throw new Error('type');
    out = BigInt(value);
  } catch {
    throw invalidParameter(field, `expected a non-negative integer (bigint, safe number or numeric string), got ${describeValue(value)}`);
  }
  if (out < BigInt(0)) throw invalidParameter(field, 'must not be negative');
  if (out > MAX_UINT256) throw invalidParameter(field, 'does not fit in 256 bits');
  return out;
}
