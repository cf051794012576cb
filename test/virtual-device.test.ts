// VirtualTrezor mechanics that the transcripts exercise only in passing: the Trezor One's
// tiny mode (what it reads while waiting for an ack), Initialize and Cancel in the middle of a
// flow, unknown messages, session caching and eviction, auto-lock on the device clock, the
// UDP face (PINGPING, both ports, our udp() transport and DebugLink.connect), encodePin, and
// the claimed firmware version (what it turns on and off).
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type AnyMessage, type MessageMap, type MessageName } from '../src/messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../src/protocol/v1.js';
import { connect } from '../src/session/connect.js';
import type { TransportConnection } from '../src/transport/types.js';
import { DebugLink, encodePin } from '../src/testing/debuglink.js';
import { ManualClock } from '../src/testing/virtual/clock.js';
import type { Model } from '../src/testing/virtual/context.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { parsePath } from '../src/path.js';
import { readFileSync } from 'node:fs';
import { parseTranscript } from '../src/testing/replay.js';
import { fixturePath, loadVectors } from './support/fixtures.js';

const MNEMONIC = 'all all all all all all all all all all all all';
const devices: VirtualTrezor[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
});

function virtual(options: ConstructorParameters<typeof VirtualTrezor>[0] = {}): VirtualTrezor {
  const device = new VirtualTrezor({ mnemonic: MNEMONIC, ...options });
  devices.push(device);
  return device;
}

/** Raw access to the wire: send messages (or hand-made reports), read whole messages. */
async function wire(device: VirtualTrezor) {
  const transport = device.transport();
  const [descriptor] = await transport.enumerate();
  const connection: TransportConnection = await transport.open(descriptor!);
  let state: DecodeState | undefined;
  // One read at a time; a read that lost a race is kept for the next receive().
  let pending: Promise<Uint8Array> | undefined;
  const read = () => (pending ??= connection.read());
  return {
    async send<N extends MessageName>(name: N, message: MessageMap[N]) {
      const { type, payload } = encodeMessage(name, message as never);
      for (const report of encodeReports(type, payload)) await connection.write(report);
    },
    async report(bytes: Uint8Array) {
      await connection.write(bytes);
    },
    async receive(): Promise<AnyMessage> {
      for (;;) {
        const report = await read();
        pending = undefined;
        state = decodeReport(state, report);
        const done = completedMessage(state);
        if (done) {
          state = undefined;
          return decodeMessage(done.type, done.payload);
        }
      }
    },
    /** Nothing more arrives once the device has settled. */
    async quiet(): Promise<boolean> {
      await device.settle();
      return Promise.race([read().then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 20))]);
    },
    close: () => connection.close(),
  };
}

describe('Trezor One tiny mode (waiting for ButtonAck)', () => {
  it('ignores messages other than the acks, Cancel and Initialize', async () => {
    const device = virtual();
    const w = await wire(device);
    await w.send('Initialize', {});
    expect((await w.receive()).type).toBe('Features');
    await w.send('Ping', { message: 'x', button_protection: true });
    expect(await w.receive()).toMatchObject({ type: 'ButtonRequest', message: { code: 'ButtonRequest_ProtectCall' } });
    await w.send('GetFeatures', {}); // not a tiny message: silently ignored
    expect(await w.quiet()).toBe(true);
    await w.send('ButtonAck', {});
    await device.debugLink().press('yes');
    expect(await w.receive()).toMatchObject({ type: 'Success', message: { message: 'x' } });
  });

  it('answers an ack that does not fit one report with DataError, and keeps waiting', async () => {
    const device = virtual({ passphraseProtection: true });
    const w = await wire(device);
    await w.send('Initialize', {});
    await w.receive();
    await w.send('CipherKeyValue', { address_n: [0], key: 'k', value: new Uint8Array(16), encrypt: true });
    expect((await w.receive()).type).toBe('PassphraseRequest');
    await w.send('PassphraseAck', { passphrase: 'A'.repeat(60) });
    expect(await w.receive()).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError', message: 'Message too big' } });
    await w.send('PassphraseAck', { passphrase: 'A'.repeat(51) }); // fits a report, overflows the field
    expect(await w.receive()).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError', message: 'string overflow' } });
    await w.send('PassphraseAck', { passphrase: '' });
    expect((await w.receive()).type).toBe('CipheredKeyValue');
  });

  it('Initialize during a flow ends it and is answered with Features; Cancel with ActionCancelled', async () => {
    const device = virtual();
    const w = await wire(device);
    await w.send('Ping', { message: 'x', button_protection: true });
    await w.receive();
    await w.send('ButtonAck', {});
    await w.send('Initialize', {});
    expect((await w.receive()).type).toBe('Features');
    await w.send('Ping', { message: 'x', button_protection: true });
    await w.receive();
    await w.send('Cancel', {});
    expect(await w.receive()).toMatchObject({ type: 'Failure', message: { code: 'Failure_ActionCancelled' } });
    expect(await w.quiet()).toBe(true);
  });
});

describe('Trezor One ApplySettings safety checks', () => {
  it('refuses PromptAlways before any screen, as 1.14.1 does (fsm_msg_common.h: "Unsupported safety-checks setting")', async () => {
    const link = await wire(virtual({ model: 'T1B1' }));
    await link.send('Initialize', {});
    expect((await link.receive()).type).toBe('Features');
    await link.send('ApplySettings', { safety_checks: 'PromptAlways' });
    const answer = await link.receive();
    expect(answer.type).toBe('Failure');
    expect((answer.message as MessageMap['Failure']).code).toBe('Failure_ProcessError');
    await link.send('ApplySettings', { safety_checks: 'PromptTemporarily' });
    const screen = await link.receive();
    expect([screen.type, (screen.message as MessageMap['ButtonRequest']).code]).toEqual(['ButtonRequest', 'ButtonRequest_ProtectCall']);
    await link.close();
  });
});

describe('Model T', () => {
  it('aborts a flow on an unexpected message and processes that message fresh', async () => {
    const device = virtual({ model: 'T2T1' });
    const w = await wire(device);
    await w.send('Ping', { message: 'x', button_protection: true });
    await w.receive();
    await w.send('GetFeatures', {});
    expect((await w.receive()).type).toBe('Features');
    expect(await w.quiet()).toBe(true);
  });

  it('takes the PIN and the passphrase typed through the debug link', async () => {
    const device = virtual({ model: 'T2T1', pin: '1234', passphraseProtection: true });
    const debug = device.debugLink();
    const codes: string[] = [];
    const trezor = await connect({
      transport: device.transport(),
      ui: {
        button: ({ code }) => {
          codes.push(code ?? '');
          if (code === 'ButtonRequest_PinEntry') void debug.input('1234');
          if (code === 'ButtonRequest_PassphraseEntry') void debug.input('secret');
        },
        passphrase: async () => ({ onDevice: true }),
      },
    });
    await trezor.lock();
    const key = { address_n: [0], key: 'k', value: new Uint8Array(16), encrypt: true, ask_on_encrypt: false, ask_on_decrypt: false };
    await trezor.typedCall('CipherKeyValue', key, 'CipheredKeyValue');
    expect(codes).toEqual(['ButtonRequest_PinEntry', 'ButtonRequest_PassphraseEntry']);
    const state = await debug.getState();
    expect(new TextDecoder().decode(state.mnemonic_secret)).toBe(MNEMONIC);
    expect(state.pin).toBeUndefined(); // Core does not report the PIN
    await trezor.close();
  });
});

describe.each(['T1B1', 'T2T1'] as Model[])('%s', (model) => {
  it('answers a message it has no handler for with UnexpectedMessage', async () => {
    const device = virtual({ model });
    const w = await wire(device);
    await w.send('Features', { major_version: 1, minor_version: 0, patch_version: 0 });
    expect(await w.receive()).toMatchObject({ type: 'Failure', message: { code: 'Failure_UnexpectedMessage' } });
    await w.report(Uint8Array.from([0x3f, 0x23, 0x23, 0x7f, 0xff, 0, 0, 0, 0, ...new Array(55).fill(0)]));
    expect(await w.receive()).toMatchObject({ type: 'Failure', message: { code: 'Failure_UnexpectedMessage' } });
  });

  it('caches ten sessions, least recently used out first', async () => {
    const device = virtual({ model, passphraseProtection: true });
    const w = await wire(device);
    const ids: Uint8Array[] = [];
    for (let i = 0; i < 11; i++) {
      await w.send('Initialize', {});
      const answer = await w.receive();
      if (answer.type !== 'Features') throw new Error(answer.type);
      ids.push(answer.message.session_id!);
    }
    const resume = async (id: Uint8Array) => {
      await w.send('Initialize', { session_id: id });
      const answer = await w.receive();
      return answer.type === 'Features' ? answer.message.session_id : undefined;
    };
    expect(await resume(ids[10]!)).toEqual(ids[10]);
    expect(await resume(ids[1]!)).toEqual(ids[1]);
    expect(await resume(ids[0]!)).not.toEqual(ids[0]); // evicted: a new session instead
    await w.send('GetFeatures', {});
    const features = await w.receive();
    expect(features.type === 'Features' && features.message.session_id).toBeUndefined();
  });

  it('locks itself after the auto-lock delay of its clock', async () => {
    const clock = new ManualClock();
    const device = virtual({ model, pin: '1234', clock });
    const w = await wire(device);
    await w.send('GetFeatures', {});
    expect((await w.receive()).type === 'Features').toBe(true);
    clock.advance(599_000);
    await w.send('GetFeatures', {});
    let f = await w.receive();
    expect(f.type === 'Features' && f.message.unlocked).toBe(true);
    clock.advance(600_000);
    await w.send('GetFeatures', {});
    f = await w.receive();
    expect(f.type === 'Features' && f.message.unlocked).toBe(false);
  });

  it('presses by itself with autoConfirm', async () => {
    const device = virtual({ model, autoConfirm: true });
    const trezor = await connect({ transport: device.transport() });
    expect(await trezor.ping('auto', { buttonProtection: true })).toBe('auto');
    await trezor.close();
  });
});

describe('claimed firmware version (firmware option)', () => {
  const vectors = loadVectors();
  const taproot = vectors.btc_addresses.find((v: { coin: string; script_type: string }) => v.coin === 'Bitcoin' && v.script_type === 'SPENDTAPROOT');

  /** The wire after Initialize (a session, as a host opens one). */
  async function session(device: VirtualTrezor) {
    const w = await wire(device);
    await w.send('Initialize', {});
    expect((await w.receive()).type).toBe('Features');
    return w;
  }

  async function features(device: VirtualTrezor): Promise<MessageMap['Features']> {
    const w = await wire(device);
    await w.send('GetFeatures', {});
    const answer = await w.receive();
    if (answer.type !== 'Features') throw new Error(answer.type);
    return answer.message;
  }

  it('defaults to the recorded emulators (1.14.1 / 2.4.1) and reports a claimed version in Features', async () => {
    const one = virtual();
    const t = virtual({ model: 'T2T1' });
    expect([one.firmware, t.firmware]).toEqual(['1.14.1', '2.4.1']);
    expect(await features(t)).toMatchObject({ major_version: 2, minor_version: 4, patch_version: 1 });
    const newer = virtual({ model: 'T2T1', firmware: '2.8.1' });
    expect(newer.firmware).toBe('2.8.1');
    expect(await features(newer)).toMatchObject({ model: 'T', major_version: 2, minor_version: 8, patch_version: 1 });
    expect(await features(virtual({ firmware: '1.12.1' }))).toMatchObject({ model: '1', major_version: 1, minor_version: 12, patch_version: 1 });
  });

  it('refuses a malformed version or one of the other model', () => {
    expect(() => new VirtualTrezor({ model: 'T2T1', firmware: '1.14.1' })).toThrow(TypeError);
    expect(() => new VirtualTrezor({ firmware: '2.8.1' })).toThrow(TypeError);
    expect(() => new VirtualTrezor({ model: 'T2T1', firmware: '2.8' })).toThrow(TypeError);
    expect(() => new VirtualTrezor({ model: 'T2T1', firmware: 'v2.8.1' })).toThrow(TypeError);
  });

  it('taproot addresses from 2.4.3 on the Model T, refused by 2.4.1 and 2.4.2', async () => {
    const request = { address_n: parsePath(taproot.path), coin_name: 'Bitcoin', script_type: 'SPENDTAPROOT' } as const;
    for (const [firmware, expected] of [
      ['2.4.1', undefined],
      ['2.4.2', undefined],
      ['2.4.3', taproot.expected],
      ['2.8.1', taproot.expected],
    ] as const) {
      const w = await session(virtual({ model: 'T2T1', firmware }));
      await w.send('GetAddress', request);
      const answer = await w.receive();
      if (expected) expect(answer, firmware).toEqual({ type: 'Address', message: expect.objectContaining({ address: expected }) });
      else expect(answer, firmware).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError' } });
    }
    const w = await session(virtual({ firmware: '1.10.3' }));
    await w.send('GetAddress', request);
    expect(await w.receive()).toMatchObject({ type: 'Failure', message: { code: 'Failure_DataError' } });
  });

  it('answers Ethereum messages the claimed firmware lacks like unknown messages', async () => {
    const eip1559 = { address_n: parsePath("m/44'/60'/0'/0/0"), chain_id: 1n, nonce: new Uint8Array(0), max_gas_fee: Uint8Array.of(1), max_priority_fee: Uint8Array.of(1), gas_limit: Uint8Array.of(0x52, 0x08), value: new Uint8Array(0), data_length: 0 };
    const typedData = { address_n: parsePath("m/44'/60'/0'/0/0"), primary_type: 'Mail', metamask_v4_compat: true };
    const typedHash = { address_n: parsePath("m/44'/60'/0'/0/0"), domain_separator_hash: new Uint8Array(32) };
    const cases: [Model, string, MessageName, unknown, string][] = [
      ['T1B1', '1.10.3', 'EthereumSignTxEIP1559', eip1559, 'Unknown message'],
      ['T1B1', '1.10.4', 'EthereumSignTypedHash', typedHash, 'Unknown message'],
      ['T1B1', '1.14.1', 'EthereumSignTypedData', typedData, 'Unknown message'],
      ['T2T1', '2.4.1', 'EthereumSignTxEIP1559', eip1559, 'Unexpected message'],
      ['T2T1', '2.4.2', 'EthereumSignTypedData', typedData, 'Unexpected message'],
      ['T2T1', '2.8.1', 'EthereumSignTypedHash', typedHash, 'Unexpected message'],
    ];
    for (const [model, firmware, name, message, text] of cases) {
      const w = await session(virtual({ model, firmware }));
      await w.send(name, message as never);
      expect(await w.receive(), `${name} on ${model} ${firmware}`).toEqual({ type: 'Failure', message: { code: 'Failure_UnexpectedMessage', message: text } });
    }
    // From the version that brought it, the same request starts the flow instead.
    const w = await session(virtual({ model: 'T2T1', firmware: '2.4.3' }));
    await w.send('EthereumSignTypedData', typedData);
    expect((await w.receive()).type).toBe('EthereumTypedDataStructRequest');
  });

  /** The first message named `name` (and passing `where`) a recording of the official 2.8.9 emulators holds from the device. */
  function recorded(file: string, name: MessageName, where: (message: AnyMessage) => boolean = () => true): AnyMessage {
    for (const e of parseTranscript(readFileSync(fixturePath(file), 'utf8')).events) {
      if (e.kind !== 'receive' || e.name !== name) continue;
      const message = decodeMessage(e.type, e.payload);
      if (where(message)) return message;
    }
    throw new Error(`${file} has no such ${name}`);
  }

  it('the Safe 3 and Safe 5 play 2.8.9 and take no claim below 2.8.1', async () => {
    for (const [model, folder] of [['T2B1', 'transcripts-t2b1-2.8.9'], ['T3T1', 'transcripts-t3t1-2.8.9']] as const) {
      const device = virtual({ model });
      expect(device.firmware).toBe('2.8.9');
      // Model names and Features fields as the emulator reported them on its blank device.
      const emulator = recorded(`${folder}/core/core_flows__Ping_echoes_with_button_protection_it_waits_for_yes_and_no_cancels.txt`, 'Features');
      const { model: name, internal_model, capabilities, homescreen_format, sd_card_present } = emulator.message as MessageMap['Features'];
      expect(await features(device)).toMatchObject({ model: name, internal_model, capabilities, homescreen_format, sd_card_present });
      expect(virtual({ model, firmware: '2.8.1' }).firmware).toBe('2.8.1');
      expect(() => new VirtualTrezor({ model, firmware: '2.8.0' })).toThrow(/2\.8\.1 or newer/);
      expect(() => new VirtualTrezor({ model, firmware: '1.14.1' })).toThrow(TypeError);
    }
    // The Safe 3 Core 2 (T3B1) is not played; the Safe 7 (T3W1) is, in THP mode only (test/virtual-thp.test.ts).
    expect(() => new VirtualTrezor({ model: 'T3B1' as Model })).toThrow(/T1B1, T2T1, T2B1, T3T1, T3W1/);
  });

  it('a Model T plays 2.4.1 below 2.8.1 (no screen names) and 2.8.9 from 2.8.1 on', async () => {
    const ping = async (firmware: string) => {
      const w = await session(virtual({ model: 'T2T1', firmware }));
      await w.send('Ping', { message: 'x', button_protection: true });
      return w.receive();
    };
    expect(await ping('2.8.0')).toEqual({ type: 'ButtonRequest', message: { code: 'ButtonRequest_ProtectCall' } });
    const emulator = recorded(
      'transcripts-t2t1-2.8.9/core/core_flows__Ping_echoes_with_button_protection_it_waits_for_yes_and_no_cancels.txt',
      'ButtonRequest',
      (m) => m.type === 'ButtonRequest' && m.message.code === 'ButtonRequest_ProtectCall',
    );
    expect(await ping('2.8.1')).toEqual(emulator);
    expect((await features(virtual({ model: 'T2T1', firmware: '2.8.0' }))).internal_model).toBeUndefined();
    expect((await features(virtual({ model: 'T2T1', firmware: '2.8.1' }))).internal_model).toBe('T2T1');
  });

  it('Address.mac from 2.5.1 on the Model T, as the 2.8.9 emulator computed it', async () => {
    const emulator = recorded('transcripts-t2t1-2.8.9/bitcoin/Bitcoin__btc_addresses__Bitcoin_m_44_0_0_0_0_SPENDADDRESS.txt', 'Address');
    const request = { address_n: parsePath("m/44'/0'/0'/0/0"), coin_name: 'Bitcoin', script_type: 'SPENDADDRESS' } as const;
    for (const [firmware, withMac] of [['2.4.3', false], ['2.5.1', true], ['2.8.9', true]] as const) {
      const w = await session(virtual({ model: 'T2T1', firmware }));
      await w.send('GetAddress', request);
      const answer = await w.receive();
      if (withMac) expect(answer, firmware).toEqual(emulator);
      else expect(answer, firmware).toEqual({ type: 'Address', message: { address: (emulator.message as MessageMap['Address']).address } });
    }
  });
});

describe('UDP face', () => {
  it('answers PINGPING on both ports and serves our udp() transport and DebugLink.connect', async () => {
    const device = virtual({ model: 'T2T1' });
    const { port, debugPort } = await device.listenUdp({ port: 0 });
    expect(debugPort).toBe(port + 1);
    const { pingUdp, udp } = await import('../src/transport/udp.js');
    expect(await pingUdp({ host: '127.0.0.1', port })).toBe(true);
    expect(await pingUdp({ port: debugPort })).toBe(true);
    const debug = await DebugLink.connect({ port: debugPort });
    const trezor = await connect({ transport: udp({ port }), ui: { button: () => void debug.press('yes') } });
    expect(trezor.features.model).toBe('T');
    expect(await trezor.ping('over udp', { buttonProtection: true })).toBe('over udp');
    await debug.loadDevice({ mnemonic: MNEMONIC, label: 'reloaded', trezor });
    expect((await trezor.initialize()).label).toBe('reloaded');
    await trezor.close();
    await debug.close();
  });

  it('listenUdp from trezor-direct/testing/node serves the same; a bad port is InvalidParameters', async () => {
    const { listenUdp } = await import('../src/testing/node.js');
    const { pingUdp } = await import('../src/transport/udp.js');
    const device = virtual({ model: 'T1B1' });
    await expect(device.listenUdp({ port: -1 })).rejects.toMatchObject({ code: 'InvalidParameters', field: 'port' });
    await expect(listenUdp(device, { port: '21324' as never })).rejects.toMatchObject({ code: 'InvalidParameters', field: 'port' });
    const { port, debugPort } = await listenUdp(device, { port: 0 });
    expect(await pingUdp({ port })).toBe(true);
    expect(await pingUdp({ port: debugPort })).toBe(true);
    await expect(device.listenUdp({ port: 0 })).rejects.toThrow(/already listening/);
  });
});

describe('encodePin', () => {
  it('maps digits to keypad positions (PROTOCOL.md example)', () => {
    // Device shows 3 8 1 / 5 9 2 / 7 4 6: matrix in position order 1..9 is 7 4 6 5 9 2 3 8 1.
    expect(encodePin('1234', '746592381')).toBe('9672');
    expect(() => encodePin('0', '746592381')).toThrow(TypeError);
  });
});

describe('VirtualTrezor.close()', () => {
  it('unplugs its in-memory connections: a call waiting on the device, and later ones, end with DeviceDisconnected', { timeout: 10_000 }, async () => {
    const device = virtual({ model: 'T1B1' });
    const trezor = await connect({ transport: device.transport() });
    // GetAddress with show waits for a button press that never comes.
    const waiting = trezor.call('GetAddress', { address_n: parsePath("m/44'/0'/0'/0/0"), show_display: true }).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    await device.settle();
    await device.close();
    const timeout = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000));
    expect(await Promise.race([waiting, timeout])).toBe('DeviceDisconnected');
    await expect(connect({ transport: device.transport() })).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    await expect(device.debugLink().getState()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('releases every UDP socket, also when listenUdp() was called twice at once', async () => {
    // A closed socket leaves the list once libuv has closed its handle, a turn of the loop later.
    const udpSockets = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return process.getActiveResourcesInfo().filter((name) => name === 'UDPWrap').length;
    };
    const before = await udpSockets();
    const device = virtual();
    const calls = await Promise.allSettled([device.listenUdp({ port: 0 }), device.listenUdp({ port: 0 })]);
    expect(calls.map((c) => c.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await udpSockets()).toBe(before + 2);
    await device.close();
    expect(await udpSockets()).toBe(before);
    await expect(device.listenUdp({ port: 0 })).rejects.toThrow('closed');
    expect(await udpSockets()).toBe(before);
  });
});
