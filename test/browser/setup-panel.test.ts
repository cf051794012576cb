/**
 * The example page's "Set up a Trezor" panel in headless Chromium, end to end on the virtual
 * Trezor One in the page: wipe, create a 24-word wallet to back up later, back it up (the words
 * read through the virtual device's debug link, as trezorlib's tests read reset_word), wipe,
 * recover it with the word field, wipe, recover the SLIP-14 seed with the 9-key / 6-key grid,
 * set the PIN, change the label, remove the PIN; then on a virtual Model T, recovery typed on the
 * device's own screen. After each step the test checks what the page shows of the device's Features.
 *
 * Nothing presses for the user here: auto-confirm is off, and the test clicks the page's
 * "Press yes on the virtual device", types into the word field and clicks the grids, reading the
 * device's screen through the page's `?test` hook as trezor-firmware's device tests read it.
 */
import { validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer, type ExampleServer } from '../../scripts/start.js';
import { SLIP14_MNEMONIC } from '../support/fixtures.js';
import { launch, screenshot, type Browser } from './chromium.js';
import { answerPinMatrix, checkConsoleClean, openPage, pageError, vectors, waitForText, waitIdle } from './flows.js';

interface TestHook {
  pinMatrix(): Promise<string>;
  resetWord(): Promise<string>;
  recoveryWord(): Promise<{ position: number; fakeWord: string }>;
  screen(): Promise<string[]>;
}
/** The page's test hook (`?test`): the virtual device's debug link. */
const testHook = (page: Page) => ({
  pinMatrix: () => page.evaluate(() => (window as unknown as { __trezorDirectTest: TestHook }).__trezorDirectTest.pinMatrix()),
  resetWord: () => page.evaluate(() => (window as unknown as { __trezorDirectTest: TestHook }).__trezorDirectTest.resetWord()),
  recoveryWord: () => page.evaluate(() => (window as unknown as { __trezorDirectTest: TestHook }).__trezorDirectTest.recoveryWord()),
  screen: () => page.evaluate(() => (window as unknown as { __trezorDirectTest: TestHook }).__trezorDirectTest.screen()),
});

/** What a step of the flow waits on: the device wants a press, a word or a PIN, or it is done. */
type Prompt = 'idle' | 'button' | 'word' | 'pin';

interface Answers {
  /** A confirmation screen is up (its description, e.g. 'confirm word'); the test then presses yes. */
  button?: (detail: string) => Promise<void>;
  /** The word dialog is open: answer it. */
  word?: () => Promise<void>;
  /** The PIN dialog is open: answer it. */
  pin?: () => Promise<void>;
}

/** Click `id`, then answer what the device asks until the page is idle again. Returns the prompts seen. */
async function drive(page: Page, id: string, answers: Answers = {}): Promise<Prompt[]> {
  await page.click(`#${id}`);
  const seen: Prompt[] = [];
  for (;;) {
    const prompt = (await (
      await page.waitForFunction(() => {
        if ((document.getElementById('word-dialog') as HTMLDialogElement).open) return 'word';
        if ((document.getElementById('pin-dialog') as HTMLDialogElement).open) return 'pin';
        if (!document.getElementById('confirm-banner')!.hidden) return 'button';
        if (document.body.dataset.busy === undefined) return 'idle';
        return false;
      }, undefined, { timeout: 30_000 })
    ).jsonValue()) as Prompt;
    if (prompt === 'idle') break;
    seen.push(prompt);
    if (prompt === 'button') {
      await answers.button?.((await page.textContent('#confirm-detail')) ?? '');
      await page.click('#virtual-press-yes');
    } else if (prompt === 'word') {
      if (!answers.word) throw new Error(`${id}: unexpected word request`);
      await answers.word();
    } else {
      if (!answers.pin) throw new Error(`${id}: unexpected PIN request`);
      await answers.pin();
    }
  }
  const error = await pageError(page);
  if (error) throw new Error(`${id} failed on the page: ${error}`);
  return seen;
}

/** What the device panel shows. */
async function facts(page: Page) {
  const text = async (id: string) => ((await page.textContent(`#${id}`)) ?? '').trim();
  return {
    initialized: await text('device-initialized'),
    backup: await text('device-backup'),
    label: await text('device-label'),
    pin: await text('device-pin'),
  };
}

async function ethAddress(page: Page): Promise<string> {
  await page.fill('#eth-path', "m/44'/60'/0'/0/0");
  await page.evaluate(() => (document.getElementById('eth-address')!.textContent = ''));
  await page.click('#eth-address-get');
  return waitForText(page, '#eth-address');
}

/** Click the grid key whose letter group (as the virtual device's screen lists it) holds `word`. */
async function pickOnGrid(page: Page, words: string[]): Promise<'matrix9' | 'matrix6'> {
  const screen = await testHook(page).screen();
  const index = Number(/^Word (\d+) of/.exec(screen[0] ?? '')?.[1]) - 1;
  const word = words[index]!;
  const keys = await page.$$eval('#word-grid [data-word-key]', (buttons) => buttons.map((b) => [(b as HTMLElement).dataset.wordKey!, b.textContent!]));
  for (const line of screen.slice(1)) {
    const m = /^(\d): ([a-z]+)(?:-([a-z]+))?$/.exec(line);
    if (!m || !(m[2]! <= word && word <= (m[3] ?? m[2]!))) continue;
    // The page labels each key of its grid with the group the virtual screen shows there.
    expect(keys).toContainEqual([m[1], line.slice(3)]);
    await page.click(`#word-grid [data-word-key="${m[1]}"]`);
    return keys.length === 9 ? 'matrix9' : 'matrix6';
  }
  throw new Error(`no key on the grid leads to word ${index + 1}`);
}

describe('example page: the "Set up a Trezor" panel on the virtual Trezor One (Chromium)', () => {
  let server: ExampleServer;
  let browser: Browser;
  let page: Page;
  /** The wallet the panel creates, read through the debug link while it is backed up. */
  let created: string[] = [];
  let createdAddress = '';
  const PIN = '3142';

  beforeAll(async () => {
    server = await startExampleServer({ port: 0, build: false });
    browser = await launch();
    page = browser.page;
    await openPage(page, `${server.url}?test`);
    await page.selectOption('#virtual-model', 'T1B1');
    await page.setChecked('#virtual-autoconfirm', false);
    await page.click('#connect-virtual');
    await page.waitForSelector('#setup-panel:not([hidden])');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('wipes the device after a confirmation on its screen', async () => {
    expect((await facts(page)).initialized).toBe('yes');
    const prompts = await drive(page, 'setup-wipe');
    expect(prompts).toEqual(['button']);
    expect(await facts(page)).toMatchObject({ initialized: 'no', backup: '—', label: '—' });
    expect(await page.textContent('#setup-status')).toContain('Wiped');
  });

  it('creates a 24-word wallet to back up later', async () => {
    await page.selectOption('#setup-words', '24');
    await page.fill('#setup-new-label', 'Panel wallet');
    await page.setChecked('#setup-backup-later', true);
    await page.setChecked('#setup-pin', false);
    await drive(page, 'setup-create');
    expect(await facts(page)).toEqual({ initialized: 'yes', backup: 'needed', label: 'Panel wallet', pin: 'no' });
    createdAddress = await ethAddress(page);
    expect(createdAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(createdAddress).not.toBe(vectors().eth_addresses[1].expected);
  });

  it('backs it up: each word on the device screen twice (write down, check)', async () => {
    const read: string[] = [];
    await drive(page, 'setup-backup', {
      button: async (detail) => {
        if (detail !== 'confirm word') return;
        const word = await testHook(page).resetWord();
        read.push(word);
        // The page draws the virtual device's screen, word included, in its banner.
        await page.waitForFunction((w) => document.getElementById('confirm-virtual-screen')!.textContent!.split('\n').includes(w), word);
      },
    });
    expect(read).toHaveLength(48);
    expect(read.slice(24)).toEqual(read.slice(0, 24));
    created = read.slice(0, 24);
    expect(validateMnemonic(created.join(' '), wordlist)).toBe(true);
    expect((await facts(page)).backup).toBe('done');
    expect(await page.textContent('#setup-status')).toContain('Backed up');
  });

  it('wipes it, and recovers it by typing the words the device asks for', async () => {
    await drive(page, 'setup-wipe');
    expect((await facts(page)).initialized).toBe('no');
    await page.selectOption('#setup-words', '24');
    await page.selectOption('#setup-input', 'words');
    await page.fill('#setup-new-label', 'Recovered');
    let asked = 0;
    await drive(page, 'setup-recover', {
      word: async () => {
        expect(await page.isVisible('#word-input')).toBe(true);
        expect(await page.isVisible('#word-grid')).toBe(false);
        // Which word the device wants is on its screen (and in the debug link), never on the wire.
        const { position, fakeWord } = await testHook(page).recoveryWord();
        await page.fill('#word-input', position === 0 ? fakeWord : created[position - 1]!);
        await page.click('#word-submit');
        asked++;
      },
    });
    expect(asked).toBe(24);
    expect(await facts(page)).toEqual({ initialized: 'yes', backup: 'done', label: 'Recovered', pin: 'no' });
    expect(await ethAddress(page)).toBe(createdAddress);
  });

  it('wipes it, and recovers the SLIP-14 seed on the 9-key and 6-key grids', async () => {
    await drive(page, 'setup-wipe');
    await page.selectOption('#setup-words', '12');
    await page.selectOption('#setup-input', 'matrix');
    await page.fill('#setup-new-label', 'SLIP-14');
    const kinds: string[] = [];
    await drive(page, 'setup-recover', {
      word: async () => {
        expect(await page.isVisible('#word-input')).toBe(false);
        kinds.push(await pickOnGrid(page, SLIP14_MNEMONIC.split(' ')));
        if (kinds.length === 4) await screenshot(page, 'setup-word-matrix', { fullPage: false });
      },
    });
    expect(kinds).toContain('matrix9');
    expect(kinds).toContain('matrix6');
    expect(await facts(page)).toEqual({ initialized: 'yes', backup: 'done', label: 'SLIP-14', pin: 'no' });
    // The firmware tests' address of the "all all …" seed.
    const vector = vectors().eth_addresses.find((x: { path: string }) => x.path === "m/44'/60'/0'/0/0");
    expect(await ethAddress(page)).toBe(vector.expected);
  });

  it('sets a PIN (new PIN twice on the matrix); the device then unlocks with it', async () => {
    const types: string[] = [];
    await drive(page, 'setup-change-pin', {
      pin: async () => {
        types.push((await page.textContent('#pin-title'))!);
        const matrix = await testHook(page).pinMatrix();
        for (const digit of PIN) await page.click(`#pin-dialog [data-pin-position="${matrix.indexOf(digit) + 1}"]`);
        await page.click('#pin-submit');
      },
    });
    expect(types).toEqual(['Choose a new PIN', 'Enter the new PIN again']);
    expect((await facts(page)).pin).toBe('yes');
    // Lock, a wrong PIN refused, the right one unlocks and the SLIP-14 address comes back.
    await answerPinMatrix(page, PIN, () => testHook(page).pinMatrix(), async () => undefined);
  });

  it('changes the label', async () => {
    await page.fill('#setup-label', 'Cold storage');
    expect(await drive(page, 'setup-apply-label')).toEqual(['button']);
    expect(await facts(page)).toMatchObject({ label: 'Cold storage', pin: 'yes', initialized: 'yes' });
    expect(await page.textContent('#setup-status')).toContain('Label changed');
  });

  it('removes the PIN with the current one', async () => {
    await drive(page, 'setup-remove-pin', {
      pin: async () => {
        expect(await page.textContent('#pin-title')).toBe('Enter your PIN');
        const matrix = await testHook(page).pinMatrix();
        for (const digit of PIN) await page.click(`#pin-dialog [data-pin-position="${matrix.indexOf(digit) + 1}"]`);
        await page.click('#pin-submit');
      },
    });
    expect((await facts(page)).pin).toBe('no');
  });

  it('on a virtual Model T the words are typed on the device: the page types them there; no word reaches the console', async () => {
    await page.click('#virtual-options summary');
    await page.selectOption('#virtual-model', 'T2T1');
    await page.setChecked('#virtual-autoconfirm', true);
    await page.click('#connect-virtual');
    await page.waitForFunction(() => document.getElementById('device-model')!.textContent!.includes('T2T1'));
    await waitIdle(page);
    await page.click('#setup-wipe');
    await waitIdle(page);
    expect((await facts(page)).initialized).toBe('no');
    await page.fill('#setup-new-label', 'Typed');
    await page.click('#setup-recover');
    const typeWhen = async (detail: string, ...texts: string[]) => {
      await page.waitForFunction((d) => document.getElementById('confirm-detail')!.textContent === d, detail);
      expect(await page.isVisible('#virtual-type')).toBe(true);
      for (const text of texts) {
        await page.fill('#virtual-type-text', text);
        await page.press('#virtual-type-text', 'Enter');
      }
    };
    await typeWhen('mnemonic word count', '12');
    await typeWhen('mnemonic input', ...SLIP14_MNEMONIC.split(' '));
    await waitIdle(page);
    expect(await pageError(page)).toBeUndefined();
    expect(await page.isVisible('#word-dialog')).toBe(false); // nothing asked of the host
    expect(await facts(page)).toEqual({ initialized: 'yes', backup: 'done', label: 'Typed', pin: 'no' });
    const vector = vectors().eth_addresses.find((x: { path: string }) => x.path === "m/44'/60'/0'/0/0");
    expect(await ethAddress(page)).toBe(vector.expected);
    checkConsoleClean(browser.console, [created.join(' '), SLIP14_MNEMONIC]);
  });
});
