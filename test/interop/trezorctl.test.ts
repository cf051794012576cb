// A client nobody here wrote: Debian's trezorctl (python3-trezor) drives VirtualTrezor over
// its UDP interface, exactly as it drives the official emulator. The seed is loaded through
// our DebugLink over UDP first; the commands' outputs must be the public SLIP-14 vectors.
// Not part of `npm test` (it needs a system package): `npm run test:interop` runs it, with
// vitest.interop.config.ts, and .ci/run runs that after installing Debian's `trezor` package.
// Without trezorctl on PATH the file fails, saying what to install; it never skips.
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DebugLink } from '../../src/testing/debuglink.js';
import type { Model } from '../../src/testing/virtual/context.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';
import { SLIP14_MNEMONIC as MNEMONIC, loadVectors } from '../support/fixtures.js';

const vectors = loadVectors();

function findTrezorctl(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v trezorctl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const TREZORCTL = findTrezorctl();
if (!TREZORCTL) {
  throw new Error('trezorctl is not on PATH: the interop suite needs it. Install Debian\'s package (sudo apt-get install trezor), then run npm run test:interop again.');
}

/** Run trezorctl without blocking our event loop: the device answers from this very process. */
function trezorctl(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(TREZORCTL!, ['-p', `udp:127.0.0.1:${port}`, ...args], { timeout: 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`trezorctl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

for (const model of ['T1B1', 'T2T1'] as Model[]) {
  describe(`trezorctl against VirtualTrezor ${model} over UDP`, () => {
    let virtual: VirtualTrezor;
    let port: number;

    beforeAll(async () => {
      virtual = new VirtualTrezor({ model });
      // A free wire + debug-link pair (port 0), never the emulator's 21324.
      const listening = await virtual.listenUdp({ port: 0 });
      port = listening.port;
      const debug = await DebugLink.connect({ port: listening.debugPort });
      await debug.loadDevice({ mnemonic: MNEMONIC, label: 'trezorctl' });
      await debug.close();
    });

    afterAll(async () => {
      await virtual?.close();
    });

    it('get-features', async () => {
      const out = await trezorctl(port, ['get-features']);
      expect(out).toMatch(/vendor: 'trezor\.io'/);
      expect(out).toMatch(/initialized: True/);
      expect(out).toMatch(/label: 'trezorctl'/);
      expect(out).toContain(`model: '${model === 'T1B1' ? '1' : 'T'}'`);
      expect(out).toMatch(new RegExp(`major_version: ${model === 'T1B1' ? 1 : 2},`));
    });

    it("btc get-address -n m/44'/0'/0'/0/0", async () => {
      const vector = vectors.btc_addresses.find((v: { path: string; coin: string }) => v.coin === 'Bitcoin' && v.path === "m/44'/0'/0'/0/0");
      expect((await trezorctl(port, ['btc', 'get-address', '-n', "m/44'/0'/0'/0/0"])).trim()).toBe(vector.expected);
    });

    it("ethereum get-address -n m/44'/60'/0'/0/0", async () => {
      const vector = vectors.eth_addresses.find((v: { path: string }) => v.path === "m/44'/60'/0'/0/0");
      expect((await trezorctl(port, ['ethereum', 'get-address', '-n', "m/44'/60'/0'/0/0"])).trim()).toBe(vector.expected);
    });

    it('btc sign-message', async () => {
      const vector = vectors.btc_sign_message.find((v: { coin: string; path: string }) => v.coin === 'Bitcoin' && v.path === "m/44'/0'/0'/0/0");
      // The screens are confirmed by the device itself: trezorctl has no debug link.
      virtual.autoConfirm = true;
      try {
        const out = await trezorctl(port, ['btc', 'sign-message', '-n', "m/44'/0'/0'/0/0", vector.message]);
        expect(out).toContain(vector.expected_address);
        expect(out).toContain(Buffer.from(vector.expected_signature, 'hex').toString('base64'));
      } finally {
        virtual.autoConfirm = false;
      }
    });
  });
}
