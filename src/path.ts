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
  const out = parts.map((part) => {
    const match = /^(\d+)(['hH]?)$/.exec(part);
    if (!match) throw invalidParameter(field, `bad path element "${part}" in "${path}"`);
    const index = Number(match[1]);
    if (index >= HARDENED) throw invalidParameter(field, `path element ${part} is out of range`);
    return match[2] ? (index | HARDENED) >>> 0 : index;
  });
  return out;
}

/**
 * Purposes whose paths have the fixed BIP-44 shape purpose' / coin_type' / account' / change /
 * address_index: BIP-44, BIP-49, BIP-84, BIP-86 (Bitcoin and SLIP-44 coins, Ethereum).
 */
const BIP44_PURPOSES = new Set([44, 49, 84, 86]);

/**
 * Refuse a hardened/unhardened mixup in the path of an address (five levels, BIP-44 shape): the
 * purpose, coin type and account hardened, change and address index not. The firmware's
 * default safety checks refuse the same address paths ("Forbidden key path"). Shorter paths
 * (account xpubs, of which the firmware's own tests use unhardened ones) and other purposes are
 * left to the device.
 * @example checkAddressPath([84, 0, 0, 0, 0]) // throws InvalidParameters: write m/84'/0'/0'/0/0
 */
export function checkAddressPath(addressN: readonly number[], field = 'path'): void {
  const first = addressN[0];
  if (first === undefined || addressN.length !== 5) return;
  const purpose = first >= HARDENED ? first - HARDENED : first;
  if (!BIP44_PURPOSES.has(purpose)) return;
  const bad = addressN.findIndex((n, level) => (level <= 2 ? n < HARDENED : n >= HARDENED));
  if (bad < 0) return;
  const what = ['purpose', 'coin type', 'account', 'change', 'address index'][bad]!;
  throw invalidParameter(
    field,
    `${formatPath(addressN)}: the ${what} level of a BIP-${purpose} address path must ${bad <= 2 ? '' : 'not '}be hardened (m/${purpose}'/coin'/account'/change/index)`,
  );
}

/**
 * address_n back to "m/84'/0'/0'/0/0".
 * @example formatPath([0x80000054, 0x80000000, 0x80000000, 0, 0]) // "m/84'/0'/0'/0/0"
 */
export function formatPath(addressN: readonly number[]): string {
  return ['m', ...addressN.map((n) => (n >= HARDENED ? `${n - HARDENED}'` : String(n)))].join('/');
}
