/**
 * The UDP transport when the emulator goes away during a pending read, and when two clients
 * want one emulator (src/transport/udp.ts keep-alive, src/transport/udp-lock.ts). A fake
 * emulator on a free port: it answers PINGPING, and can be closed (ICMP port unreachable) or
 * muted (alive but silent). npm run test:faults does the same against the official emulators.
 */
import { createSocket } from 'node:dgram';
import { readdirSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportConnection } from '../src/transport/types.js';
import { udp } from '../src/transport/udp.js';

interface Fake {
  port: number;
  pings: number;
  muted: boolean;
  send(data: Uint8Array): void;
  close(): Promise<void>;
}

async function fakeEmulator(): Promise<Fake> {
  const socket = createSocket('udp4');
  let peer: { port: number; address: string } | undefined;
  const fake: Fake = {
    port: 0,
    pings: 0,
    muted: false,
    send: (data) => peer && socket.send(data, peer.port, peer.address),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (datagram, from) => {
    if (fake.muted) return;
    peer = from;
    if (datagram.toString('latin1') === 'PINGPING') {
      fake.pings++;
      socket.send('PONGPONG', from.port, from.address);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  fake.port = socket.address().port;
  return fake;
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const task of cleanup.splice(0).reverse()) await task().catch(() => undefined);
});

async function openOn(fake: Fake, options: { busyTimeout?: number; keepAlive?: number } = {}): Promise<TransportConnection> {
  const connection = await udp({ port: fake.port, pingTimeout: 200, ...options }).open({ path: `udp:127.0.0.1:${fake.port}` });
  cleanup.push(() => connection.close());
  return connection;
}

/** How a read ends, and after how long. */
async function settle(read: Promise<unknown>): Promise<{ code: string; ms: number }> {
  const start = Date.now();
  try {
    await read;
    return { code: 'resolved', ms: Date.now() - start };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error), ms: Date.now() - start };
  }
}

describe('udp: an emulator that goes away while a read waits', () => {
  it('killed (port closed): the pending read ends in DeviceDisconnected within about keepAlive, with nothing written', async () => {
    const fake = await fakeEmulator();
    const connection = await openOn(fake, { keepAlive: 300 });
    const read = connection.read();
    await fake.close();
    const { code, ms } = await settle(read);
    expect(code).toBe('DeviceDisconnected');
    expect(ms).toBeLessThan(3_000);
    await expect(connection.write(new Uint8Array(64))).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('alive but waiting (a button, a PIN): the read keeps waiting while the emulator answers the keep-alive, then gets its report', async () => {
    const fake = await fakeEmulator();
    const connection = await openOn(fake, { keepAlive: 200 });
    const pingsBefore = fake.pings;
    const read = connection.read();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(fake.pings - pingsBefore).toBeGreaterThanOrEqual(3); // it was asked, and answered
    const report = new Uint8Array(64).fill(7);
    fake.send(report);
    expect(await read).toEqual(report);
  });

  it('silent (no ICMP, no PONG): given up after the silence limit (2 × busyTimeout, at least 10 s)', { timeout: 20_000 }, async () => {
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const connection = await openOn(fake, { busyTimeout: 500, keepAlive: 200 });
    fake.muted = true;
    const { code, ms } = await settle(connection.read());
    expect(code).toBe('DeviceDisconnected');
    expect(ms).toBeGreaterThanOrEqual(9_000);
    expect(ms).toBeLessThan(13_000);
  });
});

describe('udp: one connection per emulator', () => {
  it('a second client gets DeviceBusy and its enumerate does not probe (a probe would steal the answers); after close it opens', async () => {
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const first = await openOn(fake);
    const other = udp({ port: fake.port, pingTimeout: 200 });
    const pings = fake.pings;
    expect(await other.enumerate()).toEqual([{ path: `udp:127.0.0.1:${fake.port}`, product: 'Trezor emulator (in use)' }]);
    expect(fake.pings).toBe(pings);
    await expect(other.open({ path: `udp:127.0.0.1:${fake.port}` })).rejects.toMatchObject({ code: 'DeviceBusy' });
    await first.close();
    const second = await other.open({ path: `udp:127.0.0.1:${fake.port}` });
    cleanup.push(() => second.close());
  });

  it('a lost connection releases the emulator too', async () => {
    const fake = await fakeEmulator();
    const first = await openOn(fake, { keepAlive: 200 });
    const read = first.read();
    await fake.close();
    expect((await settle(read)).code).toBe('DeviceDisconnected');
    expect(readdirSync(tmpdir()).filter((f) => f === `trezor-direct-udp-127.0.0.1-${fake.port}.lock`)).toEqual([]);
  });

  it("the lock file of a process that is gone is taken over; a live process's is respected", async () => {
    const fake = await fakeEmulator();
    cleanup.push(() => fake.close());
    const file = join(tmpdir(), `trezor-direct-udp-127.0.0.1-${fake.port}.lock`);
    cleanup.push(async () => {
      try {
        unlinkSync(file);
      } catch {
        // removed by the test
      }
    });
    writeFileSync(file, '2147483646:gone'); // no such process
    const taken = await udp({ port: fake.port, pingTimeout: 200 }).open({ path: `udp:127.0.0.1:${fake.port}` });
    await taken.close();
    writeFileSync(file, `${process.ppid}:parent`); // a live process
    await expect(udp({ port: fake.port, pingTimeout: 200 }).open({ path: `udp:127.0.0.1:${fake.port}` })).rejects.toMatchObject({ code: 'DeviceBusy' });
  });
});
