import { describe, expect, it } from 'vitest';
import { formatPath, parsePath } from '../src/path.js';

describe('BIP-32 paths', () => {
  it("parses ' and h hardened markers", () => {
    expect(parsePath("m/84'/0'/0'/0/5")).toEqual([0x80000054, 0x80000000, 0x80000000, 0, 5]);
    expect(parsePath('m/44h/60h/0h')).toEqual([0x8000002c, 0x8000003c, 0x80000000]);
    expect(parsePath('m')).toEqual([]);
    expect(parsePath([1, 2, 0x80000000])).toEqual([1, 2, 0x80000000]);
  });
  it('formats back', () => {
    expect(formatPath(parsePath("m/49'/1'/0'/1/7"))).toBe("m/49'/1'/0'/1/7");
  });
  it('rejects bad input with InvalidParameters naming the field', () => {
    for (const bad of ["m/84'/x", 'm/2147483648', "m//0", [1.5], [-1], [2 ** 32]] as const) {
      expect(() => parsePath(bad as never, 'path')).toThrowError(expect.objectContaining({ code: 'InvalidParameters', field: 'path' }));
    }
  });
});
