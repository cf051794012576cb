/**
 * `npm run bench`: prints figures and ratios (never pass/fail). Each benchmark module exports
 * run(); coin benchmarks are loaded when their module exists. The virtual device's speed
 * (virtual.ts) always runs; its comparison with an official emulator (emulator.ts) runs when
 * TREZOR_EMULATOR points at a seeded one.
 */
import { existsSync } from 'node:fs';
import { run as codec } from './codec.js';
import { run as framing } from './framing.js';

framing();
codec();
for (const name of ['bitcoin', 'bitcoin-speed', 'ethereum', 'virtual', 'emulator']) {
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(file)) continue;
  const mod = (await import(file.href)) as { run?: () => Promise<void> | void };
  if (mod.run) await mod.run();
}
