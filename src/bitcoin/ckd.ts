/**
 * BIP-32 public child derivation (CKDpub), on the curve code the Bitcoin module already carries,
 * so that checking a shown address against its account key costs no second BIP-32 library in
 * the bundle. Only unhardened steps exist for public keys.
 *
 * A node keeps its point decoded (PublicNode), so that deriving many children of one parent
 * (createPsbt's UTXOs under a chain node) decompresses the parent once, not per child.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';

const N = secp256k1.Point.Fn.ORDER;
type Point = InstanceType<typeof secp256k1.Point>;

/** A public BIP-32 node: its key (compressed and as a point) and chain code. */
export interface PublicNode {
  publicKey: Uint8Array;
  point: Point;
  chainCode: Uint8Array;
}

/**
 * A node from its compressed key and chain code (the key decompressed once).
 * @example publicNode(account.publicKey, account.chainCode)
 */
export function publicNode(publicKey: Uint8Array, chainCode: Uint8Array): PublicNode {
  return { publicKey, point: secp256k1.Point.fromBytes(publicKey), chainCode };
}

/**
 * The unhardened child `index` of a node, or undefined in the vanishingly rare case BIP-32
 * calls invalid (IL ≥ n or the point at infinity).
 * @example childNode(chain, 5)?.publicKey
 */
export function childNode(parent: PublicNode, index: number): PublicNode | undefined {
  const data = new Uint8Array(37);
  data.set(parent.publicKey);
  new DataView(data.buffer).setUint32(33, index); // ser32(i), big-endian
  const I = hmac(sha512, parent.chainCode, data);
  let tweak = 0n;
  for (let i = 0; i < 32; i++) tweak = (tweak << 8n) | BigInt(I[i]!);
  if (tweak === 0n || tweak >= N) return undefined;
  // Everything here is public (an xpub's children): the variable-time multiplication is fine
  // and about twice as fast as the constant-time one.
  const point = secp256k1.Point.BASE.multiplyUnsafe(tweak).add(parent.point);
  if (point.equals(secp256k1.Point.ZERO)) return undefined;
  return { publicKey: point.toBytes(true), point, chainCode: I.slice(32) };
}

/**
 * The compressed public key `indices` (each below 2³¹) below a node, or undefined in the
 * vanishingly rare case BIP-32 calls invalid (IL ≥ n or the point at infinity).
 * @example derivePublicKey(account.publicKey, account.chainCode, [0, 5]) // key of …/0/5
 */
export function derivePublicKey(publicKey: Uint8Array, chainCode: Uint8Array, indices: readonly number[]): Uint8Array | undefined {
  let node: PublicNode | undefined = publicNode(publicKey, chainCode);
  for (const index of indices) {
    node = childNode(node, index);
    if (!node) return undefined;
  }
  return node.publicKey;
}
