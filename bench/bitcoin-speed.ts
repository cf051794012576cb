/**
 * Bitcoin host cost in figures (issue 14): `npx tsx bench/bitcoin-speed.ts [sign|create|startup|all]`.
 *
 *   sign     signPsbt of 10, 200 and 1,000 P2WPKH inputs against a VirtualTrezor in memory (T1B1,
 *            confirming by itself). Per input: the wall time, the process CPU (library + virtual
 *            device, both in this thread), and its split: the library's share outside the
 *            session's call(), and the CPU inside call() (codec, framing, the virtual device). With
 *            TREZOR_EMULATOR=host:port the same PSBTs are signed by that seeded official
 *            emulator instead (its confirmations pressed through TREZOR_DEBUGLINK, default
 *            port + 1): the process CPU is then the library and the transport alone.
 *   create   createPsbt with 50, 200 and 1,000 UTXOs of one account (median of 5, wall and CPU).
 *   startup  Node start → first Features for the core + bitcoin entries: fresh `node` processes
 *            (median of BENCH_STARTUP_ROUNDS, default 11) running a bundle of the two entries
 *            (esbuild, dependencies left to node_modules, as the published dist/ loads them)
 *            against a VirtualTrezor listening on UDP in this process; the time is the child's
 *            own performance.now() at Features, i.e. from the start of its process. The modules
 *            the bitcoin entry evaluates at import time are printed with their cost.
 *
 * Sizes can be given after the mode: `sign 200 1000`. Figures, never pass/fail; the machine is
 * shared, so compare CPU figures and medians rather than one wall time.
 */
import { connectEmulator } from './emulator-connect.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { hex } from '@scure/base';
import { RawTx, p2wpkh } from '@scure/btc-signer';
import { sha256 } from '@noble/hashes/sha2.js';
import { createPsbt, signPsbt } from '../src/bitcoin/index.js';
import { keyScript } from '../src/bitcoin/address.js';
import { COINS } from '../src/bitcoin/coins.js';
import { parsePsbt } from '../src/bitcoin/signPsbt.js';
import { parsePath } from '../src/path.js';
import { connect } from '../src/session/connect.js';
import type { CallFn, Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { ROOT, accountKey, publicKeyAt } from '../test/support/bitcoin-wallet.js';

const MNEMONIC = 'all all all all all all all all all all all all';
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const root = fileURLToPath(new URL('..', import.meta.url));

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f = (n: number, digits = 2): string => n.toFixed(digits);

/** UTXOs of the SLIP-14 wallet's regtest P2WPKH account, one funding transaction each. */
function utxosOf(count: number) {
  const chain = ROOT.derive("m/84'/1'/0'/0");
  return Array.from({ length: count }, (_, i) => {
    const script = keyScript('p2wpkh', chain.deriveChild(i).publicKey!).script;
    const amount = 10_000n + BigInt(i);
    const prevTx = RawTx.encode({
      version: 2,
      segwitFlag: false,
      inputs: [{ txid: sha256(Uint8Array.of(i & 0xff, i >> 8, 0x5a)), index: 0, finalScriptSig: Uint8Array.of(0x51), sequence: 0xffffffff }],
      outputs: [{ amount, script }],
      witnesses: undefined,
      lockTime: 0,
    });
    return { txid: hex.encode(sha256(sha256(prevTx)).reverse()), vout: 0, amount, path: `m/84'/1'/0'/0/${i}`, prevTx };
  });
}

const recipient = (): string => p2wpkh(publicKeyAt("m/84'/1'/9'/0/0"), REGTEST).address!;

function psbtSpendingAll(count: number): Uint8Array {
  const utxos = utxosOf(count);
  const total = utxos.reduce((sum, u) => sum + u.amount, 0n);
  return createPsbt({
    coin: 'Regtest',
    account: accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh'),
    utxos,
    outputs: [{ address: recipient(), amount: total / 2n }],
    feeRate: 1,
    change: { path: "m/84'/1'/0'/1/0" },
    strategy: 'all',
  });
}

/**
 * The same Trezor, with the time spent inside call() added up: CPU in memory (the virtual
 * device runs there, in this thread), wall time over UDP.
 */
function timed(trezor: Trezor, clock: () => number): { trezor: Trezor; inCall: () => number } {
  let spent = 0;
  const proxy = Object.create(trezor) as Trezor;
  proxy.exclusive = <T>(flow: (call: CallFn) => Promise<T>) =>
    trezor.exclusive((call) =>
      flow((async (...args: Parameters<CallFn>) => {
        const start = clock();
        try {
          return await call(...args);
        } finally {
          spent += clock() - start;
        }
      }) as CallFn),
    );
  return { trezor: proxy, inCall: () => spent };
}

async function target(): Promise<{ label: string; trezor: Trezor; inMemory: boolean; close(): Promise<void> }> {
  const address = process.env.TREZOR_EMULATOR;
  if (!address) {
    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', autoConfirm: true });
    const trezor = await connect({ transport: virtual.transport(), ui: {} });
    return {
      label: 'VirtualTrezor T1B1 in memory',
      trezor,
      inMemory: true,
      async close() {
        await trezor.close();
        await virtual.close();
      },
    };
  }
  const session = await connectEmulator(address);
  return { label: `emulator ${session.version} over UDP`, trezor: session.trezor, inMemory: false, close: () => session.close() };
}

export async function sign(sizes = [10, 200, 1000]): Promise<void> {
  const t = await target();
  const { trezor, inCall } = timed(t.trezor, t.inMemory ? cpuMs : () => performance.now());
  console.log(`\nbitcoin: signPsbt, P2WPKH inputs, ${t.label} (ms per input)`);
  console.log(t.inMemory ? '  inputs   wall   process CPU   library CPU   device+wire CPU' : '  inputs   wall   process CPU   in call() wall   outside wall');
  try {
    await signPsbt(trezor, psbtSpendingAll(3), { coin: 'Regtest' }); // warm-up: JIT, the device's key caches
    for (const inputs of sizes) {
      const psbt = psbtSpendingAll(inputs);
      const call0 = inCall();
      const cpu0 = cpuMs();
      const start = performance.now();
      const result = await signPsbt(trezor, psbt, { coin: 'Regtest' });
      const wall = performance.now() - start;
      const cpu = cpuMs() - cpu0;
      const device = inCall() - call0;
      if (!result.complete) throw new Error('not signed');
      const row = `  ${String(inputs).padStart(6)} ${f(wall / inputs).padStart(6)}   ${f(cpu / inputs).padStart(11)}`;
      console.log(t.inMemory ? `${row}   ${f((cpu - device) / inputs).padStart(11)}   ${f(device / inputs).padStart(16)}` : `${row}   ${f(device / inputs).padStart(16)}   ${f((wall - device) / inputs).padStart(13)}`);
    }
  } finally {
    await t.close();
  }
}

export function create(sizes = [50, 200, 1000]): void {
  const account = accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh');
  console.log('\nbitcoin: createPsbt, P2WPKH UTXOs of one account, default selection (median of 5; ms)');
  console.log('   utxos     wall      CPU');
  for (const count of sizes) {
    const utxos = utxosOf(count);
    const total = utxos.reduce((sum, u) => sum + u.amount, 0n);
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let round = 0; round < 6; round++) {
      const cpu0 = cpuMs();
      const start = performance.now();
      createPsbt({
        coin: 'Regtest',
        account,
        utxos,
        // Most of the funds: the selection has to pick most UTXOs.
        outputs: [{ address: recipient(), amount: (total * 9n) / 10n }],
        feeRate: 2,
        change: { path: "m/84'/1'/0'/1/0" },
      });
      if (round === 0) continue; // warm-up
      walls.push(performance.now() - start);
      cpus.push(cpuMs() - cpu0);
    }
    console.log(`  ${String(count).padStart(6)} ${f(median(walls), 1).padStart(8)} ${f(median(cpus), 1).padStart(8)}`);
  }
}

/**
 * The child: import the entries (the bitcoin one too unless `core`), connect over UDP, print ms
 * since its process started. The UDP transport comes with the core bundle's connect.
 */
const CHILD = `
const [port, variant] = process.argv.slice(2);
const { connect, __udp } = await import('./index.js');
if (variant !== 'core') await import('./bitcoin.js');
const imported = performance.now();
const trezor = await connect({ transport: __udp({ port: Number(port) }), ui: {}, sessionId: null });
console.log(JSON.stringify({ features: performance.now(), imported, vendor: trezor.features.vendor }));
await trezor.close();
`;

export async function startup(rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 11)): Promise<void> {
  const dir = mkdtempSync(join(root, '.bench-startup-'));
  try {
    // One bundle per entry, as an app's two imports; shared code goes to a chunk.
    await build({
      stdin: { contents: "export * from './src/index.ts'; export { udp as __udp } from './src/transport/udp.ts';", resolveDir: root, loader: 'ts' },
      bundle: true,
      outfile: join(dir, 'index.js'),
      format: 'esm',
      platform: 'node',
      packages: 'external',
      logLevel: 'silent',
    });
    await build({
      stdin: { contents: "export * from './src/bitcoin/index.ts';", resolveDir: root, loader: 'ts' },
      bundle: true,
      outfile: join(dir, 'bitcoin.js'),
      format: 'esm',
      platform: 'node',
      packages: 'external',
      logLevel: 'silent',
    });
    writeFileSync(join(dir, 'child.mjs'), CHILD);
    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T2T1' });
    const { port } = await virtual.listenUdp({ port: 0 });
    const runs: Record<'core' | 'bitcoin', { features: number[]; imported: number[] }> = { core: { features: [], imported: [] }, bitcoin: { features: [], imported: [] } };
    try {
      // Interleaved, so that the machine's load weighs on both alike.
      for (let i = 0; i < rounds; i++) {
        for (const variant of ['bitcoin', 'core'] as const) {
          const out = await new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, [join(dir, 'child.mjs'), String(port), variant], { stdio: ['ignore', 'pipe', 'inherit'] });
            let text = '';
            child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
            child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))));
          });
          const r = JSON.parse(out) as { features: number; imported: number };
          runs[variant].features.push(r.features);
          runs[variant].imported.push(r.imported);
        }
      }
    } finally {
      await virtual.close();
    }
    console.log(`\nstart-up: fresh node → first Features, VirtualTrezor over UDP (median of ${rounds}; ms since process start)`);
    for (const variant of ['core', 'bitcoin'] as const) {
      const { features, imported } = runs[variant];
      console.log(
        `  ${variant === 'core' ? 'core entry          ' : 'core + bitcoin entry'}  imported ${f(median(imported), 1).padStart(6)}, first Features ${f(median(features), 1).padStart(6)}  (range ${f(Math.min(...features), 1)}–${f(Math.max(...features), 1)})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The transaction `sign` signs, as JSON for bench/bitcoin-speed-peer.py (trezorlib). */
export function peerJson(count: number): string {
  const utxos = utxosOf(count);
  const tx = parsePsbt(psbtSpendingAll(count));
  const prev: Record<string, unknown> = {};
  for (const u of utxos) {
    const raw = RawTx.decode(u.prevTx);
    prev[u.txid] = {
      version: raw.version,
      lock_time: raw.lockTime,
      inputs: raw.inputs.map((i) => ({ prev_hash: hex.encode(i.txid), prev_index: i.index, script_sig: hex.encode(i.finalScriptSig), sequence: i.sequence })),
      bin_outputs: raw.outputs.map((o) => ({ amount: Number(o.amount), script_pubkey: hex.encode(o.script) })),
    };
  }
  const byTxid = new Map(utxos.map((u) => [u.txid, u]));
  return JSON.stringify({
    coin: 'Regtest',
    version: tx.version,
    lock_time: tx.lockTime,
    inputs: tx.inputs.map((i) => {
      const u = byTxid.get(hex.encode(i.txid))!;
      return { address_n: parsePath(u.path), prev_hash: hex.encode(i.txid), prev_index: i.index, amount: Number(u.amount), sequence: i.sequence };
    }),
    outputs: tx.outputs.map((o, k) => (k === 0 ? { address: recipient(), amount: Number(o.amount) } : { address_n: parsePath("m/84'/1'/0'/1/0"), amount: Number(o.amount) })),
    prev,
  });
}

export async function run(): Promise<void> {
  await sign();
  create();
  await startup();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mode = 'all', ...rest] = process.argv.slice(2);
  const sizes = rest.length ? rest.map(Number) : undefined;
  if (mode === 'sign') await sign(sizes);
  else if (mode === 'create') create(sizes);
  else if (mode === 'startup') await startup(sizes?.[0]);
  else if (mode === 'peer-json') console.log(peerJson(sizes?.[0] ?? 200));
  else await run();
}
