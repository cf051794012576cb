// Device suite, device lifecycle (trezor-direct/management): wipe, create a wallet with its
// backup words read through the debug link (reset_word), back up later, recover the SLIP-14
// seed (Trezor One: ui.word with scrambled words and with the matrix; Model T: typed on the
// device through the debug link), the dry-run check, PIN set / change / removal, settings.
// Runs on the virtual targets or a real emulator (harness.ts). Expected addresses come from the
// public vectors: a recovered "all all …" wallet must show the firmware tests' Testnet address.
import { validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { isTrezorError } from '../../src/errors.js';
import { applySettings, backupDevice, changePin, recoverDevice, resetDevice, wipeDevice } from '../../src/management/index.js';
import { parsePath } from '../../src/path.js';
import type { Trezor } from '../../src/session/trezor.js';
import type { ButtonRequestInfo, WordRequest } from '../../src/session/ui.js';
import { loadVectors } from '../support/fixtures.js';
import { encodePin } from '../../src/testing/debuglink.js';
import { MNEMONIC, closeAll, layoutOf, openDevice, targets, type DeviceUnderTest, type Target } from './harness.js';

const vectors = loadVectors();
const TESTNET = vectors.btc_addresses.find(
  (v: { coin: string; path: string; script_type: string }) => v.coin === 'Testnet' && v.path === "m/44'/1'/0'/0/1" && v.script_type === 'SPENDADDRESS',
) as { path: string; expected: string };

afterEach(closeAll);

function testnetAddress(trezor: Trezor): Promise<string> {
  return trezor
    .typedCall('GetAddress', { address_n: parsePath(TESTNET.path), coin_name: 'Testnet', script_type: 'SPENDADDRESS' }, 'Address')
    .then((a) => a.address);
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

interface Hooks {
  word?: (r: WordRequest) => Promise<string>;
  button?: (info: ButtonRequestInfo) => void;
  /** PINs the UI gives next, in order (Trezor One matrix or Model T keyboard). */
  pins: string[];
}

/** A device whose UI also answers word requests and lets a test take over the button screens. */
async function open(target: Target) {
  const hooks: Hooks = { pins: [] };
  const device: DeviceUnderTest = await openDevice({
    model: target,
    ui: {
      word: (request) => (hooks.word ? hooks.word(request) : Promise.reject(new Error('no word expected'))),
      button: (info) => hooks.button?.(info),
      pin: async () => encodePin(hooks.pins.shift() ?? device.pin ?? '', await device.debug.readPinMatrix()),
    },
  });
  return { device, hooks };
}

/** Queue the PINs the next flow is asked for; on the Model T they are typed on its keyboard. */
function pinQueue(device: DeviceUnderTest, hooks: Hooks): (...pins: string[]) => void {
  device.autoPress = false;
  hooks.button = (info) => {
    if (info.code === 'ButtonRequest_PinEntry') void device.debug.input(hooks.pins.shift() ?? '');
    else void device.debug.press('yes');
  };
  return (...pins) => hooks.pins.push(...pins);
}

/**
 * Read the backup words as trezorlib's tests do and answer the screens. Trezor One: one word a
 * screen, twice over (write down, then check). Model T: the word pages of one paginated screen
 * (swiped through), then three checks answered with the word asked for (reset_word_pos).
 * Resolves `words()` to the mnemonic.
 */
function readBackup(device: DeviceUnderTest, hooks: Hooks): () => string[] {
  const seen: string[] = [];
  const debug = device.debug;
  if (device.model === 'T1B1') {
    hooks.button = (info) => {
      // Read before the harness presses: requests on the debug link go out in order.
      if (info.code === 'ButtonRequest_ConfirmWord') void debug.readResetWord().then((w) => seen.push(w), () => undefined);
    };
    return () => {
      const count = seen.length / 2;
      expect(seen.slice(count)).toEqual(seen.slice(0, count));
      return seen.slice(0, count);
    };
  }
  device.autoPress = false;
  hooks.button = (info) => {
    if (info.code === 'ButtonRequest_PinEntry') {
      void debug.input(hooks.pins.shift() ?? device.pin ?? '');
    } else if (info.code === 'ButtonRequest_ResetDevice' && (info.pages ?? 1) > 1) {
      void (async () => {
        for (let page = 0; page < info.pages!; page++) {
          if (page > 0) await debug.swipe('up');
          seen.push(...(await debug.readResetWord()).split(' ').filter(Boolean));
        }
        await debug.press('yes');
        for (let check = 0; check < 3; check++) await debug.input(seen[await debug.readResetWordPos()]!);
      })().catch(() => undefined);
    } else void debug.press('yes');
  };
  return () => seen;
}

/** Answer the Trezor One's word requests for `mnemonic`: scrambled words through the debug link's position, the matrix through its screen. */
function answerWords(device: DeviceUnderTest, mnemonic: string): (request: WordRequest) => Promise<string> {
  const words = mnemonic.split(' ');
  return async ({ type }) => {
    if (type === 'plain') {
      const { position, fakeWord } = await device.debug.readRecoveryWord();
      return position === 0 ? fakeWord : words[position - 1]!;
    }
    // The virtual Trezor One lists its grid as text ("Word n of N", then "k: first-last" a key).
    const state = await device.debug.getState();
    const screen = new TextDecoder().decode(state.layout ?? new Uint8Array()).replace(/\0+$/, '').split('\n');
    const index = Number(/^Word (\d+) of/.exec(screen[0] ?? '')?.[1]) - 1;
    const word = words[index]!;
    for (const line of screen.slice(1)) {
      const m = /^(\d): ([a-z]+)(?:-([a-z]+))?$/.exec(line);
      if (m && m[2]! <= word && word <= (m[3] ?? m[2]!)) return m[1]!;
    }
    throw new Error(`no key on the grid leads to word ${index + 1}`);
  };
}

/** Model T: type the word count and the words on the device when it asks. */
function typeOnDevice(device: DeviceUnderTest, hooks: Hooks, mnemonic: string): void {
  const words = mnemonic.split(' ');
  device.autoPress = false;
  hooks.button = (info) => {
    const debug = device.debug;
    if (info.code === 'ButtonRequest_MnemonicWordCount') void debug.input(String(words.length));
    else if (info.code === 'ButtonRequest_MnemonicInput') for (const w of words) void debug.input(w);
    else if (info.code === 'ButtonRequest_PinEntry') void debug.input(device.pin ?? '');
    else {
      const answer = device.answers.shift() ?? 'yes';
      void (async () => {
        for (const press of typeof answer === 'string' ? [answer] : answer) await debug.press(press);
      })().catch(() => undefined);
    }
  };
}

/**
 * The relaxed safety-check level the device accepts: the Trezor One 1.14.1 has no PromptAlways
 * (fsm_msg_common.h answers "Unsupported safety-checks setting"), only PromptTemporarily.
 */
function relaxed(device: DeviceUnderTest): 'PromptAlways' | 'PromptTemporarily' {
  return device.info.family === 1 ? 'PromptTemporarily' : 'PromptAlways';
}

/**
 * How the Trezor One recovers in these tests: the matrix where its grid can be read (the virtual
 * device lists it as text; the emulator only has a framebuffer), scrambled words on the real
 * emulator, with safety checks relaxed first as trezorlib's test_recovery_bip39_t1 does.
 */
async function trezorOneInput(device: DeviceUnderTest, target: Target): Promise<'matrix' | 'words'> {
  if (target !== 'emulator') return 'matrix';
  await applySettings(device.trezor, { safetyChecks: relaxed(device) });
  return 'words';
}

/**
 * Skip (printing why) where this suite cannot yet read a backup off the device's screens. It
 * reads them the way trezorlib's tests read the Trezor One and the Model T before 2.6 (reset_word
 * per page, then three typed word checks). Core 2.6 and later (Model T Bolt, Safe 3 Caesar,
 * Safe 5 Delizia) show the words as layout pages and check each word as a choice among three,
 * which needs a layout-reading input flow this suite does not have yet (issue 10). The
 * virtual device plays the 2.4 backup screens on every Core model, so it is gated the same way.
 */
function requireReadableBackup(ctx: TestContext, device: DeviceUnderTest): void {
  const layout = layoutOf(device);
  if (layout === 'T1' || layout === 'UI1') return;
  const reason = `reading backup words from the ${layout} screens is not implemented in this suite yet`;
  console.log(`[skip] ${ctx.task.name}: ${reason}`);
  ctx.skip(reason);
}

for (const target of targets()) {

  describe(`device lifecycle on ${target}`, () => {
    it('wipe, then create a 12-word wallet whose backup words are shown on the device', async (ctx) => {
      const { device, hooks } = await open(target);
      requireReadableBackup(ctx, device);
      await wipeDevice(device.trezor);
      expect(device.trezor.features.initialized).toBe(false);
      const words = readBackup(device, hooks);
      const features = await resetDevice(device.trezor, { strength: 128, label: 'fresh' });
      expect(features.initialized).toBe(true);
      expect(features.label).toBe('fresh');
      expect(features.backup_availability).not.toBe('Required');
      expect(words()).toHaveLength(12);
      const mnemonic = words().join(' ');
      expect(validateMnemonic(mnemonic, wordlist)).toBe(true);
      expect(mnemonic).not.toBe(MNEMONIC);
    });

    it('backup later: needs_backup until backupDevice shows the words, then refused', async (ctx) => {
      const { device, hooks } = await open(target);
      requireReadableBackup(ctx, device);
      await wipeDevice(device.trezor);
      const features = await resetDevice(device.trezor, { strength: 256, backup: 'later' });
      expect(features.backup_availability).toBe('Required');
      const words = readBackup(device, hooks);
      await backupDevice(device.trezor);
      expect(words()).toHaveLength(24);
      expect(validateMnemonic(words().join(' '), wordlist)).toBe(true);
      expect(device.trezor.features.backup_availability).not.toBe('Required');
      const again = await rejection(backupDevice(device.trezor));
      expect(isTrezorError(again)).toBe(true);
      expect(['UnexpectedMessage', 'FirmwareError']).toContain(again.code);
    });

    it('a wallet created without backup cannot be backed up', async () => {
      const { device } = await open(target);
      await wipeDevice(device.trezor);
      const features = await resetDevice(device.trezor, { strength: 128, backup: 'none' });
      expect(features.no_backup).toBe(true);
      expect(isTrezorError(await rejection(backupDevice(device.trezor)))).toBe(true);
    });

    it('resetDevice on an initialized device is refused with UnexpectedMessage', async () => {
      const { device } = await open(target);
      expect((await rejection(resetDevice(device.trezor))).code).toBe('UnexpectedMessage');
    });

    it('recover the SLIP-14 seed with a new PIN: the firmware vectors\' address comes back', async () => {
      const { device, hooks } = await open(target);
      await wipeDevice(device.trezor);
      device.pin = '3742';
      const inputMethod = device.model === 'T1B1' ? await trezorOneInput(device, target) : undefined;
      if (device.model === 'T1B1') hooks.word = answerWords(device, MNEMONIC);
      else typeOnDevice(device, hooks, MNEMONIC);
      const features = await recoverDevice(device.trezor, { wordCount: 12, pin: true, label: 'recovered', inputMethod });
      expect(features.initialized).toBe(true);
      expect(features.pin_protection).toBe(true);
      expect(features.label).toBe('recovered');
      expect(await testnetAddress(device.trezor)).toBe(TESTNET.expected);
    });

    it('dry run: the device\'s own words are valid, another seed is not, and nothing changes', async () => {
      const { device, hooks } = await open(target);
      const other = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
      const inputMethod = device.model === 'T1B1' ? await trezorOneInput(device, target) : undefined;
      for (const [words, valid] of [[MNEMONIC, true], [other, false]] as const) {
        if (device.model === 'T1B1') hooks.word = answerWords(device, words);
        else typeOnDevice(device, hooks, words);
        expect(await recoverDevice(device.trezor, { wordCount: 12, dryRun: true, inputMethod })).toEqual({ valid });
      }
      expect(await testnetAddress(device.trezor)).toBe(TESTNET.expected);
    });

    it('Trezor One: recovery by scrambled words, fake words included (safety checks relaxed as trezorlib\'s test does)', async (ctx) => {
      const { device, hooks } = await open(target);
      if (device.model !== 'T1B1') return ctx.skip('the Model T takes the words on its own screen');
      await wipeDevice(device.trezor);
      await applySettings(device.trezor, { safetyChecks: relaxed(device) });
      let asked = 0;
      const answer = answerWords(device, MNEMONIC);
      hooks.word = (request) => (asked++, answer(request));
      await recoverDevice(device.trezor, { wordCount: 12, inputMethod: 'words' });
      expect(asked).toBe(24); // 12 real words among 12 fake ones
      expect(await testnetAddress(device.trezor)).toBe(TESTNET.expected);
    });

    it('Trezor One: scrambled words for 12 words are refused under strict safety checks', async (ctx) => {
      const { device } = await open(target);
      if (device.model !== 'T1B1') return ctx.skip('Trezor One only');
      await wipeDevice(device.trezor);
      const error = await rejection(recoverDevice(device.trezor, { wordCount: 12, inputMethod: 'words' }));
      expect(error.code).toBe('FirmwareError');
      expect(error.failureCode).toBe(3);
    });

    it('changePin sets, changes and removes the PIN; a wrong current PIN is PinInvalid', async () => {
      const { device, hooks } = await open(target);
      const enter = pinQueue(device, hooks);
      enter('1111', '1111');
      await changePin(device.trezor);
      expect(device.trezor.features.pin_protection).toBe(true);
      enter('1111', '2222', '2222'); // current, then the new one twice
      await changePin(device.trezor);
      enter('9999');
      expect((await rejection(changePin(device.trezor, { remove: true }))).code).toBe('PinInvalid');
      enter('2222');
      await changePin(device.trezor, { remove: true });
      expect(device.trezor.features.pin_protection).toBe(false);
    });

    it('applySettings changes label, passphrase protection and auto-lock delay', async () => {
      const { device } = await open(target);
      const features = await applySettings(device.trezor, { label: 'renamed', passphraseProtection: true, autoLockDelayMs: 300_000 });
      expect(features.label).toBe('renamed');
      expect(features.passphrase_protection).toBe(true);
      expect(features.auto_lock_delay_ms).toBe(300_000);
    });

    it('declining the wipe on the device is ActionCancelled and keeps the seed', async () => {
      const { device } = await open(target);
      device.answers.push('no');
      expect((await rejection(wipeDevice(device.trezor))).code).toBe('ActionCancelled');
      expect(await testnetAddress(device.trezor)).toBe(TESTNET.expected);
    });
  });
}
