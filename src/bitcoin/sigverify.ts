/**
 * The signature checks of signPsbt behind one small interface, so that each platform uses its
 * fastest correct primitive: in Node, OpenSSL's secp256k1 ECDSA through `node:crypto` (about
 * three times faster than the pure-JavaScript code); in browsers, and for BIP-340 everywhere
 * (OpenSSL has no Schnorr for secp256k1), @noble/curves.
 *
 * `node:crypto` is never imported: it is taken from `process.getBuiltinModule` (Node ≥ 20.16,
 * 22.3; Deno and Bun have it too) on the first check, so browser bundles see no Node built-in and
 * older runtimes quietly use noble.
 *
 * Node's verify always hashes the data once more (SHA-256 for an ECDSA key; with no digest it
 * picks SHA-256 too) and cannot take a bare 32-byte digest. Bitcoin's ECDSA sighashes are double
 * SHA-256 of a preimage, so the checks take the preimage hashed once (`hashedOnce`) and both
 * verifiers check the signature over SHA-256 of it — which is the sighash itself.
 *
 * Both verifiers get the same input: the DER signature is parsed here, strictly (BIP-66 form,
 * the firmware's encoding) and with the low-S rule Bitcoin nodes enforce, into r ‖ s; what
 * fails that is false before any curve code runs.
 */
import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';

export interface SignatureVerifier {
  readonly name: 'node' | 'noble';
  /**
   * An ECDSA signature (DER, low S) by `publicKey` (33 bytes, compressed) over
   * SHA-256(`hashedOnce`): for a Bitcoin sighash, `hashedOnce` is SHA-256 of the preimage.
   */
  ecdsa(signature: Uint8Array, hashedOnce: Uint8Array, publicKey: Uint8Array): boolean;
  /** A BIP-340 signature (64 bytes) of a 32-byte message by an x-only key. */
  schnorr(signature: Uint8Array, message: Uint8Array, xOnlyKey: Uint8Array): boolean;
}

const N = secp256k1.Point.Fn.ORDER;
const HALF_N = N >> 1n;

function scalar(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** One DER INTEGER at `at`: its value bytes (leading zero dropped) and where the next field starts. */
function derInteger(der: Uint8Array, at: number): { value: Uint8Array; next: number } | undefined {
  if (der[at] !== 0x02) return undefined;
  const length = der[at + 1];
  if (length === undefined || length === 0 || length > 33 || at + 2 + length > der.length) return undefined;
  const value = der.subarray(at + 2, at + 2 + length);
  if (value[0]! & 0x80) return undefined; // negative
  if (value[0] === 0 && (length === 1 || !(value[1]! & 0x80))) return undefined; // not minimal
  return { value: value[0] === 0 ? value.subarray(1) : value, next: at + 2 + length };
}

/**
 * r ‖ s (64 bytes) of a strict DER ECDSA signature with 0 < r, s < n and s ≤ n/2, else undefined.
 * @example compactSignature(der)?.length // 64
 */
export function compactSignature(der: Uint8Array): Uint8Array | undefined {
  if (der.length < 8 || der.length > 72 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const r = derInteger(der, 2);
  const s = r && derInteger(der, r.next);
  if (!r || !s || s.next !== der.length || r.value.length > 32 || s.value.length > 32) return undefined;
  const rn = scalar(r.value);
  const sn = scalar(s.value);
  if (rn === 0n || rn >= N || sn === 0n || sn > HALF_N) return undefined;
  const out = new Uint8Array(64);
  out.set(r.value, 32 - r.value.length);
  out.set(s.value, 64 - s.value.length);
  return out;
}

const schnorrCheck = (signature: Uint8Array, message: Uint8Array, xOnlyKey: Uint8Array): boolean => {
  if (signature.length !== 64 || message.length !== 32 || xOnlyKey.length !== 32) return false;
  try {
    return schnorr.verify(signature, message, xOnlyKey);
  } catch {
    return false;
  }
};

/**
 * The pure-JavaScript verifier (@noble/curves), on every platform.
 * @example nobleVerifier.ecdsa(der, sha256(preimage), publicKey)
 */
export const nobleVerifier: SignatureVerifier = {
  name: 'noble',
  ecdsa(signature, hashedOnce, publicKey) {
    const compact = compactSignature(signature);
    if (!compact || publicKey.length !== 33) return false;
    try {
      // prehash: noble hashes the message with SHA-256 first, as OpenSSL does.
      return secp256k1.verify(compact, hashedOnce, publicKey, { prehash: true, format: 'compact', lowS: true });
    } catch {
      return false;
    }
  },
  schnorr: schnorrCheck,
};

/** The part of node:crypto used here. */
interface NodeCrypto {
  verify(algorithm: string, data: Uint8Array, key: { key: Uint8Array; format: 'der'; type: 'spki'; dsaEncoding: 'ieee-p1363' }, signature: Uint8Array): boolean;
}

/**
 * SubjectPublicKeyInfo of a compressed secp256k1 key, less the key: SEQUENCE { SEQUENCE {
 * id-ecPublicKey 1.2.840.10045.2.1, secp256k1 1.3.132.0.10 }, BIT STRING (34 bytes: no unused
 * bits ‖ the 33-byte point) } (RFC 5480 §2; the curve OID from SEC 2 §A.2).
 */
const SPKI_PREFIX = /* @__PURE__ */ Uint8Array.of(0x30, 0x36, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x22, 0x00);

/**
 * The OpenSSL verifier of a `node:crypto` module (ECDSA; BIP-340 through noble).
 * @example nodeVerifier(process.getBuiltinModule('node:crypto'))
 */
export function nodeVerifier(crypto: NodeCrypto): SignatureVerifier {
  const spki = new Uint8Array(SPKI_PREFIX.length + 33);
  spki.set(SPKI_PREFIX);
  return {
    name: 'node',
    ecdsa(signature, hashedOnce, publicKey) {
      const compact = compactSignature(signature);
      if (!compact || publicKey.length !== 33 || (publicKey[0] !== 2 && publicKey[0] !== 3)) return false;
      spki.set(publicKey, SPKI_PREFIX.length);
      try {
        return crypto.verify('sha256', hashedOnce, { key: spki, format: 'der', type: 'spki', dsaEncoding: 'ieee-p1363' }, compact);
      } catch {
        return false; // a key that is not on the curve
      }
    },
    schnorr: schnorrCheck,
  };
}

let chosen: SignatureVerifier | undefined;

/**
 * The verifier of this platform: OpenSSL's in Node (and runtimes with process.getBuiltinModule
 * and a secp256k1-capable node:crypto), noble elsewhere. Chosen on first use.
 * @example signatureVerifier().name // 'node' in Node 20.16+
 */
export function signatureVerifier(): SignatureVerifier {
  if (chosen) return chosen;
  chosen = nobleVerifier;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const crypto = proc?.getBuiltinModule?.('node:crypto') as (NodeCrypto & { getCurves?: () => string[] }) | undefined;
    if (crypto && typeof crypto.verify === 'function' && crypto.getCurves?.().includes('secp256k1')) chosen = nodeVerifier(crypto);
  } catch {
    // no node:crypto: noble it is
  }
  return chosen;
}
