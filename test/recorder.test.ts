// The recording proxy (scripts/record-emulator.ts) and its pure half (src/testing/recorder.ts).
// The pure half is held to public data: the SLIP-14 wire-encoding vectors (reports → the
// message they encode) and a recorded emulator transcript (its events cut into reports, with
// the stale padding Core firmware leaves, must come back as the same lines). The proxy is run
// in front of a VirtualTrezor serving UDP: flows driven through it are written as a transcript
// that must parse and replay exactly on a fresh VirtualTrezor (src/testing/replay.ts).
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getAddress, signMessage } from '../src/bitcoin/index.js';
import { encodeMessage } from '../src/messages/index.js';
import { encodeReports } from '../src/protocol/v1.js';
import { connect } from '../src/session/connect.js';
import { udp } from '../src/transport/udp.js';
import { DebugLink, encodePin } from '../src/testing/debuglink.js';
import { TranscriptRecorder, describeFeatures } from '../src/testing/recorder.js';
import { parseTranscript, replayTranscript, virtualEndpoint } from '../src/testing/replay.js';
import { ManualClock } from '../src/testing/virtual/clock.js';
import type { Model } from '../src/testing/virtual/context.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { main, safeName, startRecordingProxy, type RecordingProxy } from '../scripts/record-emulator.js';
import { RecordingControl, transcriptName } from './device/recording.js';
import { SLIP14_MNEMONIC, fixturePath, loadVectors, unhex } from './support/fixtures.js';

const ascii = (text: string) => new TextEncoder().encode(text);

/** Zero bytes after the payload in the last report (header 9 bytes, continuations 1). */
function paddingOf(length: number): number {
  if (length <= 55) return 55 - length;
  return (63 - ((length - 55) % 63)) % 63;
}

describe('TranscriptRecorder', () => {
  it('turns the SLIP-14 wire-encoding vectors back into their messages', () => {
    const vectors = loadVectors().wire_encoding.vectors as { name: string; message_type_id: number; protobuf_hex: string; usb_packets_hex: string[] }[];
    expect(vectors.some((v) => v.usb_packets_hex.length > 1)).toBe(true);
    for (const v of vectors) {
      const recorder = new TranscriptRecorder();
      const lines = v.usb_packets_hex.map((packet) => recorder.observe('wire', 'host', unhex(packet), 0));
      // Only the last report completes the message.
      expect(lines.slice(0, -1).every((l) => l === undefined), v.name).toBe(true);
      const line = lines.at(-1)!;
      const [arrow, , type, payload = ''] = line.split(' ');
      expect([arrow, Number(type), payload], v.name).toEqual(['=>', v.message_type_id, v.protobuf_hex]);
    }
  });

  const T2T1_SAMPLE = fixturePath('transcripts-t2t1/device_tests/test_msg_signtx_segwit/TestMsgSigntxSegwit__test_attack_change_input_address.txt');
  it('records the events of an emulator transcript as the same lines, with stale padding and probes in between', () => {
    const original = readFileSync(T2T1_SAMPLE, 'utf8');
    const recorded = parseTranscript(original);
    const recorder = new TranscriptRecorder();
    let now = 0;
    for (const event of recorded.events) {
      if (event.kind === 'idle') continue;
      const sender = event.kind === 'send' ? 'host' : 'device';
      if (event.channel === 'wire') recorder.observe('wire', sender, ascii(sender === 'host' ? 'PINGPING' : 'PONGPONG'), now);
      const reports = encodeReports(event.type, event.payload);
      // Core firmware leaves old bytes after the payload in the last report.
      if (sender === 'device') reports.at(-1)!.fill(0xa5, 64 - paddingOf(event.payload.length));
      for (const report of reports) recorder.observe(event.channel, sender, report, now);
      now += 10;
    }
    const messageLines = (text: string) => text.split('\n').filter((l) => /^d?(=>|<=) /.test(l));
    const text = recorder.finish({ test: 'sample', outcome: 'passed' });
    expect(messageLines(text)).toEqual(messageLines(original));
    expect(text).not.toMatch(/^# idle/m);
    expect(text).toMatch(/^# note: Failure code=ProcessError message='Transaction has changed during signing'$/m);
    // The device line comes from the recording's first Features: Model T, firmware 2.4.1.
    expect(text).toMatch(/^# device: T2T1 emulator, firmware 2\.4\.1 \(revision 24bb4016\)$/m);
    expect(text).toMatch(new RegExp(`^# events: ${recorded.events.length} payload_bytes: `, 'm'));
  });

  it('keeps the two channels and both directions apart, and says when the host waited', () => {
    const recorder = new TranscriptRecorder({ idleThresholdMs: 1000 });
    const long = encodeReports(64, encodeMessage('EthereumSignMessage', { address_n: [1], message: new Uint8Array(150).fill(7) }).payload);
    expect(long.length).toBe(3);
    const state = encodeReports(102, new Uint8Array([0x0a, 0x01, 0x41]));
    // A debug exchange lands between the reports of a long wire message.
    expect(recorder.observe('wire', 'host', long[0]!, 0)).toBeUndefined();
    expect(recorder.observe('debug', 'host', encodeReports(101, new Uint8Array())[0]!, 1)).toBe('d=> DebugLinkGetState 101');
    expect(recorder.observe('debug', 'device', state[0]!, 2)).toBe('d<= DebugLinkState 102 0a0141');
    expect(recorder.observe('wire', 'host', long[1]!, 3)).toBeUndefined();
    expect(recorder.observe('wire', 'host', long[2]!, 4)).toMatch(/^=> EthereumSignMessage 64 0801129601(07){150}$/);
    // 2.5 s between the last event and the first report of the host's next message.
    const ping = encodeReports(1, new Uint8Array([0x0a, 0x00]));
    recorder.observe('wire', 'host', ping[0]!, 2504);
    recorder.observe('wire', 'device', encodeReports(3, new Uint8Array([0x08, 0x04]))[0]!, 2600);
    const text = recorder.finish({ test: 't', outcome: 'passed', device: 'T3T1 emulator, firmware 2.8.9' });
    const body = text.split('\n').filter((l) => l && !/^# (transcript|device|test|outcome|order|events)/.test(l));
    expect(body).toEqual([
      'd=> DebugLinkGetState 101',
      'd<= DebugLinkState 102 0a0141',
      expect.stringMatching(/^=> EthereumSignMessage 64 /),
      '# idle: 2.50s host idle before next write',
      '=> Ping 1 0a00',
      '<= Failure 3 0804',
      "# note: Failure code=ActionCancelled message=''",
    ]);
    expect(text).toMatch(/^# device: T3T1 emulator, firmware 2\.8\.9$/m);
    // The replayer reads it.
    const parsed = parseTranscript(text);
    expect(parsed.events.map((e) => (e.kind === 'idle' ? `idle ${e.seconds}` : e.name))).toEqual([
      'DebugLinkGetState',
      'DebugLinkState',
      'EthereumSignMessage',
      'idle 2.5',
      'Ping',
      'Failure',
    ]);
  });

  it('notes a malformed continuation and a message cut off at the end', () => {
    const recorder = new TranscriptRecorder();
    const long = encodeReports(1, new Uint8Array(100));
    recorder.observe('wire', 'host', long[0]!, 0);
    const bad = long[1]!.slice();
    bad[0] = 0x00;
    expect(recorder.observe('wire', 'host', bad, 0)).toBeUndefined();
    recorder.observe('wire', 'device', long[0]!, 0);
    const text = recorder.finish({ test: 't', outcome: 'failed' });
    expect(text).toMatch(/^# note: wire host report dropped: .*magic 0x0/m);
    expect(text).toMatch(/^# note: a wire\/device message was cut off when the recording ended$/m);
    expect(recorder.events).toBe(0);
  });

  it('describes Features by internal_model when the firmware reports it', () => {
    const payload = encodeMessage('Features', {
      vendor: 'trezor.io',
      major_version: 2,
      minor_version: 8,
      patch_version: 9,
      model: 'Safe 5',
      internal_model: 'T3T1',
    } as never).payload;
    expect(describeFeatures(payload)).toBe('T3T1 emulator, firmware 2.8.9');
    expect(describeFeatures(new Uint8Array([0xff]))).toBeUndefined();
  });
});

describe('names', () => {
  it('keeps transcript names inside the output folder', () => {
    expect(safeName('core/Ping.txt')).toBe('core/Ping.txt');
    for (const bad of ['../x.txt', '/etc/x.txt', 'core/Ping', 'a/../../b.txt', 42]) expect(() => safeName(bad)).toThrow(TypeError);
  });

  it('names a test\'s transcript after its file and suites, without the target', () => {
    expect(transcriptName('test/device/core.test.ts', ['core flows on emulator', 'Ping echoes; with button protection it waits for "yes"'])).toBe(
      'core/core_flows__Ping_echoes_with_button_protection_it_waits_for_yes.txt',
    );
    const long = transcriptName('test/device/bitcoin.test.ts', ['Bitcoin on emulator', 'btc_sign_tx', 'x'.repeat(200)]);
    expect(long).toMatch(/^bitcoin\/Bitcoin__btc_sign_tx__x+_[0-9a-f]{10}\.txt$/);
    expect(long.length).toBeLessThanOrEqual('bitcoin/'.length + 120 + 4);
  });
});

describe('record-emulator CLI', () => {
  it('refuses missing or malformed arguments with exit code 2', async () => {
    const errors: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      expect(await main(['--listen', '22634', '--out', 'x'])).toBe(2);
      expect(await main(['--emulator', '127.0.0.1:70000', '--listen', '22634', '--out', 'x'])).toBe(2);
      expect(await main(['--emulator', '22624', '--listen', 'abc', '--out', 'x'])).toBe(2);
      expect(await main(['--bogus'])).toBe(2);
    } finally {
      console.error = error;
    }
    expect(errors.join('\n')).toMatch(/--emulator: expected host:port/);
  });
});

describe('recording proxy in front of a VirtualTrezor on UDP', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(model: Model, { restart = false } = {}) {
    let recorded = new VirtualTrezor({ model });
    cleanups.push(() => recorded.close());
    const { port } = await recorded.listenUdp({ port: 0 });
    const out = mkdtempSync(join(tmpdir(), 'recorder-'));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    // What --fresh-emulator does to the official emulator: a blank device on the same ports.
    const fresh = async () => {
      await recorded.close();
      recorded = new VirtualTrezor({ model });
      await recorded.listenUdp({ port });
    };
    const proxy: RecordingProxy = await startRecordingProxy({
      listenPort: 0,
      controlPort: 0,
      emulatorPort: port,
      out,
      source: 'virtual',
      ...(restart ? { restart: fresh } : {}),
    });
    cleanups.push(() => proxy.close());
    const control = new RecordingControl(`127.0.0.1:${proxy.controlPort}`);
    cleanups.push(() => control.close());
    const debug = await DebugLink.connect({ port: proxy.debugPort, wirePort: proxy.port });
    cleanups.push(() => debug.close());
    return { proxy, control, debug, out };
  }

  async function replayOnFreshDevice(text: string, model: Model) {
    const transcript = parseTranscript(text);
    const clock = new ManualClock();
    const fresh = new VirtualTrezor({ model, clock });
    const endpoint = await virtualEndpoint(fresh, clock);
    try {
      return { transcript, result: await replayTranscript(transcript, endpoint) };
    } finally {
      await endpoint.close();
      await fresh.close();
    }
  }

  it('Model T: seed, Features, GetAddress and a confirmed SignMessage replay byte for byte', async () => {
    const { proxy, control, debug, out } = await setup('T2T1');
    await control.send('start', { name: 'flows/model_t.txt', test: 'recorder.test.ts > model T flows' });
    await debug.loadDevice({ mnemonic: SLIP14_MNEMONIC, label: 'test' });
    const trezor = await connect({ transport: udp({ port: proxy.port }), sessionId: null, ui: { button: () => void debug.press('yes') } });
    cleanups.push(() => trezor.close());
    await control.send('phase', { phase: 'call' });
    expect(trezor.features.initialized).toBe(true);
    // SLIP-14 vectors (trezor-firmware tests/device_tests/bitcoin/test_getaddress_segwit_native.py, test_signmessage.py).
    expect(await getAddress(trezor, { path: "m/84'/0'/0'/1/0" })).toBe('bc1qktmhrsmsenepnnfst8x6j27l0uqv7ggrg8x38q');
    const signed = await signMessage(trezor, { path: "m/44'/0'/0'/0/0", message: 'This is an example of a signed message.', scriptType: 'p2pkh' });
    expect(signed.address).toBe('1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL');
    expect(Buffer.from(signed.signature, 'base64').toString('hex')).toBe(
      '20fd8f2f7db5238fcdd077d5204c3e6949c261d700269cefc1d9d2dcef6b95023630ee617f6c8acf9eb40c8edd704c9ca74ea4afc393f43f35b4e8958324cbdd1c',
    );
    await trezor.close();
    await control.send('end', { outcome: 'pass' });

    expect(proxy.written.map((w) => w.outcome)).toEqual(['passed']);
    const text = readFileSync(join(out, 'flows/model_t.txt'), 'utf8');
    expect(text).toMatch(/^# device: T2T1 virtual, firmware 2\.4\.1/m);
    expect(text).toMatch(/^# test: recorder\.test\.ts > model T flows$/m);
    // The test body starts after the seeding and the connection's own Initialize.
    expect(text).toMatch(/^<= Features 17 [0-9a-f]+\n# phase: call\n=> GetAddress 29 /m);
    const { transcript, result } = await replayOnFreshDevice(text, 'T2T1');
    const names = transcript.events.flatMap((e) => (e.kind === 'idle' ? [] : [`${e.channel === 'debug' ? 'd' : ''}${e.kind === 'send' ? '=>' : '<='} ${e.name}`]));
    expect(names).toEqual(
      expect.arrayContaining(['=> WipeDevice', '=> LoadDevice', 'd=> DebugLinkDecision', '<= Features', '=> GetAddress', '<= Address', '=> SignMessage', '<= ButtonRequest', '=> ButtonAck', '<= MessageSignature']),
    );
    expect(names.indexOf('=> LoadDevice')).toBeLessThan(names.indexOf('=> GetAddress'));
    expect(result, JSON.stringify(result.mismatch)).toMatchObject({ ok: true });
    expect(result.consumed).toBe(result.total);
    expect(existsSync(`${out}-failed`)).toBe(false);
  });

  it('Trezor One with a PIN: the recorded matrix positions are translated on replay; a failed test goes to the -failed folder', async () => {
    const { proxy, control, debug, out } = await setup('T1B1');
    cleanups.push(() => rmSync(`${out}-failed`, { recursive: true, force: true }));
    await control.send('start', { name: 'flows/one_pin.txt', test: 'one with PIN' });
    await debug.loadDevice({ mnemonic: SLIP14_MNEMONIC, pin: '1234', label: 'test' });
    const trezor = await connect({
      transport: udp({ port: proxy.port }),
      sessionId: null,
      ui: { button: () => void debug.press('yes'), pin: async () => encodePin('1234', await debug.readPinMatrix()) },
    });
    cleanups.push(() => trezor.close());
    // Loading leaves the device unlocked: lock it, so that the next call asks for the PIN.
    await trezor.typedCall('LockDevice', {}, 'Success');
    expect(await getAddress(trezor, { path: "m/84'/0'/0'/1/0" })).toBe('bc1qktmhrsmsenepnnfst8x6j27l0uqv7ggrg8x38q');
    await trezor.close();
    await control.send('end', { outcome: 'pass' });
    const text = readFileSync(join(out, 'flows/one_pin.txt'), 'utf8');
    expect(text).toMatch(/^=> PinMatrixAck 19 /m);
    expect(text).toMatch(/^d<= DebugLinkState 102 /m);
    const { result } = await replayOnFreshDevice(text, 'T1B1');
    expect(result, JSON.stringify(result.mismatch)).toMatchObject({ ok: true });

    // Same proxy, next test: a failed one is kept apart, a skipped one is dropped.
    await control.send('start', { name: 'flows/failing.txt', test: 'failing' });
    const again = await connect({ transport: udp({ port: proxy.port }), sessionId: null, ui: {} });
    cleanups.push(() => again.close());
    await again.close();
    await control.send('end', { outcome: 'fail' });
    await control.send('start', { name: 'flows/skipped.txt', test: 'skipped' });
    await control.send('end', { outcome: 'skip' });
    expect(readdirSync(join(out, 'flows'))).toEqual(['one_pin.txt']);
    expect(readFileSync(join(`${out}-failed`, 'flows/failing.txt'), 'utf8')).toMatch(/^# outcome: fail$/m);
    expect(proxy.written.map((w) => w.outcome)).toEqual(['passed', 'fail']);
  });

  for (const restart of [true, false]) {
    it(`${restart ? 'with' : 'without'} a fresh device per test, the second test's transcript ${restart ? 'also replays' : 'does not replay'} from blank`, async () => {
      const { proxy, control, debug } = await setup('T2T1', { restart });
      for (const name of ['first', 'second']) {
        await control.send('start', { name: `flows/${name}.txt` });
        await debug.loadDevice({ mnemonic: SLIP14_MNEMONIC, label: name });
        const trezor = await connect({ transport: udp({ port: proxy.port }), ui: {} });
        expect(trezor.features.label).toBe(name);
        expect(await trezor.ping(name)).toBe(name);
        await trezor.close();
        await control.send('end', { outcome: 'pass' });
      }
      const [first, second] = proxy.written.map((w) => readFileSync(w.path, 'utf8'));
      expect((await replayOnFreshDevice(first!, 'T2T1')).result.ok).toBe(true);
      const { result } = await replayOnFreshDevice(second!, 'T2T1');
      if (restart) expect(result, JSON.stringify(result.mismatch)).toMatchObject({ ok: true });
      // Without a restart the test meets the device the first one left: loaded, labelled "first".
      else expect(result.mismatch).toMatchObject({ event: '<= Features', message: expect.stringMatching(/^Features differs: field 10: expected \[6669727374\]/) });
    });
  }

  it('refuses a transcript name outside its folder', async () => {
    const { control } = await setup('T2T1');
    await expect(control.send('start', { name: '../escape.txt' })).rejects.toThrow(/refused start: bad transcript name/);
  });
});
