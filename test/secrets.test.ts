// Secrets never leave the flows they belong to: every flow that handles one (PIN entry, a wrong
// PIN, passphrase, recovery words, reset and backup, changePin, the identity login, and their
// failures) runs with recognisable secrets on a virtual Trezor One (the model whose PIN,
// passphrase and recovery words pass through the host), and every thrown error (message, stack, cause chain, JSON,
// util.inspect), every emitted event, the toString / JSON / inspect of the objects the caller
// holds, and everything written to the console is searched for them.
import { inspect, format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getAddress } from '../src/bitcoin/index.js';
import { login } from '../src/identity/index.js';
import { changePin, recoverDevice, resetDevice } from '../src/management/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import type { UiHandlers } from '../src/session/ui.js';
import { DebugLink } from '../src/testing/debuglink.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';

// BIP-39 test vector mnemonic (trezor/python-mnemonic vectors.json, entropy 7f7f…7f).
const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const PIN = '24681357';
const NEW_PIN = '97531864';
const WRONG_PIN = '86428642';
const PASSPHRASE = 'Xyzzy-Plugh-Passphrase-42';

/** Every string a secret could hide in, gathered over the whole file. */
const haystack: string[] = [];
/** The secrets, plus whatever else turned up (matrix positions, backup words). */
const secrets = new Set<string>([PIN, NEW_PIN, WRONG_PIN, PASSPHRASE, MNEMONIC]);
const addMnemonic = (mnemonic: string) => {
  const words = mnemonic.split(' ');
  secrets.add(mnemonic);
  // Any three words in a row (single words are ordinary English and would match by chance).
  for (let i = 0; i + 3 <= words.length; i++) secrets.add(words.slice(i, i + 3).join(' '));
};
addMnemonic(MNEMONIC);

function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v instanceof Uint8Array) return Array.from(v);
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[cycle]';
        seen.add(v);
      }
      return v;
    }) ?? '';
  } catch (e) {
    return `unserialisable: ${String(e)}`;
  }
}

/** Everything an error shows, down its cause chain. */
function absorbError(error: unknown, depth = 0): void {
  if (depth > 8 || error === undefined || error === null) return;
  haystack.push(String(error), safeJson(error), inspect(error, { depth: 6 }));
  if (error instanceof Error) {
    haystack.push(error.message, error.stack ?? '');
    absorbError(error.cause, depth + 1);
  }
}

/** Run a call that must fail, keeping its error. */
async function failing(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    absorbError(e);
    return (e as { code?: string }).code ?? 'not a TrezorError';
  }
  return 'resolved';
}

/** Objects the caller holds: their string, JSON and inspect forms. */
function absorbObject(value: unknown): void {
  haystack.push(String(value), safeJson(value), inspect(value, { depth: 8, showHidden: true }));
}

let virtual: VirtualTrezor;
let debug: DebugLink;
let trezor: Trezor;
/** What the user types for each kind of PIN request. */
const pins = { current: PIN, newFirst: NEW_PIN, newSecond: NEW_PIN };
let passphrase: () => string = () => PASSPHRASE;
const words = { list: MNEMONIC.split(' ') };

const ui: UiHandlers = {
  pin: async ({ type }) => {
    const pin = type === 'newFirst' ? pins.newFirst : type === 'newSecond' ? pins.newSecond : pins.current;
    const positions = await debug.encodePin(pin);
    if (positions.length >= 6) secrets.add(positions);
    return positions;
  },
  passphrase: async () => ({ passphrase: passphrase() }),
  word: async ({ type }) => {
    if (type === 'plain') {
      const { position, fakeWord } = await debug.readRecoveryWord();
      return position === 0 ? fakeWord : words.list[position - 1]!;
    }
    // The matrix (as test/device/management.test.ts answers it): the virtual One lists its grid
    // as text, "Word n of N" then "k: first-last" per key.
    const state = await debug.getState();
    const screen = new TextDecoder().decode(state.layout ?? new Uint8Array()).replace(/\0+$/, '').split('\n');
    const word = words.list[Number(/^Word (\d+) of/.exec(screen[0] ?? '')?.[1]) - 1] ?? '';
    for (const line of screen.slice(1)) {
      const m = /^(\d): ([a-z]+)(?:-([a-z]+))?$/.exec(line);
      if (m && m[2]! <= word && word <= (m[3] ?? m[2]!)) return m[1]!;
    }
    return word; // no key leads there: answer something of the wrong shape
  },
  button: () => void debug.press('yes'),
};

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void haystack.push(format(...args)));
  }
  virtual = new VirtualTrezor({ model: 'T1B1' });
  debug = virtual.debugLink();
  trezor = await connect({ transport: virtual.transport(), ui });
  trezor.on('button', (e) => void haystack.push(safeJson(e)));
  trezor.on('disconnect', (e) => void haystack.push(safeJson(e)));
});

afterAll(async () => {
  await trezor.close();
  await virtual.close();
  vi.restoreAllMocks();
});

describe('secrets never reach errors, events, objects or the console', () => {
  it('recovery words: a dry run with the right words, and a word answer of the wrong shape', async () => {
    // The seed, PIN and passphrase setting go in as trezorlib's load_device puts them.
    await debug.loadDevice({ mnemonic: MNEMONIC, pin: PIN, passphraseProtection: true, trezor });
    await trezor.initialize(null);
    expect(await recoverDevice(trezor, { wordCount: 12, dryRun: true })).toEqual({ valid: true });
    // A word no key leads to is answered as the word itself: refused without being repeated.
    words.list = MNEMONIC.split(' ').map((w) => `${w}9`);
    expect(await failing(recoverDevice(trezor, { wordCount: 12, dryRun: true }))).toBe('InvalidParameters');
    words.list = MNEMONIC.split(' ');
  });

  it('PIN: the right one, then a wrong one (PinInvalid)', async () => {
    await trezor.lock();
    absorbObject(await getAddress(trezor, { path: "m/84'/0'/0'/0/0" }));
    await trezor.lock();
    pins.current = WRONG_PIN;
    expect(await failing(getAddress(trezor, { path: "m/84'/0'/0'/0/0" }))).toBe('PinInvalid');
    pins.current = PIN;
  });

  it('identity login: a new session (PIN and passphrase asked for), then a wrong PIN (PinInvalid)', async () => {
    const params = { identity: 'https://secrets.example.com/login', challengeHidden: 'c0ffee'.repeat(10), challengeVisual: '2026-12-02 04:00' };
    const asked = { pin: 0, passphrase: 0 };
    const pin = ui.pin!;
    ui.pin = (request) => {
      asked.pin++;
      return pin(request);
    };
    passphrase = () => {
      asked.passphrase++;
      return PASSPHRASE;
    };
    try {
      await trezor.lock();
      await trezor.initialize(null); // a new session asks for the passphrase again
      absorbObject(await login(trezor, params));
      expect(asked).toEqual({ pin: 1, passphrase: 1 });
      await trezor.lock();
      pins.current = WRONG_PIN;
      expect(await failing(login(trezor, params))).toBe('PinInvalid');
      expect(asked.pin).toBe(2);
    } finally {
      pins.current = PIN;
      ui.pin = pin;
      passphrase = () => PASSPHRASE;
    }
  });

  it('passphrase: one too long for the device is refused without echoing it', async () => {
    passphrase = () => PASSPHRASE.repeat(3);
    await trezor.initialize(null); // a new session asks for the passphrase again
    expect(await failing(getAddress(trezor, { path: "m/84'/0'/0'/0/1" }))).toBe('InvalidParameters');
    passphrase = () => PASSPHRASE;
  });

  it('changePin: a change, then a second entry that does not match', async () => {
    absorbObject(await changePin(trezor));
    pins.current = NEW_PIN;
    pins.newFirst = PIN;
    pins.newSecond = WRONG_PIN;
    const code = await failing(changePin(trezor));
    expect(code).toBe('FirmwareError'); // Failure_PinMismatch
    pins.newSecond = PIN;
  });

  it('reset and backup: the new wallet\'s words, read off the device, appear nowhere', async () => {
    await debug.wipe({ trezor });
    await trezor.initialize(null);
    const seen: string[] = [];
    const press = ui.button;
    ui.button = (info) => {
      if (info.code === 'ButtonRequest_ConfirmWord') void debug.readResetWord().then((w) => seen.push(w), () => undefined);
      void debug.press('yes');
    };
    try {
      absorbObject(await resetDevice(trezor, { strength: 128, label: 'secret-test', backup: 'now' }));
    } finally {
      ui.button = press;
    }
    expect(seen.length).toBe(24); // 12 words, written down and then checked
    addMnemonic(seen.slice(0, 12).join(' '));
  });

  it('the objects the caller holds and the whole haystack are free of every secret', () => {
    absorbObject(trezor);
    absorbObject(trezor.features);
    expect(haystack.length).toBeGreaterThan(20);
    const text = haystack.join('\n');
    // The scan sees what it should: the errors' codes and the events are in it.
    for (const seen of ['PinInvalid', 'InvalidParameters', 'PinMismatch', 'ButtonRequest_ConfirmWord']) expect(text).toContain(seen);
    const found = [...secrets].filter((s) => text.includes(s));
    expect(found).toEqual([]);
  });
});
