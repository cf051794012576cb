// THP interop: trezorlib 0.20.1's THP client (a client nobody here wrote) pairs with
// `trezor-direct-virtual --model T3W1` (THP only) over UDP by code entry, reading the code
// through the debug link as trezorlib's own tests do, then gets Features and the SLIP-14
// address of m/84'/0'/0'/0/0 (expected value from test/fixtures/vectors/slip14.json), and
// reconnects with the credential it was issued without pairing again, and signs the firmware
// test's native segwit transaction (test_send_native) on that session; trezorlib 0.20.1's
// trezorctl runs get-features against it, the code typed on its prompt as a user reads it
// off the screen. Skipped, with the reason printed, where /usr/bin/python3 lacks trezorlib
// 0.20.1 (Debian's python3-trezor is older and has no THP). UDP ports 22500-22599 only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DebugLink } from '../../src/testing/debuglink.js';
import { SLIP14_MNEMONIC, fixturePath, loadVectors } from '../support/fixtures.js';
import { trezorlibMissing } from '../support/thp-cases.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
const PYTHON = '/usr/bin/python3';
const TREZORCTL = '/usr/local/bin/trezorctl';
const SEGWIT = loadVectors().btc_sign_message.find((v: any) => v.path === "m/84'/0'/0'/0/0" && v.coin === 'Bitcoin');
const ETH = loadVectors().eth_addresses.find((v: any) => v.path === "m/44'/60'/0'/0/0");
const SIGN_TX = loadVectors().btc_sign_tx.find((v: any) => v.id === 'test_signtx_segwit_native.py::test_send_native');

const missing = trezorlibMissing();
if (missing) console.log(`THP interop skipped: ${missing}`);
const trezorctlMissing = missing ?? (existsSync(TREZORCTL) ? undefined : `${TREZORCTL} (trezorlib 0.20.1's trezorctl) is not installed`);
if (!missing && trezorctlMissing) console.log(`THP trezorctl interop skipped: ${trezorctlMissing}`);

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
});

/** Start `trezor-direct-virtual --model T3W1` on a free wire/debug pair in 22500-22599. */
async function startVirtual(first: number, extra: string[] = []): Promise<number> {
  for (let port = first; port < 22598; port += 2) {
    const child = spawn(TSX, ['src/cli/virtual.ts', '--port', String(port), '--model', 'T3W1', '--mnemonic', SLIP14_MNEMONIC, ...extra], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const outcome = await new Promise<string>((resolve) => {
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve(stdout);
      });
      child.on('exit', () => resolve('exit'));
    });
    if (outcome.includes(`udp:127.0.0.1:${port}`)) {
      expect(outcome).toMatch(/^virtual Trezor T3W1 \S+ \(seeded, THP\)/);
      return port;
    }
  }
  throw new Error('no free UDP port pair in 22500-22599');
}

describe.skipIf(missing !== undefined)("trezorlib 0.20.1's THP client against trezor-direct-virtual --model T3W1", () => {
  it('pairs by code entry, reads Features and the SLIP-14 address, reconnects with its credential', { timeout: 120_000 }, async () => {
    const port = await startVirtual(22510);
    const result = await new Promise<any>((resolve, reject) => {
      const script = fileURLToPath(new URL('./thp_client.py', import.meta.url));
      const py = spawn(PYTHON, [script, String(port), fixturePath('vectors/slip14.json'), SIGN_TX.id], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(py);
      let stdout = '';
      let stderr = '';
      py.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      py.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      py.on('exit', (status) => (status === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`thp_client.py exited ${status}: ${stderr}`))));
    });
    expect(result.client).toBe('TrezorClientThp'); // trezorlib's v1 probe detected THP
    expect(result.properties).toEqual({ internal_model: 'T3W1', pairing_methods: [2, 1, 4, 3] });
    expect(result.paired_before).toBe(false);
    expect(result.features).toEqual({ vendor: 'trezor.io', model: 'Safe 7', internal_model: 'T3W1', initialized: true });
    expect(result.address).toBe(SEGWIT.expected_address);
    expect(result.buttons).toEqual(['thp_pairing_request']);
    expect(result.paired_with_credential).toBe(true);
    expect(result.address_again).toBe(SEGWIT.expected_address);
    // With a credential: no pairing, only the firmware's connection dialog.
    expect(result.buttons_again).toEqual(['thp_connection_request']);
    expect(result.eth_address).toBe(ETH.expected);
    // trezorlib's btc.sign_tx on that session: the firmware test's transaction, byte for byte.
    expect(result.signed_tx).toBe(SIGN_TX.expected_serialized_tx);
  });
});

describe.skipIf(trezorctlMissing !== undefined)('trezorctl (trezorlib 0.20.1) get-features against trezor-direct-virtual --model T3W1', () => {
  it('pairs on its code prompt and prints the Features', { timeout: 120_000 }, async () => {
    const port = await startVirtual(22530);
    const configDir = mkdtempSync(join(tmpdir(), 'thp-trezorctl-'));
    const debug = await DebugLink.connect({ port: port + 1 });
    try {
      const ctl = spawn(TREZORCTL, ['-p', `udp:127.0.0.1:${port}`, 'get-features'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        // trezorctl keeps a credential index in its config dir and the secrets in the system
        // keyring: a fresh config dir for this run, and the null keyring (none here).
        env: { ...process.env, XDG_CONFIG_HOME: configDir, PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring' },
      });
      children.push(ctl);
      let stdout = '';
      let stderr = '';
      ctl.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      ctl.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => ctl.on('exit', resolve));
      // Play the user: confirm the pairing dialog, then type the code the screen shows.
      let typed = false;
      let pressed = false;
      let screen = '';
      const deadline = Date.now() + 60_000;
      while (!typed && Date.now() < deadline) {
        screen = await debug.readLayout();
        const code = /Pairing code\s*(\d{6})/.exec(screen)?.[1];
        if (code) {
          ctl.stdin!.write(`${code}\n`);
          typed = true;
        } else if (!pressed && /Pair with Trezor/.test(screen)) {
          await debug.press('yes');
          pressed = true;
        } else {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(typed, `screen: ${screen}; trezorctl: ${stdout} ${stderr}`).toBe(true);
      expect(await exited, stderr).toBe(0);
      expect(stdout).toMatch(/vendor: 'trezor\.io'/);
      expect(stdout).toMatch(/internal_model: 'T3W1'/);
      expect(stdout).toMatch(/model: 'Safe 7'/);
      expect(stdout).toMatch(/initialized: True/);
    } finally {
      await debug.close();
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});
