import { describe, expect, it } from 'vitest';
import { signPsbt, verifyMessage } from '../src/bitcoin/index.js';

function codeOf(run: () => unknown): Promise<string> {
  return Promise.resolve()
    .then(run)
    .then(
      () => 'resolved',
      (e: { code?: string; name?: string }) => e.code ?? e.name ?? 'unknown',
    );
}

describe('bitcoin: arguments of the wrong shape are InvalidParameters, not TypeErrors', () => {
  it('verifyMessage without a parameters object', async () => {
    expect(await codeOf(() => verifyMessage(undefined as never))).toBe('InvalidParameters');
    expect(await codeOf(() => verifyMessage(null as never))).toBe('InvalidParameters');
  });

  it('signPsbt with null options or a null PSBT, before the device is touched', async () => {
    const untouchable = new Proxy({}, { get: () => { throw new Error('the device was touched'); } }) as never;
    expect(await codeOf(() => signPsbt(untouchable, new Uint8Array(), null as never))).toBe('InvalidParameters');
    expect(await codeOf(() => signPsbt(untouchable, null as never))).toBe('InvalidParameters');
  });
});
