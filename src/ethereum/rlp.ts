/**
 * RLP encoding (Ethereum Yellow Paper, appendix B), the little of it transactions need: byte
 * strings and lists of them. It exists so a signed transaction is serialized, and its signing
 * hash computed, from the very fields sent to the device without ethers or viem: what the host
 * hashes is then what the firmware hashed (core/src/apps/ethereum/sign_tx.py feeds the same
 * items, in the same order, to its RLP writer).
 *
 *   string of 1 byte < 0x80          the byte itself
 *   string of 0–55 bytes             0x80 + length ‖ bytes
 *   longer string                    0xb7 + len(length) ‖ length (big-endian) ‖ bytes
 *   list, payload of 0–55 bytes      0xc0 + length ‖ items
 *   longer list                      0xf7 + len(length) ‖ length ‖ items
 */

/** A byte string or a list of items. */
export type RlpItem = Uint8Array | readonly RlpItem[];

/**
 * The RLP encoding of `item`, in one buffer (sizes are computed first, then written once).
 * @example rlpEncode([new Uint8Array([0x83]), []]) // Uint8Array [0xc3, 0x81, 0x83, 0xc0]
 */
export function rlpEncode(item: RlpItem): Uint8Array {
  const out = new Uint8Array(encodedLength(item));
  const end = write(item, out, 0);
  if (end !== out.length) throw new Error('rlpEncode: size mismatch'); // unreachable: both walks agree
  return out;
}

function headerLength(payload: number): number {
  if (payload <= 55) return 1;
  let bytes = 0;
  for (let n = payload; n > 0; n = Math.floor(n / 256)) bytes++;
  return 1 + bytes;
}

function payloadLength(item: RlpItem): number {
  if (item instanceof Uint8Array) return item.length;
  let total = 0;
  for (const child of item) total += encodedLength(child);
  return total;
}

function encodedLength(item: RlpItem): number {
  if (item instanceof Uint8Array && item.length === 1 && item[0]! < 0x80) return 1;
  const payload = payloadLength(item);
  return headerLength(payload) + payload;
}

function writeHeader(out: Uint8Array, at: number, payload: number, short: number, long: number): number {
  if (payload <= 55) {
    out[at] = short + payload;
    return at + 1;
  }
  const size = headerLength(payload) - 1;
  out[at] = long + size;
  for (let i = size, n = payload; i >= 1; i--, n = Math.floor(n / 256)) out[at + i] = n % 256;
  return at + 1 + size;
}

function write(item: RlpItem, out: Uint8Array, at: number): number {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0]! < 0x80) {
      out[at] = item[0]!;
      return at + 1;
    }
    at = writeHeader(out, at, item.length, 0x80, 0xb7);
    out.set(item, at);
    return at + item.length;
  }
  at = writeHeader(out, at, payloadLength(item), 0xc0, 0xf7);
  for (const child of item) at = write(child, out, at);
  return at;
}
