// The EIP-1193 provider without a device: it subscribes to the Trezor's disconnect event only
// while the provider itself has a 'disconnect' listener, so dropped providers are not kept
// alive; and it rejects malformed requests before anything reaches the device.
import { describe, expect, it } from 'vitest';
import { createEip1193Provider, ProviderRpcError, type RpcProvider } from '../src/ethereum/index.js';
import type { Trezor } from '../src/session/trezor.js';

function fakeTrezor() {
  const disconnectListeners = new Set<() => void>();
  const deviceCalls: string[] = [];
  const trezor = {
    features: {},
    exclusive: async () => undefined,
    typedCall: async (name: string) => {
      deviceCalls.push(name);
      throw new Error('no device in this test');
    },
    on(event: string, listener: () => void) {
      if (event !== 'disconnect') return () => undefined;
      disconnectListeners.add(listener);
      return () => disconnectListeners.delete(listener);
    },
  } as unknown as Trezor;
  return { trezor, disconnectListeners, deviceCalls };
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

describe('EIP-1193 provider: parameters are checked before the device is asked', () => {
  it('eth_signTypedData_v4 with typed data that is not JSON is -32602, and the device sees nothing', async () => {
    const { trezor, deviceCalls } = fakeTrezor();
    const ethereum = createEip1193Provider({ trezor, provider: node });
    const request = ethereum.request({ method: 'eth_signTypedData_v4', params: ['0x73d0385F4d8E00C5e6504C6030F47BF6212736A8', '{not json'] });
    const error = (await request.catch((e: unknown) => e)) as ProviderRpcError;
    expect(error).toBeInstanceOf(ProviderRpcError);
    expect(error.code).toBe(-32602);
    expect(deviceCalls).toEqual([]);
  });
});
