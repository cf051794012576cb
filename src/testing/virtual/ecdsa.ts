/**
 * Deterministic ECDSA on secp256k1 for the virtual device, faster than noble's sign().
 *
 * The firmware signs with RFC 6979 nonces and low s (trezor-crypto ecdsa_sign_digest), and so
 * does `secp256k1.sign(digest, key, { prehash: false, lowS: true })`: the same key and digest
 * give the same bytes, which is what lets the transcripts replay. noble spends about half of a
 * signature on protecting the nonce from timing attacks (a blinded constant-time
 * multiplication over a 384-bit scalar, a random blinding of the inversion). A test device's
 * keys are test keys with nothing to hide, so this module computes the same signature with a
 * variable-time multiplication over a precomputed table of the base point (./basepoint.ts,
 * built once per process on the first signature) and a plain inversion.
 * test/virtual-ecdsa.test.ts checks it against noble's sign() byte for byte.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, createHmacDrbg, numberToBytesBE } from '@noble/curves/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { multiplyBase } from './basepoint.js';

const { Point, Signature } = secp256k1;
const Fn = Point.Fn;
const N = Fn.ORDER;
const HALF_N = N >> 1n;

/** HMAC-DRBG of RFC 6979 with HMAC-SHA256, as noble's sign() runs it. */
const drbg = /* @__PURE__ */ createHmacDrbg<InstanceType<typeof Signature>>(32, 32, (key: Uint8Array, message: Uint8Array) => hmac(sha256, key, message));

/**
 * RFC 6979 ECDSA signature of a 32-byte digest with low s, and its recovery id: the signature
 * of `secp256k1.sign(digest, privateKey, { prehash: false, lowS: true })`.
 * @example signDigest(sha256d(preimage), node.privateKey!).toBytes('der')
 */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): InstanceType<typeof Signature> {
  if (digest.length !== 32) throw new RangeError('signDigest: the digest must be 32 bytes');
  const d = bytesToNumberBE(privateKey);
  if (privateKey.length !== 32 || d <= 0n || d >= N) throw new RangeError('signDigest: invalid private key');
  // RFC 6979 3.2 step A: h1 as an integer below n (bits2int_modN of a 256-bit digest).
  const m = bytesToNumberBE(digest) % N;
  const seed = new Uint8Array(64);
  seed.set(privateKey, 0);
  seed.set(numberToBytesBE(m, 32), 32);
  return drbg(seed, (kBytes) => {
    const k = bytesToNumberBE(kBytes);
    if (k <= 0n || k >= N) return undefined;
    const q = multiplyBase(k);
    const r = q.x % N;
    if (r === 0n) return undefined;
    let s = Fn.create(Fn.inv(k) * Fn.create(m + r * d));
    if (s === 0n) return undefined;
    let recovery = (q.x === r ? 0 : 2) | Number(q.y & 1n);
    if (s > HALF_N) {
      s = N - s;
      recovery ^= 1;
    }
    return new Signature(r, s, recovery);
  });
}
