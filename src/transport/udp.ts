/**
 * UDP transport to the official Trezor emulator (Node only: it needs `node:dgram`).
 *
 * One datagram carries one 64-byte report in each direction. The emulator answers to the
 * address of the last datagram it received, so each connection owns one socket, and a
 * liveness probe — the 8 bytes `PINGPING`, answered with `PONGPONG` — also moves the answer
 * address to whoever sent it (trezor-firmware legacy/emulator/udp.c `socket_read`; the Core
 * emulator behaves the same). That is why enumerate() probes through an open connection's
 * socket when there is one, instead of stealing the emulator's replies with a new socket.
 * Wire port 21324, debug link on 21325 (shared PROTOCOL.md §4.3).
 */
import { createSocket, type Socket } from 'node:dgram';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import { ReportQueue, abortReason, disconnected, notifyAll, withSignal } from './abort.js';
import type { Transport, TransportConnection } from './types.js';

const REPORT_SIZE = 64;
const PING = /* @__PURE__ */ new TextEncoder().encode('PINGPING');
const PONG = 'PONGPONG';

function isPong(datagram: Uint8Array): boolean {
  if (datagram.length !== PONG.length) return false;
  for (let i = 0; i < PONG.length; i++) if (datagram[i] !== PONG.charCodeAt(i)) return false;
  return true;
}

/** InvalidParameters for a port that is not 1..65535 (node:dgram would throw a RangeError). */
function checkPort(port: unknown, field = 'port'): void {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidParameter(field, `expected an integer 1..65535, got ${describeValue(port)}`);
  }
}

function socketFor(host: string): Socket {
  return createSocket(host.includes(':') ? 'udp6' : 'udp4');
}

export interface UdpOptions {
  /** Emulator host (default 127.0.0.1). */
  host?: string;
  /** Emulator wire port (default 21324; the debug link is port + 1). */
  port?: number;
  /** How long enumerate() and open() wait for PONGPONG, in ms (default 500). */
  pingTimeout?: number;
}

/**
 * Is an emulator answering on `host:port`? Sends PINGPING from a fresh socket and waits for
 * PONGPONG. Note that the probe redirects the emulator's replies to this socket: do not ping
 * an emulator that a connection is using (udp().enumerate() knows how to avoid that).
 * @example if (await pingUdp('127.0.0.1', 21324, 500)) console.log('emulator is up')
 */
export function pingUdp(host = '127.0.0.1', port = 21324, timeoutMs = 500, signal?: AbortSignal): Promise<boolean> {
  try {
    checkPort(port);
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const socket = socketFor(host);
  return new Promise<boolean>((resolve, reject) => {
    let done = false;
    const finish = (answer: boolean | { error: unknown }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      if (typeof answer === 'boolean') resolve(answer);
      else reject(answer.error);
    };
    const onAbort = () => finish({ error: abortReason(signal!) });
    const timer = setTimeout(() => finish(false), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', (datagram) => {
      if (isPong(datagram)) finish(true);
    });
    socket.on('error', () => finish(false)); // ECONNREFUSED & co: nobody there
    socket.send(PING, port, host, (error) => {
      if (error) finish(false);
    });
  });
}

/** `udp:host:port` → [host, port]; IPv6 hosts keep their colons. */
function parsePath(path: string): [string, number] | undefined {
  if (!path.startsWith('udp:')) return undefined;
  const rest = path.slice(4);
  const colon = rest.lastIndexOf(':');
  const port = Number(rest.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return [rest.slice(0, colon), port];
}

interface UdpLink {
  /** Send PINGPING through this connection's socket; resolves true on PONGPONG. */
  ping(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

/**
 * The Trezor emulator over UDP (Node).
 * @example const trezor = await connect({ transport: udp({ port: 21324 }) })
 */
export function udp({ host = '127.0.0.1', port = 21324, pingTimeout = 500 }: UdpOptions = {}): Transport {
  checkPort(port);
  const path = `udp:${host}:${port}`;
  /** Open connections by path, so enumerate() can probe through them. */
  const open = new Map<string, UdpLink>();

  return {
    name: 'udp',
    async enumerate(signal) {
      const link = open.get(path);
      const alive = link ? await link.ping(pingTimeout, signal) : await pingUdp(host, port, pingTimeout, signal);
      return alive ? [{ path, product: 'Trezor emulator' }] : [];
    },
    async open(descriptor, signal) {
      const target = parsePath(descriptor.path);
      if (!target) throw new TrezorError('InvalidParameters', `device.path: expected "udp:host:port", got "${descriptor.path}"`, { field: 'device.path' });
      const [connection, link] = await openSocket(target[0], target[1], pingTimeout, signal);
      open.set(descriptor.path, link);
      const close = connection.close;
      connection.close = (closeSignal) => {
        if (open.get(descriptor.path) === link) open.delete(descriptor.path);
        return close(closeSignal);
      };
      connection.onDisconnect(() => {
        if (open.get(descriptor.path) === link) open.delete(descriptor.path);
      });
      return connection;
    },
  };
}

async function openSocket(host: string, port: number, pingTimeout: number, signal?: AbortSignal): Promise<[TransportConnection, UdpLink]> {
  const socket = socketFor(host);
  const queue = new ReportQueue();
  const listeners = new Set<() => void>();
  const pongWaiters = new Set<(alive: boolean) => void>();
  let failure: TrezorError | undefined;
  let closing: Promise<void> | undefined;

  const stop = (error: TrezorError) => {
    if (failure) return false;
    failure = error;
    queue.fail(error);
    for (const settle of [...pongWaiters]) settle(false);
    return true;
  };
  const lost = (detail: string) => {
    if (stop(disconnected(detail))) notifyAll(listeners);
  };

  socket.on('message', (datagram: Uint8Array) => {
    if (isPong(datagram)) {
      for (const settle of [...pongWaiters]) settle(true);
      return;
    }
    const report = new Uint8Array(REPORT_SIZE);
    report.set(datagram.subarray(0, REPORT_SIZE));
    queue.push(report);
  });
  // On a connected UDP socket the OS reports "port unreachable" as ECONNREFUSED: the
  // emulator is gone.
  socket.on('error', (error: NodeJS.ErrnoException) => {
    lost(`The emulator at ${host}:${port} stopped answering (${error.code ?? error.message})`);
  });
  socket.on('close', () => lost('The socket was closed'));

  const ping = (timeoutMs: number, pingSignal?: AbortSignal): Promise<boolean> => {
    if (failure) return Promise.resolve(false);
    let settle: (alive: boolean) => void = () => {};
    const answer = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs);
      settle = (alive) => {
        clearTimeout(timer);
        pongWaiters.delete(settle);
        resolve(alive);
      };
    });
    pongWaiters.add(settle);
    socket.send(PING, (error) => {
      if (error) settle(false);
    });
    return withSignal(answer, pingSignal);
  };

  const connection: TransportConnection = {
    read: (readSignal) => queue.shift(readSignal),

    async write(report, writeSignal) {
      if (failure) throw failure;
      if (report.length !== REPORT_SIZE) {
        throw new TrezorError('InvalidParameters', `report: expected ${REPORT_SIZE} bytes, got ${report.length}`, { field: 'report' });
      }
      const data = Uint8Array.from(report);
      await withSignal(
        new Promise<void>((resolve, reject) => {
          socket.send(data, (error) => {
            if (!error) return resolve();
            lost(`Sending to the emulator at ${host}:${port} failed (${(error as NodeJS.ErrnoException).code ?? error.message})`);
            reject(failure ?? error);
          });
        }),
        writeSignal,
      );
    },

    close(closeSignal) {
      closing ??= new Promise<void>((resolve) => {
        stop(disconnected('The connection was closed'));
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      });
      return withSignal(closing, closeSignal);
    },

    onDisconnect(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  try {
    await withSignal(
      new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      }),
      signal,
    );
    if (!(await ping(pingTimeout, signal))) {
      throw new TrezorError('DeviceDisconnected', `No emulator is answering at udp:${host}:${port}`);
    }
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  return [connection, { ping }];
}
