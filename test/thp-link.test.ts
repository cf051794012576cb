/**
 * The host THP link end to end against a scripted THP device (test/support/thp-fake-device.ts,
 * built from the THP core's device side): handshake, pairing by code / QR / skip, credentials
 * issued, reused and rejected, the device's dialogs, and the errors a user can act on.
 */
import { describe, expect, it, vi } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { decodeMessage, encodeMessage } from '../src/messages/index.js';
import { openThpLink, type ThpLinkOptions } from '../src/protocol/thp-host/link.js';
import type { ThpCredential } from '../src/protocol/thp-host/credentials.js';
import { HANDSHAKE_INIT_REQ } from '../src/protocol/thp/index.js';
import { fakeThpDevice, type FakeThpDevice } from './support/thp-fake-device.js';
import { codeOf } from './support/outcome.js';

async function open(device: FakeThpDevice, options: ThpLinkOptions = {}) {
  const [descriptor] = await device.transport.enumerate();
  const connection = await device.transport.open(descriptor!);
  return openThpLink(connection, { io: { ackTimeout: 50 }, ...options });
}

/** ui.pairing that types what the fake device shows. */
const typing = (device: FakeThpDevice) =>
  vi.fn(async ({ method }: { method: 'code' | 'qr' }) => ({ code: method === 'code' ? device.code! : device.qr! }));


async function features(link: Awaited<ReturnType<typeof open>>) {
  await link.write(encodeMessage('GetFeatures', {}));
  const wire = await link.read();
  return decodeMessage(wire.type, wire.payload);
}

describe('THP link: first connection pairs by code', () => {
  it('asks ui.pairing for the code the device shows, gets a credential, then speaks encrypted', async () => {
    const device = fakeThpDevice();
    const pairing = typing(device);
    const button = vi.fn();
    const credentials: ThpCredential[] = [];
    const link = await open(device, { ui: { pairing, button }, onCredentials: (c) => credentials.push(c), appName: 'test app', hostName: 'test host' });
    expect(pairing).toHaveBeenCalledTimes(1);
    expect(pairing.mock.calls[0]![0]).toMatchObject({ method: 'code', methods: ['code'] });
    expect(button).toHaveBeenCalledWith({ code: 'ButtonRequest_Other', name: 'thp_pairing_request' });
    expect(link.info.opened).toBe('paired');
    expect(link.info.properties.internal_model).toBe('T3W1');
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.trezorPublicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(credentials[0]!.hostPrivateKey).toMatch(/^[0-9a-f]{64}$/);
    expect(await features(link)).toMatchObject({ type: 'Features', message: { internal_model: 'T3W1' } });
    expect(device.log).toEqual([
      'handshake state 0',
      'ThpPairingRequest',
      'ButtonAck',
      'ThpSelectMethod',
      'ThpCodeEntryChallenge',
      'ThpCodeEntryCpaceHostTag',
      'ThpCredentialRequest',
      'ThpEndRequest',
      'GetFeatures',
    ]);
    expect(device.errors).toEqual([]); // every device frame ACKed, no ACK piggybacking asked for
    await link.close();
  });

  it('requests no credential when nobody listens for one', async () => {
    const device = fakeThpDevice();
    const link = await open(device, { ui: { pairing: typing(device) } });
    expect(device.log).not.toContain('ThpCredentialRequest');
    await link.close();
  });

  it('takes the code with a space, as the device shows it ("123 456")', async () => {
    const device = fakeThpDevice();
    const link = await open(device, { ui: { pairing: async () => ({ code: `${device.code!.slice(0, 3)} ${device.code!.slice(3)}` }) } });
    expect(link.info.opened).toBe('paired');
    await link.close();
  });
});

describe('THP link: stored credentials', () => {
  it('reconnects without pairing; the device asks the user to allow the connection', async () => {
    const device = fakeThpDevice();
    const stored: ThpCredential[] = [];
    (await open(device, { ui: { pairing: typing(device) }, onCredentials: (c) => stored.push(c) })).close();
    // Another device object with the same keys has no open channel of ours: a plain credential connection.
    const again = fakeThpDevice();
    const pairing = vi.fn();
    const button = vi.fn();
    const link = await open(again, { ui: { pairing, button }, credentials: stored });
    expect(pairing).not.toHaveBeenCalled();
    expect(button).toHaveBeenCalledWith({ code: 'ButtonRequest_Other', name: 'thp_connection_request' });
    expect(link.info.opened).toBe('credential');
    expect(again.log.slice(0, 3)).toEqual(['handshake state 1', 'ThpEndRequest', 'ButtonAck']);
    expect(await features(link)).toMatchObject({ type: 'Features' });
    expect(again.errors).toEqual([]);
    await link.close();
  });

  it("replaces this host's open channel: no dialog, state 'replaced'", async () => {
    const device = fakeThpDevice();
    const stored: ThpCredential[] = [];
    const first = await open(device, { ui: { pairing: typing(device) }, onCredentials: (c) => stored.push(c) });
    await first.close();
    const button = vi.fn();
    const link = await open(device, { ui: { button }, credentials: stored });
    expect(link.info.opened).toBe('replaced');
    expect(button).not.toHaveBeenCalled();
    await link.close();
  });

  it('revoked credentials: CredentialsRejected without ui.pairing, a new pairing with it', async () => {
    const device = fakeThpDevice();
    const stored: ThpCredential[] = [];
    (await open(device, { ui: { pairing: typing(device) }, onCredentials: (c) => stored.push(c) })).close();
    device.revokeCredentials();
    expect(await codeOf(open(device, { credentials: stored }))).toBe('CredentialsRejected');
    const fresh: ThpCredential[] = [];
    const link = await open(device, { credentials: stored, ui: { pairing: typing(device) }, onCredentials: (c) => fresh.push(c) });
    expect(link.info.opened).toBe('paired');
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.credential).not.toBe(stored[0]!.credential);
    await link.close();
  });

  it('autoconnect: a plain credential after pairing, the autoconnect one on the next credential connection, then no dialog', async () => {
    const device = fakeThpDevice();
    const stored: ThpCredential[] = [];
    (await open(device, { ui: { pairing: typing(device) }, onCredentials: (c) => stored.push(c), autoconnect: true })).close();
    expect(stored.map((c) => c.autoconnect)).toEqual([undefined]);
    const other = fakeThpDevice(); // same keys, no open channel of ours: a plain credential connection
    const button = vi.fn();
    (await open(other, { ui: { button }, credentials: stored, onCredentials: (c) => stored.push(c), autoconnect: true })).close();
    expect(stored.map((c) => c.autoconnect)).toEqual([undefined, true]);
    expect(button.mock.calls.map(([b]) => b.name)).toEqual(['thp_connection_request', 'thp_autoconnect_credential_request']);
    const third = fakeThpDevice();
    const quiet = vi.fn();
    const link = await open(third, { ui: { button: quiet }, credentials: [stored[1]!], autoconnect: true, onCredentials: (c) => stored.push(c) });
    expect(quiet).not.toHaveBeenCalled(); // no dialog, and no further credential asked for
    expect(stored).toHaveLength(2);
    expect(third.errors).toEqual([]);
    await link.close();
  });

  it('refused "allow connection" on the device: PairingCancelled', async () => {
    const stored: ThpCredential[] = [];
    const first = fakeThpDevice();
    (await open(first, { ui: { pairing: typing(first) }, onCredentials: (c) => stored.push(c) })).close();
    expect(await codeOf(open(fakeThpDevice({ refuseConnection: true }), { credentials: stored }))).toBe('PairingCancelled');
  });

  it('malformed stored credentials: InvalidParameters naming the field, before anything is sent', async () => {
    const device = fakeThpDevice();
    const bad = [{ trezorPublicKey: 'zz', hostPrivateKey: '00'.repeat(32), credential: '00' }] as ThpCredential[];
    const error = await open(device, { credentials: bad }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'InvalidParameters')).toBe(true);
    expect((error as { field?: string }).field).toBe('credentials[0].trezorPublicKey');
    expect(device.log).toEqual([]);
  });
});

describe('THP link: pairing failures a user can act on', () => {
  it('no ui.pairing: PairingRequired, and the device is not asked to pair', async () => {
    const device = fakeThpDevice();
    expect(await codeOf(open(device))).toBe('PairingRequired');
    expect(device.log).toEqual(['handshake state 0']);
  });

  it('refused on the device: PairingCancelled', async () => {
    const device = fakeThpDevice({ refusePairing: true });
    expect(await codeOf(open(device, { ui: { pairing: typing(device) } }))).toBe('PairingCancelled');
  });

  it('a wrong code: PairingCodeInvalid', async () => {
    const device = fakeThpDevice();
    const wrong = async () => ({ code: device.code === '000000' ? '000001' : '000000' });
    expect(await codeOf(open(device, { ui: { pairing: wrong } }))).toBe('PairingCodeInvalid');
  });

  it('the app gives up (ui.pairing rejects): PairingCancelled', async () => {
    const device = fakeThpDevice();
    expect(await codeOf(open(device, { ui: { pairing: async () => Promise.reject(new Error('closed')) } }))).toBe('PairingCancelled');
  });

  it('not a code: InvalidParameters (field code)', async () => {
    const device = fakeThpDevice();
    const error = await open(device, { ui: { pairing: async () => ({ code: '12345' }) } }).catch((e: unknown) => e);
    expect(isTrezorError(error, 'InvalidParameters')).toBe(true);
    expect((error as { field?: string }).field).toBe('code');
  });

  it('a method the device does not offer: NotSupported', async () => {
    const device = fakeThpDevice({ pairingMethods: ['CodeEntry'] });
    expect(await codeOf(open(device, { ui: { pairing: typing(device) }, pairingMethods: ['qr'] }))).toBe('NotSupported');
  });
});

describe('THP link: other pairing methods', () => {
  it('QR: the scanned payload pairs', async () => {
    const device = fakeThpDevice({ pairingMethods: ['CodeEntry', 'QrCode'] });
    const pairing = typing(device);
    const link = await open(device, { ui: { pairing }, pairingMethods: ['qr', 'code'] });
    expect(pairing.mock.calls[0]![0]).toMatchObject({ method: 'qr' });
    expect(link.info.opened).toBe('paired');
    await link.close();
  });

  it('QR: a wrong payload is PairingCodeInvalid', async () => {
    const device = fakeThpDevice({ pairingMethods: ['QrCode'] });
    expect(await codeOf(open(device, { ui: { pairing: async () => ({ code: '00'.repeat(16) }) }, pairingMethods: ['qr'] }))).toBe('PairingCodeInvalid');
  });

  it('skip, only when the application lists it and the device offers it', async () => {
    const device = fakeThpDevice({ pairingMethods: ['SkipPairing', 'CodeEntry'] });
    const link = await open(device, { pairingMethods: ['skip'] });
    expect(link.info.opened).toBe('skipped');
    expect(await features(link)).toMatchObject({ type: 'Features' });
    await link.close();
    expect(await codeOf(open(fakeThpDevice({ pairingMethods: ['SkipPairing', 'CodeEntry'] })))).toBe('PairingRequired');
  });
});

describe('THP link: the wire', () => {
  it('retransmits a handshake message whose ACK was lost', async () => {
    const device = fakeThpDevice({ dropFirstAckOf: [HANDSHAKE_INIT_REQ] });
    const link = await open(device, { ui: { pairing: typing(device) } });
    expect(link.info.opened).toBe('paired');
    expect(device.errors).toEqual([]);
    await link.close();
  });

  it('a channel the device forgot: ChannelLost, and the device is released for a new connection', async () => {
    const device = fakeThpDevice({ forgetChannel: true });
    const link = await open(device, { ui: { pairing: typing(device) } });
    expect(await codeOf(features(link))).toBe('ChannelLost');
    expect(await codeOf(link.write(encodeMessage('GetFeatures', {})))).toBe('ChannelLost');
    device.options.forgetChannel = false;
    const again = await open(device, { ui: { pairing: typing(device) } }); // the memory transport refuses a second open while one is held
    expect(await features(again)).toMatchObject({ type: 'Features' });
    await again.close();
  });

  it('an unplugged device: DeviceDisconnected on the next read', async () => {
    const device = fakeThpDevice();
    const link = await open(device, { ui: { pairing: typing(device) } });
    device.unplug();
    expect(await codeOf(features(link))).toBe('DeviceDisconnected');
  });
});
