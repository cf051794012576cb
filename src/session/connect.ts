/**
 * connect(): find a device on a transport, open it, send Initialize and return a Trezor.
 * Session ids are remembered per device (in memory, for this page/process) so that a
 * re-connect resumes the session and the user is not asked for the passphrase again.
 *
 * A device that refuses protocol v1 (Failure InvalidProtocol: the Safe 7 and THP firmware, see
 * protocol/thp-host/detect.ts) gets the Trezor Host Protocol on the same connection. The THP
 * code (its cryptography most of all) is imported only then, so apps whose devices speak v1 do
 * not load it.
 */
import { withSignal } from '../abort.js';
import { TrezorError } from '../errors.js';
import type { MessageLink } from '../protocol/link.js';
import { v1Link } from '../protocol/v1-link.js';
import { refusesV1 } from '../protocol/thp-host/detect.js';
import type { ThpCredential } from '../protocol/thp-host/credentials.js';
import type { DeviceDescriptor, Transport, TransportConnection } from '../transport/types.js';
import { THP_ONLY_MESSAGE } from './failure.js';
import { Trezor } from './trezor.js';
import type { PairingMethod, UiHandlers } from './ui.js';

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
  /**
   * THP devices: credentials stored from earlier connections (`onCredentials`). The one issued
   * by the device being connected is used and pairing is skipped; others are ignored.
   */
  credentials?: readonly ThpCredential[];
  /**
   * THP devices: called with the credential the device issues after pairing. Store it (it holds
   * this host's private key: keep it as you would a session token) and pass it back in
   * `credentials` next time. Without it, no credential is requested and every connection pairs.
   */
  onCredentials?: (credential: ThpCredential) => void;
  /** THP devices: shown on the device's pairing dialog ("Allow {appName} on {hostName}…"). Default 'trezor-direct'. */
  appName?: string;
  /** THP devices: this computer's name on the pairing dialog. Default: the browser's name, or 'Node.js'. */
  hostName?: string;
  /** THP devices: pairing methods in order of preference (default ['code', 'qr']; 'skip' only if listed). */
  pairingMethods?: readonly PairingMethod[];
  /**
   * THP devices: ask for an autoconnect credential, with which the device connects without asking
   * the user. The device gives one only on a connection made with a stored credential (not right
   * after pairing); it asks the user once, and `onCredentials` receives it.
   */
  autoconnect?: boolean;
}

const rememberedSessions = new Map<string, Uint8Array>();

/**
 * Connect to a Trezor.
 * @example const trezor = await connect({ transport: webUsb(), ui: { button: () => show('Confirm on your Trezor') } })
 */
export async function connect(options: ConnectOptions): Promise<Trezor> {
  const { transport, ui = {}, signal, device, sessionId, cancelTimeout, messageTimeout } = options;
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
  const { link, connection } = await openLink(transport, target, { signal, messageTimeout });
  const key = `${transport.name}:${target.path}`;
  const resume = sessionId === null ? undefined : (sessionId ?? rememberedSessions.get(key));
  // Features are filled by initialize() before anyone can see this object.
  let trezor = new Trezor(link, target, ui, {} as Trezor['features'], cancelTimeout);
  try {
    await withSignal(trezor.initialize(resume, { signal }), signal);
  } catch (error) {
    if (!refusesV1(error)) {
      await link.close().catch(() => undefined);
      throw error;
    }
    if (!connection) {
      await link.close().catch(() => undefined);
      throw new TrezorError('NotSupported', `${THP_ONLY_MESSAGE} through ${transport.name === 'bridge' ? 'Trezor Bridge' : `the ${transport.name} transport`}; connect it with webUsb() or usb()`, { cause: error });
    }
    trezor.detach();
    trezor = await connectThp(connection, target, options, resume);
    trezor.onThpSession = (id) => rememberedSessions.set(key, id);
  }
  const id = trezor.sessionId;
  if (id) rememberedSessions.set(key, id);
  return trezor;
}

/**
 * Open `device` as a message link: the one place where the wire protocol is chosen. A
 * transport that carries whole messages (the Bridge) opens its own link; any other moves
 * reports, framed here with protocol v1 — and with the Trezor Host Protocol when the device
 * refuses v1 (see connect()), which is why the report connection is returned too.
 */
async function openLink(
  transport: Transport,
  device: DeviceDescriptor,
  options: { signal?: AbortSignal; messageTimeout?: number },
): Promise<{ link: MessageLink; connection?: TransportConnection }> {
  if (transport.openLink) return { link: await transport.openLink(device, options.signal) };
  const connection = await transport.open(device, options.signal);
  return { link: v1Link(connection, { messageTimeout: options.messageTimeout }), connection };
}

/** The THP path of connect(): channel, handshake, pairing, then Features over the encrypted link. */
async function connectThp(connection: TransportConnection, target: DeviceDescriptor, options: ConnectOptions, resume: Uint8Array | undefined): Promise<Trezor> {
  const { ui = {}, signal } = options;
  let link: MessageLink;
  try {
    const { openThpLink } = await import('../protocol/thp-host/link.js');
    link = await openThpLink(connection, {
      ui,
      signal,
      credentials: options.credentials,
      onCredentials: options.onCredentials,
      appName: options.appName,
      hostName: options.hostName,
      pairingMethods: options.pairingMethods,
      autoconnect: options.autoconnect,
      io: options.messageTimeout === undefined ? undefined : { messageTimeout: options.messageTimeout },
    });
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  const trezor = new Trezor(link, target, ui, {} as Trezor['features'], options.cancelTimeout);
  try {
    await withSignal(trezor.initialize(resume, { signal }), signal);
  } catch (error) {
    await link.close().catch(() => undefined);
    throw error;
  }
  return trezor;
}

async function pickDevice(transport: Transport, signal?: AbortSignal): Promise<DeviceDescriptor> {
  const devices = await transport.enumerate(signal);
  const first = devices.find((d) => !d.bootloader) ?? devices[0];
  if (first) return first;
  if (transport.request) return transport.request(signal);
  throw new TrezorError('DeviceDisconnected', `No Trezor found on the ${transport.name} transport`);
}
