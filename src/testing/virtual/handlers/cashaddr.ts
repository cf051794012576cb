/**
 * CashAddr, the address format of Bitcoin Cash (the firmware's coin "Bcash"):
 * https://github.com/bitcoincashorg/bitcoincash.org/blob/master/spec/cashaddr.md
 *
 *   prefix ":" base32(version byte ‖ hash ‖ checksum)
 *   version byte = type << 3 | size code (0 = 160-bit hash); type 0 = P2PKH, 1 = P2SH
 *   checksum     = 40-bit BCH code over (prefix chars & 31) ‖ 0 ‖ payload ‖ 8 × 0, xor 1
 *
 * The base32 alphabet is bech32's; only 160-bit hashes (what the device derives) are handled.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x98f2bc8e61n, 0x79b76d99e2n, 0xf33e5fb3c4n, 0xae2eabe2a8n, 0x1e4f43e470n];

export type CashAddrType = 'p2pkh' | 'p2sh';

function polymod(values: readonly number[]): bigint {
  let c = 1n;
  for (const d of values) {
    const c0 = c >> 35n;
    c = ((c & 0x07ffffffffn) << 5n) ^ BigInt(d);
    for (let i = 0; i < 5; i++) if ((c0 >> BigInt(i)) & 1n) c ^= GENERATOR[i]!;
  }
  return c ^ 1n;
}

function prefixWords(prefix: string): number[] {
  return [...Array.from(prefix, (ch) => ch.charCodeAt(0) & 31), 0];
}

/** Regroup bits (8 → 5 with padding, 5 → 8 without); undefined on non-zero padding. */
function convertBits(data: readonly number[], from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const value of data) {
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & max);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    return undefined;
  }
  return out;
}

/**
 * Encode a 20-byte hash as a CashAddr with its prefix.
 * @example cashaddrEncode('bitcoincash', 'p2pkh', hash) // 'bitcoincash:q…'
 */
export function cashaddrEncode(prefix: string, type: CashAddrType, hash: Uint8Array): string {
  if (hash.length !== 20) throw new RangeError(`cashaddrEncode: expected a 20-byte hash, got ${hash.length} bytes`);
  const payload = convertBits([type === 'p2pkh' ? 0 : 8, ...hash], 8, 5, true)!;
  const checksum = polymod([...prefixWords(prefix), ...payload, 0, 0, 0, 0, 0, 0, 0, 0]);
  const words = [...payload];
  for (let i = 0; i < 8; i++) words.push(Number((checksum >> BigInt(5 * (7 - i))) & 31n));
  return `${prefix}:${words.map((w) => CHARSET[w]).join('')}`;
}

/**
 * Decode a CashAddr of `prefix` (the prefix may be omitted); undefined when it is not one.
 * @example cashaddrDecode('bitcoincash', 'bitcoincash:qr08q88p9etk89wgv05nwlrkm4l0urz4cyl36hh9sv')?.type // 'p2pkh'
 */
export function cashaddrDecode(prefix: string, address: string): { type: CashAddrType; hash: Uint8Array } | undefined {
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) return undefined;
  const text = address.toLowerCase();
  const colon = text.lastIndexOf(':');
  if (colon >= 0 && text.slice(0, colon) !== prefix) return undefined;
  const body = colon >= 0 ? text.slice(colon + 1) : text;
  const words: number[] = [];
  for (const ch of body) {
    const w = CHARSET.indexOf(ch);
    if (w < 0) return undefined;
    words.push(w);
  }
  if (words.length < 9 || polymod([...prefixWords(prefix), ...words]) !== 0n) return undefined;
  const bytes = convertBits(words.slice(0, -8), 5, 8, false);
  if (!bytes || bytes.length !== 21) return undefined;
  const version = bytes[0]!;
  if ((version & 7) !== 0) return undefined;
  const type = version >> 3 === 0 ? 'p2pkh' : version >> 3 === 1 ? 'p2sh' : undefined;
  if (!type) return undefined;
  return { type, hash: Uint8Array.from(bytes.slice(1)) };
}
