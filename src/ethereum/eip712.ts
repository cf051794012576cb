/**
 * EIP-712 typed data as the device takes it, with no ethers: validation of the structure, and
 * the answers to the device's questions in the EthereumSignTypedData flow (shared PROTOCOL.md §8.4):
 *
 *   device → EthereumTypedDataStructRequest{name}         host → StructAck{members: [{name, type}]}
 *   device → EthereumTypedDataValueRequest{member_path}   host → ValueAck{value}
 *
 * member_path = [0 (domain) | 1 (message), member index, (array index | member index)…].
 * Atomic values travel as: (u)intN → N/8 bytes big-endian two's complement; bool → 1 byte;
 * address → 20 bytes; string → UTF-8; bytesN → N bytes; bytes → raw. An array path is answered
 * with the array's length as a 2-byte big-endian number; structs are never asked for whole.
 *
 * The hashes are not computed here: ./typed-data.ts hashes with ethers, the viem account with
 * viem, each adding them to the checked data this module returns.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { invalidParameter } from '../errors.js';
import { bytesOf, parseAddress } from './crypto.js';

/** One struct member, as EIP-712 `types` list them. */
export interface TypedDataField {
  readonly name: string;
  readonly type: string;
}

/** EthereumTypedDataStructAck.EthereumFieldType, as the codec takes it. */
export interface FieldType {
  data_type: 'UINT' | 'INT' | 'BYTES' | 'STRING' | 'BOOL' | 'ADDRESS' | 'ARRAY' | 'STRUCT';
  size?: number;
  entry_type?: FieldType;
  struct_name?: string;
}

/** Typed data as dapps pass it (eth_signTypedData_v4 JSON, ethers' or viem's arguments). */
export interface TypedDataInput {
  domain: object;
  types: Record<string, readonly TypedDataField[]>;
  message: Record<string, unknown>;
  /** Root struct of `message`; found from `types` when omitted (ethers only). 'EIP712Domain' signs the domain alone. */
  primaryType?: string;
}

/** Checked typed data: the primary type and only the structs it reaches (plus EIP712Domain). */
export interface CheckedTypedData {
  primaryType: string;
  types: Record<string, readonly TypedDataField[]>;
  domain: Record<string, unknown>;
  message: Record<string, unknown>;
}

/** Checked typed data with its hashes (0x-hex, 32 bytes each). */
export interface PreparedTypedData extends CheckedTypedData {
  domainSeparator: string;
  /** Absent when the primary type is EIP712Domain. */
  messageHash?: string;
  /** keccak256(0x19 0x01 ‖ domainSeparator ‖ messageHash?): what the key signs. */
  digest: string;
}

/** The domain struct's name, also a valid primary type (signs the domain alone). */
export const DOMAIN = 'EIP712Domain';
/** The EIP-712 domain fields in their canonical order (used when the caller gives no EIP712Domain type). */
const DOMAIN_FIELDS: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];

/**
 * Validate the structure of typed data (before any hashing). Throws InvalidParameters
 * (field 'typedData…'). `inferPrimaryType` finds the root struct when none is given.
 * @example const checked = checkTypedData({ domain, types, primaryType: 'Mail', message })
 */
export function checkTypedData(input: TypedDataInput, inferPrimaryType?: (structs: Record<string, readonly TypedDataField[]>) => string): CheckedTypedData {
  if (typeof input !== 'object' || input === null) throw invalidParameter('typedData', 'expected { domain, types, message }');
  const { types: allTypes } = input;
  if (typeof allTypes !== 'object' || allTypes === null) throw invalidParameter('typedData.types', 'expected an object of struct definitions');
  const domain = (input.domain ?? {}) as Record<string, unknown>;
  if (typeof domain !== 'object') throw invalidParameter('typedData.domain', 'expected an object');

  const domainFields = allTypes[DOMAIN] ?? DOMAIN_FIELDS.filter((field) => domain[field.name] !== undefined && domain[field.name] !== null);
  if (!allTypes[DOMAIN]) {
    const unknown = Object.keys(domain).filter((key) => !DOMAIN_FIELDS.some((field) => field.name === key) && domain[key] != null);
    if (unknown.length) throw invalidParameter('typedData.domain', `unknown domain field "${unknown[0]}" (declare it in types.EIP712Domain)`);
  }

  const structs: Record<string, readonly TypedDataField[]> = {};
  for (const [name, fields] of Object.entries(allTypes)) if (name !== DOMAIN) structs[name] = fields;

  let primaryType = input.primaryType;
  if (primaryType === undefined) {
    if (!inferPrimaryType) throw invalidParameter('typedData.primaryType', 'missing');
    try {
      primaryType = inferPrimaryType(structs);
    } catch (cause) {
      throw invalidParameter('typedData.primaryType', `missing and cannot be inferred: ${(cause as Error)?.message ?? String(cause)}`);
    }
  }
  if (typeof primaryType !== 'string' || (primaryType !== DOMAIN && !structs[primaryType])) {
    throw invalidParameter('typedData.primaryType', `"${String(primaryType)}" is not a struct in types`);
  }

  const reachable: Record<string, readonly TypedDataField[]> = { [DOMAIN]: domainFields };
  if (primaryType !== DOMAIN) collectStructs(primaryType, structs, reachable, []);
  // The value walk below relies on every member type being known and well formed.
  for (const [name, fields] of Object.entries(reachable)) {
    if (!Array.isArray(fields)) throw invalidParameter(`typedData.types.${name}`, 'expected an array of { name, type }');
    for (const field of fields) {
      if (typeof field?.name !== 'string' || typeof field?.type !== 'string') {
        throw invalidParameter(`typedData.types.${name}`, 'every member needs a string name and type');
      }
      fieldType(field.type, reachable);
    }
  }

  const message = (input.message ?? {}) as Record<string, unknown>;
  if (primaryType !== DOMAIN) {
    if (typeof message !== 'object' || message === null) throw invalidParameter('typedData.message', 'expected an object');
    checkMembers(primaryType, message, reachable, 'typedData.message');
  }
  return { primaryType, types: reachable, domain, message };
}

/**
 * The message must have exactly the members its types declare, all the way down: hashers
 * (ethers, viem) ignore undeclared members, so a message that does not match its types would
 * be signed as a different message than the one the app holds.
 */
function checkMembers(type: string, value: unknown, types: Record<string, readonly TypedDataField[]>, where: string): void {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) throw invalidParameter(where, `expected an array for ${type}`);
    if (array[2] !== '' && value.length !== Number(array[2])) throw invalidParameter(where, `expected ${array[2]} entries for ${type}, got ${value.length}`);
    value.forEach((entry, i) => checkMembers(array[1]!, entry, types, `${where}[${i}]`));
    return;
  }
  const fields = types[type];
  if (!fields) return; // an atomic value: checked when it is encoded
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParameter(where, `expected an object for struct ${type}`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!fields.some((f) => f.name === key)) throw invalidParameter(`${where}.${key}`, `not a member of ${type} in types`);
  }
  for (const field of fields) {
    if (record[field.name] === undefined) throw invalidParameter(`${where}.${field.name}`, `missing (${type} declares it as ${field.type})`);
    checkMembers(field.type, record[field.name], types, `${where}.${field.name}`);
  }
}

/**
 * The device's description of one type string.
 * @example fieldType('uint256[]', {}) // { data_type: 'ARRAY', entry_type: { data_type: 'UINT', size: 32 } }
 */
export function fieldType(type: string, types: Record<string, readonly TypedDataField[]>): FieldType {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    const entry = fieldType(array[1]!, types);
    const out: FieldType = { data_type: 'ARRAY', entry_type: entry };
    if (array[2] !== '') out.size = Number(array[2]);
    return out;
  }
  const int = /^(u?)int(\d+)$/.exec(type);
  if (int) {
    const bits = Number(int[2]);
    if (bits < 8 || bits > 256 || bits % 8 !== 0) throw invalidParameter('typedData.types', `bad integer type "${type}"`);
    return { data_type: int[1] ? 'UINT' : 'INT', size: bits / 8 };
  }
  const fixedBytes = /^bytes(\d+)$/.exec(type);
  if (fixedBytes) {
    const size = Number(fixedBytes[1]);
    if (size < 1 || size > 32) throw invalidParameter('typedData.types', `bad type "${type}"`);
    return { data_type: 'BYTES', size };
  }
  switch (type) {
    case 'bytes':
      return { data_type: 'BYTES' };
    case 'string':
      return { data_type: 'STRING' };
    case 'bool':
      return { data_type: 'BOOL' };
    case 'address':
      return { data_type: 'ADDRESS' };
  }
  const struct = types[type];
  if (struct) return { data_type: 'STRUCT', size: struct.length, struct_name: type };
  throw invalidParameter('typedData.types', `unknown type "${type}" (EIP-712 needs explicit sizes: uint256, not uint)`);
}

/**
 * EthereumTypedDataStructAck for the struct the device asked about.
 * @example structAck(prepared, 'EIP712Domain').members[0] // { name: 'name', type: { data_type: 'STRING' } }
 */
export function structAck(prepared: CheckedTypedData, name: string): { members: { name: string; type: FieldType }[] } {
  const fields = prepared.types[name];
  if (!fields) throw invalidParameter('typedData.types', `the device asked for struct "${name}", which the data does not define`);
  return { members: fields.map((field) => ({ name: field.name, type: fieldType(field.type, prepared.types) })) };
}

/**
 * EthereumTypedDataValueAck.value for the member path the device asked about.
 * @example valueAck(prepared, [0, 0]) // UTF-8 of domain.name
 */
export function valueAck(prepared: CheckedTypedData, memberPath: readonly number[]): Uint8Array {
  const [root, ...rest] = memberPath;
  let type: string;
  let value: unknown;
  if (root === 0) {
    type = DOMAIN;
    value = prepared.domain;
  } else if (root === 1 && prepared.primaryType !== DOMAIN) {
    type = prepared.primaryType;
    value = prepared.message;
  } else {
    throw invalidParameter('typedData', `the device asked for member path [${memberPath.join(', ')}], which does not exist`);
  }
  for (const index of rest) {
    const array = /^(.*)\[(\d*)\]$/.exec(type);
    if (array) {
      if (!Array.isArray(value) || index >= value.length) throw badPath(memberPath);
      type = array[1]!;
      value = value[index];
      continue;
    }
    const member = prepared.types[type]?.[index];
    if (!member || typeof value !== 'object' || value === null) throw badPath(memberPath);
    type = member.type;
    value = (value as Record<string, unknown>)[member.name];
  }
  if (/\]$/.test(type)) {
    if (!Array.isArray(value)) throw invalidParameter('typedData', `expected an array at [${memberPath.join(', ')}]`);
    if (value.length > 0xffff) throw invalidParameter('typedData', 'arrays longer than 65535 entries cannot be sent to the device');
    return new Uint8Array([value.length >> 8, value.length & 0xff]);
  }
  if (prepared.types[type]) throw invalidParameter('typedData', `the device asked for a whole struct at [${memberPath.join(', ')}]`);
  return encodeAtomic(type, value);
}

/**
 * One atomic EIP-712 value as the device takes it.
 * @example encodeAtomic('int8', -1) // Uint8Array [0xff]
 */
export function encodeAtomic(type: string, value: unknown): Uint8Array {
  const int = /^(u?)int(\d+)$/.exec(type);
  if (int) {
    const size = Number(int[2]) / 8;
    let n: bigint;
    try {
      n = BigInt(value as string | number | bigint);
    } catch {
      throw invalidParameter('typedData', `expected an integer for ${type}`);
    }
    if (n < BigInt(0)) n += BigInt(1) << BigInt(size * 8); // two's complement
    const out = new Uint8Array(size);
    for (let i = size - 1; i >= 0; i--, n >>= BigInt(8)) out[i] = Number(n & BigInt(0xff));
    return out;
  }
  const fixedBytes = /^bytes(\d+)$/.exec(type);
  if (fixedBytes) {
    const bytes = bytesOf(value, 'typedData');
    if (bytes.length !== Number(fixedBytes[1])) throw invalidParameter('typedData', `${type} value must be exactly ${fixedBytes[1]} bytes`);
    return bytes;
  }
  switch (type) {
    case 'bytes':
      return bytesOf(value, 'typedData');
    case 'string':
      if (typeof value !== 'string') throw invalidParameter('typedData', 'expected a string');
      return utf8ToBytes(value);
    case 'bool':
      return new Uint8Array([value ? 1 : 0]);
    case 'address':
      return bytesOf(parseAddress(value, 'typedData'), 'typedData');
  }
  throw invalidParameter('typedData', `cannot encode a value of type "${type}"`);
}

/** Depth-first: every struct `name` uses, recorded into `out` (rejects cycles, as ethers does). */
function collectStructs(
  name: string,
  structs: Record<string, readonly TypedDataField[]>,
  out: Record<string, readonly TypedDataField[]>,
  stack: string[],
): void {
  if (stack.includes(name)) throw invalidParameter('typedData.types', `circular type reference to "${name}"`);
  if (out[name]) return;
  const fields = structs[name];
  if (!fields) return;
  out[name] = fields;
  for (const field of fields) {
    const base = typeof field?.type === 'string' ? field.type.replace(/(\[\d*\])+$/, '') : '';
    if (structs[base]) collectStructs(base, structs, out, [...stack, name]);
  }
}

function badPath(memberPath: readonly number[]) {
  return invalidParameter('typedData', `the device asked for member path [${memberPath.join(', ')}], which does not exist`);
}

