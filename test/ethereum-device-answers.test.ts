// Ethereum answers the host checks before handing them back: a public key must be the node of
// the requested path (depth and child number), as bitcoin's getPublicKey already checks.
import { describe, expect, it } from 'vitest';
import { getPublicKey } from '../src/ethereum/index.js';
import { connect } from '../src/session/connect.js';
import { features, scriptedTransport } from './support/scripted-device.js';

describe('ethereum getPublicKey', () => {
  it('a node at another depth than the path is VerificationFailed', async () => {
    const { transport } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features());
      await d.expect('EthereumGetPublicKey');
      const node = { depth: 0, fingerprint: 0, child_num: 0, chain_code: new Uint8Array(32), public_key: new Uint8Array(33).fill(2) };
      d.send('EthereumPublicKey', { node, xpub: 'xpub' });
    });
    const trezor = await connect({ transport, sessionId: null });
    const error = await getPublicKey(trezor, { path: "m/44'/60'/0'" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TrezorError', code: 'VerificationFailed' });
  });
});
