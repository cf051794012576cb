/**
 * The TypeScript blocks of README.md, as modules a compiler can check. Shared by
 * test/readme.test.ts (against src/, through path mapping) and scripts/check-package.ts
 * (against the packed package installed in a fresh app), so both read the README the same way.
 *
 * A block is a fenced ```ts (or ```typescript) block; ```js blocks are listed too, but only
 * run (never type-checked) and only when marked. HTML comments on the lines right above the
 * fence (blank lines allowed) say how to treat a block; they do not render on GitHub or npm:
 *
 *   <!-- prelude: declare const trezor: Trezor; -->    declarations for the block's free names,
 *                                                      placed before it (may span lines)
 *   <!-- run -->                                       the package check also runs it in Node
 *   <!-- run: main.cjs -->                             … from a file of that name (js blocks)
 *   <!-- not compiled: why -->                         skipped, with the reason printed
 *
 * Each block becomes its own module (`export {}` appended), so top-level await works and
 * names do not clash between blocks.
 *
 * @example
 * for (const block of readmeBlocks(readFileSync('README.md', 'utf8'))) console.log(block.line, block.skip ?? 'compiled');
 */

export interface ReadmeBlock {
  /** The fence's language: 'ts' (also ```typescript) or 'js' (also ```javascript). */
  lang: 'ts' | 'js';
  /** 1-based README line of the block's first code line. */
  line: number;
  /** The code between the fences. */
  code: string;
  /** Declarations from `<!-- prelude: … -->`, '' when none. */
  prelude: string;
  /** Reason from `<!-- not compiled: … -->`. */
  skip?: string;
  /** Marked `<!-- run -->`: executed by the package check. */
  run: boolean;
  /** File name from `<!-- run: name -->`, '' when none was given. */
  runAs: string;
}

const FENCE = /^```\s*(ts|typescript|js|javascript)\b.*$/;
const COMMENT = /^<!--\s*([a-z ]+?)\s*(?::\s*([\s\S]*?))?\s*-->$/;

/**
 * The README's TypeScript and JavaScript blocks with their markers. Throws on an unknown marker, a skip
 * without a reason or an unclosed fence, so a typo cannot silently drop a block.
 */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  let inOtherFence = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (inOtherFence) {
      if (/^```\s*$/.test(text)) inOtherFence = false;
      continue;
    }
    const fence = FENCE.exec(text);
    if (!fence) {
      if (/^```/.test(text)) inOtherFence = true;
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const lang = fence[1]!.startsWith('t') ? 'ts' : 'js';
    const block: ReadmeBlock = { lang, line: i + 2, code: lines.slice(i + 1, end).join('\n'), prelude: '', run: false, runAs: '' };
    for (const marker of markersAbove(lines, i)) {
      if (marker.key === 'prelude') block.prelude = marker.value;
      else if (marker.key === 'run') {
        block.run = true;
        block.runAs = marker.value;
      }
      else if (marker.key === 'not compiled') {
        if (!marker.value) throw new Error(`README.md:${i + 1}: "not compiled" needs a reason`);
        block.skip = marker.value;
      } else throw new Error(`README.md:${i + 1}: unknown marker "${marker.key}"`);
    }
    blocks.push(block);
    i = end;
  }
  return blocks;
}

/** The `<!-- key: value -->` comments directly above line `fence` (blank lines allowed). */
function markersAbove(lines: string[], fence: number): { key: string; value: string }[] {
  const markers: { key: string; value: string }[] = [];
  let j = fence - 1;
  while (j >= 0) {
    if (lines[j]!.trim() === '') {
      j--;
      continue;
    }
    if (!lines[j]!.trimEnd().endsWith('-->')) break;
    let start = j;
    while (start >= 0 && !lines[start]!.trimStart().startsWith('<!--')) start--;
    if (start < 0) break;
    const comment = lines.slice(start, j + 1).join('\n').trim();
    const match = COMMENT.exec(comment);
    if (!match) throw new Error(`README.md:${start + 1}: unreadable marker ${comment}`);
    markers.unshift({ key: match[1]!, value: (match[2] ?? '').trim() });
    j = start - 1;
  }
  return markers;
}

/**
 * The block as a module: prelude, code, `export {}`. `codeLine` is the module line (0-based)
 * where the README code starts, to map a diagnostic back to a README line.
 */
export function blockModule(block: ReadmeBlock): { text: string; codeLine: number } {
  const prelude = block.prelude ? `${block.prelude}\n` : '';
  const codeLine = prelude ? prelude.split('\n').length - 1 : 0;
  return { text: `${prelude}${block.code}\nexport {};\n`, codeLine };
}

/** The README line of a 0-based module line, or undefined when it falls in the prelude. */
export function readmeLine(block: ReadmeBlock, moduleLine: number): number | undefined {
  const { codeLine } = blockModule(block);
  return moduleLine < codeLine ? undefined : block.line + moduleLine - codeLine;
}
