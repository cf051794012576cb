/**
 * The protobuf codec (src/messages) against the SLIP-14 wire vectors, the wire rules of
 * PROTOCOL.md section 3, malformed input and property round trips.
 *
 * Vectors: test/fixtures/vectors/slip14.json `.wire_encoding.vectors[]`, made by trezorlib
 * (see the file's own description). Their `fields` use trezorlib's conventions: bytes as hex,
 * enum values by their name without the enum's prefix ("ActionCancelled" for
 * Failure_ActionCancelled), and the proto2 defaults trezorlib fills in (show_display=false...).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTrezorError, type TrezorError } from '../src/errors.js';
import {
  decodeAs,
  decodeMessage,
  encodeAs,
  encodeMessage,
  messageName,
  messageTypeId,
  type MessageName,
} from '../src/messages/index.js';
import { ENUMS, MESSAGES, WIRE, type FieldDesc } from '../src/messages/generated/schema.js';
import { loadVectors } from './support/fixtures.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string): Uint8Array => new Uint8Array((s.match(/../g) ?? []).map((x) => parseInt(x, 16)));

/** Runs fn and returns the TrezorError it throws (failing when it throws something else). */
function thrown(fn: () => unknown): TrezorError {
  try {
    fn();
  } catch (e) {
    if (isTrezorError(e)) return e;
    throw new Error(`expected a TrezorError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a TrezorError, nothing was thrown');
}

// ---------------------------------------------------------------------------------------------
// trezorlib's field conventions <-> ours, walking the descriptor table

const K_ENUM = 7;
const K_BYTES = 9;
const K_MESSAGE = 10;

function enumNumber(enumName: string, v: unknown): number {
  if (typeof v === 'number') return v;
  const values = ENUMS[enumName]!;
  const hit = Object.entries(values).find(([k]) => k === v || k.endsWith(`_${String(v)}`));
  if (!hit) throw new Error(`no value ${String(v)} in ${enumName}`);
  return hit[1];
}

/** Comparable form: bytes as hex, 64-bit and other integers as numbers, enums as numbers. */
function comparable(msg: string, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = MESSAGES[msg]![0];
  for (const [key, value] of Object.entries(obj)) {
    const f = fields.find((x) => x[1] === key);
    if (!f) throw new Error(`${msg} has no field ${key}`);
    const one = (v: unknown): unknown => {
      if (f[2] === K_MESSAGE) return comparable(f[4]!, v as Record<string, unknown>);
      if (f[2] === K_ENUM) return enumNumber(f[4]!, v);
      if (f[2] === K_BYTES) return typeof v === 'string' ? v.toLowerCase() : hex(v as Uint8Array);
      if (typeof v === 'bigint') return Number(v);
      return v;
    };
    out[key] = Array.isArray(value) ? value.map(one) : one(value);
  }
  return out;
}

/** Converts trezorlib-style fields to what encodeAs takes (hex -> bytes, enum names -> ours). */
function fromVector(msg: string, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = MESSAGES[msg]![0];
  for (const [key, value] of Object.entries(obj)) {
    const f = fields.find((x) => x[1] === key)!;
    const one = (v: unknown): unknown => {
      if (f[2] === K_MESSAGE) return fromVector(f[4]!, v as Record<string, unknown>);
      if (f[2] === K_ENUM) return enumNumber(f[4]!, v);
      if (f[2] === K_BYTES) return unhex(v as string);
      return v;
    };
    out[key] = Array.isArray(value) ? value.map(one) : one(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

interface WireVector {
  name: string;
  message_type_name: string;
  message_type_id: number;
  fields: Record<string, unknown>;
  protobuf_hex: string;
}

describe('SLIP-14 wire_encoding vectors', () => {
  const vectors: WireVector[] = loadVectors().wire_encoding.vectors;

  it('has vectors', () => expect(vectors.length).toBeGreaterThan(10));

  for (const v of vectors) {
    const name = v.message_type_name as MessageName;
    it(`${v.name}: decodes to the vector's fields, re-encodes byte for byte`, () => {
      expect(messageTypeId(name)).toBe(v.message_type_id);
      const bytes = unhex(v.protobuf_hex);
      const decoded = decodeAs(name, bytes) as unknown as Record<string, unknown>;
      expect(comparable(name, decoded)).toEqual(comparable(name, v.fields));
      // trezorlib emits every field that has a value (defaults included) in ascending order,
      // and so do we when encoding what we decoded: the bytes must match exactly.
      expect(hex(encodeAs(name, decoded as never))).toBe(v.protobuf_hex);
    });

    it(`${v.name}: encoding the vector's fields gives bytes that decode to those fields`, () => {
      const { type, payload } = encodeMessage(name, fromVector(name, v.fields) as never);
      expect(type).toBe(v.message_type_id);
      // Byte-exact here too: every vector lists all the fields trezorlib sent, defaults
      // included, so there is nothing for the two encoders to disagree on.
      expect(hex(payload)).toBe(v.protobuf_hex);
      // by name: id 22 would decode as TxAck, of which the TxAck* vectors are narrow views
      const back = decodeAs(name, payload) as unknown as Record<string, unknown>;
      expect(comparable(name, back)).toEqual(comparable(name, v.fields));
      expect(decodeMessage(type, payload).type).toBe(messageName(type));
    });
  }
});

describe('wire ids', () => {
  it('maps names to ids and ids to the name a decoder returns', () => {
    expect(messageTypeId('Initialize')).toBe(0);
    expect(messageTypeId('Features')).toBe(17);
    expect(messageTypeId('EthereumSignTxEIP1559')).toBe(452);
    expect(messageTypeId('DebugLinkReseedRandom')).toBe(9002);
    for (const n of ['TxAck', 'TxAckInput', 'TxAckOutput', 'TxAckPrevMeta', 'TxAckPrevInput', 'TxAckPrevOutput'] as const) {
      expect(messageTypeId(n)).toBe(22);
    }
    expect(messageTypeId('TxAckPrevExtraData')).toBe(22);
    expect(messageName(22)).toBe('TxAck');
    expect(messageName(37)).toBe('PaymentRequest');
    expect(messageName(17)).toBe('Features');
    expect(messageName(12345)).toBeUndefined();
    for (const [id, name] of Object.entries(WIRE)) expect(messageTypeId(name as MessageName)).toBe(Number(id));
  });

  it('decodes id 22 as the legacy TxAck, a superset of the narrow TxAck* views', () => {
    const { type, payload } = encodeMessage('TxAckInput', {
      tx: { input: { address_n: [0x80000054, 0, 1], prev_hash: new Uint8Array(32).fill(7), prev_index: 1, amount: 5000n } },
    });
    expect(type).toBe(22);
    const m = decodeMessage(type, payload);
    expect(m.type).toBe('TxAck');
    if (m.type !== 'TxAck') return;
    expect(m.message.tx?.inputs?.[0]).toEqual({
      address_n: [0x80000054, 0, 1],
      prev_hash: new Uint8Array(32).fill(7),
      prev_index: 1,
      amount: 5000n,
    });
    const prevMeta = encodeAs('TxAckPrevMeta', { tx: { version: 2, lock_time: 0, inputs_count: 1, outputs_count: 2 } });
    expect(decodeAs('TxAck', prevMeta).tx).toEqual({ version: 2, lock_time: 0, inputs_cnt: 1, outputs_cnt: 2 });
  });

  it('rejects an unknown wire id and an unknown name', () => {
    const e = thrown(() => decodeMessage(4242, new Uint8Array()));
    expect(e.code).toBe('ProtocolError');
    expect(thrown(() => decodeMessage(-1, new Uint8Array())).code).toBe('ProtocolError');
    expect(thrown(() => encodeAs('NoSuchMessage' as MessageName, {})).code).toBe('InvalidParameters');
    expect(thrown(() => decodeAs('HDNodeType' as MessageName, new Uint8Array())).code).toBe('InvalidParameters');
    expect(thrown(() => decodeAs('Features', 'not bytes' as unknown as Uint8Array)).code).toBe('InvalidParameters');
  });
});

describe('encoding rules', () => {
  it('emits repeated scalars unpacked, one tag per element, and accepts packed input', () => {
    const bytes = encodeAs('GetAddress', { address_n: [0x80000054, 1, 300], coin_name: 'Testnet' });
    expect(hex(bytes)).toBe('08d48080800808010 8ac0212075465737 46e6574'.replace(/ /g, ''));
    // the same path, packed: 0a (field 1, wire type 2) length 8, then the three varints
    const packed = unhex('0a08d4808080080 1ac02'.replace(/ /g, '') + '1207546573746e6574');
    expect(decodeAs('GetAddress', packed)).toEqual({ address_n: [0x80000054, 1, 300], coin_name: 'Testnet' });
    // repeated enums too (Features.capabilities), unpacked out, packed in
    const caps = encodeAs('Features', { major_version: 2, minor_version: 8, patch_version: 0, capabilities: ['Capability_Bitcoin', 17] });
    expect(hex(caps)).toBe('10021808200 0f00101f00111'.replace(/ /g, ''));
    expect(decodeAs('Features', unhex('100218082000f2010201 11'.replace(/ /g, ''))).capabilities).toEqual([
      'Capability_Bitcoin',
      'Capability_PassphraseEntry',
    ]);
  });

  it('emits fields in ascending field number', () => {
    // EthereumSignTx declares `to` (11) between gas_limit (4) and value (6)
    const bytes = encodeAs('EthereumSignTx', {
      to: '0x00',
      value: new Uint8Array([1]),
      chain_id: 1,
      gas_limit: new Uint8Array([2]),
      gas_price: new Uint8Array([3]),
    });
    expect(hex(bytes)).toBe('1a01032201023201014801' + '5a04307830' + '30');
  });

  it('round-trips 2^64-1 as a bigint and takes numbers for 64-bit fields', () => {
    const max = 2n ** 64n - 1n;
    const bytes = encodeAs('AuthorizeCoinJoin', {
      coordinator: 'c',
      max_rounds: max,
      max_coordinator_fee_rate: 0,
      max_fee_per_kvbyte: 0,
    });
    expect(hex(bytes)).toBe('0a0163' + '10ffffffffffffffffff01' + '18002000');
    const back = decodeAs('AuthorizeCoinJoin', bytes);
    expect(back.max_rounds).toBe(max);
    expect(typeof back.max_rounds).toBe('bigint');
    const n = decodeAs('EthereumSignTx', encodeAs('EthereumSignTx', { gas_price: new Uint8Array(), gas_limit: new Uint8Array(), chain_id: 137 }));
    expect(n.chain_id).toBe(137n);
    for (const bad of [2n ** 64n, -1n, -1, 2 ** 53, 1.5, '1']) {
      const e = thrown(() => encodeAs('EthereumSignTx', { gas_price: new Uint8Array(), gas_limit: new Uint8Array(), chain_id: bad as bigint }));
      expect(e.code).toBe('InvalidParameters');
      expect(e.field).toBe('EthereumSignTx.chain_id');
    }
  });

  it('does not fill proto defaults in on decode', () => {
    const m = decodeAs('GetPublicKey', unhex('0880808080080880808080080880808080 08'.replace(/ /g, '')));
    expect(m).toEqual({ address_n: [0x80000000, 0x80000000, 0x80000000] });
    expect('coin_name' in m).toBe(false);
    expect(decodeAs('Success', new Uint8Array())).toEqual({});
  });

  it('gives enums as names, unknown numbers as numbers, and takes either', () => {
    expect(decodeAs('Failure', unhex('0804')).code).toBe('Failure_ActionCancelled');
    expect(decodeAs('Failure', unhex('0863')).code).toBe('Failure_FirmwareError');
    expect(decodeAs('Failure', unhex('0864')).code).toBe(100);
    expect(hex(encodeAs('Failure', { code: 'Failure_PinInvalid' }))).toBe('0807');
    expect(hex(encodeAs('Failure', { code: 7 }))).toBe('0807');
    expect(hex(encodeAs('Failure', { code: 100 }))).toBe('0864');
    // a negative enum number is a sign-extended 10-byte varint, and decodes back
    const neg = encodeAs('Failure', { code: -2 });
    expect(hex(neg)).toBe('08feffffffffffffffff01');
    expect(decodeAs('Failure', neg).code).toBe(-2);
  });

  it('encodes and decodes strings as UTF-8 and keeps a leading BOM', () => {
    const text = '\ufeffžluťoučký kůň 🐴';
    const bytes = encodeAs('Ping', { message: text });
    expect(bytes.length).toBe(2 + new TextEncoder().encode(text).length);
    expect(decodeAs('Ping', bytes).message).toBe(text);
  });

  it('writes any string as TextEncoder does: lone surrogates as U+FFFD, pairs as 4 bytes, long ones with multi-byte lengths', () => {
    const varint = (n: number): number[] => {
      const out: number[] = [];
      for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
      return [...out, n];
    };
    const units = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff }));
    fc.assert(
      fc.property(fc.array(units, { maxLength: 300 }), (codes) => {
        const text = String.fromCharCode(...codes);
        const utf8 = new TextEncoder().encode(text);
        expect(hex(encodeAs('Ping', { message: text }))).toBe(hex(Uint8Array.from([0x0a, ...varint(utf8.length), ...utf8])));
      }),
      { numRuns: 300 },
    );
    expect(hex(encodeAs('Ping', { message: '\ud83d\udc34\ud83d' }))).toBe('0a07f09f90b4efbfbd'); // 🐴 then a lone high surrogate
  });

  it('gives an encoding started from inside another one (a getter) its own buffer', () => {
    let inner: Uint8Array | undefined;
    const outer = {
      get message() {
        inner = encodeAs('Ping', { message: 'inner' });
        return 'outer';
      },
    };
    expect(hex(encodeAs('Ping', outer))).toBe('0a056f75746572');
    expect(hex(inner!)).toBe('0a05696e6e6572');
  });

  it('returns independent payloads from one call to the next (the encoder reuses its buffer)', () => {
    const first = encodeAs('Ping', { message: 'ab' });
    const big = encodeAs('EthereumTxAck', { data_chunk: new Uint8Array(100_000).fill(1) });
    const second = encodeAs('Ping', { message: 'cd' });
    expect(hex(first)).toBe('0a026162');
    expect(hex(second)).toBe('0a026364');
    expect(big.length).toBe(1 + 3 + 100_000);
    expect(first.buffer).not.toBe(second.buffer);
  });

  it('writes multi-byte lengths of embedded messages (length-prefix patching)', () => {
    const big = new Uint8Array(70_000).map((_, i) => i & 0xff);
    const bytes = encodeAs('TxAckPrevExtraData', { tx: { extra_data_chunk: big } });
    // 0a (tx) len(70004) = 3 bytes, 42 (field 8, wire type 2) len(70000) = 3 bytes
    expect(hex(bytes.subarray(0, 8))).toBe('0af4a20442f0a204');
    expect(bytes.length).toBe(1 + 3 + 1 + 3 + 70_000);
    expect(decodeAs('TxAck', bytes).tx?.extra_data).toEqual(big);
  });

  it('handles a 1 MB payload', () => {
    const chunk = new Uint8Array(1 << 20).fill(0xab);
    const bytes = encodeAs('EthereumTxAck', { data_chunk: chunk });
    expect(bytes.length).toBe(1 + 3 + (1 << 20));
    expect(decodeAs('EthereumTxAck', bytes).data_chunk).toEqual(chunk);
  });

  it('returns decoded bytes as copies, not views of the input', () => {
    const input = unhex('0a03010203');
    const m = decodeAs('Entropy', input);
    input[2] = 0xff;
    expect(m.entropy).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('invalid values when encoding -> InvalidParameters naming the field', () => {
  const cases: [string, () => unknown, string][] = [
    ['missing required', () => encodeAs('PinMatrixAck', {} as never), 'PinMatrixAck.pin'],
    ['missing nested required', () => encodeAs('TxAckInput', { tx: { input: { prev_hash: new Uint8Array(32), prev_index: 0 } } } as never), 'TxAckInput.tx.input.amount'],
    ['string for uint32', () => encodeAs('GetAddress', { address_n: ['1' as unknown as number] }), 'GetAddress.address_n[0]'],
    ['negative uint32', () => encodeAs('GetEntropy', { size: -1 }), 'GetEntropy.size'],
    ['uint32 overflow', () => encodeAs('GetEntropy', { size: 2 ** 32 }), 'GetEntropy.size'],
    ['fraction', () => encodeAs('GetEntropy', { size: 1.5 }), 'GetEntropy.size'],
    ['string for bytes', () => encodeAs('Entropy', { entropy: 'aa' as unknown as Uint8Array }), 'Entropy.entropy'],
    ['number for bool', () => encodeAs('Ping', { button_protection: 1 as unknown as boolean }), 'Ping.button_protection'],
    ['bytes for string', () => encodeAs('Ping', { message: new Uint8Array(1) as unknown as string }), 'Ping.message'],
    ['unknown enum name', () => encodeAs('GetAddress', { script_type: 'SPENDSEGWIT' as 'SPENDWITNESS' }), 'GetAddress.script_type'],
    ['non-array repeated', () => encodeAs('GetAddress', { address_n: 5 as unknown as number[] }), 'GetAddress.address_n'],
    ['non-object message', () => encodeAs('PublicKey', { node: 'x' as never, xpub: 'x' }), 'PublicKey.node'],
    ['non-object root', () => encodeAs('Ping', 'hi' as never), 'Ping'],
  ];
  for (const [what, fn, field] of cases) {
    it(what, () => {
      const e = thrown(fn);
      expect(e.code).toBe('InvalidParameters');
      expect(e.field).toBe(field);
      expect(e.message).toContain(field);
    });
  }

  it('refuses a cyclic object instead of recursing forever', () => {
    const t: Record<string, unknown> = { data_type: 'ARRAY' };
    t.entry_type = t;
    const e = thrown(() => encodeAs('EthereumTypedDataStructAck', { members: [{ name: 'x', type: t as never }] }));
    expect(e.code).toBe('InvalidParameters');
  });
});

describe('unknown fields and malformed input', () => {
  const features = '0a097472657a6f722e696f1001180e2001';

  it('skips unknown fields of wire types 0, 1, 2 and 5', () => {
    const known = decodeAs('Features', unhex(features));
    expect(known).toEqual({ vendor: 'trezor.io', major_version: 1, minor_version: 14, patch_version: 1 });
    const unknown =
      'b83e9601' + // field 999 varint
      'c13e0102030405060708' + // field 1000 fixed64
      'ca3e03616263' + // field 1001 length-delimited
      'd53e01020304'; // field 1002 fixed32
    expect(decodeAs('Features', unhex(unknown + features + unknown))).toEqual(known);
  });

  const malformed: [string, string, string][] = [
    ['truncated varint', 'Features', '1080'],
    ['truncated tag', 'Features', '80'],
    ['varint longer than 10 bytes', 'Features', '10ffffffffffffffffffff01'],
    ['length past the end', 'Features', '0a057472'],
    ['huge length', 'Features', '0affffffff0f00'],
    ['unknown field past the end', 'Features', 'ca3e0561'],
    ['fixed64 past the end', 'Features', 'c13e0102'],
    ['group wire type', 'Features', 'bb3e'],
    ['wire type 7', 'Features', 'bf3e'],
    ['field number 0', 'Features', '0001'],
    ['known field, wrong wire type', 'Ping', '0801'],
    ['bytes field as varint', 'Entropy', '0801'],
    ['invalid UTF-8', 'Ping', '0a02c328'],
    ['nested length past the end', 'PublicKey', '0a05080110'],
    ['nested truncated varint', 'PublicKey', '0a03080180'],
  ];
  for (const [what, name, h] of malformed) {
    it(`${what} -> ProtocolError`, () => {
      const e = thrown(() => decodeAs(name as MessageName, unhex(h)));
      expect(e.code).toBe('ProtocolError');
    });
  }

  it('deep nesting -> ProtocolError, not a stack overflow', () => {
    // EthereumFieldType { data_type: ARRAY, entry_type: <the same again> } nested 200 deep
    let inner = unhex('0807');
    for (let i = 0; i < 200; i++) inner = new Uint8Array([0x08, 0x07, 0x1a, ...varint(inner.length), ...inner]);
    const member = new Uint8Array([0x0a, ...varint(inner.length), ...inner, 0x12, 0x01, 0x78]);
    const ack = new Uint8Array([0x0a, ...varint(member.length), ...member]);
    const e = thrown(() => decodeAs('EthereumTypedDataStructAck', ack));
    expect(e.code).toBe('ProtocolError');
  });

  it('random bytes never raise anything but ProtocolError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(WIRE).map(Number)), fc.uint8Array({ maxLength: 80 }), (type, bytes) => {
        try {
          decodeMessage(type, bytes);
        } catch (e) {
          if (!isTrezorError(e, 'ProtocolError')) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

describe('integer kinds no message uses yet (int32, sint32, int64, sint64)', () => {
  // The current schema has none of these, so a test-only message is added to the table.
  // Values from the protobuf encoding guide: zig-zag maps 0,-1,1,-2 to 0,1,2,3.
  const NAME = '__TestIntegers';
  (MESSAGES as Record<string, unknown>)[NAME] = [
    [[1, 'i32', 1, 0], [2, 's32', 2, 0], [3, 'i64', 4, 0], [4, 's64', 5, 0], [5, 'rs32', 2, 1]] satisfies FieldDesc[],
    60000,
  ];
  const enc = (m: object): string => hex(encodeAs(NAME as MessageName, m as never));
  const dec = (h: string): unknown => decodeAs(NAME as MessageName, unhex(h));

  it('zig-zag encodes sint32 and sint64', () => {
    expect(enc({ s32: 0 })).toBe('1000');
    expect(enc({ s32: -1 })).toBe('1001');
    expect(enc({ s32: 1 })).toBe('1002');
    expect(enc({ s32: -2 })).toBe('1003');
    expect(enc({ s32: 2147483647 })).toBe('10feffffff0f');
    expect(enc({ s32: -2147483648 })).toBe('10ffffffff0f');
    expect(dec('10ffffffff0f')).toEqual({ s32: -2147483648 });
    expect(enc({ s64: -1n })).toBe('2001');
    expect(enc({ s64: 2n ** 63n - 1n })).toBe('20feffffffffffffffff01');
    expect(dec('20ffffffffffffffffff01')).toEqual({ s64: -(2n ** 63n) });
    expect(dec('2a03010203')).toEqual({ rs32: [-1, 1, -2] }); // packed sint32
  });

  it('sign-extends negative int32 and int64 to 10 bytes', () => {
    expect(enc({ i32: -1 })).toBe('08ffffffffffffffffff01');
    expect(dec('08ffffffffffffffffff01')).toEqual({ i32: -1 });
    expect(enc({ i64: -(2n ** 63n) })).toBe('18808080808080808080' + '01');
    expect(dec('1880808080808080808001')).toEqual({ i64: -(2n ** 63n) });
    expect(thrown(() => enc({ i32: 2 ** 31 })).code).toBe('InvalidParameters');
    expect(thrown(() => enc({ i64: 2n ** 63n })).code).toBe('InvalidParameters');
  });

  it('round-trips any value', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            i32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            s32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            i64: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
            s64: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
          },
          { requiredKeys: [] },
        ),
        (m) => {
          expect(dec(enc(m))).toEqual(m);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property round trips, with arbitraries built from the descriptor table

function arbitraryOf(msg: string, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const fields = MESSAGES[msg]![0];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const f of fields) {
    let a: fc.Arbitrary<unknown>;
    switch (f[2]) {
      case 0:
        a = fc.integer({ min: 0, max: 0xffffffff });
        break;
      case 3:
        a = fc.bigInt(0n, 2n ** 64n - 1n);
        break;
      case 6:
        a = fc.boolean();
        break;
      case 7:
        a = fc.constantFrom(...Object.keys(ENUMS[f[4]!]!));
        break;
      case 8:
        a = fc.string({ unit: 'binary', maxLength: 20 });
        break;
      case 9:
        a = fc.uint8Array({ maxLength: 40 });
        break;
      case 10:
        if (depth > 3 && !(f[3] & 2)) continue;
        a = arbitraryOf(f[4]!, depth + 1);
        break;
      default:
        throw new Error(`no arbitrary for kind ${f[2]}`);
    }
    // an empty repeated field encodes to nothing and decodes as absent, so generate >= 1
    model[f[1]] = f[3] & 1 ? fc.array(a, { minLength: 1, maxLength: 4 }) : a;
    if (f[3] & 2) required.push(f[1]);
  }
  return fc.record(model, { requiredKeys: required as never[] }) as fc.Arbitrary<Record<string, unknown>>;
}

describe('property round trips', () => {
  const names: MessageName[] = [
    'Features',
    'GetAddress',
    'SignTx',
    'TxRequest',
    'TxAck',
    'TxAckInput',
    'TxAckOutput',
    'EthereumSignTxEIP1559',
    'EthereumTypedDataStructAck',
    'DebugLinkState',
    'PaymentRequest',
  ];
  for (const name of names) {
    it(`${name}: decode(encode(x)) == x and encode is stable`, () => {
      fc.assert(
        fc.property(arbitraryOf(name), (m) => {
          const bytes = encodeAs(name, m as never);
          const back = decodeAs(name, bytes);
          expect(back).toEqual(m);
          expect(encodeAs(name, back)).toEqual(bytes);
        }),
        { numRuns: 200 },
      );
    });
  }
});
