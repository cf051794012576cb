/**
 * THP pairing credentials as the application stores them.
 *
 * After pairing, the device can issue a credential (ThpCredentialResponse) bound to this host's
 * static key; presenting it in a later handshake skips pairing (the device may still ask the
 * user to allow the connection). The application keeps each credential with the host key it was
 * issued for and the device's static public key (which tells on the next handshake which stored
 * credential belongs to the device behind it). Hex strings, so a credential goes into
 * localStorage or a file through JSON as it is.
 *
 * `hostPrivateKey` is a secret: whoever holds it and the credential connects to the device as
 * this host without pairing. It never appears in an error message or a log of this library.
 */
import { invalidParameter } from '../../errors.js';

/**
 * One stored THP credential (persist it from `onCredentials`, pass it back in `credentials`).
 * @example localStorage.setItem('trezor-thp', JSON.stringify(credential))
 */
export interface ThpCredential {
  /** The device's static public key (ThpCredentialResponse.trezor_static_public_key), 64 hex digits. */
  trezorPublicKey: string;
  /** This host's static X25519 private key the credential was issued for, 64 hex digits. Secret. */
  hostPrivateKey: string;
  /** The credential bytes the device issued (opaque to the host), hex. */
  credential: string;
  /** True when issued with autoconnect (the device connects without asking the user). */
  autoconnect?: boolean;
}

/** The form the THP core's handshake reads. */
export interface StoredCredentialBytes {
  trezorStaticPublicKey: Uint8Array;
  hostStaticPrivateKey: Uint8Array;
  credential: Uint8Array;
}

const HEX = /^(?:[0-9a-f]{2})+$/i;

function bytesOf(hex: unknown, field: string, length?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX.test(hex) || (length !== undefined && hex.length !== length * 2)) {
    throw invalidParameter(field, `expected ${length ? `${length} bytes` : 'bytes'} as hex`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Lower-case hex of `bytes`. */
export function toHexString(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Check the application's stored credentials (InvalidParameters naming the bad field, never
 * its value) and turn them into bytes for the handshake.
 * @example credentialsToBytes(JSON.parse(localStorage.getItem('trezor-thp') ?? '[]'))
 */
export function credentialsToBytes(credentials: unknown): StoredCredentialBytes[] {
  if (credentials === undefined) return [];
  if (!Array.isArray(credentials)) throw invalidParameter('credentials', 'expected an array of THP credentials');
  return credentials.map((c: unknown, i) => {
    if (typeof c !== 'object' || c === null) throw invalidParameter(`credentials[${i}]`, 'expected { trezorPublicKey, hostPrivateKey, credential }');
    const { trezorPublicKey, hostPrivateKey, credential } = c as Record<string, unknown>;
    return {
      trezorStaticPublicKey: bytesOf(trezorPublicKey, `credentials[${i}].trezorPublicKey`, 32),
      hostStaticPrivateKey: bytesOf(hostPrivateKey, `credentials[${i}].hostPrivateKey`, 32),
      credential: bytesOf(credential, `credentials[${i}].credential`),
    };
  });
}

/**
 * The application's form of a credential the device just issued.
 * @example credentialFromResponse(response, hostKey) // { trezorPublicKey: 'ab…', hostPrivateKey: '…', credential: '…' }
 */
export function credentialFromResponse(
  response: { trezor_static_public_key: Uint8Array; credential: Uint8Array },
  hostStaticPrivateKey: Uint8Array,
  autoconnect = false,
): ThpCredential {
  return {
    trezorPublicKey: toHexString(response.trezor_static_public_key),
    hostPrivateKey: toHexString(hostStaticPrivateKey),
    credential: toHexString(response.credential),
    ...(autoconnect ? { autoconnect: true } : {}),
  };
}
