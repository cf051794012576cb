// Mnemonics on the virtual device: the constructor option is checked as the firmware's
// LoadDevice checks it (trezor-crypto bip39.c mnemonic_check: 12/18/24 English words, BIP-39
// checksum) and a bad one is InvalidParameters naming `mnemonic` without repeating it;
// DebugLink.loadDevice leaves the decision to the device, as trezorlib does, with skip_checksum
// off unless asked.
import { describe, expect, it } from 'vitest';
import { connect } from '../src/session/connect.js';
import { mnemonicProblem } from '../src/testing/virtual/bip39.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';

// Valid mnemonics from the BIP-39 reference vectors (trezor/python-mnemonic vectors.json).
const VALID = [
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  'legal winner thank year wave sausage worth useful legal winner thank yellow',
  'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
  'scissors invite lock maple supreme raw rapid void congress muscle digital elegant little brisk hair mango congress clump',
  'void come effort suffer camp survey warrior heavy shoot primary clutch crush open amazing screen patrol group space point ten exist slush involve unfold',
  'all all all all all all all all all all all all', // SLIP-14
];
/** Eleven SLIP-14 words and "abandon": every word is in the list, the checksum is not right. */
const BAD_CHECKSUM = 'all all all all all all all all all all all abandon';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('mnemonicProblem (the firmware rules)', () => {
  it('accepts the BIP-39 reference mnemonics of 12, 18 and 24 words', () => {
    for (const mnemonic of VALID) expect(mnemonicProblem(mnemonic), mnemonic.split(' ').length.toString()).toBeUndefined();
  });

  it('refuses a wrong count (15 and 21 words too: mnemonic_check takes 12, 18, 24), unknown words and a bad checksum', () => {
    expect(mnemonicProblem('all all all')).toBe('expected 12, 18 or 24 words separated by single spaces, got 3');
    // Valid BIP-39 with 15 words, which the firmware does not load.
    expect(mnemonicProblem(`${'abandon '.repeat(14)}address`)).toMatch(/got 15/);
    expect(mnemonicProblem(VALID[1]!.replace('wave', 'Wave'))).toBe('word 5 is not in the BIP-39 English word list (lowercase words, single spaces)');
    expect(mnemonicProblem(VALID[1]!.replace(' ', '  '))).toMatch(/got 13/);
    expect(mnemonicProblem(BAD_CHECKSUM)).toBe('its checksum does not match (a mistyped or missing word?)');
    expect(mnemonicProblem(VALID[4]!.replace('unfold', 'zoo'))).toMatch(/checksum/);
    expect(mnemonicProblem(12)).toBe('expected a string of words');
  });
});

describe('new VirtualTrezor({ mnemonic })', () => {
  it("refuses 'all all all' and a bad checksum with InvalidParameters (field mnemonic) that does not repeat it", () => {
    for (const mnemonic of ['all all all', BAD_CHECKSUM, 'correct horse battery staple']) {
      const error = thrown(() => new VirtualTrezor({ mnemonic })) as { code?: string; field?: string; message: string };
      expect(error).toMatchObject({ name: 'TrezorError', code: 'InvalidParameters', field: 'mnemonic' });
      for (const word of new Set(mnemonic.split(' '))) expect(error.message).not.toContain(word);
    }
  });

  it('loads a valid one', async () => {
    const virtual = new VirtualTrezor({ mnemonic: VALID[0]!, model: 'T2T1' });
    const trezor = await connect({ transport: virtual.transport() });
    expect(trezor.features.initialized).toBe(true);
    await trezor.close();
    await virtual.close();
  });
});

describe('DebugLink.loadDevice on the virtual device (decided by the device, as on the emulator)', () => {
  it('a bad checksum is refused by the firmware unless skipChecksum', async () => {
    // Trezor One: after its confirmation, DataError (legacy fsm_msgLoadDevice); Model T: ProcessError first (core load_device.py).
    const expected = { T1B1: 'Mnemonic with wrong checksum provided', T2T1: 'Mnemonic is not valid' };
    for (const model of ['T1B1', 'T2T1'] as const) {
      const virtual = new VirtualTrezor({ model });
      const debug = virtual.debugLink();
      const error = await debug.loadDevice({ mnemonic: BAD_CHECKSUM }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, model).toMatchObject({ name: 'TrezorError', failureMessage: expected[model] });
      expect((error as Error).message).not.toContain('abandon');
      expect(virtual.device.storage.initialized, model).toBe(false);

      await debug.loadDevice({ mnemonic: BAD_CHECKSUM, skipChecksum: true });
      expect(virtual.device.storage.initialized, model).toBe(true);
      await virtual.close();
    }
  });
});
