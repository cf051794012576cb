/**
 * `npm run test:package`: the package as a user gets it, installed into fresh apps.
 *
 * Unit tests import src/; users import the packed tarball next to their own ethers,
 * @scure/btc-signer, Vite and TypeScript. What only shows there: a second nested ethers (and
 * the `'#private'` type errors it brings), a peer range that npm refuses, declarations that do
 * not type-check under `strict`, README examples that no longer match the API, Node built-ins
 * that a browser bundle drags in. So this script:
 *
 * 1. builds (unless --no-build) and checks dist/: every bare import is a dependency, a peer or
 *    a `node:` built-in (nothing bundled, peers external), and the core entry reaches neither
 *    ethers nor @scure/btc-signer;
 * 2. `npm pack`s and reports the tarball's contents and unpacked size;
 * 3. for each app in APPS: installs the tarball with those ethers / btc-signer versions,
 *    Vite 8 and TypeScript 5.9; checks `npm ls` shows one ethers and one btc-signer;
 *    type-checks every ```ts block of the installed README under `strict` (bundler and
 *    nodenext resolution; the latest app also with the latest TypeScript, 7 today); runs the
 *    blocks marked `<!-- run -->` with Node; builds a page
 *    importing trezor-direct, /bitcoin, /ethereum and /testing with Vite, and fails on any
 *    warning.
 *
 * Prints what it checked; exits 1 when anything failed.
 * CLI: tsx scripts/check-package.ts [--no-build] [--keep] [--app floor|ethers-6.13|latest]
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { blockModule, readmeBlocks, readmeLine, type ReadmeBlock } from './readme-blocks.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface App {
  name: string;
  ethers: string;
  btcSigner: string;
  /** Type-check the README again with this TypeScript after the 5.9 run. */
  alsoTypescript?: string;
}

/** The lowest versions package.json's peer ranges admit, the one the issue reported, the latest. */
const APPS: App[] = [
  { name: 'floor', ethers: '6.8.0', btcSigner: '1.8.1' },
  { name: 'ethers-6.13', ethers: '~6.13.0', btcSigner: '1.8.1' },
  { name: 'latest', ethers: 'latest', btcSigner: 'latest', alsoTypescript: 'latest' },
];
// viem and @wagmi/core: the README's trezor-direct/viem and /wagmi blocks import them.
const TOOLS = ['vite@^8', 'typescript@~5.9', '@types/node', 'viem@^2', '@wagmi/core@^2'];

const { values: flags } = parseArgs({
  options: { 'no-build': { type: 'boolean' }, keep: { type: 'boolean' }, app: { type: 'string', multiple: true } },
});

const failures: string[] = [];
const started = Date.now();

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function ok(what: string, since?: number): void {
  console.log(`  ok    ${what}${since === undefined ? '' : `  (${seconds(since)})`}`);
}

function fail(what: string, details = ''): void {
  failures.push(what);
  console.log(`  FAIL  ${what}`);
  if (details) console.log(details.replace(/^/gm, '        '));
}

/** Run a command; returns its output, or undefined after recording a failure. */
function run(what: string, cmd: string, args: string[], options: SpawnSyncOptions & { quiet?: boolean } = {}): string | undefined {
  const since = Date.now();
  const result = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000, ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    fail(`${what} (exit ${result.status ?? result.signal})`, output.trim().split('\n').slice(-40).join('\n'));
    return undefined;
  }
  if (!options.quiet) ok(what, since);
  return output;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

interface PackageJson {
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports: Record<string, string | { types?: string; import?: string }>;
}

const pkg = readJson<PackageJson>(join(root, 'package.json'));

// ---------------------------------------------------------------------------------------------
// 1. dist/: what the built modules import

/** The package a bare specifier names ('@scure/btc-signer/utils.js' → '@scure/btc-signer'). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    found.add((m[1] ?? m[2] ?? m[3])!);
  }
  return [...found];
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

/** Packages reached by the static import graph from one dist file. */
function packagesReached(entry: string): Set<string> {
  const reached = new Set<string>();
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec));
      else reached.add(packageOf(spec));
    }
  }
  return reached;
}

function checkDist(): void {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'index.js'))) return fail('dist/ exists (run without --no-build)');
  const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const builtins = new Set(builtinModules);
  const bad: string[] = [];
  const files = jsFiles(dist);
  for (const file of files) {
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        if (!existsSync(resolve(dirname(file), spec))) bad.push(`${relative(root, file)}: ${spec} does not exist`);
      } else if (spec.startsWith('node:')) {
        if (!builtins.has(spec.slice(5))) bad.push(`${relative(root, file)}: unknown built-in ${spec}`);
      } else if (builtins.has(spec)) bad.push(`${relative(root, file)}: ${spec} without the node: prefix`);
      else if (!allowed.has(packageOf(spec))) bad.push(`${relative(root, file)}: ${spec} is neither a dependency nor a peer`);
    }
  }
  if (bad.length) fail('dist imports only dependencies, peers and node: built-ins', bad.join('\n'));
  else ok(`dist: ${files.length} modules import only dependencies, peers (external, not bundled) and node: built-ins`);

  // Browser entries (all but ./node and ./testing/node) must not reach Node built-ins, statically
  // or through an import() with a literal specifier (what a bundler follows).
  const forbidden: Record<string, string[]> = {
    '.': ['ethers', '@scure/btc-signer', 'usb'],
    './bitcoin': ['ethers', 'usb'],
    './ethereum': ['@scure/btc-signer', 'usb'],
    './testing': ['usb'],
  };
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || !target.import) continue;
    const reached = packagesReached(join(root, target.import));
    const browser = key !== './node' && key !== './testing/node';
    const wrong = [...(forbidden[key] ?? []).filter((p) => reached.has(p)), ...(browser ? [...reached].filter((p) => p.startsWith('node:')) : [])];
    const label = `trezor-direct${key.slice(1)}`;
    const list = [...reached].sort().join(', ') || 'no packages';
    if (wrong.length) fail(`${label} must not import ${wrong.join(', ')}`, `reaches: ${list}`);
    else ok(`${label} reaches ${list}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. npm pack

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

function pack(into: string): string | undefined {
  const out = run('npm pack', 'npm', ['pack', '--json', '--pack-destination', into], { cwd: root, quiet: true });
  if (out === undefined) return undefined;
  const result = (JSON.parse(out.slice(out.indexOf('['))) as PackResult[])[0]!;
  const paths = result.files.map((f) => f.path);
  const required = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];
  const missing = required.filter((p) => !paths.includes(p));
  const stray = paths.filter((p) => p.endsWith('.map') || /^(src|test|scripts|node_modules)\//.test(p));
  ok(`npm pack: ${result.filename}, ${result.files.length} files, ${result.size} B packed, ${result.unpackedSize} B unpacked`);
  if (missing.length) fail('tarball has package.json, README.md, LICENSE and dist/', `missing: ${missing.join(', ')}`);
  if (stray.length) fail('tarball holds no source maps, sources or tests', stray.slice(0, 20).join('\n'));
  return join(into, result.filename);
}

// ---------------------------------------------------------------------------------------------
// 3. fresh apps

function installedVersion(app: string, name: string): string {
  const file = join(app, 'node_modules', name, 'package.json');
  return existsSync(file) ? readJson<{ version: string }>(file).version : 'missing';
}

/** Where `name` is installed in the app's tree (one path per copy). */
function copies(app: string, name: string): string[] {
  const result = spawnSync('npm', ['ls', name, '--all', '--parseable'], { cwd: app, encoding: 'utf8' });
  return [...new Set(result.stdout.split('\n').filter((l) => l.trim()))].map((p) => relative(app, p));
}

const TSCONFIG_BASE = {
  strict: true,
  target: 'ES2022',
  lib: ['ES2022', 'DOM', 'DOM.Iterable'],
  types: ['node'],
  isolatedModules: true,
  skipLibCheck: false,
};

/** `readme/block-108.ts(41,5): error TS…` → `README.md:148:5: error TS…`. */
function mapDiagnostics(output: string, blocks: ReadmeBlock[]): string {
  return output.replace(/readme\/block-(\d+)\.ts\((\d+),(\d+)\)/g, (all, line: string, row: string, col: string) => {
    const block = blocks.find((b) => b.line === Number(line));
    const at = block && readmeLine(block, Number(row) - 1);
    return at === undefined ? `${all} (prelude)` : `README.md:${at}:${col}`;
  });
}

function checkReadme(app: string, label: string, alsoTypescript?: string): void {
  const all = readmeBlocks(readFileSync(join(app, 'node_modules/trezor-direct/README.md'), 'utf8'));
  const blocks = all.filter((b) => b.lang === 'ts');
  const compiled = blocks.filter((b) => !b.skip);
  mkdirSync(join(app, 'readme'), { recursive: true });
  for (const block of compiled) writeFileSync(join(app, 'readme', `block-${block.line}.ts`), blockModule(block).text);
  for (const block of blocks.filter((b) => b.skip)) console.log(`  skip  README.md:${block.line}: ${block.skip}`);

  const configs = {
    bundler: { ...TSCONFIG_BASE, module: 'ESNext', moduleResolution: 'bundler', outDir: 'build', rootDir: 'readme' },
    nodenext: { ...TSCONFIG_BASE, module: 'nodenext', moduleResolution: 'nodenext', noEmit: true },
  };
  const typecheck = () => {
    const version = installedVersion(app, 'typescript');
    for (const [name, compilerOptions] of Object.entries(configs)) {
      writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, include: ['readme'] }, null, 2));
      const result = spawnSync('npx', ['tsc', '-p', `tsconfig.${name}.json`], { cwd: app, encoding: 'utf8' });
      const what = `README blocks type-check with TypeScript ${version} (strict, ${name} resolution, skipLibCheck off)`;
      if (result.status === 0) ok(`${label}: ${compiled.length} ${what}`);
      else fail(`${label}: ${what}`, mapDiagnostics(`${result.stdout}${result.stderr}`, blocks).trim());
    }
  };
  typecheck();

  for (const block of compiled.filter((b) => b.run)) {
    const js = join(app, 'build', `block-${block.line}.js`);
    if (!existsSync(js)) {
      fail(`${label}: README.md:${block.line} runs`, 'not compiled');
      continue;
    }
    const since = Date.now();
    const result = spawnSync('node', [js], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    const output = `${result.stdout}${result.stderr}`.trim();
    if (result.status === 0) ok(`${label}: README.md:${block.line} runs in Node`, since);
    else fail(`${label}: README.md:${block.line} runs in Node (exit ${result.status ?? result.signal})`, output.split('\n').slice(-20).join('\n'));
  }

  // JavaScript blocks marked to run (the CommonJS example), from the file name they give.
  for (const block of all.filter((b) => b.lang === 'js' && b.run)) {
    const file = join(app, block.runAs || `block-${block.line}.mjs`);
    writeFileSync(file, block.code);
    const since = Date.now();
    const result = spawnSync('node', [file], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    if (result.status === 0) ok(`${label}: README.md:${block.line} runs in Node as ${relative(app, file)}`, since);
    else fail(`${label}: README.md:${block.line} runs as ${relative(app, file)}`, `${result.stdout}${result.stderr}`.trim().split('\n').slice(-20).join('\n'));
  }

  if (alsoTypescript) {
    const swapped = run(`${label} npm install typescript@${alsoTypescript}`, 'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `typescript@${alsoTypescript}`], { cwd: app, quiet: true });
    if (swapped !== undefined) typecheck();
  }
}

/** The README says require() fails with ERR_PACKAGE_PATH_NOT_EXPORTED: hold it to that. */
function checkRequire(app: string, label: string): void {
  const probe = "try { require('trezor-direct'); console.log('loaded') } catch (e) { console.log(e.code) }";
  const code = spawnSync('node', ['-e', probe], { cwd: app, encoding: 'utf8' }).stdout.trim();
  if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') ok(`${label} require('trezor-direct') fails with ${code}, as the README says`);
  else fail(`${label} require('trezor-direct') fails with ERR_PACKAGE_PATH_NOT_EXPORTED`, `got: ${code}`);
}

const VITE_BUILD = `// Builds index.html with Vite and records every warning (logger and bundler) in warnings.json.
import { writeFileSync } from 'node:fs';
import { build, createLogger } from 'vite';
const warnings = [];
const logger = createLogger('info');
const { warn, warnOnce } = logger;
logger.warn = (msg, options) => { warnings.push(msg); warn(msg, options); };
logger.warnOnce = (msg, options) => { warnings.push(msg); warnOnce(msg, options); };
const onwarn = (warning) => { warnings.push(typeof warning === 'string' ? warning : warning.message); };
try {
  await build({ customLogger: logger, build: { chunkSizeWarningLimit: 100_000, rolldownOptions: { onwarn } } });
} finally {
  writeFileSync('warnings.json', JSON.stringify(warnings, null, 2));
}
`;

const PAGE_MAIN = `// Every export of the four browser entries, so the bundle keeps all of them.
import * as core from 'trezor-direct';
import * as bitcoin from 'trezor-direct/bitcoin';
import * as ethereum from 'trezor-direct/ethereum';
import * as testing from 'trezor-direct/testing';
const entries = { core, bitcoin, ethereum, testing };
document.body.textContent = Object.entries(entries).map(([name, m]) => name + ': ' + Object.keys(m).length).join(', ');
`;

function checkVite(app: string, label: string): void {
  writeFileSync(join(app, 'index.html'), '<!doctype html>\n<html><body><script type="module" src="/main.ts"></script></body></html>\n');
  writeFileSync(join(app, 'main.ts'), PAGE_MAIN);
  writeFileSync(join(app, 'vite-build.mjs'), VITE_BUILD);
  const since = Date.now();
  const result = spawnSync('node', ['vite-build.mjs'], { cwd: app, encoding: 'utf8', timeout: 10 * 60_000 });
  const warnings = existsSync(join(app, 'warnings.json')) ? readJson<string[]>(join(app, 'warnings.json')) : [];
  if (result.status !== 0) {
    fail(`${label}: vite build`, `${result.stdout}${result.stderr}`.trim().split('\n').slice(-30).join('\n'));
    return;
  }
  const assets = join(app, 'dist', 'assets');
  const sizes = existsSync(assets) ? readdirSync(assets).map((f) => `${f} ${readFileSync(join(assets, f)).length} B`) : [];
  if (warnings.length) fail(`${label}: vite build of trezor-direct, /bitcoin, /ethereum, /testing without warnings`, warnings.join('\n'));
  else ok(`${label}: vite build of trezor-direct, /bitcoin, /ethereum, /testing: no warnings (${sizes.join(', ')})`, since);
}

function checkApp(base: string, tarball: string, app: App): void {
  const dir = join(base, `app-${app.name}`);
  const label = `[${app.name}]`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `app-${app.name}`, private: true, type: 'module' }, null, 2));
  console.log(`\n${label} ethers@${app.ethers}, @scure/btc-signer@${app.btcSigner}, ${TOOLS.join(', ')}`);
  const installed = run(
    `${label} npm install`,
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball, `ethers@${app.ethers}`, `@scure/btc-signer@${app.btcSigner}`, ...TOOLS],
    { cwd: dir },
  );
  if (installed === undefined) return;
  const versions = ['trezor-direct', 'ethers', '@scure/btc-signer', '@noble/curves', 'vite', 'typescript'].map((n) => `${n} ${installedVersion(dir, n)}`);
  console.log(`        installed: ${versions.join(', ')}`);

  for (const name of ['ethers', '@scure/btc-signer']) {
    const found = copies(dir, name);
    if (found.length === 1) ok(`${label} one copy of ${name} (${found[0]})`);
    else fail(`${label} one copy of ${name}`, found.join('\n') || 'none');
  }
  const noble = copies(dir, '@noble/curves');
  const nobleVersions = noble.map((p) => `${p} ${readJson<{ version: string }>(join(dir, p, 'package.json')).version}`);
  console.log(`        @noble/curves copies: ${noble.length} (${nobleVersions.join(', ')})`);
  const ls = spawnSync('npm', ['ls', '--all'], { cwd: dir, encoding: 'utf8' });
  if (ls.status === 0) ok(`${label} npm ls: no missing or invalid packages (peer ranges satisfied)`);
  else fail(`${label} npm ls`, `${ls.stdout}${ls.stderr}`.split('\n').filter((l) => /invalid|missing|ERR/.test(l)).join('\n'));

  checkRequire(dir, label);
  checkReadme(dir, label, app.alsoTypescript);
  checkVite(dir, label);
}

// ---------------------------------------------------------------------------------------------

console.log(`trezor-direct ${pkg.version}: package check`);
if (!flags['no-build']) run('npm run build', 'npm', ['run', 'build'], { cwd: root });
checkDist();
const base = mkdtempSync(join(tmpdir(), 'trezor-direct-package-'));
try {
  const tarball = pack(base);
  if (tarball) {
    const selected = flags.app?.length ? APPS.filter((a) => flags.app!.includes(a.name)) : APPS;
    for (const app of selected) checkApp(base, tarball, app);
  }
} finally {
  if (flags.keep) console.log(`\nkept ${base}`);
  else rmSync(base, { recursive: true, force: true });
}
console.log(`\n${failures.length ? `FAILED: ${failures.length} check(s)` : 'all package checks passed'} in ${seconds(started)}`);
for (const f of failures) console.log(`  - ${f}`);
process.exitCode = failures.length ? 1 : 0;
