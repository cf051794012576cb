/**
 * SLIP-13 identities and the signatures Trezor's SignIdentity makes, checked on the host.
 * Pure functions over bytes: no device, no transport, so both the browser side (login) and a
 * server (verifyLogin) use this file without pulling in the session layer.
 *
 * What the firmware signs (trezor-firmware core/src/apps/misc/sign_identity.py `sign_challenge`,
 * legacy/firmware/crypto.c `cryptoSignIdentity` / fsm_msgSignIdentity):
 *
 *   proto ssh     ECDSA over sha256(hidden)  (ed25519: the raw hidden bytes)  → 0x00 ‖ r ‖ s
 *   proto gpg     ECDSA over hidden (a 32-byte digest; ed25519: raw bytes)    → 0x00 ‖ r ‖ s
 *   proto signify ed25519 over hidden                                         → 0x00 ‖ sig
 *   anything else (https, ftp, …): a Bitcoin signed message over
 *                 sha256(hidden) ‖ sha256(visual)  (64 bytes)                 → header ‖ r ‖ s
 *
 * The key is the SLIP-13 node m/13'/a'/b'/c'/d' where a..d are the first 16 bytes of
 * sha256(uint32le(index) ‖ uri), read as four little-endian uint32, and uri is
 * `proto://user@host:port/path` with the empty parts left out (SLIP-0013).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58check } from '@scure/base';
import { describeValue, invalidParameter } from '../errors.js';

/** The parts of a SLIP-13 identity URI, as the IdentityType message carries them. */
export interface Identity {
  proto?: string;
  user?: string;
  host?: string;
  /** Port as text ("2323"), as the firmware takes it. */
  port?: string;
  /** Path including its leading slash ("/login"). */
  path?: string;
  /** SLIP-13 index: another key for the same URI. Default 0. */
  index?: number;
}

/** Curves SignIdentity signs with. */
export type IdentityCurve = 'secp256k1' | 'nist256p1' | 'ed25519';
export const IDENTITY_CURVES: readonly IdentityCurve[] = ['secp256k1', 'nist256p1', 'ed25519'];

/**
 * Longest strings the firmware accepts, in UTF-8 bytes (legacy messages-crypto.options max_size,
 * less the terminating NUL), and the longest hidden challenge (512 bytes).
 */
const MAX_BYTES = { proto: 8, user: 63, host: 63, port: 5, path: 255 } as const;
export const MAX_CHALLENGE_HIDDEN = 512;
export const MAX_CHALLENGE_VISUAL = 255;

const HARDENED = 0x80000000;
const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * Read an identity given as a URI string or as its parts; checks each part against the firmware's limits.
 * @example parseIdentity('https://satoshi@bitcoin.org/login') // { proto: 'https', user: 'satoshi', host: 'bitcoin.org', path: '/login', index: 0 }
 */
export function parseIdentity(identity: unknown, field = 'identity'): Identity {
  let parts: Record<string, unknown>;
  if (typeof identity === 'string') {
    // Taken apart literally (no URL normalisation): a trailing "/" or a default port changes the key.
    const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/]*)@)?([^:/]*)(?::([0-9]*))?(\/.*)?$/.exec(identity);
    if (!match) throw invalidParameter(field, `expected a URI like "https://example.com", got ${describeValue(identity)}`);
    parts = { proto: match[1], user: match[2], host: match[3], port: match[4], path: match[5] };
  } else if (typeof identity === 'object' && identity !== null && !Array.isArray(identity)) {
    parts = identity as Record<string, unknown>;
  } else {
    throw invalidParameter(field, `expected a URI string or { proto, host, … }, got ${describeValue(identity)}`);
  }
  const out: Identity = {};
  for (const key of ['proto', 'user', 'host', 'port', 'path'] as const) {
    const value = parts[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw invalidParameter(`${field}.${key}`, `expected a string, got ${describeValue(value)}`);
    if (utf8(value).length > MAX_BYTES[key]) throw invalidParameter(`${field}.${key}`, `at most ${MAX_BYTES[key]} bytes`);
    if (key === 'port' && !/^[0-9]+$/.test(value)) throw invalidParameter(`${field}.port`, `expected digits, got ${describeValue(value)}`);
    out[key] = value;
  }
  const index = parts.index ?? 0;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw invalidParameter(`${field}.index`, `expected an integer 0..2^32-1, got ${describeValue(index)}`);
  }
  out.index = index;
  return out;
}

/**
 * The URI the key is derived from (empty parts left out, as the firmware's serialize_identity).
 * @example identityUri({ proto: 'ftp', user: 'satoshi', host: 'bitcoin.org', port: '2323', path: '/pub' }) // 'ftp://satoshi@bitcoin.org:2323/pub'
 */
export function identityUri(identity: Identity): string {
  let uri = '';
  if (identity.proto) uri += `${identity.proto}://`;
  if (identity.user) uri += `${identity.user}@`;
  if (identity.host) uri += identity.host;
  if (identity.port) uri += `:${identity.port}`;
  if (identity.path) uri += identity.path;
  return uri;
}

/**
 * The origin an identity stands for, as a browser writes `location.origin`: `proto://host[:port]`.
 * @example identityOrigin({ proto: 'https', host: 'example.com', path: '/login' }) // 'https://example.com'
 */
export function identityOrigin(identity: Identity): string {
  return `${identity.proto ?? ''}://${identity.host ?? ''}${identity.port ? `:${identity.port}` : ''}`;
}

/**
 * SLIP-13 key path of an identity: m/13'/a'/b'/c'/d'.
 * @example identityPath({ proto: 'https', user: 'satoshi', host: 'bitcoin.org', path: '/login' }) // [0x8000000d, 2637750992, …]
 */
export function identityPath(identity: Identity): number[] {
  const uri = utf8(identityUri(identity));
  const data = new Uint8Array(4 + uri.length);
  new DataView(data.buffer).setUint32(0, identity.index ?? 0, true);
  data.set(uri, 4);
  const hash = sha256(data);
  const view = new DataView(hash.buffer, hash.byteOffset, 16);
  return [13, view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)].map((n) => (n | HARDENED) >>> 0);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Double-SHA256 of the Bitcoin signed message (compactSize header ‖ "Bitcoin Signed Message:\n" ‖ compactSize(len) ‖ message). */
function bitcoinMessageDigest(message: Uint8Array): Uint8Array {
  const header = utf8('\x18Bitcoin Signed Message:\n');
  // The message here is always 64 bytes: a one-byte compactSize.
  return sha256(sha256(concat(header, new Uint8Array([message.length]), message)));
}

/**
 * The 64 bytes a web-login (non ssh/gpg/signify) signature commits to: sha256(hidden) ‖ sha256(visual).
 * @example loginMessage(hidden, '2015-03-23 17:39:22').length // 64
 */
export function loginMessage(challengeHidden: Uint8Array, challengeVisual: string): Uint8Array {
  return concat(sha256(challengeHidden), sha256(utf8(challengeVisual)));
}

/**
 * The Bitcoin (P2PKH) address the firmware reports for a secp256k1 identity key.
 * @example identityAddress(publicKey) // '17F17smBTX9VTZA9Mj8LM5QGYNZnmziCjL'
 */
export function identityAddress(publicKey: Uint8Array): string {
  return base58check(sha256).encode(concat(new Uint8Array([0]), ripemd160(sha256(publicKey))));
}

export interface IdentitySignature {
  identity: Identity;
  challengeHidden: Uint8Array;
  challengeVisual: string;
  curve: IdentityCurve;
  /** 33 bytes: SEC1 compressed, or 0x00 ‖ key for ed25519 (SLIP-10). */
  publicKey: Uint8Array;
  /** 65 bytes as SignedIdentity carries it. */
  signature: Uint8Array;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * True when `signature` is what SignIdentity makes with `publicKey` for this identity and
 * challenge (see the table at the top of this file). Never throws on malformed bytes: false.
 * It cannot tell whether the key really is the identity's SLIP-13 key (that needs the seed).
 * @example verifyIdentitySignature({ identity, challengeHidden, challengeVisual, curve: 'secp256k1', publicKey, signature })
 */
export function verifyIdentitySignature(s: IdentitySignature): boolean {
  const { publicKey, signature, challengeHidden: hidden, curve } = s;
  if (signature.length !== 65 || publicKey.length !== 33) return false;
  const proto = s.identity.proto;
  try {
    if (curve === 'ed25519') {
      // ed25519 signs the raw hidden challenge for ssh, gpg and signify; web login has no ed25519 form.
      if (proto !== 'ssh' && proto !== 'gpg' && proto !== 'signify') return false;
      if (publicKey[0] !== 0 || signature[0] !== 0) return false;
      return ed25519.verify(signature.subarray(1), hidden, publicKey.subarray(1));
    }
    const ecdsa = curve === 'secp256k1' ? secp256k1 : p256;
    if (proto === 'signify') return false;
    if (proto === 'ssh' || proto === 'gpg') {
      const digest = proto === 'ssh' ? sha256(hidden) : hidden;
      if (digest.length !== 32 || signature[0] !== 0) return false;
      return ecdsa.verify(signature.subarray(1), digest, publicKey, { prehash: false, lowS: false });
    }
    // Web login: a compact signature with a recovery header (27 + 4 for a compressed key + recid).
    const header = signature[0]!;
    if (header < 31 || header > 34) return false;
    const digest = bitcoinMessageDigest(loginMessage(hidden, s.challengeVisual));
    const recovered = ecdsa.Signature.fromBytes(signature.subarray(1), 'compact')
      .addRecoveryBit(header - 31)
      .recoverPublicKey(digest)
      .toBytes(true);
    return equalBytes(recovered, publicKey);
  } catch {
    return false;
  }
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Bytes of an even-length hex string (no 0x), or undefined when it is not one. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}
