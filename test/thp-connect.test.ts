/**
 * connect() with a THP device (the scripted one of test/support/thp-fake-device.ts): detection
 * from the v1 refusal, pairing, Features over the encrypted channel, the seeded session made on
 * first need with the passphrase (THP has no PassphraseRequest), reconnection with stored
 * credentials that keeps the session, and the v1 path untouched.
 */
import { describe, expect, it, vi } from 'vitest';
import { connect, type PassphraseRequest, type ThpCredential } from '../src/index.js';
import { isTrezorError } from '../src/errors.js';
import { fakeThpDevice } from './support/thp-fake-device.js';

const typing = (device: ReturnType<typeof fakeThpDevice>) => async () => ({ code: device.code! });

describe('connect() to a THP device', () => {
  it('detects THP, pairs, reads Features, and creates the seeded session on the first call that needs it', async () => {
    const device = fakeThpDevice();
    const trezor = await connect({ transport: device.transport, ui: { pairing: typing(device) }, sessionId: null });
    expect(trezor.protocol).toBe('thp');
    expect(trezor.features.internal_model).toBe('T3W1');
    expect(trezor.sessionId).toBeUndefined();
    expect(device.log).not.toContain('ThpCreateNewSession');
    // Seedless messages stay on session 0.
    expect(await trezor.ping('hello')).toBe('hello');
    expect(device.log).not.toContain('ThpCreateNewSession');
    const address = await trezor.typedCall('GetAddress', { address_n: [0x80000054, 0x80000000, 0x80000000, 0, 0] }, 'Address');
    expect(address.address).toBe('address-of-session-1');
    expect(trezor.sessionId).toEqual(Uint8Array.of(1));
    expect(device.sessions.get(1)).toBe(''); // no passphrase protection: the standard wallet
    // The session is made once.
    await trezor.typedCall('GetAddress', { address_n: [0x80000054, 0x80000000, 0x80000000, 0, 1] }, 'Address');
    expect(device.log.filter((m) => m === 'ThpCreateNewSession')).toHaveLength(1);
    expect(device.errors).toEqual([]);
    await trezor.close();
  });

  it('asks ui.passphrase when the session is made, and sends it in ThpCreateNewSession', async () => {
    const device = fakeThpDevice({ passphraseProtection: true });
    const passphrase = vi.fn(async (_request: PassphraseRequest) => ({ passphrase: 'TREZOR' }));
    const trezor = await connect({ transport: device.transport, ui: { pairing: typing(device), passphrase }, sessionId: null });
    expect(passphrase).not.toHaveBeenCalled();
    await trezor.typedCall('GetAddress', { address_n: [0x80000054, 0x80000000, 0x80000000, 0, 0] }, 'Address');
    expect(passphrase).toHaveBeenCalledTimes(1);
    expect(passphrase.mock.calls[0]![0]).toMatchObject({ onDeviceAvailable: true });
    expect(device.sessions.get(1)).toBe('TREZOR');
    await trezor.close();
  });

  it('on-device passphrase entry goes as on_device', async () => {
    const device = fakeThpDevice({ passphraseProtection: true });
    const trezor = await connect({ transport: device.transport, ui: { pairing: typing(device), passphrase: async () => ({ onDevice: true }) }, sessionId: null });
    await trezor.typedCall('GetAddress', { address_n: [0x80000054, 0x80000000, 0x80000000, 0, 0] }, 'Address');
    expect(device.sessions.get(1)).toBeNull();
    await trezor.close();
  });

  it('a cancelled passphrase: PassphraseCancelled, and no session', async () => {
    const device = fakeThpDevice({ passphraseProtection: true });
    const trezor = await connect({ transport: device.transport, ui: { pairing: typing(device), passphrase: () => Promise.reject(new Error('no')) }, sessionId: null });
    const error = await trezor.typedCall('GetAddress', { address_n: [0] }, 'Address').catch((e: unknown) => e);
    expect(isTrezorError(error, 'PassphraseCancelled')).toBe(true);
    expect(trezor.sessionId).toBeUndefined();
    expect(device.sessions.size).toBe(0);
    await trezor.close();
  });

  it('reconnects with the stored credential without pairing, and keeps the session (channel replaced)', async () => {
    const device = fakeThpDevice({ passphraseProtection: true });
    const stored: ThpCredential[] = [];
    const passphrase = vi.fn(async (_request: PassphraseRequest) => ({ passphrase: 'TREZOR' }));
    const first = await connect({ transport: device.transport, ui: { pairing: typing(device), passphrase }, onCredentials: (c) => stored.push(c) });
    await first.typedCall('GetAddress', { address_n: [0] }, 'Address');
    await first.close();
    expect(stored).toHaveLength(1);

    const pairing = vi.fn();
    const again = await connect({ transport: device.transport, ui: { pairing, passphrase }, credentials: stored });
    expect(pairing).not.toHaveBeenCalled();
    expect(again.sessionId).toEqual(Uint8Array.of(1)); // remembered, and valid on the replacing channel
    const { address } = await again.typedCall('GetAddress', { address_n: [0] }, 'Address');
    expect(address).toBe('address-of-session-1');
    expect(passphrase).toHaveBeenCalledTimes(1); // not asked again
    expect(device.errors).toEqual([]);
    await again.close();
  });

  it('an unpaired device without ui.pairing: PairingRequired, the connection released', async () => {
    const device = fakeThpDevice();
    const error = await connect({ transport: device.transport, sessionId: null }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'PairingRequired')).toBe(true);
    // Released: it opens again.
    const trezor = await connect({ transport: device.transport, ui: { pairing: typing(device) }, sessionId: null });
    expect(trezor.protocol).toBe('thp');
    await trezor.close();
  });
});
