/**
 * The pure parts of the peer benchmark (bench/peer/): medians, ratios, the goals' verdicts,
 * the cross-check of answers, the table, and the description of a PSBT that trezorlib signs.
 * No timing here: the figures are made up, only the arithmetic and the verdicts are checked.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { RawTx, Transaction } from '@scure/btc-signer';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { eip1559, txPlan } from '../bench/peer/cases.js';
import { normalize } from '../bench/peer/direct.js';
import { crossCheck, figureOf, goalText, judge, median, ms, peerTable, ratio, rowVerdict, type Figure, type Row } from '../bench/peer/stats.js';
import { walletPsbt } from './support/bitcoin-wallet.js';

const fig = (wall: number, cpu = Number.NaN): Figure => ({ wall, cpu, rounds: 5 });

describe('median and figures', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('does not reorder the caller’s samples', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('takes wall and CPU medians separately (they need not come from the same round)', () => {
    expect(figureOf({ wall: [10, 30, 20], cpu: [9, 1, 5] })).toEqual({ wall: 20, cpu: 5, rounds: 3 });
    expect(figureOf({ wall: [], cpu: [] })).toBeUndefined();
    expect(figureOf(undefined)).toBeUndefined();
  });

  it('ratio is trezor-direct over trezorlib, NaN when either is missing', () => {
    expect(ratio(6, 4)).toBe(1.5);
    expect(ratio(6, undefined)).toBeNaN();
    expect(ratio(undefined, 4)).toBeNaN();
    expect(ratio(6, 0)).toBeNaN();
  });
});

describe('goals', () => {
  it('a ratio goal passes up to and including the limit', () => {
    expect(judge({ kind: 'ratio', max: 1.2 }, fig(1.2), fig(1)).verdict).toBe('PASS');
    const miss = judge({ kind: 'ratio', max: 1.2 }, fig(1.3), fig(1));
    expect(miss.verdict).toBe('MISS');
    expect(miss.value).toBeCloseTo(1.3, 10);
  });

  it('a ratio goal without a trezorlib figure is n/a, not a pass', () => {
    expect(judge({ kind: 'ratio', max: 1.2 }, fig(0.1), undefined).verdict).toBe('n/a');
  });

  it('CPU and wall goals judge trezor-direct alone', () => {
    expect(judge({ kind: 'cpu', ms: 0.2 }, fig(5, 0.19), undefined).verdict).toBe('PASS');
    expect(judge({ kind: 'cpu', ms: 0.2 }, fig(5, 0.21), fig(1, 0.01)).verdict).toBe('MISS');
    expect(judge({ kind: 'wall', ms: 150 }, fig(151), undefined).verdict).toBe('MISS');
    expect(judge({ kind: 'wall', ms: 150 }, undefined, undefined).verdict).toBe('n/a');
    expect(judge({ kind: 'cpu', ms: 3 }, fig(5), undefined).verdict).toBe('n/a'); // no CPU figure
  });

  it('a row passes only when every goal passes', () => {
    const pass = { goal: { kind: 'wall', ms: 1 } as const, verdict: 'PASS' as const, value: 0 };
    const miss = { ...pass, verdict: 'MISS' as const };
    const na = { ...pass, verdict: 'n/a' as const };
    expect(rowVerdict([pass, pass])).toBe('PASS');
    expect(rowVerdict([pass, miss])).toBe('MISS');
    expect(rowVerdict([na, miss])).toBe('MISS');
    expect(rowVerdict([pass, na])).toBe('n/a');
  });

  it('states the goals as the issue does', () => {
    expect(goalText({ kind: 'ratio', max: 1.3 })).toBe('≤1.3× trezorlib');
    expect(goalText({ kind: 'cpu', ms: 0.2 })).toBe('CPU ≤0.2 ms');
    expect(goalText({ kind: 'wall', ms: 250 })).toBe('≤250 ms');
  });
});

describe('formatting', () => {
  it('ms keeps two to three significant figures', () => {
    expect(ms(0.4712)).toBe('0.471');
    expect(ms(4.567)).toBe('4.57');
    expect(ms(45.67)).toBe('45.7');
    expect(ms(456.7)).toBe('457');
    expect(ms(Number.NaN)).toBe('–');
    expect(ms(undefined)).toBe('–');
  });

  it('the table has a row per case with both figures, the ratio, the goals and the verdict', () => {
    const rows: Row[] = [
      { id: 'a', label: 'BTC getAddress', unit: 'per call', showCpu: true, goals: [{ kind: 'ratio', max: 1.2 }, { kind: 'cpu', ms: 0.2 }] },
      { id: 'b', label: 'start', unit: 'fresh process', showCpu: false, goals: [{ kind: 'wall', ms: 150 }] },
      { id: 'c', label: 'createPsbt', unit: 'per call', showCpu: true, goals: [{ kind: 'wall', ms: 1000 }] },
    ];
    const table = peerTable(rows, { a: fig(0.5, 0.1), b: fig(265) }, { a: fig(0.75, 0.3), b: fig(140), c: fig(1200, 1100) }).split('\n');
    expect(table).toHaveLength(5);
    expect(table[2]).toBe('| BTC getAddress (per call, ms / host CPU ms) | 0.500 / 0.100 | 0.750 / 0.300 | 1.50× | ≤1.2× trezorlib (1.50×); CPU ≤0.2 ms (0.300 ms) | MISS |');
    expect(table[3]).toBe('| start (fresh process, ms) | 265 | 140 | 0.53× | ≤150 ms | PASS |');
    expect(table[4]).toBe('| createPsbt (per call, ms / host CPU ms) | – | 1200 / 1100 | – | ≤1000 ms (1200 ms) | MISS |');
  });
});

describe('cross-check', () => {
  it('reports every case whose answers differ, and only cases both ran', () => {
    expect(crossCheck({ a: 'x', b: 'y' }, { a: 'x', b: 'z', c: 'w' })).toEqual(['b: trezorlib y, trezor-direct z']);
    expect(crossCheck({}, { a: 'x' })).toEqual([]);
  });

  it('compares Ethereum signatures as yParity:r:s read out of the signed transaction', async () => {
    // A signature made here with a throw-away key stands in for the device's: what is checked
    // is that normalize() reads v, r, s back out of the serialized transaction unchanged.
    const wallet = new Wallet(`0x${'11'.repeat(32)}`);
    const { path: _path, ...tx } = eip1559(100);
    const signed = await wallet.signTransaction({ type: 2, ...tx });
    const { Transaction: EthTransaction } = await import('ethers');
    const sig = EthTransaction.from(signed).signature!;
    expect(normalize('eth-1k', `${signed},${signed}`)).toBe(`${sig.yParity}:${sig.r.slice(2)}:${sig.s.slice(2)},${sig.yParity}:${sig.r.slice(2)}:${sig.s.slice(2)}`);
    expect(normalize('btc-address', 'bc1q…')).toBe('bc1q…');
    expect(normalize('eth-address', '0xAbC')).toBe('0xAbC');
  });
});

describe('txPlan: a PSBT as trezorlib’s sign_tx arguments', () => {
  it('carries each input’s path, outpoint, amount and previous transaction, and each output', () => {
    const psbt = walletPsbt(2);
    const plan = txPlan(psbt);
    const tx = Transaction.fromPSBT(psbt);
    expect(plan.coin).toBe('Regtest');
    expect(plan.version).toBe(tx.version);
    expect(plan.inputs.map((i) => i.address_n)).toEqual([
      [0x80000054, 0x80000001, 0x80000000, 0, 0],
      [0x80000054, 0x80000001, 0x80000000, 0, 1],
    ]);
    for (const [n, input] of plan.inputs.entries()) {
      const prev = plan.prev_txes[input.prev_hash]!;
      // The previous transaction rebuilt from the plan hashes to the outpoint's txid.
      const raw = RawTx.encode({
        version: prev.version,
        segwitFlag: false,
        inputs: prev.inputs.map((i) => ({ txid: hex.decode(i.prev_hash), index: i.prev_index, finalScriptSig: hex.decode(i.script_sig), sequence: i.sequence })),
        outputs: prev.bin_outputs.map((o) => ({ amount: BigInt(o.amount), script: hex.decode(o.script_pubkey) })),
        witnesses: undefined,
        lockTime: prev.lock_time,
      });
      expect(hex.encode(sha256(sha256(raw)).reverse())).toBe(input.prev_hash);
      expect(prev.bin_outputs[input.prev_index]!.amount).toBe(input.amount);
      expect(input.amount).toBe(String(10_000 + n));
    }
    // One payment to an address, one change output by path (it has a BIP-32 derivation).
    expect(plan.outputs).toHaveLength(2);
    expect(plan.outputs[0]).toMatchObject({ script_type: 'PAYTOADDRESS', amount: String(20_001n / 2n) });
    expect((plan.outputs[0] as { address: string }).address).toMatch(/^bcrt1q/);
    expect(plan.outputs[1]).toMatchObject({ script_type: 'PAYTOWITNESS', address_n: [0x80000054, 0x80000001, 0x80000000, 1, 0] });
    expect(BigInt(plan.outputs[1]!.amount)).toBe(tx.getOutput(1).amount);
  });
});
