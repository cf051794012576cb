/**
 * Bitcoin signing cost per input (`npm run bench`, or `npx tsx bench/bitcoin.ts`).
 *
 * Signs PSBTs of 10, 100 and 500 P2WPKH inputs against an in-memory VirtualTrezor (Trezor One
 * profile, confirming on its own) and splits the wall time of signPsbt in two:
 *
 *   host    the library's own work: reading and checking the PSBT, precomputing the answers,
 *           answering each TxRequest, verifying every signature, rebuilding the transaction
 *           and writing the signed PSBT;
 *   device  the time spent inside the session's call(): encoding, 64-byte framing, the
 *           in-memory transport and the virtual device itself (derivation, hashing, signing).
 *
 * The figure to watch is host ms per input and its ratio between 500 and 10 inputs: it stays
 * near 1 when nothing is re-serialised per request (the budget in shared DESIGN.md). Figures,
 * not a pass/fail test.
 */
import { pathToFileURL } from 'node:url';
import { p2wpkh } from '@scure/btc-signer';
import { createPsbt, signPsbt } from '../src/bitcoin/index.js';
import { COINS } from '../src/bitcoin/coins.js';
import { connect } from '../src/session/connect.js';
import type { CallFn, Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { accountKey, fundingTx, publicKeyAt } from '../test/support/bitcoin-wallet.js';

const SIZES = [10, 100, 500];

function psbtWith(inputs: number): Uint8Array {
  const utxos = Array.from({ length: inputs }, (_, i) => {
    const path = `m/84'/1'/0'/0/${i}`;
    const amount = 10_000n + BigInt(i);
    const { raw, txid } = fundingTx(path, 'p2wpkh', amount, i % 2, i);
    return { txid, vout: i % 2, amount, path, prevTx: raw };
  });
  const total = utxos.reduce((sum, u) => sum + u.amount, 0n);
  const recipient = p2wpkh(publicKeyAt("m/84'/1'/9'/0/0"), { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }).address!;
  return createPsbt({
    coin: 'Regtest',
    account: accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh'),
    utxos,
    outputs: [{ address: recipient, amount: total / 2n }],
    feeRate: 1,
    change: { path: "m/84'/1'/0'/1/0" },
    strategy: 'all',
  });
}

/** The same Trezor, with the time spent inside call() added up. */
function timed(trezor: Trezor): { trezor: Trezor; inCall: () => number; reset: () => void } {
  let spent = 0;
  const proxy = Object.create(trezor) as Trezor;
  proxy.exclusive = <T>(flow: (call: CallFn) => Promise<T>) =>
    trezor.exclusive((call) =>
      flow((async (...args: Parameters<CallFn>) => {
        const start = performance.now();
        try {
          return await call(...args);
        } finally {
          spent += performance.now() - start;
        }
      }) as CallFn),
    );
  return { trezor: proxy, inCall: () => spent, reset: () => (spent = 0) };
}

export async function run(): Promise<void> {
  const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', model: 'T1B1', autoConfirm: true });
  const connected = await connect({ transport: virtual.transport(), ui: {} });
  const { trezor, inCall, reset } = timed(connected);
  const rows: { inputs: number; total: number; host: number; device: number }[] = [];
  try {
    await signPsbt(trezor, psbtWith(10), { coin: 'Regtest' }); // warm-up (JIT, key caches)
    for (const inputs of SIZES) {
      const psbt = psbtWith(inputs);
      reset();
      const start = performance.now();
      const result = await signPsbt(trezor, psbt, { coin: 'Regtest' });
      const total = performance.now() - start;
      if (!result.txid) throw new Error('no transaction');
      const device = inCall();
      rows.push({ inputs, total, host: total - device, device });
    }
  } finally {
    await connected.close();
    await virtual.close();
  }
  console.log('\nbitcoin: signPsbt, P2WPKH inputs, VirtualTrezor (T1B1) in memory');
  console.log('  inputs   total ms   host ms/input   device+wire ms/input');
  for (const r of rows) {
    console.log(
      `  ${String(r.inputs).padStart(6)}   ${r.total.toFixed(1).padStart(8)}   ${(r.host / r.inputs).toFixed(3).padStart(13)}   ${(r.device / r.inputs).toFixed(3).padStart(20)}`,
    );
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const ratio = last.host / last.inputs / (first.host / first.inputs);
  console.log(`  host ms/input ratio ${last.inputs}/${first.inputs}: ${ratio.toFixed(2)} (1.00 = linear)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
