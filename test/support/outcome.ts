/**
 * How a promise ended, as one comparable string: 'resolved', or the TrezorError code it
 * rejected with. Tests that check the code of many failures read better with it.
 */
import { isTrezorError } from '../../src/errors.js';

/** @example expect(await codeOf(io.receive())).toBe('Timeout') */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isTrezorError(e) ? e.code : `not a TrezorError: ${String(e)}`;
  }
}
