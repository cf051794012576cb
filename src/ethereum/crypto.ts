/**
 * The little Ethereum cryptography the device flows need, on @noble (no ethers): keccak-256,
 * EIP-55 checksums, EIP-191 message hashes and public-key recovery from a signature. It exists
 * so the flows in ./flows.ts, and the adapters built on them (`trezor-direct/viem`, the wagmi
 * connector), verify what the device returns without pulling ethers into a bundle.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';

/** 0x-prefixed hex, as viem and JSON-RPC write bytes. */
export type Hex = `0x${string}`;

/**
 * keccak-256 of bytes.
 * @example toHex(keccak256(new Uint8Array())) // '0xc5d2…a470'
 */
export function keccak256(bytes: Uint8Array): Uint8Array {
  return keccak_256(bytes);
}

/**
 * Bytes as 0x-hex (lower case).
 * @example toHex(new Uint8Array([1, 255])) // '0x01ff'
 */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

/**
 * Bytes from a Uint8Array or 0x-prefixed, even-length hex. Throws InvalidParameters naming `field`.
 * @example bytesOf('0x01ff', 'tx.data') // Uint8Array [1, 255]
 */
export function bytesOf(value: unknown, field: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(value)) return hexToBytes(value.slice(2));
  throw invalidParameter(field, `expected 0x-prefixed hex or a Uint8Array, got ${describeValue(value)}`);
}

/**
 * EIP-55 checksummed form of 20 address bytes or 40 hex digits (with or without 0x, any case).
 * @example checksumAddress('0x73d0385f4d8e00c5e6504c6030f47bf6212736a8') // '0x73d0385F4d8E00C5e6504C6030F47BF6212736A8'
 */
export function checksumAddress(address: string | Uint8Array): string {
  const lower = typeof address === 'string' ? address.replace(/^0x/i, '').toLowerCase() : bytesToHex(address);
  if (!/^[0-9a-f]{40}$/.test(lower)) throw invalidParameter('address', `not a 20-byte address: ${describeValue(address)}`);
  // EIP-55: a letter is upper case when the matching nibble of keccak256(lower-case hex) is ≥ 8.
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  return out;
}

/**
 * A caller's address, checked: 0x + 40 hex digits; mixed case must be a correct EIP-55
 * checksum (all lower or all upper case carries none). Returns the checksummed form.
 * @example parseAddress('0x73d0385f4d8e00c5e6504c6030f47bf6212736a8', 'tx.to')
 */
export function parseAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw invalidParameter(field, `not a valid address: ${describeValue(value)}`);
  }
  const checksummed = checksumAddress(value);
  const digits = value.slice(2);
  const mixed = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixed && value !== checksummed) throw invalidParameter(field, `the EIP-55 checksum of ${value} is wrong`);
  return checksummed;
}

/**
 * The EIP-191 personal-message hash: keccak256("\x19Ethereum Signed Message:\n" ‖ length ‖ message).
 * @example toHex(personalMessageHash(utf8ToBytes('hello')))
 */
export function personalMessageHash(message: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${message.length}`), message));
}

/**
 * The address of an uncompressed (65-byte) or compressed (33-byte) secp256k1 public key.
 * @example publicKeyToAddress(key) // '0x73d0…36A8'
 */
export function publicKeyToAddress(publicKey: Uint8Array): string {
  const point = secp256k1.Point.fromBytes(publicKey);
  return checksumAddress(keccak_256(point.toBytes(false).subarray(1)).subarray(12));
}

/**
 * The address whose key made signature (r, s, yParity) over the 32-byte `digest`.
 * Throws VerificationFailed when the parts are malformed or recover no key.
 * @example recoverAddress(personalMessageHash(msg), sig.subarray(0, 32), sig.subarray(32, 64), sig[64] - 27)
 */
export function recoverAddress(digest: Uint8Array, r: Uint8Array, s: Uint8Array, yParity: number): string {
  if (r.length !== 32 || s.length !== 32 || (yParity !== 0 && yParity !== 1)) {
    throw new TrezorError('VerificationFailed', 'The device returned a malformed signature');
  }
  try {
    const signature = secp256k1.Signature.fromBytes(concatBytes(r, s), 'compact').addRecoveryBit(yParity);
    const point = signature.recoverPublicKey(digest);
    return checksumAddress(keccak_256(point.toBytes(false).subarray(1)).subarray(12));
  } catch (cause) {
    throw new TrezorError('VerificationFailed', 'The device signature does not recover to any key', { cause });
  }
}
