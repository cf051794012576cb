// The THP cases checked against trezorlib 0.20.1: our host and device roles with fixed keys
// produce every frame of a handshake and one encrypted exchange; test/support/thp_trezorlib.py
// runs trezorlib's Channel.open() on the device's packets and records what it wrote. Shared by
// test/thp-trezorlib.test.ts (live, when /usr/bin/python3 has trezorlib 0.20.1, and against the
// recorded test/fixtures/thp/trezorlib-vectors.json) and test/support/make-thp-vectors.ts.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  CodeEntryDevice,
  DeviceHandshake,
  ENCRYPTED_TRANSPORT,
  HANDSHAKE_COMP_REQ,
  HANDSHAKE_COMP_RES,
  HANDSHAKE_INIT_REQ,
  HANDSHAKE_INIT_RES,
  HostHandshake,
  SyncState,
  TrezorState,
  credentialKey,
  encodeAppMessage,
  encodeDeviceProperties,
  encodePackets,
  formatCode,
  issueCredential,
  maskedStaticKey,
  nfcTag,
  publicKeyOf,
  qrCode,
  validateCredential,
  type Frame,
  type StoredCredential,
  type TrezorStateValue,
} from '../../src/protocol/thp/index.js';
import { hex, unhex } from './fixtures.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./thp_trezorlib.py', import.meta.url));

/** Why trezorlib 0.20.1 cannot be run here, or undefined when it can. */
export function trezorlibMissing(): string | undefined {
  try {
    const version = execFileSync(PYTHON, ['-c', 'import trezorlib; print(trezorlib.__version__)'], { encoding: 'utf8' }).trim();
    return version === '0.20.1' ? undefined : `${PYTHON} has trezorlib ${version}, not 0.20.1`;
  } catch {
    return `${PYTHON} cannot import trezorlib`;
  }
}

/** Run tasks through thp_trezorlib.py. */
export function runTrezorlib(tasks: object[]): any[] {
  return JSON.parse(execFileSync(PYTHON, [SCRIPT], { input: JSON.stringify(tasks), encoding: 'utf8' }));
}

const key = (byte: number) => new Uint8Array(32).fill(byte);

export const FIXED = {
  cid: 0x1234,
  hostEphemeral: key(0x11),
  hostStatic: key(0x22),
  deviceEphemeral: key(0x33),
  deviceStatic: key(0x44),
  deviceSecret: key(0x55),
  prologue: encodeDeviceProperties({
    internal_model: 'T3W1',
    model_variant: 0,
    protocol_version_major: 2,
    protocol_version_minor: 1,
    pairing_methods: ['CodeEntry', 'SkipPairing', 'NFC', 'QrCode'],
  }),
  /** GetFeatures (55) on session 0 and a short Features (17) answer. */
  appRequest: { sessionId: 0, type: 55, payload: new Uint8Array() },
  appReply: { sessionId: 0, type: 17, payload: unhex('0a097472657a6f722e696f1002') },
};

export interface HandshakeCase {
  name: string;
  credentials: { trezor: string; host: string; credential: string }[];
  /** Device packets in the order trezorlib reads them (ACKs included). */
  devicePackets: string[];
  /** What our host writes, in trezorlib's order. */
  hostPackets: string[];
  handshakeHash: string;
  trezorState: TrezorStateValue;
  hostStaticPublicKey: string;
}

const packetsOf = (frame: Frame) => encodePackets(frame).map(hex);

/** Run both of our roles with the fixed keys. `withCredential`: the host holds a valid credential. */
export function buildHandshakeCase(withCredential: boolean): HandshakeCase {
  const credKey = credentialKey(FIXED.deviceSecret);
  const hostKeyForCredential = key(0x66);
  const credentials: StoredCredential[] = withCredential
    ? [
        { trezorStaticPublicKey: key(0x77).map((b, i) => b ^ i), hostStaticPrivateKey: key(0x01), credential: unhex('0a00') }, // another device's
        {
          trezorStaticPublicKey: publicKeyOf(FIXED.deviceStatic),
          hostStaticPrivateKey: hostKeyForCredential,
          credential: issueCredential(credKey, publicKeyOf(hostKeyForCredential), { host_name: 'host', app_name: 'app' }),
        },
      ]
    : [];
  const host = new HostHandshake({ prologue: FIXED.prologue, staticPrivateKey: FIXED.hostStatic, ephemeralPrivateKey: FIXED.hostEphemeral });
  const device = new DeviceHandshake({ prologue: FIXED.prologue, staticPrivateKey: FIXED.deviceStatic, ephemeralPrivateKey: FIXED.deviceEphemeral });
  const hostSync = new SyncState();
  const deviceSync = new SyncState();
  const cid = FIXED.cid;
  const hostPackets: string[] = [];
  const devicePackets: string[] = [];
  const hostData = (kind: number, data: Uint8Array) => hostPackets.push(...packetsOf({ ctrl: hostSync.nextControl(kind), cid, data }));
  const deviceData = (kind: number, data: Uint8Array) => devicePackets.push(...packetsOf({ ctrl: deviceSync.nextControl(kind), cid, data }));
  const deviceAck = (ctrl: number) => devicePackets.push(...packetsOf({ ctrl: deviceSync.receive(ctrl).ack, cid, data: new Uint8Array() }));
  const hostAck = (ctrl: number) => hostPackets.push(...packetsOf({ ctrl: hostSync.receive(ctrl).ack, cid, data: new Uint8Array() }));

  const req1 = host.initiationRequest();
  const req1Ctrl = hostSync.sendBit << 4;
  hostData(HANDSHAKE_INIT_REQ, req1);
  deviceAck(req1Ctrl);
  const { response: res1 } = device.readInitiationRequest(req1);
  const res1Ctrl = deviceSync.sendBit << 4;
  deviceData(HANDSHAKE_INIT_RES, res1);
  hostAck(res1Ctrl);
  const { request: req2 } = host.readInitiationResponse(res1, credentials);
  const req2Ctrl = hostSync.sendBit << 4;
  hostData(HANDSHAKE_COMP_REQ, req2);
  deviceAck(req2Ctrl);
  const completion = device.readCompletionRequest(req2);
  const valid = completion.credential ? validateCredential(credKey, completion.credential, completion.hostStaticPublicKey) : undefined;
  const { response: res2, result: deviceResult } = device.completionResponse(valid ? TrezorState.PAIRED : TrezorState.UNPAIRED);
  const res2Ctrl = deviceSync.sendBit << 4;
  deviceData(HANDSHAKE_COMP_RES, res2);
  hostAck(res2Ctrl);
  const hostResult = host.readCompletionResponse(res2);
  // One encrypted exchange: GetFeatures out, Features back.
  const appCtrl = hostSync.sendBit << 4;
  const sealed = hostResult.channel.seal(FIXED.appRequest);
  hostData(ENCRYPTED_TRANSPORT, sealed);
  deviceAck(appCtrl);
  const request = deviceResult.channel.open(sealed);
  if (hex(encodeAppMessage(request)) !== hex(encodeAppMessage(FIXED.appRequest))) throw new Error('device read another request');
  const replyCtrl = deviceSync.sendBit << 4;
  deviceData(ENCRYPTED_TRANSPORT, deviceResult.channel.seal(FIXED.appReply));
  hostAck(replyCtrl);
  if (hex(hostResult.handshakeHash) !== hex(deviceResult.handshakeHash)) throw new Error('handshake hashes differ');
  return {
    name: withCredential ? 'paired by credential' : 'unpaired',
    credentials: credentials.map((c) => ({ trezor: hex(c.trezorStaticPublicKey), host: hex(c.hostStaticPrivateKey), credential: hex(c.credential) })),
    devicePackets,
    hostPackets,
    handshakeHash: hex(hostResult.handshakeHash),
    trezorState: hostResult.trezorState,
    hostStaticPublicKey: hex(hostResult.hostStaticPublicKey),
  };
}

/** The trezorlib task for a case: Channel.open() on our device packets, then GetFeatures. */
export function handshakeTask(c: HandshakeCase): object {
  return {
    task: 'handshake_host',
    cid: FIXED.cid,
    prologue: hex(FIXED.prologue),
    host_static: hex(FIXED.hostStatic),
    host_ephemeral: hex(FIXED.hostEphemeral),
    credentials: c.credentials,
    device_packets: c.devicePackets,
    app_request: hex(encodeAppMessage(FIXED.appRequest)),
  };
}


export const PAIRING_FIXED = {
  secret: unhex('000102030405060708090a0b0c0d0e0f'),
  challenge: unhex('f0e0d0c0b0a090807060504030201000'),
  cpaceDevice: key(0x99),
  qrSecret: unhex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf'),
  nfcTrezorSecret: unhex('b0b1b2b3b4b5b6b7b8b9babbbcbdbebf'),
  nfcHostSecret: unhex('c0c1c2c3c4c5c6c7c8c9cacbcccdcecf'),
  longFrame: { ctrl: 0x14, cid: 0x1234, data: Uint8Array.from({ length: 200 }, (_, i) => (i * 7) & 0xff) },
};

/** trezorlib tasks for the pairing computations, with our device role's values as inputs. */
export function pairingTasks(): object[] {
  const hh = unhex(buildHandshakeCase(false).handshakeHash);
  const device = new CodeEntryDevice(hh, PAIRING_FIXED.secret);
  const { code, cpaceTrezorPublicKey } = device.readChallenge(PAIRING_FIXED.challenge, PAIRING_FIXED.cpaceDevice);
  const codeEntry = {
    task: 'code_entry_host',
    handshake_hash: hex(hh),
    secret: hex(PAIRING_FIXED.secret),
    challenge: hex(PAIRING_FIXED.challenge),
    commitment: hex(device.commitment),
    cpace_trezor_public_key: hex(cpaceTrezorPublicKey),
  };
  const wrong = formatCode((code + 1) % 1_000_000);
  return [
    { ...codeEntry, code: formatCode(code) },
    { ...codeEntry, code: wrong },
    { task: 'qr_host', handshake_hash: hex(hh), secret: hex(PAIRING_FIXED.qrSecret), code: hex(qrCode(hh, PAIRING_FIXED.qrSecret)) },
    {
      task: 'nfc_host',
      handshake_hash: hex(hh),
      trezor_secret: hex(PAIRING_FIXED.nfcTrezorSecret),
      host_secret: hex(PAIRING_FIXED.nfcHostSecret),
      trezor_tag: hex(nfcTag(hh, PAIRING_FIXED.nfcHostSecret)),
    },
    { task: 'cpace', code: '123456', handshake_hash: hex(hh), private: hex(key(0x42)), peer: hex(publicKeyOf(key(0x43))), u: hex(key(0x5a)) },
    {
      task: 'matches',
      trezor: hex(publicKeyOf(FIXED.deviceStatic)),
      ephemeral: hex(publicKeyOf(FIXED.deviceEphemeral)),
      masked: hex(maskedStaticKey(publicKeyOf(FIXED.deviceStatic), publicKeyOf(FIXED.deviceEphemeral))),
    },
    { task: 'matches', trezor: hex(publicKeyOf(key(0x45))), ephemeral: hex(publicKeyOf(FIXED.deviceEphemeral)), masked: hex(maskedStaticKey(publicKeyOf(FIXED.deviceStatic), publicKeyOf(FIXED.deviceEphemeral))) },
    { task: 'packets', ctrl: PAIRING_FIXED.longFrame.ctrl, cid: PAIRING_FIXED.longFrame.cid, data: hex(PAIRING_FIXED.longFrame.data) },
  ];
}
