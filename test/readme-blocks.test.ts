// The README block reader (scripts/readme-blocks.ts) that test/readme.test.ts and the package
// check share: which blocks it finds, how it reads the markers above them, and that a typo in a
// marker is an error rather than a silently dropped or unchecked block.
import { describe, expect, it } from 'vitest';
import { blockModule, readmeBlocks, readmeLine } from '../scripts/readme-blocks.js';

const sample = [
  '# Title', //                                            1
  '', //                                                   2
  '```sh', //                                              3
  'npm i trezor-direct', //                                4
  '```', //                                                5
  '<!-- prelude: declare const a: number;', //             6
  'declare const b: string; -->', //                       7
  '', //                                                   8
  '```ts', //                                              9
  'console.log(a, b);', //                                10
  '```', //                                               11
  '<!-- run -->', //                                      12
  '```typescript', //                                     13
  'const x = 1;', //                                      14
  'console.log(x);', //                                   15
  '```', //                                               16
  '<!-- not compiled: a signature sketch -->', //         17
  '```ts', //                                             18
  'f(a?, b?)', //                                         19
  '```', //                                               20
  '<!-- run: main.cjs -->', //                            21
  '```js', //                                             22
  "require('x');", //                                     23
  '```', //                                               24
  '```json', //                                           25
  '{}', //                                                26
  '```', //                                               27
].join('\n');

describe('readmeBlocks', () => {
  const blocks = readmeBlocks(sample);

  it('finds ts/typescript and js blocks, not sh or json, at their first code line', () => {
    expect(blocks.map((b) => [b.lang, b.line])).toEqual([
      ['ts', 10],
      ['ts', 14],
      ['ts', 19],
      ['js', 23],
    ]);
    expect(blocks[1]!.code).toBe('const x = 1;\nconsole.log(x);');
  });

  it('reads a prelude spanning lines, run (with a file name), and a skip with its reason', () => {
    expect(blocks[0]!.prelude).toBe('declare const a: number;\ndeclare const b: string;');
    expect(blocks.map((b) => b.run)).toEqual([false, true, false, true]);
    expect(blocks[3]!.runAs).toBe('main.cjs');
    expect(blocks[2]!.skip).toBe('a signature sketch');
    expect(blocks[0]!.skip).toBeUndefined();
  });

  it('maps module lines back to README lines, past the prelude', () => {
    const block = blocks[0]!;
    const { text, codeLine } = blockModule(block);
    expect(text.split('\n')[codeLine]).toBe('console.log(a, b);');
    expect(text.trimEnd().endsWith('export {};')).toBe(true);
    expect(readmeLine(block, codeLine)).toBe(10);
    expect(readmeLine(block, 0)).toBeUndefined();
    expect(readmeLine(blocks[1]!, 1)).toBe(15);
  });

  it('refuses an unknown marker, a skip without a reason and an unclosed block', () => {
    expect(() => readmeBlocks('<!-- prelued: x -->\n```ts\nx\n```')).toThrow(/unknown marker "prelued"/);
    expect(() => readmeBlocks('<!-- not compiled -->\n```ts\nx\n```')).toThrow(/needs a reason/);
    expect(() => readmeBlocks('```ts\nx\n')).toThrow(/unclosed/);
  });
});
