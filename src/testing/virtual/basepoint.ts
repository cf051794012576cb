/**
 * k·G on secp256k1, fast and in variable time, for the virtual device's signatures (./ecdsa.ts).
 *
 * A signature spends most of its time on one multiplication of the generator G by the nonce.
 * This one is a fixed-base comb: the scalar is cut into signed 7-bit digits, one per window of
 * 7 bits, and the table holds 1..64 times 2^(7i)·G for every window i in affine coordinates,
 * so that k·G is about 37 mixed additions (Jacobian + affine, 7M + 4S: EFD madd-2007-bl) and
 * no doubling; the field reduction uses p = 2^256 − 0x1000003d1. noble's multiplyUnsafe over
 * its own window-8 table takes about twice as long: its complete projective formulas cost more
 * multiplications and a division per field operation. The table (2368 points) is built on
 * the first call, in some tens of milliseconds.
 *
 * Variable time on purpose: the device's keys are test keys. test/virtual-ecdsa.test.ts
 * compares it with noble's point multiplication, edge scalars included.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';

const P = secp256k1.Point.Fp.ORDER;
const N = secp256k1.Point.Fn.ORDER;
const LOW_256 = (1n << 256n) - 1n;
/** 2^256 mod p. */
const FOLD = 0x1000003d1n;

/** x mod p for 0 ≤ x < 2^512 (two folds of the high half, one subtraction). */
function reduce(x: bigint): bigint {
  x = (x & LOW_256) + (x >> 256n) * FOLD;
  x = (x & LOW_256) + (x >> 256n) * FOLD;
  return x >= P ? x - P : x;
}

function mul(a: bigint, b: bigint): bigint {
  return reduce(a * b);
}

function add(a: bigint, b: bigint): bigint {
  const sum = a + b;
  return sum >= P ? sum - P : sum;
}

function sub(a: bigint, b: bigint): bigint {
  const difference = a - b;
  return difference < 0n ? difference + P : difference;
}

function invert(a: bigint): bigint {
  return secp256k1.Point.Fp.inv(a);
}

/** A point in Jacobian coordinates (x = X/Z², y = Y/Z³); undefined is the point at infinity. */
type Jacobian = readonly [bigint, bigint, bigint];

/** 2·(X, Y, Z) (EFD dbl-2009-l, a = 0); only reached when a sum meets its own summand. */
function double([x1, y1, z1]: Jacobian): Jacobian {
  const a = mul(x1, x1);
  const b = mul(y1, y1);
  const c = mul(b, b);
  const xb = add(x1, b);
  const d2 = sub(sub(mul(xb, xb), a), c);
  const d = add(d2, d2);
  const e = add(add(a, a), a);
  const x3 = sub(mul(e, e), add(d, d));
  const c2 = add(c, c);
  const c4 = add(c2, c2);
  const y3 = sub(mul(e, sub(d, x3)), add(c4, c4));
  return [x3, y3, mul(add(y1, y1), z1)];
}

/** (X1, Y1, Z1) + (x2, y2) with the second point affine (EFD madd-2007-bl, a = 0). */
function addAffine(p: Jacobian | undefined, x2: bigint, y2: bigint): Jacobian | undefined {
  if (p === undefined) return [x2, y2, 1n];
  const [x1, y1, z1] = p;
  const z1z1 = mul(z1, z1);
  const u2 = mul(x2, z1z1);
  const s2 = mul(mul(y2, z1), z1z1);
  const h = sub(u2, x1);
  const halfR = sub(s2, y1);
  if (h === 0n) return halfR === 0n ? double(p) : undefined; // the same point, or its negation
  const hh = mul(h, h);
  const i2 = add(hh, hh);
  const i = add(i2, i2);
  const j = mul(h, i);
  const r = add(halfR, halfR);
  const v = mul(x1, i);
  const x3 = sub(sub(mul(r, r), j), add(v, v));
  const y1j = mul(y1, j);
  const z1h = add(z1, h);
  return [x3, sub(mul(r, sub(v, x3)), add(y1j, y1j)), sub(sub(mul(z1h, z1h), z1z1), hh)];
}

/** Bits per window; digits run over −2^(BITS−1) .. 2^(BITS−1) − 1. */
const BITS = 7;
const HALF = 1 << (BITS - 1);
const MASK = BigInt((1 << BITS) - 1);
const SHIFT = BigInt(BITS);
/** Windows of a 256-bit scalar, plus room for the last carry. */
const WINDOWS = Math.ceil(257 / BITS);

/** table[i][2(j−1)], table[i][2(j−1)+1]: affine x, y of j·2^(BITS·i)·G, j = 1..HALF. */
let table: bigint[][] | undefined;

/** Affine coordinates of Jacobian points, with one inversion for all of them (Montgomery's trick). */
function toAffine(points: readonly Jacobian[]): bigint[] {
  const prefix: bigint[] = new Array(points.length);
  let product = 1n;
  points.forEach((point, index) => {
    prefix[index] = product;
    product = mul(product, point[2]);
  });
  let inverse = invert(product);
  const out: bigint[] = new Array(2 * points.length);
  for (let index = points.length - 1; index >= 0; index--) {
    const point = points[index]!;
    const zInverse = mul(inverse, prefix[index]!);
    inverse = mul(inverse, point[2]);
    const zInverse2 = mul(zInverse, zInverse);
    out[2 * index] = mul(point[0], zInverse2);
    out[2 * index + 1] = mul(point[1], mul(zInverse2, zInverse));
  }
  return out;
}

function buildTable(): bigint[][] {
  const rows: bigint[][] = [];
  const g = secp256k1.Point.BASE.toAffine();
  let baseX = g.x;
  let baseY = g.y;
  for (let window = 0; window < WINDOWS; window++) {
    const multiples: Jacobian[] = [];
    let sum: Jacobian | undefined;
    for (let j = 1; j <= HALF; j++) {
      sum = addAffine(sum, baseX, baseY)!;
      multiples.push(sum);
    }
    rows.push(toAffine(multiples));
    // The next window's base: 2^BITS times this one = twice its largest multiple.
    [baseX, baseY] = toAffine([double(multiples[HALF - 1]!)]) as [bigint, bigint];
  }
  return rows;
}

/**
 * k·G for 1 ≤ k < n, as affine coordinates.
 * @example const { x, y } = multiplyBase(k) // x, y of k·G
 */
export function multiplyBase(k: bigint): { x: bigint; y: bigint } {
  if (k <= 0n || k >= N) throw new RangeError('multiplyBase: the scalar must be in 1..n-1');
  const rows = (table ??= buildTable());
  let sum: Jacobian | undefined;
  let rest = k;
  let carry = 0;
  for (let window = 0; window < WINDOWS; window++) {
    let digit = Number(rest & MASK) + carry;
    rest >>= SHIFT;
    carry = 0;
    if (digit >= HALF) {
      digit -= 2 * HALF;
      carry = 1;
    }
    if (digit === 0) continue;
    const row = rows[window]!;
    const at = 2 * (Math.abs(digit) - 1);
    const y = row[at + 1]!;
    sum = addAffine(sum, row[at]!, digit > 0 ? y : P - y);
  }
  if (sum === undefined) throw new Error('multiplyBase: k·G is the point at infinity'); // cannot happen for 0 < k < n
  const [x, y] = toAffine([sum]) as [bigint, bigint];
  return { x, y };
}
