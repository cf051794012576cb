/**
 * Ethereum host cost (`npm run bench`, or `npx tsx bench/ethereum.ts`): the host CPU and wall
 * time per call of the Ethereum operations, and Node start-up with the ethereum entry.
 *
 * Host CPU is this process's CPU with the device in another process: a VirtualTrezor over UDP
 * (trezor-direct-virtual, Model T 2.8.9), or the official emulator when TREZOR_EMULATOR is set
 * (seeded with the SLIP-14 mnemonic; its confirmations pressed through TREZOR_DEBUGLINK, default
 * port + 1). It is what the library spends per signature: planning, codec, transport, and the
 * host-side check that the signature recovers to the path's address.
 *
 * Start-up is "node start → first Features": fresh `node` processes that import the built
 * package (dist/, `npm run build` first) by its own name and connect over UDP to the same
 * device; the figure is the child's own clock (performance.now(), from process start) and CPU
 * when Features arrive, median of BENCH_STARTS (default 11) interleaved runs. Figures only.
 */
import { connectEmulator } from './emulator-connect.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getAddress, getAddresses, signMessage, signTransaction, signTypedData } from '../src/ethereum/index.js';
import type { Trezor } from '../src/session/trezor.js';
import { measure, median, ms, processCpu, type Operation } from './device-calls.js';
import { overUdp } from './virtual.js';

const PATH = "m/44'/60'/0'/0/0";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CALLS = Number(process.env.BENCH_ETH_CALLS ?? 10);
const STARTS = Number(process.env.BENCH_STARTS ?? 11);

const eip1559 = (dataBytes: number) => ({
  type: 2,
  chainId: 1,
  nonce: 3,
  gasLimit: 21_000n + 16n * BigInt(dataBytes),
  maxFeePerGas: 20_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
  to: '0x1d1c328764a41bda0492b66baa30c4a339ff85ef',
  value: 10n ** 16n,
  data: `0x${'ab'.repeat(dataBytes)}`,
});

/** EIP-712's own example (eips.ethereum.org/EIPS/eip-712, "Mail"). */
const MAIL = {
  domain: { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
    ],
  },
  primaryType: 'Mail',
  message: {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
    contents: 'Hello, Bob!',
  },
};

const TEN_PATHS = Array.from({ length: 10 }, (_, i) => `m/44'/60'/0'/0/${i}`);

/** The Ethereum operations, one device call flow each. */
export function ethereumOperations(): Operation[] {
  return [
    { name: 'ETH getAddress', run: (t, i) => getAddress(t, { path: TEN_PATHS[i % 10]! }) },
    { name: 'ETH getAddresses ×10 (per call)', run: async (t) => (await getAddresses(t, { paths: TEN_PATHS })).join() },
    { name: 'EIP-1559 sign, no data', run: (t) => signTransaction(t, { path: PATH, tx: eip1559(0) }) },
    { name: 'EIP-1559 sign, 1 kB data', run: (t) => signTransaction(t, { path: PATH, tx: eip1559(1024) }) },
    { name: 'EIP-1559 sign, 8 kB data', run: (t) => signTransaction(t, { path: PATH, tx: eip1559(8192) }) },
    { name: 'legacy EIP-155 sign', run: (t) => signTransaction(t, { path: PATH, tx: { chainId: 1, nonce: 3, gasLimit: 21_000n, gasPrice: 20_000_000_000n, to: eip1559(0).to, value: 1n } }) },
    { name: 'signMessage (EIP-191)', run: (t) => signMessage(t, { path: PATH, message: 'hello world' }) },
    { name: 'signTypedData (EIP-712 Mail)', run: (t) => signTypedData(t, { path: PATH, ...MAIL }) },
  ];
}

interface Device {
  label: string;
  trezor: Trezor;
  port: number;
  close(): Promise<void>;
}

async function device(): Promise<Device> {
  const address = process.env.TREZOR_EMULATOR;
  if (!address) {
    const target = await overUdp({ model: 'T2T1', firmware: '2.8.9' });
    const port = Number(/udp:[^:]+:(\d+)/.exec(target.trezor.device.path)?.[1]);
    return { label: 'virtual T2T1 2.8.9 over UDP', trezor: target.trezor, port, close: () => target.close() };
  }
  const session = await connectEmulator(address);
  return { label: `emulator ${session.version}`, trezor: session.trezor, port: session.port, close: () => session.close() };
}

/** One fresh Node process: import `imports`, connect over UDP, report its clock and CPU at Features. */
function startOnce(imports: string[], host: string, port: number): Promise<{ wall: number; cpu: number }> {
  const code = [
    ...imports.map((entry, i) => `const m${i} = await import('${entry}');`),
    `const { connect } = await import('trezor-direct'); const { udp } = await import('trezor-direct/node');`,
    `const t = await connect({ transport: udp({ host: '${host}', port: ${port} }), sessionId: null });`,
    `const c = process.cpuUsage(); console.log('features', t.features.major_version, performance.now(), (c.user + c.system) / 1000);`,
    `process.exit(0);`,
  ].join('\n');
  const root = fileURLToPath(new URL('..', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', () => {
      const match = /features \d+ (\S+) (\S+)/.exec(out);
      if (match) resolve({ wall: Number(match[1]), cpu: Number(match[2]) });
      else reject(new Error(`start-up probe failed: ${err.trim().split('\n').slice(-1)[0] ?? out}`));
    });
  });
}

/** Start-up medians for the core entry alone and with the ethereum entry (and bitcoin, for reference). */
export async function startup(host: string, port: number, runs = STARTS): Promise<Record<string, { wall: number; cpu: number }>> {
  const variants: Record<string, string[]> = {
    'core (trezor-direct + /node)': [],
    '+ trezor-direct/ethereum': ['trezor-direct/ethereum'],
    '+ trezor-direct/viem': ['trezor-direct/viem'],
  };
  const samples: Record<string, { wall: number; cpu: number }[]> = {};
  for (let i = 0; i < runs; i++) {
    for (const [name, imports] of Object.entries(variants)) (samples[name] ??= []).push(await startOnce(imports, host, port));
  }
  return Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, { wall: median(list.map((s) => s.wall)), cpu: median(list.map((s) => s.cpu)) }]));
}

export async function run(): Promise<void> {
  const target = await device();
  try {
    console.log(`\nEthereum, ${target.label}: ms per call, median of ${ROUNDS} rounds × ${CALLS} calls (host CPU: this process, the device runs in another)`);
    console.log(`  ${'operation'.padEnd(34)} ${'wall'.padStart(8)} ${'host CPU'.padStart(9)}  CPU range`);
    for (const operation of ethereumOperations()) {
      const figure = await measure(target.trezor, operation, { rounds: ROUNDS, calls: CALLS, cpu: processCpu });
      const range = `${ms(figure.cpuRange[0])}–${ms(figure.cpuRange[1])}`;
      console.log(`  ${operation.name.padEnd(34)} ${ms(figure.wall).padStart(8)} ${ms(figure.cpu).padStart(9)}  ${range}`);
    }
    const dist = fileURLToPath(new URL('../dist/ethereum/index.js', import.meta.url));
    if (!existsSync(dist)) {
      console.log('\nstart-up: skipped (no dist/: run `npm run build` first; the probes import the built package)');
      return;
    }
    const host = (process.env.TREZOR_EMULATOR ?? '127.0.0.1').split(':')[0] || '127.0.0.1';
    // The probes open their own sessions; the benchmark's must not hold the device meanwhile.
    await target.trezor.close();
    const figures = await startup(host, target.port);
    console.log(`\nNode start → first Features (fresh processes importing dist/, median of ${STARTS}): child's clock / CPU, ms`);
    for (const [name, { wall, cpu }] of Object.entries(figures)) console.log(`  ${name.padEnd(34)} ${ms(wall).padStart(8)} ${ms(cpu).padStart(9)}`);
  } finally {
    await target.close().catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
