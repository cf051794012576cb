// Multi-message flows whose host side fails between two calls (a request it cannot answer)
// must Cancel the device before the error reaches the caller, so the device does not stay
// waiting for an ack and the next call starts on a clean line.
import { describe, expect, it } from 'vitest';
import { connect } from '../src/session/connect.js';
import { signTransaction, signTypedData } from '../src/ethereum/index.js';
import { features, scriptedTransport, type ScriptedDevice } from './support/scripted-device.js';

const address = '0x73d0385F4d8E00C5e6504C6030F47BF6212736A8';
const path = "m/44'/60'/0'/0/0";

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** A device that answers Initialize and the silent address lookup, then runs `rest`. */
function device(extra: Parameters<typeof features>[0], rest: (d: ScriptedDevice) => Promise<void>) {
  let received: ScriptedDevice['received'] = [];
  const { transport, errors } = scriptedTransport(async (d) => {
    received = d.received;
    await d.expect('Initialize');
    d.send('Features', features(extra));
    await d.expect('EthereumGetAddress');
    d.send('EthereumAddress', { address });
    await rest(d);
  });
  return { transport, errors, types: () => received.map((m) => m.type) };
}

describe('host errors inside a device flow cancel the device', () => {
  it('signTransaction: a data request larger than a chunk is a ProtocolError, after Cancel', async () => {
    const { transport, errors, types } = device({}, async (d) => {
      await d.expect('EthereumSignTx');
      d.send('EthereumTxRequest', { data_length: 4096 });
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
    });
    const trezor = await connect({ transport, sessionId: null });
    const tx = { chainId: 1, nonce: 0, gasLimit: 50000, gasPrice: 1n, to: address, value: 0n, data: '0x' + '00'.repeat(2000) };
    expect(await codeOf(signTransaction(trezor, { path, tx }))).toBe('ProtocolError');
    expect(types()).toEqual(['Initialize', 'EthereumGetAddress', 'EthereumSignTx', 'Cancel']);
    expect(errors).toEqual([]);
  });

  it('signTypedData (Core): a question about an unknown struct is InvalidParameters, after Cancel', async () => {
    const core = { model: 'T', internal_model: 'T2T1', major_version: 2, minor_version: 8, patch_version: 1 } as const;
    const { transport, errors, types } = device(core, async (d) => {
      await d.expect('EthereumSignTypedData');
      d.send('EthereumTypedDataStructRequest', { name: 'NotInTheData' });
      await d.expect('Cancel');
      d.send('Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
    });
    const trezor = await connect({ transport, sessionId: null });
    const typed = { domain: { name: 'x', chainId: 1 }, types: { Mail: [{ name: 'contents', type: 'string' }] }, message: { contents: 'hi' } };
    expect(await codeOf(signTypedData(trezor, { path, ...typed }))).toBe('InvalidParameters');
    expect(types()).toEqual(['Initialize', 'EthereumGetAddress', 'EthereumSignTypedData', 'Cancel']);
    expect(errors).toEqual([]);
  });
});
