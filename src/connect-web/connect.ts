/**
 * The part of Trezor Connect's API the connect-web adapter calls, written out as structural
 * types (Connect's method names and parameter/payload fields are public API facts): nothing is
 * imported from `@trezor/connect` or `@trezor/connect-web`, whose licence forbids bundling them.
 * An app passes its own `TrezorConnect` object, initialised as it likes.
 *
 * `run()` unwraps Connect's `{ success, payload }` answers into values or TrezorErrors, and
 * forwards an AbortSignal to `TrezorConnect.cancel()`.
 */
import { TrezorError } from '../errors.js';
import { fromConnectFailure } from './codes.js';

/** Connect's answer envelope. */
export type ConnectResponse<T> = { success: true; payload: T } | { success: false; payload: { error: string; code?: string } };

type ConnectPath = string | number[];
/** Connect's input script types (the firmware's InputScriptType names). */
export type ConnectInputScriptType = 'SPENDADDRESS' | 'SPENDP2SHWITNESS' | 'SPENDWITNESS' | 'SPENDTAPROOT';

/** A Bitcoin input as Connect's signTransaction takes it. */
export interface ConnectTxInput {
  address_n: number[];
  prev_hash: string;
  prev_index: number;
  amount: string;
  sequence?: number;
  script_type: ConnectInputScriptType;
}

/** A Bitcoin output as Connect's signTransaction takes it. */
export type ConnectTxOutput =
  | { address_n: number[]; amount: string; script_type: 'PAYTOADDRESS' | 'PAYTOP2SHWITNESS' | 'PAYTOWITNESS' | 'PAYTOTAPROOT' }
  | { address: string; amount: string; script_type: 'PAYTOADDRESS' }
  | { amount: '0'; op_return_data: string; script_type: 'PAYTOOPRETURN' };

/** A previous transaction (Connect's RefTransaction, non-Zcash form). */
export interface ConnectRefTransaction {
  hash: string;
  version: number;
  lock_time: number;
  inputs: { prev_hash: string; prev_index: number; script_sig: string; sequence: number }[];
  bin_outputs: { amount: string; script_pubkey: string }[];
}

/** An Ethereum transaction as Connect takes it (0x-hex quantities). */
export interface ConnectEthereumTransaction {
  to: string | null;
  value: string;
  gasLimit: string;
  gasPrice?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  nonce: string;
  data?: string;
  chainId: number;
  accessList?: { address: string; storageKeys: string[] }[];
}

/**
 * The methods of a `TrezorConnect` object (from `@trezor/connect-web`, or `@trezor/connect` in
 * Node) that `fromTrezorConnect()` uses.
 */
export interface TrezorConnectLike {
  getAddress(params: { path: ConnectPath; coin: string; showOnTrezor: boolean; scriptType: ConnectInputScriptType }): Promise<ConnectResponse<{ address: string }>>;
  getPublicKey(params: {
    path: ConnectPath;
    coin: string;
    showOnTrezor: boolean;
    scriptType: ConnectInputScriptType;
  }): Promise<ConnectResponse<{ xpub: string; publicKey: string; chainCode: string; fingerprint: number; depth: number; childNum: number; descriptor?: string }>>;
  signTransaction(params: {
    coin: string;
    inputs: ConnectTxInput[];
    outputs: ConnectTxOutput[];
    refTxs?: ConnectRefTransaction[];
    version: number;
    locktime: number;
    push: false;
  }): Promise<ConnectResponse<{ signatures: string[]; serializedTx: string }>>;
  signMessage(params: { path: ConnectPath; coin: string; message: string; hex: true; no_script_type?: boolean }): Promise<ConnectResponse<{ address: string; signature: string }>>;
  ethereumGetAddress(params: { path: ConnectPath; showOnTrezor: boolean }): Promise<ConnectResponse<{ address: string }>>;
  ethereumSignTransaction(params: { path: ConnectPath; transaction: ConnectEthereumTransaction }): Promise<ConnectResponse<{ v: string; r: string; s: string }>>;
  ethereumSignMessage(params: { path: ConnectPath; message: string; hex: true }): Promise<ConnectResponse<{ address: string; signature: string }>>;
  ethereumSignTypedData(params: {
    path: ConnectPath;
    data: { types: Record<string, { name: string; type: string }[]> & { EIP712Domain: { name: string; type: string }[] }; primaryType: string; domain: object; message: object };
    metamask_v4_compat: true;
    domain_separator_hash: string;
    message_hash?: string;
  }): Promise<ConnectResponse<{ address: string; signature: string }>>;
  /** Cancels the call in progress (used for AbortSignal). */
  cancel?(reason?: string): void;
}

/** The methods `fromTrezorConnect()` checks for up front. */
export const CONNECT_METHODS = [
  'getAddress',
  'getPublicKey',
  'signTransaction',
  'signMessage',
  'ethereumGetAddress',
  'ethereumSignTransaction',
  'ethereumSignMessage',
  'ethereumSignTypedData',
] as const;

/**
 * Await one Connect call: its payload, or the TrezorError for its failure. An abort of
 * `signal` asks Connect to cancel the call (which then fails as ActionCancelled).
 * @example const { address } = await run(connect, () => connect.ethereumGetAddress({ path, showOnTrezor: false }))
 */
export async function run<T>(connect: TrezorConnectLike, call: () => Promise<ConnectResponse<T>>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw new TrezorError('ActionCancelled', 'Aborted before the call was sent');
  const onAbort = () => connect.cancel?.('Aborted by the application');
  signal?.addEventListener('abort', onAbort, { once: true });
  let response: ConnectResponse<T>;
  try {
    response = await call();
  } catch (cause) {
    throw new TrezorError('ProtocolError', `Trezor Connect threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (typeof response !== 'object' || response === null || typeof response.payload !== 'object' || response.payload === null) {
    throw new TrezorError('ProtocolError', 'Trezor Connect answered without a payload');
  }
  if (response.success !== true) throw fromConnectFailure(response.payload);
  return response.payload;
}
