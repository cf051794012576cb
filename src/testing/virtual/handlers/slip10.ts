/**
 * SLIP-10 key derivation on every curve the firmware names in `ecdsa_curve_name`
 * (GetPublicKey, SignIdentity, GetECDHSessionKey), as trezor-crypto's bip32.c does it.
 * https://github.com/satoshilabs/slips/blob/master/slip-0010.md
 *
 *   master   I = HMAC-SHA512(key = "<curve> seed", seed)   ("Bitcoin seed", "Nist256p1 seed" …)
 *            Weierstrass curves: while I_L is 0 or ≥ n, I = HMAC-SHA512(key, I)
 *   child    hardened:  I = HMAC-SHA512(c, 0x00 ‖ k ‖ ser32(i))
 *            normal:    I = HMAC-SHA512(c, serP(K) ‖ ser32(i))      (Weierstrass curves only)
 *            Weierstrass: k' = I_L + k mod n; if I_L ≥ n or k' = 0,
 *                         I = HMAC-SHA512(c, 0x01 ‖ I_R ‖ ser32(i)) and again
 *            ed25519, curve25519: k' = I_L (hardened only)
 *
 * Public keys are 33 bytes: compressed points, and for ed25519 / curve25519 0x00 ‖ the 32-byte
 * key (the form the firmware reports and hashes for fingerprints: hash160(public key)[0..4]).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { fail } from '../context.js';

export type Slip10Curve = 'secp256k1' | 'nist256p1' | 'ed25519' | 'curve25519';

/** One node of a SLIP-10 tree, shaped like the HDNodeType fields the firmware reports. */
export interface Slip10Node {
  curve: Slip10Curve;
  depth: number;
  /** Fingerprint of the parent (0 for the master node). */
  parentFingerprint: number;
  index: number;
  chainCode: Uint8Array;
  privateKey: Uint8Array;
  /** 33 bytes (see the module header). */
  publicKey: Uint8Array;
  /** hash160(publicKey)[0..4] as a big-endian integer. */
  fingerprint: number;
}

const SEED_KEYS: Record<Slip10Curve, string> = {
  secp256k1: 'Bitcoin seed',
  nist256p1: 'Nist256p1 seed',
  ed25519: 'ed25519 seed',
  curve25519: 'curve25519 seed',
};
/** Group orders of the Weierstrass curves (the others take I_L as the key). */
const ORDERS: Partial<Record<Slip10Curve, bigint>> = /* @__PURE__ */ (() => ({
  secp256k1: secp256k1.Point.CURVE().n,
  nist256p1: p256.Point.CURVE().n,
}))();

/** Is this a curve name this module derives on? */
export function isSlip10Curve(name: string): name is Slip10Curve {
  return Object.prototype.hasOwnProperty.call(SEED_KEYS, name);
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function fromBigInt(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

function ser32(i: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, i >>> 0);
  return out;
}

function publicKeyOf(curve: Slip10Curve, privateKey: Uint8Array): Uint8Array {
  switch (curve) {
    case 'secp256k1':
      return secp256k1.getPublicKey(privateKey, true);
    case 'nist256p1':
      return p256.getPublicKey(privateKey, true);
    case 'ed25519':
      return concatBytes(Uint8Array.of(0), ed25519.getPublicKey(privateKey));
    case 'curve25519':
      return concatBytes(Uint8Array.of(0), x25519.getPublicKey(privateKey));
  }
}

function node(curve: Slip10Curve, depth: number, parentFingerprint: number, index: number, privateKey: Uint8Array, chainCode: Uint8Array): Slip10Node {
  const publicKey = publicKeyOf(curve, privateKey);
  const fingerprint = new DataView(ripemd160(sha256(publicKey)).buffer).getUint32(0);
  return { curve, depth, parentFingerprint, index, chainCode, privateKey, publicKey, fingerprint };
}

/**
 * The SLIP-10 master node of a BIP-39 seed.
 * @example slip10Master('ed25519', seed).publicKey[0] // 0
 */
export function slip10Master(curve: Slip10Curve, seed: Uint8Array): Slip10Node {
  const key = new TextEncoder().encode(SEED_KEYS[curve]);
  let I = hmac(sha512, key, seed);
  const n = ORDERS[curve];
  if (n !== undefined) {
    for (;;) {
      const k = toBigInt(I.subarray(0, 32));
      if (k !== 0n && k < n) break;
      I = hmac(sha512, key, I);
    }
  }
  return node(curve, 0, 0, 0, I.slice(0, 32), I.slice(32));
}

/**
 * Private child derivation (hdnode_private_ckd); ed25519 and curve25519 have hardened children only.
 * @example slip10Child(slip10Master('ed25519', seed), 0x80000000).depth // 1
 */
export function slip10Child(parent: Slip10Node, index: number): Slip10Node {
  const { curve } = parent;
  const n = ORDERS[curve];
  const hardened = index >= 0x80000000;
  if (n === undefined && !hardened) fail('Failure_ProcessError', 'Failed to derive private key');
  let data = hardened ? concatBytes(Uint8Array.of(0), parent.privateKey, ser32(index)) : concatBytes(parent.publicKey, ser32(index));
  for (;;) {
    const I = hmac(sha512, parent.chainCode, data);
    const chainCode = I.slice(32);
    if (n === undefined) return node(curve, parent.depth + 1, parent.fingerprint, index, I.slice(0, 32), chainCode);
    const tweak = toBigInt(I.subarray(0, 32));
    const k = (tweak + toBigInt(parent.privateKey)) % n;
    if (tweak < n && k !== 0n) return node(curve, parent.depth + 1, parent.fingerprint, index, fromBigInt(k), chainCode);
    data = concatBytes(Uint8Array.of(1), chainCode, ser32(index));
  }
}
