/**
 * Ethereum transactions from ethers: an ethers `TransactionLike` is checked and turned into the
 * fields of EthereumSignTx / EthereumSignTxEIP1559 (through ./tx-fields.ts, which holds the wire
 * rules and needs no ethers), and the device's (v, r, s) is then put back into an ethers
 * Transaction and the signed bytes serialized. Pure: no device I/O, so it is tested on its own.
 */
import { Signature, Transaction, accessListify, getAddress, getBytes, hexlify } from 'ethers';
import type { AccessListish, BytesLike, TransactionLike } from 'ethers';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import {
  optionalQuantity,
  requiredQuantity,
  transactionFields,
  yParityFromDevice,
  type Eip1559Fields,
  type LegacyFields,
  type TransactionValues,
} from './tx-fields.js';

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
    if (tx.accessList && accessListify(tx.accessList).length > 0) {
      throw invalidParameter('tx.accessList', 'a legacy (type 0) transaction has no access list');
    }
    values = { type, chainId, nonce, gasLimit, to, value, data, gasPrice };
  } else {
    const maxFeePerGas = requiredQuantity(tx.maxFeePerGas, 'tx.maxFeePerGas');
    const maxPriorityFeePerGas = requiredQuantity(tx.maxPriorityFeePerGas, 'tx.maxPriorityFeePerGas');
    const accessList = accessListField(tx.accessList).map((entry) => ({ address: entry.address, storageKeys: entry.storageKeys.map((key) => getBytes(key)) }));
    values = { type, chainId, nonce, gasLimit, to, value, data, maxFeePerGas, maxPriorityFeePerGas, accessList };
  }
  const request = transactionFields(values);

  const base = { chainId: request.chainId, nonce: Number(nonce), gasLimit, to: to ?? null, value, data: hexlify(data) };
  const extra = from ? { from } : {};
  if (values.type === 0) {
    const unsigned = Transaction.from({ ...base, type: 0, gasPrice: values.gasPrice });
    return { ...(request as Extract<typeof request, { type: 0 }>), unsigned, ...extra };
  }
  const unsigned = Transaction.from({
    ...base,
    type: 2,
    maxFeePerGas: values.maxFeePerGas,
    maxPriorityFeePerGas: values.maxPriorityFeePerGas,
    accessList: values.accessList.map((entry) => ({ address: entry.address, storageKeys: entry.storageKeys.map((key) => hexlify(key)) })),
  });
  return { ...(request as Extract<typeof request, { type: 2 }>), unsigned, ...extra };
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
