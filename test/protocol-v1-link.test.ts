/**
 * The v1 MessageLink over an in-memory report connection: messages cut into 64-byte reports and
 * put back together, a malformed frame surfaced as ProtocolError with reassembly starting over,
 * a device silent in the middle of a message ending in Timeout (and the link closed), writes
 * one at a time, and the device going away. Report bytes are built by the pure v1 framing
 * (tested with vectors in protocol-v1.test.ts), never by the link under test.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeReports, encodeReports } from '../src/protocol/v1.js';
import { v1Link } from '../src/protocol/v1-link.js';
import type { MessageLink } from '../src/protocol/link.js';
import { memoryTransport, type MemoryDeviceEnd } from '../src/transport/memory.js';
import type { TransportConnection } from '../src/transport/types.js';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

async function pair(wrap: (c: TransportConnection) => TransportConnection = (c) => c) {
  let device!: MemoryDeviceEnd;
  const transport = memoryTransport({ onOpen: (end) => (device = end) });
  const [descriptor] = await transport.enumerate();
  const connection = wrap(await transport.open(descriptor!));
  return { device, connection, link: v1Link(connection, { messageTimeout: 50 }) };
}

/** The next `count` reports the host wrote, as the device sees them. */
async function written(device: MemoryDeviceEnd, count: number): Promise<Uint8Array[]> {
  const reports: Uint8Array[] = [];
  for (let i = 0; i < count; i++) reports.push(await device.read());
  return reports;
}

const links: MessageLink[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) await link.close();
  vi.useRealTimers();
});

async function open(wrap?: (c: TransportConnection) => TransportConnection) {
  const opened = await pair(wrap);
  links.push(opened.link);
  return opened;
}

describe('v1 link: framing', () => {
  it('says which protocol it speaks', async () => {
    expect((await open()).link.protocol).toBe('v1');
  });

  it('writes a message as the v1 reports of its payload', async () => {
    const { device, link } = await open();
    const payload = bytes(200); // 55 + 63 + 63 + 19: four reports
    await link.write({ type: 1, payload });
    const reports = await written(device, 4);
    expect(reports.every((r) => r.length === 64)).toBe(true);
    expect(reports).toEqual(encodeReports(1, payload));
    expect(decodeReports(reports)).toEqual({ type: 1, payload });
  });

  it('reads a message split across reports that arrive one by one', async () => {
    const { device, link } = await open();
    const payload = bytes(300, 5);
    const reading = link.read();
    for (const report of encodeReports(2, payload)) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      device.write(report);
    }
    expect(await reading).toEqual({ type: 2, payload });
  });

  it('reads two messages that arrive back to back, each whole', async () => {
    const { device, link } = await open();
    for (const r of [...encodeReports(2, bytes(100)), ...encodeReports(17, bytes(3))]) device.write(r);
    expect(await link.read()).toEqual({ type: 2, payload: bytes(100) });
    expect(await link.read()).toEqual({ type: 17, payload: bytes(3) });
  });

  it('rejects a message type outside u16 before writing anything', async () => {
    const { device, link } = await open();
    await expect(link.write({ type: 0x10000, payload: new Uint8Array() })).rejects.toMatchObject({ code: 'ProtocolError' });
    await link.write({ type: 55, payload: new Uint8Array() });
    expect(decodeReports(await written(device, 1))).toEqual({ type: 55, payload: new Uint8Array() });
  });

  it('writes one message at a time: a message written while another goes out follows its last report', async () => {
    const slow = (c: TransportConnection): TransportConnection => ({
      ...c,
      write: async (report, signal) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return c.write(report, signal);
      },
    });
    const { device, link } = await open(slow);
    const long = bytes(400); // 7 reports
    const first = link.write({ type: 18, payload: long });
    const second = link.write({ type: 20, payload: new Uint8Array() }); // a Cancel
    await Promise.all([first, second]);
    const reports = await written(device, 8);
    expect(decodeReports(reports.slice(0, 7))).toEqual({ type: 18, payload: long });
    expect(decodeReports(reports.slice(7))).toEqual({ type: 20, payload: new Uint8Array() });
  });
});

describe('v1 link: a connection that writes the reports of a message together', () => {
  /** A recording connection with writeReports; `fail` makes the next writeReports reject. */
  function batching() {
    const calls: { kind: 'write' | 'writeReports'; reports: Uint8Array[] }[] = [];
    let fail: unknown;
    const hooks: { during?: () => void } = {};
    const connection: TransportConnection = {
      read: () => new Promise<Uint8Array>(() => undefined),
      write: async (report) => void calls.push({ kind: 'write', reports: [report] }),
      writeReports: async (reports) => {
        const during = hooks.during;
        hooks.during = undefined;
        during?.(); // as a transport's caller may do: an abort listener set off by this write
        if (fail !== undefined) {
          const error = fail;
          fail = undefined;
          throw error;
        }
        calls.push({ kind: 'writeReports', reports: [...reports] });
      },
      close: async () => undefined,
      onDisconnect: () => () => undefined,
    };
    return { calls, connection, hooks, failNext: (error: unknown) => (fail = error) };
  }

  it('a message of several reports goes out in one writeReports call, a one-report message through write()', async () => {
    const { calls, connection } = batching();
    const link = v1Link(connection);
    await link.write({ type: 18, payload: bytes(300) });
    await link.write({ type: 20, payload: new Uint8Array() });
    expect(calls.map((c) => c.kind)).toEqual(['writeReports', 'write']);
    expect(calls[0]!.reports).toEqual(encodeReports(18, bytes(300)));
    expect(calls[1]!.reports).toEqual(encodeReports(20, new Uint8Array()));
  });

  it('a message written while another is starting to go out (a Cancel from an abort listener) follows it', async () => {
    const { calls, connection, hooks } = batching();
    const link = v1Link(connection);
    let cancel: Promise<void> | undefined;
    hooks.during = () => (cancel = link.write({ type: 20, payload: new Uint8Array() }));
    await link.write({ type: 18, payload: bytes(300) });
    await cancel;
    expect(calls.map((c) => c.kind)).toEqual(['writeReports', 'write']);
    expect(decodeReports(calls[0]!.reports)).toEqual({ type: 18, payload: bytes(300) });
    expect(decodeReports(calls[1]!.reports)).toEqual({ type: 20, payload: new Uint8Array() });
  });

  it('a failed writeReports rejects that write with its error; the next message still goes out', async () => {
    const { calls, connection, failNext } = batching();
    const link = v1Link(connection);
    const gone = new Error('gone');
    failNext(gone);
    const first = link.write({ type: 18, payload: bytes(300) });
    const second = link.write({ type: 18, payload: bytes(100, 4) });
    await expect(first).rejects.toBe(gone);
    await second;
    expect(calls).toHaveLength(1);
    expect(decodeReports(calls[0]!.reports)).toEqual({ type: 18, payload: bytes(100, 4) });
  });
});

describe('v1 link: faults', () => {
  it('a bad continuation magic rejects that read with ProtocolError; the next message reads whole', async () => {
    const { device, link } = await open();
    const [head] = encodeReports(2, bytes(100));
    const broken = new Uint8Array(64).fill(0x55); // continuation without '?'
    device.write(head!);
    device.write(broken);
    await expect(link.read()).rejects.toMatchObject({ code: 'ProtocolError' });
    for (const r of encodeReports(3, bytes(90, 9))) device.write(r);
    expect(await link.read()).toEqual({ type: 3, payload: bytes(90, 9) });
  });

  it('an oversize declared length is a ProtocolError, then reassembly starts at the next header', async () => {
    const { device, link } = await open();
    const huge = encodeReports(2, new Uint8Array(0))[0]!;
    new DataView(huge.buffer).setUint32(5, 0xffffffff);
    device.write(huge);
    await expect(link.read()).rejects.toMatchObject({ code: 'ProtocolError' });
    device.write(new Uint8Array(64).fill(0x3f)); // a stray continuation before a header: dropped
    for (const r of encodeReports(3, bytes(10))) device.write(r);
    expect(await link.read()).toEqual({ type: 3, payload: bytes(10) });
  });

  it('a device silent in the middle of a message: Timeout after messageTimeout, the connection is closed', async () => {
    const { device, link } = await open();
    const onDisconnect = vi.fn();
    link.onDisconnect(onDisconnect);
    device.write(encodeReports(2, bytes(200))[0]!); // the header, then nothing
    const started = Date.now();
    const error = await link.read().catch((e) => e);
    expect(error).toMatchObject({ name: 'TrezorError', code: 'Timeout' }); // not DeviceDisconnected
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(device.opened).toBe(false); // released: a new open() can take the device
    await expect(link.read()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(onDisconnect).not.toHaveBeenCalled(); // closed on purpose: the device did not go away
  });

  it('before a header the device may take as long as the user does (no timeout)', async () => {
    const { device, link } = await open();
    const reading = link.read();
    await new Promise((resolve) => setTimeout(resolve, 120)); // more than twice messageTimeout
    for (const r of encodeReports(2, bytes(150))) device.write(r);
    expect(await reading).toEqual({ type: 2, payload: bytes(150) });
  });

  it('an aborted read keeps the reports of a message begun: the next read completes it', async () => {
    const { device, link } = await open();
    const reports = encodeReports(2, bytes(150));
    device.write(reports[0]!);
    const controller = new AbortController();
    const reading = link.read(controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    for (const r of reports.slice(1)) device.write(r);
    expect(await link.read()).toEqual({ type: 2, payload: bytes(150) });
  });

  it('the device going away: reads and writes reject with DeviceDisconnected and listeners hear it once', async () => {
    const { device, link } = await open();
    const onDisconnect = vi.fn();
    const off = link.onDisconnect(onDisconnect);
    const other = vi.fn();
    link.onDisconnect(other);
    const reading = link.read();
    device.disconnect();
    await expect(reading).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    await expect(link.write({ type: 1, payload: new Uint8Array() })).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(onDisconnect).toHaveBeenCalledTimes(1);
    expect(other).toHaveBeenCalledTimes(1);
    off();
  });

  it('close() releases the device, is safe twice, and no disconnect is reported for it', async () => {
    const { device, link } = await open();
    const onDisconnect = vi.fn();
    link.onDisconnect(onDisconnect);
    const reading = link.read();
    await link.close();
    await link.close();
    await expect(reading).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(device.opened).toBe(false);
    device.disconnect(); // the platform's unplug event arriving after the close
    expect(onDisconnect).not.toHaveBeenCalled();
  });
});
