// Recorded random choices (src/testing/virtual/recorded.ts, recordedChoices() in replay.ts): what
// the Trezor One lifecycle recordings reveal of the emulator's randomness, and the virtual
// device making those choices again. Expected values come from the recordings and from the
// firmware's public source: crypto/rand_insecure.c (the LCG the emulator draws from) and
// legacy/firmware/reset.c (commitment = HMAC-SHA256 keyed with the entropy over nothing; seed
// words = mnemonic_from_data(SHA-256(internal ‖ external)) cut to the strength).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { entropyToMnemonic, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAs, type MessageMap } from '../src/messages/index.js';
import { parsePath } from '../src/path.js';
import { parseTranscript, recordedChoices } from '../src/testing/replay.js';
import type { VirtualTrezor } from '../src/testing/virtual/device.js';
import { RecordedChoiceQueue } from '../src/testing/virtual/recorded.js';
import { FIXTURES_DIR } from './support/fixtures.js';
import { openVirtualWire } from './support/virtual-wire.js';

const transcript = (name: string) => {
  const path = join(FIXTURES_DIR, 'transcripts/reset_recovery', name);
  return parseTranscript(readFileSync(path, 'utf8'), path);
};

/** crypto/rand_insecure.c: seed = 1664525 * seed + 1013904223; random_buffer takes 4 bytes a draw, low byte first. */
function lcgBytes(seed: number, skipDraws: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < skipDraws; i++) state = (Math.imul(1664525, state) + 1013904223) >>> 0;
  for (let i = 0; i < length; i++) {
    if (i % 4 === 0) state = (Math.imul(1664525, state) + 1013904223) >>> 0;
    out[i] = (state >>> ((i % 4) * 8)) & 0xff;
  }
  return out;
}

const devices: VirtualTrezor[] = [];
afterEach(async () => {
  for (const device of devices.splice(0)) await device.close();
});

describe('recordedChoices(): what a Trezor One recording reveals', () => {
  it('entropy check: each revealed round is the LCG\'s output and opens the commitment sent before it', () => {
    const t = transcript('test_reset_bip39_t1/test_entropy_check.txt');
    const { resetEntropy } = recordedChoices(t);
    const requests = t.events.flatMap((e) => (e.kind === 'receive' && e.name === 'EntropyRequest' ? [decodeAs('EntropyRequest', e.payload)] : []));
    expect(requests).toHaveLength(3);
    // Rounds 1 and 2 are revealed by the next round's prev_entropy; round 3 never is.
    expect(resetEntropy).toHaveLength(2);
    for (const [round, entropy] of resetEntropy!.entries()) {
      expect(hmac(sha256, entropy, new Uint8Array(0))).toEqual(requests[round]!.entropy_commitment);
    }
    // Deterministic, but not reachable without the firmware's storage internals: round 1 is the
    // 248th to 255th draw after the fixture's DebugLinkReseedRandom(0), round 2 starts at draw 304.
    expect(resetEntropy![0]).toEqual(lcgBytes(0, 247, 32));
    expect(resetEntropy![1]).toEqual(lcgBytes(0, 303, 32));
  });

  it('scrambled recovery: 24 requests, each of the 12 positions once, 12 fake words from the word list', () => {
    const { recoveryWords, resetEntropy } = recordedChoices(transcript('test_recovery_bip39_t1/test_nopin_nopassphrase.txt'));
    expect(resetEntropy).toEqual([]);
    expect(recoveryWords).toHaveLength(24);
    const real = recoveryWords!.filter((w) => w.position > 0);
    expect(real.map((w) => w.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(real.every((w) => w.fakeWord === '')).toBe(true);
    for (const fake of recoveryWords!.filter((w) => w.position === 0)) expect(wordlist).toContain(fake.fakeWord);
  });

  it('a recording without these messages reveals nothing', () => {
    expect(recordedChoices(transcript('test_reset_bip39_t1/test_already_initialized.txt'))).toEqual({ resetEntropy: [], recoveryWords: [] });
  });
});

describe('RecordedChoiceQueue', () => {
  const order = (count: number) => Array.from({ length: 24 }, (_, i) => (i < count ? { position: i + 1, fakeWord: '' } : { position: 0, fakeWord: 'zoo' }));

  it('hands out a complete word order once, then nothing (the device draws its own)', () => {
    const queue = new RecordedChoiceQueue({ recoveryWords: order(12) });
    expect(queue.recoveryWords(12)).toHaveLength(24);
    expect(queue.recoveryWords(12)).toBeUndefined();
  });

  it('refuses an order that does not fit the recovery under way', () => {
    expect(new RecordedChoiceQueue({ recoveryWords: order(12) }).recoveryWords(18)).toBeUndefined();
    expect(new RecordedChoiceQueue({ recoveryWords: order(12).slice(1) }).recoveryWords(12)).toBeUndefined();
    const noFakeWord = order(12).map((w) => ({ ...w, fakeWord: '' }));
    expect(new RecordedChoiceQueue({ recoveryWords: noFakeWord }).recoveryWords(12)).toBeUndefined();
  });

  it('hands out reset entropy round by round', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const queue = new RecordedChoiceQueue({ resetEntropy: [a, b] });
    expect([queue.resetEntropy(), queue.resetEntropy(), queue.resetEntropy()]).toEqual([a, b, undefined]);
  });
});

describe('virtual Trezor One: GetPublicKey during the entropy check (reset.c reset_get_seed)', () => {
  it('answers from the seed being made, refuses to show it, and finishes the reset', async () => {
    const internal = lcgBytes(0, 247, 32);
    const external = new Uint8Array(32).fill(0x5a);
    const call = await openVirtualWire(devices, 'T1B1', undefined, { recordedChoices: { resetEntropy: [internal] } });
    expect((await call('WipeDevice', {})).answer.type).toBe('Success');
    expect((await call('ResetDevice', { strength: 128, entropy_check: true, skip_backup: true })).answer.type).toBe('EntropyRequest');
    expect((await call('EntropyAck', { entropy: external })).answer.type).toBe('EntropyCheckReady');

    const path = "m/84'/0'/0'";
    const getPublicKey = (show: boolean) => call('GetPublicKey', { address_n: parsePath(path), coin_name: 'Bitcoin', show_display: show });
    const refused = (await getPublicKey(true)).answer;
    expect(refused.type).toBe('Failure');
    expect((refused.message as MessageMap['Failure']).message).toBe('Showing temporary XPUB is forbidden');

    const joined = new Uint8Array([...internal, ...external]);
    const mnemonic = entropyToMnemonic(sha256(joined).subarray(0, 16), wordlist);
    const expected = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic, '')).derive(path);
    const { answer } = await getPublicKey(false);
    expect(answer.type).toBe('PublicKey');
    expect((answer.message as MessageMap['PublicKey']).node.public_key).toEqual(expected.publicKey);

    expect((await call('EntropyCheckContinue', { finish: true })).answer.type).toBe('Success');
    const features = (await call('GetFeatures', {})).answer.message as MessageMap['Features'];
    expect(features.initialized).toBe(true);
  });
});
