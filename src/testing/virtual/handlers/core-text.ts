/**
 * How Core puts a signed or verified message on the screen, shared by the Bitcoin and Ethereum
 * handlers because the firmware shares it too: apps/common/signverify.py decode_message(),
 * 2.4's trezor/ui/layouts/tt.py confirm_signverify() → paginate_text(), and 2.8.9's
 * confirm_signverify() of each layout (trezor/ui/layouts/{bolt,caesar,delizia}).
 */
import { fail, type DeviceContext } from '../context.js';
import { messagePages, namesScreens, screen } from '../screens.js';

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

/**
 * Core 2.8.9 confirm_signverify(): the address, then the message, both named 'sign_message'
 * ('verify_message' when verifying), code Other. A "no" on the address ends the flow on the
 * Safe 3; on the Model T and the Safe 5 it puts up "Address mismatch?" (no ButtonRequest),
 * whose "yes" ends the flow and whose "no" shows the address again. A "no" on the message goes
 * back to the address on the Safe 3 and ends the flow elsewhere.
 * @example await confirmSignVerify(ctx, { address, message: coreMessageText(bytes), verify: false })
 */
export async function confirmSignVerify(ctx: DeviceContext, { address, message, verify }: { address: string; message: string; verify: boolean }): Promise<void> {
  const layout = ctx.layout;
  if (!namesScreens(layout)) throw new Error(`confirmSignVerify: ${layout} has its own screens`);
  const name = verify ? 'verify_message' : 'sign_message';
  const messageScreen = { text: `Confirm message\n${message}`, ...screen(ctx, name, messagePages(layout, message.length)) };
  for (;;) {
    const shown = await ctx.confirm('ButtonRequest_Other', { text: `${verify ? 'Verify' : 'Confirm'} address\n${address}`, ...screen(ctx, name), allowNo: true });
    if (shown === false) {
      if (layout === 'Caesar' || (await ctx.popup('Address mismatch?'))) fail('Failure_ActionCancelled', 'Cancelled');
      continue;
    }
    if (layout !== 'Caesar') {
      await ctx.confirm('ButtonRequest_Other', messageScreen);
      return;
    }
    if ((await ctx.confirm('ButtonRequest_Other', { ...messageScreen, allowNo: true })) !== false) return;
  }
}
