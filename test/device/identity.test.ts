// Device suite, "Log in with Trezor" (trezor-direct/identity): login() on every target returns
// the firmware's sign_identity vectors (test_msg_signidentity.py::test_sign), a challenge from
// createChallenge() signed on the device passes verifyLogin() once, and a refusal on the device
// is ActionCancelled. Runs on the virtual targets, or on a real emulator (see harness.ts).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isTrezorError } from '../../src/errors.js';
import { createChallenge, login, memoryNonceStore, verifyLogin, LoginRejectedError } from '../../src/identity/index.js';
import { closeAll, openDevice, targets } from './harness.js';
import { fixturePath, loadVectors } from '../support/fixtures.js';

const slip14 = loadVectors().sign_identity;
const more = JSON.parse(readFileSync(fixturePath('vectors/sign-identity-more.json'), 'utf8'));
const CASES = [
  ...slip14.cases,
  ...more.cases.map((c: object) => ({ ...c, challenge_hidden: more.meta.challenge_hidden, challenge_visual: more.meta.challenge_visual })),
] as { identity: Record<string, string | number>; challenge_hidden: string; challenge_visual: string; ecdsa_curve_name: string | null; expected_public_key: string; expected_signature: string; expected_address: string | null }[];

const SECRET = 'device-suite secret, sixteen bytes or more';
const ORIGIN = 'https://example.com';

afterEach(closeAll);

for (const target of targets()) {
  describe(`identity login on ${target}`, () => {
    it('login() returns the firmware test vectors, checked on the host', async () => {
      const device = await openDevice({ model: target, mnemonic: slip14.mnemonic });
      for (const c of CASES) {
        const response = await login(device.trezor, {
          identity: c.identity,
          challengeHidden: c.challenge_hidden,
          challengeVisual: c.challenge_visual,
          curve: (c.ecdsa_curve_name ?? 'secp256k1') as 'secp256k1',
        });
        expect(response.publicKey, JSON.stringify(c.identity)).toBe(c.expected_public_key);
        expect(response.signature).toBe(c.expected_signature);
        expect(response.address ?? null).toBe(c.expected_address);
      }
    });

    it('a server challenge signed on the device logs in once; declining on the device is ActionCancelled', async () => {
      const device = await openDevice({ model: target });
      const store = memoryNonceStore();
      const challenge = createChallenge({ secret: SECRET, origin: ORIGIN });
      const response = await login(device.trezor, { ...challenge, identity: ORIGIN });
      const buttons = device.buttons.length;
      expect(buttons).toBeGreaterThan(0); // the user confirmed the site on the device
      const result = await verifyLogin({ secret: SECRET, origin: ORIGIN, response: JSON.parse(JSON.stringify(response)), store });
      expect(result.publicKey).toBe(response.publicKey);
      const replay = await verifyLogin({ secret: SECRET, origin: ORIGIN, response, store }).catch((e: unknown) => e);
      expect(replay).toBeInstanceOf(LoginRejectedError);
      expect((replay as LoginRejectedError).reason).toBe('replayed');

      device.answers.push('no');
      const declined = await login(device.trezor, { ...createChallenge({ secret: SECRET, origin: ORIGIN }), identity: ORIGIN }).catch((e: unknown) => e);
      expect(isTrezorError(declined, 'ActionCancelled'), String(declined)).toBe(true);
      // The session still works: the same key signs the next challenge.
      const again = await login(device.trezor, { ...createChallenge({ secret: SECRET, origin: ORIGIN }), identity: ORIGIN });
      expect((await verifyLogin({ secret: SECRET, origin: ORIGIN, response: again, store })).publicKey).toBe(result.publicKey);
    });
  });
}
