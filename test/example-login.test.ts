/**
 * The example server's "Log in with Trezor" verifier (scripts/login-route.ts, mounted by
 * scripts/start.ts under /api/login/): a challenge from the server, signed by the virtual
 * device with login(), logs in once over HTTP; a replay, another origin, a bad body and a wrong
 * method are refused with their status.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer, type ExampleServer } from '../scripts/start.js';
import { login } from '../src/identity/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';

let root: string;
let server: ExampleServer;
let virtual: VirtualTrezor;
let trezor: Trezor;
let origin: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trezor-direct-login-'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>t</title>');
  server = await startExampleServer({ port: 0, build: false, root });
  origin = `http://127.0.0.1:${server.port}`;
  virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', model: 'T2T1', autoConfirm: true });
  trezor = await connect({ transport: virtual.transport() });
});

afterAll(async () => {
  await server?.close();
  await virtual?.close();
  await rm(root, { recursive: true, force: true });
});

const post = (path: string, body: string) => fetch(`${origin}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });

describe('example server: /api/login', () => {
  it('challenge → login() on the device → verify logs in once; the replay is 401 replayed', async () => {
    const challenge = await (await fetch(`${origin}/api/login/challenge`)).json();
    expect(challenge.challengeHidden).toMatch(/^[0-9a-f]{112}$/);
    const response = await login(trezor, { ...challenge, identity: origin });
    const first = await post('/api/login/verify', JSON.stringify(response));
    expect(first.status).toBe(200);
    const result = await first.json();
    expect(result).toMatchObject({ ok: true, publicKey: response.publicKey, address: response.address, identityUri: origin });
    const again = await post('/api/login/verify', JSON.stringify(response));
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ ok: false, code: 'VerificationFailed', reason: 'replayed' });
  });

  it('a signature for another origin is 401 origin', async () => {
    const challenge = await (await fetch(`${origin}/api/login/challenge`)).json();
    const response = await login(trezor, { ...challenge, identity: 'http://localhost:1' });
    const res = await post('/api/login/verify', JSON.stringify(response));
    expect(res.status).toBe(401);
    expect((await res.json()).reason).toBe('origin');
  });

  it('bad JSON is 400, an oversize body 413, a wrong method 405, an unknown route 404', async () => {
    expect((await post('/api/login/verify', '{')).status).toBe(400);
    expect((await post('/api/login/verify', 'x'.repeat(5000))).status).toBe(413);
    expect((await fetch(`${origin}/api/login/verify`)).status).toBe(405);
    expect((await post('/api/login/challenge', '{}')).status).toBe(405);
    expect((await fetch(`${origin}/api/login/nothing`)).status).toBe(404);
    // The static files are still served.
    expect((await fetch(`${origin}/`)).status).toBe(200);
  });
});
