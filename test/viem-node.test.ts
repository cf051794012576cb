// trezor-direct/viem against a real node (ganache, in-process, chain id 1337): viem's own
// sendTransaction with the Trezor account (viem prepares nonce, gas and fees, the device
// signs, the node must accept it and balances must move), and the transport-agnostic EIP-1193
// provider over a viem http transport. The device is the virtual device's Ethereum handlers
// on a scripted link (support/ethereum-loopback.ts): a Trezor One 1.14.1 (EIP-1559) and a
// Model T 2.4.1 (no EIP-1559: the provider falls back to legacy fees).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWalletClient, defineChain, http, parseEther, parseTransaction, recoverTransactionAddress, verifyMessage, verifyTypedData } from 'viem';
import { createTrezorProvider, ProviderRpcError, trezorAccount } from '../src/viem/index.js';
import { CORE_241, T1, closeEthereumDevices, ethereumDevice } from './support/ethereum-loopback.js';
import { ACCOUNT, CHAIN_ID, startGanache, type Node } from './support/ganache.js';

const DEST = '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A98';
// The chain as viem knows it; the node's URL is given to each transport.
const chain = defineChain({ id: CHAIN_ID, name: 'ganache', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: ['http://127.0.0.1'] } } });
let node: Node;

beforeAll(async () => {
  node = await startGanache();
}, 60_000);
afterAll(async () => node?.close());
afterEach(closeEthereumDevices);

describe('viem walletClient.sendTransaction with the Trezor account', () => {
  it('EIP-1559 on a Trezor One 1.14.1: the node accepts it and the balance moves', async () => {
    const { trezor, received } = await ethereumDevice(T1);
    const account = await trezorAccount(trezor);
    expect(account.address).toBe(ACCOUNT);
    const client = createWalletClient({ account, chain, transport: http(node.url) });
    const before = await node.balance(DEST);
    const hash = await client.sendTransaction({ to: DEST, value: parseEther('1.5') });
    const receipt = await node.receipt(hash);
    expect(receipt.status).toBe('0x1');
    expect(receipt.from.toLowerCase()).toBe(ACCOUNT.toLowerCase());
    expect(receipt.type).toBe('0x2');
    expect(await node.balance(DEST)).toBe(before + parseEther('1.5'));
    expect(received.find((m) => m.type === 'EthereumSignTxEIP1559')?.message).toMatchObject({ chain_id: 1337n });
  });

  it('legacy (gasPrice) on a Model T 2.4.1, with calldata; signTransaction decodes to the account', async () => {
    const { trezor, received } = await ethereumDevice(CORE_241);
    const account = await trezorAccount(trezor);
    const client = createWalletClient({ account, chain, transport: http(node.url) });
    const gasPrice = BigInt(await node.rpc('eth_gasPrice'));
    const before = await node.balance(DEST);
    const hash = await client.sendTransaction({ to: DEST, value: 777n, gasPrice, data: '0xdeadbeef' });
    expect((await node.receipt(hash)).type).toBe('0x0');
    expect(await node.balance(DEST)).toBe(before + 777n);
    expect(received.map((m) => m.type)).toContain('EthereumSignTx');

    const request = await client.prepareTransactionRequest({ to: DEST, value: 1n, gasPrice });
    const raw = await client.signTransaction(request);
    expect(parseTransaction(raw).chainId).toBe(CHAIN_ID);
    expect(await recoverTransactionAddress({ serializedTransaction: raw as never })).toBe(ACCOUNT);
  });

  it('signMessage and signTypedData through the wallet client verify with viem', async () => {
    const { trezor } = await ethereumDevice(T1);
    const account = await trezorAccount(trezor);
    const client = createWalletClient({ account, chain, transport: http(node.url) });
    const signature = await client.signMessage({ message: 'hello node' });
    expect(await verifyMessage({ address: ACCOUNT, message: 'hello node', signature })).toBe(true);
    const typed = {
      domain: { name: 'Ether Mail', version: '1', chainId: CHAIN_ID, verifyingContract: DEST },
      types: { Person: [{ name: 'name', type: 'string' }, { name: 'wallet', type: 'address' }] },
      primaryType: 'Person',
      message: { name: 'Cow', wallet: DEST },
    } as const;
    const typedSignature = await client.signTypedData(typed);
    expect(await verifyTypedData({ address: ACCOUNT, ...typed, signature: typedSignature })).toBe(true);
  });
});

describe('createTrezorProvider over a viem http transport (no ethers)', () => {
  const rpc = () => http(node.url)({ chain, retryCount: 0 });

  it('eth_requestAccounts, pass-through, eth_sendTransaction moves the balance', async () => {
    const { trezor } = await ethereumDevice(T1);
    const ethereum = createTrezorProvider({ accounts: await trezorAccount(trezor), rpc: rpc() });
    const changes: unknown[] = [];
    ethereum.on('accountsChanged', (accounts) => changes.push(accounts));
    expect(await ethereum.request({ method: 'eth_accounts' })).toEqual([]);
    expect(await ethereum.request({ method: 'eth_requestAccounts' })).toEqual([ACCOUNT]);
    expect(changes).toEqual([[ACCOUNT]]);
    expect(await ethereum.request({ method: 'eth_chainId' })).toBe('0x539');
    const before = await node.balance(DEST);
    const hash = await ethereum.request({ method: 'eth_sendTransaction', params: [{ from: ACCOUNT.toLowerCase(), to: DEST, value: '0xde0b6b3a7640000' }] });
    expect((await node.receipt(hash)).status).toBe('0x1');
    expect(await node.balance(DEST)).toBe(before + parseEther('1'));
  });

  it('falls back to legacy fees on firmware without EIP-1559 (Model T 2.4.1)', async () => {
    const { trezor, received } = await ethereumDevice(CORE_241);
    const ethereum = createTrezorProvider({ accounts: await trezorAccount(trezor), rpc: rpc() });
    const hash = await ethereum.request({ method: 'eth_sendTransaction', params: [{ from: ACCOUNT, to: DEST, value: '0x5' }] });
    expect((await node.receipt(hash)).type).toBe('0x0');
    expect(received.map((m) => m.type)).toContain('EthereumSignTx');
    expect(received.map((m) => m.type)).not.toContain('EthereumSignTxEIP1559');
  });

  it('eth_signTransaction, personal_sign, eth_signTypedData_v4', async () => {
    const { trezor } = await ethereumDevice(T1);
    const ethereum = createTrezorProvider({ accounts: await trezorAccount(trezor), rpc: rpc() });
    const raw = await ethereum.request({ method: 'eth_signTransaction', params: [{ from: ACCOUNT, to: DEST, value: '0x1', gas: '0x5208' }] });
    expect(await recoverTransactionAddress({ serializedTransaction: raw })).toBe(ACCOUNT);
    const signature = await ethereum.request({ method: 'personal_sign', params: ['0x68656c6c6f', ACCOUNT] });
    expect(await verifyMessage({ address: ACCOUNT, message: 'hello', signature })).toBe(true);
    const typed = {
      types: {
        EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'chainId', type: 'uint256' }],
        Mail: [{ name: 'contents', type: 'string' }, { name: 'amounts', type: 'uint64[]' }],
      },
      primaryType: 'Mail',
      domain: { name: 'node test', chainId: 1337 },
      message: { contents: 'hi', amounts: [1, 2, 3] },
    } as const;
    const typedSignature = await ethereum.request({ method: 'eth_signTypedData_v4', params: [ACCOUNT, JSON.stringify(typed)] });
    expect(await verifyTypedData({ address: ACCOUNT, ...typed, signature: typedSignature } as never)).toBe(true);
  });

  it('errors carry EIP-1193 codes: 4001 rejected on the device, 4100 other account, 4200 unsupported, 4902 unknown chain, -32602 bad params', async () => {
    const { trezor } = await ethereumDevice({ ...T1, decisions: ['no'] });
    const ethereum = createTrezorProvider({ accounts: await trezorAccount(trezor), rpc: rpc(), switchChain: () => undefined });
    const codeOf = async (args: { method: string; params?: unknown[] }) => {
      try {
        await ethereum.request(args);
        return 'resolved';
      } catch (e) {
        expect(e).toBeInstanceOf(ProviderRpcError);
        return (e as ProviderRpcError).code;
      }
    };
    expect(await codeOf({ method: 'eth_sendTransaction', params: [{ from: ACCOUNT, to: DEST, value: '0x1' }] })).toBe(4001);
    expect(await codeOf({ method: 'personal_sign', params: ['0x00', DEST] })).toBe(4100);
    expect(await codeOf({ method: 'eth_sign', params: [ACCOUNT, '0x00'] })).toBe(4200);
    expect(await codeOf({ method: 'wallet_switchEthereumChain', params: [{ chainId: '0x1' }] })).toBe(4902);
    expect(await codeOf({ method: 'eth_signTypedData_v4', params: [ACCOUNT, '{not json'] })).toBe(-32602);
    expect(await codeOf({ method: 'eth_signTransaction', params: [{ from: ACCOUNT, to: '0x1234', value: '0x1' }] })).toBe(-32602);
  });
});
