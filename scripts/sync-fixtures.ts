/**
 * Keeps test/fixtures/ (the data the tests read, committed so a clone is self-contained) in
 * step with its upstream copy, ../shared beside the repository.
 *
 *   npx tsx scripts/sync-fixtures.ts            copy upstream → test/fixtures (files upstream no
 *                                               longer has are removed; SOURCES.md is ours)
 *   npx tsx scripts/sync-fixtures.ts --check    list what differs; exit 1 on any drift
 *   … --from <dir>                              another upstream folder instead of ../shared
 *
 * Exit codes: 0 in step (or copied), 1 drift found by --check, 2 bad usage or no upstream.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures');

/** Upstream path → path under test/fixtures (a file or a whole folder). */
const MAPPING: [string, string][] = [
  ['vectors/slip14.json', 'vectors/slip14.json'],
  ['vectors/btc-complete.json', 'vectors/btc-complete.json'],
  ['transcripts', 'transcripts'],
  ['transcripts-t2t1', 'transcripts-t2t1'],
];

/** Every file under `path` (or `path` itself), relative to `base`; none when absent. */
function files(base: string, path: string): string[] {
  const full = join(base, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full)
    .sort()
    .flatMap((name) => files(base, join(path, name)));
}

interface Drift {
  added: string[];
  changed: string[];
  removed: string[];
}

function compare(upstream: string): Drift {
  const drift: Drift = { added: [], changed: [], removed: [] };
  for (const [from, to] of MAPPING) {
    const theirs = files(upstream, from).map((f) => join(to, relative(from, f)));
    const ours = new Set(files(FIXTURES, to));
    for (const file of theirs) {
      const source = join(upstream, from, relative(to, file));
      if (!ours.has(file)) drift.added.push(file);
      else if (!readFileSync(source).equals(readFileSync(join(FIXTURES, file)))) drift.changed.push(file);
      ours.delete(file);
    }
    drift.removed.push(...ours);
  }
  return drift;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const fromAt = argv.indexOf('--from');
  const unknown = argv.filter((a, i) => a !== '--check' && a !== '--from' && (fromAt < 0 || i !== fromAt + 1));
  if (unknown.length || (fromAt >= 0 && !argv[fromAt + 1])) {
    console.error(`usage: npx tsx scripts/sync-fixtures.ts [--check] [--from <dir>]${unknown.length ? ` (unknown: ${unknown.join(' ')})` : ''}`);
    return 2;
  }
  const upstream = resolve(fromAt >= 0 ? argv[fromAt + 1]! : join(ROOT, '../shared'));
  const missing = MAPPING.map(([from]) => from).filter((from) => !existsSync(join(upstream, from)));
  if (missing.length) {
    console.error(`upstream ${upstream} lacks ${missing.join(', ')}: nothing to ${check ? 'check against' : 'copy'}`);
    return 2;
  }

  const drift = compare(upstream);
  const total = drift.added.length + drift.changed.length + drift.removed.length;
  const list = (label: string, names: string[]) => names.forEach((n) => console.log(`  ${label} ${n}`));
  if (check) {
    if (!total) {
      console.log(`test/fixtures matches ${upstream}`);
      return 0;
    }
    console.log(`test/fixtures differs from ${upstream} (${total} files; run npx tsx scripts/sync-fixtures.ts):`);
    list('new upstream:    ', drift.added);
    list('changed upstream:', drift.changed);
    list('gone upstream:   ', drift.removed);
    return 1;
  }

  for (const file of [...drift.added, ...drift.changed]) {
    const [from, to] = MAPPING.find(([, t]) => file === t || file.startsWith(`${t}/`))!;
    const target = join(FIXTURES, file);
    mkdirSync(dirname(target), { recursive: true });
    // Not copyFileSync: it would carry over the upstream's read-only mode.
    writeFileSync(target, readFileSync(join(upstream, from, relative(to, file))));
  }
  for (const file of drift.removed) rmSync(join(FIXTURES, file));
  console.log(
    `copied ${upstream} → test/fixtures: ${drift.added.length} added, ${drift.changed.length} changed, ${drift.removed.length} removed`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
