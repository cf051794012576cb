/**
 * Record what an official emulator does while the device suite runs against it: a UDP proxy
 * in front of the emulator's wire and debug link that writes one transcript per test in the
 * repo's format (src/testing/recorder.ts makes the lines; shared transcripts/README.md
 * describes them). The suite is split into tests through a control socket that
 * test/device/recording.ts calls when TREZOR_RECORD is set.
 *
 *   host (test) ── wire    udp:LISTEN     ─┐         ┌─ udp:EMULATOR     wire
 *               ── debug   udp:LISTEN+1   ─┤ proxy ──┤
 *               ── control udp:LISTEN+2   ─┘         └─ udp:EMULATOR+1   debug link
 *
 * Each datagram is forwarded as it came (one 64-byte report, or the 8-byte PINGPING probe).
 * Like the emulator (legacy/emulator/udp.c), the proxy answers whoever sent the last datagram
 * on that port, and it talks to the emulator from one socket per channel, so the emulator
 * always answers the proxy.
 *
 * Control commands (one JSON object per datagram, answered with `{ id, ok, … }`):
 *   { id, op: 'start', name: 'core/….txt', test: 'full test name' }  a new transcript
 *   { id, op: 'phase', phase: 'call' }                                 a `# phase:` line
 *   { id, op: 'end', outcome: 'pass' | 'fail' | 'skip' | … }           written once the links
 *                                                                      have been quiet a moment
 * A passed test's transcript goes to OUT/name, a failed one to OUT-failed/name (never mixed
 * with the recordings worth keeping); a skipped test's is dropped.
 *
 * Transcripts must replay from a blank device, so each test should meet a freshly started
 * emulator: with --fresh-emulator CMD the proxy stops the emulator it started last and runs
 * CMD (which starts a blank one and prints its PID last, as /work/emu's start scripts do)
 * before every test.
 *
 * CLI (test/fixtures/RECORDING.md has the exact commands):
 *   tsx scripts/record-emulator.ts --emulator 127.0.0.1:22624 --listen 22634 \
 *     --out test/fixtures/transcripts-t3t1-2.8.9 [--fresh-emulator CMD] [--device "…"] \
 *     [-- command to run]
 * With a command after `--`, it runs with TREZOR_EMULATOR, TREZOR_DEBUGLINK and TREZOR_RECORD
 * pointing at the proxy, and the script exits with its exit code; without one it records
 * until Ctrl-C.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TranscriptRecorder, type RecordedChannel } from '../src/testing/recorder.js';

const LOCALHOST = '127.0.0.1';

export interface RecordingProxyOptions {
  /** Wire port the proxy listens on (debug link on +1); 0 picks a free pair. */
  listenPort: number;
  /** Control port (default listenPort + 2; 0 picks any). */
  controlPort?: number;
  emulatorHost?: string;
  /** The emulator's wire port. */
  emulatorPort: number;
  /** The emulator's debug link port (default emulatorPort + 1). */
  emulatorDebugPort?: number;
  /** Folder for the transcripts of passed tests. */
  out: string;
  /** Folder for the others (default `${out}-failed`). */
  failedOut?: string;
  /** `# device:` text; default: read from the first Features of each transcript. */
  device?: string;
  /** Kind of device for the automatic `# device:` line (default 'emulator'). */
  source?: string;
  /** How long both links must be quiet before an ended transcript is written (default 300 ms). */
  quietMs?: number;
  /** …but no longer than this (default 3000 ms). */
  maxSettleMs?: number;
  idleThresholdMs?: number;
  /**
   * Called at each test's start, before its transcript opens: give the test a device as blank
   * as a freshly started emulator (the CLI's --fresh-emulator restarts it). Without it the
   * test meets the device as the previous test left it.
   */
  restart?: () => Promise<void>;
  log?: (line: string) => void;
}

export interface WrittenTranscript {
  path: string;
  outcome: string;
  events: number;
}

export interface RecordingProxy {
  port: number;
  debugPort: number;
  controlPort: number;
  /** Every file written so far. */
  readonly written: readonly WrittenTranscript[];
  /** Messages that passed while no transcript was open. */
  readonly unrecorded: number;
  close(): Promise<void>;
}

function bind(socket: Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, LOCALHOST, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** Bind the wire port and its neighbour; with port 0 retry until a free pair turns up. */
async function bindPair(port: number): Promise<[Socket, Socket]> {
  for (let attempt = 0; ; attempt++) {
    const wire = createSocket('udp4');
    const debug = createSocket('udp4');
    try {
      await bind(wire, port);
      await bind(debug, wire.address().port + 1);
      return [wire, debug];
    } catch (error) {
      await Promise.all([closeSocket(wire), closeSocket(debug)]);
      if (port !== 0 || attempt >= 20) throw error;
    }
  }
}

/**
 * A transcript name from the host, as a path inside the output folder: relative, no `..`,
 * ending in .txt.
 * @example safeName('core/Ping.txt') // 'core/Ping.txt'
 */
export function safeName(name: unknown): string {
  if (typeof name !== 'string' || !name.endsWith('.txt') || isAbsolute(name)) throw new TypeError(`bad transcript name ${JSON.stringify(name)}`);
  const normal = normalize(name);
  if (normal.split(sep).some((part) => part === '..' || part === '')) throw new TypeError(`bad transcript name ${JSON.stringify(name)}`);
  return normal;
}

/**
 * Start the proxy.
 * @example const proxy = await startRecordingProxy({ listenPort: 22634, emulatorPort: 22624, out: 'rec' })
 */
export async function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  const emulatorHost = options.emulatorHost ?? LOCALHOST;
  const upstreamPorts: Record<RecordedChannel, number> = {
    wire: options.emulatorPort,
    debug: options.emulatorDebugPort ?? options.emulatorPort + 1,
  };
  const failedOut = options.failedOut ?? `${options.out.replace(/[\\/]+$/, '')}-failed`;
  const quietMs = options.quietMs ?? 300;
  const maxSettleMs = options.maxSettleMs ?? 3000;
  const log = options.log ?? (() => undefined);

  const [wireDown, debugDown] = await bindPair(options.listenPort);
  const down: Record<RecordedChannel, Socket> = { wire: wireDown, debug: debugDown };
  const up: Record<RecordedChannel, Socket> = { wire: createSocket('udp4'), debug: createSocket('udp4') };
  const control = createSocket('udp4');
  const sockets = [wireDown, debugDown, up.wire, up.debug, control];
  try {
    await bind(up.wire, 0);
    await bind(up.debug, 0);
    await bind(control, options.controlPort ?? wireDown.address().port + 2);
  } catch (error) {
    await Promise.all(sockets.map(closeSocket));
    throw error;
  }

  const peers: Partial<Record<RecordedChannel, RemoteInfo>> = {};
  let current: { recorder: TranscriptRecorder; name: string; test: string } | undefined;
  let lastTraffic = Date.now();
  let unrecorded = 0;
  const written: WrittenTranscript[] = [];
  /** Counts messages outside a transcript (a recorder that is never written). */
  let outside = new TranscriptRecorder();

  const observe = (channel: RecordedChannel, sender: 'host' | 'device', datagram: Uint8Array) => {
    lastTraffic = Date.now();
    const recorder = current?.recorder ?? outside;
    const line = recorder.observe(channel, sender, datagram, performance.now());
    if (line && !current) {
      unrecorded++;
      log(`not in any test: ${line.slice(0, 60)}`);
    }
  };

  for (const channel of ['wire', 'debug'] as const) {
    down[channel].on('message', (datagram: Buffer, remote: RemoteInfo) => {
      peers[channel] = remote;
      observe(channel, 'host', datagram);
      up[channel].send(datagram, upstreamPorts[channel], emulatorHost);
    });
    up[channel].on('message', (datagram: Buffer) => {
      observe(channel, 'device', datagram);
      const peer = peers[channel];
      if (peer) down[channel].send(datagram, peer.port, peer.address);
    });
    down[channel].on('error', (e) => log(`${channel} listen socket: ${e.message}`));
    up[channel].on('error', (e) => log(`${channel} emulator socket: ${e.message}`));
  }

  const finish = (outcome: string): WrittenTranscript | undefined => {
    const open = current;
    current = undefined;
    outside = new TranscriptRecorder();
    if (!open) return undefined;
    const events = open.recorder.events;
    if (outcome === 'skip' || events === 0) {
      log(`${outcome === 'skip' ? 'skipped' : 'empty'}, not written: ${open.name}`);
      return undefined;
    }
    const passed = outcome === 'pass' || outcome === 'passed';
    const text = open.recorder.finish({
      test: open.test,
      outcome: passed ? 'passed' : outcome,
      ...(options.device ? { device: options.device } : {}),
      ...(options.source ? { source: options.source } : {}),
    });
    const path = join(passed ? options.out : failedOut, open.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    const entry = { path, outcome: passed ? 'passed' : outcome, events };
    written.push(entry);
    log(`${entry.outcome}: ${path} (${events} events)`);
    return entry;
  };

  /** Resolve once neither link has carried anything for quietMs (or maxSettleMs passed). */
  const quiet = async () => {
    const start = Date.now();
    while (Date.now() - lastTraffic < quietMs && Date.now() - start < maxSettleMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, quietMs)));
    }
  };

  control.on('message', (datagram: Buffer, remote: RemoteInfo) => {
    let request: { id?: unknown; op?: unknown; name?: unknown; test?: unknown; phase?: unknown; outcome?: unknown; text?: unknown };
    try {
      request = JSON.parse(datagram.toString('utf8')) as typeof request;
    } catch {
      return; // not a command
    }
    const reply = (answer: object) => control.send(JSON.stringify({ id: request.id, ...answer }), remote.port, remote.address);
    void (async () => {
      try {
        if (request.op === 'start') {
          const name = safeName(request.name);
          if (current) {
            log(`a new test started before ${current.name} ended`);
            finish('interrupted');
          }
          await quiet(); // what the last test left behind stays out of this one
          if (options.restart) await options.restart();
          outside = new TranscriptRecorder();
          current = {
            recorder: new TranscriptRecorder(options.idleThresholdMs !== undefined ? { idleThresholdMs: options.idleThresholdMs } : {}),
            name,
            test: typeof request.test === 'string' ? request.test : name,
          };
          current.recorder.phase('setup');
          reply({ ok: true });
        } else if (request.op === 'phase' && typeof request.phase === 'string') {
          current?.recorder.phase(request.phase);
          reply({ ok: true });
        } else if (request.op === 'note' && typeof request.text === 'string') {
          current?.recorder.note(request.text);
          reply({ ok: true });
        } else if (request.op === 'end') {
          await quiet();
          const entry = finish(typeof request.outcome === 'string' ? request.outcome : 'unknown');
          reply({ ok: true, ...(entry ? { path: entry.path, events: entry.events } : {}) });
        } else {
          reply({ ok: false, error: `unknown command ${JSON.stringify(request.op)}` });
        }
      } catch (error) {
        reply({ ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });

  return {
    port: wireDown.address().port,
    debugPort: debugDown.address().port,
    controlPort: control.address().port,
    written,
    get unrecorded() {
      return unrecorded;
    },
    async close() {
      if (current) finish('interrupted');
      await Promise.all(sockets.map(closeSocket));
    },
  };
}

/** Is process `pid` gone (or a zombie, which holds no ports)? */
function exited(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

async function stopProcess(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; !exited(pid); waited += 100) {
    if (waited === 10_000) process.kill(pid, 'SIGKILL');
    if (waited > 15_000) throw new Error(`emulator pid ${pid} does not stop`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Restarts the emulator with `command` (run by bash), which must start a fresh one and print
 * its PID as the last line of its output, as /work/emu's start scripts do. The previous one
 * is stopped first (SIGTERM to that PID, and only to it).
 * @example freshEmulator('./start-next.sh --fresh --build v2.8.9-T3T1 --port 22624')
 */
export function freshEmulator(command: string, log: (line: string) => void = () => undefined): { restart(): Promise<void>; stop(): Promise<void> } {
  let pid: number | undefined;
  const stop = async () => {
    if (pid === undefined) return;
    const old = pid;
    pid = undefined;
    await stopProcess(old);
  };
  return {
    stop,
    async restart() {
      await stop();
      const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number>((resolve) => {
        child.once('exit', (exitCode) => resolve(exitCode ?? 1));
        child.once('error', () => resolve(127));
      });
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !/^\d+$/.test(last)) throw new Error(`--fresh-emulator failed (exit ${code}): ${(stderr || stdout).trim().slice(-300)}`);
      pid = Number(last);
      log(`fresh emulator, pid ${pid}`);
    },
  };
}

function hostPort(text: string, flag: string): [string, number] {
  const colon = text.lastIndexOf(':');
  const host = colon > 0 ? text.slice(0, colon) : LOCALHOST;
  const port = Number(colon >= 0 ? text.slice(colon + 1) : text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`${flag}: expected host:port or a port, got ${JSON.stringify(text)}`);
  return [host, port];
}

const USAGE =
  'usage: tsx scripts/record-emulator.ts --emulator [host:]PORT --listen PORT --out DIR [--control PORT] [--device TEXT] [--fresh-emulator "start command printing the PID"] [-- command args…]';

/** The command-line entry; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const command = split >= 0 ? argv.slice(split + 1) : [];
  let values: { emulator?: string; listen?: string; out?: string; control?: string; device?: string; 'fresh-emulator'?: string };
  try {
    ({ values } = parseArgs({
      args: split >= 0 ? argv.slice(0, split) : argv,
      options: {
        emulator: { type: 'string' },
        listen: { type: 'string' },
        out: { type: 'string' },
        control: { type: 'string' },
        device: { type: 'string' },
        'fresh-emulator': { type: 'string' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.emulator || !values.listen || !values.out) {
    console.error(USAGE);
    return 2;
  }
  let emulator: [string, number];
  let listen: number;
  let controlPort: number | undefined;
  try {
    emulator = hostPort(values.emulator, '--emulator');
    listen = hostPort(values.listen, '--listen')[1];
    controlPort = values.control === undefined ? undefined : hostPort(values.control, '--control')[1];
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const log = (line: string) => console.error(`[record] ${line}`);
  const fresh = values['fresh-emulator'] ? freshEmulator(values['fresh-emulator'], log) : undefined;
  const proxy = await startRecordingProxy({
    listenPort: listen,
    ...(fresh ? { restart: fresh.restart } : {}),
    ...(controlPort !== undefined ? { controlPort } : {}),
    emulatorHost: emulator[0],
    emulatorPort: emulator[1],
    out: values.out,
    ...(values.device ? { device: values.device } : {}),
    log,
  });
  console.error(
    `[record] wire udp:${LOCALHOST}:${proxy.port}, debug ${proxy.debugPort}, control ${proxy.controlPort} → emulator udp:${emulator[0]}:${emulator[1]}; transcripts in ${values.out}`,
  );
  const summary = () => {
    const passed = proxy.written.filter((w) => w.outcome === 'passed').length;
    console.error(`[record] ${passed} passed transcript(s) written, ${proxy.written.length - passed} other(s); ${proxy.unrecorded} message(s) outside any test`);
  };
  const shutdown = async () => {
    await proxy.close();
    await fresh?.stop();
    summary();
  };
  if (command.length === 0) {
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await shutdown();
    return 0;
  }
  const child = spawn(command[0]!, command.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      TREZOR_EMULATOR: `${LOCALHOST}:${proxy.port}`,
      TREZOR_DEBUGLINK: `${LOCALHOST}:${proxy.debugPort}`,
      TREZOR_RECORD: `${LOCALHOST}:${proxy.controlPort}`,
    },
  });
  const code = await new Promise<number>((resolve) => {
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    child.once('error', (error) => {
      console.error(`[record] ${command[0]}: ${error.message}`);
      resolve(127);
    });
  });
  await shutdown();
  return code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
