/**
 * The static server behind `npm start` (scripts/start.ts): MIME types, security headers and
 * refusal of everything outside examples/web. Runs against a temporary root, without building.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer, type ExampleServer } from '../scripts/start.js';

let base: string;
let root: string;
let server: ExampleServer;

/** Raw request, so paths like /../x reach the server unnormalized. */
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'trezor-direct-server-'));
  root = join(base, 'web');
  await mkdir(join(root, 'dist'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(root, 'style.css'), 'body{}');
  await writeFile(join(root, 'dist', 'main.js'), 'export {}');
  await writeFile(join(root, 'dist', 'main.js.map'), '{}');
  await writeFile(join(root, '.env'), 'SECRET=1');
  await writeFile(join(base, 'outside.txt'), 'outside');
  await symlink(join(base, 'outside.txt'), join(root, 'link.txt'));
  server = await startExampleServer({ port: 0, build: false, root });
});

afterAll(async () => {
  await server?.close();
  await rm(base, { recursive: true, force: true });
});

describe('example page server', () => {
  it('serves index.html for / with a strict CSP', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain('<title>t</title>');
    expect(server.url).toBe(`http://localhost:${server.port}/`);
  });

  it.each([
    ['/style.css', 'text/css; charset=utf-8'],
    ['/dist/main.js', 'text/javascript; charset=utf-8'],
    ['/dist/main.js.map', 'application/json; charset=utf-8'],
  ])('serves %s as %s', async (path, type) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get('/style.css', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('6');
    const post = await get('/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('redirects a directory to its slash form', async () => {
    const res = await get('/dist');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/dist/');
  });

  it.each(['/a/..//dist', '//dist', '/x/..//dist?q'])('never redirects %s off this origin (a Location of //host/ is another site)', async (path) => {
    const res = await get(path);
    const location = res.headers.location as string | undefined;
    if (res.status === 301) expect(location).toBe('/dist/');
    expect(location ?? '').not.toMatch(/^\/\//);
  });

  it.each([
    '/../outside.txt',
    '/%2e%2e/outside.txt',
    '/dist/%2e%2e/%2e%2e/outside.txt',
    '/dist%2F..%2F..%2Foutside.txt',
    '/..%5Coutside.txt',
    '/.env',
    '/link.txt',
    '/missing.js',
    '/%E0%A4%A',
    '/index.html%00.js',
  ])('refuses %s', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside');
    expect(res.body).not.toContain('SECRET');
  });
});
