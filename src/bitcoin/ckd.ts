/**
 * BIP-32 public child derivation (CKDpub), on the curve code the Bitcoin module already carries,
 * so that checking a shown address against its account key costs no second BIP-32 library in
 * the bundle. Only unhardened steps exist for public keys.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';

const N = secp256k1.Point.Fn.ORDER;

/**
 * The compressed public key `indices` (each below 2³¹) below a node, or undefined in the
 * vanishingly rare case BIP-32 calls invalid (IL ≥ n or the point at infinity).
 * @example derivePublicKey(account.publicKey, account.chainCode, [0, 5]) // key of …/0/5
 */
export function derivePublicKey(publicKey: Uint8Array, chainCode: Uint8Array, indices: readonly number[]): Uint8Array | undefined {
  let key = publicKey;
  let chain = chainCode;
  for (const index of indices) {
    const i = new Uint8Array(4);
    new DataView(i.buffer).setUint32(0, index); // ser32(i), big-endian
    const I = hmac(sha512, chain, concatBytes(key, i));
    let tweak = 0n;
    for (const byte of I.subarray(0, 32)) tweak = (tweak << 8n) | BigInt(byte);
    if (tweak === 0n || tweak >= N) return undefined;
    const child = secp256k1.Point.BASE.multiply(tweak).add(secp256k1.Point.fromBytes(key));
    if (child.equals(secp256k1.Point.ZERO)) return undefined;
    key = child.toBytes(true);
    chain = I.slice(32);
  }
  return key;
}
