/**
 * VirtualTrezor speed (`npm run bench`, or `npx tsx bench/virtual.ts`): start-up of a seeded
 * device (constructor → first Features) and the per-call wall time and CPU of four operations
 * (bench/device-calls.ts), with the device in this process (in-memory transport) and in a
 * process of its own behind the emulator's UDP interface (`trezor-direct-virtual`, reached
 * through udp(), as the official emulator is). bench/emulator.ts adds the official emulator
 * as a third column. Figures, not a pass/fail test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getAddress } from '../src/bitcoin/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import type { Model } from '../src/testing/virtual/context.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { udp } from '../src/transport/udp.js';
import { MNEMONIC, measure, median, ms, operations, pidCpu, processCpu, type CpuClock, type Figure } from './device-calls.js';

/** Which virtual device: a model and the firmware version it claims. */
export interface Profile {
  model: Model;
  firmware: string;
}

/** The Trezor One of the figures, and the Model T of the official emulator built here. */
export const PROFILES: Profile[] = [
  { model: 'T1B1', firmware: '1.14.1' },
  { model: 'T2T1', firmware: '2.8.9' },
];

/** Rounds × calls per operation: enough rounds for a median on a busy machine. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
export const CALLS = Number(process.env.BENCH_CALLS ?? 20);

/** One device under test: a connected Trezor and the CPU clock of the process running the device. */
export interface Target {
  label: string;
  trezor: Trezor;
  cpu: CpuClock;
  close(): Promise<void>;
}

export async function inMemory({ model, firmware }: Profile): Promise<Target> {
  const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model, firmware, autoConfirm: true });
  const trezor = await connect({ transport: virtual.transport(), ui: {}, sessionId: null });
  return {
    label: 'virtual, in memory',
    trezor,
    cpu: processCpu,
    async close() {
      await trezor.close();
      await virtual.close();
    },
  };
}

/** trezor-direct-virtual in a child process on a free UDP port pair. */
export async function overUdp({ model, firmware }: Profile): Promise<Target> {
  const cli = fileURLToPath(new URL('../src/cli/virtual.ts', import.meta.url));
  const args = ['--import', 'tsx', cli, '--port', '0', '--model', model, '--firmware', firmware, '--auto-confirm'];
  const child: ChildProcess = spawn(process.execPath, [...args, '--mnemonic', MNEMONIC], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`trezor-direct-virtual exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /wire udp:127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
  });
  const trezor = await connect({ transport: udp({ port }), ui: {}, sessionId: null });
  return {
    label: 'virtual, UDP',
    trezor,
    cpu: pidCpu(child.pid!),
    async close() {
      await trezor.close();
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

export interface Startup {
  /** The first device of this process (modules imported, nothing compiled or warmed up yet). */
  first: { features: number; address: number };
  /** Median of the devices after it: wall ms and CPU ms. */
  features: { wall: number; cpu: number };
  /** Constructor → first getAddress answered: the seed (PBKDF2) and the derivations included. */
  address: { wall: number; cpu: number };
}

/**
 * Start-up of a seeded VirtualTrezor: constructor → first Features through connect(), and on
 * to the first address (a fresh device derives everything: seed, master node, the path).
 */
export async function startup({ model, firmware }: Profile, rounds = 30): Promise<Startup> {
  const features: { wall: number; cpu: number }[] = [];
  const address: { wall: number; cpu: number }[] = [];
  for (let i = 0; i <= rounds; i++) {
    const cpu0 = processCpu();
    const start = performance.now();
    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model, firmware });
    const trezor = await connect({ transport: virtual.transport(), ui: {}, sessionId: null });
    features.push({ wall: performance.now() - start, cpu: processCpu() - cpu0 });
    await getAddress(trezor, { path: "m/84'/0'/0'/0/0" });
    address.push({ wall: performance.now() - start, cpu: processCpu() - cpu0 });
    await trezor.close();
    await virtual.close();
  }
  const medianOf = (list: { wall: number; cpu: number }[]) => ({
    wall: median(list.slice(1).map((x) => x.wall)),
    cpu: median(list.slice(1).map((x) => x.cpu)),
  });
  return { first: { features: features[0]!.wall, address: address[0]!.wall }, features: medianOf(features), address: medianOf(address) };
}

/** Figures of every operation on one target, in the order of operations(); closes the target. */
export async function measureTarget(target: Target, { rounds = ROUNDS, calls = CALLS } = {}): Promise<Figure[]> {
  const figures: Figure[] = [];
  try {
    for (const operation of operations()) {
      figures.push(await measure(target.trezor, operation, { rounds, calls, cpu: target.cpu }));
    }
  } finally {
    await target.close();
  }
  return figures;
}

/** Print one table: a row per operation, wall / CPU (and the CPU range of the rounds) per target. */
export function printTable(labels: string[], columns: Figure[][]): void {
  const names = operations().map((op) => op.name);
  console.log(`  ${'ms per call'.padEnd(15)}${labels.map((l) => l.padStart(34)).join('')}`);
  console.log(`  ${''.padEnd(15)}${labels.map(() => 'wall    CPU  (CPU range)'.padStart(34)).join('')}`);
  names.forEach((name, row) => {
    const cells = columns.map((figures) => {
      const f = figures[row]!;
      return `${ms(f.wall).padStart(7)} ${ms(f.cpu).padStart(7)}  (${ms(f.cpuRange[0])}–${ms(f.cpuRange[1])})`.padStart(34);
    });
    console.log(`  ${name.padEnd(15)}${cells.join('')}`);
  });
  // Every device must have answered the same: a fast wrong answer is no figure.
  names.forEach((name, row) => {
    const answers = new Set(columns.map((figures) => figures[row]!.answer));
    if (answers.size > 1) console.log(`  !! ${name}: the devices answered differently: ${[...answers].join(' / ')}`);
  });
}

export async function run(): Promise<void> {
  console.log(`\nvirtual device start-up (median of 30 devices after the first; ms wall / ms CPU)`);
  for (const profile of PROFILES) {
    const s = await startup(profile);
    console.log(
      `  ${profile.model} ${profile.firmware}: constructor → first Features ${ms(s.features.wall)} / ${ms(s.features.cpu)},` +
        ` → first address ${ms(s.address.wall)} / ${ms(s.address.cpu)}` +
        `  (first device of the process: ${ms(s.first.features)} → ${ms(s.first.address)} wall)`,
    );
  }
  for (const profile of PROFILES) {
    const memory = await measureTarget(await inMemory(profile));
    const overUdpFigures = await measureTarget(await overUdp(profile));
    console.log(`\nvirtual ${profile.model} ${profile.firmware}: ms per call, median of ${ROUNDS} rounds × ${CALLS} calls`);
    console.log('  (CPU in memory: this whole process, host side included; over UDP: the device process only)');
    printTable(['virtual, in memory', 'virtual, UDP'], [memory, overUdpFigures]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
