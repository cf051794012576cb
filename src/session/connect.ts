/**
 * connect(): find a device on a transport, open it, send Initialize and return a Trezor.
 * Session ids are remembered per device (in memory, for this page/process) so that a
 * re-connect resumes the session and the user is not asked for the passphrase again.
 */
import { withSignal } from '../abort.js';
import { TrezorError } from '../errors.js';
import type { MessageLink } from '../protocol/link.js';
import { v1Link } from '../protocol/v1-link.js';
import type { DeviceDescriptor, Transport } from '../transport/types.js';
import { Trezor } from './trezor.js';
import type { UiHandlers } from './ui.js';

export interface ConnectOptions {
  transport: Transport;
  ui?: UiHandlers;
  signal?: AbortSignal;
  /** Which device to open (default: the first the transport lists, else the chooser). */
  device?: DeviceDescriptor;
  /**
   * Session to resume. Default: the one this process last used with the same device.
   * Pass `null` to start a fresh session.
   */
  sessionId?: Uint8Array | null;
  /** How long to wait for the device to answer a Cancel, in ms (default 10 000). */
  cancelTimeout?: number;
  /**
   * How long the device may go silent in the middle of a message, in ms (default 10 000). When
   * it does, the call fails with Timeout and the connection is released: connect() again.
   */
  messageTimeout?: number;
}

const rememberedSessions = new Map<string, Uint8Array>();

/**
 * Connect to a Trezor.
 * @example const trezor = await connect({ transport: webUsb(), ui: { button: () => show('Confirm on your Trezor') } })
 */
export async function connect({ transport, ui = {}, signal, device, sessionId, cancelTimeout, messageTimeout }: ConnectOptions): Promise<Trezor> {
  if (!transport || typeof transport.open !== 'function') {
    throw new TrezorError('InvalidParameters', 'transport: expected a Transport (e.g. webUsb())', { field: 'transport' });
  }
  if (cancelTimeout !== undefined && !(Number.isFinite(cancelTimeout) && cancelTimeout > 0)) {
    throw new TrezorError('InvalidParameters', 'cancelTimeout: expected a positive number of milliseconds', { field: 'cancelTimeout' });
  }
  if (messageTimeout !== undefined && !(Number.isFinite(messageTimeout) && messageTimeout > 0)) {
    throw new TrezorError('InvalidParameters', 'messageTimeout: expected a positive number of milliseconds', { field: 'messageTimeout' });
  }
  const target = device ?? (await pickDevice(transport, signal));
  const link = await openLink(transport, target, { signal, messageTimeout });
  const key = `${transport.name}:${target.path}`;
  const resume = sessionId === null ? undefined : (sessionId ?? rememberedSessions.get(key));
  // Features are filled by initialize() before anyone can see this object.
  const trezor = new Trezor(link, target, ui, {} as Trezor['features'], cancelTimeout);
  try {
    await withSignal(trezor.initialize(resume, { signal }), signal);
  } catch (error) {
    await link.close().catch(() => undefined);
    throw error;
  }
  const id = trezor.sessionId;
  if (id) rememberedSessions.set(key, id);
  return trezor;
}

/**
 * Open `device` as a message link: the one place where the wire protocol is chosen. A
 * transport that carries whole messages (the Bridge) opens its own link; any other moves
 * reports, framed here with protocol v1. (Trezor Host Protocol detection belongs here too: a
 * v1 probe that the device answers with Failure InvalidProtocol means a THP link.)
 */
async function openLink(transport: Transport, device: DeviceDescriptor, options: { signal?: AbortSignal; messageTimeout?: number }): Promise<MessageLink> {
  if (transport.openLink) return transport.openLink(device, options.signal);
  const connection = await transport.open(device, options.signal);
  return v1Link(connection, { messageTimeout: options.messageTimeout });
}

async function pickDevice(transport: Transport, signal?: AbortSignal): Promise<DeviceDescriptor> {
  const devices = await transport.enumerate(signal);
  const first = devices.find((d) => !d.bootloader) ?? devices[0];
  if (first) return first;
  if (transport.request) return transport.request(signal);
  throw new TrezorError('DeviceDisconnected', `No Trezor found on the ${transport.name} transport`);
}
