// The virtual device's fast deterministic ECDSA (src/testing/virtual/ecdsa.ts, with k·G from
// src/testing/virtual/basepoint.ts) signs as the
// firmware does: trezor-crypto's own deterministic-signature vectors (trezor-firmware
// crypto/tests/test_check.c, test_ecdsa_sign_digest_deterministic: r ‖ s before any low-s
// normalization, so the test normalizes the expected s), and byte for byte what noble's
// secp256k1.sign(digest, key, { prehash: false, lowS: true }) gives for keys and digests drawn
// at random, recovery id included.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { multiplyBase } from '../src/testing/virtual/basepoint.js';
import { signDigest } from '../src/testing/virtual/ecdsa.js';

const N = secp256k1.Point.Fn.ORDER;

/** test_check.c: private key, digest, r ‖ s. */
const FIRMWARE_VECTORS = [
  [
    '312155017c70a204106e034520e0cdf17b3e54516e2ece38e38e38e38e38e38e',
    'ffffffffffffffffffffffffffffffff20202020202020202020202020202020',
    'e3d70248ea2fc771fc8d5e62d76b9cfd5402c96990333549eaadce1ae9f737eb5cfbdc7d1e0ec18cc9b57bbb18f0a57dc929ec3c4dfac9073c581705015f6a8a',
  ],
  [
    '312155017c70a204106e034520e0cdf17b3e54516e2ece38e38e38e38e38e38e',
    '2020202020202020202020202020202020202020202020202020202020202020',
    '40666188895430715552a7e4c6b53851f37a93030fb94e043850921242db78e875aa2ac9fd7e5a19402973e60e64382cdc29a09ebf6cb37e92f23be5b9251aee',
  ],
] as const;

function lowS(compact: string): string {
  const s = BigInt(`0x${compact.slice(64)}`);
  return compact.slice(0, 64) + (s > N >> 1n ? N - s : s).toString(16).padStart(64, '0');
}

describe('multiplyBase', () => {
  it("gives noble's k·G for edge scalars and scalars drawn at random", () => {
    const edges = [1n, 2n, 63n, 64n, 65n, 127n, 128n, 2n ** 128n, 2n ** 252n, 2n ** 255n, 2n ** 255n + 2n ** 254n, N - 2n ** 128n, N - 65n, N - 64n, N - 2n, N - 1n];
    const random = Array.from({ length: 100 }, () => BigInt(`0x${bytesToHex(randomBytes(32))}`) % N || 1n);
    for (const k of [...edges, ...random]) {
      const expected = secp256k1.Point.BASE.multiply(k).toAffine();
      expect(multiplyBase(k), `k = ${k.toString(16)}`).toEqual({ x: expected.x, y: expected.y });
    }
  });

  it('refuses 0 and scalars of n and above', () => {
    expect(() => multiplyBase(0n)).toThrow(RangeError);
    expect(() => multiplyBase(N)).toThrow(RangeError);
    expect(() => multiplyBase(2n ** 256n)).toThrow(RangeError);
  });
});

describe('signDigest', () => {
  it('gives trezor-crypto deterministic signatures', () => {
    for (const [key, digest, signature] of FIRMWARE_VECTORS) {
      expect(bytesToHex(signDigest(hexToBytes(digest), hexToBytes(key)).toBytes('compact'))).toBe(lowS(signature));
    }
  });

  it("gives noble's signatures byte for byte, recovery id included", () => {
    let flipped = 0;
    for (let i = 0; i < 200; i++) {
      const key = secp256k1.utils.randomSecretKey();
      const digest = randomBytes(32);
      const expected = secp256k1.sign(digest, key, { prehash: false, lowS: true, format: 'recovered' });
      const signature = signDigest(digest, key);
      expect(bytesToHex(signature.toBytes('recovered'))).toBe(bytesToHex(expected));
      expect(bytesToHex(signature.toBytes('der'))).toBe(bytesToHex(secp256k1.sign(digest, key, { prehash: false, lowS: true, format: 'der' })));
      const raw = secp256k1.sign(digest, key, { prehash: false, lowS: false, format: 'compact' });
      if (bytesToHex(raw) !== bytesToHex(signature.toBytes('compact'))) flipped++;
    }
    // About half of the raw signatures have a high s: the low-s branch was taken.
    expect(flipped).toBeGreaterThan(50);
  });

  it('refuses a key outside 1..n-1 and a digest that is not 32 bytes', () => {
    const digest = new Uint8Array(32).fill(1);
    expect(() => signDigest(digest, new Uint8Array(32))).toThrow(RangeError);
    expect(() => signDigest(digest, hexToBytes(N.toString(16)))).toThrow(RangeError);
    expect(() => signDigest(new Uint8Array(31), new Uint8Array(32).fill(1))).toThrow(RangeError);
  });
});
