/**
 * CPace over X25519 (draft-irtf-cfrg-cpace, "CPace255"), the password-authenticated key
 * exchange behind code entry pairing: both sides derive a generator point from the 6-digit
 * code and the handshake hash, exchange ephemeral keys on it and compare SHA-256 of the shared
 * secret. The generator string and the Elligator 2 map (RFC 9380 map_to_curve_elligator2_curve25519)
 * follow the THP specification (state TP2) and trezorlib 0.20.1 thp/cpace.py, curve25519.py.
 */
import { _map_to_curve_elligator2_curve25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { protocolError } from '../../errors.js';
import { concat } from './noise.js';
import { dh, randomKey } from './x25519.js';

const P = 2n ** 255n - 19n;
const DSI = new TextEncoder().encode('CPace255');
const HASH_BLOCK = 128; // SHA-512

function prependLength(data: Uint8Array): Uint8Array {
  if (data.length > 0x7f) throw protocolError('CPace input longer than a one-byte LEB128 length');
  return concat(Uint8Array.of(data.length), data);
}

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % P;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

/** RFC 7748 decodeUCoordinate: little-endian, top bit cleared, reduced mod p. */
function decodeCoordinate(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(i === 31 ? bytes[i]! & 0x7f : bytes[i]!);
  return n % P;
}

function encodeCoordinate(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Elligator 2 onto Curve25519: the u-coordinate of the point `input` maps to. */
export function elligator2(input: Uint8Array): Uint8Array {
  if (input.length !== 32) throw protocolError('Elligator 2 input must be 32 bytes');
  const { xMn, xMd } = _map_to_curve_elligator2_curve25519(decodeCoordinate(input));
  return encodeCoordinate((xMn * modPow(xMd, P - 2n)) % P);
}

/**
 * The CPace generator string: lv(DSI) ‖ lv(code) ‖ lv(zero padding to the hash block) ‖
 * lv(handshake hash) ‖ lv(empty session id).
 */
export function cpaceGeneratorString(code: string, handshakeHash: Uint8Array): Uint8Array {
  const prs = new TextEncoder().encode(code);
  const zpad = Math.max(0, HASH_BLOCK - (DSI.length + 1 + prs.length + 1 + 1));
  return concat(prependLength(DSI), prependLength(prs), prependLength(new Uint8Array(zpad)), prependLength(handshakeHash), prependLength(new Uint8Array(0)));
}

/**
 * The generator point for a code: ELLIGATOR2(SHA-512(generator string)[:32]).
 * @example cpaceGenerator('123456', handshakeHash) // 32-byte u-coordinate
 */
export function cpaceGenerator(code: string, handshakeHash: Uint8Array): Uint8Array {
  return elligator2(sha512(cpaceGeneratorString(code, handshakeHash)).subarray(0, 32));
}

/** One side's CPace keys for a code: a random private key and its public key on the generator. */
export function cpaceKeys(code: string, handshakeHash: Uint8Array, privateKey: Uint8Array = randomKey()): { privateKey: Uint8Array; publicKey: Uint8Array } {
  return { privateKey, publicKey: dh(privateKey, cpaceGenerator(code, handshakeHash)) };
}

/** The CPace shared secret; a zero peer key or zero result is a ProtocolError. */
export function cpaceSharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.every((b) => b === 0)) throw protocolError('CPace public key is zero');
  return dh(privateKey, peerPublicKey);
}
