/**
 * The device calls that `bench/virtual.ts` and `bench/emulator.ts` time, and how they time
 * them: the same four operations against every device (a VirtualTrezor in memory, one over
 * UDP in its own process, the official emulator over UDP), each repeated in rounds, with the
 * median round reported so that a machine busy with other work shows as spread, not as a
 * wrong figure.
 *
 * CPU is read where the device runs: `process.cpuUsage()` for a device in this process (it
 * then includes the library's own work on the host side), the per-thread scheduler counters
 * of /proc/PID/task/STAR/schedstat for a device in another process (nanoseconds; utime + stime
 * of /proc/PID/stat tick only every 10 ms, too coarse for sub-millisecond calls).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { p2wpkh } from '@scure/btc-signer';
import { COINS } from '../src/bitcoin/coins.js';
import { createPsbt, getAddress, getPublicKey, signPsbt } from '../src/bitcoin/index.js';
import { signTransaction } from '../src/ethereum/index.js';
import type { Trezor } from '../src/session/trezor.js';
import { accountKey, fundingTx, publicKeyAt } from '../test/support/bitcoin-wallet.js';

export const MNEMONIC = 'all all all all all all all all all all all all';

export interface Operation {
  name: string;
  /** One call; returns what the device answered, to check that every device agrees. */
  run(trezor: Trezor, i: number): Promise<string>;
}

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

/** An unsigned PSBT spending one P2WPKH input of the SLIP-14 wallet on regtest, with change. */
function oneInputPsbt(): Uint8Array {
  const path = "m/84'/1'/0'/0/0";
  const { raw, txid } = fundingTx(path, 'p2wpkh', 100_000n, 0, 7);
  return createPsbt({
    coin: 'Regtest',
    account: accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh'),
    utxos: [{ txid, vout: 0, amount: 100_000n, path, prevTx: raw }],
    outputs: [{ address: p2wpkh(publicKeyAt("m/84'/1'/9'/0/0"), REGTEST).address!, amount: 40_000n }],
    feeRate: 1,
    change: { path: "m/84'/1'/0'/1/0" },
    strategy: 'all',
  });
}

/**
 * getAddress cycles over ten receive addresses, as a test suite asks for a handful of
 * addresses again and again; the other calls repeat one request.
 */
export function operations(): Operation[] {
  const psbt = oneInputPsbt();
  return [
    {
      name: 'getAddress',
      run: (trezor, i) => getAddress(trezor, { path: `m/84'/0'/0'/0/${i % 10}` }),
    },
    {
      name: 'getPublicKey',
      run: async (trezor) => (await getPublicKey(trezor, { path: "m/84'/0'/0'" })).xpub,
    },
    {
      name: 'sign 1 input',
      run: async (trezor) => (await signPsbt(trezor, psbt, { coin: 'Regtest' })).txid,
    },
    {
      name: 'EIP-1559 sign',
      run: (trezor) =>
        signTransaction(trezor, {
          path: "m/44'/60'/0'/0/0",
          tx: {
            type: 2,
            chainId: 1,
            nonce: 3,
            gasLimit: 21_000n,
            maxFeePerGas: 20_000_000_000n,
            maxPriorityFeePerGas: 1_000_000_000n,
            to: '0x1d1c328764a41bda0492b66baa30c4a339ff85ef',
            value: 10n ** 16n,
            data: '0x',
          },
        }),
    },
  ];
}

/** CPU time consumed so far, in milliseconds, by whatever runs the device. */
export type CpuClock = () => number;

/** This process (host library + in-memory device). */
export const processCpu: CpuClock = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Another process on this machine, all its threads (Linux /proc; NaN elsewhere). */
export function pidCpu(pid: number): CpuClock {
  return () => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return Number.NaN;
    }
    let ns = 0;
    for (const task of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended between readdir and read
      }
    }
    return ns / 1e6;
  };
}

/** The process that owns UDP `port` on 127.0.0.1 (Linux /proc; only processes of this user). */
export function pidOfUdpPort(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  let table: string;
  try {
    table = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(`:${hexPort}`)) inodes.add(fields[9]!);
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (match && inodes.has(match[1]!)) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

export interface Figure {
  /** Median over rounds of the per-call wall time, ms. */
  wall: number;
  /** Median over rounds of the per-call CPU of the device, ms. */
  cpu: number;
  /** Smallest and largest per-call CPU of a round, ms (how noisy the machine was). */
  cpuRange: [number, number];
  /** The answer of the first call. */
  answer: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Time `operation`: one warm-up call, then `rounds` rounds of `calls` calls. */
export async function measure(
  trezor: Trezor,
  operation: Operation,
  { rounds, calls, cpu }: { rounds: number; calls: number; cpu: CpuClock },
): Promise<Figure> {
  const answer = await operation.run(trezor, 0);
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const cpu0 = cpu();
    const start = performance.now();
    for (let i = 0; i < calls; i++) await operation.run(trezor, i);
    walls.push((performance.now() - start) / calls);
    cpus.push((cpu() - cpu0) / calls);
  }
  return { wall: median(walls), cpu: median(cpus), cpuRange: [Math.min(...cpus), Math.max(...cpus)], answer };
}

/**
 * Time every operation on several devices with their rounds interleaved (a round of device A,
 * then of B, …, then A's next round), so that a machine that gets busier or quieter meanwhile
 * weighs on every device alike. Returns one Figure list per target, in the order of `operations`.
 */
export async function measureInterleaved(
  targets: readonly { trezor: Trezor; cpu: CpuClock; calls: number }[],
  operations: readonly Operation[],
  rounds: number,
): Promise<Figure[][]> {
  const results: Figure[][] = targets.map(() => []);
  for (const operation of operations) {
    const answers = await Promise.all(targets.map(async (t) => operation.run(t.trezor, 0)));
    const walls: number[][] = targets.map(() => []);
    const cpus: number[][] = targets.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [index, { trezor, cpu, calls }] of targets.entries()) {
        const cpu0 = cpu();
        const start = performance.now();
        for (let i = 0; i < calls; i++) await operation.run(trezor, i);
        walls[index]!.push((performance.now() - start) / calls);
        cpus[index]!.push((cpu() - cpu0) / calls);
      }
    }
    targets.forEach((_, index) => {
      const c = cpus[index]!;
      results[index]!.push({ wall: median(walls[index]!), cpu: median(c), cpuRange: [Math.min(...c), Math.max(...c)], answer: answers[index]! });
    });
  }
  return results;
}

/** "0.123" with three significant places for small numbers. */
export function ms(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(value >= 1 ? 2 : 3);
}
