/**
 * The UDP transport's fast path and keep-alive clock (src/transport/udp.ts): a message's
 * reports sent together through writeReports, in order and byte for byte, with the same errors
 * as write(); and idle time, or a long keepAlive, never taken for a silent emulator. A fake
 * emulator on a free port answers PINGPING (unless muted) and records every other datagram.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeReports, encodeReports, reportCount } from '../src/protocol/v1.js';
import { v1Link } from '../src/protocol/v1-link.js';
import type { TransportConnection } from '../src/transport/types.js';
import { udp } from '../src/transport/udp.js';

interface Fake {
  port: number;
  pings: number;
  muted: boolean;
  datagrams: Uint8Array[];
  close(): Promise<void>;
}

async function fakeEmulator(): Promise<Fake> {
  const socket = createSocket('udp4');
  let closed = false;
  const fake: Fake = {
    port: 0,
    pings: 0,
    muted: false,
    datagrams: [],
    close: () => (closed ? Promise.resolve() : ((closed = true), new Promise<void>((resolve) => socket.close(() => resolve())))),
  };
  socket.on('message', (datagram, from) => {
    if (fake.muted) return;
    if (datagram.toString('latin1') === 'PINGPING') {
      fake.pings++;
      socket.send('PONGPONG', from.port, from.address);
    } else fake.datagrams.push(new Uint8Array(datagram));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  fake.port = socket.address().port;
  return fake;
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const task of cleanup.splice(0).reverse()) await task().catch(() => undefined);
});

async function openOn(fake: Fake, options: { busyTimeout?: number; keepAlive?: number } = {}): Promise<TransportConnection> {
  const connection = await udp({ port: fake.port, pingTimeout: 200, ...options }).open({ path: `udp:127.0.0.1:${fake.port}` });
  cleanup.push(() => connection.close());
  return connection;
}

/** Until `count` datagrams have arrived (or 2 s). */
async function arrived(fake: Fake, count: number): Promise<Uint8Array[]> {
  for (let i = 0; i < 200 && fake.datagrams.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return fake.datagrams;
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

describe('udp: writing the reports of a message together', () => {
  it('writeReports sends every report in order, byte for byte, and resolves once they are out', async () => {
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const connection = await openOn(fake);
    const reports = encodeReports(18, bytes(1000)); // 16 reports
    expect(reports).toHaveLength(16);
    await connection.writeReports!(reports);
    expect(await arrived(fake, 16)).toEqual(reports);
    expect(decodeReports(fake.datagrams)).toEqual({ type: 18, payload: bytes(1000) });
  });

  it('through the v1 link, a message written while a long one goes out follows its last report', async () => {
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const link = v1Link(await openOn(fake));
    const n = reportCount(2000);
    expect(n).toBe(32);
    const long = link.write({ type: 18, payload: bytes(2000, 3) });
    const cancel = link.write({ type: 20, payload: new Uint8Array() });
    await Promise.all([long, cancel]);
    const datagrams = await arrived(fake, n + 1);
    expect(datagrams).toHaveLength(n + 1);
    expect(decodeReports(datagrams.slice(0, n))).toEqual({ type: 18, payload: bytes(2000, 3) });
    expect(decodeReports(datagrams.slice(n))).toEqual({ type: 20, payload: new Uint8Array() });
  });

  it('a report that is not 64 bytes is InvalidParameters, and none of the message is sent', async () => {
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const connection = await openOn(fake);
    const reports = encodeReports(18, bytes(200));
    reports.push(new Uint8Array(63));
    await expect(connection.writeReports!(reports)).rejects.toMatchObject({ code: 'InvalidParameters', field: 'report' });
    await connection.write(encodeReports(20, new Uint8Array())[0]!); // a marker behind it
    const datagrams = await arrived(fake, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(datagrams).toEqual(encodeReports(20, new Uint8Array()));
  });

  it('an aborted signal sends nothing and rejects with its reason', async () => {
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const connection = await openOn(fake);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(connection.writeReports!(encodeReports(18, bytes(200)), controller.signal)).rejects.toThrow('stop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.datagrams).toEqual([]);
  });

  it('an emulator that went away: writeReports rejects with the DeviceDisconnected that write() rejects with', async () => {
    const fake = await fakeEmulator();
    const connection = await openOn(fake);
    await fake.close();
    let failure: unknown;
    for (let i = 0; i < 50 && failure === undefined; i++) {
      await connection.writeReports!(encodeReports(18, bytes(200))).catch((error) => (failure = error));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(failure).toMatchObject({ name: 'TrezorError', code: 'DeviceDisconnected' });
    const again = await connection.write(new Uint8Array(64)).catch((error) => error);
    expect(again).toBe(failure);
  });
});

describe('udp: keep-alive with a long keepAlive', () => {
  // Fake timers for the watchdog's clock; the datagrams still travel for real.
  const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

  it('an idle connection is not declared lost when the emulator stays quiet past the silence limit', async () => {
    fakeClock();
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const connection = await openOn(fake, { keepAlive: 60_000 });
    let lost = false;
    connection.onDisconnect(() => (lost = true));
    fake.muted = true; // not even PONGPONG: only the idle clock runs
    vi.advanceTimersByTime(120_000);
    expect(lost).toBe(false);
    vi.useRealTimers(); // the rest waits for real datagrams
    fake.muted = false;
    await connection.write(encodeReports(20, new Uint8Array())[0]!);
    expect(await arrived(fake, 1)).toEqual(encodeReports(20, new Uint8Array()));
  });

  it('a pending read waits past 10 s for the user, and is given up once its probes went unanswered for busyTimeout', async () => {
    fakeClock();
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const connection = await openOn(fake, { keepAlive: 30_000, busyTimeout: 2_000 });
    fake.muted = true;
    let outcome: unknown;
    connection.read().then(
      () => (outcome = 'resolved'),
      (error) => (outcome = error),
    );
    vi.advanceTimersByTime(29_000); // past max(2 × busyTimeout, 10 s), before the first probe
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcome).toBeUndefined();
    vi.advanceTimersByTime(4_000); // keepAlive + busyTimeout = 32 s
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcome).toMatchObject({ code: 'DeviceDisconnected' });
  });
});
