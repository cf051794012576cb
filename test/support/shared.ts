/**
 * Locates ../shared (vectors, transcripts) next to the repository. CI has it; elsewhere the
 * tests that need it skip with a printed reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const VECTORS_FILE = `${SHARED_DIR}vectors/slip14.json`;
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
