/**
 * trezor-direct/identity: the firmware's sign_identity vectors (slip14.json plus
 * sign-identity-more.json, both from test_msg_signidentity.py::test_sign), login() against the
 * virtual device and against a device that lies, and verifyLogin's replay protection: replayed,
 * expired, re-ordered, cross-origin and tampered challenges.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import {
  LoginRejectedError,
  createChallenge,
  identityAddress,
  identityPath,
  login,
  memoryNonceStore,
  parseIdentity,
  verifyIdentitySignature,
  verifyLogin,
  type IdentityCurve,
  type LoginResponse,
  type NonceStore,
} from '../src/identity/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { fixturePath, loadVectors } from './support/fixtures.js';

const slip14 = loadVectors().sign_identity;
const more = JSON.parse(readFileSync(fixturePath('vectors/sign-identity-more.json'), 'utf8'));
const MNEMONIC12: string = slip14.mnemonic;
interface Vector {
  identity: Record<string, string | number>;
  challenge_hidden: string;
  challenge_visual: string;
  ecdsa_curve_name: IdentityCurve | null;
  comment_path?: string | null;
  expected_address: string | null;
  expected_public_key: string;
  expected_signature: string;
}
const VECTORS: Vector[] = [
  ...slip14.cases,
  ...more.cases.map((c: Vector) => ({ ...c, challenge_hidden: more.meta.challenge_hidden, challenge_visual: more.meta.challenge_visual })),
];
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

const SECRET = 'a server secret of at least sixteen bytes';
const ORIGIN = 'https://example.com';

const opened: VirtualTrezor[] = [];
afterEach(async () => {
  for (const v of opened.splice(0)) await v.close();
});

async function virtualTrezor(mnemonic = MNEMONIC12): Promise<Trezor> {
  const virtual = new VirtualTrezor({ mnemonic, model: 'T2T1', autoConfirm: true });
  opened.push(virtual);
  return connect({ transport: virtual.transport() });
}

/** A Trezor whose SignIdentity answer is `answer` (what a broken or hostile device might send); counts calls. */
function lyingTrezor(answer: { public_key: Uint8Array; signature: Uint8Array; address?: string }) {
  const calls: unknown[] = [];
  const trezor = {
    typedCall: async (...args: unknown[]) => {
      calls.push(args);
      return answer;
    },
  } as unknown as Trezor;
  return { trezor, calls };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('SLIP-13 vectors (test_msg_signidentity.py::test_sign)', () => {
  it('has all six cases of the firmware test', () => {
    expect(VECTORS.map((v) => `${v.identity.proto}/${v.ecdsa_curve_name ?? 'secp256k1'}`).sort()).toEqual(
      ['ftp/secp256k1', 'gpg/ed25519', 'https/secp256k1', 'signify/ed25519', 'ssh/ed25519', 'ssh/nist256p1'],
    );
  });

  for (const v of VECTORS) {
    const name = `${v.identity.proto}://${v.identity.host} ${v.ecdsa_curve_name ?? 'secp256k1'}`;
    const input = {
      identity: v.identity,
      challengeHidden: bytes(v.challenge_hidden),
      challengeVisual: v.challenge_visual,
      curve: v.ecdsa_curve_name ?? 'secp256k1',
      publicKey: bytes(v.expected_public_key),
      signature: bytes(v.expected_signature),
    } as const;

    it(`${name}: path, address and signature check`, () => {
      if (v.comment_path) expect(`m/${identityPath(v.identity).join('/')}`).toBe(v.comment_path);
      if (v.expected_address) expect(identityAddress(input.publicKey)).toBe(v.expected_address);
      expect(verifyIdentitySignature(input)).toBe(true);
      // One flipped bit anywhere in the signature, the challenge or the key, and it fails.
      for (const at of [1, 40, 64]) {
        const sig = input.signature.slice();
        sig[at]! ^= 1;
        expect(verifyIdentitySignature({ ...input, signature: sig })).toBe(false);
      }
      const hidden = input.challengeHidden.slice();
      hidden[0]! ^= 1;
      expect(verifyIdentitySignature({ ...input, challengeHidden: hidden })).toBe(false);
      const key = input.publicKey.slice();
      key[32]! ^= 1;
      expect(verifyIdentitySignature({ ...input, publicKey: key })).toBe(false);
      // Web login signs the visual text too; ssh / gpg / signify do not.
      const otherVisual = verifyIdentitySignature({ ...input, challengeVisual: `${v.challenge_visual}!` });
      expect(otherVisual).toBe(['ssh', 'gpg', 'signify'].includes(String(v.identity.proto)));
    });

    it(`${name}: login() on the virtual device returns the firmware's values`, async () => {
      const trezor = await virtualTrezor();
      const response = await login(trezor, { identity: v.identity, challengeHidden: v.challenge_hidden, challengeVisual: v.challenge_visual, curve: input.curve });
      expect(response.publicKey).toBe(v.expected_public_key);
      expect(response.signature).toBe(v.expected_signature);
      expect(response.address ?? null).toBe(v.expected_address);
    });
  }

  it('an identity given as a URI derives the same key path as its parts', () => {
    for (const v of VECTORS.filter((c) => c.comment_path)) {
      const { proto, user, host, port, path } = v.identity;
      const uri = `${proto}://${user}@${host}${port ? `:${port}` : ''}${path ?? ''}`;
      const parsed = parseIdentity(uri);
      parsed.index = Number(v.identity.index ?? 0);
      expect(`m/${identityPath(parsed).join('/')}`, uri).toBe(v.comment_path);
    }
  });
});

describe('login(): the host checks what the device returns', () => {
  const v = VECTORS.find((c) => c.identity.proto === 'https')!;
  const params = { identity: 'https://satoshi@bitcoin.org/login', challengeHidden: v.challenge_hidden, challengeVisual: v.challenge_visual };

  it('accepts the identity as a URI string (same key as the vector parts)', async () => {
    const { trezor } = lyingTrezor({ public_key: bytes(v.expected_public_key), signature: bytes(v.expected_signature), address: v.expected_address! });
    const response = await login(trezor, params);
    expect(response).toMatchObject({ publicKey: v.expected_public_key, address: v.expected_address, identity: { proto: 'https', user: 'satoshi', host: 'bitcoin.org', path: '/login', index: 0 } });
  });

  it('a changed signature, key or address is VerificationFailed', async () => {
    const sig = bytes(v.expected_signature);
    sig[10]! ^= 0x80;
    const other = VECTORS.find((c) => c.identity.proto === 'ftp')!;
    for (const answer of [
      { public_key: bytes(v.expected_public_key), signature: sig },
      { public_key: bytes(other.expected_public_key), signature: bytes(v.expected_signature) },
      { public_key: bytes(v.expected_public_key), signature: bytes(v.expected_signature), address: other.expected_address! },
      { public_key: bytes(v.expected_public_key), signature: bytes(v.expected_signature).subarray(0, 64) },
    ]) {
      const { trezor } = lyingTrezor(answer);
      const error = await rejection(login(trezor, params));
      expect(isTrezorError(error, 'VerificationFailed'), String(error)).toBe(true);
    }
  });

  it('bad parameters are InvalidParameters naming the field, and nothing is sent', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...params, challengeHidden: 'xyz' }, 'challengeHidden'],
      [{ ...params, challengeHidden: 'ab'.repeat(513) }, 'challengeHidden'],
      [{ ...params, challengeVisual: 7 }, 'challengeVisual'],
      [{ ...params, challengeVisual: 'x'.repeat(256) }, 'challengeVisual'],
      [{ ...params, identity: 'example.com' }, 'identity'],
      [{ ...params, identity: { proto: 'https', host: 'h'.repeat(64) } }, 'identity.host'],
      [{ ...params, identity: { proto: 'https', host: 'example.com', port: 'http' } }, 'identity.port'],
      [{ ...params, identity: { proto: 'https', host: 'example.com', index: -1 } }, 'identity.index'],
      [{ ...params, curve: 'secp256r1' }, 'curve'],
      [{ ...params, curve: 'ed25519' }, 'curve'],
    ];
    for (const [bad, field] of cases) {
      const { trezor, calls } = lyingTrezor({ public_key: new Uint8Array(33), signature: new Uint8Array(65) });
      const error = await rejection(login(trezor, bad as never));
      expect(error, field).toMatchObject({ code: 'InvalidParameters', field });
      expect(calls).toEqual([]);
    }
  });
});

describe('createChallenge / verifyLogin', () => {
  async function signedLogin(trezor: Trezor, options: { origin?: string; identity?: string; now?: number } = {}): Promise<LoginResponse> {
    const challenge = createChallenge({ secret: SECRET, origin: options.origin ?? ORIGIN, now: options.now });
    return login(trezor, { ...challenge, identity: options.identity ?? options.origin ?? ORIGIN });
  }
  async function refusedBecause(promise: Promise<unknown>): Promise<string> {
    const error = await rejection(promise);
    expect(isTrezorError(error, 'VerificationFailed')).toBe(true);
    expect(error).toBeInstanceOf(LoginRejectedError);
    return (error as LoginRejectedError).reason;
  }

  it('a fresh challenge signed by the device logs in once; the account key is stable', async () => {
    const trezor = await virtualTrezor();
    const store = memoryNonceStore();
    const first = await signedLogin(trezor);
    // JSON round trip: what the page posts is what the server reads.
    const result = await verifyLogin({ secret: SECRET, origin: ORIGIN, response: JSON.parse(JSON.stringify(first)), store });
    expect(result.identityUri).toBe(ORIGIN);
    expect(result.publicKey).toBe(first.publicKey);
    expect(result.address).toBe(identityAddress(bytes(first.publicKey)));
    const second = await signedLogin(trezor);
    expect(second.challengeHidden).not.toBe(first.challengeHidden);
    expect((await verifyLogin({ secret: SECRET, origin: ORIGIN, response: second, store })).publicKey).toBe(result.publicKey);
    // Another seed is another account.
    const stranger = await signedLogin(await virtualTrezor('all all all all all all all all all all all all'));
    expect((await verifyLogin({ secret: SECRET, origin: ORIGIN, response: stranger, store })).publicKey).not.toBe(result.publicKey);
  });

  it('replayed: the same response a second time is refused, also by another server process sharing the store', async () => {
    const trezor = await virtualTrezor();
    const response = await signedLogin(trezor);
    // An async store as a Redis client would be: two "processes" share it.
    const shared = new Map<string, number>();
    const redisLike: NonceStore = {
      async useOnce(nonce, expiresAt) {
        await new Promise((r) => setTimeout(r, 1));
        if (shared.has(nonce)) return false;
        shared.set(nonce, expiresAt);
        return true;
      },
    };
    await verifyLogin({ secret: SECRET, origin: ORIGIN, response, store: redisLike });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response, store: redisLike }))).toBe('replayed');
    expect(shared.size).toBe(1);
    // The default store (one per process) refuses a replay too.
    const again = await signedLogin(trezor);
    await verifyLogin({ secret: SECRET, origin: ORIGIN, response: again });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: again }))).toBe('replayed');
  });

  it('expired: older than the window (default 120 s) or issued in the future', async () => {
    const trezor = await virtualTrezor();
    const issued = Date.UTC(2026, 11, 2, 2, 30, 0);
    const response = await signedLogin(trezor, { now: issued });
    expect(response.challengeVisual).toBe('2026-12-02 02:30:00');
    // The store's clock is the server's: the same one verifyLogin is given here.
    const store = memoryNonceStore({ now: () => issued + 120_000 });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response, store, now: issued + 120_001 }))).toBe('expired');
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response, store, now: issued + 30_000, windowMs: 10_000 }))).toBe('expired');
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response, store, now: issued - 60_000 }))).toBe('expired');
    // Refusals did not use it up: inside the window it still works, once.
    await verifyLogin({ secret: SECRET, origin: ORIGIN, response, store, now: issued + 120_000 });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response, store, now: issued + 120_000 }))).toBe('replayed');
  });

  it('re-ordered: challenges answered in another order each log in once; halves of two challenges mixed do not', async () => {
    const trezor = await virtualTrezor();
    const t0 = Date.now();
    const a = createChallenge({ secret: SECRET, origin: ORIGIN, now: t0 - 2_000 });
    const b = createChallenge({ secret: SECRET, origin: ORIGIN, now: t0 - 1_000 });
    expect(a.challengeVisual).not.toBe(b.challengeVisual);
    const signedB = await login(trezor, { ...b, identity: ORIGIN });
    const signedA = await login(trezor, { ...a, identity: ORIGIN });
    const store = memoryNonceStore();
    await verifyLogin({ secret: SECRET, origin: ORIGIN, response: signedB, store });
    await verifyLogin({ secret: SECRET, origin: ORIGIN, response: signedA, store });
    // A's hidden part with B's visual part, signed as such by the device: not a challenge we issued.
    const mixed = await login(trezor, { challengeHidden: a.challengeHidden, challengeVisual: b.challengeVisual, identity: ORIGIN });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: mixed, store: memoryNonceStore() }))).toBe('challenge');
    // A's signature presented with B's challenge.
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: { ...signedB, signature: signedA.signature }, store: memoryNonceStore() }))).toBe('signature');
  });

  it('cross-origin: a challenge or a signature made for another site is refused', async () => {
    const trezor = await virtualTrezor();
    const store = memoryNonceStore();
    // Signed for evil.example (its own key), presented to example.com.
    const evil = await signedLogin(trezor, { origin: 'https://evil.example' });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: evil, store }))).toBe('origin');
    // Our challenge, but the device was asked to sign it for another site (a phishing page relaying it).
    const relayed = await login(trezor, { ...createChallenge({ secret: SECRET, origin: ORIGIN }), identity: 'https://examp1e.com' });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: relayed, store }))).toBe('origin');
    // Claiming our identity while keeping that signature: the signed bytes do not name the site,
    // so it verifies, but for the other site's key, never the account's (SLIP-13 binds the site
    // through the key). With the account's key given, it is refused.
    const genuine = await verifyLogin({ secret: SECRET, origin: ORIGIN, response: await signedLogin(trezor), store });
    const claimed = { ...relayed, identity: { proto: 'https', host: 'example.com' } };
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: claimed, store, publicKey: genuine.publicKey }))).toBe('account');
    expect((await verifyLogin({ secret: SECRET, origin: ORIGIN, response: claimed, store })).publicKey).not.toBe(genuine.publicKey);
    // A challenge issued for the other origin, signed for ours.
    const moved = await login(trezor, { ...createChallenge({ secret: SECRET, origin: 'https://evil.example' }), identity: ORIGIN });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: moved, store }))).toBe('challenge');
    // The port is part of the origin.
    const port = await signedLogin(trezor, { origin: 'https://example.com:8443' });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: port, store }))).toBe('origin');
    // An exact identity, when the server asks for one.
    const path = await login(trezor, { ...createChallenge({ secret: SECRET, origin: ORIGIN }), identity: `${ORIGIN}/login` });
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: path, store, identity: `${ORIGIN}/admin` }))).toBe('origin');
    await verifyLogin({ secret: SECRET, origin: ORIGIN, response: path, store, identity: `${ORIGIN}/login` });
  });

  it('tampered: any changed byte or field is refused, and a refused attempt does not use up the challenge', async () => {
    const trezor = await virtualTrezor();
    const response = await signedLogin(trezor);
    const store = memoryNonceStore();
    const flip = (hex: string, at: number) => {
      const b = bytes(hex);
      b[at]! ^= 1;
      return hexOf(b);
    };
    const cases: [Partial<LoginResponse> | Record<string, unknown>, string][] = [
      [{ challengeHidden: flip(response.challengeHidden, 0) }, 'challenge'], // nonce
      [{ challengeHidden: flip(response.challengeHidden, 20) }, 'challenge'], // issue time
      [{ challengeHidden: flip(response.challengeHidden, 55) }, 'challenge'], // tag
      [{ challengeVisual: `${response.challengeVisual} ` }, 'challenge'],
      [{ signature: flip(response.signature, 5) }, 'signature'],
      [{ signature: flip(response.signature, 0) }, 'signature'],
      [{ publicKey: flip(response.publicKey, 32) }, 'signature'],
      [{ curve: 'nist256p1' }, 'signature'],
      [{ signature: response.signature.slice(2) }, 'malformed'],
      [{ publicKey: 'zz' }, 'malformed'],
      [{ curve: 'rsa' }, 'malformed'],
      [{ identity: 42 }, 'malformed'],
    ];
    for (const [change, reason] of cases) {
      expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: { ...response, ...change }, store })), JSON.stringify(change)).toBe(reason);
    }
    expect(await refusedBecause(verifyLogin({ secret: SECRET, origin: ORIGIN, response: null, store }))).toBe('malformed');
    // Another server secret did not issue it.
    expect(await refusedBecause(verifyLogin({ secret: `${SECRET}!`, origin: ORIGIN, response, store }))).toBe('challenge');
    expect(store.size).toBe(0);
    await verifyLogin({ secret: SECRET, origin: ORIGIN, response, store });
    expect(store.size).toBe(1);
  });

  it('the in-memory store forgets nonces once they expire', async () => {
    let now = 1_000_000;
    const store = memoryNonceStore({ now: () => now });
    expect(await store.useOnce('a', now + 100)).toBe(true);
    expect(await store.useOnce('a', now + 100)).toBe(false);
    expect(await store.useOnce('b', now + 5_000)).toBe(true);
    expect(store.size).toBe(2);
    now += 2_000;
    expect(await store.useOnce('c', now + 100)).toBe(true);
    expect(store.size).toBe(2); // 'a' swept
    expect(await store.useOnce('a', now + 100)).toBe(true);
  });

  it('server configuration errors are InvalidParameters naming the field', async () => {
    const response = {};
    const cases: [() => unknown, string][] = [
      [() => createChallenge({ secret: 'short', origin: ORIGIN }), 'secret'],
      [() => createChallenge({ secret: 42 as never, origin: ORIGIN }), 'secret'],
      [() => createChallenge({ secret: SECRET, origin: 'example.com' }), 'origin'],
      [() => createChallenge({ secret: SECRET, origin: `${ORIGIN}/` }), 'origin'],
      [() => createChallenge({ secret: SECRET, origin: ORIGIN, now: -1 }), 'now'],
      [() => verifyLogin({ secret: SECRET, origin: ORIGIN, response, windowMs: 1.5 }), 'windowMs'],
      [() => verifyLogin({ secret: SECRET, origin: ORIGIN, response, store: {} as never }), 'store'],
      [() => verifyLogin({ secret: SECRET, origin: ORIGIN, response, identity: 'nope' }), 'identity'],
      [() => verifyLogin({ secret: SECRET, origin: ORIGIN, response, publicKey: 'zz' }), 'publicKey'],
    ];
    for (const [run, field] of cases) {
      let error: unknown;
      try {
        await run();
      } catch (e) {
        error = e;
      }
      expect(error, field).toMatchObject({ code: 'InvalidParameters', field });
    }
  });
});
