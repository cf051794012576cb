/**
 * CashAddr, the address format of Bitcoin Cash (the firmware's coin "Bcash" and "Bcash
 * Testnet"), which the device shows and reads instead of base58 for P2PKH and P2SH.
 *
 * Spec: bitcoincash.org spec/cashaddr.md. An address is `prefix:payload`, the payload in the
 * bech32 alphabet: a version byte (type << 3 | size code) and the hash, regrouped into 5-bit
 * words, then a 40-bit BCH checksum over the prefix (low 5 bits of each character), a 0 word,
 * the payload words and eight 0 words. Type 0 is P2PKH, 1 is P2SH; size code 0 is 160 bits.
 *
 * This module lives apart from address.ts so that only an app that imports a Bitcoin Cash coin
 * (coins-family.ts) bundles it: the coin object carries it as its `addressFormat`.
 */
import { bech32 } from '@scure/base';

const ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATORS = [0x98f2bc8e61n, 0x79b76d99e2n, 0xf33e5fb3c4n, 0xae2eabe2a8n, 0x1e4f43e470n];
/** Hash sizes in bytes by size code (spec: "Size bits"). */
const HASH_SIZES = [20, 24, 28, 32, 40, 48, 56, 64];

function polymod(words: readonly number[]): bigint {
  let c = 1n;
  for (const d of words) {
    const c0 = c >> 35n;
    c = ((c & 0x07ffffffffn) << 5n) ^ BigInt(d);
    for (let i = 0; i < 5; i++) if ((c0 >> BigInt(i)) & 1n) c ^= GENERATORS[i]!;
  }
  return c ^ 1n;
}

function prefixWords(prefix: string): number[] {
  return [...prefix].map((ch) => ch.charCodeAt(0) & 31);
}

/**
 * Encode a hash as a CashAddr with its prefix; `type` 0 is P2PKH, 1 P2SH (any 4-bit type is
 * encoded, as the spec's test vectors do).
 * @example cashaddrEncode('bitcoincash', 0, hash) // 'bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2'
 */
export function cashaddrEncode(prefix: string, type: number, hash: Uint8Array): string {
  const sizeCode = HASH_SIZES.indexOf(hash.length);
  if (sizeCode < 0 || type < 0 || type > 15) throw new RangeError(`cashaddr: cannot encode type ${type} with a ${hash.length}-byte hash`);
  const payload = bech32.toWords(Uint8Array.of((type << 3) | sizeCode, ...hash));
  const mod = polymod([...prefixWords(prefix), 0, ...payload, 0, 0, 0, 0, 0, 0, 0, 0]);
  let out = `${prefix}:`;
  for (const w of payload) out += ALPHABET[w];
  for (let i = 0; i < 8; i++) out += ALPHABET[Number((mod >> BigInt(5 * (7 - i))) & 31n)];
  return out;
}

/**
 * Decode a CashAddr whose prefix is `prefix` (written out or left off, as wallets accept it);
 * undefined when it is not one: wrong prefix, mixed case, bad checksum, size and length disagree.
 * @example cashaddrDecode('bitcoincash', 'bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a') // { type: 0, hash }
 */
export function cashaddrDecode(prefix: string, address: string): { type: number; hash: Uint8Array } | undefined {
  if (typeof address !== 'string' || (address !== address.toLowerCase() && address !== address.toUpperCase())) return undefined;
  const lower = address.toLowerCase();
  const colon = lower.lastIndexOf(':');
  if (colon >= 0 && lower.slice(0, colon) !== prefix) return undefined;
  const body = lower.slice(colon + 1);
  if (body.length < 9) return undefined;
  const words: number[] = [];
  for (const ch of body) {
    const w = ALPHABET.indexOf(ch);
    if (w < 0) return undefined;
    words.push(w);
  }
  if (polymod([...prefixWords(prefix), 0, ...words]) !== 0n) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = bech32.fromWords(words.slice(0, -8));
  } catch {
    return undefined;
  }
  const version = bytes[0]!;
  const hash = bytes.slice(1);
  if (version & 0x80 || HASH_SIZES[version & 7] !== hash.length) return undefined;
  return { type: version >> 3, hash };
}

/** What coins-family.ts hangs on a coin whose addresses are CashAddr (see CoinInfo.addressFormat). */
export interface AddressFormat {
  /** The address of a P2PKH / P2SH output script, or undefined for other scripts. */
  encode(script: Uint8Array): string | undefined;
  /** The output script of an address in this format, or undefined. */
  decode(address: string): Uint8Array | undefined;
}

/**
 * The CashAddr address format of a prefix: P2PKH and P2SH scripts with 160-bit hashes.
 * @example cashaddrFormat('bchtest').encode(script) // 'bchtest:q…'
 */
export function cashaddrFormat(prefix: string): AddressFormat {
  return {
    encode(script) {
      if (script.length === 25 && script[0] === 0x76 && script[1] === 0xa9 && script[2] === 0x14 && script[23] === 0x88 && script[24] === 0xac) {
        return cashaddrEncode(prefix, 0, script.subarray(3, 23));
      }
      if (script.length === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87) return cashaddrEncode(prefix, 1, script.subarray(2, 22));
      return undefined;
    },
    decode(address) {
      const decoded = cashaddrDecode(prefix, address);
      if (!decoded || decoded.hash.length !== 20) return undefined;
      const h = decoded.hash;
      if (decoded.type === 0) return Uint8Array.of(0x76, 0xa9, 0x14, ...h, 0x88, 0xac);
      if (decoded.type === 1) return Uint8Array.of(0xa9, 0x14, ...h, 0x87);
      return undefined;
    },
  };
}
