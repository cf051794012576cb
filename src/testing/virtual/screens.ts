/**
 * The screens of Core 2.8.9 as the host sees them: the name and page count of each
 * ButtonRequest, per layout — 'Bolt' (Model T), 'Caesar' (Safe 3), 'Delizia' (Safe 5). Firmware
 * before 2.8.1 sends no name, and pages only for a paginated screen; 2.8.9 sends both on every
 * ButtonRequest (core/src/trezor/ui/__init__.py: pages = the layout's page_count()). Handlers
 * name their screens through screen(), which says nothing on the older layouts, so one call
 * serves every model.
 *
 * Names come from the firmware (core/src/apps/**, core/src/trezor/ui/layouts/{bolt,caesar,
 * delizia} at core/v2.8.9); page counts from the recordings of the official 2.8.9 emulators
 * (test/fixtures/transcripts-{t2t1,t2b1,t3t1}-2.8.9). The firmware computes page counts by laying
 * out the text in its fonts, which is not reproduced here: where a count depends on the text
 * (a message to sign), the rules below fit the recorded vectors and are approximations beyond.
 */
import type { Layout } from './context.js';

/** The layouts of Core 2.8.9. */
export type CurrentLayout = 'Bolt' | 'Caesar' | 'Delizia';

/** A page count per 2.8.9 layout. */
export type PerLayout = Readonly<Record<CurrentLayout, number>>;

/**
 * Does this layout name its screens (Core 2.8.9)?
 * @example namesScreens('UI1') // false
 */
export function namesScreens(layout: Layout): layout is CurrentLayout {
  return layout === 'Bolt' || layout === 'Caesar' || layout === 'Delizia';
}

/**
 * ConfirmOptions for a screen of 2.8.9: its name and page count on the device's layout, nothing
 * on the older ones.
 * @example await ctx.confirm('ButtonRequest_WipeDevice', { text, ...screen(ctx, 'confirm_wipe', { Bolt: 1, Caesar: 2, Delizia: 2 }) })
 */
export function screen(ctx: { readonly layout: Layout }, name: string, pages: number | PerLayout = 1): { name?: string; pages?: number } {
  if (!namesScreens(ctx.layout)) return {};
  return { name, pages: typeof pages === 'number' ? pages : pages[ctx.layout] };
}

/**
 * The same value picked per layout, e.g. a ButtonRequest code that changed in 2.8.9.
 * @example byLayout(ctx, { old: 'ButtonRequest_ProtectCall', current: 'ButtonRequest_Other' })
 */
export function byLayout<T>(ctx: { readonly layout: Layout }, choices: { old: T; current: T }): T {
  return namesScreens(ctx.layout) ? choices.current : choices.old;
}

/**
 * Pages of a message shown for signing (confirm_signverify's confirm_value): the Safe 3's
 * 128×64 screen holds about 64 characters a page, the Model T's one page holds the recorded
 * messages (up to 100 characters), and the Safe 5 adds its hold-to-sign prompt as a page.
 * Fits the SLIP-14 sign-message vectors recorded on 2.8.9 (9 to 100 characters).
 * @example messagePages('Caesar', 100) // 2
 */
export function messagePages(layout: CurrentLayout, characters: number): number {
  if (layout === 'Caesar') return Math.max(1, Math.ceil(characters / 64));
  if (layout === 'Delizia') return 2;
  return 1;
}
