/**
 * One ESM build with declarations. Every entry of package.json "exports" is an input;
 * modules are preserved so bundlers can tree-shake per file. Every bare import stays external:
 * dependencies and the peers (ethers, viem, @wagmi/core, @scure/btc-signer, usb; the keyring's and
 * connect-web's frameworks are not even imported, only described by types) are the app's own copies, never
 * bundled (scripts/check-package.ts checks the built imports against package.json).
 * No source maps: the output is the TypeScript with its types removed (unminified, one file per
 * source module, comments kept), so stack traces and debuggers already show readable code; maps
 * were 56% of the unpacked package (with sourcesContent; 25% without, and then they point at
 * sources the package does not contain). README "Package" says the same.
 * The browser entries (index, bitcoin, ethereum, viem, wagmi, management, identity, testing, keyring, connect-web) must not import Node built-ins,
 * statically or through an import() a bundler can follow: the `node-builtins` guard below fails
 * the build if they do. Their Node-only halves are entries of their own (node, testing/node).
 */
import typescript from '@rollup/plugin-typescript';
import type { Plugin, RollupOptions } from 'rollup';

const browserEntries = [
  'src/index.ts',
  'src/bitcoin/index.ts',
  'src/ethereum/index.ts',
  'src/viem/index.ts',
  'src/wagmi/index.ts',
  'src/management/index.ts',
  'src/identity/index.ts',
  'src/testing/index.ts',
  'src/keyring/index.ts',
  'src/connect-web/index.ts',
];

/** Fail when a browser entry's static import graph reaches `node:*` modules. */
function noNodeBuiltinsInBrowserEntries(): Plugin {
  return {
    name: 'node-builtins',
    generateBundle(_options, bundle) {
      const byName = new Map(Object.values(bundle).flatMap((c) => (c.type === 'chunk' ? [[c.fileName, c] as const] : [])));
      for (const chunk of byName.values()) {
        if (!chunk.isEntry || !chunk.facadeModuleId) continue;
        const rel = chunk.facadeModuleId.slice(process.cwd().length + 1);
        if (!browserEntries.includes(rel)) continue;
        const seen = new Set<string>();
        const stack = [chunk.fileName];
        while (stack.length) {
          const name = stack.pop()!;
          if (seen.has(name)) continue;
          seen.add(name);
          const c = byName.get(name);
          if (!c) continue;
          // Dynamic imports count: bundlers follow them as they follow static ones.
          const reached = [...c.imports, ...c.dynamicImports];
          const bad = reached.filter((i) => i.startsWith('node:') || ['dgram', 'fs', 'http', 'net', 'os', 'path'].includes(i));
          if (bad.length) this.error(`${rel} reaches Node built-ins (${bad.join(', ')}) through ${name}`);
          stack.push(...reached.filter((i) => byName.has(i)));
        }
      }
    },
  };
}

const config: RollupOptions = {
  input: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    'bitcoin/index': 'src/bitcoin/index.ts',
    'ethereum/index': 'src/ethereum/index.ts',
    'viem/index': 'src/viem/index.ts',
    'wagmi/index': 'src/wagmi/index.ts',
    'management/index': 'src/management/index.ts',
    'keyring/index': 'src/keyring/index.ts',
    'connect-web/index': 'src/connect-web/index.ts',
    'identity/index': 'src/identity/index.ts',
    'testing/index': 'src/testing/index.ts',
    'testing/node': 'src/testing/node.ts',
    'cli/virtual': 'src/cli/virtual.ts',
  },
  output: { dir: 'dist', format: 'esm', preserveModules: true, preserveModulesRoot: 'src', sourcemap: false },
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
  plugins: [
    typescript({
      tsconfig: './tsconfig.build.json',
    }),
    noNodeBuiltinsInBrowserEntries(),
  ],
};

export default config;
