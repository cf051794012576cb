/**
 * trezor-direct/wagmi and EIP-6963 discovery in headless Chromium: the page (wagmi-page.ts,
 * bundled here with esbuild) runs @wagmi/core with a VirtualTrezor inside the page; ganache
 * runs in Node behind the page's own /rpc. Checked in the browser: wagmi's connect →
 * sendTransaction through the connector (the node mines it, the balance moves), a message
 * signature, the unplugged device disconnecting wagmi; and wagmi's own EIP-6963 discovery
 * finding the announced provider and sending through it.
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyMessage } from 'viem';
import { ACCOUNT, startGanache, type Node } from '../support/ganache.js';
import { launch, type Browser } from './chromium.js';

const DEST = '0x8eA7a3fccC211ED48b763b4164884DDbcF3b0A98';
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('wagmi connector and EIP-6963 discovery (Chromium)', () => {
  let node: Node;
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    node = await startGanache();
    const bundle = await build({
      entryPoints: ['test/browser/wagmi-page.ts'],
      absWorkingDir: root,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0]!.contents;
    server = createServer(async (request, response) => {
      if (request.url === '/rpc' && request.method === 'POST') {
        // The page's node: requests go on to ganache as they are.
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const answer = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      } else if (request.url === '/page.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      } else {
        response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>wagmi test</title><script type="module" src="/page.js"></script>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    browser = await launch();
    await browser.page.goto(url);
    await browser.page.waitForSelector('html[data-ready="true"]', { state: 'attached' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await node?.close();
  });

  it('trezor(): connect → sendTransaction on ganache, signMessage, unplug disconnects', async () => {
    const before = await node.balance(DEST);
    const result = await browser.page.evaluate(([to, value]) => (window as any).wagmiTest.connector(to, value), [DEST, '1000000000000000000'] as const);
    expect(result.accounts[0]).toBe(ACCOUNT);
    expect(result.accounts).toHaveLength(2);
    expect(result.chainId).toBe(1337);
    expect((await node.receipt(result.hash)).status).toBe('0x1');
    expect(await node.balance(DEST)).toBe(before + 10n ** 18n);
    expect(await verifyMessage({ address: ACCOUNT, message: 'hello from Chromium', signature: result.signature })).toBe(true);
    expect(result.after).toBe('disconnected');
    expect(result.name).toBe('Trezor');
    expect(result.icon).toMatch(/^data:image\/svg\+xml,/);
  });

  it('EIP-6963: wagmi discovers the announced provider (before and after it is made) and sends through it', async () => {
    const before = await node.balance(DEST);
    const result = await browser.page.evaluate(([to, value]) => (window as any).wagmiTest.discovery(to, value), [DEST, '4242'] as const);
    expect(result.ids).toEqual(['io.github.trezor-direct', 'io.github.trezor-direct']);
    expect(result.names).toEqual(['Trezor', 'Trezor']);
    expect(result.types).toEqual(['injected', 'injected']);
    expect(result.iconIsDataUri).toBe(true);
    expect(result.accounts).toEqual([ACCOUNT]);
    expect((await node.receipt(result.hash)).status).toBe('0x1');
    expect(await node.balance(DEST)).toBe(before + 4242n);
    expect(browser.console.filter((line) => line.startsWith('pageerror'))).toEqual([]);
  });
});
