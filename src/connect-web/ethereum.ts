/**
 * trezor-direct's Ethereum calls (getAddress, signTransaction, signMessage, signTypedData)
 * through a Trezor Connect object, with the same parameters, results and checks as the direct
 * ones in ../ethereum/device.ts: parameters are checked (and transactions planned, typed data
 * hashed) on the host before Connect is called, and every signature must recover to the path's
 * address, which is asked for silently with ethereumGetAddress (VerificationFailed otherwise).
 * `definitions` are not passed on: Connect fetches its own network definitions.
 */
import { getAddress as checksumAddress, getBytes, hashMessage, hexlify, recoverAddress, toUtf8Bytes } from 'ethers';
import { TrezorError, invalidParameter } from '../errors.js';
import { parsePath } from '../path.js';
import type { GetAddressParameters, SignMessageParameters, SignTransactionParameters, SignTypedDataParameters } from '../ethereum/device.js';
import { applySignature, planTransaction } from '../ethereum/tx.js';
import { prepareTypedData } from '../ethereum/typed-data.js';
import { run, type TrezorConnectLike } from './connect.js';

/** The Ethereum half of {@link fromTrezorConnect}'s result. */
export interface ConnectEthereum {
  getAddress(parameters: GetAddressParameters): Promise<string>;
  signTransaction(parameters: SignTransactionParameters): Promise<string>;
  signMessage(parameters: SignMessageParameters): Promise<string>;
  signTypedData(parameters: SignTypedDataParameters): Promise<string>;
}

const hexQuantity = (value: bigint) => `0x${value.toString(16)}`;

/**
 * Ethereum calls over Trezor Connect (use {@link fromTrezorConnect}).
 * @example const raw = await connectEthereum(TrezorConnect).signTransaction({ path, tx })
 */
export function connectEthereum(connect: TrezorConnectLike): ConnectEthereum {
  /** The path's address as the device derives it, checksummed. */
  const pathAddress = async (addressN: number[], show: boolean, signal?: AbortSignal): Promise<string> => {
    const { address } = await run(connect, () => connect.ethereumGetAddress({ path: addressN, showOnTrezor: show }), signal);
    if (typeof address !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(address)) throw new TrezorError('ProtocolError', 'Trezor Connect returned no valid address');
    return checksumAddress(`0x${address.replace(/^0x/, '').toLowerCase()}`);
  };

  /** A 65-byte r ‖ s ‖ v signature that must recover `digest` to `expected`; returned as 0x-hex. */
  const checked = (signature: unknown, digest: string, expected: string): string => {
    const hex = typeof signature === 'string' ? `0x${signature.replace(/^0x/, '')}` : '';
    if (!/^0x[0-9a-fA-F]{130}$/.test(hex)) throw new TrezorError('VerificationFailed', 'Trezor Connect returned a malformed signature');
    let recovered: string;
    try {
      recovered = recoverAddress(digest, hex);
    } catch (cause) {
      throw new TrezorError('VerificationFailed', 'The signature does not recover to any key', { cause });
    }
    if (recovered !== expected) throw new TrezorError('VerificationFailed', `The signature recovers to ${recovered}, not to the path's address ${expected}`);
    return hex.toLowerCase();
  };

  return {
    async getAddress(parameters) {
      const addressN = parsePath(parameters?.path);
      return pathAddress(addressN, parameters.show === true, parameters.signal);
    },

    async signTransaction(parameters) {
      const addressN = parsePath(parameters?.path);
      const plan = planTransaction(parameters?.tx);
      if (plan.chainId > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new TrezorError('NotSupported', 'Trezor Connect takes the chain id as a JavaScript number: at most 2^53 - 1', { field: 'tx.chainId' });
      }
      const { signal } = parameters;
      const expected = await pathAddress(addressN, false, signal);
      if (plan.from && plan.from !== expected) throw invalidParameter('tx.from', `${plan.from} is not the address of this path (${expected})`);
      const tx = plan.values;
      const common = {
        to: tx.to ?? null,
        value: hexQuantity(tx.value),
        gasLimit: hexQuantity(tx.gasLimit),
        nonce: hexQuantity(tx.nonce),
        data: hexlify(tx.data),
        chainId: Number(plan.chainId),
      };
      const transaction =
        tx.type === 0
          ? { ...common, gasPrice: hexQuantity(tx.gasPrice) }
          : {
              ...common,
              maxFeePerGas: hexQuantity(tx.maxFeePerGas),
              maxPriorityFeePerGas: hexQuantity(tx.maxPriorityFeePerGas),
              accessList: tx.accessList.map((entry) => ({ address: entry.address, storageKeys: entry.storageKeys.map((key) => hexlify(key)) })),
            };
      const { v, r, s } = await run(connect, () => connect.ethereumSignTransaction({ path: addressN, transaction }), signal);
      const part = (value: unknown) => (typeof value === 'string' && /^(0x)?[0-9a-fA-F]{64}$/.test(value) ? getBytes(`0x${value.replace(/^0x/, '')}`) : undefined);
      const vNumber = typeof v === 'string' && /^(0x)?[0-9a-fA-F]{1,13}$/.test(v) ? Number.parseInt(v.replace(/^0x/, ''), 16) : undefined;
      // The same checks as the direct path: v fits the chain id, and the signature recovers to the path's address.
      const signed = applySignature(plan, vNumber, part(r), part(s));
      if (signed.from !== expected) throw new TrezorError('VerificationFailed', `The transaction signature recovers to ${String(signed.from)}, not to ${expected}`);
      return signed.serialized;
    },

    async signMessage(parameters) {
      const addressN = parsePath(parameters?.path);
      const message = messageBytes(parameters.message);
      const expected = await pathAddress(addressN, false, parameters.signal);
      const { signature } = await run(connect, () => connect.ethereumSignMessage({ path: addressN, message: hexlify(message).slice(2), hex: true }), parameters.signal);
      return checked(signature, hashMessage(message), expected);
    },

    async signTypedData(parameters) {
      const addressN = parsePath(parameters?.path);
      const prepared = prepareTypedData(parameters);
      const expected = await pathAddress(addressN, false, parameters.signal);
      const { EIP712Domain, ...structs } = prepared.types;
      const data = {
        types: { ...copyTypes(structs), EIP712Domain: copyFields(EIP712Domain ?? []) },
        primaryType: prepared.primaryType,
        domain: jsonSafe(parameters.domain) as object,
        message: jsonSafe(parameters.message) as object,
      };
      const { signature } = await run(
        connect,
        () =>
          connect.ethereumSignTypedData({
            path: addressN,
            data,
            metamask_v4_compat: true,
            // The Trezor One signs these two hashes (computed on the host, as the direct path does).
            domain_separator_hash: prepared.domainSeparator,
            ...(prepared.messageHash ? { message_hash: prepared.messageHash } : {}),
          }),
        parameters.signal,
      );
      return checked(signature, prepared.digest, expected);
    },
  };
}

function messageBytes(message: unknown): Uint8Array {
  if (typeof message === 'string') return toUtf8Bytes(message);
  if (message instanceof Uint8Array) return message;
  throw invalidParameter('message', 'expected a string or a Uint8Array');
}

/** Values Connect can validate and carry: bigints as decimal strings, bytes as 0x-hex. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return hexlify(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, jsonSafe(entry)]));
  return value;
}

function copyFields(fields: readonly { name: string; type: string }[]): { name: string; type: string }[] {
  return fields.map(({ name, type }) => ({ name, type }));
}

function copyTypes(types: Record<string, readonly { name: string; type: string }[]>): Record<string, { name: string; type: string }[]> {
  return Object.fromEntries(Object.entries(types).map(([name, fields]) => [name, copyFields(fields)]));
}
