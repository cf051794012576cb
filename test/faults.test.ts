// Faults during a call, on the VirtualTrezor behind a fault-injecting transport
// (test/support/fault-transport.ts): unplug during the PIN, a button and a 200-input signing,
// a second holder of the device, cancelling (AbortSignal) during PIN, passphrase, button and
// signing, three wrong PINs, and a call issued while another runs. Each ends in its documented
// TrezorError code (README "Reliability"), afterwards the same Trezor or a fresh connect()
// makes a successful call, and nothing the caller passed was changed.
//
// Expected addresses are the firmware's own test vectors (test/fixtures/vectors/slip14.json):
// m/44'/0'/0'/0/0 -> 1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL (tests/device_tests/bitcoin/test_getaddress.py::test_btc).
import { afterEach, describe, expect, it } from 'vitest';
import { getAddress, signPsbt } from '../src/bitcoin/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import type { UiHandlers } from '../src/session/ui.js';
import { ManualClock } from '../src/testing/virtual/clock.js';
import { VirtualTrezor, type VirtualTrezorOptions } from '../src/testing/virtual/device.js';
import { walletPsbt as psbtWith } from './support/bitcoin-wallet.js';
import { faultTransport } from './support/fault-transport.js';
import { SLIP14_MNEMONIC } from './support/fixtures.js';
import { codeOf } from './support/outcome.js';

const PATH = "m/44'/0'/0'/0/0";
const ADDRESS = '1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL';

const devices: VirtualTrezor[] = [];
const trezors: Trezor[] = [];
afterEach(async () => {
  for (const t of trezors.splice(0)) await t.close().catch(() => undefined);
  for (const d of devices.splice(0)) await d.close();
});

/**
 * Freeze the plain objects and arrays of a value all the way down. Typed arrays cannot be
 * frozen (compare those), and platform objects (an AbortSignal) must keep their own state.
 */
function deepFreeze<T>(value: T): T {
  const proto = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === Array.prototype) {
    for (const v of Object.values(value as object)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}


function rig(options: VirtualTrezorOptions = {}) {
  const virtual = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, ...options });
  devices.push(virtual);
  const debug = virtual.debugLink();
  const faults = faultTransport(virtual.transport());
  const open = async (ui: UiHandlers = {}) => {
    const trezor = await connect({ transport: faults.transport, ui, sessionId: null });
    trezors.push(trezor);
    return trezor;
  };
  return { virtual, debug, faults, open };
}

let big: Uint8Array | undefined;
const psbt200 = () => (big ??= psbtWith(200)).slice();

/** A dialog that stays open until the call closes it (its signal), as a real PIN pad does. */
function openDialog<T>(onOpen: () => void): (request: { signal: AbortSignal }) => Promise<T> {
  return ({ signal }) =>
    new Promise<T>((_, reject) => {
      signal.addEventListener('abort', () => reject(new Error('dialog closed')), { once: true });
      onOpen();
    });
}

describe('unplug during a call -> DeviceDisconnected, then a fresh connect works', () => {
  it('during PIN entry (the PIN dialog is closed by the call, not left open)', async () => {
    const { faults, debug, open } = rig({ pin: '1234' });
    let dialogClosed = false;
    const trezor = await open({
      pin: ({ signal }) => {
        signal.addEventListener('abort', () => (dialogClosed = true));
        return openDialog<string>(() => faults.unplug())({ signal });
      },
    });
    await trezor.lock(); // a loaded seed starts unlocked
    const params = deepFreeze({ path: PATH });
    expect(await codeOf(getAddress(trezor, params))).toBe('DeviceDisconnected');
    expect(dialogClosed).toBe(true);
    expect(await codeOf(trezor.ping())).toBe('DeviceDisconnected');
    const again = await open({ pin: async () => debug.encodePin('1234') });
    expect(await getAddress(again, params)).toBe(ADDRESS);
  });

  it('during a ButtonRequest', async () => {
    const { faults, open } = rig();
    const trezor = await open({ button: () => faults.unplug() });
    expect(await codeOf(getAddress(trezor, { path: PATH, show: true }))).toBe('DeviceDisconnected');
    const again = await open();
    expect(await getAddress(again, { path: PATH })).toBe(ADDRESS);
  });

  it('in the middle of a 200-input signing', async () => {
    const { virtual, faults, open } = rig({ autoConfirm: true });
    const psbt = psbt200();
    const before = psbt.slice();
    let acks = 0;
    faults.onHostMessage((m) => {
      if (m.type.startsWith('TxAck') && ++acks === 300) faults.unplug();
    });
    const trezor = await open();
    expect(await codeOf(signPsbt(trezor, psbt, deepFreeze({ coin: 'Regtest' })))).toBe('DeviceDisconnected');
    expect(acks).toBe(300);
    expect(psbt).toEqual(before);
    faults.onHostMessage(undefined);
    // Replugged: the device drops the half-done signing on Initialize and signs again.
    const again = await open();
    const small = psbtWith(2);
    const { txid } = await signPsbt(again, small, { coin: 'Regtest' });
    expect(txid).toMatch(/^[0-9a-f]{64}$/);
    expect(virtual.device.idle).toBe(true);
  }, 60_000);
});

describe('a second holder of the device', () => {
  it('a second connect while the first holds the device is DeviceBusy; the first keeps working; after it closes the second gets in', async () => {
    const { open } = rig();
    const first = await open();
    expect(await codeOf(open())).toBe('DeviceBusy');
    expect(await getAddress(first, { path: PATH })).toBe(ADDRESS);
    await first.close();
    const second = await open();
    expect(await getAddress(second, { path: PATH })).toBe(ADDRESS);
  });
});

describe('cancel (AbortSignal) during a call -> ActionCancelled, and the same Trezor works on', () => {
  it('during PIN entry', async () => {
    const { debug, open } = rig({ pin: '1234' });
    const abort = new AbortController();
    let ask = openDialog<string>(() => abort.abort());
    const trezor = await open({ pin: (r) => ask(r) });
    await trezor.lock();
    const params = deepFreeze({ path: PATH, signal: abort.signal });
    expect(await codeOf(getAddress(trezor, params))).toBe('ActionCancelled');
    ask = async () => debug.encodePin('1234');
    expect(await getAddress(trezor, { path: PATH })).toBe(ADDRESS);
  });

  it('during passphrase entry', async () => {
    const { open } = rig({ passphraseProtection: true });
    const abort = new AbortController();
    let ask = openDialog<{ passphrase: string }>(() => abort.abort());
    const trezor = await open({ passphrase: (r) => ask(r) });
    expect(await codeOf(getAddress(trezor, { path: PATH, signal: abort.signal }))).toBe('ActionCancelled');
    ask = async () => ({ passphrase: '' });
    expect(await getAddress(trezor, { path: PATH })).toBe(ADDRESS);
  });

  it('during a button confirmation', async () => {
    const { open, debug } = rig();
    const abort = new AbortController();
    let onButton = () => abort.abort();
    const trezor = await open({ button: () => onButton() });
    expect(await codeOf(getAddress(trezor, { path: PATH, show: true, signal: abort.signal }))).toBe('ActionCancelled');
    onButton = () => void debug.press('yes');
    expect(await getAddress(trezor, { path: PATH, show: true })).toBe(ADDRESS);
  });

  it('in the middle of a 200-input signing', async () => {
    const { faults, open } = rig({ autoConfirm: true });
    const abort = new AbortController();
    let acks = 0;
    faults.onHostMessage((m) => {
      if (m.type.startsWith('TxAck') && ++acks === 250) abort.abort();
    });
    const trezor = await open();
    const psbt = psbt200();
    const before = psbt.slice();
    expect(await codeOf(signPsbt(trezor, psbt, { coin: 'Regtest', signal: abort.signal } as never))).toBe('ActionCancelled');
    expect(psbt).toEqual(before);
    faults.onHostMessage(undefined);
    const { txid } = await signPsbt(trezor, psbtWith(2), { coin: 'Regtest' });
    expect(txid).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);
});

describe('wrong PIN', () => {
  it('three wrong PINs are PinInvalid each; the right one then works on the same Trezor', async () => {
    const clock = new ManualClock();
    const { debug, open } = rig({ pin: '1234', clock });
    let pin = '9999';
    const trezor = await open({
      pin: async () => {
        const positions = await debug.encodePin(pin);
        // The One waits 2^fails - 1 s before checking a PIN: let that time pass on its clock.
        setTimeout(() => clock.advance(10_000), 20);
        return positions;
      },
    });
    await trezor.lock();
    for (let i = 0; i < 3; i++) expect(await codeOf(getAddress(trezor, { path: PATH }))).toBe('PinInvalid');
    pin = '1234';
    expect(await getAddress(trezor, { path: PATH })).toBe(ADDRESS);
  });
});

describe('a call issued while another runs', () => {
  it('waits for the first (one call in flight per device) and both succeed, in order', async () => {
    const { open, debug } = rig();
    const order: string[] = [];
    // Pressed right in the handler: the ButtonAck is out by then, the device waits for it.
    const trezor = await open({ button: () => void debug.press('yes') });
    const first = trezor.ping('first', { buttonProtection: true }).then((m) => (order.push('first'), m));
    const second = getAddress(trezor, { path: PATH }).then((a) => (order.push('second'), a));
    expect(await Promise.all([first, second])).toEqual(['first', ADDRESS]);
    expect(order).toEqual(['first', 'second']);
  });
});
