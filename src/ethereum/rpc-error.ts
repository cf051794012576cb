/**
 * EIP-1193 errors (`code` per EIP-1193 §"Errors" and JSON-RPC) and the mapping from what a
 * request can throw: a TrezorError (4001 rejected on the device or PIN/passphrase cancelled,
 * 4200 not supported, 4900 device gone, -32602 bad parameters, -32603 anything else with the
 * TrezorError code in `data`), an RPC error (its code is kept), or an ethers/viem error that
 * wraps one of those. No ethers here: the ethers provider and the viem one both use it.
 */
import { isTrezorError } from '../errors.js';

/**
 * EIP-1193 error (`code` per EIP-1193 / JSON-RPC).
 * @example if (e instanceof ProviderRpcError && e.code === 4001) showRejected()
 */
export class ProviderRpcError extends Error {
  override readonly name = 'ProviderRpcError';
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

/**
 * The EIP-1193 form of any error thrown while serving a request.
 * @example toProviderError(new TrezorError('ActionCancelled', 'No')).code // 4001
 */
export function toProviderError(error: unknown): ProviderRpcError {
  if (error instanceof ProviderRpcError) return error;
  // viem wraps what an account throws (TransactionExecutionError → cause → …): the device's
  // own error decides the code when there is one.
  const e = findCause(error, isTrezorError) ?? error;
  if (isTrezorError(e)) {
    switch (e.code) {
      case 'ActionCancelled':
      case 'PinCancelled':
      case 'PassphraseCancelled':
        return new ProviderRpcError(4001, 'User rejected the request on the Trezor', { code: e.code }, e);
      case 'InvalidParameters':
        return new ProviderRpcError(-32602, e.message, { code: e.code, field: e.field }, e);
      case 'NotSupported':
        return new ProviderRpcError(4200, e.message, { code: e.code }, e);
      case 'DeviceDisconnected':
        return new ProviderRpcError(4900, e.message, { code: e.code }, e);
      default:
        return new ProviderRpcError(-32603, e.message, { code: e.code }, e);
    }
  }
  // ethers keeps the node's JSON-RPC error in info.error (or error); keep its code.
  const err = e as { code?: unknown; shortMessage?: string; message?: string; info?: { error?: { code?: unknown; message?: string } }; error?: { code?: unknown; message?: string } };
  const rpc = err?.info?.error ?? err?.error;
  if (rpc && typeof rpc.code === 'number') return new ProviderRpcError(rpc.code, rpc.message ?? err.shortMessage ?? 'RPC error', undefined, e);
  if (err?.code === 'INVALID_ARGUMENT') return new ProviderRpcError(-32602, err.shortMessage ?? 'Invalid params', undefined, e);
  if (err?.code === 'ACTION_REJECTED') return new ProviderRpcError(4001, 'User rejected the request', undefined, e);
  // viem: the RPC error (a numeric JSON-RPC / EIP-1193 code) somewhere along the cause chain.
  const coded = findCause(e, (c) => typeof (c as { code?: unknown }).code === 'number' && Number.isInteger((c as { code: number }).code)) as
    | { code: number; shortMessage?: string; message?: string }
    | undefined;
  if (coded) return new ProviderRpcError(coded.code, coded.shortMessage ?? coded.message ?? 'RPC error', undefined, e);
  return new ProviderRpcError(-32603, err?.shortMessage ?? err?.message ?? String(e), undefined, e);
}

/** The first error along a `cause` chain that passes `test` (viem and ethers both wrap errors this way). */
function findCause(error: unknown, test: (e: object) => boolean): unknown {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e === 'object' && test(e)) return e;
  }
  return undefined;
}

