/**
 * BIP-32 paths: "m/84'/0'/0'/0/0" (or with h for hardened) ⇄ address_n arrays
 * (hardened = index | 0x80000000), validated before anything reaches the device.
 */
import { invalidParameter } from './errors.js';

/**
 * The hardened bit of a path element (BIP-32: index ≥ 2³¹).
 * @example 84 | HARDENED // 84'
 */
export const HARDENED = 0x80000000;

/** A path as a string (`m/44'/0'/0'`, `44h/0h`) or a number array. */
export type Path = string | readonly number[];

/**
 * Parse a path into address_n.
 * @example parsePath("m/84'/0'/0'/0/0") // [0x80000054, 0x80000000, 0x80000000, 0, 0]
 */
export function parsePath(path: Path, field = 'path'): number[] {
  if (Array.isArray(path)) {
    const out = (path as readonly unknown[]).map((n) => {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
        throw invalidParameter(field, `every element must be an integer 0..2^32-1, got ${String(n)}`);
      }
      return n;
    });
    if (out.length > 255) throw invalidParameter(field, 'too deep');
    return out;
  }
  if (typeof path !== 'string') throw invalidParameter(field, `expected a string like "m/84'/0'/0'/0/0" or a number array`);
  const parts = path.trim().split('/');
  if (parts[0] === 'm' || parts[0] === 'M') parts.shift();
  if (parts.length === 1 && parts[0] === '') return [];
  if (parts.length > 255) throw invalidParameter(field, 'too deep');
  return parts.map((part) => {
    const match = /^(\d+)(['hH]?)$/.exec(part);
    if (!match) throw invalidParameter(field, `bad path element "${part}" in "${path}"`);
    const index = Number(match[1]);
    if (index >= HARDENED) throw invalidParameter(field, `path element ${part} is out of range`);
    return match[2] ? (index | HARDENED) >>> 0 : index;
  });
}

/**
 * address_n back to "m/84'/0'/0'/0/0".
 * @example formatPath([0x80000054, 0x80000000, 0x80000000, 0, 0]) // "m/84'/0'/0'/0/0"
 */
export function formatPath(addressN: readonly number[]): string {
  return ['m', ...addressN.map((n) => (n >= HARDENED ? `${n - HARDENED}'` : String(n)))].join('/');
}
