/**
 * The host side of THP's transport layer against a scripted device: channel allocation, the
 * Alternating Bit Protocol (sequence / ack bits, duplicates, retransmission), transport errors and
 * malformed or missing packets. Rules: trezor-firmware docs/common/thp/specification.md
 * ("Allocation layer", "Synchronization layer", "Alternating Bit Protocol", "ACK Message
 * structure"); every failure must end in a TrezorError, never a hang.
 */
import { describe, expect, it } from 'vitest';
import { BROADCAST_CID, CONTROL, ThpChannelIO, type ThpFrame } from '../src/protocol/thp-host/channel-io.js';
import { memoryTransport, type MemoryDeviceEnd } from '../src/transport/memory.js';
import { thpFraming as testFraming } from '../src/protocol/thp-host/framing.js';
import { codeOf } from './support/outcome.js';

const CID = 0x1234;
const PROPS = new Uint8Array([0x0a, 0x04, 0x54, 0x33, 0x57, 0x31]); // ThpDeviceProperties { internal_model: 'T3W1' }

interface FakeDevice {
  /** Every frame the host sent, in order (ACKs included). */
  frames: ThpFrame[];
  send(frame: ThpFrame): void;
  sendRaw(packet: Uint8Array): void;
  end: MemoryDeviceEnd;
}

/** A device that hands each whole frame the host sends to `onFrame`. */
async function setup(onFrame: (frame: ThpFrame, device: FakeDevice) => void, options = {}) {
  let device!: FakeDevice;
  const transport = memoryTransport({
    onOpen: (end) => {
      const decoder = testFraming.decoder();
      device = {
        frames: [],
        end,
        send: (frame) => testFraming.encode(frame).forEach((p) => end.write(p)),
        sendRaw: (packet) => end.write(packet),
      };
      void (async () => {
        for (;;) {
          let packet: Uint8Array;
          try {
            packet = await end.read();
          } catch {
            return;
          }
          const decoded = decoder.push(packet);
          if (decoded && 'frame' in decoded) {
            device.frames.push(decoded.frame);
            onFrame(decoded.frame, device);
          }
        }
      })();
    },
  });
  const [descriptor] = await transport.enumerate();
  const connection = await transport.open(descriptor!);
  const io = new ThpChannelIO(connection, testFraming, { ackTimeout: 30, maxRetransmissions: 3, maxBusyBackoff: 10, messageTimeout: 100, ...options });
  return { io, device: () => device, connection };
}

const ack = (bit: number): ThpFrame => ({ ctrl: 0x20 | (bit << 3), cid: CID, payload: new Uint8Array() });
const allocationResponse = (nonce: Uint8Array, cid = CID): ThpFrame => ({
  ctrl: CONTROL.CHANNEL_ALLOCATION_RESPONSE,
  cid: BROADCAST_CID,
  payload: new Uint8Array([...nonce, cid >> 8, cid & 0xff, ...PROPS]),
});
/** A device that allocates CID and acknowledges every data frame. */
function acking(frame: ThpFrame, device: FakeDevice) {
  if (frame.ctrl === CONTROL.CHANNEL_ALLOCATION_REQUEST) device.send(allocationResponse(frame.payload));
  else if ((frame.ctrl & 0xe0) === 0) device.send(ack(frame.ctrl & 0x10 ? 1 : 0));
}

describe('THP channel allocation', () => {
  it('takes the answer carrying its own nonce and ignores others', async () => {
    const { io } = await setup((frame, device) => {
      if (frame.ctrl !== CONTROL.CHANNEL_ALLOCATION_REQUEST) return;
      device.send(allocationResponse(new Uint8Array(8).fill(0xee), 0x0777)); // someone else's
      device.send(allocationResponse(frame.payload));
    });
    const { cid, properties } = await io.allocate();
    expect(cid).toBe(CID);
    expect(io.cid).toBe(CID);
    expect([...properties]).toEqual([...PROPS]);
  });

  it('sends an 8-byte nonce on the broadcast channel and repeats the request when the device is silent', async () => {
    let requests = 0;
    const { io, device } = await setup((frame, dev) => {
      if (frame.ctrl === CONTROL.CHANNEL_ALLOCATION_REQUEST && ++requests === 2) dev.send(allocationResponse(frame.payload));
    });
    await io.allocate();
    const sent = device().frames.filter((f) => f.ctrl === CONTROL.CHANNEL_ALLOCATION_REQUEST);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.cid).toBe(BROADCAST_CID);
    expect(sent[0]!.payload).toHaveLength(8);
    expect(sent[1]!.payload).toEqual(sent[0]!.payload);
  });

  it('gives up with Timeout when nobody answers', async () => {
    const { io } = await setup(() => {});
    expect(await codeOf(io.allocate())).toBe('Timeout');
  });

  it('refuses a reserved channel id with ProtocolError', async () => {
    const { io } = await setup((frame, device) => device.send(allocationResponse(frame.payload, 0xfff5)));
    expect(await codeOf(io.allocate())).toBe('ProtocolError');
  });
});

describe('THP alternating bit: sending', () => {
  it('alternates the sequence bit and resolves on the matching ACK', async () => {
    const { io, device } = await setup(acking);
    await io.allocate();
    await io.send(CONTROL.ENCRYPTED_TRANSPORT, new Uint8Array([1]));
    await io.send(CONTROL.ENCRYPTED_TRANSPORT, new Uint8Array([2]));
    await io.send(CONTROL.ENCRYPTED_TRANSPORT, new Uint8Array([3]));
    const data = device().frames.filter((f) => f.cid === CID);
    expect(data.map((f) => f.ctrl)).toEqual([0x04, 0x14, 0x04]); // seq 0, 1, 0; ack bit never set (no piggybacking)
  });

  it('retransmits the same frame when the ACK is lost, and takes a late duplicate ACK in its stride', async () => {
    let seen = 0;
    const { io, device } = await setup((frame, dev) => {
      if (frame.ctrl === CONTROL.CHANNEL_ALLOCATION_REQUEST) return dev.send(allocationResponse(frame.payload));
      if (frame.cid === CID && ++seen === 2) {
        dev.send(ack(1)); // a stale ACK for the other bit: not ours
        dev.send(ack(0));
      }
    });
    await io.allocate();
    await io.send(CONTROL.HANDSHAKE_INIT_REQUEST, new Uint8Array(33));
    const data = device().frames.filter((f) => f.cid === CID);
    expect(data).toHaveLength(2);
    expect(data[1]).toEqual(data[0]);
  });

  it('ends with Timeout after maxRetransmissions when the device never acknowledges', async () => {
    const { io, device } = await setup((frame, dev) => {
      if (frame.ctrl === CONTROL.CHANNEL_ALLOCATION_REQUEST) dev.send(allocationResponse(frame.payload));
    });
    await io.allocate();
    expect(await codeOf(io.send(CONTROL.ENCRYPTED_TRANSPORT, new Uint8Array([1])))).toBe('Timeout');
    expect(device().frames.filter((f) => f.cid === CID)).toHaveLength(4); // 1 + maxRetransmissions (3)
    expect(await codeOf(io.receive())).toBe('Timeout'); // the channel is over
  });

  it('backs off and retransmits after TRANSPORT_BUSY', async () => {
    let seen = 0;
    const { io, device } = await setup((frame, dev) => {
      if (frame.ctrl === CONTROL.CHANNEL_ALLOCATION_REQUEST) return dev.send(allocationResponse(frame.payload));
      if (frame.cid !== CID) return;
      if (++seen === 1) dev.send({ ctrl: CONTROL.TRANSPORT_ERROR, cid: CID, payload: new Uint8Array([1]) });
      else dev.send(ack(0));
    }, { ackTimeout: 5_000 }); // the retransmission is the busy back-off's, not the ACK timer's
    await io.allocate();
    await io.send(CONTROL.ENCRYPTED_TRANSPORT, new Uint8Array([9]));
    expect(device().frames.filter((f) => f.cid === CID)).toHaveLength(2);
  });

  it('keeps a message the device sent before acknowledging, and still waits for the real ACK', async () => {
    let seen = 0;
    const { io } = await setup((frame, dev) => {
      if (frame.ctrl === CONTROL.CHANNEL_ALLOCATION_REQUEST) return dev.send(allocationResponse(frame.payload));
      if (frame.cid !== CID || (frame.ctrl & 0xe0) !== 0) return;
      if (++seen === 1) dev.send({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload: new Uint8Array([0xaa]) }); // no ACK yet
      else dev.send(ack(0));
    });
    await io.allocate();
    await io.send(CONTROL.ENCRYPTED_TRANSPORT, new Uint8Array([1]));
    expect([...(await io.receive()).payload]).toEqual([0xaa]);
  });
});

describe('THP alternating bit: receiving', () => {
  it('acknowledges each message with its sequence bit and drops a duplicate', async () => {
    const { io, device } = await setup(acking);
    await io.allocate();
    const dev = device();
    const first = { ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload: new Uint8Array([1]) };
    dev.send(first);
    dev.send(first); // retransmitted: the device missed our ACK
    dev.send({ ctrl: CONTROL.ENCRYPTED_TRANSPORT | 0x10, cid: CID, payload: new Uint8Array([2]) });
    expect([...(await io.receive()).payload]).toEqual([1]);
    const second = await io.receive();
    expect([...second.payload]).toEqual([2]);
    expect(second.ctrl).toBe(CONTROL.ENCRYPTED_TRANSPORT); // kind only: sequence bits stripped
    await expect.poll(() => dev.frames.filter((f) => (f.ctrl & 0xf7) === 0x20).map((f) => f.ctrl)).toEqual([0x20, 0x20, 0x28]);
  });

  it('reassembles a frame spread over several packets', async () => {
    const { io, device } = await setup(acking);
    await io.allocate();
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    device().send({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload });
    expect((await io.receive()).payload).toEqual(payload);
  });

  it('ignores other channels, stray continuations and leftover v1 reports', async () => {
    const { io, device } = await setup(acking);
    await io.allocate();
    const dev = device();
    dev.sendRaw(new Uint8Array(64).fill(0x3f)); // "???…": a v1 report
    dev.send({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: 0x0999, payload: new Uint8Array([7]) });
    dev.sendRaw(Uint8Array.of(0x80, CID >> 8, CID & 0xff, 1, 2, 3));
    dev.send({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload: new Uint8Array([8]) });
    expect([...(await io.receive()).payload]).toEqual([8]);
  });

  it('drops a frame with a bad CRC and takes its retransmission', async () => {
    const { io, device } = await setup(acking);
    await io.allocate();
    const [packet] = testFraming.encode({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload: new Uint8Array([5]) });
    const corrupt = packet!.slice();
    corrupt[5] ^= 0xff;
    device().sendRaw(corrupt);
    device().sendRaw(packet!);
    expect([...(await io.receive()).payload]).toEqual([5]);
  });

  it('honours an abort while waiting and leaves the channel usable', async () => {
    const { io, device } = await setup(acking);
    await io.allocate();
    const controller = new AbortController();
    const waiting = io.receive(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow();
    device().send({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload: new Uint8Array([4]) });
    expect([...(await io.receive()).payload]).toEqual([4]);
  });
});

describe('THP transport errors and malformed input end the channel with a code', () => {
  const afterAllocation = async (script: (device: FakeDevice) => void, options = {}) => {
    const { io, device } = await setup(acking, options);
    await io.allocate();
    script(device());
    return io;
  };

  it('UNALLOCATED_CHANNEL and DECRYPTION_FAILED: ChannelLost', async () => {
    for (const code of [2, 3]) {
      const io = await afterAllocation((dev) => dev.send({ ctrl: CONTROL.TRANSPORT_ERROR, cid: CID, payload: new Uint8Array([code]) }));
      expect(await codeOf(io.receive())).toBe('ChannelLost');
      expect(await codeOf(io.send(CONTROL.ENCRYPTED_TRANSPORT, new Uint8Array([1])))).toBe('ChannelLost');
    }
  });

  it('DEVICE_LOCKED: DeviceLocked', async () => {
    const io = await afterAllocation((dev) => dev.send({ ctrl: CONTROL.TRANSPORT_ERROR, cid: CID, payload: new Uint8Array([5]) }));
    expect(await codeOf(io.receive())).toBe('DeviceLocked');
  });

  it('an unknown control byte: ProtocolError', async () => {
    const io = await afterAllocation((dev) => dev.send({ ctrl: 0x07, cid: CID, payload: new Uint8Array([1]) }));
    expect(await codeOf(io.receive())).toBe('ProtocolError');
  });

  it('a length shorter than the CRC: ProtocolError', async () => {
    const io = await afterAllocation((dev) => dev.sendRaw(Uint8Array.of(0x04, CID >> 8, CID & 0xff, 0, 2)));
    expect(await codeOf(io.receive())).toBe('ProtocolError');
  });

  it('a stream of CRC failures: ProtocolError', async () => {
    const io = await afterAllocation((dev) => {
      const [packet] = testFraming.encode({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload: new Uint8Array([5]) });
      packet![5] ^= 0xff;
      for (let i = 0; i < 8; i++) dev.sendRaw(packet!);
    });
    expect(await codeOf(io.receive())).toBe('ProtocolError');
  });

  it('silence in the middle of a frame: Timeout', async () => {
    const io = await afterAllocation((dev) => {
      const packets = testFraming.encode({ ctrl: CONTROL.ENCRYPTED_TRANSPORT, cid: CID, payload: new Uint8Array(200) });
      dev.sendRaw(packets[0]!); // and never the rest
    });
    expect(await codeOf(io.receive())).toBe('Timeout');
  });

  it('an unplugged device: DeviceDisconnected', async () => {
    const io = await afterAllocation((dev) => dev.end.disconnect());
    expect(await codeOf(io.receive())).toBe('DeviceDisconnected');
  });
});
