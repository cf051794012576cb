// getAddresses (trezor-direct/ethereum): several addresses in one exclusive flow, against the
// firmware's address vectors (test/fixtures/vectors/slip14.json eth_addresses), on a virtual
// Trezor One and Model T; bad paths are refused by index before anything reaches the device.
import { afterEach, describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { getAddresses } from '../src/ethereum/index.js';
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { loadVectors } from './support/fixtures.js';

const vectors = loadVectors();
const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function device(model: 'T1B1' | 'T2T1'): Promise<{ trezor: Trezor; sent: string[]; flows: () => number }> {
  const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', model, autoConfirm: true });
  const trezor = await connect({ transport: virtual.transport(), ui: {} });
  const sent: string[] = [];
  let flows = 0;
  const original = trezor.exclusive.bind(trezor);
  // Count the flows and the messages in them.
  trezor.exclusive = ((flow) => (flows++, original((call) => flow((name, message, options) => (sent.push(name), call(name, message, options)))))) as Trezor['exclusive'];
  open.push(async () => {
    await trezor.close();
    await virtual.close();
  });
  return { trezor, sent, flows: () => flows };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isTrezorError(e) ? `${e.code}${e.field ? `:${e.field}` : ''}` : `other: ${String(e)}`;
  }
}

for (const model of ['T1B1', 'T2T1'] as const) {
  describe(`getAddresses on a virtual ${model}`, () => {
    it('the vector addresses, in order, from one flow', async () => {
      const { trezor, sent, flows } = await device(model);
      const list = vectors.eth_addresses as { path: string; expected: string }[];
      const paths = list.map((v) => v.path);
      expect(await getAddresses(trezor, { paths })).toEqual(list.map((v) => v.expected));
      expect(sent).toEqual(paths.map(() => 'EthereumGetAddress'));
      expect(flows()).toBe(1);
    });

    it('refuses bad paths by index, asks nothing for an empty list', async () => {
      const { trezor, sent } = await device(model);
      expect(await codeOf(getAddresses(trezor, { paths: ["m/44'/60'/0'/0/0", 'm/x'] }))).toBe('InvalidParameters:paths[1]');
      expect(await codeOf(getAddresses(trezor, { paths: ["m/44'/60'/0'/0'/0"] }))).toBe('InvalidParameters:paths[0]');
      expect(await codeOf(getAddresses(trezor, { paths: "m/44'/60'/0'/0/0" as never }))).toBe('InvalidParameters:paths');
      expect(await getAddresses(trezor, { paths: [] })).toEqual([]);
      expect(sent).toEqual([]);
    });
  });
}
