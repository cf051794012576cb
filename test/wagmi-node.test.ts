// The wagmi connector (trezor-direct/wagmi) in @wagmi/core 2.x against real nodes: two ganache
// chains (1337 and 1338) and a VirtualTrezor (Trezor One 1.14.1, confirming by itself) on its
// in-memory transport. wagmi's own actions drive it: connect → sendTransaction (the node must
// mine it and balances move), signMessage, switchChain (the next transaction goes to the other
// node), several accounts from the BIP-44 and Ledger Live layouts (addresses from the SLIP-14
// vectors, test/fixtures/vectors/slip14.json), reconnect, and the device being unplugged.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createConfig, disconnect, getAccount, reconnect, sendTransaction, signMessage, switchChain, createStorage } from '@wagmi/core';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { defineChain, http, parseEther, toHex, verifyMessage } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { connect as connectTrezor } from '../src/session/connect.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { accountPaths, trezor } from '../src/wagmi/index.js';
import { loadVectors } from './support/fixtures.js';
import { ACCOUNT, startGanache, type Node } from './support/ganache.js';

const MNEMONIC = 'all all all all all all all all all all all all';
/** An address derived here, independently of the device code: @scure/bip32 from the SLIP-14 seed, viem's keccak. */
const derived = (path: string) => privateKeyToAddress(toHex(HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC)).derive(path).privateKey!));
const DEST = '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A98';
const vectors = loadVectors();
const chainOf = (id: number) =>
  defineChain({ id, name: `ganache ${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: ['http://127.0.0.1'] } } });
const chainA = chainOf(1337);
const chainB = chainOf(1338);
let nodeA: Node;
let nodeB: Node;
const virtuals: VirtualTrezor[] = [];

beforeAll(async () => {
  [nodeA, nodeB] = await Promise.all([startGanache([ACCOUNT], 1337), startGanache([ACCOUNT], 1338)]);
}, 60_000);
afterAll(async () => Promise.all([nodeA?.close(), nodeB?.close()]));
afterEach(async () => {
  for (const v of virtuals.splice(0)) await v.close();
});

/** A Map-backed key/value store with the shape wagmi's createStorage wraps. */
function memoryStorage() {
  const map = new Map<string, string>();
  return createStorage({ storage: { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) } });
}

function setup(parameters: Parameters<typeof trezor>[0] = {}, storage = memoryStorage(), pin?: string) {
  const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', autoConfirm: true, ...(pin ? { pin } : {}) });
  virtuals.push(virtual);
  const transport = virtual.transport();
  const config = createConfig({
    chains: [chainA, chainB],
    connectors: [trezor({ transport, ...parameters })],
    transports: { [chainA.id]: http(nodeA.url), [chainB.id]: http(nodeB.url) },
    storage,
  });
  return { config, virtual, transport, connector: config.connectors[0]! };
}

describe('wagmi connector: connect → sendTransaction on ganache', () => {
  it('connects, sends on chain 1337, switches to 1338 and sends there, signs a message', async () => {
    const { config, connector } = setup({}, memoryStorage());
    const result = await connect(config, { connector });
    expect(result).toEqual({ accounts: [ACCOUNT], chainId: 1337 });
    expect(getAccount(config)).toMatchObject({ status: 'connected', address: ACCOUNT, chainId: 1337 });

    const beforeA = await nodeA.balance(DEST);
    const hash = await sendTransaction(config, { to: DEST, value: parseEther('2') });
    expect((await nodeA.receipt(hash)).status).toBe('0x1');
    expect(await nodeA.balance(DEST)).toBe(beforeA + parseEther('2'));

    await switchChain(config, { chainId: 1338 });
    expect(getAccount(config).chainId).toBe(1338);
    const beforeB = await nodeB.balance(DEST);
    const hashB = await sendTransaction(config, { to: DEST, value: 1234n });
    expect((await nodeB.receipt(hashB)).status).toBe('0x1');
    expect(await nodeB.balance(DEST)).toBe(beforeB + 1234n);
    expect(await nodeA.rpc('eth_getTransactionByHash', [hashB])).toBeNull();

    const signature = await signMessage(config, { message: 'hello wagmi' });
    expect(await verifyMessage({ address: ACCOUNT, message: 'hello wagmi', signature })).toBe(true);

    await disconnect(config);
    expect(getAccount(config).status).toBe('disconnected');
    expect(await connector.isAuthorized()).toBe(false);
  });

  it('connect({ chainId }) starts on that chain', async () => {
    const { config, connector } = setup();
    expect(await connect(config, { connector, chainId: 1338 })).toMatchObject({ chainId: 1338 });
  });

  it('several accounts from the BIP-44 and Ledger Live layouts (SLIP-14 addresses)', async () => {
    expect(accountPaths({ layout: 'bip44', count: 2, start: 1 })).toEqual(["m/44'/60'/0'/0/1", "m/44'/60'/0'/0/2"]);
    expect(accountPaths({ layout: 'ledger-live', count: 2 })).toEqual(["m/44'/60'/0'/0/0", "m/44'/60'/1'/0/0"]);

    // m/44'/60'/0'/0/100: the from_address of the SLIP-14 eth_sign_tx vectors (trezor-firmware
    // common/tests/fixtures/ethereum/getaddress.json has it too).
    const at100 = vectors.eth_sign_tx.find((v: { parameters: { path: string } }) => v.parameters.path === "m/44'/60'/0'/0/100")!.from_address;
    const bip44 = setup({ accounts: { layout: 'bip44', start: 99, count: 2 } });
    const a = await connect(bip44.config, { connector: bip44.connector });
    expect(a.accounts).toHaveLength(2);
    expect(a.accounts[1]).toBe(at100);
    expect(a.accounts[0]).toBe(derived("m/44'/60'/0'/0/99"));

    const ledger = setup({ accounts: { layout: 'ledger-live', count: 2 } });
    const b = await connect(ledger.config, { connector: ledger.connector });
    expect(b.accounts).toEqual([ACCOUNT, derived("m/44'/60'/1'/0/0")]);
    expect(ledger.connector.getTrezorAccounts().map((x) => x.path)).toEqual(["m/44'/60'/0'/0/0", "m/44'/60'/1'/0/0"]);

    // A transaction from the second account goes through the device too.
    const from = b.accounts[1]!;
    const before = await nodeA.balance(from);
    await nodeA.rpc('eth_sendTransaction', [{ from: (await nodeA.rpc('eth_accounts'))[0], to: from, value: '0xde0b6b3a7640000' }]);
    const hash = await sendTransaction(ledger.config, { account: from, to: DEST, value: 1n });
    const receipt = await nodeA.receipt(hash);
    expect(receipt.from.toLowerCase()).toBe(from.toLowerCase());
    expect(await nodeA.balance(from)).toBeLessThan(before + parseEther('1'));
  });

  it('a cancelled PIN rejects connect with 4001 (UserRejectedRequestError) and leaves wagmi disconnected', async () => {
    // A PIN-protected Trezor One and no ui.pin handler: the session cancels the PIN request.
    const { config, connector, transport } = setup({}, memoryStorage(), '1234');
    // Locked, as after power-on: the PIN is asked before the first key use.
    const locker = await connectTrezor({ transport });
    await locker.typedCall('LockDevice', {}, 'Success');
    await locker.close();
    const error = await connect(config, { connector }).then(
      () => undefined,
      (e: unknown) => e as { name?: string; code?: number },
    );
    expect(error?.name).toBe('UserRejectedRequestError');
    expect(error?.code).toBe(4001);
    expect(getAccount(config).status).toBe('disconnected');
    expect(connector.getTrezor()).toBeUndefined();
  });

  it('bad layouts fail before any device is asked', () => {
    expect(() => trezor({ accounts: { layout: 'bip44', count: 0 } })).toThrow(/accounts.count/);
    expect(() => trezor({ accounts: { layout: 'other' as never } })).toThrow(/accounts.layout/);
    expect(() => trezor({ path: "m/44'/60'/0'/0/0", accounts: [] })).toThrow(/either path or accounts/);
  });

  it('unplugging the device disconnects wagmi; reconnect finds it again', async () => {
    const storage = memoryStorage();
    const { config, connector, virtual } = setup({}, storage);
    await connect(config, { connector });
    expect(await connector.isAuthorized()).toBe(true);
    const disconnected = new Promise<void>((resolve) => connector.emitter.on('disconnect', () => resolve()));
    await virtual.close(); // unplugged
    await disconnected;
    expect(getAccount(config).status).toBe('disconnected');
    expect(connector.getTrezor()).toBeUndefined();

    // Plugged in again (a new device on a new transport, the same storage): wagmi's reconnect
    // (a page load) asks isAuthorized, which lists the device, and connects without a chooser.
    const again = setup({}, storage);
    expect(await again.connector.isAuthorized()).toBe(true);
    const [reconnected] = await reconnect(again.config);
    expect(reconnected).toMatchObject({ accounts: [ACCOUNT], chainId: 1337 });
    expect(getAccount(again.config)).toMatchObject({ status: 'connected', address: ACCOUNT });
    await disconnect(again.config);
    const third = setup({}, storage);
    expect(await third.connector.isAuthorized()).toBe(false); // disconnect() forgot it
  });
});
