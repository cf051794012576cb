/**
 * The SLIP-14 btc_sign_tx vectors (test/fixtures/vectors/slip14.json) as the PSBT signPsbt takes:
 * each input's previous transaction, spent output and key derivation (SLIP-14 seed), the
 * outputs by address. Shared by the device suite and the Trezor Connect two-path suite, so both
 * sign the same PSBT. The data is the vector's; nothing here computes an expected value.
 */
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from '@scure/base';
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { btcNetwork, getCoin, type ScriptType } from '../../src/bitcoin/coins.js';
import { parsePath } from '../../src/path.js';
import { ROOT_FINGERPRINT, publicKeyAt } from './bitcoin-wallet.js';

/** The vectors' InputScriptType names. */
export const SCRIPT_TYPES: Record<string, ScriptType> = {
  SPENDADDRESS: 'p2pkh',
  SPENDP2SHWITNESS: 'p2sh-p2wpkh',
  SPENDWITNESS: 'p2wpkh',
  SPENDTAPROOT: 'p2tr',
};
const TYPES = SCRIPT_TYPES;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function slip14VectorPsbt(v: any): Uint8Array {
  const coin = getCoin(v.coin_name);
  const tx = new Transaction({ version: v.sign_tx.version ?? 1, lockTime: v.sign_tx.lock_time ?? 0 });
  const prevs = new Map<string, Uint8Array>(v.prev_txs.map((p: { txid: string; raw_hex_no_witness: string }) => [p.txid, hex.decode(p.raw_hex_no_witness)]));
  const taprootOnly = v.inputs.every((i: { script_type: string }) => i.script_type === 'SPENDTAPROOT');
  for (const input of v.inputs) {
    const type = TYPES[input.script_type]!;
    const key = publicKeyAt(input.address_n);
    const raw = prevs.get(input.prev_hash)!;
    const prev = Transaction.fromRaw(raw, { allowUnknownOutputs: true });
    const der = { fingerprint: ROOT_FINGERPRINT, path: parsePath(input.address_n) };
    tx.addInput({
      txid: input.prev_hash,
      index: input.prev_index,
      sequence: input.sequence,
      witnessUtxo: { script: prev.getOutput(input.prev_index).script!, amount: BigInt(input.amount) },
      ...(taprootOnly ? {} : { nonWitnessUtxo: raw }),
      ...(type === 'p2tr'
        ? { tapInternalKey: key.slice(1), tapBip32Derivation: [[key.slice(1), { hashes: [], der }]] }
        : { bip32Derivation: [[key, der]] }),
      ...(type === 'p2sh-p2wpkh' ? { redeemScript: Uint8Array.of(0x00, 0x14, ...hash160(key)) } : {}),
    });
  }
  for (const output of v.outputs) {
    const script = OutScript.encode(Address(btcNetwork(coin)).decode(output.address));
    tx.addOutput({ script, amount: BigInt(output.amount) });
  }
  return tx.toPSBT(0);
}

function hash160(key: Uint8Array): Uint8Array {
  return ripemd160(sha256(key));
}
