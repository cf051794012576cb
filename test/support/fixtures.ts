/**
 * The one way tests reach their data: test/fixtures/ (public vectors and emulator recordings,
 * committed with the repository; where each came from is in test/fixtures/SOURCES.md).
 * A missing or empty fixture throws, so the test or the whole file fails: nothing here ever
 * turns into a skip or an empty list of tests.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of test/fixtures/, with a trailing slash. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The public SLIP-14 test seed the firmware's device tests use. */
export const SLIP14_MNEMONIC = 'all all all all all all all all all all all all';

/**
 * Absolute path of a fixture, which must exist.
 * @example fixturePath('vectors/slip14.json')
 */
export function fixturePath(name: string): string {
  const path = join(FIXTURES_DIR, name);
  if (!existsSync(path)) {
    throw new Error(
      `test fixture ${name} is missing (${path}): it is committed with the repository; ` +
        'restore it with git, or run npx tsx scripts/sync-fixtures.ts next to ../shared',
    );
  }
  return path;
}

/**
 * The SLIP-14 vectors (test/fixtures/vectors/slip14.json), checked to hold every section.
 * @example const vectors = loadVectors(); vectors.btc_addresses[0].expected
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadVectors(): any {
  const name = 'vectors/slip14.json';
  const vectors = JSON.parse(readFileSync(fixturePath(name), 'utf8'));
  for (const list of ['btc_addresses', 'btc_xpubs', 'btc_descriptors', 'eth_addresses', 'btc_sign_message', 'btc_sign_tx', 'eth_sign_tx', 'eth_sign_message', 'eth_sign_typed_data']) {
    if (!Array.isArray(vectors[list]) || vectors[list].length === 0) throw new Error(`test fixture ${name} has no ${list} vectors`);
  }
  for (const [section, list] of [['sign_identity', 'cases'], ['cipher_key_value', 'cases'], ['wire_encoding', 'vectors']] as const) {
    if (!Array.isArray(vectors[section]?.[list]) || vectors[section][list].length === 0) throw new Error(`test fixture ${name} has no ${section}.${list}`);
  }
  return vectors;
}

/**
 * Every recording (.txt) under a transcript folder, sorted, as absolute paths; throws when the
 * folder is missing or holds none.
 * @example transcriptFiles('transcripts-t2t1') // ['/…/test/fixtures/transcripts-t2t1/device_tests/…', …]
 */
export function transcriptFiles(folder: string): string[] {
  const root = fixturePath(folder);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.txt')) out.push(path);
    }
  };
  walk(root);
  if (out.length === 0) throw new Error(`test fixture ${folder} holds no transcripts (${root})`);
  return out;
}

/**
 * A fixture path relative to test/fixtures/, as KNOWN_GAPS-style tables name them.
 * @example fixtureName(path) // 'transcripts/bitcoin/test_getaddress/test_btc.txt'
 */
export function fixtureName(path: string): string {
  return relative(FIXTURES_DIR, path);
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function unhex(text: string): Uint8Array {
  const clean = text.startsWith('0x') ? text.slice(2) : text;
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}
