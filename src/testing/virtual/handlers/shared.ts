/**
 * Helpers the management, lifecycle and bootloader handler tables share: the Success answer,
 * the initialized / not-initialized checks with each firmware's Failure, and a new PIN entered
 * twice. A module of its own so those tables do not import each other.
 */
import { fail, type Reply } from '../context.js';
import type { CoreContext } from '../device.js';

const T1 = 'T1B1';

export function success(message?: string): Reply {
  return { type: 'Success', message: message === undefined ? {} : { message } };
}

export function requireInitialized(ctx: CoreContext): void {
  if (!ctx.device.storage.initialized) throw ctx.device.failure('Failure_NotInitialized');
}

export function requireNotInitialized(ctx: CoreContext): void {
  if (ctx.device.storage.initialized) {
    fail('Failure_UnexpectedMessage', ctx.model === T1 ? 'Device is already initialized. Use Wipe first.' : 'Already initialized');
  }
}

/** New PIN, entered twice. The One fails on a mismatch; the Model T asks again. */
export async function requestNewPin(ctx: CoreContext): Promise<string> {
  const device = ctx.device;
  for (;;) {
    const first = await device.requestPin('PinMatrixRequestType_NewFirst');
    if (ctx.model === T1 && first === '') throw device.failure('Failure_PinCancelled');
    const second = await device.requestPin('PinMatrixRequestType_NewSecond');
    if (ctx.model === T1 && second === '') throw device.failure('Failure_PinCancelled');
    if (first === second) return first;
    if (ctx.model === T1) throw device.failure('Failure_PinMismatch');
    device.show('PIN mismatch\nThe PINs you entered\ndo not match.\nPlease try again.');
  }
}
