// EIP-712 on the host: hashes against the firmware fixtures (SLIP-14 vectors), the type
// descriptions and value encodings sent in EthereumTypedDataStructAck / ValueAck, and the
// validation that happens before anything reaches the device.
import { hexlify } from 'ethers';
import { describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { encodeAtomic, fieldType, prepareTypedData, structAck, valueAck } from '../src/ethereum/typed-data.js';
import { loadVectors } from './support/fixtures.js';

const vectors = loadVectors();

function failure(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isTrezorError(e) ? `${e.code}:${e.field}` : `other:${String(e)}`;
  }
  return undefined;
}

describe('hashes of the firmware fixtures', () => {
  for (const vector of vectors.eth_sign_typed_data) {
    it(vector.name, () => {
      const prepared = prepareTypedData(vector.parameters.data);
      expect(prepared.domainSeparator).toBe(vector.parameters.domain_separator_hash);
      expect(prepared.messageHash ?? null).toBe(vector.parameters.message_hash);
    });
  }

  it('types without EIP712Domain: the domain struct follows the domain object, in EIP-712 order', () => {
    const { types, domain, message } = vectors.eth_sign_typed_data[1].parameters.data;
    const { EIP712Domain: _, ...structs } = types;
    const prepared = prepareTypedData({ types: structs, domain: { verifyingContract: domain.verifyingContract, chainId: 1, version: '1', name: domain.name }, message });
    expect(prepared.domainSeparator).toBe(vectors.eth_sign_typed_data[1].parameters.domain_separator_hash);
    expect(prepared.primaryType).toBe('Mail');
    expect(prepared.types.EIP712Domain!.map((f) => f.name)).toEqual(['name', 'version', 'chainId', 'verifyingContract']);
  });

  it('unused types are dropped instead of making the primary type ambiguous', () => {
    const { types, domain, message } = vectors.eth_sign_typed_data[1].parameters.data;
    const prepared = prepareTypedData({ types: { ...types, Unused: [{ name: 'x', type: 'uint8' }] }, domain, message, primaryType: 'Mail' });
    expect(Object.keys(prepared.types).sort()).toEqual(['EIP712Domain', 'Mail', 'Person']);
    expect(prepared.messageHash).toBe(vectors.eth_sign_typed_data[1].parameters.message_hash);
  });
});

describe('what the device is told', () => {
  it('field types (PROTOCOL.md §8.4): sizes in bytes, arrays with entry types, structs with member counts', () => {
    const types = { Person: [{ name: 'a', type: 'string' }, { name: 'b', type: 'address' }] };
    expect(fieldType('uint256', types)).toEqual({ data_type: 'UINT', size: 32 });
    expect(fieldType('int8', types)).toEqual({ data_type: 'INT', size: 1 });
    expect(fieldType('bytes', types)).toEqual({ data_type: 'BYTES' });
    expect(fieldType('bytes32', types)).toEqual({ data_type: 'BYTES', size: 32 });
    expect(fieldType('bool', types)).toEqual({ data_type: 'BOOL' });
    expect(fieldType('Person', types)).toEqual({ data_type: 'STRUCT', size: 2, struct_name: 'Person' });
    expect(fieldType('Person[]', types)).toEqual({ data_type: 'ARRAY', entry_type: { data_type: 'STRUCT', size: 2, struct_name: 'Person' } });
    expect(fieldType('uint8[2][]', types)).toEqual({
      data_type: 'ARRAY',
      entry_type: { data_type: 'ARRAY', size: 2, entry_type: { data_type: 'UINT', size: 1 } },
    });
    for (const bad of ['uint', 'uint7', 'uint264', 'bytes0', 'bytes33', 'Nobody']) {
      expect(failure(() => fieldType(bad, types)), bad).toBe('InvalidParameters:typedData.types');
    }
  });

  it('atomic values: fixed-width two\'s complement integers, 1-byte bools, 20-byte addresses, UTF-8', () => {
    expect(hexlify(encodeAtomic('uint16', 258))).toBe('0x0102');
    expect(hexlify(encodeAtomic('int8', -1))).toBe('0xff');
    expect(hexlify(encodeAtomic('int16', -2))).toBe('0xfffe');
    expect(hexlify(encodeAtomic('uint256', 1n))).toBe(`0x${'00'.repeat(31)}01`);
    expect(hexlify(encodeAtomic('bool', true))).toBe('0x01');
    expect(hexlify(encodeAtomic('address', '0x54B0Fa66A065748C40dCA2C7Fe125A2028CF9982'))).toBe('0x54b0fa66a065748c40dca2c7fe125a2028cf9982');
    expect(hexlify(encodeAtomic('string', 'Bob'))).toBe('0x426f62');
    expect(hexlify(encodeAtomic('bytes2', '0xabcd'))).toBe('0xabcd');
    expect(failure(() => encodeAtomic('bytes2', '0xab'))).toBe('InvalidParameters:typedData');
  });

  it('struct acks and values walk member paths; arrays answer their length as uint16', () => {
    const prepared = prepareTypedData(vectors.eth_sign_typed_data[2].parameters.data); // struct_list_v4
    expect(structAck(prepared, 'Mail').members.map((m) => m.name)).toEqual(['from', 'to', 'contents']);
    expect(hexlify(valueAck(prepared, [0, 0]))).toBe(hexlify(new TextEncoder().encode('Ether Mail')));
    expect(hexlify(valueAck(prepared, [0, 2]))).toBe(`0x${'00'.repeat(31)}01`);
    expect(hexlify(valueAck(prepared, [1, 1]))).toBe('0x0002'); // to: Person[2]
    expect(hexlify(valueAck(prepared, [1, 1, 1, 0]))).toBe(hexlify(new TextEncoder().encode('Dave')));
    expect(hexlify(valueAck(prepared, [1, 0, 1]))).toBe('0xc0004b62c5a39a728e4af5bee0c6b4a4e54b15ad');
    expect(failure(() => valueAck(prepared, [1, 0]))).toBe('InvalidParameters:typedData'); // a whole struct
    expect(failure(() => valueAck(prepared, [1, 1, 5, 0]))).toBe('InvalidParameters:typedData');
    expect(failure(() => valueAck(prepared, [2]))).toBe('InvalidParameters:typedData');
    expect(failure(() => structAck(prepared, 'Nobody'))).toBe('InvalidParameters:typedData.types');
  });
});

describe('validation before the device', () => {
  const { types, domain, message } = vectors.eth_sign_typed_data[1].parameters.data;

  it('names what is wrong', () => {
    expect(failure(() => prepareTypedData({ types, domain, message, primaryType: 'Nobody' }))).toBe('InvalidParameters:typedData.primaryType');
    expect(failure(() => prepareTypedData({ types, domain, message: { ...message, to: { name: 'Bob', wallet: 'nope' } } }))).toBe(
      'InvalidParameters:typedData.message',
    );
    expect(failure(() => prepareTypedData({ types: { A: [{ name: 'x', type: 'uint8' }], B: [{ name: 'y', type: 'uint8' }] }, domain: {}, message: {} }))).toBe(
      'InvalidParameters:typedData.primaryType',
    );
    expect(failure(() => prepareTypedData({ types: { A: [{ name: 'a', type: 'A' }] }, domain: {}, message: {}, primaryType: 'A' }))).toBe(
      'InvalidParameters:typedData.types',
    );
    const { EIP712Domain: _, ...structs } = types;
    expect(failure(() => prepareTypedData({ types: structs, domain: { ...domain, extra: 1 } as never, message }))).toBe('InvalidParameters:typedData.domain');
  });
});
