/**
 * X25519 as THP uses it (RFC 7748: scalars clamped, u-coordinates with the top bit ignored),
 * on @noble/curves. One extra operation: the device's masked static key, whose private half
 * is never formed: X25519(mask, X25519(priv, peer)) equals X25519(priv, X25519(mask, peer)).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { protocolError } from '../../errors.js';
import { concat } from './noise.js';

export const KEY_SIZE = 32;

function check(name: string, bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_SIZE) throw protocolError(`${name} must be 32 bytes`);
}

/** X25519(scalar, u); a low-order point (all-zero result) is a ProtocolError. */
export function dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  check('X25519 private key', privateKey);
  check('X25519 public key', publicKey);
  try {
    return x25519.scalarMult(privateKey, publicKey);
  } catch (error) {
    throw protocolError('X25519 with a low-order or malformed point', error);
  }
}

/** The public key of an X25519 private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  check('X25519 private key', privateKey);
  return x25519.getPublicKey(privateKey);
}

/** 32 random bytes (a private key). */
export function randomKey(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(KEY_SIZE));
}

/** mask = SHA-256(static_pub ‖ ephemeral_pub) (specification, "Handshake phase"). */
export function staticKeyMask(trezorStaticPublicKey: Uint8Array, trezorEphemeralPublicKey: Uint8Array): Uint8Array {
  return sha256(concat(trezorStaticPublicKey, trezorEphemeralPublicKey));
}

/**
 * The masked static key the device shows in the handshake:
 * X25519(SHA-256(static_pub ‖ ephemeral_pub), static_pub).
 */
export function maskedStaticKey(trezorStaticPublicKey: Uint8Array, trezorEphemeralPublicKey: Uint8Array): Uint8Array {
  return dh(staticKeyMask(trezorStaticPublicKey, trezorEphemeralPublicKey), trezorStaticPublicKey);
}
