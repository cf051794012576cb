/**
 * Bitcoin's wire encoding of transactions (legacy and BIP-144 segwit), with a bounded reader.
 *
 * The signing path needs to read previous transactions, original transactions (RBF) and the
 * PSBT's unsigned transaction, and to write witness stacks. This is the few dozen lines of that
 * format, so that the browser bundle does not carry a general binary-codec library. The decoded
 * shape is the one @scure/btc-signer's RawTx uses (txid in display order, signed version), which
 * the tests cross-check against.
 *
 * Every length is checked against the bytes that remain before anything is allocated, and a
 * malformed input fails through the caller's `fail` (InvalidParameters naming the caller's
 * field, or ProtocolError for bytes that came from the device), never a plain Error.
 */
import { concatBytes } from '@noble/hashes/utils.js';

/** Builds the error for malformed bytes; `problem` says what and where. */
export type Fail = (problem: string) => Error;

export interface RawTxInput {
  /** The spent transaction's id, display order (as block explorers show it). */
  txid: Uint8Array;
  index: number;
  finalScriptSig: Uint8Array;
  sequence: number;
}

export interface RawTxOutput {
  amount: bigint;
  script: Uint8Array;
}

export interface RawTransaction {
  /** Signed 32-bit, as Bitcoin Core reads it. */
  version: number;
  segwitFlag: boolean;
  inputs: RawTxInput[];
  outputs: RawTxOutput[];
  /** One stack per input when segwitFlag is set. */
  witnesses?: Uint8Array[][];
  lockTime: number;
}

/**
 * Reads Bitcoin wire integers and byte strings; every read is bounded by what remains.
 * @example const r = new ByteReader(bytes, (p) => invalidParameter('tx', p)); r.u32()
 */
export class ByteReader {
  pos = 0;
  constructor(
    readonly data: Uint8Array,
    readonly fail: Fail,
  ) {}

  get left(): number {
    return this.data.length - this.pos;
  }

  bytes(n: number): Uint8Array {
    if (n > this.left) throw this.fail(`truncated: ${n} bytes needed at offset ${this.pos}, ${this.left} left`);
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    if (this.left < 1) throw this.fail(`truncated at offset ${this.pos}`);
    return this.data[this.pos++]!;
  }

  u32(): number {
    const b = this.bytes(4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  u64(): bigint {
    const low = this.u32();
    return (BigInt(this.u32()) << 32n) | BigInt(low);
  }

  /** A CompactSize, shortest form only (BIP-174), as a safe integer. */
  compactSize(): number {
    const at = this.pos;
    const b0 = this.u8();
    if (b0 < 0xfd) return b0;
    let n: number;
    let min: number;
    if (b0 === 0xfd) {
      n = this.u8() | (this.u8() << 8);
      min = 0xfd;
    } else if (b0 === 0xfe) {
      n = this.u32();
      min = 0x10000;
    } else {
      const big = this.u64();
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`CompactSize at offset ${at} is too large`);
      n = Number(big);
      min = 0x100000000;
    }
    if (n < min) throw this.fail(`CompactSize at offset ${at} is not in its shortest form`);
    return n;
  }

  /** A CompactSize length, then that many bytes. */
  varBytes(): Uint8Array {
    return this.bytes(this.compactSize());
  }

  /** A CompactSize count of items of at least `minSize` bytes each, checked against what remains. */
  count(minSize: number): number {
    const at = this.pos;
    const n = this.compactSize();
    if (n * minSize > this.left) throw this.fail(`count ${n} at offset ${at} exceeds the remaining ${this.left} bytes`);
    return n;
  }

  /** Fails unless every byte was read. */
  end(): void {
    if (this.left) throw this.fail(`${this.left} unexpected bytes at offset ${this.pos}`);
  }
}

/**
 * A CompactSize.
 * @example compactSizeBytes(253) // fd fd 00
 */
export function compactSizeBytes(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  if (n <= 0xffffffff) return concatBytes(Uint8Array.of(0xfe), u32le(n));
  return concatBytes(Uint8Array.of(0xff), u32le(n % 0x100000000), u32le(Math.floor(n / 0x100000000)));
}

/**
 * A 32-bit integer, little-endian (negative numbers as two's complement).
 * @example u32le(1) // 01 00 00 00
 */
export function u32le(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
}

/**
 * A 64-bit unsigned integer, little-endian.
 * @example u64le(1n) // 01 00 00 00 00 00 00 00
 */
export function u64le(n: bigint): Uint8Array {
  return concatBytes(u32le(Number(n & 0xffffffffn)), u32le(Number((n >> 32n) & 0xffffffffn)));
}

/**
 * A CompactSize length and the bytes.
 * @example varBytes(script)
 */
export function varBytes(data: Uint8Array): Uint8Array {
  return concatBytes(compactSizeBytes(data.length), data);
}

/**
 * A witness stack: item count, then each item with its length.
 * @example encodeWitness([signature, publicKey])
 */
export function encodeWitness(stack: Uint8Array[]): Uint8Array {
  return concatBytes(compactSizeBytes(stack.length), ...stack.map(varBytes));
}

/** Reads a witness stack (see encodeWitness). */
export function readWitness(r: ByteReader): Uint8Array[] {
  const n = r.count(1);
  const stack: Uint8Array[] = [];
  for (let i = 0; i < n; i++) stack.push(r.varBytes());
  return stack;
}

/**
 * Decode a witness stack that fills `bytes`.
 * @example decodeWitness(psbtFinalScriptWitness, (p) => invalidParameter('psbt', p))
 */
export function decodeWitness(bytes: Uint8Array, fail: Fail): Uint8Array[] {
  const r = new ByteReader(bytes, fail);
  const stack = readWitness(r);
  r.end();
  return stack;
}

/** Reads one transaction; `segwit: false` reads the legacy form only (a PSBTv0 unsigned tx). */
export function readTx(r: ByteReader, segwit = true): RawTransaction {
  const version = r.u32() | 0;
  const segwitFlag = segwit && r.left >= 2 && r.data[r.pos] === 0 && r.data[r.pos + 1] === 1;
  if (segwitFlag) r.pos += 2;
  const inputs: RawTxInput[] = [];
  for (let i = 0, n = r.count(41); i < n; i++) {
    inputs.push({ txid: r.bytes(32).reverse(), index: r.u32(), finalScriptSig: r.varBytes(), sequence: r.u32() });
  }
  const outputs: RawTxOutput[] = [];
  for (let i = 0, n = r.count(9); i < n; i++) outputs.push({ amount: r.u64(), script: r.varBytes() });
  const tx: RawTransaction = { version, segwitFlag, inputs, outputs, lockTime: 0 };
  if (segwitFlag) {
    tx.witnesses = inputs.map(() => readWitness(r));
    // BIP-144: with only empty witnesses the transaction must use the legacy form.
    if (tx.witnesses.every((w) => !w.length)) throw r.fail('segwit marker with only empty witnesses');
  }
  tx.lockTime = r.u32();
  return tx;
}

/**
 * Decode a raw transaction (legacy or segwit) that fills `bytes`.
 * @example decodeTx(hex.decode(rawHex), (p) => invalidParameter('origTxs[0]', p))
 */
export function decodeTx(bytes: Uint8Array, fail: Fail, segwit = true): RawTransaction {
  const r = new ByteReader(bytes, fail);
  const tx = readTx(r, segwit);
  r.end();
  return tx;
}

/**
 * Serialise a transaction, with its witnesses when `witness` (default: when it has them).
 * @example encodeTx(tx, false) // the form its txid hashes
 */
export function encodeTx(tx: RawTransaction, witness = tx.segwitFlag && !!tx.witnesses): Uint8Array {
  const parts: Uint8Array[] = [u32le(tx.version)];
  if (witness) parts.push(Uint8Array.of(0x00, 0x01));
  parts.push(compactSizeBytes(tx.inputs.length));
  for (const input of tx.inputs) parts.push(input.txid.slice().reverse(), u32le(input.index), varBytes(input.finalScriptSig), u32le(input.sequence));
  parts.push(compactSizeBytes(tx.outputs.length));
  for (const output of tx.outputs) parts.push(u64le(output.amount), varBytes(output.script));
  if (witness) for (let i = 0; i < tx.inputs.length; i++) parts.push(encodeWitness(tx.witnesses?.[i] ?? []));
  parts.push(u32le(tx.lockTime));
  return concatBytes(...parts);
}
