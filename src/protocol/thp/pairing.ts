/**
 * Pairing computations, both roles (specification "Pairing phase", states TP1..TP3c and
 * HP0..HP7; trezorlib 0.20.1 thp/pairing.py is the host side the tests compare with):
 * - code entry: the device commits to a random secret, the host sends a challenge, the device
 *   shows code = SHA-256(0x02 ‖ handshake_hash ‖ secret ‖ challenge) mod 10⁶; both run CPace on
 *   the code; the host proves it with SHA-256(shared secret), the device then reveals the secret
 *   and the host checks commitment and code.
 * - QR code: code = SHA-256(0x03 ‖ handshake_hash ‖ secret)[:16]; tag = SHA-256(hash ‖ code).
 * - NFC: tags SHA-256(0x04 ‖ handshake_hash ‖ other side's secret).
 * Mismatches are ProtocolErrors. Message exchange and screens belong to the caller.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { protocolError } from '../../errors.js';
import { concat } from './noise.js';
import { cpaceKeys, cpaceSharedSecret } from './cpace.js';

/** ThpPairingMethod values (thp.proto). */
export const PairingMethod = { SkipPairing: 1, CodeEntry: 2, QrCode: 3, NFC: 4 } as const;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function random(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** The code entry code as a number 0..999999. */
export function codeEntryCode(handshakeHash: Uint8Array, secret: Uint8Array, challenge: Uint8Array): number {
  const digest = sha256(concat(Uint8Array.of(PairingMethod.CodeEntry), handshakeHash, secret, challenge));
  let n = 0n;
  for (const b of digest) n = (n << 8n) | BigInt(b);
  return Number(n % 1_000_000n);
}

/** Six digits with leading zeros. @example formatCode(42) // '000042' */
export function formatCode(code: number): string {
  return String(code).padStart(6, '0');
}

/** SHA-256 of the CPace shared secret: what the host sends as its tag. */
export function cpaceTag(sharedSecret: Uint8Array): Uint8Array {
  return sha256(sharedSecret);
}

/** The 16-byte QR code the device shows. */
export function qrCode(handshakeHash: Uint8Array, secret: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(PairingMethod.QrCode), handshakeHash, secret)).slice(0, 16);
}

/** The host's ThpQrCodeTag for a scanned code. */
export function qrCodeTag(handshakeHash: Uint8Array, code: Uint8Array): Uint8Array {
  return sha256(concat(handshakeHash, code));
}

/** An NFC tag over the other side's secret. */
export function nfcTag(handshakeHash: Uint8Array, secret: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(PairingMethod.NFC), handshakeHash, secret));
}

/**
 * Device side of code entry.
 * @example
 * const ce = new CodeEntryDevice(handshakeHash);
 * send('ThpCodeEntryCommitment', { commitment: ce.commitment });
 * const { code, cpaceTrezorPublicKey } = ce.readChallenge(challenge); // show code
 * const secret = ce.readHostTag(hostPublicKey, tag);                  // ThpCodeEntrySecret
 */
export class CodeEntryDevice {
  readonly secret: Uint8Array;
  readonly commitment: Uint8Array;
  /** The code, once the challenge arrived. */
  code: number | undefined;
  private cpacePrivate: Uint8Array | undefined;

  constructor(
    private readonly handshakeHash: Uint8Array,
    secret: Uint8Array = random(16),
  ) {
    this.secret = secret.slice();
    this.commitment = sha256(this.secret);
  }

  readChallenge(challenge: Uint8Array, cpacePrivateKey?: Uint8Array): { code: number; cpaceTrezorPublicKey: Uint8Array } {
    if (this.code !== undefined) throw protocolError('code entry challenge already received');
    this.code = codeEntryCode(this.handshakeHash, this.secret, challenge);
    const keys = cpaceKeys(formatCode(this.code), this.handshakeHash, cpacePrivateKey);
    this.cpacePrivate = keys.privateKey;
    return { code: this.code, cpaceTrezorPublicKey: keys.publicKey };
  }

  /** Check the host's CPace tag; returns the secret to reveal. */
  readHostTag(cpaceHostPublicKey: Uint8Array, tag: Uint8Array): Uint8Array {
    if (!this.cpacePrivate) throw protocolError('code entry tag before the challenge');
    const shared = cpaceSharedSecret(this.cpacePrivate, cpaceHostPublicKey);
    if (shared.every((b) => b === 0)) throw protocolError('CPace shared secret is zero');
    if (!equal(cpaceTag(shared), tag)) throw protocolError('code entry tag mismatch (wrong code)');
    return this.secret.slice();
  }
}

/**
 * Host side of code entry.
 * @example
 * const ce = new CodeEntryHost(handshakeHash, commitment);      // from ThpCodeEntryCommitment
 * send('ThpCodeEntryChallenge', { challenge: ce.challenge });
 * ce.readCpaceTrezor(cpaceTrezorPublicKey);
 * send('ThpCodeEntryCpaceHostTag', ce.hostTag(userCode));
 * ce.readSecret(secret, userCode);                              // throws on a mismatch
 */
export class CodeEntryHost {
  readonly challenge: Uint8Array;
  private trezorPublic: Uint8Array | undefined;

  constructor(
    private readonly handshakeHash: Uint8Array,
    private readonly commitment: Uint8Array,
    challenge: Uint8Array = random(16),
  ) {
    this.challenge = challenge.slice();
  }

  readCpaceTrezor(cpaceTrezorPublicKey: Uint8Array): void {
    if (cpaceTrezorPublicKey.length !== 32) throw protocolError('CPace public key must be 32 bytes');
    this.trezorPublic = cpaceTrezorPublicKey.slice();
  }

  /** ThpCodeEntryCpaceHostTag fields for the code the user typed. */
  hostTag(code: string, cpacePrivateKey?: Uint8Array): { cpace_host_public_key: Uint8Array; tag: Uint8Array } {
    if (!/^[0-9]{6}$/.test(code)) throw protocolError('a pairing code is 6 digits');
    if (!this.trezorPublic) throw protocolError('code entry: no CPace key from the device yet');
    const keys = cpaceKeys(code, this.handshakeHash, cpacePrivateKey);
    return { cpace_host_public_key: keys.publicKey, tag: cpaceTag(cpaceSharedSecret(keys.privateKey, this.trezorPublic)) };
  }

  /** Check the revealed secret against the commitment and the code. */
  readSecret(secret: Uint8Array, code: string): void {
    if (!equal(sha256(secret), this.commitment)) throw protocolError('code entry: the secret does not match the commitment');
    if (formatCode(codeEntryCode(this.handshakeHash, secret, this.challenge)) !== code) throw protocolError('code entry: the code does not match');
  }
}
