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
 *
 * An emulator busy with a long operation (another client's signing, a slow machine) answers
 * PINGPING late: the probe is repeated every `pingTimeout` ms for up to `busyTimeout` ms
 * before the emulator counts as absent. The probing socket is connected, so a port where
 * nobody listens ends the wait at once when the OS reports it (ICMP port unreachable, as on
 * 127.0.0.1) instead of costing the whole `busyTimeout`.
 *
 * UDP has no connection to lose: an emulator killed while the host waits for its answer (a
 * button, a PIN, the next TxRequest) would leave the read waiting forever, and one killed while
 * the host's own PIN dialog is open (the Trezor One's matrix) would go unnoticed until the next
 * write. So whenever nothing has arrived for `keepAlive` ms, the connection sends PINGPING: a killed
 * emulator on this machine answers with ICMP port unreachable (DeviceDisconnected at once), a
 * silent one is given up (DeviceDisconnected too) when a pending read has heard nothing, PONGPONG
 * included, for the silence limit (see silenceLimit). Idle time, with no read pending, is never
 * silence: an emulator has nothing to say between calls. A waiting emulator
 * answers PONGPONG from its I/O loop, and the probe only re-sets the answer address to this
 * same socket, so a call in progress is not disturbed.
 *
 * Only one trezor-direct connection at a time may use an emulator (./udp-lock.ts): a second
 * one, in this program or another, gets DeviceBusy instead of stealing the first one's answers.
 */
import { createSocket, type Socket } from 'node:dgram';
import { TrezorError, describeValue, invalidParameter } from '../errors.js';
import { abortReason, withSignal } from '../abort.js';
import { ReportQueue, disconnected, notifyAll } from './abort.js';
import type { Transport, TransportConnection } from './types.js';
import { claimEmulator, isClaimed } from './udp-lock.js';

const REPORT_SIZE = 64;
const PING = /* @__PURE__ */ new TextEncoder().encode('PINGPING');
const PONG = 'PONGPONG';

function isPong(datagram: Uint8Array): boolean {
  if (datagram.length !== PONG.length) return false;
  for (let i = 0; i < PONG.length; i++) if (datagram[i] !== PONG.charCodeAt(i)) return false;
  return true;
}

/** Default wait of one PINGPING for its PONGPONG, and the interval between probes (ms). */
const PING_TIMEOUT = 500;
/** Default time enumerate() and open() keep probing an emulator that has not answered yet (ms). */
const BUSY_TIMEOUT = 5_000;
/** Default quiet time during a pending read after which the connection checks the emulator is still there (ms). */
const KEEP_ALIVE = 1_000;
/**
 * How long a pending read may hear nothing at all, PONGPONG included, before the emulator
 * counts as gone: twice `busyTimeout`, at least 10 s (the debug builds answer slowly while they
 * draw; trezorlib waits 10 s for a PONG), and never before its probes, sent from `keepAlive` on,
 * have gone unanswered for `busyTimeout` (a keepAlive above 10 s must not turn a user's wait
 * into silence).
 */
const silenceLimit = (busyTimeout: number, keepAlive: number) => Math.max(2 * busyTimeout, 10_000, keepAlive + busyTimeout);

/** InvalidParameters for a port that is not 1..65535 (node:dgram would throw a RangeError). */
function checkPort(port: unknown, field = 'port'): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidParameter(field, `expected an integer 1..65535, got ${describeValue(port)}`);
  }
  return port;
}

function checkHost(host: unknown, field = 'host'): string {
  if (typeof host !== 'string' || host.length === 0 || host.length > 253 || /\s/.test(host)) {
    throw invalidParameter(field, `expected a host name or IP address, got ${describeValue(host)}`);
  }
  return host;
}

function checkMs(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2 ** 31 - 1) {
    throw invalidParameter(field, `expected a positive number of milliseconds, got ${describeValue(value)}`);
  }
  return value;
}

function checkSignal(signal: unknown, field = 'signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (typeof signal !== 'object' || signal === null || typeof (signal as AbortSignal).addEventListener !== 'function' || typeof (signal as AbortSignal).aborted !== 'boolean') {
    throw invalidParameter(field, `expected an AbortSignal, got ${describeValue(signal)}`);
  }
  return signal as AbortSignal;
}

function checkOptions(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidParameter('options', `${what} takes an object (${what}({ host, port })), got ${describeValue(options)}`);
  }
  return options as Record<string, unknown>;
}

function socketFor(host: string): Socket {
  return createSocket(host.includes(':') ? 'udp6' : 'udp4');
}

export interface UdpOptions {
  /** Emulator host (default 127.0.0.1). */
  host?: string;
  /** Emulator wire port (default 21324; the debug link is port + 1). */
  port?: number;
  /** How long one PINGPING probe waits for PONGPONG before the next is sent, in ms (default 500). */
  pingTimeout?: number;
  /**
   * How long enumerate() and open() keep probing an emulator that has not answered yet, in ms
   * (default 5000): a busy emulator answers late. A port where nobody listens on this machine
   * is known at once and not waited for.
   */
  busyTimeout?: number;
  /**
   * When nothing has arrived for this long (ms, default 1000), send PINGPING to learn whether the
   * emulator is still there (see the module header).
   */
  keepAlive?: number;
}

export interface PingUdpOptions {
  /** Emulator host (default 127.0.0.1). */
  host?: string;
  /** Emulator wire or debug port (default 21324). */
  port?: number;
  /** How long to wait for PONGPONG, in ms (default 500); the probe is repeated every 500 ms meanwhile. */
  timeout?: number;
  signal?: AbortSignal;
}

/**
 * Is an emulator answering on `host:port`? Sends PINGPING from a fresh socket (again every
 * 500 ms) and waits up to `timeout` for PONGPONG. False at once when the OS reports that nobody
 * listens there. Note that the probe redirects the emulator's replies to this socket: do not
 * ping an emulator that a connection is using (udp().enumerate() knows how to avoid that).
 * @example if (await pingUdp({ port: 21324 })) console.log('emulator is up')
 */
export function pingUdp(options?: PingUdpOptions): Promise<boolean> {
  let host: string;
  let port: number;
  let timeout: number;
  let signal: AbortSignal | undefined;
  try {
    const given = checkOptions(options, 'pingUdp');
    host = checkHost(given.host ?? '127.0.0.1');
    port = checkPort(given.port ?? 21324);
    timeout = checkMs(given.timeout ?? PING_TIMEOUT, 'timeout');
    signal = checkSignal(given.signal);
  } catch (error) {
    return Promise.reject(error);
  }
  return probe(host, port, Math.min(PING_TIMEOUT, timeout), timeout, signal);
}

/** PINGPING every `interval` ms from a fresh connected socket until PONGPONG, an error or `total` ms. */
function probe(host: string, port: number, interval: number, total: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const socket = socketFor(host);
  return new Promise<boolean>((resolve, reject) => {
    let done = false;
    let repeat: ReturnType<typeof setInterval> | undefined;
    const finish = (answer: boolean | { error: unknown }) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(repeat);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      if (typeof answer === 'boolean') resolve(answer);
      else reject(answer.error);
    };
    const send = () => {
      if (!done) socket.send(PING, (error) => error && finish(false));
    };
    const onAbort = () => finish({ error: abortReason(signal!) });
    const deadline = setTimeout(() => finish(false), total);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', (datagram) => {
      if (isPong(datagram)) finish(true);
    });
    // ECONNREFUSED (ICMP port unreachable on the connected socket), a host that does not
    // resolve & co: nobody there.
    socket.on('error', () => finish(false));
    socket.connect(port, host, () => {
      if (done) return;
      send();
      repeat = setInterval(send, interval);
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
  /** PINGPING through this connection's socket every `interval` ms; true on PONGPONG within `total` ms. */
  ping(interval: number, total: number, signal?: AbortSignal): Promise<boolean>;
}

/**
 * The Trezor emulator over UDP (Node).
 * @example const trezor = await connect({ transport: udp({ port: 21324 }) })
 */
export function udp(options?: UdpOptions): Transport {
  const given = checkOptions(options, 'udp');
  const host = checkHost(given.host ?? '127.0.0.1');
  const port = checkPort(given.port ?? 21324);
  const pingTimeout = checkMs(given.pingTimeout ?? PING_TIMEOUT, 'pingTimeout');
  // A pingTimeout longer than the busy wait (as callers of 0.1 set it) still gets its full wait.
  const busyTimeout = Math.max(checkMs(given.busyTimeout ?? BUSY_TIMEOUT, 'busyTimeout'), pingTimeout);
  const keepAlive = checkMs(given.keepAlive ?? KEEP_ALIVE, 'keepAlive');
  const path = `udp:${host}:${port}`;
  /** Open connections by path, so enumerate() can probe through them. */
  const open = new Map<string, UdpLink>();

  return {
    name: 'udp',
    async enumerate(signal) {
      const link = open.get(path);
      // Held by another connection: probing would steal its answers. It is there, and busy.
      if (!link && isClaimed(host, port)) return [{ path, product: 'Trezor emulator (in use)' }];
      const alive = link ? await link.ping(pingTimeout, busyTimeout, signal) : await probe(host, port, pingTimeout, busyTimeout, signal);
      return alive ? [{ path, product: 'Trezor emulator' }] : [];
    },
    async open(descriptor, signal) {
      const target = parsePath(descriptor.path);
      if (!target) throw new TrezorError('InvalidParameters', `device.path: expected "udp:host:port", got "${descriptor.path}"`, { field: 'device.path' });
      const release = claimEmulator(target[0], target[1]);
      if (!release) throw new TrezorError('DeviceBusy', `The emulator at ${descriptor.path} is in use by another connection (this program or another one)`);
      let opened: [TransportConnection, UdpLink];
      try {
        opened = await openSocket(target[0], target[1], pingTimeout, busyTimeout, keepAlive, signal);
      } catch (error) {
        release();
        throw error;
      }
      const [connection, link] = opened;
      open.set(descriptor.path, link);
      const close = connection.close;
      connection.close = (closeSignal) => {
        if (open.get(descriptor.path) === link) open.delete(descriptor.path);
        release();
        return close(closeSignal);
      };
      connection.onDisconnect(() => {
        if (open.get(descriptor.path) === link) open.delete(descriptor.path);
        release();
      });
      return connection;
    },
  };
}

async function openSocket(
  host: string,
  port: number,
  pingTimeout: number,
  busyTimeout: number,
  keepAlive: number,
  signal?: AbortSignal,
): Promise<[TransportConnection, UdpLink]> {
  const socket = socketFor(host);
  const queue = new ReportQueue();
  const listeners = new Set<() => void>();
  const pongWaiters = new Set<(alive: boolean) => void>();
  let failure: TrezorError | undefined;
  let closing: Promise<void> | undefined;
  /** Reads waiting, and when the emulator was last heard from (any datagram). */
  let pendingReads = 0;
  let lastHeard = Date.now();
  const silence = silenceLimit(busyTimeout, keepAlive);
  const sendPing = () =>
    socket.send(PING, (error) => {
      if (error) lost(`The emulator at ${host}:${port} stopped answering (${(error as NodeJS.ErrnoException).code ?? error.message})`);
    });
  const watchdog = setInterval(() => {
    if (failure) return clearInterval(watchdog);
    const quiet = Date.now() - lastHeard;
    // Idle (between calls, or while the host's own PIN / passphrase dialog is open): only the
    // ICMP answer to a probe can tell that the emulator is gone, so probe, but idle time is
    // never silence (the emulator has nothing to say; a read starts the clock afresh).
    if (pendingReads > 0 && quiet >= silence) return lost(`The emulator at ${host}:${port} went silent for ${quiet} ms`);
    if (quiet >= keepAlive) sendPing();
  }, Math.min(keepAlive, 1_000));
  watchdog.unref?.();

  const stop = (error: TrezorError) => {
    if (failure) return false;
    failure = error;
    clearInterval(watchdog);
    queue.fail(error);
    for (const settle of [...pongWaiters]) settle(false);
    return true;
  };
  const lost = (detail: string) => {
    if (stop(disconnected(detail))) notifyAll(listeners);
  };

  socket.on('message', (datagram: Uint8Array) => {
    lastHeard = Date.now();
    if (isPong(datagram)) {
      for (const settle of [...pongWaiters]) settle(true);
      return;
    }
    // Node hands over a fresh buffer per datagram: a view of it is the report, no copy needed.
    if (datagram.length === REPORT_SIZE) return queue.push(new Uint8Array(datagram.buffer, datagram.byteOffset, REPORT_SIZE));
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

  const ping = (interval: number, total: number, pingSignal?: AbortSignal): Promise<boolean> => {
    if (failure) return Promise.resolve(false);
    if (pingSignal?.aborted) return Promise.reject(abortReason(pingSignal));
    let settle: (alive: boolean) => void = () => {};
    const send = () =>
      socket.send(PING, (error) => {
        if (error) settle(false);
      });
    const answer = new Promise<boolean>((resolve) => {
      const deadline = setTimeout(() => settle(false), total);
      const repeat = setInterval(send, interval);
      settle = (alive) => {
        clearTimeout(deadline);
        clearInterval(repeat);
        pongWaiters.delete(settle);
        pingSignal?.removeEventListener('abort', onAbort);
        resolve(alive);
      };
    });
    const onAbort = () => settle(false);
    pingSignal?.addEventListener('abort', onAbort, { once: true });
    pongWaiters.add(settle);
    send();
    return withSignal(answer, pingSignal);
  };

  /**
   * Send `reports` in order, one datagram each, without waiting for one to leave before the
   * next: the socket keeps their order. The reports are sent as they are (node:dgram takes a
   * Uint8Array without copying it; callers never reuse a written report). Resolves when the
   * last has left; the first failure marks the emulator lost and rejects with that error.
   */
  const writeReports = (reports: readonly Uint8Array[], writeSignal?: AbortSignal): Promise<void> => {
    if (failure) return Promise.reject(failure);
    for (const report of reports) {
      if (report.length !== REPORT_SIZE) {
        return Promise.reject(new TrezorError('InvalidParameters', `report: expected ${REPORT_SIZE} bytes, got ${report.length}`, { field: 'report' }));
      }
    }
    if (writeSignal?.aborted) return Promise.reject(abortReason(writeSignal));
    const sent = new Promise<void>((resolve, reject) => {
      let left = reports.length;
      if (left === 0) return resolve();
      const onSent = (error: Error | null) => {
        if (left === 0) return; // failed already
        if (!error) {
          if (--left === 0) resolve();
          return;
        }
        left = 0;
        lost(`Sending to the emulator at ${host}:${port} failed (${(error as NodeJS.ErrnoException).code ?? error.message})`);
        reject(failure ?? error);
      };
      for (const report of reports) socket.send(report, onSent);
    });
    return withSignal(sent, writeSignal);
  };

  const connection: TransportConnection = {
    async read(readSignal) {
      if (pendingReads === 0) lastHeard = Date.now();
      pendingReads++;
      try {
        return await queue.shift(readSignal);
      } finally {
        pendingReads--;
      }
    },

    write(report, writeSignal) {
      return writeReports([report], writeSignal);
    },

    writeReports(reports, writeSignal) {
      return writeReports(reports, writeSignal);
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
    if (!(await ping(pingTimeout, busyTimeout, signal))) {
      throw new TrezorError('DeviceDisconnected', `No emulator is answering at udp:${host}:${port}`);
    }
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  return [connection, { ping }];
}
