/**
 * UDP transport against a loopback responder that behaves like the emulator's socket layer:
 * PINGPING → PONGPONG, replies to the last sender, 64-byte datagrams (trezor-firmware
 * legacy/emulator/udp.c).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { completedMessage, decodeReport, decodeReports, encodeReports, reportCount, type DecodeState } from '../src/protocol/v1.js';
import type { TransportConnection } from '../src/transport/types.js';
import { pingUdp, udp } from '../src/transport/udp.js';
import { MT, pingResponder } from './fakes/fake-webusb.js';

/** Ping{message} payload: field 1, length-delimited (ASCII message). */
const ping = (message: string) => {
  const length: number[] = [];
  for (let n = message.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return Uint8Array.from([0x0a, ...length, ...new TextEncoder().encode(message)]);
};

interface Emulator {
  port: number;
  socket: Socket;
  /** Datagrams received that were not pings. */
  reports: Uint8Array[];
  pings: number;
  close(): Promise<void>;
}

/**
 * An emulator stand-in: answers pings, echoes Ping as Success, to the last sender only. With
 * `busyForMs` it is busy at first (as during another client's long signing): what arrives
 * meanwhile waits, in order, and is handled when it is free.
 */
async function startEmulator({ busyForMs = 0 } = {}): Promise<Emulator> {
  const socket = createSocket('udp4');
  let last: RemoteInfo | undefined;
  let state: DecodeState | undefined;
  const freeAt = Date.now() + busyForMs;
  const waiting: [Buffer, RemoteInfo][] = [];
  let wake: ReturnType<typeof setTimeout> | undefined;
  const emulator: Emulator = {
    port: 0,
    socket,
    reports: [],
    pings: 0,
    close: () => {
      clearTimeout(wake);
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
  const handle = (datagram: Buffer, from: RemoteInfo) => {
    last = from;
    if (datagram.toString('latin1') === 'PINGPING') {
      emulator.pings++;
      socket.send('PONGPONG', from.port, from.address);
      return;
    }
    const report = new Uint8Array(datagram);
    emulator.reports.push(report);
    state = decodeReport(state, report);
    const message = completedMessage(state);
    if (!message) return;
    state = undefined;
    for (const reply of pingResponder(message)) {
      for (const out of encodeReports(reply.type, reply.payload)) socket.send(out, last.port, last.address);
    }
  };
  socket.on('message', (datagram, from) => {
    if (Date.now() >= freeAt && waiting.length === 0) return handle(datagram, from);
    waiting.push([datagram, from]);
    wake ??= setTimeout(() => {
      for (const [queued, sender] of waiting.splice(0)) handle(queued, sender);
    }, Math.max(0, freeAt - Date.now()));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  emulator.port = socket.address().port;
  return emulator;
}

/** A port with nobody listening (bound once, then released). */
async function deadPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function readMessage(connection: TransportConnection) {
  const reports: Uint8Array[] = [];
  for (;;) {
    reports.push(await connection.read());
    try {
      return decodeReports(reports);
    } catch (e) {
      if (!isTrezorError(e, 'ProtocolError')) throw e;
    }
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function emulator(options: { busyForMs?: number } = {}) {
  const e = await startEmulator(options);
  cleanup.push(() => e.close());
  return e;
}

describe('udp', () => {
  it('a port outside 1..65535 is InvalidParameters before any socket is made', async () => {
    for (const port of [0, 70000, 1.5]) {
      let thrown: unknown;
      try {
        udp({ port });
      } catch (e) {
        thrown = e;
      }
      expect(isTrezorError(thrown, 'InvalidParameters')).toBe(true);
      expect(isTrezorError(await pingUdp({ port, timeout: 50 }).catch((e: unknown) => e), 'InvalidParameters')).toBe(true);
    }
  });

  it('bad arguments are InvalidParameters naming the field, never a TypeError from node:dgram', async () => {
    const bad: [string, () => unknown][] = [
      ['port', () => pingUdp({ port: '21324' as never })],
      ['host', () => pingUdp({ host: 5 as never })],
      ['host', () => pingUdp({ host: '' })],
      ['timeout', () => pingUdp({ timeout: -1 })],
      ['timeout', () => pingUdp({ timeout: Number.NaN })],
      ['signal', () => pingUdp({ signal: 'stop' as never })],
      // The positional form of 0.1 (pingUdp(host, port, timeoutMs)).
      ['options', () => pingUdp('127.0.0.1' as never)],
      ['host', () => udp({ host: 5 as never })],
      ['options', () => udp('127.0.0.1' as never)],
      ['pingTimeout', () => udp({ pingTimeout: 0 })],
      ['busyTimeout', () => udp({ busyTimeout: Number.POSITIVE_INFINITY })],
    ];
    for (const [field, call] of bad) {
      let thrown: unknown;
      try {
        await call();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, field).toMatchObject({ name: 'TrezorError', code: 'InvalidParameters', field });
    }
  });

  it('enumerate finds a listening emulator and names it udp:host:port', async () => {
    const emu = await emulator();
    const transport = udp({ port: emu.port });
    expect(transport.name).toBe('udp');
    expect(await transport.enumerate()).toEqual([{ path: `udp:127.0.0.1:${emu.port}`, product: 'Trezor emulator' }]);
    expect(emu.pings).toBe(1);
    expect(emu.reports).toEqual([]); // the probe is not protocol data
  });

  it('enumerate returns [] within the timeout when nobody listens', async () => {
    const port = await deadPort();
    const started = Date.now();
    expect(await udp({ port, pingTimeout: 150 }).enumerate()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('pingUdp answers true / false', async () => {
    const emu = await emulator();
    expect(await pingUdp({ host: '127.0.0.1', port: emu.port, timeout: 500 })).toBe(true);
    expect(await pingUdp({ port: emu.port })).toBe(true);
    expect(await pingUdp({ port: await deadPort(), timeout: 100 })).toBe(false);
    await expect(pingUdp({ port: emu.port, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a port where nobody listens is given up at once, even with a long busyTimeout (ICMP port unreachable)', async () => {
    const port = await deadPort();
    const started = Date.now();
    expect(await udp({ port, busyTimeout: 10_000 }).enumerate()).toEqual([]);
    expect(await pingUdp({ port, timeout: 10_000 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('waits for a busy emulator: probes again every pingTimeout until it answers, within busyTimeout', async () => {
    // Busy for 1.5 s (another client's long signing): datagrams queue up and are answered when it is free.
    const emu = await emulator({ busyForMs: 1_500 });
    const started = Date.now();
    const transport = udp({ port: emu.port, pingTimeout: 300 });
    expect(await transport.enumerate()).toEqual([{ path: `udp:127.0.0.1:${emu.port}`, product: 'Trezor emulator' }]);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1_400);
    expect(emu.pings).toBeGreaterThanOrEqual(4); // one probe, then one every 300 ms while it was busy
    // open() waits the same way, and the connection then works.
    const busyAgain = await emulator({ busyForMs: 1_200 });
    const connection = await udp({ port: busyAgain.port, pingTimeout: 300 }).open({ path: `udp:127.0.0.1:${busyAgain.port}` });
    cleanup.push(() => connection.close());
    for (const report of encodeReports(MT.Ping, ping('after the wait'))) await connection.write(report);
    expect((await readMessage(connection)).payload).toEqual(ping('after the wait'));
  });

  it('gives a busy emulator up after busyTimeout (500 ms probes of 0.1 found nothing here)', async () => {
    const emu = await emulator({ busyForMs: 3_000 });
    const started = Date.now();
    expect(await udp({ port: emu.port, pingTimeout: 200, busyTimeout: 800 }).enumerate()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await pingUdp({ port: emu.port, timeout: 500 })).toBe(false);
  });

  it('round-trips a multi-report message as 64-byte datagrams', async () => {
    const emu = await emulator();
    const transport = udp({ port: emu.port });
    const connection = await transport.open({ path: `udp:127.0.0.1:${emu.port}` });
    cleanup.push(() => connection.close());
    const message = 'z'.repeat(300); // 303-byte payload → 5 reports each way
    for (const report of encodeReports(MT.Ping, ping(message))) await connection.write(report);
    const reply = await readMessage(connection);
    expect(reply).toEqual({ type: MT.Success, payload: ping(message) });
    expect(emu.reports).toHaveLength(reportCount(ping(message).length));
    expect(emu.reports).toHaveLength(5);
    expect(emu.reports.every((r) => r.length === 64)).toBe(true);
  });

  it('filters PONGPONG out of the report stream, so enumerate can run while a connection is open', async () => {
    const emu = await emulator();
    const transport = udp({ port: emu.port });
    const connection = await transport.open({ path: `udp:127.0.0.1:${emu.port}` });
    cleanup.push(() => connection.close());
    // The probe goes through the connection's own socket, so the emulator keeps answering it.
    expect(await transport.enumerate()).toHaveLength(1);
    for (const report of encodeReports(MT.Ping, ping('after enumerate'))) await connection.write(report);
    const first = await connection.read();
    expect(first[0]).toBe(0x3f); // a report, not PONGPONG
    expect(decodeReports([first]).payload).toEqual(ping('after enumerate'));
  });

  it('open fails with DeviceDisconnected when no emulator answers', async () => {
    const port = await deadPort();
    await expect(udp({ port, pingTimeout: 100 }).open({ path: `udp:127.0.0.1:${port}` })).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('rejects a path that is not udp:host:port', async () => {
    await expect(udp().open({ path: 'ABC123' })).rejects.toMatchObject({ code: 'InvalidParameters' });
  });

  it('aborts a pending read with the signal', async () => {
    const emu = await emulator();
    const connection = await udp({ port: emu.port }).open({ path: `udp:127.0.0.1:${emu.port}` });
    cleanup.push(() => connection.close());
    const controller = new AbortController();
    const pending = connection.read(controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('close fails pending reads and is idempotent', async () => {
    const emu = await emulator();
    const connection = await udp({ port: emu.port }).open({ path: `udp:127.0.0.1:${emu.port}` });
    const pending = connection.read();
    pending.catch(() => undefined); // rejection asserted below, after other awaits
    await connection.close();
    await connection.close();
    await expect(pending).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    await expect(connection.write(new Uint8Array(64))).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('reports an emulator that went away as DeviceDisconnected (ICMP port unreachable)', async () => {
    const emu = await startEmulator();
    const connection = await udp({ port: emu.port }).open({ path: `udp:127.0.0.1:${emu.port}` });
    cleanup.push(() => connection.close());
    const onDisconnect = vi.fn();
    connection.onDisconnect(onDisconnect);
    const pending = connection.read();
    pending.catch(() => undefined); // rejection asserted below, after other awaits
    await emu.close();
    // The first datagram to the closed port triggers ECONNREFUSED on the connected socket.
    await connection.write(encodeReports(MT.Ping, ping('anyone?'))[0]!).catch(() => undefined);
    await connection.write(encodeReports(MT.Ping, ping('anyone?'))[0]!).catch(() => undefined);
    await expect(pending).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(onDisconnect).toHaveBeenCalledTimes(1);
  });
});
