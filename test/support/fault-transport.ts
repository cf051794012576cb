/**
 * A transport wrapper for fault and tampering tests: it sits between the session and a real
 * transport (the VirtualTrezor's, a scripted device's) and can unplug the device, make it go
 * silent, or rewrite the device's answers, while it watches both directions message by
 * message (so a test can act "when the device asks for the PIN" and count what reached the
 * device).
 *
 * Unplug is an unplug of this one connection: reads and writes reject with DeviceDisconnected
 * and the disconnect listeners fire, while the device behind keeps running, so a fresh
 * connect() through the same wrapper reaches it again (as replugging a real Trezor does).
 */
import { TrezorError } from '../../src/errors.js';
import { decodeMessage, encodeMessage, type AnyMessage } from '../../src/messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../../src/protocol/v1.js';
import { ReportQueue } from '../../src/transport/abort.js';
import type { Transport, TransportConnection } from '../../src/transport/types.js';

/** Rewrites one answer of the device: return the message to deliver (or the same one). */
export type Tamper = (answer: AnyMessage) => AnyMessage;

export interface FaultTransport {
  readonly transport: Transport;
  /** Unplug the open connection now. */
  unplug(): void;
  /** Let `reports` more device reports through, then nothing (the device goes silent). */
  stall(reports?: number): void;
  /** Deliver answers again (undo stall for the next connection). */
  resume(): void;
  /** Rewrite the device's answers from now on (undefined: stop). */
  tamper(fn: Tamper | undefined): void;
  /** Called with every whole message the host sends, before the device sees it. */
  onHostMessage(listener: ((m: AnyMessage) => void) | undefined): void;
  /** Called with every whole answer of the device, before the host sees it. */
  onDeviceMessage(listener: ((m: AnyMessage) => void) | undefined): void;
  /** Names of every message the host sent, over all connections. */
  readonly hostMessages: string[];
  /** Names of every answer the device sent, over all connections (before tampering). */
  readonly deviceMessages: string[];
}

function reassembler(onMessage: (m: AnyMessage) => void): (report: Uint8Array) => void {
  let state: DecodeState | undefined;
  return (report) => {
    state = decodeReport(state, report);
    const done = completedMessage(state);
    if (done) {
      state = undefined;
      onMessage(decodeMessage(done.type, done.payload));
    }
  };
}

/**
 * Wrap `inner`.
 * @example const faults = faultTransport(virtual.transport()); const trezor = await connect({ transport: faults.transport })
 */
export function faultTransport(inner: Transport): FaultTransport {
  let current: { unplug(): void } | undefined;
  let stallAfter: number | undefined;
  let tamper: Tamper | undefined;
  let hostListener: ((m: AnyMessage) => void) | undefined;
  let deviceListener: ((m: AnyMessage) => void) | undefined;
  const hostMessages: string[] = [];
  const deviceMessages: string[] = [];

  const transport: Transport = {
    name: `faulty-${inner.name}`,
    enumerate: (signal) => inner.enumerate(signal),
    async open(device, signal) {
      const link = await inner.open(device, signal);
      const toHost = new ReportQueue();
      const listeners = new Set<() => void>();
      let gone = false;
      const unplug = () => {
        if (gone) return;
        gone = true;
        toHost.fail(new TrezorError('DeviceDisconnected', 'The device was disconnected'));
        for (const l of [...listeners]) l();
        void link.close().catch(() => undefined);
      };
      current = { unplug };
      link.onDisconnect(unplug);
      const fromDevice = reassembler((m) => {
        deviceMessages.push(m.type);
        deviceListener?.(m);
        if (gone || !tamper) return;
        const out = tamper(m);
        const { type, payload } = encodeMessage(out.type, out.message as never);
        for (const r of encodeReports(type, payload)) deliver(r);
      });
      const deliver = (report: Uint8Array) => {
        if (stallAfter !== undefined) {
          if (stallAfter <= 0) return;
          stallAfter--;
        }
        toHost.push(report);
      };
      void (async () => {
        for (;;) {
          let report: Uint8Array;
          try {
            report = await link.read();
          } catch (e) {
            if (!gone) toHost.fail(e);
            return;
          }
          if (gone) return;
          // Without tampering the reports pass through unchanged (so stalls can cut a message).
          if (!tamper) deliver(report);
          fromDevice(report);
        }
      })();
      const toDevice = reassembler((m) => {
        hostMessages.push(m.type);
        hostListener?.(m);
      });
      const connection: TransportConnection = {
        read: (s) => toHost.shift(s),
        async write(report, s) {
          if (gone) throw new TrezorError('DeviceDisconnected', 'The device was disconnected');
          toDevice(report);
          if (gone) throw new TrezorError('DeviceDisconnected', 'The device was disconnected');
          await link.write(report, s);
        },
        async close() {
          gone = true;
          toHost.fail(new TrezorError('DeviceDisconnected', 'The connection was closed'));
          await link.close();
        },
        onDisconnect(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      };
      return connection;
    },
  };
  return {
    transport,
    unplug: () => current?.unplug(),
    stall: (reports = 0) => void (stallAfter = reports),
    resume: () => void (stallAfter = undefined),
    tamper: (fn) => void (tamper = fn),
    onHostMessage: (l) => void (hostListener = l),
    onDeviceMessage: (l) => void (deviceListener = l),
    hostMessages,
    deviceMessages,
  };
}
