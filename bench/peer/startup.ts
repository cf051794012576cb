/**
 * "Node start → first Features": fresh processes, timed by the parent from spawn() to the
 * child's "features …" line. trezor-direct's probes (startup-bitcoin.ts, startup-ethereum.ts)
 * are bundled once with esbuild into .bench/ (every module of src kept, no tree shaking, the
 * npm dependencies left to Node as an installed package leaves them), so that the figure is
 * Node loading JavaScript, not tsx compiling TypeScript. trezorlib's probe is
 * `trezorlib_driver.py --startup`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DRIVER, PYTHON } from './trezorlib.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${ROOT}.bench`;

export interface StartupProbe {
  id: string;
  command: string;
  args: string[];
}

/** Bundle trezor-direct's two probes; returns the probes for `address` (host:port). */
export async function startupProbes(address: string, withPython: boolean): Promise<StartupProbe[]> {
  mkdirSync(OUT, { recursive: true });
  const probes: StartupProbe[] = [];
  for (const [id, entry] of [
    ['start-btc', 'startup-bitcoin'],
    ['start-eth', 'startup-ethereum'],
  ] as const) {
    const outfile = `${OUT}/${entry}.mjs`;
    await build({
      entryPoints: [fileURLToPath(new URL(`./${entry}.ts`, import.meta.url))],
      outfile,
      bundle: true,
      treeShaking: false,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    });
    probes.push({ id, command: process.execPath, args: [outfile, address] });
  }
  if (withPython) probes.push({ id: 'start-python', command: PYTHON, args: [DRIVER, '--startup', address] });
  return probes;
}

/** One fresh process: ms from spawn() to its "features" line (the process then exits on its own). */
export function timeStartup(probe: StartupProbe): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(probe.command, probe.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let elapsed: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (elapsed === undefined && output.includes('features ')) elapsed = performance.now() - start;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (elapsed !== undefined && code === 0) resolve(elapsed);
      else reject(new Error(`${probe.id}: exited with ${code} before the first Features (${output.trim()})`));
    });
  });
}
