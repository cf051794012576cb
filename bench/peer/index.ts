/**
 * `npm run bench:peer`: trezor-direct against trezorlib on the same device, the peer table of
 * issue 14 with a PASS/MISS per goal. Figures, never a pass/fail test (it exits 1 only when the
 * two libraries got different answers: a fast wrong answer is no figure).
 *
 *   TREZOR_EMULATOR=127.0.0.1:21324 npm run bench:peer     the official emulator (seeded with
 *       SLIP-14, no PIN, no passphrase), confirmations pressed through its debug link
 *       (TREZOR_DEBUGLINK, default port + 1); trezorlib joins when /usr/bin/python3 (or
 *       TREZORLIB_PYTHON) imports it.
 *   npm run bench:peer                                     a VirtualTrezor (T1B1 1.14.1) in
 *       memory, trezor-direct only (its host CPU then includes the device's).
 *
 * Rounds are interleaved (every case of both libraries in each round, the order of the two
 * alternating) and each figure is the median of the rounds (BENCH_ROUNDS, default 5), so a
 * machine busy with other work shows as spread, not as a bias against one library.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createPsbt } from '../../src/bitcoin/index.js';
import type { Trezor } from '../../src/index.js';
import { btcAddressPath, createPsbtParameters, eip1559, ethAddressPath, signingPsbts, txPlan } from './cases.js';
import { MNEMONIC, directOperations, emulatorTarget, normalize, virtualTarget, type DirectTarget, type Operation } from './direct.js';
import { startupProbes, timeStartup } from './startup.js';
import { crossCheck, figureOf, ms, peerTable, type Figure, type Row, type Samples } from './stats.js';
import { TrezorlibPeer, trezorlibVersion } from './trezorlib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Only these rows (BENCH_CASES=btc-address,eth-1k; default all): a slow emulator need not sign 200 inputs. */
const ONLY = process.env.BENCH_CASES ? new Set(process.env.BENCH_CASES.split(',').map((id) => id.trim())) : undefined;
const wanted = (id: string): boolean => !ONLY || ONLY.has(id);

/** The table's rows, in the issue's order, with its goals. */
export const ROWS: Row[] = [
  { id: 'btc-address', label: 'BTC getAddress', unit: 'per call', showCpu: true, goals: [{ kind: 'ratio', max: 1.2 }, { kind: 'cpu', ms: 0.2 }] },
  { id: 'eth-address', label: 'ETH getAddress', unit: 'per call', showCpu: true, goals: [{ kind: 'ratio', max: 1.2 }, { kind: 'cpu', ms: 0.2 }] },
  { id: 'btc-sign-psbt', label: 'BTC 1-in 2-out signing, `signPsbt`', unit: 'per tx', showCpu: true, goals: [{ kind: 'ratio', max: 1.2 }] },
  { id: 'btc-sign-raw', label: 'BTC 1-in 2-out signing, raw SignTx flow', unit: 'per tx', showCpu: true, goals: [{ kind: 'ratio', max: 1.2 }] },
  { id: 'eth-1k', label: 'EIP-1559 with 1 kB data', unit: 'per tx', showCpu: true, goals: [{ kind: 'ratio', max: 1.2 }, { kind: 'cpu', ms: 3 }] },
  { id: 'eth-8k', label: 'EIP-1559 with 8 kB data', unit: 'per tx', showCpu: true, goals: [{ kind: 'ratio', max: 1.2 }, { kind: 'cpu', ms: 3 }] },
  { id: 'start-btc', label: 'Node start → first Features, core + bitcoin', unit: 'fresh process', showCpu: false, goals: [{ kind: 'wall', ms: 150 }] },
  { id: 'start-eth', label: 'Node start → first Features, with ethereum', unit: 'fresh process', showCpu: false, goals: [{ kind: 'wall', ms: 250 }] },
  { id: 'btc-200', label: '200-input P2WPKH signing, `signPsbt`', unit: 'per input', showCpu: true, goals: [{ kind: 'ratio', max: 1.3 }] },
  { id: 'create-1000', label: '`createPsbt`, 1,000 UTXOs', unit: 'per call', showCpu: true, goals: [{ kind: 'wall', ms: 1000 }] },
];

/**
 * One device case of a round: trezor-direct's row(s) and trezorlib's counterpart. Operations are
 * divided by `per` (200 for the per-input row).
 */
interface Step {
  rows: string[];
  calls: number;
  per: number;
  peer?: { case: string; data: object };
}

function steps(): Step[] {
  const { one, many } = signingPsbts();
  const paths = (f: (i: number) => string) => Array.from({ length: 10 }, (_, i) => f(i));
  const eth = (bytes: number) => ({ case: 'eth-sign', data: eip1559(bytes) });
  return [
    { rows: ['btc-address'], calls: 50, per: 1, peer: { case: 'btc-address', data: { paths: paths(btcAddressPath) } } },
    { rows: ['eth-address'], calls: 50, per: 1, peer: { case: 'eth-address', data: { paths: paths(ethAddressPath) } } },
    { rows: ['btc-sign-psbt', 'btc-sign-raw'], calls: 3, per: 1, peer: { case: 'btc-sign', data: txPlan(one) } },
    { rows: ['eth-1k'], calls: 3, per: 1, peer: eth(1024) },
    { rows: ['eth-8k'], calls: 3, per: 1, peer: eth(8192) },
    { rows: ['btc-200'], calls: 1, per: 200, peer: { case: 'btc-sign', data: txPlan(many) } },
  ]
    .map((step) => ({ ...step, rows: step.rows.filter(wanted) }))
    .filter((step) => step.rows.length > 0);
}

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** `calls` calls of one operation: total wall and host CPU ms, the first (up to ten) answers. */
async function runDirect(op: Operation, trezor: Trezor, calls: number): Promise<{ wall: number; cpu: number; result: string }> {
  const answers: string[] = [];
  const cpu0 = cpuMs();
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const answer = await op(trezor, i);
    if (i < 10) answers.push(answer);
  }
  return { wall: performance.now() - start, cpu: cpuMs() - cpu0, result: answers.join(',') };
}

/** trezor-direct-virtual (T1B1 1.14.1) in a child process, for the start-up rows without an emulator. */
async function virtualOverUdp(): Promise<{ address: string; child: ChildProcess }> {
  const cli = fileURLToPath(new URL('../../src/cli/virtual.ts', import.meta.url));
  const args = ['--import', 'tsx', cli, '--port', '0', '--model', 'T1B1', '--firmware', '1.14.1', '--auto-confirm', '--mnemonic', MNEMONIC];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`trezor-direct-virtual exited (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /wire udp:127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
  });
  return { address: `127.0.0.1:${port}`, child };
}

function add(samples: Record<string, Samples>, id: string, wall: number, cpu: number): void {
  (samples[id] ??= { wall: [], cpu: [] }).wall.push(wall);
  samples[id]!.cpu.push(cpu);
}

export async function run(): Promise<number> {
  const address = process.env.TREZOR_EMULATOR;
  const debugAddress = process.env.TREZOR_DEBUGLINK ?? (address ? `${address.split(':')[0]}:${Number(address.split(':')[1] ?? 21324) + 1}` : '');
  const version = address ? trezorlibVersion() : undefined;
  const target: DirectTarget = address ? await emulatorTarget(address, debugAddress) : await virtualTarget();
  let peer: TrezorlibPeer | undefined;
  let peerLabel = 'trezorlib: not run (needs TREZOR_EMULATOR and /usr/bin/python3 with trezorlib)';
  if (address && version) {
    const opened = await TrezorlibPeer.open(address, debugAddress);
    peer = opened.peer;
    peerLabel = `trezorlib ${version} on model ${opened.model} ${opened.version}`;
  }
  console.log(`\npeer benchmark: trezor-direct on ${target.label}; ${peerLabel}`);
  console.log(`  ${ROUNDS} interleaved rounds, medians; wall ms per operation / host CPU ms per operation`);

  const direct: Record<string, Samples> = {};
  const peerSamples: Record<string, Samples> = {};
  const directResults: Record<string, string> = {};
  const peerResults: Record<string, string> = {};
  const operations = directOperations();
  let plan = steps();
  /** Rows left out, with the reason (e.g. EIP-1559 on firmware that lacks it). */
  const skipped: string[] = [];
  try {
    // Warm-up: one call of everything (JIT, caches, the device's first derivations).
    // A case the firmware cannot do (NotSupported) leaves the table with its reason.
    for (const step of plan) {
      try {
        await target.resume();
        for (const id of step.rows) await operations[id]!(target.trezor, 0);
        await target.suspend();
        if (peer && step.peer) await peer.run(step.peer.case, 1, step.peer.data);
      } catch (error) {
        await target.suspend();
        if ((error as { code?: string }).code !== 'NotSupported') throw error;
        skipped.push(`${step.rows.join(', ')}: ${(error as Error).message}`);
        step.rows = [];
      }
    }
    plan = plan.filter((step) => step.rows.length > 0);
    for (let round = 0; round < ROUNDS; round++) {
      for (const step of plan) {
        const sides = [
          async () => {
            await target.resume();
            for (const id of step.rows) {
              const r = await runDirect(operations[id]!, target.trezor, step.calls);
              add(direct, id, r.wall / step.calls / step.per, r.cpu / step.calls / step.per);
              directResults[id] ??= normalize(id, r.result);
            }
            await target.suspend();
          },
          async () => {
            if (!peer || !step.peer) return;
            const r = await peer.run(step.peer.case, step.calls, step.peer.data);
            for (const id of step.rows) {
              add(peerSamples, id, r.wall / step.calls / step.per, r.cpu / step.calls / step.per);
              peerResults[id] ??= r.result;
            }
          },
        ];
        if (round % 2) sides.reverse();
        for (const side of sides) await side();
      }
    }
  } finally {
    await peer?.close();
    await target.close();
  }

  // createPsbt after the device rounds: its garbage would otherwise be collected during them.
  if (wanted('create-1000')) {
    const psbtParameters = createPsbtParameters(1000);
    for (let round = 0; round < ROUNDS; round++) {
      const cpu0 = cpuMs();
      const start = performance.now();
      createPsbt(psbtParameters);
      add(direct, 'create-1000', performance.now() - start, cpuMs() - cpu0);
    }
  }

  // Start-up: fresh processes against the same device (a virtual one over UDP without an emulator).
  if (wanted('start-btc') || wanted('start-eth')) {
    const server = address ? undefined : await virtualOverUdp();
    try {
      const probes = (await startupProbes(address ?? server!.address, peer !== undefined)).filter((p) => p.id === 'start-python' || wanted(p.id));
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 ? [...probes].reverse() : probes;
        for (const probe of order) {
          const wall = await timeStartup(probe);
          if (probe.id === 'start-python') for (const id of ['start-btc', 'start-eth']) add(peerSamples, id, wall, Number.NaN);
          else add(direct, probe.id, wall, Number.NaN);
        }
      }
    } finally {
      if (server) {
        server.child.kill('SIGTERM');
        if (server.child.exitCode === null) await once(server.child, 'exit');
      }
    }
  }

  const figures = (samples: Record<string, Samples>) => Object.fromEntries(ROWS.map((row) => [row.id, figureOf(samples[row.id])])) as Record<string, Figure | undefined>;
  const rows = ROWS.filter((row) => wanted(row.id) && !skipped.some((s) => s.split(':')[0]!.split(', ').includes(row.id)));
  console.log(`\n${peerTable(rows, figures(peerSamples), figures(direct))}\n`);
  for (const reason of skipped) console.log(`  left out: ${reason}`);
  if (target.cpuIncludesDevice) console.log('  host CPU of trezor-direct includes the in-memory device (no trezorlib column without an emulator)');
  console.log('  start-up rows: from spawn() to the first Features, Node running the bundled src (esbuild, no tree shaking); trezorlib: python3 importing trezorlib');
  const spread = (s: Samples | undefined) => (s ? `${ms(Math.min(...s.wall))}–${ms(Math.max(...s.wall))}` : '–');
  console.log(`  wall spread over the rounds (min–max), trezorlib | trezor-direct:`);
  for (const row of rows) console.log(`    ${row.id.padEnd(14)} ${spread(peerSamples[row.id]).padStart(14)} | ${spread(direct[row.id])}`);
  const problems = crossCheck(peerResults, directResults);
  const compared = Object.keys(directResults).filter((id) => id in peerResults);
  if (problems.length) {
    console.log(`\n  !! the libraries answered differently:\n${problems.map((p) => `    ${p}`).join('\n')}`);
    return 1;
  }
  console.log(compared.length ? `  cross-check: same answers for ${compared.join(', ')}` : '  cross-check: nothing to compare (no trezorlib run)');
  return 0;
}

process.exitCode = await run();
