// The THP core's own behaviour: framing round trips and refusals, and a whole connection
// between our host and device state machines in memory (allocation, handshake, code entry
// pairing, a credential, an encrypted GetFeatures; then a reconnect with the credential).
// Agreement with trezorlib is test/thp-trezorlib.test.ts.
import { describe, expect, it } from 'vitest';
import { decodeAs, encodeAs, encodeMessage } from '../src/messages/index.js';
import {
  CodeEntryDevice,
  CodeEntryHost,
  DeviceHandshake,
  FrameDecoder,
  HostHandshake,
  PairingMethod,
  SyncState,
  TrezorState,
  ackBit,
  allocationRequest,
  allocationResponse,
  credentialKey,
  crc32,
  dataKind,
  decodeAppMessage,
  decodeFrame,
  encodeAppMessage,
  encodeDeviceProperties,
  encodeFrame,
  encodePackets,
  errorCode,
  errorFrame,
  formatCode,
  isAck,
  issueCredential,
  parseAllocationResponse,
  publicKeyOf,
  seqBit,
  validateCredential,
  ENCRYPTED_TRANSPORT,
  type StoredCredential,
} from '../src/protocol/thp/index.js';
import { isTrezorError } from '../src/errors.js';

const bytes = (n: number, f = (i: number) => i & 0xff) => Uint8Array.from({ length: n }, (_, i) => f(i));

function expectProtocolError(run: () => unknown, pattern?: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(isTrezorError(error, 'ProtocolError')).toBe(true);
    if (pattern) expect((error as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a ProtocolError');
}

describe('framing', () => {
  it('CRC-32 is the IEEE check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips frames of every size class through packets', () => {
    for (const size of [0, 1, 55, 56, 59, 60, 61, 121, 122, 500, 4000]) {
      const frame = { ctrl: 0x04 | 0x10, cid: 0xbeef, data: bytes(size, (i) => (i * 31) & 0xff) };
      const packets = encodePackets(frame);
      expect(packets.every((p) => p.length === 64)).toBe(true);
      const decoder = new FrameDecoder();
      let out;
      for (const [i, p] of packets.entries()) {
        out = decoder.push(p);
        if (i < packets.length - 1) expect(out).toBeUndefined();
      }
      expect(out).toEqual(frame);
      expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
    }
  });

  it('a bad checksum is a ProtocolError and the decoder recovers', () => {
    const frame = { ctrl: 0x04, cid: 0x1234, data: bytes(100) };
    const packets = encodePackets(frame);
    const broken = packets[1]!.slice();
    broken[10]! ^= 1;
    const decoder = new FrameDecoder();
    expect(decoder.push(packets[0]!)).toBeUndefined();
    expectProtocolError(() => decoder.push(broken), /checksum/);
    expect(decoder.busy).toBe(false);
    expect(decoder.push(packets[0]!)).toBeUndefined();
    expect(decoder.push(packets[1]!)).toEqual(frame);
  });

  it('refuses unknown control bytes, oversize lengths, short lengths and foreign continuations', () => {
    const packet = encodePackets({ ctrl: 0x20, cid: 1, data: new Uint8Array() })[0]!;
    for (const ctrl of [0x05, 0x06, 0x07, 0x45, 0x7f]) {
      const p = packet.slice();
      p[0] = ctrl;
      expectProtocolError(() => new FrameDecoder().push(p), /control byte/);
    }
    const big = encodePackets({ ctrl: 0x04, cid: 1, data: bytes(300) });
    expectProtocolError(() => new FrameDecoder({ maxLength: 256 }).push(big[0]!), /over the limit/);
    const short = packet.slice();
    short[3] = 0;
    short[4] = 3;
    expectProtocolError(() => new FrameDecoder().push(short), /checksum/);
    const decoder = new FrameDecoder();
    decoder.push(big[0]!);
    const foreign = big[1]!.slice();
    foreign[2] = 2;
    expectProtocolError(() => decoder.push(foreign), /channel 0x0002/);
    expectProtocolError(() => new FrameDecoder().push(new Uint8Array(2)), /too short/);
  });

  it('ignores a stray continuation; a new initiation packet restarts the frame', () => {
    const a = encodePackets({ ctrl: 0x04, cid: 7, data: bytes(100) });
    const b = { ctrl: 0x14, cid: 7, data: bytes(10) };
    const decoder = new FrameDecoder();
    expect(decoder.push(a[1]!)).toBeUndefined();
    expect(decoder.busy).toBe(false);
    decoder.push(a[0]!);
    expect(decoder.push(encodePackets(b)[0]!)).toEqual(b);
  });

  it('never holds more than the declared length (u16) and never waits past it', () => {
    const frame = { ctrl: 0x04, cid: 3, data: bytes(0xffff - 4) };
    const packets = encodePackets(frame);
    const decoder = new FrameDecoder();
    let out;
    for (const p of packets) out = decoder.push(p);
    expect(out?.data.length).toBe(0xffff - 4);
    expectProtocolError(() => encodeFrame({ ctrl: 0x04, cid: 3, data: bytes(0xffff - 3) }), /too long/);
  });

  it('control bytes: kinds, sequence and ACK bits', () => {
    expect(dataKind(0x14)).toBe(ENCRYPTED_TRANSPORT);
    expect(dataKind(0x1b)).toBe(0x03);
    expect(dataKind(0x20)).toBeUndefined();
    expect(dataKind(0x05)).toBeUndefined();
    expect(isAck(0x28)).toBe(true);
    expect(isAck(0x20)).toBe(true);
    expect(isAck(0x21)).toBe(false);
    expect(seqBit(0x14)).toBe(1);
    expect(ackBit(0x28)).toBe(1);
  });

  it('ABP: alternating bits, ACKs carry the received bit, repeats are dropped', () => {
    const sender = new SyncState();
    const receiver = new SyncState();
    const c0 = sender.nextControl(ENCRYPTED_TRANSPORT);
    const c1 = sender.nextControl(ENCRYPTED_TRANSPORT);
    expect([seqBit(c0), seqBit(c1)]).toEqual([0, 1]);
    const r0 = receiver.receive(c0);
    expect(r0).toEqual({ ack: 0x20, fresh: true });
    expect(receiver.receive(c0)).toEqual({ ack: 0x20, fresh: false });
    expect(receiver.receive(c1)).toEqual({ ack: 0x28, fresh: true });
    expect(sender.acknowledges(0x28)).toBe(true);
    expect(sender.acknowledges(0x20)).toBe(false);
  });
});

describe('broadcast frames', () => {
  it('allocation request and response round-trip with the properties bytes kept', () => {
    const nonce = bytes(8, (i) => i + 1);
    expect(allocationRequest(nonce)).toEqual({ ctrl: 0x40, cid: 0xffff, data: nonce });
    const properties = encodeDeviceProperties({ internal_model: 'T3W1', protocol_version_major: 2, protocol_version_minor: 1, pairing_methods: ['CodeEntry'] });
    const parsed = parseAllocationResponse(allocationResponse(nonce, 0x1234, properties));
    expect(parsed.nonce).toEqual(nonce);
    expect(parsed.cid).toBe(0x1234);
    expect(parsed.properties).toEqual(properties);
    expect(parsed.deviceProperties).toMatchObject({ internal_model: 'T3W1', protocol_version_major: 2, pairing_methods: ['CodeEntry'] });
    expectProtocolError(() => allocationRequest(bytes(7)));
    expectProtocolError(() => parseAllocationResponse({ ctrl: 0x41, cid: 0xffff, data: bytes(9) }), /too short/);
    expectProtocolError(() => parseAllocationResponse({ ctrl: 0x41, cid: 0xffff, data: new Uint8Array([...bytes(10), 0xff]) }));
    expectProtocolError(() => allocationResponse(nonce, 0xffff, properties));
    expect(errorCode(errorFrame(5, 2))).toBe(2);
  });
});

/** Drive our host and device roles against each other in memory. */
function connect(credentials: StoredCredential[], credKey: Uint8Array, deviceStatic: Uint8Array) {
  const prologue = encodeDeviceProperties({ internal_model: 'T3W1', protocol_version_major: 2, protocol_version_minor: 1, pairing_methods: ['CodeEntry'] });
  const host = new HostHandshake({ prologue });
  const device = new DeviceHandshake({ prologue, staticPrivateKey: deviceStatic });
  const { response: r1, tryToUnlock } = device.readInitiationRequest(host.initiationRequest());
  expect(tryToUnlock).toBe(false);
  const sent = host.readInitiationResponse(r1, credentials);
  const got = device.readCompletionRequest(sent.request);
  const valid = got.credential ? validateCredential(credKey, got.credential, got.hostStaticPublicKey) : undefined;
  const { response: r2, result: deviceSide } = device.completionResponse(valid ? TrezorState.PAIRED : TrezorState.UNPAIRED);
  const hostSide = host.readCompletionResponse(r2);
  expect(hostSide.handshakeHash).toEqual(deviceSide.handshakeHash);
  expect(deviceSide.hostStaticPublicKey).toEqual(hostSide.hostStaticPublicKey);
  return { hostSide, deviceSide, sentCredential: sent.credential };
}

describe('host and device roles in memory', () => {
  const deviceStatic = bytes(32, (i) => 200 - i);
  const credKey = credentialKey(bytes(32, (i) => i * 3));

  it('pairs by code entry, gets a credential, then reconnects with it without pairing', () => {
    const { hostSide, deviceSide } = connect([], credKey, deviceStatic);
    expect(hostSide.trezorState).toBe(TrezorState.UNPAIRED);
    const hh = hostSide.handshakeHash;
    // Each message goes host → device or back through the encrypted channel, as on the wire.
    const toDevice = (name: any, message: any) => {
      const { type, payload } = encodeMessage(name, message);
      const m = deviceSide.channel.open(hostSide.channel.seal({ sessionId: 0, type, payload }));
      return decodeAs(name, m.payload) as any;
    };
    const toHost = (name: any, message: any) => {
      const { type, payload } = encodeMessage(name, message);
      const m = hostSide.channel.open(deviceSide.channel.seal({ sessionId: 0, type, payload }));
      return decodeAs(name, m.payload) as any;
    };
    expect(toDevice('ThpPairingRequest', { host_name: 'laptop', app_name: 'tests' })).toEqual({ host_name: 'laptop', app_name: 'tests' });
    toHost('ThpPairingRequestApproved', {});
    expect(toDevice('ThpSelectMethod', { selected_pairing_method: 'CodeEntry' }).selected_pairing_method).toBe('CodeEntry');
    const deviceCode = new CodeEntryDevice(hh);
    const commitment = toHost('ThpCodeEntryCommitment', { commitment: deviceCode.commitment }).commitment;
    const hostCode = new CodeEntryHost(hh, commitment);
    const challenge = toDevice('ThpCodeEntryChallenge', { challenge: hostCode.challenge }).challenge;
    const { code, cpaceTrezorPublicKey } = deviceCode.readChallenge(challenge);
    hostCode.readCpaceTrezor(toHost('ThpCodeEntryCpaceTrezor', { cpace_trezor_public_key: cpaceTrezorPublicKey }).cpace_trezor_public_key);
    // The user reads the code off the screen and types it.
    const tagMessage = toDevice('ThpCodeEntryCpaceHostTag', hostCode.hostTag(formatCode(code)));
    const secret = deviceCode.readHostTag(tagMessage.cpace_host_public_key, tagMessage.tag);
    hostCode.readSecret(toHost('ThpCodeEntrySecret', { secret }).secret, formatCode(code));
    // Credential phase.
    const request = toDevice('ThpCredentialRequest', { host_static_public_key: hostSide.hostStaticPublicKey });
    const credential = issueCredential(credKey, request.host_static_public_key, { host_name: 'laptop', app_name: 'tests' });
    const response = toHost('ThpCredentialResponse', { trezor_static_public_key: publicKeyOf(deviceStatic), credential });
    toDevice('ThpEndRequest', {});
    toHost('ThpEndResponse', {});
    // An application message on a session.
    const features = hostSide.channel.open(
      deviceSide.channel.seal({ sessionId: 1, type: 17, payload: encodeAs('Features', { vendor: 'trezor.io', major_version: 2, minor_version: 9, patch_version: 0 }) }),
    );
    expect(features.sessionId).toBe(1);
    expect(decodeAs('Features', features.payload).vendor).toBe('trezor.io');
    // Device sent the completion response (response nonce 0) and 7 messages; it read 6.
    expect(deviceSide.channel.nonces).toEqual({ send: 8, receive: 6 });

    // Reconnect: the stored credential is found by the masked key and accepted.
    const stored: StoredCredential = {
      trezorStaticPublicKey: response.trezor_static_public_key,
      hostStaticPrivateKey: hostSide.hostStaticPrivateKey!,
      credential: response.credential,
    };
    const again = connect([stored], credKey, deviceStatic);
    expect(again.sentCredential).toBe(stored);
    expect(again.hostSide.trezorState).toBe(TrezorState.PAIRED);
    // Another device (another static key) does not match it: a fresh host key, unpaired.
    const other = connect([stored], credKey, bytes(32, (i) => i + 9));
    expect(other.sentCredential).toBeUndefined();
    expect(other.hostSide.trezorState).toBe(TrezorState.UNPAIRED);
  });

  it('a wrong code fails the CPace tag; a wrong secret fails the host check', () => {
    const hh = bytes(32);
    const device = new CodeEntryDevice(hh);
    const host = new CodeEntryHost(hh, device.commitment);
    const { code, cpaceTrezorPublicKey } = device.readChallenge(host.challenge);
    host.readCpaceTrezor(cpaceTrezorPublicKey);
    const wrong = host.hostTag(formatCode((code + 1) % 1_000_000));
    expectProtocolError(() => device.readHostTag(wrong.cpace_host_public_key, wrong.tag), /tag mismatch/);
    expectProtocolError(() => host.readSecret(bytes(16, () => 7), formatCode(code)), /commitment/);
    expectProtocolError(() => host.readSecret(device.secret, formatCode((code + 1) % 1_000_000)), /code does not match/);
    expectProtocolError(() => device.readHostTag(new Uint8Array(32), new Uint8Array(32)), /zero/);
    expectProtocolError(() => host.hostTag('12345'), /6 digits/);
    expect(PairingMethod.CodeEntry).toBe(2);
  });

  it('tampered handshake and transport data are ProtocolErrors; steps out of order too', () => {
    const prologue = encodeDeviceProperties({ internal_model: 'T3W1', protocol_version_major: 2, protocol_version_minor: 1 });
    const host = new HostHandshake({ prologue });
    const device = new DeviceHandshake({ prologue, staticPrivateKey: deviceStatic });
    const { response } = device.readInitiationRequest(host.initiationRequest());
    const tampered = response.slice();
    tampered[40]! ^= 1;
    expectProtocolError(() => host.readInitiationResponse(tampered), /decryption failed/);
    expectProtocolError(() => host.readCompletionResponse(new Uint8Array(17)), /out of order/);
    expectProtocolError(() => new DeviceHandshake({ prologue, staticPrivateKey: deviceStatic }).readInitiationRequest(bytes(32)), /33/);
    // A different prologue (properties changed in transit) breaks the handshake.
    const h2 = new HostHandshake({ prologue: encodeDeviceProperties({ internal_model: 'T2T1', protocol_version_major: 2, protocol_version_minor: 1 }) });
    const d2 = new DeviceHandshake({ prologue, staticPrivateKey: deviceStatic });
    expectProtocolError(() => h2.readInitiationResponse(d2.readInitiationRequest(h2.initiationRequest()).response), /decryption failed/);

    const { hostSide, deviceSide } = connect([], credKey, deviceStatic);
    const sealed = hostSide.channel.seal({ sessionId: 0, type: 55, payload: new Uint8Array() });
    const bad = sealed.slice();
    bad[0]! ^= 0x80;
    expectProtocolError(() => deviceSide.channel.open(bad), /decryption failed/);
    expect(deviceSide.channel.open(sealed).type).toBe(55); // the counter did not move on failure
    expectProtocolError(() => deviceSide.channel.open(sealed), /decryption failed/); // a replay
  });

  it('credentials: bound to the host key and the device key; junk is refused', () => {
    const hostKey = publicKeyOf(bytes(32, (i) => i + 1));
    const credential = issueCredential(credKey, hostKey, { host_name: 'h', app_name: 'a', autoconnect: true });
    expect(validateCredential(credKey, credential, hostKey)).toEqual({ host_name: 'h', app_name: 'a', autoconnect: true });
    expect(validateCredential(credKey, credential, publicKeyOf(bytes(32, (i) => i + 2)))).toBeUndefined();
    expect(validateCredential(credentialKey(bytes(32, (i) => i * 3), 1), credential, hostKey)).toBeUndefined();
    expect(validateCredential(credKey, bytes(20), hostKey)).toBeUndefined();
  });

  it('application messages: header round trip and range checks', () => {
    const m = { sessionId: 255, type: 0xffff, payload: bytes(5) };
    expect(decodeAppMessage(encodeAppMessage(m))).toEqual(m);
    expectProtocolError(() => encodeAppMessage({ sessionId: 256, type: 1, payload: new Uint8Array() }));
    expectProtocolError(() => decodeAppMessage(bytes(2)));
  });
});
