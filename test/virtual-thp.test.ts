// VirtualTrezor in THP mode (the Safe 7), driven by a test host built on our THP core
// (test/support/thp-host.ts) over the in-memory transport. What trezorlib's client makes of it
// is test/interop/thp.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/messages/index.js';
import {
  CodeEntryHost,
  TrezorState,
  encodePackets,
  formatCode,
  nfcTag,
  qrCodeTag,
  type StoredCredential,
} from '../src/protocol/thp/index.js';
import { completedMessage, decodeReport, encodeReports } from '../src/protocol/v1.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { SLIP14_MNEMONIC, loadVectors } from './support/fixtures.js';
import { TestThpHost, ThpTestError } from './support/thp-host.js';

const vectors = loadVectors();
const SEGWIT = vectors.btc_sign_message.find((v: any) => v.path === "m/84'/0'/0'/0/0" && v.coin === 'Bitcoin');
const devices: VirtualTrezor[] = [];

afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
});

function device(options: ConstructorParameters<typeof VirtualTrezor>[0] = {}): VirtualTrezor {
  const v = new VirtualTrezor({ model: 'T3W1', mnemonic: SLIP14_MNEMONIC, autoConfirm: true, ...options });
  devices.push(v);
  return v;
}

const open = new Map<VirtualTrezor, TestThpHost>();

/** A new host connection (the in-memory transport has one at a time: the previous one closes). */
async function host(v: VirtualTrezor): Promise<TestThpHost> {
  await open.get(v)?.close();
  const transport = v.transport();
  const [descriptor] = await transport.enumerate();
  const h = new TestThpHost(await transport.open(descriptor!));
  open.set(v, h);
  return h;
}

/** Pair by code entry, reading the code through the debug link; returns the credential. */
async function pairByCode(v: VirtualTrezor, h: TestThpHost): Promise<StoredCredential> {
  const hh = h.result.handshakeHash;
  expect((await h.call(0, 'ThpPairingRequest', { host_name: 'test host', app_name: 'vitest' })).type).toBe('ThpPairingRequestApproved');
  const commitment = await h.call(0, 'ThpSelectMethod', { selected_pairing_method: 'CodeEntry' });
  if (commitment.type !== 'ThpCodeEntryCommitment') throw new Error(commitment.type);
  const ce = new CodeEntryHost(hh, commitment.message.commitment);
  const cpace = await h.call(0, 'ThpCodeEntryChallenge', { challenge: ce.challenge });
  if (cpace.type !== 'ThpCodeEntryCpaceTrezor') throw new Error(cpace.type);
  ce.readCpaceTrezor(cpace.message.cpace_trezor_public_key);
  const info = await v.debugLink().pairingInfo(h.allocation.cid);
  expect(info.handshake_hash).toEqual(hh);
  const code = formatCode(info.code_entry_code!);
  expect((await v.debugLink().getState()).tokens?.join(' ') ?? '').toContain(code);
  const secret = await h.call(0, 'ThpCodeEntryCpaceHostTag', ce.hostTag(code));
  if (secret.type !== 'ThpCodeEntrySecret') throw new Error(secret.type);
  ce.readSecret(secret.message.secret, code);
  const cred = await h.call(0, 'ThpCredentialRequest', { host_static_public_key: h.result.hostStaticPublicKey });
  if (cred.type !== 'ThpCredentialResponse') throw new Error(cred.type);
  expect((await h.call(0, 'ThpEndRequest', {})).type).toBe('ThpEndResponse');
  return { trezorStaticPublicKey: cred.message.trezor_static_public_key, hostStaticPrivateKey: h.result.hostStaticPrivateKey!, credential: cred.message.credential };
}

async function segwitAddress(h: TestThpHost, sessionId: number): Promise<string> {
  const reply = await h.call(sessionId, 'GetAddress', { address_n: SEGWIT.address_n, coin_name: 'Bitcoin', script_type: 'SPENDWITNESS' });
  if (reply.type !== 'Address') throw new Error(`${reply.type}: ${JSON.stringify(reply.message)}`);
  return reply.message.address;
}

describe('VirtualTrezor THP mode', () => {
  it('answers a protocol v1 report with Failure(InvalidProtocol), framed as v1', async () => {
    const v = device();
    const conn = (await host(v)).connection;
    const { type, payload } = encodeMessage('Cancel', {});
    for (const report of encodeReports(type, payload)) await conn.write(report);
    const state = decodeReport(undefined, await conn.read());
    const reply = completedMessage(state!)!;
    expect(decodeMessage(reply.type, reply.payload)).toMatchObject({ type: 'Failure', message: { code: 'Failure_InvalidProtocol' } });
  });

  it('allocates a channel with the Safe 7 properties; an unallocated channel gets UNALLOCATED_CHANNEL', async () => {
    const v = device();
    const h = await host(v);
    const allocation = await h.allocate();
    expect(allocation.deviceProperties).toMatchObject({
      internal_model: 'T3W1',
      protocol_version_major: 2,
      protocol_version_minor: 1,
      pairing_methods: ['CodeEntry', 'SkipPairing', 'NFC', 'QrCode'],
    });
    await h.send({ ctrl: 0x00, cid: allocation.cid ^ 0x0100, data: new Uint8Array(33) });
    const frame = await h.frame();
    expect(frame).toMatchObject({ ctrl: 0x42, cid: allocation.cid ^ 0x0100 });
    expect(frame.data[0]).toBe(2);
  });

  it('pairs by code entry (code from the debug link), serves Features and the SLIP-14 address, and takes the credential on reconnect', async () => {
    const v = device();
    const h = await host(v);
    await h.allocate();
    expect((await h.handshake()).trezorState).toBe(TrezorState.UNPAIRED);
    // Before pairing ends, application messages are refused.
    expect(await h.call(0, 'GetFeatures', {})).toMatchObject({ type: 'Failure', message: { code: 'Failure_UnexpectedMessage' } });
    const credential = await pairByCode(v, h);
    const features = await h.call(0, 'GetFeatures', {});
    expect(features).toMatchObject({ type: 'Features', message: { internal_model: 'T3W1', model: 'Safe 7', initialized: true } });
    expect(await h.call(1, 'ThpCreateNewSession', { passphrase: '' })).toMatchObject({ type: 'Success', message: { message: 'New session created.' } });
    expect(await segwitAddress(h, 1)).toBe(SEGWIT.expected_address);

    // A new connection with the stored credential: paired at once, no pairing messages.
    const again = await host(v);
    await again.allocate();
    expect(again.allocation.cid).not.toBe(h.allocation.cid);
    expect((await again.handshake([credential])).trezorState).toBe(TrezorState.PAIRED);
    expect((await again.call(0, 'ThpEndRequest', {})).type).toBe('ThpEndResponse');
    expect(await again.call(3, 'ThpCreateNewSession', { passphrase: '' })).toMatchObject({ type: 'Success' });
    expect(await segwitAddress(again, 3)).toBe(SEGWIT.expected_address);
    // A session that was never created has no seed.
    await expect(segwitAddress(again, 4)).rejects.toThrow(/Failure/);
  });

  it('serves the v1 handlers on THP sessions: Ethereum, a confirmed SignMessage, a passphrase session', async () => {
    const v = device();
    const h = await host(v);
    await h.allocate();
    await h.handshake();
    await pairByCode(v, h);
    expect(await h.call(1, 'ThpCreateNewSession', { passphrase: '' })).toMatchObject({ type: 'Success' });
    const eth = vectors.eth_addresses.find((x: any) => x.path === "m/44'/60'/0'/0/0");
    const ethReply = await h.call(1, 'EthereumGetAddress', { address_n: eth.address_n });
    expect(ethReply).toMatchObject({ type: 'EthereumAddress', message: { address: eth.expected } });
    const buttons: string[] = [];
    h.onButton = (request) => buttons.push(String(request.code));
    const signed = await h.call(1, 'SignMessage', { address_n: SEGWIT.address_n, message: new TextEncoder().encode(SEGWIT.message), coin_name: 'Bitcoin', script_type: 'SPENDWITNESS' });
    expect(signed.type).toBe('MessageSignature');
    expect(signed.message).toMatchObject({ address: SEGWIT.expected_address });
    expect(Buffer.from((signed.message as any).signature).toString('hex')).toBe(SEGWIT.expected_signature);
    expect(buttons.length).toBeGreaterThan(0);
    // A session with a passphrase derives another wallet; session 1 keeps its own.
    expect(await h.call(2, 'ThpCreateNewSession', { passphrase: 'TREZOR' })).toMatchObject({ type: 'Success' });
    const hidden = await segwitAddress(h, 2);
    expect(hidden).not.toBe(SEGWIT.expected_address);
    expect(hidden).toMatch(/^bc1q/);
    expect(await segwitAddress(h, 1)).toBe(SEGWIT.expected_address);
  });

  it('a wrong code is refused (DataError) and a credential of another device is not accepted', async () => {
    const v = device();
    const h = await host(v);
    await h.allocate();
    await h.handshake();
    await h.call(0, 'ThpPairingRequest', { host_name: 'h', app_name: 'a' });
    const commitment = await h.call(0, 'ThpSelectMethod', { selected_pairing_method: 'CodeEntry' });
    const ce = new CodeEntryHost(h.result.handshakeHash, (commitment.message as any).commitment);
    const cpace = await h.call(0, 'ThpCodeEntryChallenge', { challenge: ce.challenge });
    ce.readCpaceTrezor((cpace.message as any).cpace_trezor_public_key);
    const { code_entry_code } = await v.debugLink().pairingInfo(h.allocation.cid);
    const wrong = formatCode((code_entry_code! + 1) % 1_000_000);
    expect(await h.call(0, 'ThpCodeEntryCpaceHostTag', ce.hostTag(wrong))).toMatchObject({
      type: 'Failure',
      message: { code: 'Failure_DataError', message: 'Unexpected Code Entry Tag' },
    });

    const other = device();
    const oh = await host(other);
    await oh.allocate();
    await oh.handshake();
    const credential = await pairByCode(other, oh);
    const back = await host(v);
    await back.allocate();
    expect((await back.handshake([credential])).trezorState).toBe(TrezorState.UNPAIRED);
  });

  it('skip pairing, QR code and NFC pairing, as a debug firmware allows them', async () => {
    const v = device();
    const skip = await host(v);
    await skip.allocate();
    await skip.handshake();
    await skip.call(0, 'ThpPairingRequest', { host_name: 'h', app_name: 'a' });
    expect((await skip.call(0, 'ThpSelectMethod', { selected_pairing_method: 'SkipPairing' })).type).toBe('ThpEndResponse');
    expect((await skip.call(0, 'GetFeatures', {})).type).toBe('Features');

    const qr = await host(v);
    await qr.allocate();
    await qr.handshake();
    await qr.call(0, 'ThpPairingRequest', { host_name: 'h', app_name: 'a' });
    expect((await qr.call(0, 'ThpSelectMethod', { selected_pairing_method: 'QrCode' })).type).toBe('ThpPairingPreparationsFinished');
    const { code_qr_code } = await v.debugLink().pairingInfo(qr.allocation.cid);
    const qrSecret = await qr.call(0, 'ThpQrCodeTag', { tag: qrCodeTag(qr.result.handshakeHash, code_qr_code!) });
    expect(qrSecret.type).toBe('ThpQrCodeSecret');

    const nfc = await host(v);
    await nfc.allocate();
    await nfc.handshake();
    await nfc.call(0, 'ThpPairingRequest', { host_name: 'h', app_name: 'a' });
    expect((await nfc.call(0, 'ThpSelectMethod', { selected_pairing_method: 'NFC' })).type).toBe('ThpPairingPreparationsFinished');
    const hostSecret = new Uint8Array(16).fill(7);
    const { nfc_secret_trezor } = await v.debugLink().pairingInfo(nfc.allocation.cid, { nfcSecretHost: hostSecret });
    const tag = await nfc.call(0, 'ThpNfcTagHost', { tag: nfcTag(nfc.result.handshakeHash, nfc_secret_trezor!) });
    expect(tag).toMatchObject({ type: 'ThpNfcTagTrezor', message: { tag: nfcTag(nfc.result.handshakeHash, hostSecret) } });
  });

  it('a locked device answers DEVICE_LOCKED unless the host asks to unlock', async () => {
    const v = device({ pin: '1234' });
    v.device.lock();
    const h = await host(v);
    await h.allocate();
    await expect(h.handshake()).rejects.toEqual(new ThpTestError(5));
    const h2 = await host(v);
    await h2.allocate();
    expect((await h2.handshake([], true)).trezorState).toBe(TrezorState.UNPAIRED);
  });

  it('drops a repeated frame (same sequence bit) after ACKing it again', async () => {
    const v = device();
    const h = await host(v);
    await h.allocate();
    await h.handshake();
    const packets = encodePackets({ ctrl: 0x14, cid: h.allocation.cid, data: new Uint8Array(20) });
    // seq 1 is what the device saw last (the completion request): a repeat, ACKed with ACK1.
    for (const p of packets) await h.connection.write(p);
    expect(await h.frame()).toMatchObject({ ctrl: 0x28, cid: h.allocation.cid });
  });

  it('VirtualTrezor refuses THP on the Trezor One and v1 on the Safe 7', () => {
    expect(() => new VirtualTrezor({ model: 'T1B1', thp: true })).toThrow(/no THP/);
    expect(() => new VirtualTrezor({ model: 'T3W1', thp: false })).toThrow(/THP only/);
  });
});
