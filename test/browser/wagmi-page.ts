/**
 * The page script of wagmi-page.test.ts, bundled with esbuild for Chromium: @wagmi/core, viem
 * and trezor-direct as a dapp would bundle them, a VirtualTrezor (Trezor One 1.14.1, confirming
 * by itself) inside the page, and the node behind the page's own /rpc (ganache in the test).
 * Each scenario is a function on `window.wagmiTest` that the test calls and checks.
 */
import { connect, createConfig, getAccount, sendTransaction, signMessage } from '@wagmi/core';
import { defineChain, http } from 'viem';
import { connect as connectTrezor } from '../../src/index.js';
import { VirtualTrezor } from '../../src/testing/index.js';
import { announceTrezorProvider, createTrezorProvider, trezorAccount } from '../../src/viem/index.js';
import { trezor } from '../../src/wagmi/index.js';

const MNEMONIC = 'all all all all all all all all all all all all';
const chain = defineChain({
  id: 1337,
  name: 'ganache',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [`${location.origin}/rpc`] } },
});

const virtualDevice = () => new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', autoConfirm: true });

async function waitFor<T>(get: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const api = {
  /** The connector from trezor-direct/wagmi: connect → sendTransaction → signMessage → unplug. */
  async connector(to: `0x${string}`, value: string) {
    const virtual = virtualDevice();
    const config = createConfig({
      chains: [chain],
      connectors: [trezor({ transport: virtual.transport(), accounts: { layout: 'ledger-live', count: 2 } })],
      transports: { [chain.id]: http() },
      multiInjectedProviderDiscovery: false,
    });
    const connector = config.connectors[0]!;
    const connected = await connect(config, { connector });
    const hash = await sendTransaction(config, { to, value: BigInt(value) });
    const signature = await signMessage(config, { message: 'hello from Chromium' });
    const disconnected = new Promise<void>((resolve) => connector.emitter.on('disconnect', () => resolve()));
    await virtual.close(); // the device is unplugged
    await disconnected;
    return { accounts: connected.accounts, chainId: connected.chainId, hash, signature, after: getAccount(config).status, name: connector.name, icon: connector.icon };
  },

  /**
   * EIP-6963: the page announces a Trezor provider; wagmi's own discovery (mipd, on by default)
   * lists it as an injected connector, which then connects and sends through it. One config is
   * made before the announcement (it hears the announcement made at once), one after (its
   * eip6963:requestProvider is answered).
   */
  async discovery(to: `0x${string}`, value: string) {
    const before = createConfig({ chains: [chain], transports: { [chain.id]: http() } });
    const device = await connectTrezor({ transport: virtualDevice().transport() });
    const account = await trezorAccount(device);
    const provider = createTrezorProvider({ accounts: account, rpc: http(`${location.origin}/rpc`)({ chain }) });
    announceTrezorProvider({ provider });
    const after = createConfig({ chains: [chain], transports: { [chain.id]: http() } });
    const rdns = 'io.github.trezor-direct';
    const found = await Promise.all([before, after].map((config) => waitFor(() => config.connectors.find((c) => c.id === rdns), `${rdns} in wagmi's connectors`)));
    const connected = await connect(after, { connector: found[1]! });
    const hash = await sendTransaction(after, { to, value: BigInt(value) });
    return {
      ids: found.map((c) => c.id),
      names: found.map((c) => c.name),
      types: found.map((c) => c.type),
      iconIsDataUri: found.every((c) => c.icon?.startsWith('data:image/svg+xml,')),
      accounts: connected.accounts,
      hash,
    };
  },
};

(window as unknown as { wagmiTest: typeof api }).wagmiTest = api;
document.documentElement.dataset.ready = 'true';
