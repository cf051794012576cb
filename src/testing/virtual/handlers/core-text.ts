/**
 * How Core 2.4 puts a signed or verified message on the screen, shared by the Bitcoin and
 * Ethereum handlers because the firmware shares it too: apps/common/signverify.py
 * decode_message() and trezor/ui/layouts/tt.py confirm_signverify() → paginate_text().
 */

/**
 * decode_message(): the message as UTF-8 text, or `hex(…)` when it is not valid UTF-8.
 * @example coreMessageText(Uint8Array.of(0xff)) // 'hex(ff)'
 */
export function coreMessageText(message: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(message);
  } catch {
    let hex = '';
    for (const byte of message) hex += byte.toString(16).padStart(2, '0');
    return `hex(${hex})`;
  }
}

/**
 * Core 2.4's monospace paginated text (verify message): 17 characters a line, words wrapped,
 * a word longer than a line broken after 16 characters with a "-" token, 5 lines a page, the
 * title on every page. Pages separated by \f, lines by \n, as the virtual device's screen
 * takes them; this reproduces the DebugLinkLayout tokens recorded from the 2.4.1 emulator.
 * @example coreMonoPages('Verify ETH message', 'hello') // ['Verify ETH message\nhello']
 */
export function coreMonoPages(title: string, text: string): string[] {
  const LINE = 17;
  const lines: string[][] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length <= LINE) {
      current += ` ${word}`;
      continue;
    }
    if (current) lines.push([current]);
    let rest = word;
    while (rest.length > LINE) {
      lines.push([rest.slice(0, LINE - 1), '-']);
      rest = rest.slice(LINE - 1);
    }
    current = rest;
  }
  if (current || lines.length === 0) lines.push([current]);
  const pages: string[] = [];
  for (let i = 0; i < lines.length; i += 5) pages.push([title, ...lines.slice(i, i + 5).flat()].join('\n'));
  return pages;
}
