/**
 * The virtual device's identity and symmetric-key workflows: SignIdentity (SLIP-13 key
 * derivation; ssh / gpg / signify / plain signatures), GetECDHSessionKey (SLIP-17) and
 * CipherKeyValue (SLIP-11). They need keys on curves other than secp256k1 (SLIP-10, ./slip10.ts;
 * hardened steps only, which is all these workflows use). Screens and codes follow the firmware: SignIdentity and ECDH
 * confirm with ButtonRequest ProtectCall, CipherKeyValue with Other when asked to.
 *
 * Expected results are the firmware's public vectors (shared vectors/slip14.json).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { base58check } from '@scure/base';
import type { MessageMap } from '../../../messages/index.js';
import { fail, type DeviceContext, type HandlerTable, type Reply } from '../context.js';
import type { Keychain } from '../keychain.js';
import { byLayout, namesScreens, screen } from '../screens.js';
import { isSlip10Curve, type Slip10Curve, type Slip10Node } from './slip10.js';

const HARDENED = 0x80000000;
const encoder = new TextEncoder();

type Curve = Slip10Curve;
type Node = Slip10Node;

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** SLIP-13 / SLIP-17 keys: hardened paths only. */
function derive(curve: Curve, keys: Keychain, path: readonly number[]): Node {
  if (path.some((index) => index < HARDENED)) fail('Failure_DataError', 'Forbidden key path');
  return keys.slip10(curve, path);
}

/** Public key as the firmware reports it: 33 bytes (SEC1 compressed, or 0x00 ‖ 32 for the Edwards/Montgomery curves). */
function publicKey(node: Node): Uint8Array {
  return node.publicKey;
}

/** ECDSA over a 32-byte digest: [recovery, r, s] (RFC 6979, low s). */
function signDigest(node: Node, digest: Uint8Array): { recovery: number; rs: Uint8Array } {
  const curve = node.curve === 'secp256k1' ? secp256k1 : p256;
  const sig = curve.sign(digest, node.privateKey, { prehash: false, format: 'recovered' });
  return { recovery: sig[0]!, rs: sig.slice(1) };
}

function parseCurve(name: string | undefined): Curve {
  const curve = name ?? 'secp256k1';
  if (!isSlip10Curve(curve)) fail('Failure_DataError', 'Unsupported curve');
  return curve;
}

/** SLIP-13 / SLIP-17: the identity URI and its hardened path under `purpose'`. */
function identityPath(identity: MessageMap['SignIdentity']['identity'], purpose: number): number[] {
  let uri = '';
  if (identity.proto) uri += `${identity.proto}://`;
  if (identity.user) uri += `${identity.user}@`;
  if (identity.host) uri += identity.host;
  if (identity.port) uri += `:${identity.port}`;
  if (identity.path) uri += identity.path;
  const index = new Uint8Array(4);
  new DataView(index.buffer).setUint32(0, identity.index ?? 0, true);
  const hash = sha256(concatBytes(index, encoder.encode(uri)));
  const view = new DataView(hash.buffer, hash.byteOffset, 16);
  return [purpose, view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)].map(
    (n) => (n | HARDENED) >>> 0,
  );
}

function varint(n: number): Uint8Array {
  if (n < 0xfd) return new Uint8Array([n]);
  return new Uint8Array([0xfd, n & 0xff, n >> 8]);
}

/** Bitcoin "signed message" digest (legacy crypto.c cryptoMessageSign with coin Bitcoin). */
function bitcoinMessageDigest(message: Uint8Array): Uint8Array {
  const prefix = encoder.encode('\x18Bitcoin Signed Message:\n');
  return sha256(sha256(concatBytes(prefix, varint(message.length), message)));
}

function p2pkhAddress(publicKey33: Uint8Array): string {
  return base58check(sha256).encode(concatBytes(new Uint8Array([0]), ripemd160(sha256(publicKey33))));
}

async function signIdentity(ctx: DeviceContext, request: MessageMap['SignIdentity']): Promise<Reply> {
  const identity = request.identity;
  const curve = parseCurve(request.ecdsa_curve_name);
  const host = [identity.proto ? `${identity.proto}://` : '', identity.host ?? ''].join('');
  // Core 2.8.9 gets the keychain (PIN, passphrase) before the screen, 2.4.1 after it.
  if (namesScreens(ctx.layout)) await ctx.seed();
  await ctx.confirm(byLayout(ctx, { old: 'ButtonRequest_ProtectCall', current: 'ButtonRequest_Other' }), {
    text: `Do you want to sign in?\n${host}\n${request.challenge_visual ?? ''}`,
    ...screen(ctx, ctx.layout === 'Caesar' ? 'confirm_sign_identity' : 'sign_identity', { Bolt: 1, Caesar: 1, Delizia: 2 }),
  });
  const node = derive(curve, await ctx.keychain(), identityPath(identity, 13 | HARDENED));
  const pub = publicKey(node);
  const hidden = request.challenge_hidden ?? new Uint8Array(0);
  const proto = identity.proto;
  let signature: Uint8Array;
  if (proto === 'ssh' || proto === 'gpg' || proto === 'signify') {
    if (curve === 'ed25519') {
      signature = concatBytes(new Uint8Array([0]), ed25519.sign(hidden, node.privateKey));
    } else if (proto === 'signify' || curve === 'curve25519') {
      fail('Failure_DataError', 'Unsupported curve');
    } else {
      // ssh signs SHA-256 of the challenge; gpg hands over a digest already.
      const digest = proto === 'ssh' ? sha256(hidden) : hidden;
      if (digest.length !== 32) fail('Failure_DataError', 'Invalid challenge');
      signature = concatBytes(new Uint8Array([0]), signDigest(node, digest).rs);
    }
  } else {
    if (curve !== 'secp256k1' && curve !== 'nist256p1') fail('Failure_DataError', 'Unsupported curve');
    const message = concatBytes(sha256(hidden), sha256(encoder.encode(request.challenge_visual ?? '')));
    const { recovery, rs } = signDigest(node, bitcoinMessageDigest(message));
    signature = concatBytes(new Uint8Array([27 + recovery + 4]), rs);
  }
  const reply: MessageMap['SignedIdentity'] = { public_key: pub, signature };
  if (curve === 'secp256k1') reply.address = p2pkhAddress(pub);
  return { type: 'SignedIdentity', message: reply };
}

async function getECDHSessionKey(ctx: DeviceContext, request: MessageMap['GetECDHSessionKey']): Promise<Reply> {
  const curve = parseCurve(request.ecdsa_curve_name);
  if (namesScreens(ctx.layout)) await ctx.seed();
  await ctx.confirm(byLayout(ctx, { old: 'ButtonRequest_ProtectCall', current: 'ButtonRequest_Other' }), {
    text: `Decrypt for:\n${request.identity.host ?? ''}`,
    ...screen(ctx, 'confirm_address'),
  });
  const node = derive(curve, await ctx.keychain(), identityPath(request.identity, 17 | HARDENED));
  const peer = request.peer_public_key;
  let sessionKey: Uint8Array;
  try {
    if (curve === 'curve25519') {
      if (peer.length !== 33) fail('Failure_DataError', 'Invalid peer public key');
      sessionKey = concatBytes(new Uint8Array([4]), x25519.getSharedSecret(node.privateKey, peer.subarray(1)));
    } else if (curve === 'ed25519') {
      fail('Failure_DataError', 'Unsupported curve');
    } else {
      const ecc = curve === 'secp256k1' ? secp256k1 : p256;
      sessionKey = ecc.getSharedSecret(node.privateKey, peer, false);
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'DeviceFailure') throw error;
    fail('Failure_ProcessError', 'Error getting ECDH session key');
  }
  return { type: 'ECDHSessionKey', message: { session_key: sessionKey, public_key: publicKey(node) } };
}

/** AES-256-CBC without padding, through WebCrypto (which always pads: we strip or forge the pad block). */
async function aesCbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) fail('Failure_FirmwareError', 'AES needs WebCrypto (a secure context)');
  const own = (bytes: Uint8Array) => new Uint8Array(bytes); // WebCrypto wants ArrayBuffer-backed copies
  const cryptoKey = await subtle.importKey('raw', own(key), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
  if (data.length === 0) return new Uint8Array(0);
  if (encrypt) {
    const out = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv: own(iv) }, cryptoKey, own(data)));
    return out.slice(0, data.length); // drop the PKCS#7 block
  }
  // Append the block that decrypts to a full PKCS#7 pad after the last ciphertext block.
  const last = own(data.subarray(data.length - 16));
  const pad = new Uint8Array(16).fill(16);
  const forged = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv: last }, cryptoKey, pad)).slice(0, 16);
  return new Uint8Array(await subtle.decrypt({ name: 'AES-CBC', iv: own(iv) }, cryptoKey, own(concatBytes(data, forged))));
}

async function cipherKeyValue(ctx: DeviceContext, request: MessageMap['CipherKeyValue']): Promise<Reply> {
  const value = request.value;
  if (value.length % 16 !== 0) fail('Failure_DataError', 'Value length must be a multiple of 16');
  const encrypt = request.encrypt ?? false;
  const askOnEncrypt = request.ask_on_encrypt ?? false;
  const askOnDecrypt = request.ask_on_decrypt ?? false;
  await ctx.unlock();
  // Core 2.8.9 gets the keychain (the passphrase) before the screen.
  if (namesScreens(ctx.layout)) await ctx.root();
  if (encrypt ? askOnEncrypt : askOnDecrypt) {
    await ctx.confirm('ButtonRequest_Other', {
      text: `${encrypt ? 'Encrypt' : 'Decrypt'} value of this key?\n${request.key}`,
      ...screen(ctx, 'cipher_key_value', { Bolt: 1, Caesar: 1, Delizia: 2 }),
    });
  }
  const node = (await ctx.keychain()).node(request.address_n ?? []);
  const data = encoder.encode(`${request.key}${askOnEncrypt ? 'E1' : 'E0'}${askOnDecrypt ? 'D1' : 'D0'}`);
  const secret = hmac(sha512, node.privateKey!, data);
  const iv = request.iv && request.iv.length === 16 ? request.iv : secret.subarray(32, 48);
  const out = await aesCbc(encrypt, secret.subarray(0, 32), iv, value);
  return { type: 'CipheredKeyValue', message: { value: out } };
}

export const cryptoHandlers: HandlerTable = {
  SignIdentity: signIdentity,
  GetECDHSessionKey: getECDHSessionKey,
  CipherKeyValue: cipherKeyValue,
};
