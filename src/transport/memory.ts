/**
 * In-process transport: a pair of report queues joining a host and a device living in the
 * same JavaScript realm (the VirtualTrezor, scripted test devices). Works in browsers and Node.
 */
import { TrezorError } from '../errors.js';
import { ReportQueue, disconnected } from './abort.js';
import type { DeviceDescriptor, Transport, TransportConnection } from './types.js';

/** The device side of a memory link: what the host wrote, and a way to answer. */
export interface MemoryDeviceEnd {
  /** Next report the host wrote. */
  read(signal?: AbortSignal): Promise<Uint8Array>;
  /** Send one 64-byte report to the host. */
  write(report: Uint8Array): void;
  /** Simulate an unplug: host reads reject with DeviceDisconnected. */
  disconnect(): void;
  /** True until the host closes this connection. */
  readonly opened: boolean;
}

export interface MemoryTransportOptions {
  /** Descriptor path (default "memory"). */
  path?: string;
  /** Called for every host connection with the device end of the new link. */
  onOpen: (device: MemoryDeviceEnd) => void;
}

/**
 * A transport whose single device is served in-process by `onOpen`.
 * @example const t = memoryTransport({ onOpen: (dev) => serve(dev) })
 */
export function memoryTransport({ path = 'memory', onOpen }: MemoryTransportOptions): Transport {
  let current: { toDevice: ReportQueue; toHost: ReportQueue; listeners: Set<() => void> } | undefined;
  const descriptor: DeviceDescriptor = { path, product: 'Trezor (in-memory)' };
  return {
    name: 'memory',
    async enumerate() {
      return [descriptor];
    },
    async open(device) {
      if (device.path !== path) throw new TrezorError('DeviceDisconnected', `No device at ${device.path}`);
      if (current && !current.toHost.failed) throw new TrezorError('DeviceBusy', 'The in-memory device is already open');
      const link = { toDevice: new ReportQueue(), toHost: new ReportQueue(), listeners: new Set<() => void>() };
      current = link;
      let closed = false;
      const end: MemoryDeviceEnd = {
        read: (signal) => link.toDevice.shift(signal),
        write: (report) => link.toHost.push(report.slice()),
        disconnect: () => {
          link.toHost.fail(disconnected());
          link.toDevice.fail(disconnected());
          for (const l of link.listeners) l();
        },
        get opened() {
          return !closed;
        },
      };
      onOpen(end);
      const connection: TransportConnection = {
        read: (signal) => link.toHost.shift(signal),
        async write(report) {
          if (link.toHost.failed) throw disconnected();
          link.toDevice.push(report.slice());
        },
        async close() {
          if (closed) return;
          closed = true;
          link.toHost.fail(disconnected('The connection was closed'));
          link.toDevice.fail(disconnected('The host closed the connection'));
          if (current === link) current = undefined;
        },
        onDisconnect(listener) {
          link.listeners.add(listener);
          return () => link.listeners.delete(listener);
        },
      };
      return connection;
    },
  };
}
