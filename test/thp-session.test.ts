/**
 * THP session rules of the Trezor class (src/session/thp-session.ts): which messages need a
 * session with a seed, and what ThpCreateNewSession carries for the passphrase settings
 * (trezor-firmware core/src/apps/common/passphrase.py get_passphrase: a passphrase in the message
 * is refused when it is always typed on the device; '' and an absent one are the standard wallet).
 */
import { describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { needsSeed, newSessionRequest } from '../src/session/thp-session.js';

const signal = new AbortController().signal;

describe('needsSeed', () => {
  it('coin and key operations need the seed; Features, settings, lifecycle and THP messages do not', () => {
    for (const name of ['GetAddress', 'GetPublicKey', 'SignTx', 'EthereumSignTx', 'EthereumGetAddress', 'SignMessage', 'SignIdentity', 'CipherKeyValue']) expect(needsSeed(name)).toBe(true);
    for (const name of ['GetFeatures', 'Ping', 'Cancel', 'LockDevice', 'ApplySettings', 'WipeDevice', 'ResetDevice', 'ChangePin', 'ThpCreateNewSession', 'ThpCredentialRequest', 'DebugLinkGetState']) {
      expect(needsSeed(name)).toBe(false);
    }
  });
});

describe('newSessionRequest', () => {
  const on = { passphrase_protection: true } as never;
  it('no passphrase protection, or always on the device, or no handler: nothing from the host', async () => {
    const passphrase = async () => ({ passphrase: 'x' });
    expect(await newSessionRequest({ passphrase_protection: false } as never, { passphrase }, signal, true)).toEqual({});
    expect(await newSessionRequest({ passphrase_protection: true, passphrase_always_on_device: true } as never, { passphrase }, signal, true)).toEqual({});
    expect(await newSessionRequest(on, {}, signal, true)).toEqual({});
  });

  it("the handler's passphrase, or on-device entry when the device can take it", async () => {
    expect(await newSessionRequest(on, { passphrase: async () => ({ passphrase: 'TREZOR' }) }, signal, true)).toEqual({ passphrase: 'TREZOR' });
    expect(await newSessionRequest(on, { passphrase: async () => ({ onDevice: true }) }, signal, true)).toEqual({ on_device: true });
    const error = await newSessionRequest(on, { passphrase: async () => ({ onDevice: true }) }, signal, false).catch((e: unknown) => e);
    expect(isTrezorError(error, 'NotSupported')).toBe(true);
  });

  it('a rejecting handler is PassphraseCancelled; a malformed or too long answer InvalidParameters, without the secret', async () => {
    const cancelled = await newSessionRequest(on, { passphrase: () => Promise.reject(new Error('no')) }, signal, true).catch((e: unknown) => e);
    expect(isTrezorError(cancelled, 'PassphraseCancelled')).toBe(true);
    const long = 'ž'.repeat(26); // 52 bytes of UTF-8
    const error = await newSessionRequest(on, { passphrase: async () => ({ passphrase: long }) }, signal, true).catch((e: unknown) => e);
    expect(isTrezorError(error, 'InvalidParameters')).toBe(true);
    expect((error as Error).message).not.toContain(long);
  });
});
