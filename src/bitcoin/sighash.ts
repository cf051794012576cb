/**
 * Signature hashes (SIGHASH_ALL / SIGHASH_DEFAULT) of a transaction, computed once per
 * transaction and cheaply per input, so that signPsbt can check every signature the device
 * returns without re-serialising the transaction for each input:
 *
 * - BIP-341 (taproot key path): the five SHA-256 midstates (prevouts, amounts, scriptPubKeys,
 *   sequences, outputs) are computed once; each input then hashes a fixed 175-byte message.
 * - BIP-143 (segwit v0): its double hashes are SHA-256 of the BIP-341 ones; each input hashes
 *   a preimage of ~180 bytes. Coins with replay protection (Bitcoin Cash, Bitcoin Gold) sign
 *   every input, legacy ones too, with this digest under their own hash type
 *   (SIGHASH_ALL | SIGHASH_FORKID | fork_id << 8: forkIdHashType).
 * - Legacy (pre-segwit): the whole transaction with the input's scriptCode is hashed per
 *   input, as the scheme demands. The inputs (with empty scripts) and outputs are serialised
 *   once and copied, so the cost is one linear pass per legacy input.
 *
 * Byte layouts follow BIP-143 and BIP-341; integers are little-endian.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { encodeTx, type RawTransaction } from './rawTx.js';

export interface SighashInput {
  /** Previous txid in internal byte order (reverse of the display hex). */
  txid: Uint8Array;
  index: number;
  sequence: number;
  amount: bigint;
  /** scriptPubKey of the output being spent. */
  script: Uint8Array;
}

export interface SighashTx {
  version: number;
  lockTime: number;
  inputs: readonly SighashInput[];
  outputs: readonly { amount: bigint; script: Uint8Array }[];
}

const SIGHASH_ALL = 1;

/**
 * The hash type a coin signs with: SIGHASH_ALL, or with replay protection (fork_id, as the
 * firmware's get_hash_type) SIGHASH_ALL | SIGHASH_FORKID (0x40) | fork_id << 8. The byte
 * appended to each signature is its low byte (0x41).
 * @example forkIdHashType(79) // 0x4f41 (Bitcoin Gold)
 */
export function forkIdHashType(forkId: number | undefined): number {
  return forkId === undefined ? SIGHASH_ALL : (SIGHASH_ALL | 0x40 | (forkId << 8)) >>> 0;
}

/**
 * A u32, little-endian.
 * @example u32(1) // 01 00 00 00
 */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

/**
 * Bitcoin's CompactSize length prefix.
 * @example compactSize(300) // fd 2c 01
 */
export function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  return concatBytes(Uint8Array.of(0xfe), u32(n));
}

function varBytes(data: Uint8Array): Uint8Array {
  return concatBytes(compactSize(data.length), data);
}

/**
 * Double SHA-256, Bitcoin's hash of transactions and signed messages.
 * @example sha256d(new Uint8Array(0))
 */
export const sha256d = (data: Uint8Array): Uint8Array => sha256(sha256(data));

/**
 * The txid of a decoded transaction: double SHA-256 of its serialisation without witnesses,
 * byte-reversed (the display order).
 * @example hex.encode(txidOf(decodeTx(raw, fail))) // what block explorers show
 */
export function txidOf(tx: RawTransaction): Uint8Array {
  return sha256d(encodeTx(tx, false)).reverse();
}

let tapSighashTag: Uint8Array | undefined;
function taggedTapSighash(msg: Uint8Array): Uint8Array {
  tapSighashTag ??= sha256(new TextEncoder().encode('TapSighash'));
  return sha256(concatBytes(tapSighashTag, tapSighashTag, msg));
}

/**
 * Serialised output: amount (8) ‖ varbytes(script).
 * @example serializeOutput({ amount: 1000n, script }) // e803000000000000 16 0014…
 */
export function serializeOutput(output: { amount: bigint; script: Uint8Array }): Uint8Array {
  return concatBytes(u64(output.amount), varBytes(output.script));
}

/**
 * Per-transaction state for computing each input's signature hash.
 * @example new Sighasher({ version: 2, lockTime: 0, inputs, outputs }).bip143(0, scriptCode)
 */
export class Sighasher {
  private readonly tx: SighashTx;
  private readonly shaPrevouts: Uint8Array;
  private readonly shaAmounts: Uint8Array;
  private readonly shaScriptPubkeys: Uint8Array;
  private readonly shaSequences: Uint8Array;
  private readonly shaOutputs: Uint8Array;
  private legacyParts?: { inputs: Uint8Array[]; tail: Uint8Array };
  private bip143Hashes?: [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];

  constructor(tx: SighashTx) {
    this.tx = tx;
    const outpoints = new Uint8Array(36 * tx.inputs.length);
    const amounts = new Uint8Array(8 * tx.inputs.length);
    const sequences = new Uint8Array(4 * tx.inputs.length);
    const view = new DataView(amounts.buffer);
    const seqView = new DataView(sequences.buffer);
    const outView = new DataView(outpoints.buffer);
    const scripts: Uint8Array[] = [];
    tx.inputs.forEach((input, i) => {
      outpoints.set(input.txid, 36 * i);
      outView.setUint32(36 * i + 32, input.index, true);
      view.setBigUint64(8 * i, input.amount, true);
      seqView.setUint32(4 * i, input.sequence >>> 0, true);
      scripts.push(varBytes(input.script));
    });
    this.shaPrevouts = sha256(outpoints);
    this.shaAmounts = sha256(amounts);
    this.shaScriptPubkeys = sha256(concatBytes(...scripts));
    this.shaSequences = sha256(sequences);
    this.shaOutputs = sha256(concatBytes(...tx.outputs.map(serializeOutput)));
  }

  /** BIP-143 digest of input `i` with its scriptCode (P2PKH script of the key for P2WPKH). */
  bip143(i: number, scriptCode: Uint8Array, hashType = SIGHASH_ALL): Uint8Array {
    return sha256(this.bip143Once(i, scriptCode, hashType));
  }

  /**
   * The first of the two SHA-256 rounds of the BIP-143 digest: the digest is SHA-256 of this
   * (what a verifier that hashes its message itself takes; sigverify.ts).
   */
  bip143Once(i: number, scriptCode: Uint8Array, hashType = SIGHASH_ALL): Uint8Array {
    const input = this.tx.inputs[i]!;
    // hashPrevouts, hashSequence and hashOutputs: double SHA-256, i.e. SHA-256 of the BIP-341 midstates, once.
    this.bip143Hashes ??= [sha256(this.shaPrevouts), sha256(this.shaSequences), sha256(this.shaOutputs), u32(this.tx.version), u32(this.tx.lockTime)];
    const [hashPrevouts, hashSequence, hashOutputs, version, lockTime] = this.bip143Hashes;
    return sha256(
      concatBytes(
        version,
        hashPrevouts,
        hashSequence,
        input.txid,
        u32(input.index),
        varBytes(scriptCode),
        u64(input.amount),
        u32(input.sequence),
        hashOutputs,
        lockTime,
        u32(hashType),
      ),
    );
  }

  /** BIP-341 key-path digest of input `i` with SIGHASH_DEFAULT. */
  bip341(i: number): Uint8Array {
    return taggedTapSighash(
      concatBytes(
        Uint8Array.of(0x00, 0x00), // epoch, hash type DEFAULT
        u32(this.tx.version),
        u32(this.tx.lockTime),
        this.shaPrevouts,
        this.shaAmounts,
        this.shaScriptPubkeys,
        this.shaSequences,
        this.shaOutputs,
        Uint8Array.of(0x00), // spend type: key path, no annex
        u32(i),
      ),
    );
  }

  /** Legacy SIGHASH_ALL digest of input `i`, its scriptCode being the spent scriptPubKey. */
  legacy(i: number, scriptCode: Uint8Array): Uint8Array {
    return sha256(this.legacyOnce(i, scriptCode));
  }

  /** The first SHA-256 round of the legacy digest (see bip143Once). */
  legacyOnce(i: number, scriptCode: Uint8Array): Uint8Array {
    if (!this.legacyParts) {
      const inputs = this.tx.inputs.map((input) => concatBytes(input.txid, u32(input.index), Uint8Array.of(0), u32(input.sequence)));
      const tail = concatBytes(compactSize(this.tx.outputs.length), ...this.tx.outputs.map(serializeOutput), u32(this.tx.lockTime), u32(SIGHASH_ALL));
      this.legacyParts = { inputs, tail };
    }
    const { inputs, tail } = this.legacyParts;
    const input = this.tx.inputs[i]!;
    const own = concatBytes(input.txid, u32(input.index), varBytes(scriptCode), u32(input.sequence));
    // The scheme hashes the whole transaction per input; streamed into one hash, not copied.
    const hash = sha256.create().update(u32(this.tx.version)).update(compactSize(inputs.length));
    for (let j = 0; j < inputs.length; j++) hash.update(j === i ? own : inputs[j]!);
    return hash.update(tail).digest();
  }
}
