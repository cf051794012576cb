/**
 * The virtual device against the official emulator (`TREZOR_EMULATOR=127.0.0.1:PORT npx tsx
 * bench/emulator.ts`; `npm run bench` runs it too when TREZOR_EMULATOR is set). Prints one
 * table: per-call wall time and device CPU of the four operations of bench/device-calls.ts on
 * a VirtualTrezor in memory, one over UDP, and the emulator over UDP. The virtual devices play
 * the model and firmware version the emulator reports.
 *
 * The emulator must run already, seeded with the SLIP-14 mnemonic (no PIN, no passphrase), e.g.
 *   cd /work/emu/next && ./start-next.sh --fresh --build v2.8.9-T2T1 --port 23524
 *   /work/emu/load-seed.py --port 23524
 * Its CPU is read from /proc (TREZOR_EMULATOR_PID, or the owner of the UDP port); its
 * confirmations are pressed through its debug link (TREZOR_DEBUGLINK, default port + 1), which
 * the emulator pays for, as a test suite's presses would. The virtual devices confirm by
 * themselves (autoConfirm). Figures, not a pass/fail test.
 */
import { connectEmulator } from './emulator-connect.js';
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { measureInterleaved, ms, operations, pidCpu, pidOfUdpPort, type Figure } from './device-calls.js';
import { CALLS, ROUNDS, inMemory, overUdp, printTable, type Profile, type Target } from './virtual.js';

/** Calls per round on the emulator (BENCH_EMULATOR_CALLS); rounds as for the virtual device. */
const EMULATOR_CALLS = Number(process.env.BENCH_EMULATOR_CALLS ?? 3);

async function emulator(address: string): Promise<Target> {
  const session = await connectEmulator(address);
  const pid = Number(process.env.TREZOR_EMULATOR_PID) || pidOfUdpPort(session.port);
  if (!pid) console.log(`  (no process of this user owns UDP port ${session.port}: set TREZOR_EMULATOR_PID for the emulator's CPU)`);
  return {
    label: `emulator ${session.version}`,
    trezor: session.trezor,
    cpu: pid ? pidCpu(pid) : () => Number.NaN,
    close: () => session.close(),
  };
}

/** CPU the emulator burns per second while nobody talks to it (its event loop polls). */
async function idleCpuPerSecond(cpu: () => number, seconds = 3): Promise<number> {
  const before = cpu();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return (cpu() - before) / seconds;
}

export async function run(): Promise<void> {
  const address = process.env.TREZOR_EMULATOR;
  if (!address) {
    console.log('\nemulator comparison: skipped (set TREZOR_EMULATOR=host:port of a seeded official emulator)');
    return;
  }
  // The emulator first: the virtual devices then play the same model and firmware.
  const official = await emulator(address);
  const idle = await idleCpuPerSecond(official.cpu);
  const { features } = official.trezor;
  const profile: Profile = {
    model: features.model === '1' ? 'T1B1' : 'T2T1',
    firmware: `${features.major_version}.${features.minor_version}.${features.patch_version}`,
  };
  const targets = [await inMemory(profile), await overUdp(profile), official];
  let figures: Figure[][];
  try {
    // Rounds interleaved across the three devices; an emulator can be far slower per call (the
    // Model T one, hundreds of times): fewer calls per round there.
    figures = await measureInterleaved(
      targets.map((t) => ({ trezor: t.trezor, cpu: t.cpu, calls: t === official ? EMULATOR_CALLS : CALLS })),
      operations(),
      ROUNDS,
    );
  } finally {
    for (const t of targets) await t.close();
  }
  console.log(
    `\nvirtual ${profile.model} ${profile.firmware} vs the official emulator: ms per call, median of ${ROUNDS} interleaved rounds × ${CALLS} calls (emulator: × ${EMULATOR_CALLS}); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log('  (CPU in memory: this whole process, host side included; over UDP: the device process only)');
  printTable(targets.map((t) => t.label), figures);
  console.log(`  the emulator burns ${ms(idle)} ms CPU per second when idle (in its figures: about ${ms(idle / 1000)} ms per ms of wall time)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
