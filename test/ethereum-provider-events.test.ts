// The EIP-1193 provider's events: it subscribes to the Trezor's disconnect event only while the
// provider itself has a 'disconnect' listener, so dropped providers are not kept alive.
import { describe, expect, it } from 'vitest';
import { createEip1193Provider, ProviderRpcError, type RpcProvider } from '../src/ethereum/index.js';
import type { Trezor } from '../src/session/trezor.js';

function fakeTrezor() {
  const disconnectListeners = new Set<() => void>();
  const trezor = {
    features: {},
    exclusive: async () => undefined,
    on(event: string, listener: () => void) {
      if (event !== 'disconnect') return () => undefined;
      disconnectListeners.add(listener);
      return () => disconnectListeners.delete(listener);
    },
  } as unknown as Trezor;
  return { trezor, disconnectListeners };
}

const node = { send: async () => null } as unknown as RpcProvider;

describe('EIP-1193 provider: disconnect subscription', () => {
  it('creating a provider leaves no listener on the Trezor', () => {
    const { trezor, disconnectListeners } = fakeTrezor();
    createEip1193Provider({ trezor, provider: node });
    createEip1193Provider({ trezor, provider: node });
    expect(disconnectListeners.size).toBe(0);
  });

  it('subscribes with the first disconnect listener, forwards 4900, unsubscribes with the last', () => {
    const { trezor, disconnectListeners } = fakeTrezor();
    const ethereum = createEip1193Provider({ trezor, provider: node });
    const seen: unknown[] = [];
    const a = (e: unknown) => seen.push(e);
    const b = () => undefined;
    ethereum.on('disconnect', a).on('disconnect', b).on('accountsChanged', b);
    expect(disconnectListeners.size).toBe(1);
    for (const listener of disconnectListeners) listener();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(ProviderRpcError);
    expect((seen[0] as ProviderRpcError).code).toBe(4900);
    ethereum.removeListener('disconnect', a);
    expect(disconnectListeners.size).toBe(1);
    ethereum.removeListener('disconnect', b);
    expect(disconnectListeners.size).toBe(0);
  });
});
