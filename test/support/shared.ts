/**
 * Locates ../shared (vectors, transcripts) next to the repository. CI has it; elsewhere the
 * tests that need it skip with a printed reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const VECTORS_FILE = `${SHARED_DIR}vectors/slip14.json`;
/** The public SLIP-14 test seed the firmware's device tests use. */
export const SLIP14_MNEMONIC = 'all all all all all all all all all all all all';

export const hasVectors = existsSync(VECTORS_FILE);
export const NO_SHARED_REASON = `../shared/vectors/slip14.json not found at ${VECTORS_FILE}: the public vectors are not on this machine`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadVectors(): any {
  return JSON.parse(readFileSync(VECTORS_FILE, 'utf8'));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function unhex(text: string): Uint8Array {
  const clean = text.startsWith('0x') ? text.slice(2) : text;
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/**
 * The vectors, or — when ../shared is absent — the same shape with every list empty, so test
 * files can still be collected; pair it with `describe.skipIf(!hasVectors)` and NO_SHARED_REASON.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function vectorsOrEmpty(): any {
  if (hasVectors) return loadVectors();
  return {
    btc_addresses: [], btc_xpubs: [], btc_descriptors: [], eth_addresses: [], btc_sign_message: [], btc_sign_tx: [],
    eth_sign_tx: [], eth_sign_message: [], eth_sign_typed_data: [], sign_identity: { cases: [] },
    cipher_key_value: { cases: [] }, wire_encoding: { vectors: [] },
  };
}

/** Title suffix of a suite skipped for want of ../shared. */
export const SKIP_NO_SHARED = hasVectors ? '' : ` (skipped: ${NO_SHARED_REASON})`;
