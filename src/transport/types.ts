/**
 * The Transport interface: it moves 64-byte reports and nothing else. Framing, codecs and
 * the call loop live above it, so every transport (WebUSB, WebHID, USB in Node, the
 * emulator's UDP, in-memory) is a small adapter over a platform object that the factory
 * receives — which is also how tests inject fakes.
 *
 * The one exception is the Bridge, which carries whole messages: it plugs in above the
 * framing (shared DESIGN.md, Layers) by opening a {@link MessageLink} itself (`openLink`).
 * That is the only protocol/ name this layer uses, and only as a type.
 */
import type { MessageLink } from '../protocol/link.js';

/** A device a transport can open. `path` is stable for the transport's lifetime. */
export interface DeviceDescriptor {
  /** Transport-specific identity (USB serial, "udp:127.0.0.1:21324", bridge path…). */
  path: string;
  /** Human-readable product name when the platform gives one. */
  product?: string;
  vendorId?: number;
  productId?: number;
  /** True for a device in bootloader mode (0x1209:0x53c0). */
  bootloader?: boolean;
}

/** An open connection to one device. */
export interface TransportConnection {
  /** Read one 64-byte report. Rejects with DeviceDisconnected when the device goes away. */
  read(signal?: AbortSignal): Promise<Uint8Array>;
  /** Write one 64-byte report. */
  write(report: Uint8Array, signal?: AbortSignal): Promise<void>;
  /**
   * Write the reports of one message in order without waiting for each to leave, where the
   * platform keeps the order by itself (the emulator's UDP socket). Rejects as write() does.
   * Without it, the framing awaits write() once per report.
   * @example await connection.writeReports?.(encodeReports(55, new Uint8Array()))
   */
  writeReports?(reports: readonly Uint8Array[], signal?: AbortSignal): Promise<void>;
  /** Release the device. Safe to call twice. */
  close(signal?: AbortSignal): Promise<void>;
  /** Subscribe to the device going away; returns an unsubscribe function. */
  onDisconnect(listener: () => void): () => void;
}

export interface Transport {
  /** 'webusb' | 'webhid' | 'usb' | 'udp' | 'bridge' | 'memory' … */
  readonly name: string;
  /** Devices available without user interaction (already paired / listening). */
  enumerate(signal?: AbortSignal): Promise<DeviceDescriptor[]>;
  /**
   * Ask the user to pick a device (the browser's chooser). Only transports with a chooser
   * have it; it needs a user gesture (a click) in browsers.
   */
  request?(signal?: AbortSignal): Promise<DeviceDescriptor>;
  /**
   * Open (claim) a device. Rejects with DeviceBusy when another program holds it. A transport
   * with `openLink` (the Bridge) has no report-level connection: its open() rejects with
   * NotSupported.
   */
  open(device: DeviceDescriptor, signal?: AbortSignal): Promise<TransportConnection>;
  /**
   * Open a device as a link that carries whole messages, for a transport that does its own
   * framing (the Bridge). connect() uses it when present; without it connect() frames the
   * connection of open() with protocol v1.
   * @example const link = await bridge().openLink!(device); await link.write({ type: 55, payload: new Uint8Array() })
   */
  openLink?(device: DeviceDescriptor, signal?: AbortSignal): Promise<MessageLink>;
}
