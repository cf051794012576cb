/**
 * `npm run size`: min+gzip bytes of browser bundles built the way a dapp would build them
 * (esbuild, ESM, platform browser, minified, tree-shaken), one per budget in DESIGN.md.
 * Prints figures and their ratio to the budget; exits non-zero when a bundle is over.
 *
 * Code behind a dynamic `import()` is what a page loads only on demand (the Trezor Host Protocol,
 * when connect() meets a THP device): it is left out of the budgeted figures, as a dapp's bundler
 * splits it into a chunk of its own, and reported on its own line.
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Case {
  name: string;
  /** No budget: a figure reported only. */
  budget?: number;
  code: string;
  /** Packages the app brings anyway (its own copy, not counted). */
  external?: string[];
  /** Packages whose code must not be in the bundle at all (checked in esbuild's metafile). */
  forbid?: string[];
}

const cases: Case[] = [
  {
    name: 'core: connect(webUsb()) + getFeatures()',
    budget: 25_000,
    code: `import { connect, webUsb } from './src/index.ts';
      const t = await connect({ transport: webUsb() }); console.log(await t.getFeatures());`,
  },
  {
    name: 'bitcoin: connect + getAddress + signPsbt',
    budget: 60_000,
    code: `import { connect, webUsb } from './src/index.ts';
      import { getAddress, signPsbt } from './src/bitcoin/index.ts';
      const t = await connect({ transport: webUsb() });
      console.log(await getAddress(t, { path: "m/84'/0'/0'/0/0" }), await signPsbt(t, new Uint8Array(), { coin: 'Bitcoin' }));`,
  },
  {
    name: 'ethereum: connect + getAddress + signTransaction',
    budget: 60_000,
    code: `import { connect, webUsb } from './src/index.ts';
      import { getAddress, signTransaction } from './src/ethereum/index.ts';
      const t = await connect({ transport: webUsb() });
      console.log(await getAddress(t, { path: "m/44'/60'/0'/0/0" }), await signTransaction(t, { path: "m/44'/60'/0'/0/0", tx: {} }));`,
  },
  {
    // The viem adapter: viem is the app's own (external, not counted); ethers must not be in it
    // at all, the device flows it uses are the ethers-free ones (src/ethereum/flows.ts). Most of
    // it is the codec and @noble/curves (secp256k1 recovery, ~12 kB gzip), as in the ethers entry.
    name: 'viem: connect + trezorAccount + signTransaction',
    budget: 45_000,
    external: ['viem', 'viem/*'],
    forbid: ['ethers'],
    code: `import { connect, webUsb } from './src/index.ts';
      import { trezorAccount } from './src/viem/index.ts';
      const t = await connect({ transport: webUsb() });
      const a = await trezorAccount(t, { path: "m/44'/60'/0'/0/0" });
      console.log(await a.signTransaction({}), await a.signMessage({ message: 'x' }), await a.signTypedData({}));`,
  },
  {
    // DESIGN.md sets no budget for the management entry ("reports its own figure"); this one
    // is the core budget plus 5 kB, to catch the flows dragging in something large.
    name: 'management: connect + resetDevice',
    budget: 30_000,
    code: `import { connect, webUsb } from './src/index.ts';
      import { resetDevice } from './src/management/index.ts';
      const t = await connect({ transport: webUsb() });
      console.log(await resetDevice(t, { strength: 128 }));`,
  },
  {
    // DESIGN.md: each new entry reports its own figure. The host checks signatures on the three
    // curves SignIdentity signs with (secp256k1, P-256, ed25519: noble's code for them is most
    // of it), so the budget is the BTC/ETH one less 15 kB.
    name: 'identity: connect + login',
    budget: 45_000,
    code: `import { connect, webUsb } from './src/index.ts';
      import { login } from './src/identity/index.ts';
      const t = await connect({ transport: webUsb() });
      console.log(await login(t, { challengeHidden: '00', challengeVisual: '', identity: location.origin }));`,
  },
  {
    // The THP host code connect() imports when a device refuses protocol v1 (its own chunk in
    // an app; this figure repeats the message codec the core entry already has: an upper bound).
    name: 'THP host, loaded on demand (no budget)',
    code: `import { openThpLink } from './src/protocol/thp-host/link.ts'; console.log(openThpLink);`,
  },
  {
    // A server's verifier alone: no device code, the same three curves plus HMAC.
    name: 'identity server: createChallenge + verifyLogin',
    budget: 30_000,
    code: `import { createChallenge, verifyLogin } from './src/identity/index.ts';
      console.log(createChallenge({ secret: 's'.repeat(16), origin: 'https://a.b' }), await verifyLogin({ secret: 's'.repeat(16), origin: 'https://a.b', response: {} }));`,
  },
];

let over = false;
for (const c of cases) {
  try {
    const result = await build({
      stdin: { contents: c.code, resolveDir: root, loader: 'ts', sourcefile: 'size-entry.ts' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
      // import() stays a separate request, as in an app's split bundle.
      plugins: [{ name: 'lazy', setup: (b) => b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)) }],
      ...(c.external ? { external: c.external } : {}),
    });
    const forbidden = Object.keys(result.metafile.inputs).filter((file) => c.forbid?.some((name) => file.includes(`node_modules/${name}/`)));
    if (c.forbid) {
      if (forbidden.length) over = true;
      console.log(`${c.name}: ${forbidden.length ? `CONTAINS ${c.forbid.join(', ')} (${forbidden.length} files, e.g. ${forbidden[0]})` : `no ${c.forbid.join(', ')} code in the bundle`}`);
    }
    const js = result.outputFiles[0]!.contents;
    const gz = gzipSync(js, { level: 9 }).length;
    if (c.budget === undefined) {
      console.log(`${c.name.padEnd(50)} ${String(js.length).padStart(8)} B min  ${String(gz).padStart(7)} B min+gzip`);
      continue;
    }
    const ratio = gz / c.budget;
    if (ratio > 1) over = true;
    console.log(
      `${c.name.padEnd(50)} ${String(js.length).padStart(8)} B min  ${String(gz).padStart(7)} B min+gzip  budget ${c.budget} B  (${(ratio * 100).toFixed(0)}%)${ratio > 1 ? '  OVER BUDGET' : ''}`,
    );
  } catch (error) {
    over = true;
    console.log(`${c.name.padEnd(50)} could not be built: ${(error as Error).message.split('\n')[0]}`);
  }
}
process.exitCode = over ? 1 : 0;
