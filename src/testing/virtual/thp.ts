/**
 * The virtual device's THP face: what a THP-only Trezor (the Safe 7) does on its wire below
 * the message handlers. It reassembles packets, answers a protocol v1 report with
 * Failure(InvalidProtocol) framed as v1 (how clients such as trezorlib's probe detect THP),
 * allocates channels on the broadcast channel, ACKs every data frame (dropping repeats), runs
 * the device side of the handshake with its static key (checking a presented credential), and
 * decrypts application messages for the firmware loop, which answers through sendApp().
 * The pairing and credential messages themselves are handlers (handlers/thp.ts) so they can
 * put screens up and wait for the user like any other flow.
 *
 * Deliberate simplifications: the device does not wait for ACKs of its own frames or
 * retransmit them (the wire is a local socket or memory, nothing is lost), reassembles one
 * frame at a time, and keeps at most MAX_CHANNELS channels (the least recently used goes).
 * Sources: docs/common/thp/specification.md and core/src/trezor/wire/thp, core/src/apps/thp
 * of trezor-firmware, checked against trezorlib 0.20.1's client (test/interop/thp.test.ts).
 */
import { encodeMessage, type DebugLinkPairingInfo, type ThpCredentialMetadata, type ThpPairingMethod } from '../../messages/index.js';
import { encodeReports } from '../../protocol/v1.js';
import type { Session } from './device.js';
import {
  CHANNEL_ALLOCATION_REQ,
  CODEC_V1,
  DeviceHandshake,
  ENCRYPTED_TRANSPORT,
  FrameDecoder,
  HANDSHAKE_COMP_REQ,
  HANDSHAKE_COMP_RES,
  HANDSHAKE_INIT_REQ,
  HANDSHAKE_INIT_RES,
  PING,
  SyncState,
  ThpErrorCode,
  TrezorState,
  allocationResponse,
  credentialKey,
  dataKind,
  encodeDeviceProperties,
  encodePackets,
  errorFrame,
  pingFrame,
  publicKeyOf,
  validateCredential,
  BROADCAST_CHANNEL,
  type CodeEntryDevice,
  type Frame,
  type SecureChannel,
} from '../../protocol/thp/index.js';

/** Where a THP request came from: its channel and session. Replies go back there. */
export interface ThpOrigin {
  cid: number;
  sessionId: number;
}

/** Channel states of the specification (TP2/TP3 merged per method as the firmware does). */
export type ThpChannelState = 'TH1' | 'TH2' | 'TP0' | 'TP1' | 'TP2' | 'TP3' | 'TC1' | 'ENCRYPTED_TRANSPORT';

export interface ThpChannel {
  cid: number;
  state: ThpChannelState;
  sync: SyncState;
  handshake?: DeviceHandshake;
  secure?: SecureChannel;
  handshakeHash?: Uint8Array;
  hostStaticPublicKey?: Uint8Array;
  /** Metadata of the valid credential presented in the handshake. */
  credential?: ThpCredentialMetadata;
  /** The connection was confirmed (or needs no confirmation) in the credential phase. */
  connectionConfirmed: boolean;
  /** Pairing progress. */
  hostName?: string;
  appName?: string;
  method?: ThpPairingMethod | number;
  codeEntry?: CodeEntryDevice;
  qrSecret?: Uint8Array;
  qrCode?: Uint8Array;
  nfcSecret?: Uint8Array;
  nfcSecretHost?: Uint8Array;
  /** Seeds of the sessions ThpCreateNewSession opened on this channel, by session id. */
  sessions: Map<number, Session>;
  lastUsed: number;
}

/** What the device runtime offers this layer. */
export interface ThpHost {
  model: string;
  /** Where packets go (the attached wire), if anything is attached. */
  out(): ((packet: Uint8Array) => void) | undefined;
  /** A decrypted application message for the firmware loop. */
  deliver(message: { type: number; payload: Uint8Array; reports: number; thp: ThpOrigin }): void;
  random(length: number): Uint8Array;
  /** The storage is locked behind a PIN. */
  locked(): boolean;
}

const MAX_CHANNELS = 16;
/** Pairing methods a debug firmware offers (core/src/trezor/wire/thp/__init__.py, __debug__). */
export const PAIRING_METHODS: ThpPairingMethod[] = ['CodeEntry', 'SkipPairing', 'NFC', 'QrCode'];

export class ThpDevice {
  readonly staticPrivateKey: Uint8Array;
  readonly staticPublicKey: Uint8Array;
  readonly credentialKey: Uint8Array;
  readonly properties: Uint8Array;
  private readonly channels = new Map<number, ThpChannel>();
  private readonly decoder = new FrameDecoder();
  private nextCid: number;
  private clock = 0;

  constructor(private readonly host: ThpHost) {
    // The firmware derives both from its device secret (crypto.py: BIP-32 curve25519 at m/0'THP';
    // credential_manager.py: SLIP-21). A virtual device keeps random ones for its lifetime, so
    // credentials it issued hold until it is closed.
    const secret = host.random(32);
    this.staticPrivateKey = host.random(32);
    this.staticPublicKey = publicKeyOf(this.staticPrivateKey);
    this.credentialKey = credentialKey(secret);
    this.properties = encodeDeviceProperties({
      internal_model: host.model,
      model_variant: 0,
      protocol_version_major: 2,
      protocol_version_minor: 1,
      pairing_methods: PAIRING_METHODS,
    });
    const r = host.random(2);
    this.nextCid = 1 + (((r[0]! << 8) | r[1]!) % 0xffe0);
  }

  /** The channel a request came on (undefined once it has been dropped). */
  channel(cid: number): ThpChannel | undefined {
    return this.channels.get(cid);
  }

  /** A new wire was attached: drop a half-assembled frame. */
  reset(): void {
    this.decoder.reset();
  }

  /** One packet from the host. */
  feed(packet: Uint8Array): void {
    if (packet[0] === CODEC_V1) {
      // "?##": a v1 message header (continuations of it are dropped). The firmware answers in v1.
      if (packet[1] === 0x23 && packet[2] === 0x23) this.answerV1();
      return;
    }
    let frame: Frame | undefined;
    try {
      frame = this.decoder.push(packet);
    } catch {
      return; // bad checksum or malformed packet: discarded, the sender retransmits
    }
    if (frame) this.onFrame(frame);
  }

  private answerV1(): void {
    const out = this.host.out();
    if (!out) return;
    const { type, payload } = encodeMessage('Failure', { code: 'Failure_InvalidProtocol', message: 'Invalid protocol' });
    for (const report of encodeReports(type, payload)) out(report);
  }

  private write(frame: Frame): void {
    const out = this.host.out();
    if (!out) return;
    for (const packet of encodePackets(frame)) out(packet);
  }

  private onFrame(frame: Frame): void {
    if (frame.cid === BROADCAST_CHANNEL) {
      if (frame.ctrl === CHANNEL_ALLOCATION_REQ && frame.data.length === 8) this.allocate(frame.data);
      else if (frame.ctrl === PING && frame.data.length === 8) this.write(pingFrame(frame.data, true));
      return;
    }
    const channel = this.channels.get(frame.cid);
    if (!channel) {
      this.write(errorFrame(frame.cid, ThpErrorCode.UNALLOCATED_CHANNEL));
      return;
    }
    const kind = dataKind(frame.ctrl);
    if (kind === undefined) return; // ACKs (we do not wait for them), errors, anything else
    const { ack, fresh } = channel.sync.receive(frame.ctrl);
    this.write({ ctrl: ack, cid: channel.cid, data: new Uint8Array() });
    if (!fresh) return; // a retransmission of what we already have
    channel.lastUsed = ++this.clock;
    try {
      this.onData(channel, kind, frame.data);
    } catch {
      // A failed handshake step or decryption ends the channel (specification, "Secure channel layer").
      this.channels.delete(channel.cid);
      this.write(errorFrame(channel.cid, ThpErrorCode.DECRYPTION_FAILED));
    }
  }

  private allocate(nonce: Uint8Array): void {
    while (this.channels.size >= MAX_CHANNELS) {
      let oldest: ThpChannel | undefined;
      for (const c of this.channels.values()) if (!oldest || c.lastUsed < oldest.lastUsed) oldest = c;
      this.channels.delete(oldest!.cid);
    }
    let cid = this.nextCid;
    while (this.channels.has(cid)) cid = cid >= 0xffef ? 1 : cid + 1;
    this.nextCid = cid >= 0xffef ? 1 : cid + 1;
    this.channels.set(cid, { cid, state: 'TH1', sync: new SyncState(), sessions: new Map(), connectionConfirmed: false, lastUsed: ++this.clock });
    this.write(allocationResponse(nonce, cid, this.properties));
  }

  private sendData(channel: ThpChannel, kind: number, data: Uint8Array): void {
    this.write({ ctrl: channel.sync.nextControl(kind), cid: channel.cid, data });
  }

  private onData(channel: ThpChannel, kind: number, data: Uint8Array): void {
    if (kind === HANDSHAKE_INIT_REQ) {
      if (channel.state !== 'TH1') throw new Error('handshake restarted');
      const handshake = new DeviceHandshake({ prologue: this.properties, staticPrivateKey: this.staticPrivateKey, ephemeralPrivateKey: this.host.random(32) });
      const { response, tryToUnlock } = handshake.readInitiationRequest(data);
      if (this.host.locked() && !tryToUnlock) {
        // The firmware answers DEVICE_LOCKED; the host opens a new channel with try_to_unlock.
        this.channels.delete(channel.cid);
        this.write(errorFrame(channel.cid, ThpErrorCode.DEVICE_LOCKED));
        return;
      }
      channel.handshake = handshake;
      channel.state = 'TH2';
      this.sendData(channel, HANDSHAKE_INIT_RES, response);
      return;
    }
    if (kind === HANDSHAKE_COMP_REQ) {
      if (channel.state !== 'TH2' || !channel.handshake) throw new Error('handshake completion out of order');
      const { hostStaticPublicKey, credential } = channel.handshake.readCompletionRequest(data);
      const metadata = credential ? validateCredential(this.credentialKey, credential, hostStaticPublicKey) : undefined;
      const state = metadata ? TrezorState.PAIRED : TrezorState.UNPAIRED;
      const { response, result } = channel.handshake.completionResponse(state);
      channel.handshake = undefined;
      channel.secure = result.channel;
      channel.handshakeHash = result.handshakeHash;
      channel.hostStaticPublicKey = hostStaticPublicKey;
      channel.credential = metadata;
      channel.state = metadata ? 'TC1' : 'TP0';
      if (metadata) {
        channel.hostName = metadata.host_name;
        channel.appName = metadata.app_name;
        channel.connectionConfirmed = metadata.autoconnect === true;
      }
      this.sendData(channel, HANDSHAKE_COMP_RES, response);
      return;
    }
    if (kind === ENCRYPTED_TRANSPORT) {
      if (!channel.secure) throw new Error('encrypted data before the handshake');
      const message = channel.secure.open(data);
      this.host.deliver({ type: message.type, payload: message.payload, reports: 1, thp: { cid: channel.cid, sessionId: message.sessionId } });
      return;
    }
    throw new Error('a handshake response from the host');
  }

  /** Send an application message back to where a request came from. */
  sendApp(origin: ThpOrigin, type: number, payload: Uint8Array): void {
    const channel = this.channels.get(origin.cid);
    if (!channel?.secure) return; // the channel is gone: the answer is lost
    this.sendData(channel, ENCRYPTED_TRANSPORT, channel.secure.seal({ sessionId: origin.sessionId, type, payload }));
  }

  /**
   * DebugLinkGetPairingInfo as the debug firmware answers it (core/src/apps/debug/__init__.py):
   * the pairing secrets of a channel in its pairing phase; it also takes the host's NFC secret.
   */
  pairingInfo(request: { channel_id?: Uint8Array; handshake_hash?: Uint8Array; nfc_secret_host?: Uint8Array }): DebugLinkPairingInfo | undefined {
    const id = request.channel_id;
    if (!id || id.length !== 2) return undefined;
    const channel = this.channels.get((id[0]! << 8) | id[1]!);
    if (!channel || !channel.handshakeHash || channel.state === 'ENCRYPTED_TRANSPORT') return undefined;
    if (request.nfc_secret_host) channel.nfcSecretHost = request.nfc_secret_host.slice();
    const info: DebugLinkPairingInfo = { channel_id: id.slice(), handshake_hash: channel.handshakeHash.slice() };
    if (channel.codeEntry?.code !== undefined) info.code_entry_code = channel.codeEntry.code;
    if (channel.qrCode) info.code_qr_code = channel.qrCode.slice();
    if (channel.nfcSecret) info.nfc_secret_trezor = channel.nfcSecret.slice();
    return info;
  }
}
