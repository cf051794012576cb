/**
 * "Set up a Trezor": the example page's panel for taking a Trezor out of the box, with
 * trezor-direct/management — wipe, create a wallet, back it up, recover it, PIN and label.
 *
 * The words of a new wallet appear only on the device's screen. Recovery on a Trezor One asks
 * the page for each word (`ui.word`, {@link askWord}): typed in a field — the device says on
 * its screen which word it wants, fake words included — or, the recommended way, as the
 * position of a letter group on the device's scrambled 3×3 / 2×3 grid, so no word crosses the
 * cable. The other models take everything on their own screen.
 *
 * Nothing here keeps or logs a word or a PIN: the field is cleared as soon as it is sent.
 */
import { modelFamily, TrezorError, type Trezor, type WordRequest } from '../../src/index.js';
import { backupDevice, changePin, applySettings, recoverDevice, resetDevice, wipeDevice } from '../../src/management/index.js';
import type { VirtualTrezor } from '../../src/testing/index.js';

/** What the panel needs from the page (main.ts). */
export interface SetupContext {
  /** The connected Trezor, or a DeviceDisconnected error. */
  trezor(): Trezor;
  /** The virtual device in the page, if that is what is connected: its screen is drawn here. */
  virtual(): VirtualTrezor | undefined;
  /** Run a device call when the button is clicked (busy state, errors, Cancel). */
  onClick(id: string, action: (signal: AbortSignal) => Promise<void>): void;
  /** Show the Features again after a call changed them. */
  refresh(): void;
}

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}
const field = (id: string) => $<HTMLInputElement>(id);
const status = (text: string) => void ($('setup-status').textContent = text);

/** The virtual device's screen as text lines (a real Trezor shows this on its display). */
export async function virtualScreen(device: VirtualTrezor | undefined): Promise<string[] | undefined> {
  if (!device) return undefined;
  const state = await device.debugLink().getState();
  const text = state.layout ? new TextDecoder().decode(state.layout).replace(/\0+$/, '') : (state.tokens ?? []).join('\n');
  return text ? text.split('\n') : undefined;
}

/** Keypad order of the grids (ui.ts): 7 8 9 / 4 5 6 / 1 2 3 and 5 6 / 3 4 / 1 2. */
const GRID_KEYS = { matrix9: [7, 8, 9, 4, 5, 6, 1, 2, 3], matrix6: [5, 6, 3, 4, 1, 2] } as const;

const WORD_HELP: Record<WordRequest['type'], string> = {
  plain: 'Type the word your Trezor asks for. It also asks for words that are not in your backup: type what it shows.',
  matrix9: 'Your Trezor shows letter groups on a 3×3 grid. Click the position of the group your word is in.',
  matrix6: 'Your Trezor shows words on a 2×3 grid. Click the position of your word.',
};

/**
 * `ui.word` for connect(): one recovery word (plain) or one grid position (matrix9 / matrix6).
 * On the virtual device its screen is drawn in the dialog; the grid of a real one stays blank.
 */
export function askWord(virtual: () => VirtualTrezor | undefined) {
  return async ({ type, signal }: WordRequest): Promise<string> => {
    const dialog = $<HTMLDialogElement>('word-dialog');
    const input = field('word-input');
    const grid = $('word-grid');
    $('word-help').textContent = WORD_HELP[type];
    input.value = '';
    input.hidden = type !== 'plain';
    $('word-submit').hidden = type !== 'plain';

    // The virtual Trezor One lists its screen as text: a title, then "k: group" for each key.
    const screen = (await virtualScreen(virtual())) ?? [];
    const groups = new Map<string, string>();
    for (const line of screen) {
      const match = /^(\d): (.+)$/.exec(line);
      if (match) groups.set(match[1]!, match[2]!);
    }
    const screenBox = $('word-virtual-screen');
    screenBox.textContent = screen.filter((line) => !/^\d: /.test(line)).join('\n');
    screenBox.hidden = screen.length === 0;

    grid.hidden = type === 'plain';
    grid.classList.toggle('six', type === 'matrix6');
    grid.replaceChildren(
      ...(type === 'plain' ? [] : GRID_KEYS[type]).map((key) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset.wordKey = String(key);
        button.textContent = groups.get(String(key)) ?? '';
        return button;
      }),
    );

    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const finish = (answer: string | undefined) => {
        if (settled) return;
        settled = true;
        grid.removeEventListener('click', onGrid);
        $('word-form').removeEventListener('submit', onSubmit);
        $('word-cancel').removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        signal.removeEventListener('abort', onAbort);
        input.value = '';
        dialog.close();
        if (answer === undefined) reject(new TrezorError('ActionCancelled', 'Recovery cancelled'));
        else resolve(answer);
      };
      const onGrid = (event: Event) => {
        const key = (event.target as HTMLElement).closest<HTMLElement>('[data-word-key]')?.dataset.wordKey;
        if (key) finish(key);
      };
      const onSubmit = (event: Event) => {
        event.preventDefault();
        const word = input.value.trim().toLowerCase();
        if (type === 'plain' && word) finish(word);
      };
      const onCancel = (event?: Event) => {
        event?.preventDefault();
        finish(undefined);
      };
      const onAbort = () => finish(undefined);
      grid.addEventListener('click', onGrid);
      $('word-form').addEventListener('submit', onSubmit);
      $('word-cancel').addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) return onAbort();
      dialog.showModal();
      (type === 'plain' ? input : grid.querySelector<HTMLButtonElement>('button'))?.focus();
    });
  };
}

/** Wire the panel's buttons. */
export function installSetupPanel(ctx: SetupContext): void {
  const words = () => Number($<HTMLSelectElement>('setup-words').value) as 12 | 18 | 24;
  const checked = (id: string) => field(id).checked;
  const label = () => field('setup-new-label').value.trim() || undefined;

  ctx.onClick('setup-wipe', async (signal) => {
    await wipeDevice(ctx.trezor(), { signal });
    ctx.refresh();
    status('Wiped: the device has no wallet now.');
  });

  ctx.onClick('setup-create', async (signal) => {
    const later = checked('setup-backup-later');
    await resetDevice(ctx.trezor(), { strength: (words() / 3) * 32 as 128 | 192 | 256, label: label(), pin: checked('setup-pin'), backup: later ? 'later' : 'now', signal });
    ctx.refresh();
    status(later ? `New ${words()}-word wallet. It has no backup yet: click "Back up".` : `New ${words()}-word wallet, backed up.`);
  });

  ctx.onClick('setup-backup', async (signal) => {
    await backupDevice(ctx.trezor(), { signal });
    ctx.refresh();
    status('Backed up: keep the words somewhere safe, offline.');
  });

  ctx.onClick('setup-recover', async (signal) => {
    const trezor = ctx.trezor();
    const one = modelFamily(trezor.features) === 1;
    const inputMethod = $<HTMLSelectElement>('setup-input').value as 'matrix' | 'words';
    await recoverDevice(trezor, { wordCount: words(), label: label(), pin: checked('setup-pin'), ...(one ? { inputMethod } : {}), signal });
    ctx.refresh();
    status('Recovered: the wallet of these words is on the device.');
  });

  ctx.onClick('setup-change-pin', async (signal) => {
    await changePin(ctx.trezor(), { signal });
    ctx.refresh();
    status('PIN set.');
  });

  ctx.onClick('setup-remove-pin', async (signal) => {
    await changePin(ctx.trezor(), { remove: true, signal });
    ctx.refresh();
    status('PIN removed.');
  });

  ctx.onClick('setup-apply-label', async (signal) => {
    await applySettings(ctx.trezor(), { label: field('setup-label').value.trim(), signal });
    ctx.refresh();
    status('Label changed.');
  });
}
