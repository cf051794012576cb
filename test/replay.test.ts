// The transcript replayer itself (src/testing/replay.ts): parsing, masking, and how it fails —
// with the line number, on a wrong field, on a missing answer, and when the device sends more
// than the transcript holds.
import { describe, expect, it } from 'vitest';
import { encodeMessage, type MessageMap, type MessageName } from '../src/messages/index.js';
import { compareFields, parseTranscript, replayTranscript, virtualEndpoint } from '../src/testing/replay.js';
import { ManualClock } from '../src/testing/virtual/clock.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';

function line<N extends MessageName>(dir: '=>' | '<=' | 'd=>' | 'd<=', name: N, message: MessageMap[N]): string {
  const { type, payload } = encodeMessage(name, message as never);
  return `${dir} ${name} ${type} ${Buffer.from(payload).toString('hex')}`.trimEnd();
}

async function run(text: string) {
  const clock = new ManualClock();
  const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', clock });
  const endpoint = await virtualEndpoint(virtual, clock);
  try {
    return await replayTranscript(parseTranscript(text), endpoint);
  } finally {
    await endpoint.close();
    await virtual.close();
  }
}

const HEADER = '# transcript v1\n# device: T1B1 emulator, firmware 1.14.1\n';

describe('parseTranscript', () => {
  it('reads the header, the model, message lines and idle lines', () => {
    const t = parseTranscript(`${HEADER}# test: x\n${line('=>', 'Ping', { message: 'hi' })}\n# idle: 4.10s host idle\n${line('d<=', 'Success', {})}\n`);
    expect(t.model).toBe('T1B1');
    expect(t.header.test).toBe('x');
    expect(t.events.map((e) => (e.kind === 'idle' ? `idle ${e.seconds}` : `${e.kind} ${e.channel} ${e.name}`))).toEqual([
      'send wire Ping',
      'idle 4.1',
      'receive debug Success',
    ]);
  });

  it('rejects a line it cannot read, naming it', () => {
    expect(() => parseTranscript('=> Ping one', 'x.txt')).toThrow(/x\.txt:1/);
  });
});

describe('replayTranscript', () => {
  it('passes an exchange the device answers as recorded, masking what is the device\'s own', async () => {
    const text = [
      HEADER,
      line('=>', 'Ping', { message: 'hi' }),
      line('<=', 'Success', { message: 'hi' }),
      line('=>', 'Cancel', {}),
      line('<=', 'Failure', { code: 'Failure_ActionCancelled', message: 'fsm_msg_common.h:362:Action cancelled by user' }),
    ].join('\n');
    expect(await run(text)).toEqual({ ok: true, consumed: 4, total: 4 });
  });

  it('reports the line, what was expected and what came', async () => {
    const text = [HEADER, line('=>', 'Ping', { message: 'hi' }), line('<=', 'Success', { message: 'ho' })].join('\n');
    const result = await run(text);
    expect(result.ok).toBe(false);
    expect(result.consumed).toBe(1);
    expect(result.mismatch).toMatchObject({ line: 5, event: '<= Success', expected: '{"message":"ho"}', got: '{"message":"hi"}' });
    expect(result.mismatch!.message).toMatch(/field 1/);
  });

  it('fails when the device stays silent, and when it says more than the transcript', async () => {
    const silent = await run([HEADER, line('=>', 'ButtonAck', {}), line('<=', 'Success', {})].join('\n'));
    expect(silent.mismatch?.message).toMatch(/UnexpectedMessage|expected Success, got Failure/);
    const chatty = await run([HEADER, line('=>', 'Ping', { message: 'hi' })].join('\n'));
    expect(chatty.ok).toBe(false);
    expect(chatty.mismatch?.message).toMatch(/sent Success on the wire after the last line/);
  });

  it('keeps secrets out of its reports', () => {
    const a = encodeMessage('DebugLinkState', { pin: '1234' }).payload;
    const b = encodeMessage('DebugLinkState', { pin: '9999' }).payload;
    expect(compareFields('DebugLinkState', a, b)).toEqual(['field 2: values differ']);
    expect(compareFields('Features', encodeMessage('Features', { major_version: 1, minor_version: 14, patch_version: 1, device_id: 'A' }).payload,
      encodeMessage('Features', { major_version: 1, minor_version: 14, patch_version: 1, device_id: 'B' }).payload)).toEqual([]);
  });

  it('keeps recovery words, private keys and seed entropy out of its reports too', async () => {
    const key = new Uint8Array(32).fill(0xab);
    const node = { depth: 0, fingerprint: 0, child_num: 0, chain_code: new Uint8Array(32), private_key: key, public_key: new Uint8Array(33) };
    const state = (word: string) => encodeMessage('DebugLinkState', { node, reset_word: word, reset_entropy: key }).payload;
    const wordAck = (word: string) => encodeMessage('WordAck', { word }).payload;
    const entropy = (fill: number) => encodeMessage('EntropyAck', { entropy: new Uint8Array(32).fill(fill) }).payload;
    const reports = [
      ...compareFields('DebugLinkState', state('zebra'), encodeMessage('DebugLinkState', {}).payload),
      ...compareFields('WordAck', wordAck('zebra'), wordAck('zoo')),
      ...compareFields('EntropyAck', entropy(0xab), entropy(0xcd)),
    ].join('\n');
    // The device answers Ping with Success; the report then describes what was expected.
    for (const expected of [line('<=', 'WordAck', { word: 'zebra' }), line('<=', 'DebugLinkState', { node, reset_word: 'zebra', reset_entropy: key })]) {
      const result = await run([HEADER, line('=>', 'Ping', { message: 'hi' }), expected].join('\n'));
      expect(result.ok).toBe(false);
      expect(result.mismatch?.expected).toContain('<secret>');
      const text = JSON.stringify(result.mismatch) + '\n' + reports;
      expect(text).not.toContain('zebra');
      expect(text).not.toContain(Buffer.from('zebra').toString('hex'));
      expect(text).not.toContain('abababab');
      expect(text).not.toContain('cdcdcdcd');
    }
  });
});
