/**
 * BIP-32 extended public keys in their base58check form, with any version bytes (SLIP-132:
 * xpub/ypub/zpub, tpub/upub/vpub, Ltub/Mtub …). The device returns the key under the version
 * that matches the requested script type; the host re-encodes and compares it with the raw node
 * the device sent alongside, and reads keys back regardless of their version.
 *
 * Layout (78 bytes, then a 4-byte double-SHA256 checksum):
 *   version (4, BE) | depth (1) | parent fingerprint (4, BE) | child number (4, BE) |
 *   chain code (32) | public key (33, compressed)
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { createBase58check } from '@scure/base';
import { invalidParameter } from '../errors.js';

const base58check = /* @__PURE__ */ createBase58check(sha256);

/** The fields of a BIP-32 public node. */
export interface ExtendedPublicKey {
  version: number;
  depth: number;
  parentFingerprint: number;
  childNumber: number;
  chainCode: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Serialize a public node under the given version bytes.
 * @example encodeXpub({ version: 0x0488b21e, depth: 3, parentFingerprint, childNumber, chainCode, publicKey })
 */
export function encodeXpub(node: ExtendedPublicKey): string {
  return base58check.encode(xpubBytes(node));
}

/**
 * The 78 bytes of a public node (BIP-32 serialization, no checksum), as PSBT_GLOBAL_XPUB keys them.
 * @example xpubBytes(node).length // 78
 */
export function xpubBytes(node: ExtendedPublicKey): Uint8Array {
  const out = new Uint8Array(78);
  const view = new DataView(out.buffer);
  view.setUint32(0, node.version >>> 0);
  out[4] = node.depth;
  view.setUint32(5, node.parentFingerprint >>> 0);
  view.setUint32(9, node.childNumber >>> 0);
  out.set(node.chainCode, 13);
  out.set(node.publicKey, 45);
  return out;
}

/**
 * Parse an extended public key of any version; InvalidParameters when it is not one.
 * @example decodeXpub('xpub6BiVtCpG9fQP…').depth // 3
 */
export function decodeXpub(xpub: string, field = 'xpub'): ExtendedPublicKey {
  let bytes: Uint8Array;
  try {
    bytes = base58check.decode(xpub);
  } catch {
    throw invalidParameter(field, 'not a base58check extended public key');
  }
  if (bytes.length !== 78) throw invalidParameter(field, `expected 78 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const publicKey = bytes.slice(45, 78);
  if (publicKey[0] !== 2 && publicKey[0] !== 3) throw invalidParameter(field, 'not a public extended key');
  return {
    version: view.getUint32(0),
    depth: bytes[4]!,
    parentFingerprint: view.getUint32(5),
    childNumber: view.getUint32(9),
    chainCode: bytes.slice(13, 45),
    publicKey,
  };
}
