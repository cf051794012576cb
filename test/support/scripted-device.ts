/**
 * A scripted device for session tests: an in-memory transport whose device end runs a
 * test-provided async function that reads host messages and writes replies, using the real
 * framing and codecs.
 */
import { decodeMessage, encodeMessage, type AnyMessage, type MessageMap, type MessageName } from '../../src/messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../../src/protocol/v1.js';
import { memoryTransport, type MemoryDeviceEnd } from '../../src/transport/memory.js';

export interface ScriptedDevice {
  /** Next message the host sent. */
  next(): Promise<AnyMessage>;
  /** Next message, asserted to be of type `name`. */
  expect<N extends MessageName>(name: N): Promise<MessageMap[N]>;
  send<N extends MessageName>(name: N, message: MessageMap[N]): void;
  /** Write raw 64-byte reports (malformed frames). */
  sendRaw(reports: Uint8Array[]): void;
  /** The next raw report the host wrote (not v1-decoded). */
  nextRaw(): Promise<Uint8Array>;
  unplug(): void;
  /** Every message the host sent, in order. */
  readonly received: AnyMessage[];
}

export function scriptedTransport(script: (device: ScriptedDevice) => Promise<void>) {
  const errors: unknown[] = [];
  const transport = memoryTransport({
    onOpen(end: MemoryDeviceEnd) {
      let state: DecodeState | undefined;
      const received: AnyMessage[] = [];
      const device: ScriptedDevice = {
        received,
        async next() {
          for (;;) {
            state = decodeReport(state, await end.read());
            const done = completedMessage(state);
            if (done) {
              state = undefined;
              const m = decodeMessage(done.type, done.payload);
              received.push(m);
              return m;
            }
          }
        },
        async expect(name) {
          const m = await device.next();
          if (m.type !== name) throw new Error(`scripted device expected ${name}, got ${m.type}`);
          return m.message as never;
        },
        send(name, message) {
          const { type, payload } = encodeMessage(name, message);
          for (const r of encodeReports(type, payload)) end.write(r);
        },
        sendRaw(reports) {
          for (const r of reports) end.write(r);
        },
        nextRaw: () => end.read(),
        unplug: () => end.disconnect(),
      };
      script(device).catch((e) => {
        // A closed link ends the script; anything else is a test failure surfaced below.
        if ((e as { code?: string })?.code !== 'DeviceDisconnected') errors.push(e);
      });
    },
  });
  return { transport, errors };
}

/** Features of a plain initialized T1 with an optional session id. */
export function features(extra: Partial<MessageMap['Features']> = {}): MessageMap['Features'] {
  return {
    vendor: 'trezor.io',
    major_version: 1,
    minor_version: 14,
    patch_version: 1,
    initialized: true,
    model: '1',
    internal_model: 'T1B1',
    session_id: new Uint8Array(32).fill(1),
    ...extra,
  } as MessageMap['Features'];
}
