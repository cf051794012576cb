/**
 * THP framing: one frame `(control byte, channel id, data)` ⇄ packets of the data transfer
 * layer (64 bytes on USB and UDP). Pure, no I/O.
 *
 * Initiation packet:   [ ctrl | cid u16 BE | length u16 BE | data ‖ crc32 … ]   padded with 0
 * Continuation packet: [ 0x80 | cid u16 BE | rest … ]                             padded with 0
 * `length` counts data plus the 4-byte CRC; the CRC-32 (big-endian) covers the 5 header bytes
 * and the data (specification, "Transport packet structure" and "Error detection layer";
 * trezorlib 0.20.1 thp/message.py builds the same bytes).
 *
 * FrameDecoder is an incremental reducer over packets with bounded memory: the declared length
 * is a u16 (and may be capped lower), a frame is complete exactly when its bytes are in, and a
 * bad CRC, an unknown control byte, a continuation for another channel while assembling, or a
 * declared length the CRC cannot fit in is a ProtocolError; it never waits for more than the
 * declared length. A stray continuation packet is ignored, and a new initiation packet on a
 * channel restarts that channel's frame, as the specification's segmenting layer says.
 */
import { protocolError } from '../../errors.js';
import { crc32 } from './crc32.js';
import { CONTINUATION, isKnownControl } from './control.js';

/** Packet size of USB and the emulator's UDP. */
export const PACKET_SIZE = 64;
/** The broadcast channel: channel allocation, ping/pong. */
export const BROADCAST_CHANNEL = 0xffff;
const INIT_HEADER = 5;
const CONT_HEADER = 3;
const CRC_SIZE = 4;
/** Largest data a frame can carry: the u16 length minus the CRC. */
export const MAX_FRAME_DATA = 0xffff - CRC_SIZE;

/** One THP transport payload: control byte, channel and data (without the CRC). */
export interface Frame {
  ctrl: number;
  cid: number;
  data: Uint8Array;
}

function checkFrame(frame: Frame): void {
  if (!Number.isInteger(frame.ctrl) || frame.ctrl < 0 || frame.ctrl > 0xff) throw protocolError(`control byte out of range: ${String(frame.ctrl)}`);
  if (!Number.isInteger(frame.cid) || frame.cid < 0 || frame.cid > 0xffff) throw protocolError(`channel id out of range: ${String(frame.cid)}`);
  if (frame.data.length > MAX_FRAME_DATA) throw protocolError(`frame data too long: ${frame.data.length} bytes`);
}

/**
 * The frame as one byte string: header, data and CRC (what a stream transport or the CRC
 * sees; packets are cut from it).
 * @example encodeFrame({ ctrl: 0x20, cid: 0x1234, data: new Uint8Array() }) // 20 1234 0004 + crc
 */
export function encodeFrame(frame: Frame): Uint8Array {
  checkFrame(frame);
  const out = new Uint8Array(INIT_HEADER + frame.data.length + CRC_SIZE);
  const view = new DataView(out.buffer);
  out[0] = frame.ctrl;
  view.setUint16(1, frame.cid);
  view.setUint16(3, frame.data.length + CRC_SIZE);
  out.set(frame.data, INIT_HEADER);
  view.setUint32(INIT_HEADER + frame.data.length, crc32(out.subarray(0, INIT_HEADER + frame.data.length)));
  return out;
}

/**
 * Cut a frame into zero-padded packets.
 * @example encodePackets({ ctrl: 0x40, cid: 0xffff, data: nonce }) // one 64-byte packet
 */
export function encodePackets(frame: Frame, packetSize = PACKET_SIZE): Uint8Array[] {
  if (!Number.isInteger(packetSize) || packetSize <= INIT_HEADER) throw protocolError(`packet size too small: ${packetSize}`);
  const bytes = encodeFrame(frame);
  const packets: Uint8Array[] = [];
  const first = new Uint8Array(packetSize);
  first.set(bytes.subarray(0, packetSize));
  packets.push(first);
  for (let offset = packetSize; offset < bytes.length; offset += packetSize - CONT_HEADER) {
    const packet = new Uint8Array(packetSize);
    packet[0] = CONTINUATION;
    packet[1] = frame.cid >> 8;
    packet[2] = frame.cid & 0xff;
    packet.set(bytes.subarray(offset, offset + packetSize - CONT_HEADER), CONT_HEADER);
    packets.push(packet);
  }
  return packets;
}

/**
 * Parse a whole frame from its bytes (header, data, CRC). Trailing bytes past the declared
 * length (padding) are ignored.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length < INIT_HEADER + CRC_SIZE) throw protocolError('THP frame too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(3);
  if (length < CRC_SIZE) throw protocolError(`THP frame length ${length} cannot hold its checksum`);
  if (bytes.length < INIT_HEADER + length) throw protocolError('THP frame shorter than its declared length');
  const end = INIT_HEADER + length - CRC_SIZE;
  const expected = view.getUint32(end);
  if (crc32(bytes.subarray(0, end)) !== expected) throw protocolError('THP frame checksum mismatch');
  return { ctrl: bytes[0]!, cid: view.getUint16(1), data: bytes.slice(INIT_HEADER, end) };
}

export interface FrameDecoderOptions {
  packetSize?: number;
  /** Cap on a declared length (data plus CRC), default the u16 maximum. */
  maxLength?: number;
}

/**
 * Reassembles packets into frames, one frame at a time.
 * @example
 * const decoder = new FrameDecoder();
 * for (const p of packets) { const frame = decoder.push(p); if (frame) handle(frame); }
 */
export class FrameDecoder {
  private readonly packetSize: number;
  private readonly maxLength: number;
  private buffer: Uint8Array | undefined;
  private filled = 0;
  private cid = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.packetSize = options.packetSize ?? PACKET_SIZE;
    this.maxLength = Math.min(options.maxLength ?? 0xffff, 0xffff);
  }

  /** A frame is being assembled. */
  get busy(): boolean {
    return this.buffer !== undefined;
  }

  /** Drop a partly assembled frame. */
  reset(): void {
    this.buffer = undefined;
    this.filled = 0;
  }

  /**
   * Feed one packet. Returns the frame it completes, or undefined when more packets are needed
   * (or the packet was a stray continuation). Throws ProtocolError on a malformed packet; the
   * decoder is then reset and ready for the next initiation packet.
   */
  push(packet: Uint8Array): Frame | undefined {
    if (packet.length < CONT_HEADER) throw this.fail('THP packet too short');
    const ctrl = packet[0]!;
    const cid = (packet[1]! << 8) | packet[2]!;
    if (ctrl & CONTINUATION) {
      if (!this.buffer) return undefined; // nothing expected: discard (segmenting layer)
      if (cid !== this.cid) throw this.fail(`continuation packet for channel ${hex4(cid)} while assembling ${hex4(this.cid)}`);
      this.append(packet.subarray(CONT_HEADER, this.packetSize));
    } else {
      this.reset();
      if (!isKnownControl(ctrl)) throw this.fail(`unknown THP control byte 0x${ctrl.toString(16).padStart(2, '0')}`);
      if (packet.length < INIT_HEADER) throw this.fail('THP initiation packet too short');
      const length = (packet[3]! << 8) | packet[4]!;
      if (length < CRC_SIZE) throw this.fail(`THP frame length ${length} cannot hold its checksum`);
      if (length > this.maxLength) throw this.fail(`THP frame length ${length} over the limit of ${this.maxLength}`);
      this.buffer = new Uint8Array(INIT_HEADER + length);
      this.cid = cid;
      this.filled = 0;
      this.append(packet.subarray(0, this.packetSize));
    }
    if (this.filled < this.buffer.length) return undefined;
    const bytes = this.buffer;
    this.reset();
    return decodeFrame(bytes);
  }

  private append(chunk: Uint8Array): void {
    const buffer = this.buffer!;
    const take = Math.min(chunk.length, buffer.length - this.filled);
    buffer.set(chunk.subarray(0, take), this.filled);
    this.filled += take;
  }

  private fail(message: string): Error {
    this.reset();
    return protocolError(message);
  }
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
