/**
 * The example server's "Log in with Trezor" verifier: the two routes a site needs, on node:http,
 * with trezor-direct/identity doing the work.
 *
 *   GET  /api/login/challenge  → 200 { challengeHidden, challengeVisual }
 *   POST /api/login/verify     ← login()'s response as JSON (at most 4 kB)
 *                              → 200 { ok: true, publicKey, address, identityUri }
 *                                401 { ok: false, code, reason }   (replayed, expired, origin, …)
 *
 * The secret is random per server start and used nonces live in this process's memory: enough
 * for a demo. A real site keeps the secret in its configuration, shares a NonceStore (Redis,
 * SQL) between its processes, and writes its origin down instead of reading the Host header as
 * this page does (it is served as localhost, 127.0.0.1 or any --host).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createChallenge, memoryNonceStore, verifyLogin, LoginRejectedError } from '../src/identity/index.js';
import { isTrezorError } from '../src/errors.js';

const MAX_BODY = 4096;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A request handler for /api/login/*: resolves true when it answered the request.
 * @example const login = loginRoutes(); createServer(async (req, res) => { if (!(await login(req, res))) serveFiles(req, res) })
 */
export function loginRoutes(options: { secret?: Uint8Array; now?: () => number } = {}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const secret = options.secret ?? randomBytes(32);
  const now = options.now ?? Date.now;
  const store = memoryNonceStore({ now });
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!path.startsWith('/api/login/')) return false;
    // What the browser calls location.origin for this page (see the header).
    const origin = `http://${req.headers.host ?? 'localhost'}`.toLowerCase();
    if (path === '/api/login/challenge') {
      if (req.method !== 'GET') return json(res, 405, { ok: false, code: 'MethodNotAllowed' }, { Allow: 'GET' }), true;
      try {
        json(res, 200, createChallenge({ secret, origin, now: now() }));
      } catch {
        json(res, 400, { ok: false, code: 'BadHost' });
      }
      return true;
    }
    if (path === '/api/login/verify') {
      if (req.method !== 'POST') return json(res, 405, { ok: false, code: 'MethodNotAllowed' }, { Allow: 'POST' }), true;
      const body = await readBody(req);
      if (body === undefined) return json(res, 413, { ok: false, code: 'TooLarge' }), true;
      let response: unknown;
      try {
        response = JSON.parse(body);
      } catch {
        return json(res, 400, { ok: false, code: 'BadJson' }), true;
      }
      try {
        const result = await verifyLogin({ secret, origin, response, store, now: now() });
        json(res, 200, { ok: true, publicKey: result.publicKey, address: result.address, identityUri: result.identityUri });
      } catch (error) {
        if (error instanceof LoginRejectedError) json(res, 401, { ok: false, code: error.code, reason: error.reason, message: error.message });
        else json(res, 400, { ok: false, code: isTrezorError(error) ? error.code : 'Error' });
      }
      return true;
    }
    json(res, 404, { ok: false, code: 'NotFound' });
    return true;
  };
}
