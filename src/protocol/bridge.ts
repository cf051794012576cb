/**
 * The Bridge (trezord) body form of a message: hex of `type u16 BE ‖ length u32 BE ‖ payload`,
 * no `?##` magic, no 64-byte chunking (shared PROTOCOL.md §4.4; trezord-go core/core.go).
 */
import { protocolError } from '../errors.js';
import type { Message } from './v1.js';

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!;
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw protocolError('malformed hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Encode a message as a Bridge `/call` body. */
export function encodeBridge(type: number, payload: Uint8Array): string {
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw protocolError(`message type out of range: ${type}`);
  const head = new Uint8Array(6);
  const view = new DataView(head.buffer);
  view.setUint16(0, type);
  view.setUint32(2, payload.length);
  return toHex(head) + toHex(payload);
}

/** Decode a Bridge reply body; the declared length must match the bytes present. */
export function decodeBridge(hex: string, maxLength = 16 * 1024 * 1024): Message {
  const bytes = fromHex(hex.trim());
  if (bytes.length < 6) throw protocolError('bridge message shorter than its 6-byte header');
  const view = new DataView(bytes.buffer);
  const type = view.getUint16(0);
  const length = view.getUint32(2);
  if (length > maxLength) throw protocolError(`declared message length ${length} exceeds the limit of ${maxLength} bytes`);
  if (bytes.length - 6 < length) throw protocolError('bridge message shorter than its declared length');
  return { type, payload: bytes.subarray(6, 6 + length) };
}
