// The path address the Ethereum flows check signatures against is cached per session. The key
// is the session's id, which survives GetFeatures answers without one: another session (another
// passphrase wallet) must never be served the first one's address.
import { Wallet, getBytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { getAddress, signMessage } from '../src/ethereum/index.js';
import { connect } from '../src/session/connect.js';
import { features, scriptedTransport } from './support/scripted-device.js';

const path = "m/44'/60'/0'/0/0";
const walletA = new Wallet(`0x${'11'.repeat(32)}`);
const walletB = new Wallet(`0x${'22'.repeat(32)}`);

describe('Ethereum address cache', () => {
  it('is keyed by the session id, also after GetFeatures answers that omit it', async () => {
    const { transport, errors } = scriptedTransport(async (d) => {
      await d.expect('Initialize');
      d.send('Features', features({ session_id: new Uint8Array(32).fill(1) }));
      await d.expect('GetFeatures');
      d.send('Features', features({ session_id: undefined }));
      await d.expect('EthereumGetAddress');
      d.send('EthereumAddress', { address: walletA.address });
      // A second session: another passphrase, another wallet.
      await d.expect('Initialize');
      d.send('Features', features({ session_id: new Uint8Array(32).fill(2) }));
      await d.expect('GetFeatures');
      d.send('Features', features({ session_id: undefined }));
      let request = await d.next();
      if (request.type === 'EthereumGetAddress') {
        d.send('EthereumAddress', { address: walletB.address });
        request = await d.next();
      }
      d.send('EthereumMessageSignature', { address: walletB.address, signature: getBytes(walletB.signMessageSync('hi')) });
    });
    const trezor = await connect({ transport, sessionId: null });
    await trezor.getFeatures();
    expect(await getAddress(trezor, { path })).toBe(walletA.address);
    await trezor.initialize(new Uint8Array(32).fill(2));
    await trezor.getFeatures();
    expect(await signMessage(trezor, { path, message: 'hi' })).toBe(walletB.signMessageSync('hi'));
    expect(errors).toEqual([]);
  });
});
