// A VirtualTrezor that waits for a press nobody can give (autoConfirm off, no debug link) says
// so once, after UNATTENDED_WAIT_MS, naming both ways out; before this a Node script in that
// state just ended with exit code 13 and no message. The documented press pattern, a debug
// link asked for in advance, and autoConfirm stay silent.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect } from '../src/session/connect.js';
import { UNATTENDED_WAIT_MS, VirtualTrezor } from '../src/testing/virtual/device.js';

const MNEMONIC = 'all all all all all all all all all all all all';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
  vi.restoreAllMocks();
});

function device(options: ConstructorParameters<typeof VirtualTrezor>[0]) {
  const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, ...options });
  cleanup.push(() => virtual.close());
  return virtual;
}

describe('VirtualTrezor waiting for a press nobody can give', () => {
  for (const model of ['T1B1', 'T2T1'] as const) {
    it(`${model}: tells onWaiting once, naming autoConfirm and debugLink().press('yes')`, async () => {
      const told: string[] = [];
      const virtual = device({ model, onWaiting: (message) => told.push(message) });
      const trezor = await connect({ transport: virtual.transport() });
      cleanup.push(() => trezor.close());
      const first = new AbortController();
      const pending = trezor.ping('hi', { buttonProtection: true, signal: first.signal });
      pending.catch(() => undefined);
      await sleep(UNATTENDED_WAIT_MS / 2);
      expect(told).toEqual([]); // not at once: a press may be on its way
      await sleep(UNATTENDED_WAIT_MS);
      expect(told).toHaveLength(1);
      expect(told[0]).toContain('autoConfirm: true');
      expect(told[0]).toContain("virtual.debugLink().press('yes')");
      expect(told[0]).toContain('ButtonRequest_ProtectCall');
      first.abort();
      await expect(pending).rejects.toMatchObject({ code: 'ActionCancelled' });

      // Once per device: a second unattended wait is not told again.
      const second = new AbortController();
      const again = trezor.ping('again', { buttonProtection: true, signal: second.signal });
      again.catch(() => undefined);
      await sleep(UNATTENDED_WAIT_MS + 500);
      expect(told).toHaveLength(1);
      second.abort();
      await expect(again).rejects.toMatchObject({ code: 'ActionCancelled' });
    });
  }

  it('says it with console.warn by default', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const virtual = device({ model: 'T2T1' });
    const trezor = await connect({ transport: virtual.transport() });
    cleanup.push(() => trezor.close());
    const pending = trezor.ping('hi', { buttonProtection: true });
    await sleep(UNATTENDED_WAIT_MS + 500);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('autoConfirm: true');
    // The press still works after the warning.
    await virtual.debugLink().press('yes');
    expect(await pending).toBe('hi');
  });

  it('stays silent with the press pattern, with a debug link asked for in advance, and with autoConfirm', async () => {
    const told: string[] = [];
    const onWaiting = (message: string) => told.push(message);
    // The README pattern: ui.button presses through the debug link.
    const pressed = device({ model: 'T1B1', onWaiting });
    const a = await connect({ transport: pressed.transport(), ui: { button: () => void pressed.debugLink().press('yes') } });
    cleanup.push(() => a.close());
    expect(await a.ping('a', { buttonProtection: true })).toBe('a');
    // A page that presses when its user clicks, seconds later.
    const later = device({ model: 'T2T1', onWaiting });
    const debug = later.debugLink();
    const b = await connect({ transport: later.transport() });
    cleanup.push(() => b.close());
    const pending = b.ping('b', { buttonProtection: true });
    await sleep(UNATTENDED_WAIT_MS + 500);
    await debug.press('yes');
    expect(await pending).toBe('b');
    // autoConfirm.
    const auto = device({ model: 'T1B1', autoConfirm: true, onWaiting });
    const c = await connect({ transport: auto.transport() });
    cleanup.push(() => c.close());
    expect(await c.ping('c', { buttonProtection: true })).toBe('c');
    await sleep(UNATTENDED_WAIT_MS + 200);
    expect(told).toEqual([]);
  });

  it('a Node script that forgot both ends with the message on stderr, not silently', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trezor-direct-waiting-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'sign.mts');
    writeFileSync(
      script,
      [
        `import { connect } from ${JSON.stringify(`${ROOT}src/index.ts`)};`,
        `import { VirtualTrezor } from ${JSON.stringify(`${ROOT}src/testing/index.ts`)};`,
        `const virtual = new VirtualTrezor({ mnemonic: ${JSON.stringify(MNEMONIC)} });`,
        'const trezor = await connect({ transport: virtual.transport() });',
        "console.log(await trezor.ping('never', { buttonProtection: true }));",
      ].join('\n'),
    );
    const child = spawn(`${ROOT}node_modules/.bin/tsx`, [script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toContain('VirtualTrezor: the device has been waiting for a button press');
    expect(stderr).toContain('autoConfirm: true');
    expect(stderr).not.toContain('all all');
    // Node's code for a top-level await that can never settle.
    expect(status).toBe(13);
  });
});
