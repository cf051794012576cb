// TrezorSigner and the EIP-1193 provider against a real Ethereum node: ganache, started
// in-process on 127.0.0.1 by this test (chain id 1337, London+ so EIP-1559 fees exist).
// The Trezor account is funded from ganache's own account, then pays through the device:
// the node's balances must move. The device is the virtual device's Ethereum handlers on a
// scripted link (support/ethereum-loopback.ts), a Trezor One 1.14.1 (EIP-1559) and a
// Model T 2.4.1 (no EIP-1559: the signer falls back to a legacy transaction).
import ganache from 'ganache';
import { JsonRpcProvider, Network, Transaction, TypedDataEncoder, parseEther, verifyMessage, verifyTypedData } from 'ethers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrezorSigner, createEip1193Provider, ProviderRpcError } from '../src/ethereum/index.js';
import { CORE_241, T1, closeEthereumDevices, ethereumDevice } from './support/ethereum-loopback.js';

const PATH = "m/44'/60'/0'/0/0";
const ACCOUNT = '0x73d0385F4d8E00C5e6504C6030F47BF6212736A8'; // SLIP-14 seed, m/44'/60'/0'/0/0
const DEST = '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A98';
const FUNDER_KEY = `0x${'11'.repeat(32)}`;

let server: ReturnType<typeof ganache.server>;
let provider: JsonRpcProvider;

beforeAll(async () => {
  server = ganache.server({
    logging: { quiet: true },
    chain: { chainId: 1337 },
    wallet: { accounts: [{ secretKey: FUNDER_KEY, balance: `0x${(10n ** 21n).toString(16)}` }] },
  } as never);
  await server.listen(0, '127.0.0.1');
  const { port } = server.address() as { port: number };
  provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, 1337, { staticNetwork: Network.from(1337), pollingInterval: 20, cacheTimeout: -1 });
  // Fund the Trezor account from ganache's (unlocked) account.
  const [funder] = (await provider.send('eth_accounts', [])) as string[];
  const hash = await provider.send('eth_sendTransaction', [{ from: funder, to: ACCOUNT, value: `0x${parseEther('100').toString(16)}` }]);
  await provider.waitForTransaction(hash as string);
}, 60_000);

afterAll(async () => {
  provider?.destroy();
  await server?.close();
});

afterEach(closeEthereumDevices);

/** Balance straight from the node (ethers caches identical reads for a moment). */
async function balance(address: string): Promise<bigint> {
  return BigInt((await provider.send('eth_getBalance', [address, 'latest'])) as string);
}

describe('TrezorSigner on a node', () => {
  it('sends an EIP-1559 transaction populated by the node (Trezor One 1.14.1)', async () => {
    const { trezor, received } = await ethereumDevice(T1);
    const signer = new TrezorSigner(trezor, { path: PATH, provider });
    expect(await signer.getAddress()).toBe(ACCOUNT);
    const before = await balance(DEST);
    const response = await signer.sendTransaction({ to: DEST, value: parseEther('1.5') });
    const receipt = await response.wait();
    expect(receipt?.status).toBe(1);
    expect(response.type).toBe(2);
    expect(response.from).toBe(ACCOUNT);
    expect(await balance(DEST)).toBe(before + parseEther('1.5'));
    const start = received.find((m) => m.type === 'EthereumSignTxEIP1559');
    expect(start?.message).toMatchObject({ chain_id: 1337n });
  });

  it('falls back to a legacy transaction on firmware without EIP-1559 (Model T 2.4.1)', async () => {
    const { trezor, received } = await ethereumDevice(CORE_241);
    const signer = new TrezorSigner(trezor, { path: PATH, provider });
    const before = await balance(DEST);
    const response = await signer.sendTransaction({ to: DEST, value: 12345n });
    await response.wait();
    expect(response.type).toBe(0);
    expect(await balance(DEST)).toBe(before + 12345n);
    expect(received.map((m) => m.type)).toContain('EthereumSignTx');
  });

  it('signTransaction populates nonce, gas and fees; the raw transaction decodes to the account', async () => {
    const { trezor } = await ethereumDevice(T1);
    const signer = new TrezorSigner(trezor, { path: PATH, provider });
    const raw = await signer.signTransaction({ to: DEST, value: 1n });
    const tx = Transaction.from(raw);
    expect(tx.from).toBe(ACCOUNT);
    expect(tx.chainId).toBe(1337n);
    expect(tx.nonce).toBe(Number(await provider.send('eth_getTransactionCount', [ACCOUNT, 'pending'])));
    expect(tx.gasLimit).toBeGreaterThanOrEqual(21000n);
    expect(tx.maxFeePerGas).toBeGreaterThan(0n);
  });

  it('signs messages and typed data that verify; connect() keeps device and path', async () => {
    const { trezor } = await ethereumDevice(T1);
    const signer = new TrezorSigner(trezor, { path: PATH }).connect(provider);
    expect(signer.provider).toBe(provider);
    expect(verifyMessage('hello node', await signer.signMessage('hello node'))).toBe(ACCOUNT);
    const domain = { name: 'Ether Mail', version: '1', chainId: 1337, verifyingContract: DEST };
    const types = { Person: [{ name: 'name', type: 'string' }, { name: 'wallet', type: 'address' }] };
    const value = { name: 'Cow', wallet: DEST };
    const signature = await signer.signTypedData(domain, types, value);
    expect(verifyTypedData(domain, types, value, signature)).toBe(ACCOUNT);
    expect(TypedDataEncoder.hash(domain, types, value)).toMatch(/^0x/);
  });
});

describe('EIP-1193 provider on a node', () => {
  it('eth_requestAccounts, eth_chainId, pass-through, eth_sendTransaction moves the balance', async () => {
    const { trezor } = await ethereumDevice(T1);
    const ethereum = createEip1193Provider({ trezor, path: PATH, provider });
    const changes: unknown[] = [];
    ethereum.on('accountsChanged', (accounts) => changes.push(accounts));
    expect(await ethereum.request({ method: 'eth_accounts' })).toEqual([]);
    expect(await ethereum.request({ method: 'eth_requestAccounts' })).toEqual([ACCOUNT]);
    expect(await ethereum.request({ method: 'eth_accounts' })).toEqual([ACCOUNT]);
    expect(changes).toEqual([[ACCOUNT]]);
    expect(await ethereum.request({ method: 'eth_chainId' })).toBe('0x539');
    expect(typeof (await ethereum.request({ method: 'eth_blockNumber' }))).toBe('string');

    const before = await balance(DEST);
    const hash = (await ethereum.request({
      method: 'eth_sendTransaction',
      params: [{ from: ACCOUNT.toLowerCase(), to: DEST, value: '0xde0b6b3a7640000' }],
    })) as string;
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await provider.waitForTransaction(hash);
    expect(receipt?.status).toBe(1);
    expect(await balance(DEST)).toBe(before + parseEther('1'));
  });

  it('eth_signTransaction, personal_sign, eth_signTypedData_v4', async () => {
    const { trezor } = await ethereumDevice(T1);
    const ethereum = createEip1193Provider({ trezor, provider });
    const raw = (await ethereum.request({ method: 'eth_signTransaction', params: [{ from: ACCOUNT, to: DEST, value: '0x1', gas: '0x5208' }] })) as string;
    expect(Transaction.from(raw).from).toBe(ACCOUNT);

    const signature = (await ethereum.request({ method: 'personal_sign', params: ['0x68656c6c6f', ACCOUNT] })) as string;
    expect(verifyMessage('hello', signature)).toBe(ACCOUNT);

    const typed = {
      types: {
        EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'chainId', type: 'uint256' }],
        Mail: [{ name: 'contents', type: 'string' }, { name: 'amounts', type: 'uint64[]' }],
      },
      primaryType: 'Mail',
      domain: { name: 'node test', chainId: 1337 },
      message: { contents: 'hi', amounts: [1, 2, 3] },
    };
    const typedSignature = (await ethereum.request({ method: 'eth_signTypedData_v4', params: [ACCOUNT, JSON.stringify(typed)] })) as string;
    const { EIP712Domain: _, ...types } = typed.types;
    expect(verifyTypedData(typed.domain, types, typed.message, typedSignature)).toBe(ACCOUNT);
  });

  it('errors carry EIP-1193 codes: 4001 rejected on the device, 4100 other account, 4200 unsupported, -32602 bad params', async () => {
    const { trezor } = await ethereumDevice({ ...T1, decisions: ['no'] });
    const ethereum = createEip1193Provider({ trezor, provider });
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
    expect(await codeOf({ method: 'wallet_switchEthereumChain', params: [{ chainId: '0x1' }] })).toBe(4200);
    expect(await codeOf({ method: 'eth_signTypedData_v4', params: [ACCOUNT, '{not json'] })).toBe(-32602);
    expect(await codeOf({ method: 'eth_signTransaction', params: [{ from: ACCOUNT, to: '0x1234', value: '0x1' }] })).toBe(-32602);
  });
});
