/**
 * TEST ONLY, until the THP core's framing (src/protocol/thp/) is on this branch: a plain
 * implementation of the THP packet layout (specification, "Transport packet structure") for the
 * channel I/O tests' fake device. Initiation packet [ctrl | cid u16 | length u16 | payload…],
 * continuation [0x80 | cid u16 | payload…], CRC-32 (IEEE) big-endian over header and payload.
 */
import { crc32 } from 'node:zlib';
import { protocolError } from '../../src/errors.js';
import type { ThpDecoded, ThpDecoder, ThpFrame, ThpFraming } from '../../src/protocol/thp-host/channel-io.js';

const SIZE = 64;

function checked(frame: ThpFrame): Uint8Array {
  const out = new Uint8Array(5 + frame.payload.length + 4);
  out[0] = frame.ctrl;
  out[1] = frame.cid >> 8;
  out[2] = frame.cid & 0xff;
  const length = frame.payload.length + 4;
  out[3] = length >> 8;
  out[4] = length & 0xff;
  out.set(frame.payload, 5);
  new DataView(out.buffer).setUint32(5 + frame.payload.length, crc32(out.subarray(0, 5 + frame.payload.length)) >>> 0);
  return out;
}

export const testFraming: ThpFraming = {
  encode(frame) {
    const bytes = checked(frame);
    const packets: Uint8Array[] = [];
    const first = new Uint8Array(SIZE);
    first.set(bytes.subarray(0, SIZE));
    packets.push(first);
    for (let offset = SIZE; offset < bytes.length; offset += SIZE - 3) {
      const packet = new Uint8Array(SIZE);
      packet[0] = 0x80;
      packet[1] = frame.cid >> 8;
      packet[2] = frame.cid & 0xff;
      packet.set(bytes.subarray(offset, offset + SIZE - 3), 3);
      packets.push(packet);
    }
    return packets;
  },
  decoder(): ThpDecoder {
    let header: { ctrl: number; cid: number; length: number } | undefined;
    let body = new Uint8Array(0);
    let received = 0;
    return {
      get pending() {
        return header !== undefined;
      },
      push(packet): ThpDecoded {
        const ctrl = packet[0]!;
        const cid = (packet[1]! << 8) | packet[2]!;
        if (ctrl & 0x80) {
          if (!header || cid !== header.cid) return undefined;
          const take = packet.subarray(3, 3 + Math.min(SIZE - 3, header.length - received));
          body.set(take, received);
          received += take.length;
        } else {
          const length = (packet[3]! << 8) | packet[4]!;
          if (length < 4) throw protocolError(`THP frame length ${length} is shorter than its CRC`);
          header = { ctrl, cid, length };
          body = new Uint8Array(length);
          const take = packet.subarray(5, 5 + Math.min(SIZE - 5, length));
          body.set(take, 0);
          received = take.length;
        }
        if (received < header.length) return undefined;
        const h = header;
        header = undefined;
        const payload = body.slice(0, h.length - 4);
        const expected = new DataView(body.buffer).getUint32(h.length - 4);
        const head = new Uint8Array([h.ctrl, h.cid >> 8, h.cid & 0xff, h.length >> 8, h.length & 0xff]);
        const actual = crc32(Buffer.concat([head, payload])) >>> 0;
        if (actual !== expected) return { crcError: true };
        return { frame: { ctrl: h.ctrl, cid: h.cid, payload } };
      },
    };
  },
};
