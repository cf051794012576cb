// The PSBT / raw transaction codec of the signing path (src/bitcoin/{rawTx,psbtCodec,psbtFields}.ts)
// cross-checked against @scure/btc-signer's own coders (RawTx, RawWitness, RawPSBTV0, RawPSBTV2),
// which stay a dependency as the reference: what btc-signer encodes we decode to the same
// fields and re-encode to the same bytes; a signature we add lands where btc-signer puts it;
// malformed bytes end in a typed error (InvalidParameters naming a field), never a plain Error.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { RawPSBTV0, RawPSBTV2 } from '@scure/btc-signer/psbt.js';
import { RawTx, RawWitness } from '@scure/btc-signer/script.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrezorError, invalidParameter } from '../src/errors.js';
import { decodeRawPsbt, encodeRawPsbt, keyType, psbtCounts, psbtKey, removeTypes, setPair } from '../src/bitcoin/psbtCodec.js';
import { readGlobal, readInput, readOutput } from '../src/bitcoin/psbtFields.js';
import { decodeTx, encodeTx, encodeWitness } from '../src/bitcoin/rawTx.js';
import { parsePsbt } from '../src/bitcoin/signPsbt.js';

const fail = (problem: string) => invalidParameter('psbt', problem);
const fieldFail = (field: string, problem: string) => invalidParameter(field, problem);
const SEED = 20261202;

// Real curve points: btc-signer checks the keys of partialSig / bip32Derivation / tap derivations.
const PRIVS = Array.from({ length: 6 }, (_, i) => Uint8Array.from({ length: 32 }, (_, j) => (j === 31 ? i + 1 : 0x11)));
const PUBS = PRIVS.map((p) => secp256k1.getPublicKey(p, true));
const XONLY = PUBS.map((p) => p.slice(1));

const bytes = (max = 40) => fc.uint8Array({ maxLength: max });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const amount = fc.bigInt({ min: 0n, max: (1n << 63n) - 1n });
const txid = fc.uint8Array({ minLength: 32, maxLength: 32 });
const origin = fc.record({ fingerprint: u32, path: fc.array(u32, { maxLength: 5 }) });
const witness = fc.array(bytes(20), { minLength: 1, maxLength: 4 });
const keyIndexes = fc.uniqueArray(fc.integer({ min: 0, max: PUBS.length - 1 }), { maxLength: 3 });

const txInput = (scriptSig = true) =>
  fc.record({ txid, index: u32, finalScriptSig: scriptSig ? bytes(30) : fc.constant(new Uint8Array(0)), sequence: u32 });
const txOutput = fc.record({ amount, script: bytes(40) });
const rawTx = fc
  .record({ version: fc.integer({ min: -0x80000000, max: 0x7fffffff }), inputs: fc.array(txInput(), { minLength: 1, maxLength: 3 }), outputs: fc.array(txOutput, { maxLength: 3 }), lockTime: u32, segwit: fc.boolean() })
  .chain((t) =>
    (t.segwit ? fc.array(fc.array(bytes(20), { maxLength: 3 }), { minLength: t.inputs.length, maxLength: t.inputs.length }).filter((w) => w.some((s) => s.length > 0)) : fc.constant(undefined)).map(
      (witnesses) => ({ version: t.version, segwitFlag: t.segwit, inputs: t.inputs, outputs: t.outputs, witnesses, lockTime: t.lockTime }),
    ),
  );

/** Proprietary key data: identifier, subtype, data (what follows the 0xfc type byte). */
const proprietary = fc
  .uniqueArray(fc.tuple(fc.uint8Array({ maxLength: 10 }), fc.integer({ min: 0, max: 300 }), bytes(6)), { maxLength: 2, selector: (p) => JSON.stringify(p) })
  .map((list) => list.map(([id, sub, data]) => [Uint8Array.of(id.length, ...id, ...(sub < 0xfd ? [sub] : [0xfd, sub & 0xff, sub >> 8]), ...data), new Uint8Array([1, 2])] as [Uint8Array, Uint8Array]));
/** Unknown key types (none of the tables' types). */
const unknown = (from: number) =>
  fc
    .uniqueArray(fc.tuple(fc.integer({ min: from, max: 0xfa }), bytes(5), bytes(8)), { maxLength: 2, selector: ([t, k]) => `${t}:${k.join()}` })
    .map((list) => list.map(([type, key, value]) => [{ type, key }, value] as [{ type: number; key: Uint8Array }, Uint8Array]));

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const inputFields = fc.record(
  {
    witnessUtxo: opt(txOutput),
    partialSig: keyIndexes.filter((k) => k.length > 0).map((k) => k.map((i) => [PUBS[i]!, Uint8Array.of(0x30, i, 1)])),
    sighashType: opt(u32),
    redeemScript: opt(bytes()),
    witnessScript: opt(bytes()),
    bip32Derivation: keyIndexes.chain((k) => fc.tuple(...k.map(() => origin)).map((o) => k.map((i, j) => [PUBS[i]!, o[j]!]))),
    finalScriptSig: opt(bytes()),
    finalScriptWitness: opt(witness),
    tapKeySig: opt(fc.uint8Array({ minLength: 64, maxLength: 65 })),
    tapBip32Derivation: keyIndexes.chain((k) =>
      fc.tuple(...k.map(() => fc.record({ hashes: fc.array(txid, { maxLength: 2 }), der: origin }))).map((o) => k.map((i, j) => [XONLY[i]!, o[j]!])),
    ),
    tapInternalKey: opt(fc.constantFrom(...XONLY)),
    proprietary,
    unknown: unknown(0x21),
  },
  { requiredKeys: [] },
);
const outputFields = fc.record(
  {
    redeemScript: opt(bytes()),
    witnessScript: opt(bytes()),
    bip32Derivation: keyIndexes.chain((k) => fc.tuple(...k.map(() => origin)).map((o) => k.map((i, j) => [PUBS[i]!, o[j]!]))),
    tapInternalKey: opt(fc.constantFrom(...XONLY)),
    proprietary,
    unknown: unknown(0x36),
  },
  { requiredKeys: [] },
);

/** Drop undefined and empty-list fields (btc-signer omits them). */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as T;
}

const psbtV0 = fc
  .record({ version: fc.integer({ min: 1, max: 3 }), inputs: fc.array(txInput(false), { minLength: 1, maxLength: 3 }), outputs: fc.array(txOutput, { minLength: 1, maxLength: 3 }), lockTime: u32 })
  .chain((tx) =>
    fc
      .record({
        inputs: fc.array(inputFields, { minLength: tx.inputs.length, maxLength: tx.inputs.length }),
        outputs: fc.array(outputFields, { minLength: tx.outputs.length, maxLength: tx.outputs.length }),
        proprietary,
        unknown: unknown(0x0a),
        prev: opt(rawTx),
      })
      .map((m) => ({
        global: clean({ unsignedTx: { ...tx, segwitFlag: false }, proprietary: m.proprietary, unknown: m.unknown }),
        inputs: m.inputs.map((i, k) => clean({ ...i, nonWitnessUtxo: k === 0 ? m.prev : undefined })),
        outputs: m.outputs.map(clean),
      })),
  );

const psbtV2 = fc
  .record({ txVersion: fc.integer({ min: 1, max: 3 }), fallbackLocktime: opt(u32), nIn: fc.integer({ min: 1, max: 3 }), nOut: fc.integer({ min: 1, max: 3 }), proprietary })
  .chain((g) =>
    fc
      .record({
        inputs: fc.array(fc.tuple(inputFields, txid, u32, opt(u32)), { minLength: g.nIn, maxLength: g.nIn }),
        outputs: fc.array(fc.tuple(outputFields, txOutput), { minLength: g.nOut, maxLength: g.nOut }),
      })
      .map((m) => ({
        global: clean({ version: 2, txVersion: g.txVersion, fallbackLocktime: g.fallbackLocktime, inputCount: g.nIn, outputCount: g.nOut, proprietary: g.proprietary }),
        inputs: m.inputs.map(([i, id, index, sequence]) => clean({ ...i, txid: id, index, sequence })),
        outputs: m.outputs.map(([o, out]) => clean({ ...o, ...out })),
      })),
  );

/** Our decoded fields must be btc-signer's, for every field we read. */
function expectSameFields(ours: object, theirs: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(ours)) {
    // btc-signer's unsigned-tx coder (RawOldTx) has no segwit flag; ours reads it as false.
    const expected = name === 'unsignedTx' ? { ...(theirs[name] as object), segwitFlag: false } : theirs[name];
    expect([name, value]).toEqual([name, expected]);
  }
}

/** Every pair of btc-signer's `unknown` list is in our raw map, byte for byte. */
function expectUnknownKept(map: [Uint8Array, Uint8Array][], unknowns: [{ type: number; key: Uint8Array }, Uint8Array][] | undefined): void {
  for (const [{ type, key }, value] of unknowns ?? []) {
    expect(map.some(([k, v]) => Buffer.from(k).equals(Buffer.from(psbtKey(type, key))) && Buffer.from(v).equals(Buffer.from(value)))).toBe(true);
  }
}

function crossCheck(bytes: Uint8Array, reference: typeof RawPSBTV0 | typeof RawPSBTV2, version: number): void {
  const theirs = reference.decode(bytes) as unknown as { global: Record<string, unknown>; inputs: Record<string, unknown>[]; outputs: Record<string, unknown>[] };
  const raw = decodeRawPsbt(bytes, fail);
  expect(encodeRawPsbt(raw)).toEqual(bytes);
  expect(psbtCounts(raw.global, fail).version).toBe(version);
  expectSameFields(readGlobal(raw.global, version, fieldFail), theirs.global);
  raw.inputs.forEach((map, i) => {
    expectSameFields(readInput(map, version, 'in', fieldFail), theirs.inputs[i]!);
    expectUnknownKept(map, theirs.inputs[i]!.unknown as never);
  });
  raw.outputs.forEach((map, i) => {
    expectSameFields(readOutput(map, version, 'out', fieldFail), theirs.outputs[i]!);
    expectUnknownKept(map, theirs.outputs[i]!.unknown as never);
  });
  expectUnknownKept(raw.global, theirs.global.unknown as never);
  expect(raw.inputs.length).toBe(theirs.inputs.length);
  expect(raw.outputs.length).toBe(theirs.outputs.length);

  // Adding a signature and finalizing: the same bytes as btc-signer's encoder from its edited maps.
  const sig = Uint8Array.of(0x30, 0x44, 0x01);
  setPair(raw.inputs[0]!, psbtKey(0x02, PUBS[5]!), sig);
  const input = theirs.inputs[0]! as { partialSig?: [Uint8Array, Uint8Array][] };
  input.partialSig = [...(input.partialSig ?? []).filter(([k]) => !Buffer.from(k).equals(Buffer.from(PUBS[5]!))), [PUBS[5]!, sig]];
  expect(encodeRawPsbt(raw)).toEqual(reference.encode(theirs as never));
  removeTypes(raw.inputs[0]!, [0x02, 0x03, 0x04, 0x05, 0x06, 0x13, 0x16, 0x17]);
  setPair(raw.inputs[0]!, psbtKey(0x08), encodeWitness([sig, PUBS[5]!]));
  const finalized = theirs.inputs[0]! as Record<string, unknown>;
  for (const key of ['partialSig', 'sighashType', 'redeemScript', 'witnessScript', 'bip32Derivation', 'tapKeySig', 'tapBip32Derivation', 'tapInternalKey']) delete finalized[key];
  finalized.finalScriptWitness = [sig, PUBS[5]!];
  expect(encodeRawPsbt(raw)).toEqual(reference.encode(theirs as never));
}

/** The outcome of one call: a value, or the error's class and code. */
function outcome(run: () => unknown): 'ok' | string {
  try {
    run();
    return 'ok';
  } catch (e) {
    return e instanceof TrezorError ? `TrezorError:${e.code}` : `plain:${String(e)}`;
  }
}

/** Mutations of valid bytes: truncation, a flipped byte, an inserted byte, a huge length. */
const mutation = (data: Uint8Array) =>
  fc.oneof(
    fc.integer({ min: 0, max: data.length - 1 }).map((n) => data.slice(0, n)),
    fc.tuple(fc.integer({ min: 0, max: data.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
      const out = data.slice();
      out[at]! ^= x;
      return out;
    }),
    fc.tuple(fc.integer({ min: 0, max: data.length }), fc.integer({ min: 0, max: 255 })).map(([at, b]) => Uint8Array.of(...data.subarray(0, at), b, ...data.subarray(at))),
    fc.integer({ min: 0, max: data.length - 1 }).map((at) => Uint8Array.of(...data.subarray(0, at), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, ...data.subarray(at))),
  );

describe('raw transaction codec', () => {
  it('decodes what btc-signer RawTx encodes to the same fields, and encodes them back to the same bytes', () => {
    fc.assert(
      fc.property(rawTx, (tx) => {
        const bytes = RawTx.encode(tx as never);
        const ours = decodeTx(bytes, fail);
        const theirs = RawTx.decode(bytes);
        expect(ours).toEqual(theirs);
        expect(encodeTx(ours)).toEqual(bytes);
        expect(encodeTx(ours, false)).toEqual(RawTx.encode({ ...theirs, segwitFlag: false, witnesses: undefined }));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('witness stacks: the same bytes as btc-signer RawWitness', () => {
    fc.assert(
      fc.property(fc.array(bytes(300), { maxLength: 5 }), (stack) => {
        expect(encodeWitness(stack)).toEqual(RawWitness.encode(stack));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('mutated transactions: accepted exactly when btc-signer accepts them (same fields), else InvalidParameters', () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(rawTx.chain((tx) => mutation(RawTx.encode(tx as never))), (bytes) => {
        let theirs: ReturnType<typeof RawTx.decode> | undefined;
        try {
          theirs = RawTx.decode(bytes);
        } catch {
          theirs = undefined;
        }
        const result = outcome(() => decodeTx(bytes, fail));
        outcomes.add(result);
        if (theirs) expect(decodeTx(bytes, fail)).toEqual(theirs);
        else expect(result).toBe('TrezorError:InvalidParameters');
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect([...outcomes].sort()).toEqual(['TrezorError:InvalidParameters', 'ok']);
  });

  it('refuses a count larger than the remaining bytes before allocating', () => {
    // version, then an input count of 2^32 - 1 in 5 bytes, and nothing else.
    const bytes = Uint8Array.of(1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff);
    expect(() => decodeTx(bytes, fail)).toThrow(/count 4294967295 at offset 4 exceeds the remaining 0 bytes/);
    // A non-minimal CompactSize (the input count 1 written in 3 bytes) is refused, as by btc-signer and Bitcoin Core.
    const valid = RawTx.encode({ version: 2, segwitFlag: false, inputs: [{ txid: new Uint8Array(32), index: 0, finalScriptSig: new Uint8Array(0), sequence: 0 }], outputs: [{ amount: 1n, script: Uint8Array.of(0x51) }], witnesses: undefined, lockTime: 0 } as never);
    expect(outcome(() => decodeTx(valid, fail))).toBe('ok');
    const padded = Uint8Array.of(...valid.subarray(0, 4), 0xfd, 1, 0, ...valid.subarray(5));
    expect(() => RawTx.decode(padded)).toThrow();
    expect(() => decodeTx(padded, fail)).toThrow(/CompactSize at offset 4 is not in its shortest form/);
  });
});

describe('PSBT codec', () => {
  it('v0: raw maps round-trip byte for byte; fields, unknown and proprietary pairs agree with btc-signer RawPSBTV0; added signatures land where btc-signer puts them', () => {
    fc.assert(
      fc.property(psbtV0, (psbt) => crossCheck(RawPSBTV0.encode(psbt as never), RawPSBTV0, 0)),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('v2: the same against btc-signer RawPSBTV2 (txid, index, sequence, amount, script, counts)', () => {
    fc.assert(
      fc.property(psbtV2, (psbt) => crossCheck(RawPSBTV2.encode(psbt as never), RawPSBTV2, 2)),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('keeps the order of a PSBT whose pairs are not in canonical order', () => {
    const tx = RawTx.encode({ version: 2, segwitFlag: false, inputs: [{ txid: new Uint8Array(32), index: 0, finalScriptSig: new Uint8Array(0), sequence: 0 }], outputs: [{ amount: 1n, script: Uint8Array.of(0x51) }], witnesses: undefined, lockTime: 0 } as never);
    const raw = {
      global: [[Uint8Array.of(0xfc, 1, 0x41, 0), Uint8Array.of(9)], [Uint8Array.of(0x00), tx]] as [Uint8Array, Uint8Array][],
      inputs: [[[Uint8Array.of(0x30, 7), Uint8Array.of(1)], [Uint8Array.of(0x04), Uint8Array.of(0x51)], [Uint8Array.of(0x03), Uint8Array.of(1, 0, 0, 0)]]] as [Uint8Array, Uint8Array][][],
      outputs: [[]] as [Uint8Array, Uint8Array][][],
    };
    const bytes = encodeRawPsbt(raw);
    const again = decodeRawPsbt(bytes, fail);
    expect(again).toEqual(raw);
    expect(readInput(again.inputs[0]!, 0, 'in', fieldFail)).toEqual({ redeemScript: Uint8Array.of(0x51), sighashType: 1 });
    expect(readGlobal(again.global, 0, fieldFail).proprietary).toEqual([[Uint8Array.of(1, 0x41, 0), Uint8Array.of(9)]]);
    // btc-signer reads the same PSBT (and would reorder it on encoding).
    expect(RawPSBTV0.decode(bytes).inputs[0]!.sighashType).toBe(1);
    expect(keyType(Uint8Array.of(0xfd, 0x00, 0x01, 7)).type).toBe(0x100);
    // BIP-174: a key appears once per map; btc-signer refuses a duplicate too.
    const twice = encodeRawPsbt({ ...raw, inputs: [[...raw.inputs[0]!, [Uint8Array.of(0x30, 7), Uint8Array.of(2)]]] });
    expect(() => RawPSBTV0.decode(twice)).toThrow();
    expect(() => decodeRawPsbt(twice, fail)).toThrow(/input 0 has key 3007 twice/);
  });

  it('mutated PSBTs: parsePsbt returns a PSBT or throws InvalidParameters (never a plain Error); what btc-signer reads, we read to the same fields', () => {
    const outcomes = new Set<string>();
    let bothRead = 0;
    const v0 = psbtV0.map((p) => RawPSBTV0.encode(p as never));
    const v2 = psbtV2.map((p) => RawPSBTV2.encode(p as never));
    fc.assert(
      fc.property(fc.oneof(v0, v2).chain(mutation), (bytes) => {
        const result = outcome(() => parsePsbt(bytes));
        outcomes.add(result);
        expect(result === 'ok' || result === 'TrezorError:InvalidParameters').toBe(true);
        if (result === 'ok') expect(encodeRawPsbt(decodeRawPsbt(bytes, fail))).toEqual(bytes);
        // btc-signer checks more (curve points, tap trees, …), so only this direction holds.
        for (const [reference, version] of [[RawPSBTV0, 0], [RawPSBTV2, 2]] as const) {
          let theirs: ReturnType<typeof reference.decode> | undefined;
          try {
            theirs = reference.decode(bytes);
          } catch {
            continue;
          }
          expect(result).toBe('ok');
          bothRead++;
          const raw = decodeRawPsbt(bytes, fail);
          expectSameFields(readGlobal(raw.global, version, fieldFail), theirs.global as never);
          raw.inputs.forEach((map, i) => expectSameFields(readInput(map, version, 'in', fieldFail), theirs.inputs[i] as never));
          raw.outputs.forEach((map, i) => expectSameFields(readOutput(map, version, 'out', fieldFail), theirs.outputs[i] as never));
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
    expect(outcomes).toContain('ok');
    expect(outcomes).toContain('TrezorError:InvalidParameters');
    expect(bothRead).toBeGreaterThan(10);
  });

  it('malformed PSBTs name the field', () => {
    const base = RawPSBTV0.encode({
      global: { unsignedTx: { version: 2, segwitFlag: false, inputs: [{ txid: new Uint8Array(32), index: 0, finalScriptSig: new Uint8Array(0), sequence: 0 }], outputs: [{ amount: 1n, script: Uint8Array.of(0x51) }], lockTime: 0 } },
      inputs: [{ partialSig: [[PUBS[0]!, Uint8Array.of(1)]] }],
      outputs: [{}],
    } as never);
    const raw = decodeRawPsbt(base, fail);
    const field = (edit: (r: typeof raw) => void) => {
      const copy = decodeRawPsbt(base, fail);
      edit(copy);
      try {
        parsePsbt(encodeRawPsbt(copy));
      } catch (e) {
        return e instanceof TrezorError ? e.field ?? e.message : String(e);
      }
      return 'ok';
    };
    expect(raw.inputs[0]!.length).toBe(1);
    expect(field((r) => (r.inputs[0]![0]![0] = Uint8Array.of(0x02, 1, 2, 3)))).toBe('psbt.inputs[0].partialSig');
    expect(field((r) => r.inputs[0]!.push([Uint8Array.of(0x03), Uint8Array.of(1)]))).toBe('psbt.inputs[0].sighashType');
    expect(field((r) => r.inputs[0]!.push([Uint8Array.of(0x01), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9)]))).toBe('psbt.inputs[0].witnessUtxo');
    expect(field((r) => r.inputs[0]!.push([Uint8Array.of(0x08), Uint8Array.of(0)]))).toBe('psbt.inputs[0].finalScriptWitness');
    expect(field((r) => r.inputs[0]!.push([Uint8Array.of(0x0e), new Uint8Array(32)]))).toBe('psbt.inputs[0]');
    expect(field((r) => r.outputs[0]!.push([Uint8Array.of(0x02, ...PUBS[0]!), Uint8Array.of(1, 2)]))).toBe('psbt.outputs[0].bip32Derivation');
    expect(field((r) => r.global.push([Uint8Array.of(0xfc, 5), Uint8Array.of(1)]))).toBe('psbt.proprietary');
    expect(field((r) => r.global.push([Uint8Array.of(0xfb), Uint8Array.of(1, 0, 0, 0)]))).toBe('psbt');
  });
});
