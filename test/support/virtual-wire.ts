/**
 * The raw wire of a seeded, auto-confirming VirtualTrezor, for tests that check the device's
 * own answers message by message (no session layer in between): call() sends a request,
 * acknowledges every ButtonRequest until something else comes, and reports the screens' codes.
 */
import { decodeMessage, encodeMessage, type AnyMessage, type MessageMap, type MessageName } from '../../src/messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../../src/protocol/v1.js';
import type { Model } from '../../src/testing/virtual/context.js';
import { VirtualTrezor, type VirtualTrezorOptions } from '../../src/testing/virtual/device.js';
import { SLIP14_MNEMONIC } from './fixtures.js';

export type WireCall = <N extends MessageName>(name: N, message: MessageMap[N]) => Promise<{ answer: AnyMessage; buttons: string[] }>;

/**
 * Open a virtual device (SLIP-14 seed, autoConfirm) and Initialize it; `devices` collects it for
 * the caller's afterEach to close.
 * @example const call = await openVirtualWire(devices, 'T2T1', '2.4.1'); (await call('GetAddress', {…})).answer
 */
export async function openVirtualWire(devices: VirtualTrezor[], model: Model, firmware?: string, options: VirtualTrezorOptions = {}): Promise<WireCall> {
  const device = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model, autoConfirm: true, ...(firmware ? { firmware } : {}), ...options });
  devices.push(device);
  const transport = device.transport();
  const [descriptor] = await transport.enumerate();
  const connection = await transport.open(descriptor!);
  let state: DecodeState | undefined;
  const receive = async (): Promise<AnyMessage> => {
    for (;;) {
      state = decodeReport(state, await connection.read());
      const done = completedMessage(state);
      if (done) {
        state = undefined;
        return decodeMessage(done.type, done.payload);
      }
    }
  };
  const call: WireCall = async (name, message) => {
    const buttons: string[] = [];
    let out: { type: number; payload: Uint8Array } = encodeMessage(name, message as never);
    for (;;) {
      for (const report of encodeReports(out.type, out.payload)) await connection.write(report);
      const answer = await receive();
      if (answer.type !== 'ButtonRequest') return { answer, buttons };
      buttons.push(String((answer.message as MessageMap['ButtonRequest']).code));
      out = encodeMessage('ButtonAck', {});
    }
  };
  await call('Initialize', {});
  return call;
}
