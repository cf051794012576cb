// Device suite, core flows: Features, Ping, the PIN (Trezor One matrix read through the debug
// link; Model T keyboard typed through it), wrong PINs, the passphrase on the host and on the
// device, hidden wallets, lock / unlock, cancelling a button screen with an AbortSignal, session
// resume on reconnect, and the SLIP-13 / SLIP-11 vectors. Runs on both virtual models, or on a
// real emulator (see harness.ts). Expected values come from the public vectors only.
import { afterEach, describe, expect, it } from 'vitest';
import { isTrezorError } from '../../src/errors.js';
import { parsePath } from '../../src/path.js';
import type { Trezor } from '../../src/session/trezor.js';
import { closeAll, openDevice, requireFeature, targets, type DeviceUnderTest } from './harness.js';
import { loadVectors } from '../support/fixtures.js';

const vectors = loadVectors();
const TESTNET = vectors.btc_addresses.find(
  (v: { coin: string; path: string; script_type: string }) => v.coin === 'Testnet' && v.path === "m/44'/1'/0'/0/1" && v.script_type === 'SPENDADDRESS',
) as { path: string; expected: string };
const PIN = '1234';

afterEach(closeAll);

function testnetAddress(trezor: Trezor): Promise<string> {
  return trezor
    .typedCall('GetAddress', { address_n: parsePath(TESTNET.path), coin_name: 'Testnet', script_type: 'SPENDADDRESS' }, 'Address')
    .then((a) => a.address);
}

/** A call that needs the seed (PIN, then passphrase) and is served by the core handlers. */
async function seedCall(trezor: Trezor): Promise<string> {
  const answer = await trezor.typedCall(
    'CipherKeyValue',
    { address_n: [0, 1, 2], key: 'seed probe', value: new Uint8Array(16), encrypt: true, ask_on_encrypt: false, ask_on_decrypt: false },
    'CipheredKeyValue',
  );
  return Buffer.from(answer.value).toString('hex');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

function pinScreens(device: DeviceUnderTest): number {
  return device.buttons.filter((b) => b.code === 'ButtonRequest_PinEntry').length;
}

for (const target of targets()) {
  describe(`core flows on ${target}`, () => {
    it('Features describe the firmware the device runs', async () => {
      const device = await openDevice({ model: target });
      const f = device.trezor.features;
      expect(f.vendor).toBe('trezor.io');
      expect(f.initialized).toBe(true);
      expect(f.label).toBe('test');
      expect(f.pin_protection).toBe(false);
      expect(f.passphrase_protection).toBe(false);
      expect(f.unlocked).toBe(true);
      expect(f.session_id).toHaveLength(32);
      expect(f.capabilities).toEqual(expect.arrayContaining(['Capability_Bitcoin', 'Capability_Ethereum']));
      // The model the table found from internal_model (or `model` on older firmware) matches
      // every other field the firmware reports: its model string, its version family, and
      // whether it can take the passphrase on its own screen.
      expect(f.model).toBe(device.info.featuresModel);
      expect(f.major_version).toBe(device.info.family);
      if (device.info.passphrase === 'host') expect(f.capabilities).not.toContain('Capability_PassphraseEntry');
      else expect(f.capabilities).toContain('Capability_PassphraseEntry');
      // GetFeatures reads without touching the session: no session id in its answer.
      const again = await device.trezor.typedCall('GetFeatures', {}, 'Features');
      expect(again.session_id).toBeUndefined();
      expect(again.device_id).toBe(f.device_id);
    });

    it('Ping echoes; with button protection it waits for "yes", and "no" cancels', async () => {
      const device = await openDevice({ model: target });
      expect(await device.trezor.ping('random data')).toBe('random data');
      expect(await device.trezor.ping('random data 2', { buttonProtection: true })).toBe('random data 2');
      expect(device.buttons.at(-1)?.code).toBe('ButtonRequest_ProtectCall');
      device.answers.push('no');
      const error = await rejection(device.trezor.ping('nope', { buttonProtection: true }));
      expect(isTrezorError(error, 'ActionCancelled')).toBe(true);
      expect(await device.trezor.ping('still here')).toBe('still here');
    });

    it('asks for the PIN of a locked device and takes it (matrix on the One, keyboard on the T)', async () => {
      const device = await openDevice({ model: target, pin: PIN });
      await device.trezor.lock();
      expect((await device.trezor.getFeatures()).unlocked).toBe(false);
      await device.trezor.typedCall('ApplySettings', { label: 'unlocked' }, 'Success');
      if (device.info.pin === 'host-matrix') expect(device.asked.pin).toBe(1);
      else expect(pinScreens(device)).toBe(1);
      const features = await device.trezor.getFeatures();
      expect([features.unlocked, features.label]).toEqual([true, 'unlocked']);
    });

    it('a wrong PIN fails with PinInvalid on the One, and is asked again on the T', async () => {
      const device = await openDevice({ model: target, pin: PIN });
      await device.trezor.lock();
      if (device.info.pin === 'host-matrix') {
        device.pin = '4321';
        const error = await rejection(seedCall(device.trezor));
        expect(isTrezorError(error, 'PinInvalid')).toBe(true);
        device.pin = PIN;
        await seedCall(device.trezor); // the next attempt waits 1 s (firmware delay), then unlocks
        expect((await device.trezor.getFeatures()).unlocked).toBe(true);
      } else {
        // Type a wrong PIN first, the right one when the device asks again.
        device.autoPress = false;
        let attempt = 0;
        const off = device.trezor.on('button', (b) => {
          if (b.code === 'ButtonRequest_PinEntry') void device.debug.input(attempt++ === 0 ? '9999' : PIN);
        });
        await seedCall(device.trezor);
        off();
        expect(pinScreens(device)).toBe(2);
      }
    }, 20_000);

    it('passphrase on the host: the hidden wallet has other addresses than the standard one', async (ctx) => {
      const device = await openDevice({ model: target, passphraseProtection: true });
      expect(await testnetAddress(device.trezor)).toBe(TESTNET.expected);
      expect(device.asked.passphrase).toBe(1);
      // A new session for the hidden wallet.
      device.passphrase = 'TREZOR';
      await device.trezor.call('Initialize', {});
      const hidden = await testnetAddress(device.trezor);
      expect(device.asked.passphrase).toBe(2);
      expect(hidden).not.toBe(TESTNET.expected);
      // The device shows the passphrase it got from the host before using it.
      expect(device.buttons.filter((b) => b.code === 'ButtonRequest_Other')).toHaveLength(2);
    });

    it('passphrase on the device (Model T keyboard, typed through the debug link)', async (ctx) => {
      const device = await openDevice({ model: target, passphraseProtection: true, passphrase: { device: 'TREZOR' } });
      if (device.info.passphrase === 'host') {
        // The One has no keyboard: the session refuses on-device entry before asking it.
        const error = await rejection(seedCall(device.trezor));
        expect(isTrezorError(error, 'NotSupported')).toBe(true);
        return;
      }
      requireFeature(ctx, device.trezor.features, 'passphraseOnDevice');
      const onDevice = await seedCall(device.trezor);
      expect(device.buttons.map((b) => b.code)).toContain('ButtonRequest_PassphraseEntry');
      // Same wallet as the same passphrase typed on the host.
      device.passphrase = 'TREZOR';
      await device.trezor.call('Initialize', {});
      expect(await seedCall(device.trezor)).toBe(onDevice);
      // And not the standard wallet.
      device.passphrase = '';
      await device.trezor.call('Initialize', {});
      expect(await seedCall(device.trezor)).not.toBe(onDevice);
    });

    it('lock and unlock: LockDevice keeps the session, only the PIN is asked again', async () => {
      const device = await openDevice({ model: target, pin: PIN, passphraseProtection: true, passphrase: 'TREZOR' });
      const before = await seedCall(device.trezor);
      const prompts = { pin: device.asked.pin + pinScreens(device), passphrase: device.asked.passphrase };
      await device.trezor.lock();
      expect((await device.trezor.getFeatures()).unlocked).toBe(false);
      expect(await seedCall(device.trezor)).toBe(before);
      expect(device.asked.pin + pinScreens(device)).toBe(prompts.pin + 1);
      expect(device.asked.passphrase).toBe(prompts.passphrase);
      expect((await device.trezor.getFeatures()).unlocked).toBe(true);
    });

    it('cancelling a call during a button request (AbortSignal) gives ActionCancelled; the session goes on', async () => {
      const device = await openDevice({ model: target });
      device.autoPress = false;
      const controller = new AbortController();
      // The user gives up as the prompt appears: the ButtonAck is out by then, so the Cancel
      // reaches a device that waits for its button.
      const off = device.trezor.on('button', () => controller.abort());
      const error = await rejection(device.trezor.ping('hello', { buttonProtection: true, signal: controller.signal }));
      off();
      expect(isTrezorError(error, 'ActionCancelled')).toBe(true);
      device.autoPress = true;
      expect(await device.trezor.ping('after cancel', { buttonProtection: true })).toBe('after cancel');
      expect(await device.trezor.ping('and again')).toBe('and again');
    });

    it('reconnecting resumes the session: the passphrase is not asked again', async () => {
      const device = await openDevice({ model: target, passphraseProtection: true, passphrase: 'TREZOR' });
      const first = await seedCall(device.trezor);
      const id = device.trezor.sessionId;
      expect(device.asked.passphrase).toBe(1);
      const trezor = await device.reconnect();
      expect(trezor.sessionId).toEqual(id);
      expect(await seedCall(trezor)).toBe(first);
      expect(device.asked.passphrase).toBe(1);
      // EndSession forgets it: the next seed call needs a new session.
      await trezor.typedCall('EndSession', {}, 'Success');
      const error = await rejection(seedCall(trezor));
      expect(isTrezorError(error, 'FirmwareError') && (error as { failureCode?: number }).failureCode).toBe(14); // InvalidSession
    });

    it('SignIdentity and CipherKeyValue match the SLIP-13 / SLIP-11 vectors', async () => {
      const device = await openDevice({ model: target, mnemonic: vectors.sign_identity.mnemonic });
      for (const c of vectors.sign_identity.cases) {
        const signed = await device.trezor.typedCall(
          'SignIdentity',
          {
            identity: { ...c.identity },
            challenge_hidden: Buffer.from(c.challenge_hidden, 'hex'),
            challenge_visual: c.challenge_visual,
            ...(c.ecdsa_curve_name ? { ecdsa_curve_name: c.ecdsa_curve_name } : {}),
          },
          'SignedIdentity',
        );
        expect(Buffer.from(signed.public_key).toString('hex')).toBe(c.expected_public_key);
        expect(Buffer.from(signed.signature).toString('hex')).toBe(c.expected_signature);
        expect(signed.address ?? null).toBe(c.expected_address);
      }
      for (const c of vectors.cipher_key_value.cases) {
        const value = Buffer.from(c.value_utf8, 'utf8');
        const args = { address_n: c.address_n, key: c.key, encrypt: c.encrypt, ask_on_encrypt: c.ask_on_encrypt, ask_on_decrypt: c.ask_on_decrypt };
        const encrypted = await device.trezor.typedCall('CipherKeyValue', { ...args, value }, 'CipheredKeyValue');
        expect(Buffer.from(encrypted.value).toString('hex')).toBe(c.expected_hex);
        const decrypted = await device.trezor.typedCall('CipherKeyValue', { ...args, encrypt: false, value: encrypted.value }, 'CipheredKeyValue');
        expect(Buffer.from(decrypted.value).toString('utf8')).toBe(c.value_utf8);
      }
    });
  });
}
