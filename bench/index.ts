/**
 * `npm run bench`: prints figures and ratios (never pass/fail). Each benchmark module exports
 * run(); coin benchmarks are loaded when their module exists.
 */
import { existsSync } from 'node:fs';
import { run as framing } from './framing.js';

framing();
for (const name of ['bitcoin']) {
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(file)) continue;
  const mod = (await import(file.href)) as { run?: () => Promise<void> | void };
  if (mod.run) await mod.run();
}
