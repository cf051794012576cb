/**
 * The cases of the peer benchmark and the data both libraries get for them: the same paths,
 * the same Ethereum transactions, and for Bitcoin one PSBT per case that trezor-direct signs
 * as is and that is also described field by field (inputs, outputs, previous transactions:
 * `TxPlan`) for trezorlib's btc.sign_tx and for the raw SignTx flow. The description is read
 * out of the PSBT, so both sides sign the same transaction by construction.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { Address, OutScript, RawTx, Transaction, p2wpkh } from '@scure/btc-signer';
import type { CreatePsbtParameters } from '../../src/bitcoin/index.js';
import { COINS } from '../../src/bitcoin/coins.js';
import { ROOT, accountKey, publicKeyAt, walletPsbt } from '../../test/support/bitcoin-wallet.js';

/** Regtest's address parameters (Bitcoin Core chainparams.cpp, CRegTestParams). */
export const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

/** A Bitcoin transaction as trezorlib's sign_tx and the raw SignTx flow take it (JSON-safe: amounts as decimal strings, bytes as hex). */
export interface TxPlan {
  coin: string;
  version: number;
  lock_time: number;
  inputs: { address_n: number[]; prev_hash: string; prev_index: number; amount: string; script_type: 'SPENDWITNESS'; sequence: number }[];
  /** A payment (address) or change (path). */
  outputs: ({ amount: string } & ({ address: string; script_type: 'PAYTOADDRESS' } | { address_n: number[]; script_type: 'PAYTOWITNESS' }))[];
  /** Previous transactions by txid (display hex). */
  prev_txes: Record<
    string,
    {
      version: number;
      lock_time: number;
      inputs: { prev_hash: string; prev_index: number; script_sig: string; sequence: number }[];
      bin_outputs: { amount: string; script_pubkey: string }[];
    }
  >;
}

/**
 * Describes a P2WPKH PSBT of the SLIP-14 wallet as a TxPlan: each input's path and previous
 * transaction, each output's address, or its path when it is change (it carries a BIP-32
 * derivation).
 * @example txPlan(walletPsbt(1)).inputs[0].address_n // [0x80000054, 0x80000001, 0x80000000, 0, 0]
 */
export function txPlan(psbt: Uint8Array, coin = 'Regtest'): TxPlan {
  const tx = Transaction.fromPSBT(psbt);
  const plan: TxPlan = { coin, version: tx.version, lock_time: tx.lockTime, inputs: [], outputs: [], prev_txes: {} };
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    const derivation = input.bip32Derivation?.[0]?.[1];
    if (!input.txid || input.index === undefined || !input.witnessUtxo || !derivation) throw new Error(`input ${i}: not a P2WPKH input of the wallet`);
    const prevHash = hex.encode(input.txid);
    plan.inputs.push({
      address_n: derivation.path,
      prev_hash: prevHash,
      prev_index: input.index,
      amount: input.witnessUtxo.amount.toString(),
      script_type: 'SPENDWITNESS',
      sequence: input.sequence ?? 0xffffffff,
    });
    const prev = input.nonWitnessUtxo;
    if (!prev) throw new Error(`input ${i}: no previous transaction`);
    plan.prev_txes[prevHash] = {
      version: prev.version,
      lock_time: prev.lockTime,
      inputs: prev.inputs.map((p) => ({ prev_hash: hex.encode(p.txid), prev_index: p.index, script_sig: hex.encode(p.finalScriptSig), sequence: p.sequence })),
      bin_outputs: prev.outputs.map((o) => ({ amount: o.amount.toString(), script_pubkey: hex.encode(o.script) })),
    };
  }
  for (let i = 0; i < tx.outputsLength; i++) {
    const output = tx.getOutput(i);
    if (!output.script || output.amount === undefined) throw new Error(`output ${i}: no script or amount`);
    const derivation = output.bip32Derivation?.[0]?.[1];
    const amount = output.amount.toString();
    if (derivation) plan.outputs.push({ amount, address_n: derivation.path, script_type: 'PAYTOWITNESS' });
    else plan.outputs.push({ amount, address: Address(REGTEST).encode(OutScript.decode(output.script)), script_type: 'PAYTOADDRESS' });
  }
  return plan;
}

/** The EIP-1559 transaction of the Ethereum rows, with `dataBytes` of calldata (a fixed pattern). */
export function eip1559(dataBytes: number) {
  const data = new Uint8Array(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (i * 7 + 3) & 0xff;
  return {
    path: "m/44'/60'/0'/0/0",
    chainId: 1,
    nonce: 3,
    gasLimit: 200_000n,
    maxFeePerGas: 20_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
    to: '0x1d1c328764a41bda0492b66baa30c4a339ff85ef',
    value: 10n ** 16n,
    data: `0x${hex.encode(data)}`,
  };
}

/** Paths the getAddress rows cycle through, as a test suite asks for a handful again and again. */
export const btcAddressPath = (i: number): string => `m/84'/0'/0'/0/${i % 10}`;
export const ethAddressPath = (i: number): string => `m/44'/60'/0'/0/${i % 10}`;

/** The signing PSBTs: 1 input with change (1-in 2-out) and 200 inputs (P2WPKH, regtest). */
export function signingPsbts(): { one: Uint8Array; many: Uint8Array } {
  return { one: walletPsbt(1), many: walletPsbt(200) };
}

/**
 * createPsbt's parameters for `count` P2WPKH UTXOs of the SLIP-14 wallet (each with its
 * previous transaction) paying half their total to one address, with change and the default
 * coin selection: the "createPsbt 1,000 UTXOs" row.
 */
export function createPsbtParameters(count: number): CreatePsbtParameters {
  const external = ROOT.derive("m/84'/1'/0'/0");
  const utxos = Array.from({ length: count }, (_, i) => {
    const amount = 10_000n + BigInt(i);
    const prevTx = RawTx.encode({
      version: 2,
      segwitFlag: false,
      inputs: [{ txid: sha256(Uint8Array.of(i & 0xff, i >> 8, 1)), index: 0, finalScriptSig: Uint8Array.of(0x51), sequence: 0xffffffff }],
      outputs: [{ amount, script: p2wpkh(external.deriveChild(i).publicKey!).script }],
      witnesses: undefined,
      lockTime: 0,
    });
    return { txid: hex.encode(sha256(sha256(prevTx)).reverse()), vout: 0, amount, path: `m/84'/1'/0'/0/${i}`, prevTx };
  });
  const total = utxos.reduce((sum, u) => sum + u.amount, 0n);
  return {
    coin: 'Regtest',
    account: accountKey("m/84'/1'/0'", COINS.Regtest, 'p2wpkh'),
    utxos,
    outputs: [{ address: p2wpkh(publicKeyAt("m/84'/1'/9'/0/0"), REGTEST).address!, amount: total / 2n }],
    feeRate: 1,
    change: { path: "m/84'/1'/0'/1/0" },
  };
}
