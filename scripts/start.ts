/**
 * `npm start`: build the example page (examples/web) and serve it on http://localhost:8080.
 *
 * The page is bundled by rollup straight from the library's TypeScript sources (src/), so what
 * you see runs the code in this checkout, not a published build. TypeScript is stripped by
 * esbuild inside a tiny rollup plugin (type checking is `npm test`'s job, and this keeps the
 * build to about a second); @rollup/plugin-node-resolve resolves the dependencies with their
 * browser entries.
 *
 * The server is deliberately small: node:http, GET/HEAD only, files under examples/web only
 * (no directory traversal, no dotfiles, no symlinks out of the root), explicit MIME types and a
 * Content-Security-Policy that allows nothing but this origin — the page has no remote code.
 * WebUSB and WebHID need a secure context; http://localhost is one. The one dynamic part is the
 * "Log in with Trezor" verifier under /api/login/ (./login-route.ts).
 *
 * The exception is the Trezor Connect fallback (offered only where the browser has neither
 * WebUSB nor WebHID): when the checkout has @trezor/connect-web installed, esbuild turns that
 * installed copy (CommonJS) into dist/vendor/trezor-connect-web.js, which the page imports on
 * the click, and the policy lets Connect's iframe come from connect.trezor.io (its popup is a
 * window of its own). Without it installed nothing is built and the page says how to install it.
 *
 * CLI:   tsx scripts/start.ts [--port 8080] [--host 127.0.0.1] [--no-build]
 * Tests: import { buildExample, startExampleServer } from '../scripts/start.js'
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { access, realpath, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import nodeResolve from '@rollup/plugin-node-resolve';
import { build, transform } from 'esbuild';
import { rollup, type Plugin } from 'rollup';
import { loginRoutes } from './login-route.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The directory the server exposes. */
export const EXAMPLE_ROOT = join(repoRoot, 'examples', 'web');

/** Strip TypeScript with esbuild; map the `./x.js` specifiers of the sources to `./x.ts`. */
function typescriptViaEsbuild(): Plugin {
  return {
    name: 'ts-esbuild',
    async resolveId(source, importer) {
      if (!importer || !importer.endsWith('.ts') || !source.startsWith('.') || !source.endsWith('.js')) return null;
      const candidate = resolve(dirname(importer), source.slice(0, -3) + '.ts');
      try {
        await access(candidate);
        return candidate;
      } catch {
        return null;
      }
    },
    async transform(code, id) {
      if (!id.endsWith('.ts')) return null;
      const out = await transform(code, { loader: 'ts', target: 'es2022', format: 'esm', sourcemap: true, sourcefile: id });
      return { code: out.code, map: out.map };
    },
  };
}

/** Minify the finished chunk (esbuild's minifier; rollup has none of its own). */
function minifyViaEsbuild(): Plugin {
  return {
    name: 'minify-esbuild',
    async renderChunk(code) {
      const out = await transform(code, { minify: true, target: 'es2022', format: 'esm', sourcemap: true });
      return { code: out.code, map: out.map };
    },
  };
}

/** Where the page imports Trezor Connect from (examples/web/main.ts uses the same path). */
const CONNECT_VENDOR_FILE = join('vendor', 'trezor-connect-web.js');

/**
 * Bundle this checkout's installed @trezor/connect-web into `dir`/vendor for the page's
 * Connect fallback, or return false when it is not installed. Its `require('events')` (a Node
 * built-in) goes to the page's own small EventEmitter (examples/web/events.ts).
 */
async function bundleTrezorConnect(dir: string, minify: boolean): Promise<boolean> {
  let entry: string;
  try {
    entry = createRequire(join(repoRoot, 'package.json')).resolve('@trezor/connect-web');
  } catch {
    return false;
  }
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(dir, CONNECT_VENDOR_FILE),
    minify,
    alias: { events: join(EXAMPLE_ROOT, 'events.ts') },
    logLevel: 'silent',
  });
  return true;
}

export interface BuildExampleOptions {
  /** Minify the bundle (default true). */
  minify?: boolean;
  /** Print warnings (default false: dependency warnings such as circular imports are noise here). */
  verbose?: boolean;
}

/**
 * Bundle examples/web/main.ts into examples/web/dist/ (main.js plus lazily loaded chunks).
 * @example await buildExample()
 */
export async function buildExample({ minify = true, verbose = false }: BuildExampleOptions = {}): Promise<{ file: string; bytes: number; trezorConnect: boolean }> {
  const bundle = await rollup({
    input: join(EXAMPLE_ROOT, 'main.ts'),
    // The virtual device loads node:dgram lazily for listenUdp(); the page never calls it.
    external: (id) => id.startsWith('node:'),
    plugins: [typescriptViaEsbuild(), nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js', '.json'] })],
    onwarn(warning, warn) {
      if (verbose) warn(warning);
    },
  });
  try {
    const dir = join(EXAMPLE_ROOT, 'dist');
    await rm(dir, { recursive: true, force: true });
    // The virtual device is a dynamic import in main.ts, so it lands in its own chunk and is
    // only downloaded when "Use virtual Trezor" is clicked.
    const { output } = await bundle.write({
      dir,
      entryFileNames: 'main.js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      format: 'esm',
      sourcemap: true,
      plugins: minify ? [minifyViaEsbuild()] : [],
    });
    const file = join(dir, 'main.js');
    const bytes = output.reduce((n, o) => n + (o.type === 'chunk' ? o.code.length : 0), 0);
    const trezorConnect = await bundleTrezorConnect(dir, minify);
    return { file, bytes, trezorConnect };
  } finally {
    await bundle.close();
  }
}

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * Only this origin: the page and its bundle. No inline script, no CDN, no eval. The one frame
 * allowed is Trezor Connect's iframe, used only by the fallback the user picks (see the header).
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src https://connect.trezor.io; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Map a request path to a file under `root`, or undefined when it may not be served. */
export async function resolveRequestPath(root: string, urlPath: string): Promise<string | undefined> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(urlPath, 'http://localhost').pathname);
  } catch {
    return undefined; // malformed escapes
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return undefined;
  if (pathname.endsWith('/')) pathname += 'index.html';
  // No hidden files or directories, and no '..' segments even if URL parsing left one.
  if (pathname.split('/').some((segment) => segment.startsWith('.'))) return undefined;
  const file = resolve(root, '.' + pathname);
  if (!file.startsWith(root + sep)) return undefined;
  // A symlink inside the root must not lead out of it.
  try {
    const real = await realpath(file);
    const realRoot = await realpath(root);
    if (!real.startsWith(realRoot + sep)) return undefined;
    return real;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text + '\n');
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse, login: ReturnType<typeof loginRoutes>): Promise<void> {
  if (await login(req, res)) return;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'Method not allowed');
  }
  const file = await resolveRequestPath(root, req.url ?? '/');
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info) return send(res, 404, 'Not found');
  if (info.isDirectory()) {
    // Collapse repeated slashes: '/a/..//dist' has the pathname '//dist', and a Location of
    // '//dist/' would send the browser to the host "dist" (an open redirect).
    const location = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/{2,}/g, '/') + '/';
    res.writeHead(301, { Location: location });
    return void res.end();
  }
  if (!info.isFile()) return send(res, 404, 'Not found');
  res.writeHead(200, {
    'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'Referrer-Policy': 'no-referrer',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

export interface ExampleServerOptions {
  /** TCP port (default 8080; 0 picks a free one). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1: the page is for this machine only). */
  host?: string;
  /** Build the page first (default true). */
  build?: boolean;
  /** Directory to serve (default examples/web). */
  root?: string;
}

export interface ExampleServer {
  /** http://localhost:<port>/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Build the example page and serve it. Resolves once the server listens.
 * @example const server = await startExampleServer({ port: 0 }); await page.goto(server.url); await server.close()
 */
export async function startExampleServer({ port = 8080, host = '127.0.0.1', build = true, root = EXAMPLE_ROOT }: ExampleServerOptions = {}): Promise<ExampleServer> {
  if (build) await buildExample();
  const login = loginRoutes();
  const server = createServer((req, res) => {
    handle(root, req, res, login).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '127.0.0.1' || host === '::1' || host === 'localhost' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${actual}/`,
    port: actual,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0..65535, got ${values.port}`);
  if (!values['no-build']) {
    const started = Date.now();
    const { bytes, trezorConnect } = await buildExample();
    console.log(`built examples/web/dist (${Math.round(bytes / 1024)} kB of JavaScript) in ${Date.now() - started} ms`);
    console.log(
      trezorConnect
        ? 'Trezor Connect fallback (browsers without WebUSB/WebHID): bundled from node_modules/@trezor/connect-web'
        : 'Trezor Connect fallback: @trezor/connect-web is not installed (npm install @trezor/connect-web to offer it)',
    );
  }
  let server: ExampleServer;
  try {
    server = await startExampleServer({ port, host: values.host, build: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${port} is in use: try npm start -- --port ${port + 1}`);
    throw e;
  }
  console.log(`trezor-direct example page: ${server.url}`);
  console.log('Open it in Chrome, Edge or another Chromium browser; "Use virtual Trezor" needs no hardware. Ctrl+C stops.');
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
