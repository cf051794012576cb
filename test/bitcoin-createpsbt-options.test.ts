// createPsbt's fee, change and sequence options (issue 14): an exact fee, no change output,
// version / lock time / nSequence and RBF, and the InvalidParameters for bad or conflicting ones.
// Expected figures come from the arithmetic of the transaction (inputs − outputs = fee), read
// back with @scure/btc-signer, not from createPsbt's own output.
import { Transaction, p2wpkh } from '@scure/btc-signer';
import { describe, expect, it } from 'vitest';
import { createPsbt, type Utxo } from '../src/bitcoin/index.js';
import { COINS } from '../src/bitcoin/coins.js';
import { isTrezorError } from '../src/errors.js';
import { accountKey, fundingTx, publicKeyAt } from './support/bitcoin-wallet.js';

const regtest = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const ACCOUNT = accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh');
const RECIPIENT = p2wpkh(publicKeyAt("m/84'/1'/7'/0/0"), regtest).address!;

function utxo(index: number, amount: bigint, sequence?: number): Utxo {
  const path = `m/84'/1'/0'/0/${index}`;
  const { raw, txid } = fundingTx(path, 'p2wpkh', amount, 0, 300 + index);
  return { txid, vout: 0, amount, path, prevTx: raw, ...(sequence === undefined ? {} : { sequence }) };
}

const base = {
  coin: 'Regtest' as const,
  account: ACCOUNT,
  utxos: [utxo(0, 100_000n), utxo(1, 250_000n)],
  outputs: [{ address: RECIPIENT, amount: 120_000n }],
  change: { path: "m/84'/1'/0'/1/0" },
};

function invalid(run: () => unknown): { field?: string; message: string } {
  try {
    run();
  } catch (e) {
    expect(isTrezorError(e, 'InvalidParameters')).toBe(true);
    return e as { field?: string; message: string };
  }
  throw new Error('expected InvalidParameters');
}

function inputsTotal(tx: Transaction): bigint {
  let total = 0n;
  for (let i = 0; i < tx.inputsLength; i++) total += tx.getInput(i).witnessUtxo!.amount;
  return total;
}

describe('createPsbt: an exact fee', () => {
  it('pays exactly `fee`, the rest to change', () => {
    const tx = Transaction.fromPSBT(createPsbt({ ...base, fee: 777n }));
    let outputs = 0n;
    for (let i = 0; i < tx.outputsLength; i++) outputs += tx.getOutput(i).amount!;
    expect(tx.outputsLength).toBe(2);
    expect(inputsTotal(tx) - outputs).toBe(777n);
  });

  it('with no change and UTXOs that fit exactly: one output, the fee exact', () => {
    const tx = Transaction.fromPSBT(createPsbt({ ...base, utxos: [utxo(0, 100_000n)], outputs: [{ address: RECIPIENT, amount: 99_000n }], fee: 1000, change: false }));
    expect(tx.outputsLength).toBe(1);
    expect(inputsTotal(tx) - tx.getOutput(0).amount!).toBe(1000n);
  });

  it('a remainder too small for change is refused unless maxFeeExcess allows it', () => {
    const params = { ...base, utxos: [utxo(0, 100_000n)], outputs: [{ address: RECIPIENT, amount: 98_800n }], fee: 1000n };
    // 200 sat left: below the change output's dust threshold (294), so it would go to the fee.
    expect(invalid(() => createPsbt(params)).field).toBe('maxFeeExcess');
    const tx = Transaction.fromPSBT(createPsbt({ ...params, maxFeeExcess: 200n }));
    expect(tx.outputsLength).toBe(1);
    expect(inputsTotal(tx) - tx.getOutput(0).amount!).toBe(1200n);
  });

  it('fee and feeRate together, a fee of 0, a negative fee, neither: InvalidParameters', () => {
    expect(invalid(() => createPsbt({ ...base, fee: 500n, feeRate: 2 })).field).toBe('fee');
    expect(invalid(() => createPsbt({ ...base, fee: 0n })).field).toBe('fee');
    expect(invalid(() => createPsbt({ ...base, fee: -5 })).field).toBe('fee');
    expect(invalid(() => createPsbt({ ...base, fee: 1.5 })).field).toBe('fee');
    expect(invalid(() => createPsbt({ ...base })).field).toBe('feeRate');
  });

  it('more fee than the UTXOs hold is insufficient funds', () => {
    expect(invalid(() => createPsbt({ ...base, fee: 300_000n })).field).toBe('utxos');
  });
});

describe('createPsbt: no change output', () => {
  it('change: false at a fee rate: one output, the remainder within maxFeeExcess goes to the fee', () => {
    const tx = Transaction.fromPSBT(createPsbt({ ...base, utxos: [utxo(0, 100_000n)], outputs: [{ address: RECIPIENT, amount: 99_700n }], feeRate: 1, change: false }));
    expect(tx.outputsLength).toBe(1);
    const fee = inputsTotal(tx) - tx.getOutput(0).amount!;
    expect(fee).toBe(300n);
    // One P2WPKH input and output weigh about 110 vB: at 1 sat/vB the excess is under 546.
    expect(fee).toBeGreaterThanOrEqual(109n);
  });

  it('change: false with a remainder above maxFeeExcess names change', () => {
    const error = invalid(() => createPsbt({ ...base, feeRate: 1, change: false }));
    expect(error.field).toBe('change');
    expect(error.message).toMatch(/maxFeeExcess/);
  });

  it('a bad change or maxFeeExcess is InvalidParameters', () => {
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, change: true as never })).field).toBe('change');
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, change: false, maxFeeExcess: -1 })).field).toBe('maxFeeExcess');
  });
});

describe('createPsbt: version, lock time, sequence and RBF', () => {
  it('writes version 1, a lock time and the sequence given for every UTXO', () => {
    const tx = Transaction.fromPSBT(createPsbt({ ...base, feeRate: 1, version: 1, lockTime: 800_000, sequence: 0xfffffffe }));
    expect(tx.version).toBe(1);
    expect(tx.lockTime).toBe(800_000);
    for (let i = 0; i < tx.inputsLength; i++) expect(tx.getInput(i).sequence).toBe(0xfffffffe);
  });

  it('rbf: false gives 0xfffffffe, true (the default) 0xfffffffd; a UTXO keeps its own sequence', () => {
    const noRbf = Transaction.fromPSBT(createPsbt({ ...base, feeRate: 1, rbf: false, strategy: 'all' }));
    for (let i = 0; i < noRbf.inputsLength; i++) expect(noRbf.getInput(i).sequence).toBe(0xfffffffe);
    const own = Transaction.fromPSBT(createPsbt({ ...base, utxos: [utxo(0, 100_000n, 10), utxo(1, 250_000n)], feeRate: 1, strategy: 'all' }));
    const sequences = [own.getInput(0).sequence, own.getInput(1).sequence].sort((a, b) => a! - b!);
    expect(sequences).toEqual([10, 0xfffffffd]);
  });

  it('conflicts and bad values are InvalidParameters naming the field', () => {
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, rbf: false, sequence: 5 })).field).toBe('rbf');
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, rbf: 'no' as never })).field).toBe('rbf');
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, sequence: -1 })).field).toBe('sequence');
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, sequence: 2 ** 32 })).field).toBe('sequence');
    expect(invalid(() => createPsbt({ ...base, utxos: [utxo(0, 100_000n, 0xfffffffd), utxo(1, 250_000n)], feeRate: 1, rbf: false })).field).toBe('utxos[0].sequence');
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, version: 3 })).field).toBe('version');
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, lockTime: -1 })).field).toBe('lockTime');
    // A lock time with every input final (0xffffffff) would not be enforced.
    expect(invalid(() => createPsbt({ ...base, feeRate: 1, lockTime: 800_000, sequence: 0xffffffff })).field).toBe('lockTime');
  });

  it('the DESIGN.md form createPsbt({ coin, utxos, outputs, feeRate, change }) still works', () => {
    const tx = Transaction.fromPSBT(createPsbt({ coin: 'Regtest', account: ACCOUNT, utxos: base.utxos, outputs: base.outputs, feeRate: 2, change: base.change }));
    expect(tx.getOutput(0).amount).toBe(120_000n);
    expect(tx.outputsLength).toBe(2);
  });
});
