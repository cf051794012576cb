/**
 * The Noise building blocks THP's handshake uses (Noise_XX_25519_AESGCM_SHA256, noiseprotocol.org
 * revision 34): the symmetric state (chaining key `ck`, handshake hash `h`, cipher key and
 * nonce), Noise's two-output HKDF over HMAC-SHA256, and AES-256-GCM with the 12-byte nonce
 * 0⁴ ‖ counter (u64 big-endian). The THP specification writes the same steps out longhand
 * ("Common definitions", states TH1/TH2 and HH1..HH3); trezorlib 0.20.1 runs them through the
 * `noise` package, and the tests compare our bytes with it.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { protocolError } from '../../errors.js';

const EMPTY = new Uint8Array(0);

/** 'Noise_XX_25519_AESGCM_SHA256' padded with zeros to the hash length (32 bytes). */
export const PROTOCOL_NAME: Uint8Array = (() => {
  const out = new Uint8Array(32);
  out.set(new TextEncoder().encode('Noise_XX_25519_AESGCM_SHA256'));
  return out;
})();

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Noise HKDF with two outputs: temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01);
 * out2 = HMAC(temp, out1 ‖ 0x02).
 */
export function hkdf2(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const temp = hmac(sha256, ck, ikm);
  const out1 = hmac(sha256, temp, Uint8Array.of(1));
  const out2 = hmac(sha256, temp, concat(out1, Uint8Array.of(2)));
  return [out1, out2];
}

/** The 12-byte AES-GCM nonce of counter `n`: four zero bytes, then n as u64 big-endian. */
export function gcmNonce(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw protocolError(`THP nonce out of range: ${n}`);
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  view.setUint32(4, Math.floor(n / 0x1_0000_0000));
  view.setUint32(8, n >>> 0);
  return iv;
}

export function aesGcmEncrypt(key: Uint8Array, n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return gcm(key, gcmNonce(n), ad).encrypt(plaintext);
}

/** Decrypt and authenticate; a wrong tag is a ProtocolError. */
export function aesGcmDecrypt(key: Uint8Array, n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < 16) throw protocolError('THP ciphertext shorter than its tag');
  try {
    return gcm(key, gcmNonce(n), ad).decrypt(ciphertext);
  } catch (error) {
    throw protocolError('THP decryption failed (wrong key or tampered data)', error);
  }
}

/** One direction of a Noise cipher: a key and its message counter. */
export class CipherState {
  constructor(
    readonly key: Uint8Array,
    public nonce = 0,
  ) {}

  encrypt(plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    const out = aesGcmEncrypt(this.key, this.nonce, ad, plaintext);
    this.nonce++;
    return out;
  }

  /** Decrypt the next message; the counter moves only when it authenticates. */
  decrypt(ciphertext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    const out = aesGcmDecrypt(this.key, this.nonce, ad, ciphertext);
    this.nonce++;
    return out;
  }
}

/** Noise SymmetricState, initialised for Noise_XX_25519_AESGCM_SHA256 with a prologue. */
export class SymmetricState {
  ck: Uint8Array;
  h: Uint8Array;
  private cipher: CipherState | undefined;

  constructor(prologue: Uint8Array) {
    this.h = PROTOCOL_NAME.slice();
    this.ck = PROTOCOL_NAME.slice();
    this.mixHash(prologue);
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(concat(this.h, data));
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.cipher = new CipherState(k);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const out = this.cipher ? this.cipher.encrypt(plaintext, this.h) : plaintext.slice();
    this.mixHash(out);
    return out;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const out = this.cipher ? this.cipher.decrypt(ciphertext, this.h) : ciphertext.slice();
    this.mixHash(ciphertext);
    return out;
  }

  /** The two transport keys: (initiator → responder, responder → initiator). */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    return [new CipherState(k1), new CipherState(k2)];
  }
}
