/**
 * A ganache node in-process on 127.0.0.1 (chain id 1337, EIP-1559 fees), with the SLIP-14
 * account m/44'/60'/0'/0/0 funded from ganache's own unlocked account: the setup of
 * test/ethereum-node.test.ts, shared by the viem and wagmi end-to-end tests. Talks to the node
 * with plain JSON-RPC over fetch, so the tests that use it need neither ethers nor viem for it.
 */
import ganache from 'ganache';

export const CHAIN_ID = 1337;
/** SLIP-14 seed ("all all …"), m/44'/60'/0'/0/0. */
export const ACCOUNT = '0x73d0385F4d8E00C5e6504C6030F47BF6212736A8';
const FUNDER_KEY = `0x${'11'.repeat(32)}`;

export interface Node {
  url: string;
  rpc(method: string, params?: unknown[]): Promise<any>;
  balance(address: string): Promise<bigint>;
  /** Resolves with the receipt once the transaction is mined (ganache mines at once). */
  receipt(hash: string): Promise<{ status: string; from: string; type: string }>;
  close(): Promise<void>;
}

/**
 * Start a node (chain id 1337 unless told) and fund `fund` (default: ACCOUNT) with 100 ether each.
 * @example const node = await startGanache(); await node.balance(ACCOUNT)
 */
export async function startGanache(fund: readonly string[] = [ACCOUNT], chainId = CHAIN_ID): Promise<Node> {
  const server = ganache.server({
    logging: { quiet: true },
    chain: { chainId },
    wallet: { accounts: [{ secretKey: FUNDER_KEY, balance: `0x${(10n ** 21n).toString(16)}` }] },
  } as never);
  await server.listen(0, '127.0.0.1');
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  let id = 0;
  const rpc = async (method: string, params: unknown[] = []) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as any;
  };
  const node: Node = {
    url,
    rpc,
    balance: async (address) => BigInt(await rpc('eth_getBalance', [address, 'latest'])),
    async receipt(hash) {
      for (let i = 0; i < 200; i++) {
        const receipt = await rpc('eth_getTransactionReceipt', [hash]);
        if (receipt) return receipt;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no receipt for ${hash}`);
    },
    close: () => server.close(),
  };
  const [funder] = (await rpc('eth_accounts')) as string[];
  for (const address of fund) {
    const hash = await rpc('eth_sendTransaction', [{ from: funder, to: address, value: `0x${(10n ** 20n).toString(16)}` }]);
    await node.receipt(hash);
  }
  return node;
}
