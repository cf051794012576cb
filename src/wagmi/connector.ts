/**
 * A wagmi connector (@wagmi/core 2.x) for a Trezor reached directly (WebUSB, WebHID, UDP…),
 * with no popup and no ethers: `trezor({ transport?, path?, accounts? })` goes into
 * `createConfig({ connectors: [trezor()] })` and wagmi's connect / sendTransaction / signMessage
 * / signTypedData / switchChain then use the device. Underneath, the device's accounts are viem
 * accounts (src/viem/account.ts) served by an EIP-1193 provider (src/viem/provider.ts) whose
 * node side is wagmi's own transport for the current chain.
 *
 * Several accounts come from a path layout: BIP-44 (m/44'/60'/0'/0/i, MetaMask and Trezor
 * Suite) or Ledger Live (m/44'/60'/i'/0/0), or from a list of paths. The device being unplugged
 * disconnects the connector (wagmi's `disconnect` event); cancelling on the device, or the PIN /
 * passphrase prompt, rejects `connect` with viem's UserRejectedRequestError (code 4001).
 * `isAuthorized` (wagmi's reconnect on page load) is true when this connector was connected
 * before and the transport lists a device without asking the user.
 */
import { ChainNotConfiguredError, ConnectorNotConnectedError, createConnector } from '@wagmi/core';
import { http, numberToHex, SwitchChainError, UserRejectedRequestError } from 'viem';
import type { Address } from 'viem';
import { invalidParameter } from '../errors.js';
import { TREZOR_DIRECT_ICON, TREZOR_PROVIDER_INFO } from '../ethereum/eip6963.js';
import { formatPath, parsePath, type Path } from '../path.js';
import { connect } from '../session/connect.js';
import type { Trezor } from '../session/trezor.js';
import type { UiHandlers } from '../session/ui.js';
import type { Transport } from '../transport/types.js';
import { webUsb } from '../transport/webusb.js';
import { DEFAULT_PATH, trezorAccount, type TrezorAccount } from '../viem/account.js';
import { invokeCallback } from '../session/trezor.js';
import { createTrezorProvider, ProviderRpcError, toProviderError, type Eip1193Rpc, type TrezorProvider, type TrezorProviderEvent } from '../viem/provider.js';

/** The EIP-1193 provider wagmi gets from this connector. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<any>;
  on(event: TrezorProviderEvent, listener: (...args: any[]) => void): Eip1193Provider;
  removeListener(event: TrezorProviderEvent, listener: (...args: any[]) => void): Eip1193Provider;
}

/** How several accounts are laid out on the device's paths. */
export interface AccountLayout {
  /** 'bip44': m/44'/60'/0'/0/i (MetaMask, Trezor Suite); 'ledger-live': m/44'/60'/i'/0/0. */
  layout: 'bip44' | 'ledger-live';
  /** How many accounts (default 1, at most 20). */
  count?: number;
  /** The first index (default 0). */
  start?: number;
}

export interface TrezorParameters {
  /** The transport, or a function making it at connect time (default: webUsb()). */
  transport?: Transport | (() => Transport);
  /** PIN / passphrase / button handlers, as `connect()` takes them. */
  ui?: UiHandlers;
  /** The account path when there is one account (default m/44'/60'/0'/0/0). */
  path?: Path;
  /** Several accounts: a path layout or a list of paths (the first is the active one). */
  accounts?: AccountLayout | readonly Path[];
}

/**
 * The paths of a layout.
 * @example accountPaths({ layout: 'ledger-live', count: 2 }) // ["m/44'/60'/0'/0/0", "m/44'/60'/1'/0/0"]
 */
export function accountPaths(layout: AccountLayout): string[] {
  const count = layout.count ?? 1;
  const start = layout.start ?? 0;
  if (!Number.isInteger(count) || count < 1 || count > 20) throw invalidParameter('accounts.count', 'expected an integer from 1 to 20');
  if (!Number.isInteger(start) || start < 0 || start + count > 0x80000000) throw invalidParameter('accounts.start', 'expected a non-negative integer index');
  const paths: string[] = [];
  for (let i = start; i < start + count; i++) {
    if (layout.layout === 'bip44') paths.push(`m/44'/60'/0'/0/${i}`);
    else if (layout.layout === 'ledger-live') paths.push(`m/44'/60'/${i}'/0/0`);
    else throw invalidParameter('accounts.layout', "expected 'bip44' or 'ledger-live'");
  }
  return paths;
}

function pathsOf(parameters: TrezorParameters): string[] {
  const { path, accounts } = parameters;
  if (path !== undefined && accounts !== undefined) throw invalidParameter('accounts', 'give either path or accounts, not both');
  if (accounts === undefined) return [formatPath(parsePath(path ?? DEFAULT_PATH))];
  if (Array.isArray(accounts)) {
    if (accounts.length === 0) throw invalidParameter('accounts', 'expected at least one path');
    return accounts.map((p: Path) => formatPath(parsePath(p)));
  }
  return accountPaths(accounts as AccountLayout);
}

/** Storage key remembering that this connector was connected (for isAuthorized). */
const CONNECTED_KEY = 'trezor-direct.connected';

trezor.type = 'trezor-direct' as const;

/**
 * wagmi connector for a Trezor.
 * @example
 * const config = createConfig({ chains: [mainnet], connectors: [trezor({ accounts: { layout: 'bip44', count: 3 } })], transports: { [mainnet.id]: http() } });
 * await connect(config, { connector: config.connectors[0] });
 */
export function trezor(parameters: TrezorParameters = {}) {
  const paths = pathsOf(parameters); // bad paths fail here, before any device is asked
  type Properties = {
    /** The connected device (undefined while disconnected), for the library's other calls. */
    getTrezor(): Trezor | undefined;
    /** The connected accounts as viem accounts, the active one first. */
    getTrezorAccounts(): readonly TrezorAccount[];
  };
  let device: Trezor | undefined;
  let accounts: TrezorAccount[] = [];
  let provider: TrezorProvider | undefined;
  let chainId: number | undefined;
  let stopListening: (() => void) | undefined;

  // The provider wagmi sees lives as long as the connector (wagmi's reconnect skips a connector
  // whose getProvider fails); it forwards to the device's provider while connected.
  const listeners = new Map<string, Set<(...args: any[]) => void>>();
  const emit = (event: TrezorProviderEvent, ...args: unknown[]) => {
    for (const listener of listeners.get(event) ?? []) invokeCallback(listener, ...args);
  };
  const facade: Eip1193Provider = {
    async request(args) {
      if (provider) return provider.request(args);
      if (args?.method === 'eth_accounts') return [];
      if (args?.method === 'eth_chainId') return numberToHex(chainId ?? 0);
      throw new ProviderRpcError(4900, 'The Trezor is not connected');
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return facade;
    },
    removeListener(event, listener) {
      listeners.get(event)?.delete(listener);
      return facade;
    },
  };

  return createConnector<Eip1193Provider, Properties>((config) => {
    const rpcFor = (id: number): Eip1193Rpc | undefined => {
      const chain = config.chains.find((c) => c.id === id);
      if (!chain) return undefined;
      const transport = config.transports?.[id] ?? http(chain.rpcUrls.default.http[0]);
      return transport({ chain, retryCount: 0 }) as Eip1193Rpc;
    };
    const transportOf = (): Transport => {
      const t = parameters.transport;
      return typeof t === 'function' ? t() : (t ?? webUsb());
    };
    const reset = async () => {
      stopListening?.();
      stopListening = undefined;
      provider = undefined;
      accounts = [];
      const closing = device;
      device = undefined;
      await closing?.close().catch(() => {});
    };

    return {
      id: 'trezor-direct',
      name: TREZOR_PROVIDER_INFO.name,
      type: trezor.type,
      icon: TREZOR_DIRECT_ICON,
      rdns: TREZOR_PROVIDER_INFO.rdns,

      async setup() {
        chainId ??= config.chains[0].id;
      },

      async connect({ chainId: wanted } = {}) {
        chainId ??= config.chains[0].id;
        try {
          if (!device || !provider) {
            await reset();
            device = await connect({ transport: transportOf(), ...(parameters.ui ? { ui: parameters.ui } : {}) });
            // One after another: the device answers one request at a time anyway.
            for (const path of paths) accounts.push(await trezorAccount(device, { path }));
            const rpc = rpcFor(chainId);
            if (!rpc) throw new ChainNotConfiguredError();
            provider = createTrezorProvider({ accounts, rpc, switchChain: rpcFor });
            const onDisconnect = () => this.onDisconnect();
            const onChainChanged = (hex: string) => this.onChainChanged(hex);
            provider.on('disconnect', onDisconnect);
            provider.on('chainChanged', onChainChanged);
            const current = provider;
            stopListening = () => {
              current.removeListener('disconnect', onDisconnect);
              current.removeListener('chainChanged', onChainChanged);
            };
            await provider.request({ method: 'eth_requestAccounts' });
            emit('connect', { chainId: numberToHex(chainId) });
            emit('accountsChanged', accounts.map((a) => a.address));
          }
          if (wanted !== undefined && wanted !== chainId) await this.switchChain!({ chainId: wanted });
          await config.storage?.setItem(CONNECTED_KEY, true);
          return { accounts: accounts.map((a) => a.address) as readonly Address[], chainId: chainId! } as never;
        } catch (error) {
          await reset();
          if (toProviderError(error).code === 4001) throw new UserRejectedRequestError(error as Error);
          throw error;
        }
      },

      async disconnect() {
        await reset();
        await config.storage?.removeItem(CONNECTED_KEY);
      },

      async getAccounts() {
        if (!provider) throw new ConnectorNotConnectedError();
        return accounts.map((a) => a.address);
      },

      async getChainId() {
        return chainId ?? config.chains[0].id;
      },

      async getProvider() {
        return facade;
      },

      async isAuthorized() {
        try {
          if (!(await config.storage?.getItem(CONNECTED_KEY))) return false;
          return (await transportOf().enumerate()).length > 0;
        } catch {
          return false;
        }
      },

      async switchChain({ chainId: id }) {
        const chain = config.chains.find((c) => c.id === id);
        if (!chain) throw new SwitchChainError(new ChainNotConfiguredError());
        if (provider) {
          // The provider takes wagmi's transport for that chain and emits chainChanged.
          await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: numberToHex(id) }] });
        } else {
          chainId = id;
          config.emitter.emit('change', { chainId: id });
        }
        return chain;
      },

      onAccountsChanged(addresses) {
        if (addresses.length === 0) this.onDisconnect();
        else config.emitter.emit('change', { accounts: addresses as Address[] });
      },

      onChainChanged(hex) {
        chainId = Number(hex);
        emit('chainChanged', numberToHex(chainId));
        config.emitter.emit('change', { chainId });
      },

      async onDisconnect() {
        // Unplugged: the authorization stays, so wagmi's reconnect finds the device once it is
        // back; only disconnect() forgets it.
        await reset();
        emit('disconnect', new ProviderRpcError(4900, 'The Trezor was disconnected'));
        config.emitter.emit('disconnect');
      },

      getTrezor: () => device,
      getTrezorAccounts: () => accounts,
    };
  });
}
