/**
 * EIP-712 typed data hashed with ethers (TypedDataEncoder, v4 hashing as MetaMask's
 * eth_signTypedData_v4): the structure is checked by ./eip712.ts, which also answers the
 * device's struct/value questions; this module adds the primary-type inference and the hashes.
 * The Trezor One signs blindly the two hashes computed here (EthereumSignTypedHash: domain
 * separator, message hash).
 */
import { TypedDataEncoder } from 'ethers/hash';
import { concatBytes } from '@noble/hashes/utils.js';
import type { TypedDataField } from 'ethers';
import { invalidParameter } from '../errors.js';
import { bytesOf, keccak256, toHex } from './crypto.js';
import { DOMAIN, checkTypedData, type PreparedTypedData, type TypedDataInput } from './eip712.js';

export {
  encodeAtomic,
  fieldType,
  structAck,
  valueAck,
  type CheckedTypedData,
  type FieldType,
  type PreparedTypedData,
  type TypedDataInput,
} from './eip712.js';

/**
 * Validate typed data and compute its hashes. Throws InvalidParameters (field 'typedData…').
 * @example const { digest } = prepareTypedData({ domain, types, message })
 */
export function prepareTypedData(input: TypedDataInput): PreparedTypedData {
  const checked = checkTypedData(input, (structs) => TypedDataEncoder.getPrimaryType(structs as Record<string, TypedDataField[]>));
  const { primaryType, types: reachable, domain, message } = checked;
  let domainSeparator: string;
  let messageHash: string | undefined;
  try {
    domainSeparator = TypedDataEncoder.from({ [DOMAIN]: [...reachable[DOMAIN]!] }).hash(domain);
  } catch (cause) {
    throw invalidParameter('typedData.domain', shortMessage(cause));
  }
  if (primaryType !== DOMAIN) {
    const messageTypes: Record<string, TypedDataField[]> = {};
    for (const [name, fields] of Object.entries(reachable)) if (name !== DOMAIN) messageTypes[name] = [...fields];
    try {
      messageHash = TypedDataEncoder.from(messageTypes).hashStruct(primaryType, message);
    } catch (cause) {
      throw invalidParameter('typedData.message', shortMessage(cause));
    }
  }
  const digest = toHex(keccak256(concatBytes(Uint8Array.of(0x19, 0x01), bytesOf(domainSeparator, 'typedData'), ...(messageHash ? [bytesOf(messageHash, 'typedData')] : []))));
  return { ...checked, domainSeparator, ...(messageHash ? { messageHash } : {}), digest };
}

function shortMessage(cause: unknown): string {
  const e = cause as { shortMessage?: string; message?: string };
  return e?.shortMessage ?? e?.message ?? String(cause);
}
