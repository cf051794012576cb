/**
 * Pairing credentials, the device's side: a credential is the protobuf ThpPairingCredential
 * (metadata and HMAC-SHA256 over ThpAuthenticatedCredentialData = host static key + metadata)
 * under the credential authentication key, which the firmware derives by SLIP-21 from its device
 * secret at m/"TREZOR"/"THP credential authentication key"/counter (u32 BE). Sources: the
 * specification's "Credential phase" and core/src/apps/thp/credential_manager.py. The host treats
 * credentials as opaque bytes (see handshake.ts StoredCredential).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { protocolError } from '../../errors.js';
import { decodeEmbedded, encodeEmbedded, type ThpCredentialMetadata, type ThpPairingCredential } from '../../messages/index.js';
import { concat } from './noise.js';

/**
 * SLIP-21 key of `path` under `seed`: the last 32 bytes of the node.
 * @example slip21Key(secret, [utf8('TREZOR'), utf8('THP credential authentication key'), counter])
 */
export function slip21Key(seed: Uint8Array, path: readonly Uint8Array[]): Uint8Array {
  let node = hmac(sha512, new TextEncoder().encode('Symmetric key seed'), seed);
  for (const label of path) node = hmac(sha512, node.subarray(0, 32), concat(Uint8Array.of(0), label));
  return node.slice(32, 64);
}

/** The credential authentication key for a device secret and counter. */
export function credentialKey(deviceSecret: Uint8Array, counter = 0): Uint8Array {
  const c = new Uint8Array(4);
  new DataView(c.buffer).setUint32(0, counter);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  return slip21Key(deviceSecret, [utf8('TREZOR'), utf8('THP credential authentication key'), c]);
}

function credentialMac(key: Uint8Array, hostStaticPublicKey: Uint8Array, metadata: ThpCredentialMetadata): Uint8Array {
  const data = encodeEmbedded('ThpAuthenticatedCredentialData', { host_static_public_key: hostStaticPublicKey, cred_metadata: metadata });
  return hmac(sha256, key, data);
}

/**
 * Issue a credential binding `hostStaticPublicKey` to `metadata`.
 * @example issueCredential(key, hostPub, { host_name: 'laptop', app_name: 'trezorctl' })
 */
export function issueCredential(key: Uint8Array, hostStaticPublicKey: Uint8Array, metadata: ThpCredentialMetadata): Uint8Array {
  return encodeEmbedded('ThpPairingCredential', { cred_metadata: metadata, mac: credentialMac(key, hostStaticPublicKey, metadata) });
}

/**
 * Validate a credential for the host key that presented it; returns its metadata, or
 * undefined when it is malformed or its MAC does not verify.
 */
export function validateCredential(key: Uint8Array, credential: Uint8Array, hostStaticPublicKey: Uint8Array): ThpCredentialMetadata | undefined {
  let decoded: ThpPairingCredential;
  try {
    decoded = decodeEmbedded<ThpPairingCredential>('ThpPairingCredential', credential);
  } catch {
    return undefined;
  }
  if (!decoded.cred_metadata || !(decoded.mac instanceof Uint8Array)) return undefined;
  const expected = credentialMac(key, hostStaticPublicKey, decoded.cred_metadata);
  if (expected.length !== decoded.mac.length) return undefined;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ decoded.mac[i]!;
  return diff === 0 ? decoded.cred_metadata : undefined;
}

/** Reject what cannot be a credential before it goes into a handshake. */
export function checkCredentialBytes(credential: Uint8Array): void {
  if (!(credential instanceof Uint8Array) || credential.length === 0 || credential.length > 0xff) {
    throw protocolError('a THP credential is 1..255 bytes');
  }
}
