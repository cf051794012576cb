/**
 * Wallet creation, backup and recovery on the virtual device: ResetDevice (with the
 * EntropyRequest exchange and the Trezor One's entropy check), BackupDevice and RecoveryDevice.
 *
 * Trezor One (legacy/firmware reset.c, recovery.c, fsm_msg_common.h of 1.14.1): the seed is
 * SHA-256(device entropy ‖ host entropy) cut to the strength; the words are shown one a screen,
 * twice (ButtonRequest_ConfirmWord), with the current word readable as DebugLinkState.reset_word.
 * Recovery asks the host: scrambled words (24 WordRequests, the real words in random order among
 * fake ones; DebugLinkState.recovery_word_pos / recovery_fake_word say which) or the matrix
 * (four keys a word on scrambled 3×3 and 2×3 grids). The grid's letter groups here are our own
 * even split of the word list, not the firmware's recovery-table.h: the keys the host sends are
 * the same kind, the groups behind them differ.
 *
 * Model T (core/src/apps/management of 2.4.1): the words are written down and recovered on the
 * device's screen; the debug link types them (DebugLinkDecision.input), as in trezorlib's tests.
 */
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeAs, messageName, type MessageMap } from '../../../messages/index.js';
import { mnemonicProblem } from '../bip39.js';
import { DeviceFailure, fail, type Reply } from '../context.js';
import { Keychain, seedOf } from '../keychain.js';
import { bitcoinHandlers } from './bitcoin.js';
import type { CoreContext, CoreHandlerTable } from '../device.js';
import { requestNewPin, requireInitialized, requireNotInitialized, success } from './shared.js';

const T1 = 'T1B1';

/** The backup screens. Trezor One: each word, twice over (write down, then check), reset_word on screen. */
async function showWords(ctx: CoreContext, mnemonic: string): Promise<void> {
  const words = mnemonic.split(' ');
  if (ctx.model !== T1) return showWordsCore(ctx, words);
  for (let pass = 0; pass < 2; pass++) {
    for (const [i, word] of words.entries()) {
      ctx.device.lifecycle.resetWord = word;
      await ctx.confirm('ButtonRequest_ConfirmWord', { text: `${pass ? 'Check' : 'Write down'} word #${i + 1}\n${word}` });
    }
  }
}

/** Core's word pages: two words, then four a page, then the last two (18 words: no words on the last page). */
function wordPages(words: string[]): [number, string][][] {
  const indexed = words.map((w, i) => [i, w] as [number, string]);
  const even = words.length === 12 || words.length === 20 || words.length === 24;
  const middle = even ? indexed.slice(2, -2) : indexed.slice(2);
  const pages = [indexed.slice(0, 2)];
  for (let i = 0; i < middle.length; i += 4) pages.push(middle.slice(i, i + 4));
  pages.push(even ? indexed.slice(-2) : []);
  return pages;
}

/**
 * Model T 2.4.1 (reset_device/layout.py bip39_show_and_confirm_mnemonic): a warning, the words
 * on a paginated screen (the debug link reads each page's words), then three checks — one word
 * of each third, typed through the debug link — and a success screen; a wrong word shows the
 * words again.
 */
async function showWordsCore(ctx: CoreContext, words: string[]): Promise<void> {
  const l = ctx.device.lifecycle;
  await ctx.confirm('ButtonRequest_ResetDevice', { text: 'Caution\nNever make a digital\ncopy of your recovery\nseed and never upload\nit online!' });
  for (;;) {
    const pages = wordPages(words);
    l.resetWordPages = pages.map((page) => page.map(([, w]) => w).join(' '));
    const text = pages.map((page) => ['Recovery seed', ...page.map(([i, w]) => `${i + 1}. ${w}`)].join('\n')).join('\f');
    try {
      await ctx.confirm('ButtonRequest_ResetDevice', { text, pages: pages.length });
    } finally {
      l.resetWordPages = undefined;
    }
    if (await checkWords(ctx, words)) {
      await ctx.confirm('ButtonRequest_Success', { text: 'Success\nRecovery seed is checked!' });
      return;
    }
    await ctx.confirm('ButtonRequest_ResetDevice', { text: 'Recovery seed\nWrong word selected!\nCheck your backup\nagain.' });
  }
}

/** One word of each third, chosen at random; false at the first wrong answer (layout.py _confirm_share_words). */
async function checkWords(ctx: CoreContext, words: string[]): Promise<boolean> {
  const third = Math.floor((words.length + 2) / 3);
  const l = ctx.device.lifecycle;
  try {
    for (let offset = 0; offset < words.length; offset += third) {
      const part = words.slice(offset, offset + third);
      const checked = permute(ctx, [...new Set(part)])[0]!;
      l.resetWordPos = part.indexOf(checked) + offset;
      ctx.device.show(`Select word ${l.resetWordPos + 1} of ${words.length}`);
      const typed = await ctx.device.takeInput(() => checked);
      if (typed !== checked) return false;
    }
    return true;
  } finally {
    l.resetWordPos = undefined;
  }
}

async function resetDevice(ctx: CoreContext, request: MessageMap['ResetDevice']): Promise<Reply> {
  const device = ctx.device;
  requireNotInitialized(ctx);
  const strength = request.strength ?? 256;
  if (strength !== 128 && strength !== 192 && strength !== 256) fail('Failure_DataError', 'Invalid seed strength');
  await ctx.confirm(ctx.model === T1 ? 'ButtonRequest_ProtectCall' : 'ButtonRequest_ResetDevice', {
    text: 'Do you really want to\ncreate a new wallet?',
  });
  const pin = request.pin_protection ? await requestNewPin(ctx) : undefined;
  const passphraseProtection = request.passphrase_protection ?? false;
  if (ctx.model === T1) {
    // reset_init stores these before it asks for entropy.
    device.storage.passphraseProtection = passphraseProtection;
    device.storage.passphraseStored = true;
    if (request.label !== undefined) device.storage.label = request.label;
    if (pin !== undefined) device.storage.pin = pin;
  }
  // The entropy check (Trezor One 1.14.1): commit to the device's entropy (HMAC-SHA256 keyed with
  // it over an empty message), reveal it in the next round's prev_entropy, as many rounds as the host wants.
  const entropyCheck = ctx.model === T1 && request.entropy_check === true;
  let previous: Uint8Array | undefined;
  let mnemonic: string;
  for (;;) {
    const internal = device.recorded.resetEntropy() ?? device.random.bytes(32);
    device.lifecycle.resetEntropy = internal;
    const ask: MessageMap['EntropyRequest'] = {};
    if (entropyCheck) ask.entropy_commitment = hmac(sha256, internal, new Uint8Array(0));
    if (previous) ask.prev_entropy = previous;
    const answer = await ctx.ask('EntropyRequest', ask, ['EntropyAck']);
    const external = decodeAs('EntropyAck', answer.payload).entropy;
    const joined = new Uint8Array(internal.length + external.length);
    joined.set(internal);
    joined.set(external, internal.length);
    mnemonic = entropyToMnemonic(sha256(joined).subarray(0, strength / 8), wordlist);
    if (!entropyCheck) break;
    const next = await entropyCheckReady(ctx, mnemonic);
    if (decodeAs('EntropyCheckContinue', next.payload).finish) break;
    previous = internal;
  }
  device.lifecycle.resetEntropy = undefined;
  const skipBackup = request.skip_backup ?? false;
  const noBackup = request.no_backup ?? false;
  let backedUp = !skipBackup && !noBackup;
  if (backedUp && ctx.model !== T1) {
    // confirm_backup: "Back up" or "Skip" (the firmware asks once more before skipping; here one "no" skips).
    backedUp = (await ctx.confirm('ButtonRequest_ResetDevice', { text: 'Success\nNew wallet created.\nDo you want to\ncreate a backup now?', allowNo: true })) === true;
  }
  if (backedUp) {
    try {
      await showWords(ctx, mnemonic);
    } catch (e) {
      if (ctx.model === T1) device.endSession();
      throw e;
    }
  }
  device.load({
    mnemonic,
    pin,
    passphraseProtection,
    label: request.label ?? device.storage.label,
    needsBackup: ctx.model === T1 ? skipBackup : !backedUp && !noBackup,
    noBackup,
    imported: false,
  });
  if (backedUp && ctx.model !== T1) await ctx.confirm('ButtonRequest_Success', { text: 'Success\nYour backup is done.' });
  return success(ctx.model === T1 ? 'Device successfully initialized' : 'Initialized');
}

/**
 * EntropyCheckReady, then wait for EntropyCheckContinue. Meanwhile the host may check the seed
 * about to be made: GetPublicKey is answered from it (fsm_msgGetPublicKey with reset_get_seed(),
 * no passphrase), never shown on the screen ("Showing temporary XPUB is forbidden"), and a
 * refusal leaves the check waiting, as the firmware's reset_state stays ENTROPY_CHECK_READY.
 */
async function entropyCheckReady(ctx: CoreContext, mnemonic: string): Promise<{ type: number; payload: Uint8Array }> {
  const device = ctx.device;
  const expect = ['EntropyCheckContinue', 'GetPublicKey'] as const;
  let next = await ctx.ask('EntropyCheckReady', {}, expect);
  device.temporaryKeys = new Keychain(await seedOf(mnemonic, ''));
  try {
    while (messageName(next.type) === 'GetPublicKey') {
      const request = decodeAs('GetPublicKey', next.payload);
      let reply: Reply;
      try {
        if (request.show_display) fail('Failure_DataError', 'Showing temporary XPUB is forbidden');
        reply = await bitcoinHandlers.GetPublicKey!(ctx, request);
      } catch (e) {
        if (!(e instanceof DeviceFailure)) throw e;
        reply = { type: 'Failure', message: { code: e.failureCode, message: e.text } };
      }
      next = await ctx.ask(reply.type, reply.message as never, expect);
    }
    return next;
  } finally {
    device.temporaryKeys = undefined;
  }
}

async function backupDevice(ctx: CoreContext): Promise<Reply> {
  const device = ctx.device;
  requireInitialized(ctx);
  if (ctx.model === T1) {
    // CHECK_PIN_UNCACHED: the PIN is asked even when the device is unlocked.
    if (device.storage.pin !== undefined && !(await device.checkPin(await device.requestPin('PinMatrixRequestType_Current')))) {
      throw device.failure('Failure_PinInvalid');
    }
    if (!device.storage.needsBackup) fail('Failure_UnexpectedMessage', 'Seed already backed up');
  } else {
    await ctx.unlock();
    if (!device.storage.needsBackup) fail('Failure_ProcessError', 'Seed already backed up');
  }
  device.storage.unfinishedBackup = true;
  device.storage.needsBackup = false;
  await showWords(ctx, device.storage.mnemonic!);
  device.storage.unfinishedBackup = false;
  if (ctx.model !== T1) await ctx.confirm('ButtonRequest_Success', { text: 'Success\nYour backup is done.' });
  return success('Seed successfully backed up');
}

// ----- recovery ----------------------------------------------------------------------------------

/** Fisher-Yates as legacy random_permute: for i from the end, swap with random_uniform(i + 1). */
function permute<T>(ctx: CoreContext, items: T[]): T[] {
  for (let i = items.length - 1; i >= 1; i--) {
    const j = ctx.device.random.below(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function askWord(ctx: CoreContext, type: MessageMap['WordRequest']['type']): Promise<string> {
  const answer = await ctx.ask('WordRequest', { type }, ['WordAck']);
  return decodeAs('WordAck', answer.payload).word;
}

/** Scrambled words: 24 requests, the real positions shuffled among fake words (recovery.c next_word). */
async function scrambledWords(ctx: CoreContext, count: number, enforce: boolean, dryRun: boolean): Promise<string[]> {
  const l = ctx.device.lifecycle;
  // A replayed recording's order and fake words (../recorded.ts), or our own draws.
  const recorded = ctx.device.recorded.recoveryWords(count);
  const order = recorded?.map((w) => w.position) ?? permute(ctx, Array.from({ length: 24 }, (_, i) => (i < count ? i + 1 : 0)));
  const words: string[] = new Array(count).fill('');
  for (const [index, position] of order.entries()) {
    l.recoveryWordPos = position;
    l.recoveryFakeWord = position !== 0 ? '' : (recorded?.[index]!.fakeWord ?? wordlist[ctx.device.random.below(wordlist.length)]!);
    ctx.device.show(`Please enter\n${position === 0 ? l.recoveryFakeWord : `the ${ordinal(position)} word`}\non your computer`);
    const word = await askWord(ctx, 'WordRequestType_Plain');
    if (enforce && !wordlist.includes(word)) {
      if (!dryRun) ctx.device.endSession();
      fail('Failure_DataError', 'Word not found in a wordlist');
    }
    if (position !== 0) words[position - 1] = word;
  }
  return words;
}

function ordinal(n: number): string {
  const suffix = n === 1 || n === 21 ? 'st' : n === 2 || n === 22 ? 'nd' : n === 3 || n === 23 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/** Matrix recovery: a word is four keys, narrowing the word list 9, 9, 9 and then up to 6 ways. */
const MATRIX_SPLITS = [228, 26, 3, 1] as const;

async function matrixWords(ctx: CoreContext, count: number): Promise<string[]> {
  const words: string[] = [];
  while (words.length < count) {
    let first = 0;
    let size = wordlist.length;
    for (let level = 0; level < 4; level++) {
      const step = MATRIX_SPLITS[level]!;
      const keys = level === 3 ? 6 : 9;
      const choices = Math.min(keys, Math.ceil(size / step));
      // word_matrix: which choice each key stands for, scrambled; keys beyond the choices pick choice 0.
      const matrix = permute(ctx, Array.from({ length: keys }, (_, i) => i)).map((c) => (c < choices ? c : 0));
      const shown = matrix.map((c, key) => {
        const from = first + c * step;
        const to = Math.min(from + step, first + size) - 1;
        return `${key + 1}: ${from === to ? wordlist[from] : `${wordlist[from]}-${wordlist[to]}`}`;
      });
      ctx.device.show(`Word ${words.length + 1} of ${count}\n${shown.join('\n')}`);
      const key = await askWord(ctx, level === 3 ? 'WordRequestType_Matrix6' : 'WordRequestType_Matrix9');
      const index = key.charCodeAt(0) - 49;
      if (key.length !== 1 || index < 0 || index >= keys) {
        // recovery_digit ignores anything but '1'-'9' and asks again; a digit beyond the grid picks its slot.
        level--;
        continue;
      }
      const chosen = matrix[index]!;
      first += chosen * step;
      size = Math.min(step, size - chosen * step);
    }
    words.push(wordlist[first]!);
  }
  return words;
}

async function recoveryT1(ctx: CoreContext, request: MessageMap['RecoveryDevice'], dryRun: boolean): Promise<Reply> {
  const device = ctx.device;
  // CHECK_PIN_UNCACHED, then the parameter checks of fsm_msgRecoveryDevice.
  if (device.storage.pin !== undefined && !(await device.checkPin(await device.requestPin('PinMatrixRequestType_Current')))) {
    throw device.failure('Failure_PinInvalid');
  }
  if (request.type === 'UnlockRepeatedBackup' || request.type === 2) fail('Failure_DataError', 'UnlockRepeatedBackup not supported');
  if (!dryRun) requireNotInitialized(ctx);
  else {
    requireInitialized(ctx);
    const forbidden = [request.passphrase_protection, request.pin_protection, request.language, request.label, request.u2f_counter];
    if (forbidden.some((v) => v !== undefined)) fail('Failure_DataError', 'Forbidden field set in dry-run');
  }
  const count = request.word_count ?? 12;
  if (count !== 12 && count !== 18 && count !== 24) fail('Failure_DataError', 'Invalid word count');
  const matrix = request.input_method === 'Matrix' || request.input_method === 1;
  if (count < 24 && !matrix && device.storage.safetyChecks === 'Strict') fail('Failure_DataError', 'Advanced recovery must be used.');
  const enforce = request.enforce_wordlist ?? false;
  let pin: string | undefined;
  if (!dryRun) {
    await ctx.confirm('ButtonRequest_ProtectCall', { text: 'Do you really want to\nrecover the device?' });
    if (request.pin_protection) pin = await requestNewPin(ctx);
    device.storage.passphraseProtection = request.passphrase_protection ?? false;
    device.storage.passphraseStored = true;
    if (request.label !== undefined) device.storage.label = request.label;
    if (pin !== undefined) device.storage.pin = pin;
  }
  const words = matrix ? await matrixWords(ctx, count) : await scrambledWords(ctx, count, enforce, dryRun);
  const mnemonic = words.join(' ');
  if (enforce && mnemonicProblem(mnemonic) !== undefined) {
    if (!dryRun) device.endSession();
    else await ctx.confirm('ButtonRequest_Other', { text: 'The seed is\nINVALID!' });
    fail('Failure_DataError', 'Invalid seed, are words in correct order?');
  }
  if (dryRun) {
    const match = device.storage.initialized && device.storage.mnemonic === mnemonic;
    await ctx.confirm('ButtonRequest_Other', {
      text: `The seed is valid\n${match ? 'and MATCHES' : 'but does NOT MATCH'}\nthe one in the device.`,
    });
    if (!match) fail('Failure_DataError', 'The seed is valid but does not match the one in the device');
    return success('The seed is valid and matches the one in the device');
  }
  device.load({
    mnemonic,
    pin: device.storage.pin,
    passphraseProtection: device.storage.passphraseProtection,
    label: device.storage.label,
    imported: !enforce,
  });
  return success('Device recovered');
}

/** Model T: every word on the device's keyboard, typed here through the debug link. */
async function recoveryCore(ctx: CoreContext, request: MessageMap['RecoveryDevice'], dryRun: boolean): Promise<Reply> {
  const device = ctx.device;
  if (!dryRun && device.storage.initialized) fail('Failure_UnexpectedMessage', 'Already initialized');
  if (dryRun && !device.storage.initialized) fail('Failure_NotInitialized', 'Device is not initialized');
  if (request.enforce_wordlist === false) {
    fail('Failure_ProcessError', 'Value enforce_wordlist must be True, Trezor Core enforces words automatically.');
  }
  if (dryRun) {
    const fields = { passphrase_protection: request.passphrase_protection, pin_protection: request.pin_protection, label: request.label, u2f_counter: request.u2f_counter };
    const set = Object.entries(fields).find(([, v]) => v !== undefined);
    if (set) fail('Failure_ProcessError', `Forbidden field set in dry-run: ${set[0]}`);
  }
  await ctx.confirm('ButtonRequest_ProtectCall', {
    text: dryRun ? 'Seed check\nDo you really want to\ncheck the recovery seed?' : 'Recovery mode\nDo you really want to\nrecover a wallet?',
  });
  let pin: string | undefined;
  if (dryRun) {
    if (device.storage.pin !== undefined && !(await device.checkPin(await device.requestPin('PinMatrixRequestType_Current')))) {
      throw device.failure('Failure_PinInvalid');
    }
  } else if (request.pin_protection) pin = await requestNewPin(ctx);
  for (;;) {
    await ctx.confirm('ButtonRequest_RecoveryHomepage', { text: 'Select number of words' });
    await device.buttonRequest('ButtonRequest_MnemonicWordCount');
    const count = Number(await device.takeInput(() => undefined));
    if (![12, 18, 24].includes(count)) continue;
    await ctx.confirm('ButtonRequest_RecoveryHomepage', { text: `Enter recovery seed\n(${count} words)` });
    await device.buttonRequest('ButtonRequest_MnemonicInput');
    const words: string[] = [];
    while (words.length < count) {
      device.show(`Type word ${words.length + 1} of ${count}`);
      const word = (await device.takeInput(() => undefined)).trim();
      if (wordlist.includes(word)) words.push(word);
    }
    const mnemonic = words.join(' ');
    if (mnemonicProblem(mnemonic) !== undefined) {
      await ctx.confirm('ButtonRequest_Warning', { text: 'Invalid recovery seed\nPlease try again.' });
      continue;
    }
    if (dryRun) {
      const match = device.storage.mnemonic === mnemonic;
      await ctx.confirm(match ? 'ButtonRequest_Success' : 'ButtonRequest_Warning', {
        text: match ? 'The entered recovery\nseed is valid and\nmatches the one\nin the device.' : 'The entered recovery\nseed is valid but does\nnot match the one\nin the device.',
      });
      if (!match) fail('Failure_ProcessError', 'The seed does not match the one in the device');
      return success('The seed is valid and matches the one in the device');
    }
    device.load({ mnemonic, pin, passphraseProtection: request.passphrase_protection ?? false, label: request.label, imported: false });
    await ctx.confirm('ButtonRequest_Success', { text: 'Success\nYou have successfully\nrecovered your wallet.' });
    return success('Device recovered');
  }
}

async function recoveryDevice(ctx: CoreContext, request: MessageMap['RecoveryDevice']): Promise<Reply> {
  const dryRun = request.type === 'DryRun' || request.type === 1;
  return ctx.model === T1 ? recoveryT1(ctx, request, dryRun) : recoveryCore(ctx, request, dryRun);
}

export const lifecycleHandlers: CoreHandlerTable = {
  ResetDevice: resetDevice,
  BackupDevice: backupDevice,
  RecoveryDevice: recoveryDevice,
};
