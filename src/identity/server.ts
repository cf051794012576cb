/**
 * The server side of "Log in with Trezor": issue challenges and check the signed answers, with
 * the replay protection the OWASP / API-security guidance asks for — a one-time random nonce, a
 * short time window (120 s by default), binding to the site's origin, and the signature check.
 * No device or transport code: this file and ./slip13.ts are all a server loads.
 *
 * A challenge is stateless until it is used. Its hidden part (56 bytes, hex on the wire) is
 *
 *   nonce (16 random bytes) ‖ issuedAt (uint64 BE, ms since 1970) ‖ tag (32 bytes)
 *   tag = HMAC-SHA256(secret, "trezor-direct/identity/v1" ‖ 0x00 ‖ nonce ‖ issuedAt ‖ origin ‖ 0x00 ‖ visual)
 *
 * so a client can neither make up a challenge, nor move one to another origin, nor change the
 * text shown on the device. The visual part is the issue time ("2026-12-02 02:30:00", UTC), which
 * the user sees on the Trezor. verifyLogin records the nonce as used in a NonceStore only once
 * everything else has passed; a second use within the window is refused ('replayed'), a later
 * one is refused as 'expired', so the store only has to remember a nonce for the window.
 *
 * The site itself is bound through the key: SLIP-13 derives a different key for every identity
 * URI, and the signed bytes (sha256(hidden) ‖ sha256(visual)) do not name it. A response must
 * name an identity of `origin`, but one signed for another site verifies only under that site's
 * key, which is not the account's: pass the account's `publicKey` once the user is known.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import {
  IDENTITY_CURVES,
  fromHex,
  identityAddress,
  identityOrigin,
  identityUri,
  parseIdentity,
  toHex,
  verifyIdentitySignature,
  type Identity,
  type IdentityCurve,
} from './slip13.js';

/** Default time a challenge stays valid (ms). */
export const LOGIN_WINDOW_MS = 120_000;
/** How far in the future an issue time may lie (clocks of several servers drift a little). */
const CLOCK_SKEW_MS = 5_000;
const NONCE_BYTES = 16;
const HIDDEN_BYTES = NONCE_BYTES + 8 + 32;
const DOMAIN = /* @__PURE__ */ new TextEncoder().encode('trezor-direct/identity/v1\0');

/**
 * Where verifyLogin records used nonces. `useOnce` must be atomic: resolve true when the nonce
 * was not there (and is now, until `expiresAt`), false when it was already used. Redis:
 * `SET login:<nonce> 1 PXAT <expiresAt> NX` (true when it answers OK). SQL: `INSERT INTO
 * used_nonce (nonce, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING` (true when one row was
 * inserted), with a periodic `DELETE FROM used_nonce WHERE expires_at < now`. `expiresAt` is in
 * ms on the server's clock (the `now` verifyLogin was given, Date.now() by default).
 */
export interface NonceStore {
  useOnce(nonce: string, expiresAt: number): Promise<boolean> | boolean;
}

/**
 * A NonceStore in this process's memory, forgetting nonces once they expire. Enough for one
 * server process; several processes, or replay protection across restarts, need a shared store.
 * @example const store = memoryNonceStore(); await verifyLogin({ secret, origin, response, store })
 */
export function memoryNonceStore(options: { now?: () => number } = {}): NonceStore & { readonly size: number } {
  const now = options.now ?? Date.now;
  const used = new Map<string, number>();
  let nextSweep = 0;
  return {
    get size() {
      return used.size;
    },
    useOnce(nonce, expiresAt) {
      const t = now();
      if (t >= nextSweep) {
        for (const [key, until] of used) if (until <= t) used.delete(key);
        nextSweep = t + 1_000;
      }
      const until = used.get(nonce);
      if (until !== undefined && until > t) return false;
      used.set(nonce, expiresAt);
      return true;
    },
  };
}

let defaultStore: NonceStore | undefined;

export interface Challenge {
  /** Hex; pass to login() as it is. */
  challengeHidden: string;
  /** Shown on the device: the issue time, UTC. */
  challengeVisual: string;
}

export interface CreateChallengeParameters {
  /** Server secret (at least 16 bytes; a string is taken as UTF-8). The same one goes to verifyLogin. */
  secret: string | Uint8Array;
  /** The site the login is for, as the browser's `location.origin`: "https://example.com". */
  origin: string;
  /** Issue time (ms), default Date.now(). */
  now?: number;
}

export interface VerifyLoginParameters {
  secret: string | Uint8Array;
  /** The origin this server answers for; the signed identity must be of it. */
  origin: string;
  /** What login() returned, as the client posted it (parsed JSON). */
  response: unknown;
  /** Used nonces; default: one in-memory store for this process. */
  store?: NonceStore;
  /** How long a challenge stays valid (ms), default 120 000. */
  windowMs?: number;
  /**
   * The exact identity expected ("https://example.com/login", a user, an index), when the site
   * uses more than its origin. Default: any identity of `origin`.
   */
  identity?: string | Identity;
  /**
   * The account's key (hex, from an earlier login), when the user already said who they are.
   * The signed bytes do not name the site: SLIP-13 binds the site through the key, so a
   * signature made for another site carries another key, and this is where it is refused.
   */
  publicKey?: string;
  /** Current time (ms), default Date.now(). */
  now?: number;
}

export interface LoginResult {
  /** Hex of the identity key: the account id (per seed, passphrase and identity). */
  publicKey: string;
  /** P2PKH address of the key (secp256k1). */
  address?: string;
  identity: Identity;
  identityUri: string;
  curve: IdentityCurve;
  /** When the challenge was issued (ms). */
  issuedAt: number;
}

/** Why verifyLogin refused a response. */
export type LoginRejection = 'malformed' | 'origin' | 'account' | 'challenge' | 'expired' | 'signature' | 'replayed';

/**
 * verifyLogin's refusal: a TrezorError with code VerificationFailed and the reason.
 * @example catch (e) { if (e instanceof LoginRejectedError) log(e.reason) }
 */
export class LoginRejectedError extends TrezorError<'VerificationFailed'> {
  readonly reason: LoginRejection;
  constructor(reason: LoginRejection, message: string) {
    super('VerificationFailed', `Login refused (${reason}): ${message}`);
    this.reason = reason;
  }
}

function secretBytes(secret: unknown): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret instanceof Uint8Array ? secret : undefined;
  if (!bytes) throw invalidParameter('secret', 'expected a string or a Uint8Array');
  if (bytes.length < 16) throw invalidParameter('secret', 'at least 16 bytes');
  return bytes;
}

function checkOrigin(origin: unknown): string {
  if (typeof origin !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/@:]+(:[0-9]+)?$/.test(origin)) {
    throw invalidParameter('origin', `expected "proto://host[:port]" like location.origin, got ${describeValue(origin)}`);
  }
  return origin;
}

function checkTime(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalidParameter(field, `expected milliseconds, got ${describeValue(value)}`);
  return value;
}

/** "YYYY-MM-DD HH:MM:SS" in UTC, the form of the firmware's own test challenge. */
function visualTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function tag(secret: Uint8Array, nonce: Uint8Array, issuedAt: Uint8Array, origin: string, visual: string): Uint8Array {
  const enc = new TextEncoder();
  const parts = [DOMAIN, nonce, issuedAt, enc.encode(origin), new Uint8Array([0]), enc.encode(visual)];
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return hmac(sha256, secret, data);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * A fresh challenge for one login: send it to the page, which passes it to login().
 * @example app.get('/login/challenge', (req, res) => res.json(createChallenge({ secret, origin: 'https://example.com' })))
 */
export function createChallenge(params: CreateChallengeParameters): Challenge {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected { secret, origin }');
  const secret = secretBytes(params.secret);
  const origin = checkOrigin(params.origin);
  const now = checkTime('now', params.now ?? Date.now());
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const issuedAt = new Uint8Array(8);
  new DataView(issuedAt.buffer).setBigUint64(0, BigInt(now));
  const visual = visualTime(now);
  const hidden = new Uint8Array(HIDDEN_BYTES);
  hidden.set(nonce, 0);
  hidden.set(issuedAt, NONCE_BYTES);
  hidden.set(tag(secret, nonce, issuedAt, origin, visual), NONCE_BYTES + 8);
  return { challengeHidden: toHex(hidden), challengeVisual: visual };
}

/** The fields of a posted response, or 'malformed'. */
function readResponse(response: unknown) {
  const bad = (what: string) => new LoginRejectedError('malformed', what);
  if (typeof response !== 'object' || response === null) throw bad('not an object');
  const r = response as Record<string, unknown>;
  let identity: Identity;
  try {
    identity = parseIdentity(r.identity);
  } catch {
    throw bad('identity');
  }
  const hex = (name: string, length: number): Uint8Array => {
    const value = r[name];
    const bytes = typeof value === 'string' ? fromHex(value) : undefined;
    if (!bytes || bytes.length !== length) throw bad(name);
    return bytes;
  };
  const hidden = hex('challengeHidden', HIDDEN_BYTES);
  const publicKey = hex('publicKey', 33);
  const signature = hex('signature', 65);
  if (typeof r.challengeVisual !== 'string' || r.challengeVisual.length > 255) throw bad('challengeVisual');
  const curve = r.curve ?? 'secp256k1';
  if (!IDENTITY_CURVES.includes(curve as IdentityCurve)) throw bad('curve');
  return { identity, hidden, visual: r.challengeVisual, publicKey, signature, curve: curve as IdentityCurve };
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return identityUri(a) === identityUri(b) && (a.index ?? 0) === (b.index ?? 0);
}

/**
 * Check a login response from the page: origin, challenge authenticity, time window, signature,
 * and that the nonce was never used before (then it is recorded as used). Resolves with the
 * account key; rejects with LoginRejectedError (VerificationFailed, with `reason`).
 * @example
 * const { publicKey } = await verifyLogin({ secret, origin: 'https://example.com', response: await req.json() });
 */
export async function verifyLogin(params: VerifyLoginParameters): Promise<LoginResult> {
  if (typeof params !== 'object' || params === null) throw invalidParameter('params', 'expected { secret, origin, response }');
  const secret = secretBytes(params.secret);
  const origin = checkOrigin(params.origin);
  const windowMs = checkTime('windowMs', params.windowMs ?? LOGIN_WINDOW_MS);
  const now = checkTime('now', params.now ?? Date.now());
  const expected = params.identity === undefined ? undefined : parseIdentity(params.identity, 'identity');
  const account = params.publicKey === undefined ? undefined : typeof params.publicKey === 'string' ? fromHex(params.publicKey) : undefined;
  if (params.publicKey !== undefined && account?.length !== 33) throw invalidParameter('publicKey', 'expected 33 bytes of hex');
  const store = params.store ?? (defaultStore ??= memoryNonceStore());
  if (typeof store !== 'object' || store === null || typeof store.useOnce !== 'function') throw invalidParameter('store', 'expected { useOnce(nonce, expiresAt) }');

  const r = readResponse(params.response);
  if (identityOrigin(r.identity) !== origin) throw new LoginRejectedError('origin', `signed for ${identityOrigin(r.identity)}, not ${origin}`);
  if (expected && !sameIdentity(expected, r.identity)) throw new LoginRejectedError('origin', `signed for ${identityUri(r.identity)}, not ${identityUri(expected)}`);

  const nonce = r.hidden.subarray(0, NONCE_BYTES);
  const issuedBytes = r.hidden.subarray(NONCE_BYTES, NONCE_BYTES + 8);
  if (!equalBytes(tag(secret, nonce, issuedBytes, origin, r.visual), r.hidden.subarray(NONCE_BYTES + 8))) {
    throw new LoginRejectedError('challenge', 'the challenge was not issued by this server for this origin and text');
  }
  const issuedAt = Number(new DataView(issuedBytes.buffer, issuedBytes.byteOffset, 8).getBigUint64(0));
  if (issuedAt > now + CLOCK_SKEW_MS) throw new LoginRejectedError('expired', 'the challenge was issued in the future');
  if (now - issuedAt > windowMs) throw new LoginRejectedError('expired', `the challenge is older than ${windowMs} ms`);

  const valid = verifyIdentitySignature({
    identity: r.identity,
    challengeHidden: r.hidden,
    challengeVisual: r.visual,
    curve: r.curve,
    publicKey: r.publicKey,
    signature: r.signature,
  });
  if (!valid) throw new LoginRejectedError('signature', 'the signature does not verify for the public key');
  if (account && !equalBytes(account, r.publicKey)) throw new LoginRejectedError('account', 'signed with another key than the account\'s');

  // Last, so a refused attempt never uses up a genuine challenge.
  if (!(await store.useOnce(toHex(nonce), issuedAt + windowMs + CLOCK_SKEW_MS))) {
    throw new LoginRejectedError('replayed', 'this challenge was already used');
  }
  const result: LoginResult = {
    publicKey: toHex(r.publicKey),
    identity: r.identity,
    identityUri: identityUri(r.identity),
    curve: r.curve,
    issuedAt,
  };
  if (r.curve === 'secp256k1') result.address = identityAddress(r.publicKey);
  return result;
}
