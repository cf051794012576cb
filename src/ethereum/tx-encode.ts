/**
 * A signed Ethereum transaction from the fields sent to the device, with no ethers: the
 * unsigned payload the firmware hashed, the device's (v, r, s) checked against the path's
 * address, and the signed serialization with its hash. Built from the request itself (not from
 * the caller's transaction object) so the host hashes exactly what the device was told to sign;
 * the ethers entry, the viem account and the Trezor Connect adapter all finish through here.
 *
 * Payloads (EIP-155, EIP-1559; the firmware's core/src/apps/ethereum/sign_tx.py and
 * sign_tx_eip1559.py hash the same lists):
 *   legacy, signing    rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0])
 *   legacy, signed     rlp([nonce, gasPrice, gasLimit, to, value, data, v, r, s]), v = 2·chainId + 35 + parity
 *   type 2, signing    0x02 ‖ rlp([chainId, nonce, maxPriorityFee, maxFee, gasLimit, to, value, data, accessList])
 *   type 2, signed     0x02 ‖ rlp([… the same nine …, yParity, r, s])
 * Integers (r and s included) are minimal big-endian byte strings, zero the empty string.
 */
import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { TrezorError } from '../errors.js';
import { keccak256, recoverAddress, toHex, type Hex } from './crypto.js';
import type { DeviceTxSignature } from './flows.js';
import { rlpEncode, type RlpItem } from './rlp.js';
import { eip155V, quantityBytes, yParityFromDevice, type TransactionRequestFields } from './tx-fields.js';

/** A signed transaction and the parts of its signature. */
export interface SignedTransaction {
  /** The signed transaction, 0x-hex, ready for eth_sendRawTransaction. */
  serialized: Hex;
  /** Its hash (keccak256 of `serialized`): the id a node reports for it. */
  hash: Hex;
  /** The signer recovered from the signature (EIP-55). */
  from: string;
  /** v as serialized: 2·chainId + 35 + yParity for legacy (EIP-155), the y-parity for EIP-1559. */
  v: bigint;
  yParity: 0 | 1;
  /** 0x-hex, 32 bytes each. */
  r: Hex;
  s: Hex;
}

const EIP1559_TYPE = /* @__PURE__ */ Uint8Array.of(2);

/** The items both forms of a transaction start with, in payload order (legacy: six, type 2: nine). */
function items(request: TransactionRequestFields): RlpItem[] {
  const f = request.fields;
  const to = f.to ? hexToBytes(f.to.slice(2)) : new Uint8Array(0);
  if (request.type === 0) return [f.nonce, request.fields.gas_price, f.gas_limit, to, f.value, request.data];
  const accessList = request.fields.access_list.map((entry): RlpItem => [hexToBytes(entry.address.slice(2)), entry.storage_keys]);
  return [quantityBytes(request.chainId), f.nonce, request.fields.max_priority_fee, request.fields.max_gas_fee, f.gas_limit, to, f.value, request.data, accessList];
}

/**
 * The bytes the device signs the keccak256 of (EIP-155 legacy, or 0x02 ‖ rlp for EIP-1559).
 * @example toHex(keccak256(unsignedPayload(planTransaction(tx)))) // the signing hash
 */
export function unsignedPayload(request: TransactionRequestFields): Uint8Array {
  if (request.type === 0) return rlpEncode([...items(request), quantityBytes(request.chainId), new Uint8Array(0), new Uint8Array(0)]);
  return concatBytes(EIP1559_TYPE, rlpEncode(items(request)));
}

/** r or s as an RLP integer: leading zero bytes dropped. */
function integer(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

/**
 * Check the device's signature of `request` and serialize the signed transaction. The signer is
 * recovered from keccak256(unsignedPayload(request)) and must be `expected` when one is given.
 * Throws VerificationFailed when v, r or s is missing or malformed, v does not fit the chain id,
 * the signature recovers to no key, or to another address than `expected`.
 * @example const { serialized, r, s, v } = signedTransaction(request, { v: 1, r, s }, '0x1e6E…4d59')
 */
export function signedTransaction(request: TransactionRequestFields, signature: DeviceTxSignature, expected: string | undefined): SignedTransaction {
  const { v, r, s } = signature;
  if (v === undefined || !r || !s || r.length !== 32 || s.length !== 32) {
    throw new TrezorError('VerificationFailed', 'The device returned an incomplete transaction signature');
  }
  const yParity = yParityFromDevice(request.type, v, request.chainId);
  if (yParity === undefined) {
    throw new TrezorError('VerificationFailed', `The device returned signature_v ${v}, which does not fit chain id ${request.chainId}`);
  }
  const from = recoverAddress(keccak256(unsignedPayload(request)), r, s, yParity);
  if (expected !== undefined && from !== expected) {
    throw new TrezorError('VerificationFailed', `The transaction signature recovers to ${from}, not to ${expected}`);
  }
  const serializedV = request.type === 0 ? eip155V(request.chainId, yParity) : BigInt(yParity);
  const tail = [quantityBytes(serializedV), integer(r), integer(s)];
  const bytes = request.type === 0 ? rlpEncode([...items(request), ...tail]) : concatBytes(EIP1559_TYPE, rlpEncode([...items(request), ...tail]));
  return { serialized: toHex(bytes), hash: toHex(keccak256(bytes)), from, v: serializedV, yParity, r: toHex(r), s: toHex(s) };
}
