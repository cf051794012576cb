// The virtual device's expected values stay independent of the library they test.
//
// 1. Nothing under src/testing reaches the library's coin modules (src/bitcoin, src/ethereum),
//    directly or through another module: the virtual device has its own coin table
//    (src/testing/virtual/coins.ts), so a wrong parameter in the library's table cannot be
//    mirrored by the device and slip past every test.
// 2. The two coin tables, each written from trezor-firmware common/defs/bitcoin/*.json, agree
//    on every field both keep: two independent transcriptions of one public source meeting.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COINS } from '../src/bitcoin/coins.js';
import { DEVICE_COINS, deviceCoin } from '../src/testing/virtual/coins.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const CLIENT_COIN_MODULES = ['bitcoin', 'ethereum'].map((dir) => join(SRC, dir));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (entry.endsWith('.ts')) out.push(path);
  }
  return out;
}

/**
 * Relative module specifiers of a file: static imports and re-exports (type-only too) and
 * import(). Comments are dropped first: JSDoc examples show imports that are not made.
 */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found.filter((spec) => spec.startsWith('.'));
}

function resolveImport(from: string, spec: string): string {
  return resolve(dirname(from), spec.replace(/\.js$/, '.ts'));
}

/** Every source file reachable from `roots`, with the file that first imported it. */
function closure(roots: string[]): Map<string, string | undefined> {
  const seen = new Map<string, string | undefined>(roots.map((root) => [root, undefined]));
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of relativeImports(file)) {
      const target = resolveImport(file, spec);
      if (seen.has(target)) continue;
      seen.set(target, file);
      queue.push(target);
    }
  }
  return seen;
}

function chain(reached: Map<string, string | undefined>, file: string): string {
  const steps: string[] = [];
  for (let at: string | undefined = file; at !== undefined; at = reached.get(at)) steps.unshift(relative(SRC, at));
  return steps.join(' → ');
}

describe('src/testing stays apart from the library coin modules', () => {
  const testing = sources(join(SRC, 'testing'));
  const reached = closure(testing);

  it('the scan follows imports out of src/testing (to the message codecs and the v1 framing)', () => {
    expect(relativeImports(join(SRC, 'testing/virtual/handlers/bitcoin.ts'))).toContain('../coins.js');
    expect(chain(reached, join(SRC, 'messages/index.ts'))).toMatch(/^testing\/.* → messages\/index\.ts$/);
    expect(chain(reached, join(SRC, 'protocol/v1.ts'))).toMatch(/^testing\/.* → protocol\/v1\.ts$/);
  });

  it('no module under src/testing imports src/bitcoin or src/ethereum, directly or transitively', () => {
    const offending = [...reached.keys()].filter((file) => CLIENT_COIN_MODULES.some((dir) => file.startsWith(`${dir}/`)));
    expect(offending.map((file) => chain(reached, file))).toEqual([]);
  });
});

describe('the library and the virtual device agree on the coins both know', () => {
  for (const coin of Object.values(COINS)) {
    it(coin.name, () => {
      const device = deviceCoin(coin.name);
      expect(device, `the virtual device does not serve ${coin.name}`).toBeDefined();
      expect({
        name: device!.coin_name,
        shortcut: device!.coin_shortcut,
        slip44: device!.slip44,
        pubKeyHash: device!.address_type,
        scriptHash: device!.address_type_p2sh,
        bech32: device!.bech32_prefix,
        xpubVersion: { p2pkh: device!.xpub_magic, 'p2sh-p2wpkh': device!.xpub_magic_segwit_p2sh, p2wpkh: device!.xpub_magic_segwit_native },
        segwit: device!.segwit,
        taproot: device!.taproot,
        messageHeader: device!.signed_message_header,
        maxFeePerKb: device!.maxfee_kb,
      }).toEqual({
        name: coin.name,
        shortcut: coin.shortcut,
        slip44: coin.slip44,
        pubKeyHash: coin.pubKeyHash,
        scriptHash: coin.scriptHash,
        bech32: coin.bech32,
        xpubVersion: coin.xpubVersion,
        segwit: coin.segwit,
        taproot: coin.taproot,
        messageHeader: coin.messageHeader,
        maxFeePerKb: coin.maxFeePerKb,
      });
    });
  }

  it('every coin of the device table is filed under its own coin_name, and unknown names are not served', () => {
    for (const [key, coin] of Object.entries(DEVICE_COINS)) expect(coin.coin_name).toBe(key);
    expect(deviceCoin(undefined)?.coin_name).toBe('Bitcoin');
    expect(deviceCoin('Groestlcoin')).toBeUndefined();
    expect(deviceCoin('toString')).toBeUndefined();
  });
});
