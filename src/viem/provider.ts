/**
 * An EIP-1193 provider (`window.ethereum` shape) for Trezor accounts over any RPC that has a
 * `request({ method, params })`: a viem transport's value, a node client, a wallet's own
 * provider. Account and signing methods are answered through the device (viem accounts from
 * ./account.ts; transactions are prepared by viem: nonce, gas, fees, chain id); everything else
 * goes to the RPC. No ethers: `createEip1193Provider` in `trezor-direct/ethereum` is the ethers
 * twin, which needs an ethers provider with `send()`.
 *
 *   eth_requestAccounts        the accounts' addresses (the active one first), emits connect/accountsChanged
 *   eth_accounts               [] until requested, then the addresses
 *   personal_sign              [message (0x-hex bytes or text), address]   → EIP-191 signature
 *   eth_signTypedData_v4       [address, typed data (JSON text or object)] → EIP-712 signature
 *   eth_signTransaction        [tx] → signed raw transaction (prepared through the RPC)
 *   eth_sendTransaction        [tx] → transaction hash
 *   wallet_switchEthereumChain [{ chainId }] → through `switchChain` (4902 when it has no RPC
 *                              for that chain; 4200 without `switchChain`)
 *   eth_sign, wallet_addEthereumChain, wallet_requestPermissions, wallet_watchAsset → 4200
 *
 * Errors are ProviderRpcError (see src/ethereum/rpc-error.ts): 4001 rejected on the device,
 * 4100 an address that is not one of the accounts, 4200 unsupported, 4900 device gone.
 */
import { createWalletClient, custom } from 'viem';
import { prepareTransactionRequest, sendTransaction } from 'viem/actions';
import type { Hex, TransactionSerializable } from 'viem';
import { parseAddress } from '../ethereum/crypto.js';
import { supportsEip1559 } from '../ethereum/flows.js';
import { isAddress, providerShell, typedDataParameter } from '../ethereum/eip1193-shell.js';
import { ProviderRpcError } from '../ethereum/rpc-error.js';
import type { TrezorAccount } from './account.js';

export { ProviderRpcError, toProviderError } from '../ethereum/rpc-error.js';

/** Anything with an EIP-1193 `request`: the node side of the provider. */
export interface Eip1193Rpc {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

export type TrezorProviderEvent = 'connect' | 'disconnect' | 'chainChanged' | 'accountsChanged' | 'message';

export interface CreateTrezorProviderParameters {
  /** One account or several from trezorAccount (the first is the active one), all on one device. */
  accounts: TrezorAccount | readonly TrezorAccount[];
  /** The node for everything that is not signing. */
  rpc: Eip1193Rpc;
  /** The RPC for another chain (wallet_switchEthereumChain); undefined when there is none. */
  switchChain?: (chainId: number) => Eip1193Rpc | undefined | Promise<Eip1193Rpc | undefined>;
}

/** The provider createTrezorProvider returns. */
export interface TrezorProvider {
  request(args: { method: string; params?: unknown }): Promise<any>;
  on(event: TrezorProviderEvent, listener: (...args: any[]) => void): TrezorProvider;
  removeListener(event: TrezorProviderEvent, listener: (...args: any[]) => void): TrezorProvider;
  /** The accounts, the active one first. */
  readonly accounts: readonly TrezorAccount[];
}

const UNSUPPORTED = new Set(['eth_sign', 'wallet_addEthereumChain', 'wallet_requestPermissions', 'wallet_watchAsset']);

/**
 * An EIP-1193 provider for Trezor accounts on top of any `request()` RPC.
 * @example
 * const account = await trezorAccount(trezor);
 * const ethereum = createTrezorProvider({ accounts: account, rpc: http('https://…')({}) });
 * await ethereum.request({ method: 'eth_sendTransaction', params: [{ from: account.address, to, value: '0x1' }] });
 */
export function createTrezorProvider(parameters: CreateTrezorProviderParameters): TrezorProvider {
  const accounts = Array.isArray(parameters.accounts) ? [...parameters.accounts] : [parameters.accounts as TrezorAccount];
  if (accounts.length === 0 || accounts.some((a) => typeof a?.signTransaction !== 'function' || !a.trezor)) {
    throw new ProviderRpcError(-32602, 'createTrezorProvider needs one or more accounts from trezorAccount()');
  }
  let rpc = parameters.rpc;
  if (!rpc || typeof rpc.request !== 'function') throw new ProviderRpcError(-32602, 'createTrezorProvider needs an RPC with request()');
  const trezor = accounts[0]!.trezor;
  let connected = false;
  // Events and request() plumbing (ethereum/eip1193-shell.ts); `handle` below is what this provider does.
  const emit = (event: TrezorProviderEvent, ...args: unknown[]) => shell.emit(event, ...args);

  const addresses = () => accounts.map((a) => a.address);
  const accountOf = (claimed: unknown, field: string): TrezorAccount => {
    if (claimed === undefined || claimed === null) return accounts[0]!;
    let address: string;
    try {
      address = parseAddress(claimed, field);
    } catch {
      throw new ProviderRpcError(-32602, `${field}: not an address`);
    }
    const account = accounts.find((a) => a.address === address);
    if (!account) throw new ProviderRpcError(4100, `${field}: ${address} is not a Trezor account of this provider`);
    return account;
  };
  const chainIdOfRpc = async () => Number(BigInt((await rpc.request({ method: 'eth_chainId' })) as string));
  const walletClient = (account: TrezorAccount) => createWalletClient({ account, transport: custom(rpc, { retryCount: 0 }) });
  /** Legacy fees on firmware without EIP-1559, unless the caller chose the kind. */
  const kindFor = (tx: RpcTransaction) =>
    tx.type === undefined && tx.maxFeePerGas === undefined && tx.maxPriorityFeePerGas === undefined && !supportsEip1559(trezor) ? { type: 'legacy' as const } : {};

  const handle = async (method: string, params: readonly unknown[]): Promise<unknown> => {
    switch (method) {
      case 'eth_requestAccounts':
        if (!connected) {
          connected = true;
          emit('connect', { chainId: `0x${(await chainIdOfRpc()).toString(16)}` });
          emit('accountsChanged', addresses());
        }
        return addresses();
      case 'eth_accounts':
        return connected ? addresses() : [];
      case 'personal_sign': {
        let [message, address] = params;
        // Some dapps send [address, message]; MetaMask accepts both orders.
        if (isAddress(message) && !isAddress(address)) [message, address] = [address, message];
        if (typeof message !== 'string') throw new ProviderRpcError(-32602, 'personal_sign: message must be a string');
        const account = accountOf(address, 'personal_sign address');
        return account.signMessage({ message: /^0x([0-9a-fA-F]{2})*$/.test(message) ? { raw: message as Hex } : message });
      }
      case 'eth_signTypedData_v4': {
        const [address, data] = params;
        const typed = typedDataParameter(data);
        return accountOf(address, 'eth_signTypedData_v4 address').signTypedData(typed as never);
      }
      case 'eth_signTransaction':
      case 'eth_sendTransaction': {
        const tx = fromRpcTransaction(params[0]);
        const account = accountOf(tx.from, `${method} from`);
        const { from: _from, ...rest } = tx;
        const client = walletClient(account);
        const request = { ...rest, ...kindFor(tx), account, chain: null } as never;
        if (method === 'eth_sendTransaction') return sendTransaction(client, request);
        const prepared = await prepareTransactionRequest(client, request);
        return account.signTransaction(prepared as TransactionSerializable);
      }
      case 'wallet_switchEthereumChain': {
        if (!parameters.switchChain) throw new ProviderRpcError(4200, 'wallet_switchEthereumChain: this provider has one RPC (give switchChain)');
        const [target] = params as [{ chainId?: unknown }];
        let chainId: number;
        try {
          chainId = Number(BigInt(String(target?.chainId)));
        } catch {
          throw new ProviderRpcError(-32602, 'wallet_switchEthereumChain: expected [{ chainId: hex }]');
        }
        const next = await parameters.switchChain(chainId);
        if (!next) throw new ProviderRpcError(4902, `Unrecognized chain ${chainId}: no RPC for it`);
        rpc = next;
        emit('chainChanged', `0x${chainId.toString(16)}`);
        return null;
      }
      default:
        if (UNSUPPORTED.has(method)) throw new ProviderRpcError(4200, `${method} is not supported by the Trezor provider`);
        return rpc.request({ method, params: [...params] });
    }
  };

  const shell = providerShell<TrezorProviderEvent>(trezor, handle, () => (connected = false));
  const api: TrezorProvider = {
    accounts,
    request: (args) => shell.request(args),
    on(event, listener) {
      shell.on(event, listener);
      return api;
    },
    removeListener(event, listener) {
      shell.removeListener(event, listener);
      return api;
    },
  };
  return api;
}

/** A JSON-RPC transaction object in viem's terms (bigint quantities, `gas`, `data`, named type). */
interface RpcTransaction {
  from?: string;
  to?: Hex;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  value?: bigint;
  nonce?: number;
  chainId?: number;
  data?: Hex;
  accessList?: { address: Hex; storageKeys: Hex[] }[];
  type?: 'legacy' | 'eip2930' | 'eip1559' | 'eip4844' | 'eip7702';
}

const TYPES = { '0x0': 'legacy', '0x1': 'eip2930', '0x2': 'eip1559', '0x3': 'eip4844', '0x4': 'eip7702' } as const;

function fromRpcTransaction(value: unknown): RpcTransaction {
  if (typeof value !== 'object' || value === null) throw new ProviderRpcError(-32602, 'expected a transaction object');
  const rpc = value as Record<string, unknown>;
  const quantity = (key: string): bigint | undefined => {
    const v = rpc[key];
    if (v === undefined || v === null) return undefined;
    try {
      return BigInt(v as string | number);
    } catch {
      throw new ProviderRpcError(-32602, `${key}: expected a hex quantity`);
    }
  };
  const tx: RpcTransaction = {};
  if (rpc.from != null) tx.from = String(rpc.from);
  if (rpc.to != null) {
    if (!isAddress(rpc.to)) throw new ProviderRpcError(-32602, 'to: not an address');
    tx.to = rpc.to as Hex;
  }
  const gas = quantity('gas') ?? quantity('gasLimit');
  if (gas !== undefined) tx.gas = gas;
  for (const key of ['gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'value'] as const) {
    const v = quantity(key);
    if (v !== undefined) tx[key] = v;
  }
  const nonce = quantity('nonce');
  if (nonce !== undefined) tx.nonce = Number(nonce);
  const chainId = quantity('chainId');
  if (chainId !== undefined) tx.chainId = Number(chainId);
  if (rpc.type != null) {
    const type = TYPES[`0x${(quantity('type') ?? BigInt(-1)).toString(16)}` as keyof typeof TYPES];
    if (!type) throw new ProviderRpcError(-32602, `type: unknown transaction type ${String(rpc.type)}`);
    tx.type = type;
  }
  const data = rpc.data ?? rpc.input;
  if (data != null) tx.data = String(data) as Hex;
  if (rpc.accessList != null) tx.accessList = rpc.accessList as RpcTransaction['accessList'];
  return tx;
}
