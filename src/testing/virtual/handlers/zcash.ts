/**
 * Zcash transparent transactions on the virtual device: the overwintered header and footer the
 * firmware serialises, and the ZIP-243 (v4, Sapling) and ZIP-244 (v5, NU5) signature digests.
 *
 * Why a module of its own: bitcoin.ts runs the SignTx exchange for every coin; what differs for
 * Zcash is only these bytes. Written from the firmware, not shared with the library's
 * src/bitcoin/zcash.ts (nothing under src/testing imports the library's Bitcoin modules), so
 * a slip in either shows against the firmware's vectors.
 *
 * Source: trezor-firmware legacy/firmware/signing.c (signing_hash_zip243, signing_hash_zip244)
 * and transaction.c (tx_serialize_header, tx_serialize_footer) at legacy/v1.14.1, which signs
 * versions 4 and 5; core/src/apps/bitcoin/sign_tx/zcash_v4.py (version 4) and
 * core/src/apps/zcash/{signer,hasher}.py (version 5, since 2.5.1) at core/v2.8.9. The Model T
 * 2.4.1 signs version 4 only (core/src/apps/bitcoin/sign_tx/zcash.py at core/v2.4.1).
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { concatBytes } from '@noble/hashes/utils.js';

/** fOverwintered, the top bit of nVersion. */
const OVERWINTERED = 0x80000000;

/** What an overwintered transaction commits to besides its inputs and outputs. */
export interface ZcashHeader {
  version: number;
  versionGroupId: number;
  branchId: number;
  lockTime: number;
  expiry: number;
}

/** An input as the digests see it: outpoint, sequence, amount and the script it spends. */
export interface ZcashSigInput {
  prevHash: Uint8Array;
  prevIndex: number;
  sequence: number;
  amount: bigint;
  scriptPubKey: Uint8Array;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return concatBytes(Uint8Array.of(0xfe), u32(n));
}

const varBytes = (data: Uint8Array) => concatBytes(compactSize(data.length), data);
const outpoint = (i: ZcashSigInput) => concatBytes(Uint8Array.from(i.prevHash).reverse(), u32(i.prevIndex));
const serializeOutput = (o: { amount: bigint; script: Uint8Array }) => concatBytes(u64(o.amount), varBytes(o.script));

/** BLAKE2b-256 with a 16-byte personalisation (a label, or a label and the branch id). */
function blake(personal: string | Uint8Array, ...data: Uint8Array[]): Uint8Array {
  const p = typeof personal === 'string' ? new TextEncoder().encode(personal) : personal;
  return blake2b(concatBytes(...data), { dkLen: 32, personalization: p });
}

const withBranch = (label: string, branchId: number) => concatBytes(new TextEncoder().encode(label), u32(branchId));

/**
 * tx_serialize_header: nVersion | fOverwintered, the version group id and (v5) branch id,
 * lock time and expiry, then the input count.
 * @example zcashHeader({ version: 4, versionGroupId: 0x892f2085, branchId: 0x76b809bb, lockTime: 0, expiry: 0 }, 1)
 */
export function zcashHeader(tx: ZcashHeader, inputsCount: number): Uint8Array {
  const parts = [u32(tx.version | OVERWINTERED), u32(tx.versionGroupId)];
  if (tx.version === 5) parts.push(u32(tx.branchId), u32(tx.lockTime), u32(tx.expiry));
  return concatBytes(...parts, compactSize(inputsCount));
}

/**
 * tx_serialize_footer: v4 lock time, expiry, valueBalance 0 and no shielded spends, outputs or
 * JoinSplits; v5 no Sapling spends or outputs and no Orchard actions.
 * @example zcashFooter(header) // v4: 15 bytes, v5: 00 00 00
 */
export function zcashFooter(tx: ZcashHeader): Uint8Array {
  if (tx.version === 5) return Uint8Array.of(0, 0, 0);
  return concatBytes(u32(tx.lockTime), u32(tx.expiry), u64(0n), Uint8Array.of(0, 0, 0));
}

/**
 * The bytes a previous transaction's txid covers around its inputs and outputs (version ≥ 3:
 * overwintered header; footer with the expiry), as zcash_v4.py write_tx_header/footer hash it.
 * @example prevTxFrame(4, 0x892f2085, 0, 0).header
 */
export function prevTxFrame(version: number, versionGroupId: number | undefined, lockTime: number, expiry: number): { header: Uint8Array; footer: Uint8Array } {
  if (version < 3) return { header: u32(version), footer: u32(lockTime) };
  return { header: concatBytes(u32(version | OVERWINTERED), u32(versionGroupId ?? 0)), footer: concatBytes(u32(lockTime), u32(expiry)) };
}

/**
 * ZIP-243 signature digest (SIGHASH_ALL) of `input` with `scriptCode` (Zip243SigHasher.hash143).
 * @example zip243Digest(header, inputs, outputs, inputs[0], scriptCode)
 */
export function zip243Digest(
  tx: ZcashHeader,
  inputs: readonly ZcashSigInput[],
  outputs: readonly { amount: bigint; script: Uint8Array }[],
  input: ZcashSigInput,
  scriptCode: Uint8Array,
): Uint8Array {
  const zero = new Uint8Array(32);
  return blake(
    withBranch('ZcashSigHash', tx.branchId),
    u32(tx.version | OVERWINTERED),
    u32(tx.versionGroupId),
    blake('ZcashPrevoutHash', ...inputs.map(outpoint)),
    blake('ZcashSequencHash', ...inputs.map((i) => u32(i.sequence))),
    blake('ZcashOutputsHash', ...outputs.map(serializeOutput)),
    zero, // hashJoinSplits
    zero, // hashShieldedSpends
    zero, // hashShieldedOutputs
    u32(tx.lockTime),
    u32(tx.expiry),
    u64(0n), // valueBalance
    u32(1), // SIGHASH_ALL
    outpoint(input),
    varBytes(scriptCode),
    u64(input.amount),
    u32(input.sequence),
  );
}

/**
 * ZIP-244 signature digest (SIGHASH_ALL) of input `index` (ZcashHasher.hash_zip244): it commits
 * to every input's amount and scriptPubKey, so no previous transaction is needed.
 * @example zip244Digest(header, inputs, outputs, 0)
 */
export function zip244Digest(tx: ZcashHeader, inputs: readonly ZcashSigInput[], outputs: readonly { amount: bigint; script: Uint8Array }[], index: number): Uint8Array {
  const header = blake('ZTxIdHeadersHash', u32(tx.version | OVERWINTERED), u32(tx.versionGroupId), u32(tx.branchId), u32(tx.lockTime), u32(tx.expiry));
  const input = inputs[index]!;
  const transparent = blake(
    'ZTxIdTranspaHash',
    Uint8Array.of(1), // SIGHASH_ALL
    blake('ZTxIdPrevoutHash', ...inputs.map(outpoint)),
    blake('ZTxTrAmountsHash', ...inputs.map((i) => u64(i.amount))),
    blake('ZTxTrScriptsHash', ...inputs.map((i) => varBytes(i.scriptPubKey))),
    blake('ZTxIdSequencHash', ...inputs.map((i) => u32(i.sequence))),
    blake('ZTxIdOutputsHash', ...outputs.map(serializeOutput)),
    blake('Zcash___TxInHash', outpoint(input), u64(input.amount), varBytes(input.scriptPubKey), u32(input.sequence)),
  );
  return blake(withBranch('ZcashTxHash_', tx.branchId), header, transparent, blake('ZTxIdSaplingHash'), blake('ZTxIdOrchardHash'));
}
