/**
 * An EIP-1193 provider (`window.ethereum` shape) whose account lives on a Trezor: dapps and
 * libraries that speak EIP-1193 (viem's `custom()`, ethers' BrowserProvider, wagmi
 * connectors) can use the device without knowing about it. Account and signing methods are
 * answered here through the device; everything else goes to the RPC node (`provider.send`).
 *
 *   eth_requestAccounts   asks the device for the address (no screen), emits accountsChanged
 *   eth_accounts          [] until the account was requested, then [address]
 *   eth_chainId           from the node
 *   personal_sign         [message (0x-hex bytes or text), address]   → EIP-191 signature
 *   eth_signTypedData_v4  [address, typed data (JSON text or object)] → EIP-712 signature
 *   eth_signTransaction   [tx]  → signed raw transaction (populated through the node)
 *   eth_sendTransaction   [tx]  → transaction hash
 *   eth_sign, wallet_switchEthereumChain, wallet_addEthereumChain → 4200 (unsupported)
 *
 * Errors are ProviderRpcError (EIP-1193 §"Errors"): 4001 the user rejected on the device
 * (or cancelled PIN / passphrase entry), 4100 an address other than this account, 4200 a
 * method or transaction kind not supported, 4900 the device is gone, -32602 bad parameters,
 * -32603 anything else (with the TrezorError code in `data`). RPC errors keep their code.
 */
import { getAddress as checksumAddress } from 'ethers/address';
import { getBytes, isHexString, toUtf8Bytes } from 'ethers/utils';
import type { Provider, TransactionRequest } from 'ethers';
import type { Path } from '../path.js';
import type { Trezor } from '../session/trezor.js';
import { signTypedData, type EthereumDefinitions } from './device.js';
import { isAddress, providerShell, typedDataParameter } from './eip1193-shell.js';
import { ProviderRpcError } from './rpc-error.js';
import { TrezorSigner } from './signer.js';

export { ProviderRpcError, toProviderError } from './rpc-error.js';

/** An EIP-1193 request. */
export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[] | object;
}

/** The provider createEip1193Provider returns. */
export interface TrezorEip1193Provider {
  request(args: RequestArguments): Promise<unknown>;
  on(event: Eip1193Event, listener: (...args: unknown[]) => void): TrezorEip1193Provider;
  removeListener(event: Eip1193Event, listener: (...args: unknown[]) => void): TrezorEip1193Provider;
  /** The ethers Signer behind it. */
  readonly signer: TrezorSigner;
}

export type Eip1193Event = 'connect' | 'disconnect' | 'chainChanged' | 'accountsChanged' | 'message';

/** A JSON-RPC capable ethers provider, e.g. `new JsonRpcProvider(url)`. */
export type RpcProvider = Provider & { send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> };

export interface CreateEip1193ProviderParameters {
  trezor: Trezor;
  /** Account path (default m/44'/60'/0'/0/0). */
  path?: Path;
  /** The node for everything that is not signing. */
  provider: RpcProvider;
  definitions?: EthereumDefinitions;
}

const UNSUPPORTED = new Set(['eth_sign', 'wallet_switchEthereumChain', 'wallet_addEthereumChain', 'wallet_requestPermissions', 'wallet_watchAsset']);

/**
 * An EIP-1193 provider for one Trezor account on top of a JSON-RPC node.
 * @example const ethereum = createEip1193Provider({ trezor, provider: new JsonRpcProvider(url) }); await ethereum.request({ method: 'eth_requestAccounts' })
 */
export function createEip1193Provider(parameters: CreateEip1193ProviderParameters): TrezorEip1193Provider {
  const { trezor, provider } = parameters;
  if (!provider || typeof provider.send !== 'function') throw new ProviderRpcError(-32602, 'createEip1193Provider needs a JSON-RPC provider with send()');
  const signer = new TrezorSigner(trezor, {
    provider,
    ...(parameters.path !== undefined ? { path: parameters.path } : {}),
    ...(parameters.definitions ? { definitions: parameters.definitions } : {}),
  });
  let account: string | undefined;
  // Events and request() plumbing (eip1193-shell.ts); `handle` below is what this provider does.
  const emit = (event: Eip1193Event, ...args: unknown[]) => shell.emit(event, ...args);

  const connectAccount = async (): Promise<string> => {
    const address = await signer.getAddress();
    if (account !== address) {
      account = address;
      emit('accountsChanged', [address]);
    }
    return address;
  };
  const requireAccount = async (claimed: unknown, field: string): Promise<void> => {
    const address = await connectAccount();
    if (claimed === undefined || claimed === null) return;
    let normalized: string;
    try {
      normalized = checksumAddress(String(claimed));
    } catch {
      throw new ProviderRpcError(-32602, `${field}: not an address`);
    }
    if (normalized !== address) throw new ProviderRpcError(4100, `${field}: ${normalized} is not the Trezor account ${address}`);
  };

  const handle = async (method: string, params: readonly unknown[]): Promise<unknown> => {
    switch (method) {
      case 'eth_requestAccounts':
        return [await connectAccount()];
      case 'eth_accounts':
        return account ? [account] : [];
      case 'personal_sign': {
        let [message, address] = params;
        // Some dapps send [address, message]; MetaMask accepts both orders.
        if (isAddress(message) && !isAddress(address)) [message, address] = [address, message];
        if (typeof message !== 'string') throw new ProviderRpcError(-32602, 'personal_sign: message must be a string');
        await requireAccount(address, 'personal_sign address');
        return signer.signMessage(isHexString(message) ? getBytes(message) : toUtf8Bytes(message));
      }
      case 'eth_signTypedData_v4': {
        const [address, data] = params;
        const typed = parseTypedData(data); // before the device is asked for the account
        await requireAccount(address, 'eth_signTypedData_v4 address');
        return signTypedData(trezor, { path: signer.path, ...typed, ...(parameters.definitions ? { definitions: parameters.definitions } : {}) });
      }
      case 'eth_signTransaction':
      case 'eth_sendTransaction': {
        const tx = fromRpcTransaction(params[0]);
        await requireAccount(tx.from, `${method} from`);
        if (method === 'eth_signTransaction') return signer.signTransaction(tx);
        const response = await signer.sendTransaction(tx);
        return response.hash;
      }
      default:
        if (UNSUPPORTED.has(method)) throw new ProviderRpcError(4200, `${method} is not supported by the Trezor provider`);
        return provider.send(method, [...params]);
    }
  };

  const shell = providerShell<Eip1193Event>(trezor, handle);
  const api: TrezorEip1193Provider = {
    signer,
    request: (args: RequestArguments) => shell.request(args),
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

function parseTypedData(data: unknown): { domain: Record<string, unknown>; types: Record<string, { name: string; type: string }[]>; message: Record<string, unknown>; primaryType?: string } {
  const { domain, types, message, primaryType } = typedDataParameter(data);
  return {
    domain: (domain ?? {}) as Record<string, unknown>,
    types: types as Record<string, { name: string; type: string }[]>,
    message: (message ?? {}) as Record<string, unknown>,
    ...(typeof primaryType === 'string' ? { primaryType } : {}),
  };
}

/** JSON-RPC transaction object (hex quantities, `gas`, `input`) → ethers TransactionRequest. */
function fromRpcTransaction(value: unknown): TransactionRequest {
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
  const address = (key: string): string => {
    try {
      return checksumAddress(String(rpc[key]));
    } catch {
      throw new ProviderRpcError(-32602, `${key}: not an address`);
    }
  };
  const tx: TransactionRequest = {};
  if (rpc.from != null) tx.from = address('from');
  if (rpc.to != null) tx.to = address('to');
  const gasLimit = quantity('gas') ?? quantity('gasLimit');
  if (gasLimit !== undefined) tx.gasLimit = gasLimit;
  for (const key of ['gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'value', 'chainId'] as const) {
    const v = quantity(key);
    if (v !== undefined) tx[key] = v;
  }
  const nonce = quantity('nonce');
  if (nonce !== undefined) tx.nonce = Number(nonce);
  const type = quantity('type');
  if (type !== undefined) tx.type = Number(type);
  const data = rpc.data ?? rpc.input;
  if (data != null) tx.data = String(data);
  if (rpc.accessList != null) tx.accessList = rpc.accessList as TransactionRequest['accessList'];
  return tx;
}
