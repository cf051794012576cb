/**
 * The public names of DESIGN.md are a contract (checks outside the repo call them), and the
 * core entry must stay free of the coin libraries. Both are pinned here.
 */
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CONTRACT: Record<string, string[]> = {
  '../src/index.ts': ['connect', 'webUsb', 'webHid', 'bridge', 'memoryTransport', 'TrezorError', 'isTrezorError', 'Trezor', 'parsePath'],
  '../src/node.ts': ['usb', 'udp'],
  '../src/bitcoin/index.ts': ['getAddress', 'getPublicKey', 'getAccountDescriptor', 'createPsbt', 'signPsbt', 'bumpFee', 'signMessage', 'verifyMessage'],
  '../src/ethereum/index.ts': ['getAddress', 'signTransaction', 'signMessage', 'signTypedData', 'TrezorSigner', 'createEip1193Provider'],
  '../src/viem/index.ts': ['trezorAccount', 'createTrezorProvider', 'announceTrezorProvider'],
  '../src/wagmi/index.ts': ['trezor', 'accountPaths'],
  '../src/management/index.ts': ['resetDevice', 'backupDevice', 'recoverDevice', 'changePin', 'applySettings', 'wipeDevice', 'readFirmware', 'updateFirmware'],
  '../src/identity/index.ts': ['login', 'createChallenge', 'verifyLogin', 'memoryNonceStore'],
  '../src/testing/index.ts': ['VirtualTrezor', 'DebugLink'],
  '../src/keyring/index.ts': ['createKeyringBridge'],
  '../src/connect-web/index.ts': ['fromTrezorConnect'],
  '../src/testing/node.ts': ['listenUdp'],
};

describe('public API names (DESIGN.md)', () => {
  for (const [entry, names] of Object.entries(CONTRACT)) {
    it(`${entry.replace('../src/', '')} exports ${names.join(', ')}`, async () => {
      const module = (await import(entry)) as Record<string, unknown>;
      for (const name of names) expect(typeof module[name], `${entry} → ${name}`).toBe('function');
    });
  }

  it('VirtualTrezor has transport(), debugLink(), listenUdp(), close()', async () => {
    const { VirtualTrezor } = await import('../src/testing/index.js');
    const proto = VirtualTrezor.prototype as unknown as Record<string, unknown>;
    for (const method of ['transport', 'debugLink', 'listenUdp', 'close']) expect(typeof proto[method]).toBe('function');
  });
});

describe('what each browser entry pulls in', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  async function inputs(entry: string): Promise<string[]> {
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    });
    return Object.keys(result.metafile.inputs);
  }

  it('the core entry includes neither ethers nor @scure/btc-signer', async () => {
    const files = await inputs('src/index.ts');
    expect(files.some((f) => f.includes('src/session/trezor.ts'))).toBe(true);
    expect(files.filter((f) => f.includes('node_modules/ethers/') || f.includes('@scure/btc-signer'))).toEqual([]);
  });

  it('no browser entry reaches a Node built-in, through static or dynamic imports (trezor-direct/testing included)', async () => {
    for (const entry of ['src/index.ts', 'src/bitcoin/index.ts', 'src/ethereum/index.ts', 'src/viem/index.ts', 'src/wagmi/index.ts', 'src/management/index.ts', 'src/identity/index.ts', 'src/testing/index.ts', 'src/keyring/index.ts', 'src/connect-web/index.ts']) {
      const reached: string[] = [];
      const result = await build({
        entryPoints: [entry],
        absWorkingDir: root,
        bundle: true,
        write: false,
        metafile: true,
        format: 'esm',
        platform: 'browser',
        splitting: true,
        outdir: 'out',
        logLevel: 'silent',
        plugins: [
          {
            name: 'node-builtins',
            setup(b) {
              // What Vite would externalize "for browser compatibility", with who imports it.
              b.onResolve({ filter: /.*/ }, ({ path, importer }) => {
                if (path.startsWith('node:') || builtinModules.includes(path)) {
                  reached.push(`${importer.slice(root.length)} → ${path}`);
                  return { path, external: true };
                }
                return undefined;
              });
            },
          },
        ],
      });
      expect(reached, entry).toEqual([]);
      // The graph was walked: the entry's own modules are in it.
      expect(Object.keys(result.metafile.inputs).length, entry).toBeGreaterThan(5);
    }
  });

  it('the core entry leaves out the management flows, and the management entry the coin libraries', async () => {
    expect((await inputs('src/index.ts')).filter((f) => f.includes('src/management/'))).toEqual([]);
    const management = await inputs('src/management/index.ts');
    expect(management.some((f) => f.includes('src/management/recover.ts'))).toBe(true);
    expect(management.filter((f) => f.includes('node_modules/ethers/') || f.includes('@scure/'))).toEqual([]);
  });

  it('the adapter entries bundle none of the frameworks they adapt (type-only), nor btc-signer', async () => {
    const frameworks = /node_modules\/(@metamask\/|@trezor\/|@ethereumjs\/|hdkey)|@scure\/btc-signer/;
    const keyring = await inputs('src/keyring/index.ts');
    expect(keyring.some((f) => f.includes('src/keyring/bridge.ts'))).toBe(true);
    expect(keyring.filter((f) => frameworks.test(f))).toEqual([]);
    const connectWeb = await inputs('src/connect-web/index.ts');
    expect(connectWeb.some((f) => f.includes('src/connect-web/bitcoin.ts'))).toBe(true);
    expect(connectWeb.filter((f) => /node_modules\/(@trezor\/|@metamask\/|@ethereumjs\/)/.test(f))).toEqual([]);
  });

  it('the viem and wagmi entries pull in no ethers (the device flows it shares with the ethereum entry are ethers-free)', async () => {
    const files = await inputs('src/viem/index.ts');
    expect(files.some((f) => f.includes('src/ethereum/flows.ts'))).toBe(true);
    expect(files.filter((f) => f.includes('node_modules/ethers/') || f.includes('@scure/btc-signer'))).toEqual([]);
    const wagmi = await inputs('src/wagmi/index.ts');
    expect(wagmi.some((f) => f.includes('src/viem/account.ts'))).toBe(true);
    expect(wagmi.filter((f) => f.includes('node_modules/ethers/'))).toEqual([]);
  });

  it('the bitcoin entry does not pull in ethers, nor the ethereum entry btc-signer', async () => {
    expect((await inputs('src/bitcoin/index.ts')).filter((f) => f.includes('node_modules/ethers/'))).toEqual([]);
    expect((await inputs('src/ethereum/index.ts')).filter((f) => f.includes('@scure/btc-signer'))).toEqual([]);
  });

  it('the identity entry carries no device, transport or session code, and no coin library (a server imports it as it is)', async () => {
    const files = await inputs('src/identity/index.ts');
    expect(files.some((f) => f.includes('src/identity/server.ts'))).toBe(true);
    expect(files.some((f) => f.includes('src/identity/login.ts'))).toBe(true);
    const device = /src\/(session|transport|protocol|messages|testing|bitcoin|ethereum|management)\/|src\/node\.ts|node_modules\/(ethers|@scure\/btc-signer|usb)\//;
    expect(files.filter((f) => device.test(f))).toEqual([]);
    // The same on Node, as a server bundles it: no node: built-ins either.
    const node = await build({
      stdin: { contents: "export { createChallenge, verifyLogin } from './src/identity/index.ts';", resolveDir: root, loader: 'ts' },
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      logLevel: 'silent',
    });
    const serverFiles = Object.keys(node.metafile.inputs);
    expect(serverFiles.filter((f) => device.test(f) || f.startsWith('node:'))).toEqual([]);
    expect(serverFiles.some((f) => f.includes('src/identity/slip13.ts'))).toBe(true);
  });
});
