/**
 * What every EIP-1193 provider of this library does the same way, whatever signs and wherever
 * its RPC goes: request() argument checks and the mapping of errors to EIP-1193 codes, event
 * listeners (a listener's throw or rejected promise never breaks the provider), and the
 * device's disconnect, watched only while someone listens so that a dropped provider is not
 * kept alive by the Trezor's listener set. Shared by the ethers provider (./provider.ts) and
 * the viem one (../viem/provider.ts); it needs neither.
 */
import { invokeCallback, type Trezor } from '../session/trezor.js';
import { ProviderRpcError, toProviderError } from './rpc-error.js';

export type ProviderListener = (...args: unknown[]) => void;

export interface ProviderShell<E extends string> {
  emit(event: E, ...args: unknown[]): void;
  on(event: E, listener: ProviderListener): void;
  removeListener(event: E, listener: ProviderListener): void;
  /** request(): checks `{ method, params? }`, runs `handle`, maps what it throws (toProviderError). */
  request(args: unknown): Promise<unknown>;
}

/**
 * @example const shell = providerShell<'disconnect' | 'chainChanged'>(trezor, handle); shell.on('disconnect', console.log)
 */
export function providerShell<E extends string>(
  trezor: Trezor,
  handle: (method: string, params: readonly unknown[]) => Promise<unknown>,
  onUnplug?: () => void,
): ProviderShell<E> {
  const listeners = new Map<string, Set<ProviderListener>>();
  let stopWatching: (() => void) | undefined;
  const emit = (event: E, ...args: unknown[]) => {
    for (const listener of listeners.get(event) ?? []) invokeCallback(listener, ...args);
  };
  const watchDisconnect = () => {
    const wanted = (listeners.get('disconnect')?.size ?? 0) > 0;
    if (wanted && !stopWatching) {
      stopWatching = trezor.on('disconnect', () => {
        onUnplug?.();
        emit('disconnect' as E, new ProviderRpcError(4900, 'The Trezor was disconnected'));
      });
    } else if (!wanted && stopWatching) {
      stopWatching();
      stopWatching = undefined;
    }
  };
  return {
    emit,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      watchDisconnect();
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      watchDisconnect();
    },
    async request(args) {
      const { method, params } = (args ?? {}) as { method?: unknown; params?: unknown };
      if (typeof args !== 'object' || args === null || typeof method !== 'string') {
        throw new ProviderRpcError(-32602, 'request expects { method, params? }');
      }
      const list = Array.isArray(params) ? (params as readonly unknown[]) : params === undefined ? [] : [params];
      try {
        return await handle(method, list);
      } catch (e) {
        throw toProviderError(e);
      }
    },
  };
}

/** A 0x-prefixed 20-byte hex string (any case). */
export function isAddress(value: unknown): value is string {
  return typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value);
}

/** eth_signTypedData_v4's typed data: a JSON string or an object. */
export function typedDataParameter(data: unknown): Record<string, unknown> {
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ProviderRpcError(-32602, 'eth_signTypedData_v4: typed data is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null) throw new ProviderRpcError(-32602, 'eth_signTypedData_v4: expected { types, domain, primaryType, message }');
  return value as Record<string, unknown>;
}
