/**
 * The Trezor Host Protocol as a {@link MessageLink}: what connect() uses when the device
 * refuses protocol v1 (see detect.ts). Opening one runs the whole connection process of the THP
 * specification ("Connection process"):
 *
 * 1. channel allocation and the Noise XX handshake (THP core `HostHandshake`), offering the
 *    stored credential whose device key matches the masked static key the device showed;
 * 2. pairing, when the device answers "unpaired" (pairing.ts: code entry, QR, skip);
 * 3. the credential phase: a new credential is requested when the application listens
 *    (`onCredentials`), then ThpEndRequest / ThpEndResponse;
 * 4. encrypted transport: each `write` is sealed as session_id ‖ type ‖ payload and sent
 *    reliably (channel-io.ts), each `read` opened.
 *
 * Messages of steps 2-3 go on session 0; the device may interrupt them with ButtonRequest (its
 * "allow pairing" / "allow connection" dialogs), answered with ButtonAck and `ui.button`.
 *
 * The device's static key: the handshake authenticates it (the device proves it holds the key
 * behind the masked key it sent), and a stored credential pins it for later connections. THP
 * firmware does not certify that key with Trezor's attestation chain (its certificates sign
 * AuthenticateDevice challenges only, core/src/apps/management/authenticate_device.py), and
 * trezorlib 0.20.1 checks nothing more either; what protects the first connection from a
 * machine in the middle is pairing, which binds the code the user compares to this handshake.
 */
import { withSignal } from '../../abort.js';
import { TrezorError, isTrezorError } from '../../errors.js';
import { decodeMessage, encodeMessage, type AnyMessage, type MessageMap, type MessageName, type ThpDeviceProperties } from '../../messages/index.js';
import type { TransportConnection } from '../../transport/types.js';
import type { ButtonRequestInfo, PairingMethod, UiHandlers } from '../../session/ui.js';
import { failureToError } from '../../session/failure.js';
import type { MessageLink, WireMessage } from '../link.js';
import {
  ENCRYPTED_TRANSPORT,
  HANDSHAKE_COMP_REQ,
  HANDSHAKE_COMP_RES,
  HANDSHAKE_INIT_REQ,
  HANDSHAKE_INIT_RES,
  HostHandshake,
  TrezorState,
  decodeDeviceProperties,
  type SecureChannel,
} from '../thp/index.js';
import { ThpChannelIO, type ThpIoOptions } from './channel-io.js';
import { credentialFromResponse, credentialsToBytes, type ThpCredential } from './credentials.js';
import { thpFraming } from './framing.js';
import { offeredMethods, pair } from './pairing.js';

type DeviceProperties = ThpDeviceProperties;

export interface ThpLinkOptions {
  ui?: UiHandlers;
  signal?: AbortSignal;
  /** Credentials stored from earlier connections (any devices: the one that matches is used). */
  credentials?: readonly ThpCredential[];
  /** Called with each credential the device issues; without it none is requested. */
  onCredentials?: (credential: ThpCredential) => void;
  /**
   * Ask for an autoconnect credential (the device then connects without asking the user). The
   * device issues one only on a connection made with a stored credential (not right after
   * pairing), and asks the user once.
   */
  autoconnect?: boolean;
  /** Shown on the device when pairing: "Allow {appName} on {hostName} to pair?" */
  appName?: string;
  hostName?: string;
  /** Pairing methods in order of preference (default ['code', 'qr']; 'skip' only if listed). */
  pairingMethods?: readonly PairingMethod[];
  /** Ask a locked device to show its PIN entry during the handshake (default true). */
  unlock?: boolean;
  /** Timing of the channel I/O (tests). */
  io?: ThpIoOptions;
}

/** What the handshake and pairing established, for the session above. */
export interface ThpLinkInfo {
  /** The device's ThpDeviceProperties (model, protocol version, pairing methods). */
  properties: DeviceProperties;
  /**
   * How the channel was opened: 'paired' (pairing ran now), 'credential' (a stored credential
   * was accepted), 'replaced' (an open channel of this host was taken over: its sessions live on).
   */
  opened: 'paired' | 'credential' | 'replaced' | 'skipped';
}

/**
 * Open a THP channel on `connection` (already known to speak THP) and run handshake, pairing and
 * credential phase. The connection is closed when this fails.
 * @example const link = await openThpLink(connection, { ui: { pairing: askCode }, onCredentials: save })
 */
export async function openThpLink(connection: TransportConnection, options: ThpLinkOptions = {}): Promise<ThpLink> {
  const stored = credentialsToBytes(options.credentials); // InvalidParameters before anything is sent
  const io = new ThpChannelIO(connection, thpFraming, options.io);
  const { signal } = options;
  try {
    const allocation = await io.allocate(signal);
    let properties: DeviceProperties;
    try {
      properties = decodeDeviceProperties(allocation.properties);
    } catch (cause) {
      throw new TrezorError('ProtocolError', 'The device sent malformed THP device properties', { cause });
    }
    const handshake = new HostHandshake({ prologue: allocation.properties, tryToUnlock: options.unlock ?? true });
    await io.send(HANDSHAKE_INIT_REQ, handshake.initiationRequest(), signal);
    const init = await expectFrame(io, HANDSHAKE_INIT_RES, signal);
    const completion = handshake.readInitiationResponse(init, stored);
    await io.send(HANDSHAKE_COMP_REQ, completion.request);
    const result = handshake.readCompletionResponse(await expectFrame(io, HANDSHAKE_COMP_RES, signal));
    const link = new ThpLink(connection, io, result.channel, properties);
    const matchedIndex = completion.credential ? stored.indexOf(completion.credential as (typeof stored)[number]) : -1;
    await link.establish(result.trezorState, {
      offeredCredential: completion.credential !== undefined,
      matched: matchedIndex >= 0 ? options.credentials?.[matchedIndex] : undefined,
      matchedBytes: completion.credential?.credential,
      handshakeHash: result.handshakeHash,
      hostStaticPrivateKey: result.hostStaticPrivateKey!,
      hostStaticPublicKey: result.hostStaticPublicKey,
      options,
    });
    return link;
  } catch (error) {
    io.close(error);
    await connection.close().catch(() => undefined);
    throw error;
  }
}

async function expectFrame(io: ThpChannelIO, kind: number, signal?: AbortSignal): Promise<Uint8Array> {
  const frame = await io.receive(signal);
  if (frame.ctrl !== kind) {
    throw new TrezorError('ProtocolError', `THP handshake: expected control byte 0x${kind.toString(16)}, got 0x${frame.ctrl.toString(16)}`);
  }
  return frame.payload;
}

/**
 * An open, encrypted THP channel. `session` is the THP session id the next writes go to (0, the
 * seedless session, until the session layer creates one with ThpCreateNewSession).
 */
export class ThpLink implements MessageLink {
  readonly protocol = 'thp';
  /** THP session id of the messages written (0: seedless). */
  session = 0;
  private opened: ThpLinkInfo['opened'] = 'paired';
  private closed = false;

  /** @internal use openThpLink() */
  constructor(
    private readonly connection: TransportConnection,
    private readonly io: ThpChannelIO,
    private readonly channel: SecureChannel,
    readonly properties: DeviceProperties,
  ) {}

  /** How this channel was opened (see {@link ThpLinkInfo}). */
  get info(): ThpLinkInfo {
    return { properties: this.properties, opened: this.opened };
  }

  async write(message: WireMessage, signal?: AbortSignal): Promise<void> {
    if (this.io.failed !== undefined) throw this.io.failed; // what ended the channel, not just "closed"
    if (this.closed) throw new TrezorError('DeviceDisconnected', 'The connection to the device is closed');
    const data = this.channel.seal({ sessionId: this.session, type: message.type, payload: message.payload });
    await this.io.send(ENCRYPTED_TRANSPORT, data, signal).catch((error: unknown) => this.released(error));
  }

  async read(signal?: AbortSignal): Promise<WireMessage> {
    for (;;) {
      const frame = await this.io.receive(signal).catch((error: unknown) => this.released(error));
      if (frame.ctrl !== ENCRYPTED_TRANSPORT) {
        throw this.end(new TrezorError('ProtocolError', `THP: a handshake frame (0x${frame.ctrl.toString(16)}) after the handshake`));
      }
      let message;
      try {
        message = this.channel.open(frame.payload);
      } catch (cause) {
        // The counters of both sides no longer agree: nothing later on this channel can be read.
        throw this.end(new TrezorError('ChannelLost', 'A THP message from the device did not decrypt: connect again', { cause }));
      }
      // Answers to another session of this channel (none is used at a time but `session`) are not ours.
      if (message.sessionId !== this.session) continue;
      return { type: message.type, payload: message.payload };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.io.close();
    await this.connection.close();
  }

  onDisconnect(listener: () => void): () => void {
    return this.connection.onDisconnect(listener);
  }

  /** End the channel with `error` (for `throw`); the device is released for a new connect(). */
  private end(error: TrezorError): TrezorError {
    this.io.close(error);
    void this.close().catch(() => undefined);
    return error;
  }

  /**
   * Rethrow `error`; when it ended the channel (ChannelLost, ProtocolError, Timeout, unplug), also
   * release the connection, so the device can be opened again (WebUSB keeps it claimed otherwise).
   */
  private released(error: unknown): never {
    if (this.io.failed !== undefined) void this.close().catch(() => undefined);
    throw error;
  }

  /**
   * One request of the pairing / credential phase (session 0) and its final answer. ButtonRequest
   * is acknowledged (the device's "allow" dialogs), a Failure thrown as the session would.
   */
  async exchange<N extends MessageName, R extends MessageName>(
    name: N,
    message: MessageMap[N],
    expected: R,
    ui: UiHandlers,
    signal?: AbortSignal,
  ): Promise<MessageMap[R]> {
    await this.write(encodeMessage(name, message), signal);
    for (;;) {
      const wire = await withSignal(this.read(), signal);
      const reply: AnyMessage = decodeMessage(wire.type, wire.payload);
      if (reply.type === 'ButtonRequest') {
        const info: ButtonRequestInfo = {};
        if (reply.message.code !== undefined) info.code = String(reply.message.code);
        if (reply.message.name !== undefined) info.name = reply.message.name;
        try {
          ui.button?.(info);
        } catch {
          // the application's hint failing does not stop the exchange
        }
        await this.write(encodeMessage('ButtonAck', {}), signal);
        continue;
      }
      if (reply.type === 'Failure') throw failureToError(reply.message);
      if (reply.type !== expected) throw new TrezorError('UnexpectedMessage', `Expected ${expected} from the device, got ${reply.type}`);
      return reply.message as MessageMap[R];
    }
  }

  /** @internal Pairing (when unpaired), credential phase and ThpEndRequest. */
  async establish(
    trezorState: number,
    context: {
      offeredCredential: boolean;
      /** The stored credential the handshake presented, as the application gave it. */
      matched?: ThpCredential;
      matchedBytes?: Uint8Array;
      handshakeHash: Uint8Array;
      hostStaticPrivateKey: Uint8Array;
      hostStaticPublicKey: Uint8Array;
      options: ThpLinkOptions;
    },
  ): Promise<void> {
    const { options } = context;
    const ui = options.ui ?? {};
    const { signal } = options;
    let ended = false;
    if (trezorState === TrezorState.UNPAIRED) {
      if (context.offeredCredential && !ui.pairing) {
        throw new TrezorError('CredentialsRejected', 'The device did not accept the stored THP credential (it was wiped or revoked it): pair again (give ui.pairing)');
      }
      const outcome = await pair(this, {
        ui,
        signal,
        handshakeHash: context.handshakeHash,
        methods: offeredMethods(this.properties),
        preference: options.pairingMethods ?? ['code', 'qr'],
        appName: options.appName ?? 'trezor-direct',
        hostName: options.hostName ?? defaultHostName(),
      });
      ended = outcome === 'ended';
      this.opened = ended ? 'skipped' : 'paired';
    } else {
      this.opened = trezorState === TrezorState.PAIRED_AUTOCONNECT ? 'replaced' : 'credential';
    }
    if (ended) return;
    // Right after pairing the device issues a plain credential (it refuses autoconnect then:
    // core/src/apps/thp/pairing.py _handle_credential_request); an autoconnect one is asked for on
    // a later connection made with a valid credential, and the device asks the user once.
    const upgrade = this.opened === 'credential' && options.autoconnect === true && context.matched?.autoconnect !== true;
    if (options.onCredentials && (this.opened === 'paired' || upgrade)) {
      const response = await this.exchange(
        'ThpCredentialRequest',
        { host_static_public_key: context.hostStaticPublicKey, ...(upgrade ? { autoconnect: true, credential: context.matchedBytes } : {}) },
        'ThpCredentialResponse',
        ui,
        signal,
      );
      const credential = credentialFromResponse(response, context.hostStaticPrivateKey, upgrade);
      try {
        options.onCredentials(credential);
      } catch {
        // the application's storage failing does not undo the pairing
      }
    }
    try {
      await this.exchange('ThpEndRequest', {}, 'ThpEndResponse', ui, signal);
    } catch (error) {
      // "Allow connection?" refused on the device.
      if (isTrezorError(error, 'ActionCancelled')) throw new TrezorError('PairingCancelled', 'The connection was refused on the device', { cause: error });
      throw error;
    }
  }
}

/** A name for this host on the device's pairing dialog: the browser, or Node with its platform. */
function defaultHostName(): string {
  const nav = (globalThis as { navigator?: { userAgentData?: { brands?: { brand: string }[] }; userAgent?: string } }).navigator;
  const brand = nav?.userAgentData?.brands?.find((b) => !/not.?a.?brand|chromium/i.test(b.brand))?.brand;
  if (brand) return brand;
  const ua = nav?.userAgent ?? '';
  for (const name of ['Firefox', 'Edg', 'Chrome', 'Safari', 'Node.js']) if (ua.includes(name)) return name === 'Edg' ? 'Edge' : name;
  return 'this computer';
}
