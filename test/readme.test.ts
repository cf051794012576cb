// Every TypeScript block of README.md compiles under `strict` against the library's source,
// imported by its package names (`trezor-direct`, `trezor-direct/bitcoin` …) through path
// mapping built from package.json "exports". Blocks get only the declarations their
// `<!-- prelude: … -->` gives them (scripts/readme-blocks.ts). The same blocks are compiled
// against the packed package in fresh apps by `npm run test:package`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { blockModule, readmeBlocks, readmeLine, type ReadmeBlock } from '../scripts/readme-blocks.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const blocks = readmeBlocks(readme).filter((b) => b.lang === 'ts');
const compiled = blocks.filter((b) => !b.skip);

/** `trezor-direct/x` → src file, from the "types" of each export (dist/x.d.ts → src/x.ts). */
function exportPaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { name: string; exports: Record<string, string | { types?: string }> };
  const paths: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || !target.types) continue;
    const source = target.types.replace(/^\.\/dist\//, './src/').replace(/\.d\.ts$/, '.ts');
    paths[key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`] = [source];
  }
  return paths;
}

const fileOf = (block: ReadmeBlock) => `${root}readme-block-${block.line}.ts`;

/** One program for all blocks; diagnostics of each block file, mapped to README lines. */
function diagnostics(): Map<ReadmeBlock, string[]> {
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
    baseUrl: root,
    paths: exportPaths(),
  };
  const sources = new Map(compiled.map((b) => [fileOf(b), blockModule(b).text]));
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (name) => sources.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => sources.get(name) ?? readFile(name);
  host.getSourceFile = (name, language, onError) =>
    sources.has(name) ? ts.createSourceFile(name, sources.get(name)!, language, true) : getSourceFile(name, language, onError);
  const program = ts.createProgram([...sources.keys()], options, host);
  const result = new Map<ReadmeBlock, string[]>();
  for (const block of compiled) {
    const file = program.getSourceFile(fileOf(block))!;
    const found = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    result.set(
      block,
      found.map((d) => {
        const where = d.start === undefined ? undefined : readmeLine(block, file.getLineAndCharacterOfPosition(d.start).line);
        return `README.md:${where ?? `${block.line} (prelude)`}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
  return result;
}

describe('README.md TypeScript blocks', () => {
  it('has blocks to check, each skip with its reason', () => {
    expect(compiled.length).toBeGreaterThanOrEqual(8);
    for (const block of blocks.filter((b) => b.skip)) console.log(`[skip] README.md:${block.line}: ${block.skip}`);
  });

  const found = compiled.length ? diagnostics() : new Map<ReadmeBlock, string[]>();
  for (const block of compiled) {
    const first = block.code.split('\n').find((l) => l.trim() && !l.trim().startsWith('//')) ?? '';
    it(`README.md:${block.line} compiles under strict (${first.trim().slice(0, 60)})`, () => {
      expect(found.get(block)).toEqual([]);
    });
  }
});
