/**
 * npm run test:faults — what an app sees when the device goes away in the middle of a call, and
 * when two programs use one device. Against an official emulator that this file starts, kills
 * (SIGKILL, like an unplug) and starts again (see ./emulator.ts for the environment):
 *
 *  - killed during a signing (half-way through the SignTx / TxAck exchange) and during a PIN
 *    prompt: the call ends within FAULT_BOUND_MS with DeviceDisconnected (or Timeout), nothing
 *    hangs, and after a restart the same app (same transport object) connects and signs;
 *  - two clients on one emulator: the second gets DeviceBusy while the first holds it, the
 *    first's exchange is untouched, and once the first closes the second connects.
 *
 * Every fault and its observed code are printed at the end (and appended to FAULTS_REPORT when set).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createPsbt, getAddress, getPublicKey, signPsbt } from '../../src/bitcoin/index.js';
import { isTrezorError } from '../../src/errors.js';
import { udp } from '../../src/node.js';
import { connect } from '../../src/session/connect.js';
import type { Trezor } from '../../src/session/trezor.js';
import type { UiHandlers } from '../../src/session/ui.js';
import type { Transport, TransportConnection } from '../../src/transport/types.js';
import { encodePin, type DebugLink } from '../../src/testing/debuglink.js';
import { MNEMONIC, fundingTx } from '../support/bitcoin-wallet.js';
import { debugLink, emulatorAddress, killEmulator, startEmulator, stopEmulator } from './emulator.js';

/** How long a call may take to fail once the emulator is gone. */
const FAULT_BOUND_MS = 15_000;
const PIN = '1234';
const address = emulatorAddress();
const results: { fault: string; code: string; ms: number }[] = [];

afterAll(() => {
  stopEmulator();
  const lines = results.map((r) => `${r.fault.padEnd(58)} ${r.code.padEnd(20)} ${r.ms} ms`);
  const header = `faults on ${process.env.TREZOR_EMULATOR} (${firmware})`;
  console.log([header, ...lines].join('\n'));
  if (process.env.FAULTS_REPORT) appendFileSync(process.env.FAULTS_REPORT, `${[header, ...lines].join('\n')}\n\n`);
});

let firmware = '?';

/** A transport that counts the reports the device sends and lets a test act on the count. */
function counting(inner: Transport): Transport & { reports: number; onReport?: (n: number) => void } {
  const t = {
    ...inner,
    name: inner.name,
    reports: 0,
    onReport: undefined as ((n: number) => void) | undefined,
    async open(descriptor: Parameters<Transport['open']>[0], signal?: AbortSignal): Promise<TransportConnection> {
      const connection = await inner.open(descriptor, signal);
      return {
        ...connection,
        read: async (s) => {
          const report = await connection.read(s);
          t.reports++;
          t.onReport?.(t.reports);
          return report;
        },
        write: (r, s) => connection.write(r, s),
        close: (s) => connection.close(s),
        onDisconnect: (l) => connection.onDisconnect(l),
      };
    },
  };
  return t;
}

/** UI as a tester's hands: buttons pressed on the debug link, the PIN typed or entered as positions. */
function pressingUi(debug: () => DebugLink, pin = PIN, hooks: Partial<UiHandlers> = {}): UiHandlers {
  return {
    button: (info) => {
      hooks.button?.(info);
      if (info.code === 'ButtonRequest_PinEntry') return void debug().input(pin).catch(() => undefined);
      void debug().press('yes').catch(() => undefined);
    },
    pin: hooks.pin ?? (async () => encodePin(pin, await debug().readPinMatrix())),
    passphrase: async () => ({ passphrase: '' }),
  };
}

async function freshDevice(pin?: string): Promise<DebugLink> {
  stopEmulator(); // the one still running from the test before, if any
  startEmulator();
  const debug = await debugLink(address);
  await debug.loadDevice({ mnemonic: MNEMONIC, pin, passphraseProtection: false, label: 'faults' });
  return debug;
}

/** A Regtest PSBT spending `inputs` SLIP-14 UTXOs to another account (change back). */
async function regtestPsbt(trezor: Trezor, inputs: number): Promise<Uint8Array> {
  const account = await getPublicKey(trezor, { path: "m/84'/1'/0'", coin: 'Regtest' });
  const utxos = Array.from({ length: inputs }, (_, i) => {
    const path = `m/84'/1'/0'/0/${i}`;
    const { raw, txid } = fundingTx(path, 'p2wpkh', 20_000n + BigInt(i), 0, 900 + i);
    return { txid, vout: 0, amount: 20_000n + BigInt(i), path, prevTx: raw };
  });
  return createPsbt({
    coin: 'Regtest',
    account: { xpub: account.xpub, path: account.path, rootFingerprint: account.rootFingerprint! },
    utxos,
    outputs: [{ address: await getAddress(trezor, { path: "m/84'/1'/3'/0/0", coin: 'Regtest' }), amount: 15_000n * BigInt(inputs) }],
    feeRate: 2,
    change: { path: "m/84'/1'/0'/1/0" },
    strategy: 'all',
  });
}

/** Run `call`, kill the emulator when `trigger` fires, and record how the call ended. */
async function outcome(fault: string, call: Promise<unknown>, killed: Promise<number>): Promise<{ code: string; ms: number }> {
  const ended = await Promise.race([
    call.then(
      () => ({ code: 'resolved' }),
      (error: unknown) => ({ code: isTrezorError(error) ? error.code : `non-TrezorError: ${String(error)}` }),
    ),
    new Promise<{ code: string }>((resolve) => setTimeout(() => resolve({ code: 'HUNG' }), 120_000)),
  ]);
  const at = await killed;
  const ms = Date.now() - at;
  results.push({ fault, code: ended.code, ms });
  return { code: ended.code, ms };
}

const INPUTS = 4;
let fullSigningReports = 0;

describe(`faults on the emulator at ${process.env.TREZOR_EMULATOR}`, () => {
  // One app for the whole file: its transport object survives every restart.
  const transport = counting(udp({ host: address.host, port: address.port, pingTimeout: 10_000 }));
  let debug: DebugLink;

  it('baseline: a fresh emulator signs a 4-input PSBT (and the report count of a whole signing is measured)', async () => {
    debug = await freshDevice();
    const trezor = await connect({ transport, ui: pressingUi(() => debug) });
    firmware = `${trezor.features.internal_model ?? trezor.features.model} ${trezor.features.major_version}.${trezor.features.minor_version}.${trezor.features.patch_version}`;
    const psbt = await regtestPsbt(trezor, INPUTS);
    const before = transport.reports;
    const signed = await signPsbt(trezor, psbt, { coin: 'Regtest' });
    fullSigningReports = transport.reports - before;
    expect(signed.txid).toMatch(/^[0-9a-f]{64}$/);
    await trezor.close();
  });

  it('killed half-way through a signing: DeviceDisconnected or Timeout within the bound, nothing hangs', async () => {
    const trezor = await connect({ transport, ui: pressingUi(() => debug) });
    const psbt = await regtestPsbt(trezor, INPUTS);
    const start = transport.reports;
    let killAt!: (t: number) => void;
    const killed = new Promise<number>((r) => (killAt = r));
    transport.onReport = (n) => {
      if (n - start === Math.floor(fullSigningReports / 2)) {
        transport.onReport = undefined;
        killEmulator();
        killAt(Date.now());
      }
    };
    const { code, ms } = await outcome('killed half-way through signPsbt (4 inputs)', signPsbt(trezor, psbt, { coin: 'Regtest' }), killed);
    expect(['DeviceDisconnected', 'Timeout']).toContain(code);
    expect(ms).toBeLessThan(FAULT_BOUND_MS);
    // Later calls on the dead connection fail at once, with the same codes.
    const next = await outcome('a call on the same Trezor after the kill', trezor.getFeatures(), Promise.resolve(Date.now()));
    expect(['DeviceDisconnected', 'Timeout']).toContain(next.code);
    expect(next.ms).toBeLessThan(FAULT_BOUND_MS);
    await trezor.close();
    await debug.close().catch(() => undefined);
  });

  it('after a restart the same app (same transport) connects and signs', async () => {
    debug = await freshDevice();
    const trezor = await connect({ transport, ui: pressingUi(() => debug) });
    const signed = await signPsbt(trezor, await regtestPsbt(trezor, INPUTS), { coin: 'Regtest' });
    expect(signed.txid).toMatch(/^[0-9a-f]{64}$/);
    await trezor.close();
    await debug.close();
  });

  it('killed during a PIN prompt: DeviceDisconnected or Timeout within the bound', async () => {
    debug = await freshDevice(PIN);
    let killAt!: (t: number) => void;
    const killed = new Promise<number>((r) => (killAt = r));
    const kill = () => {
      killEmulator();
      killAt(Date.now());
    };
    // Core asks on its own screen (ButtonRequest_PinEntry), the One through the host's matrix.
    const ui = pressingUi(() => debug, PIN, {
      button: (info) => {
        if (info.code === 'ButtonRequest_PinEntry') kill();
      },
      pin: ({ signal }) => {
        kill();
        // A user who takes their time: the dialog closes when the call ends (signal), else after 30 s.
        return new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => resolve('1'), 30_000);
          signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
        });
      },
    });
    const trezor = await connect({ transport, ui });
    if (trezor.features.unlocked !== false) await trezor.lock();
    const { code, ms } = await outcome('killed during a PIN prompt (locked, GetAddress)', getAddress(trezor, { path: "m/84'/1'/0'/0/0", coin: 'Regtest' }), killed);
    expect(['DeviceDisconnected', 'Timeout']).toContain(code);
    expect(ms).toBeLessThan(FAULT_BOUND_MS);
    await trezor.close();
    await debug.close().catch(() => undefined);
  });

  it('after the PIN-prompt kill, a restarted emulator connects and signs with the same app', async () => {
    debug = await freshDevice();
    const trezor = await connect({ transport, ui: pressingUi(() => debug) });
    const signed = await signPsbt(trezor, await regtestPsbt(trezor, 2), { coin: 'Regtest' });
    expect(signed.txid).toMatch(/^[0-9a-f]{64}$/);
    await trezor.close();
  });

  it('two clients: the second gets DeviceBusy while the first holds the emulator; the first signs undisturbed', async () => {
    const first = await connect({ transport, ui: pressingUi(() => debug) });
    const psbt = await regtestPsbt(first, INPUTS);
    // Another program's transport (its own udp() object), while the first is in the middle of signing.
    const other = udp({ host: address.host, port: address.port, pingTimeout: 10_000 });
    let secondTried!: Promise<{ code: string; ms: number }>;
    const start = transport.reports;
    transport.onReport = (n) => {
      if (n - start === 10) {
        transport.onReport = undefined;
        secondTried = outcome('second client connects while the first signs', connect({ transport: other }), Promise.resolve(Date.now()));
      }
    };
    const signed = await signPsbt(first, psbt, { coin: 'Regtest' });
    expect(signed.txid).toMatch(/^[0-9a-f]{64}$/);
    const second = await secondTried;
    expect(second.code).toBe('DeviceBusy');
    // And another process (the lock lives in a file, not in this process).
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', `import('./src/node.ts').then(async ({ udp }) => { const { connect } = await import('./src/index.ts'); try { await connect({ transport: udp({ host: '${address.host}', port: ${address.port} }) }); console.log('connected'); process.exit(0) } catch (e) { console.log(e.code ?? String(e)); process.exit(0) } })`],
      { encoding: 'utf8', timeout: 60_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    const otherProcess = child.stdout.trim().split('\n').pop() ?? child.stderr;
    results.push({ fault: 'a second process connects while the first holds it', code: otherProcess, ms: 0 });
    expect(otherProcess).toBe('DeviceBusy');
    // The first connection is intact: it still answers.
    expect(await getAddress(first, { path: "m/84'/1'/0'/0/0", coin: 'Regtest' })).toMatch(/^bcrt1/);
    await first.close();
    // Released: now the other program connects and works.
    const later = await connect({ transport: other, ui: pressingUi(() => debug) });
    expect(await getAddress(later, { path: "m/84'/1'/0'/0/0", coin: 'Regtest' })).toMatch(/^bcrt1/);
    results.push({ fault: 'second client after the first closed', code: 'connected', ms: 0 });
    await later.close();
    await debug.close();
  });
});
