/**
 * A scripted THP device for the host link's tests, built from the THP core's device-side pieces
 * (DeviceHandshake, CodeEntryDevice, credentials, SecureChannel) and the firmware's behaviour as
 * read in trezor-firmware core/src/apps/thp/pairing.py and core/src/apps/base.py:
 * - answers v1 with the fixed Failure(InvalidProtocol) report;
 * - allocation, handshake, pairing (code entry, QR, skip; the "allow pairing" and "allow
 *   connection" dialogs as ButtonRequests), credentials (issued on request, validated in the
 *   handshake), channel replacement (a second channel with the same host key → state 2 and the
 *   sessions carried over);
 * - encrypted transport: GetFeatures, Ping, ThpCreateNewSession, and GetAddress on a seeded
 *   session only (the address is a placeholder: these tests are about the protocol).
 * Knobs make it refuse pairing, drop ACKs, or forget credentials. It is not the VirtualTrezor's
 * THP mode (which is held to trezorlib); it exists to script failures.
 */
import { decodeMessage, encodeMessage, type AnyMessage, type MessageMap, type MessageName } from '../../src/messages/index.js';
import {
  ACK,
  CODEC_V1,
  CHANNEL_ALLOCATION_REQ,
  ENCRYPTED_TRANSPORT,
  HANDSHAKE_COMP_REQ,
  HANDSHAKE_COMP_RES,
  HANDSHAKE_INIT_REQ,
  HANDSHAKE_INIT_RES,
  TRANSPORT_ERROR,
  CodeEntryDevice,
  DeviceHandshake,
  FrameDecoder,
  TrezorState,
  allocationResponse,
  credentialKey,
  dataControl,
  dataKind,
  encodeDeviceProperties,
  encodePackets,
  formatCode,
  issueCredential,
  publicKeyOf,
  qrCode,
  qrCodeTag,
  seqBit,
  validateCredential,
  type Frame,
  type SecureChannel,
} from '../../src/protocol/thp/index.js';
import { THP_V1_ANSWER } from '../../src/protocol/thp-host/detect.js';
import { memoryTransport, type MemoryDeviceEnd } from '../../src/transport/memory.js';

export interface FakeThpOptions {
  pairingMethods?: ('SkipPairing' | 'CodeEntry' | 'QrCode')[];
  /** Refuse the "allow pairing" dialog (Failure ActionCancelled). */
  refusePairing?: boolean;
  /** Refuse the "allow connection" dialog of a credential connection. */
  refuseConnection?: boolean;
  /** Drop the first ACK the host should receive for each of these frame kinds (tests retransmission). */
  dropFirstAckOf?: number[];
  passphraseProtection?: boolean;
  /** In encrypted transport, answer the first message with UNALLOCATED_CHANNEL (a forgotten channel). */
  forgetChannel?: boolean;
}

export interface FakeThpDevice {
  transport: ReturnType<typeof memoryTransport>;
  /** The code the device shows (code entry), once shown. */
  code: string | undefined;
  /** The QR payload the device shows (hex), once shown. */
  qr: string | undefined;
  /** Bump the credential counter: every credential issued so far is invalid. */
  revokeCredentials(): void;
  /** What the host did, for assertions. */
  log: string[];
  /** Protocol violations seen (a test asserts this is empty). */
  errors: string[];
  /** Sessions created: id → passphrase ('' standard wallet, null on device). */
  sessions: Map<number, string | null>;
  /** Unplug the current connection. */
  unplug(): void;
  options: FakeThpOptions;
}

const STATIC_KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

export function fakeThpDevice(options: FakeThpOptions = {}): FakeThpDevice {
  const deviceSecret = new Uint8Array(32).fill(7);
  let counter = 0;
  let cidCounter = 0x1230;
  /** Host static keys (hex) whose last channel reached encrypted transport, with their sessions. */
  const openChannels = new Map<string, Set<number>>();
  let current: MemoryDeviceEnd | undefined;
  const device: FakeThpDevice = {
    transport: memoryTransport({ onOpen: (end) => void serve(end) }),
    code: undefined,
    qr: undefined,
    log: [],
    errors: [],
    sessions: new Map(),
    options,
    revokeCredentials: () => void counter++,
    unplug: () => current?.disconnect(),
  };
  const properties = encodeDeviceProperties({
    internal_model: 'T3W1',
    model_variant: 0,
    protocol_version_major: 2,
    protocol_version_minor: 0,
    pairing_methods: options.pairingMethods ?? ['CodeEntry'],
  });
  const dropped = new Set<number>();

  async function serve(end: MemoryDeviceEnd): Promise<void> {
    current = end;
    const decoder = new FrameDecoder();
    const inbox: Frame[] = [];
    let wake: (() => void) | undefined;
    let cid = 0;
    let sendBit: 0 | 1 = 0;
    let receiveBit: 0 | 1 = 0;
    let awaitingAck: ((ok: boolean) => void) | undefined;
    const send = (frame: Frame) => {
      for (const p of encodePackets(frame)) end.write(p);
    };
    // Reader: ACKs go to the sender, data frames are acknowledged and queued.
    void (async () => {
      for (;;) {
        let packet: Uint8Array;
        try {
          packet = await end.read();
        } catch {
          return;
        }
        if (packet[0] === CODEC_V1) {
          if (packet[1] === 0x23) end.write(THP_V1_ANSWER);
          continue;
        }
        let frame: Frame | undefined;
        try {
          frame = decoder.push(packet);
        } catch (e) {
          device.errors.push(`bad packet from host: ${String(e)}`);
          continue;
        }
        if (!frame) continue;
        if (frame.ctrl === CHANNEL_ALLOCATION_REQ) {
          cid = ++cidCounter;
          sendBit = 0;
          receiveBit = 0;
          send(allocationResponse(frame.data, cid, properties));
          continue;
        }
        if ((frame.ctrl & 0xf7) === ACK) {
          if (awaitingAck) awaitingAck(((frame.ctrl >> 3) & 1) === sendBit);
          continue;
        }
        const kind = dataKind(frame.ctrl);
        if (kind === undefined) {
          device.errors.push(`unexpected control byte 0x${frame.ctrl.toString(16)}`);
          continue;
        }
        if (kind === HANDSHAKE_INIT_REQ && frame.ctrl & 0x08) device.errors.push('the host asked for ACK piggybacking');
        const seq = seqBit(frame.ctrl);
        if (options.dropFirstAckOf?.includes(kind) && !dropped.has(kind)) {
          dropped.add(kind); // as if our ACK were lost: the host must retransmit
          continue;
        }
        send({ ctrl: ACK | (seq << 3), cid, data: new Uint8Array() });
        if (seq !== receiveBit) {
          device.log.push('duplicate');
          continue;
        }
        receiveBit = receiveBit ? 0 : 1;
        inbox.push({ ...frame, ctrl: kind });
        wake?.();
      }
    })();
    const next = async (): Promise<Frame> => {
      while (!inbox.length) await new Promise<void>((r) => (wake = r));
      return inbox.shift()!;
    };
    /** A data frame, then the host's ACK (no retransmission: a missing ACK is an error here). */
    const sendData = async (kind: number, data: Uint8Array) => {
      const acked = new Promise<boolean>((r) => (awaitingAck = r));
      send({ ctrl: dataControl(kind, sendBit), cid, data });
      const ok = await Promise.race([acked, new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
      awaitingAck = undefined;
      if (!ok) device.errors.push(`no ACK for device frame kind ${kind}`);
      sendBit = sendBit ? 0 : 1;
    };

    try {
      // Handshake.
      let frame = await next();
      if (frame.ctrl !== HANDSHAKE_INIT_REQ) throw new Error('expected handshake init');
      const hs = new DeviceHandshake({ prologue: properties, staticPrivateKey: STATIC_KEY });
      await sendData(HANDSHAKE_INIT_RES, hs.readInitiationRequest(frame.data).response);
      frame = await next();
      if (frame.ctrl !== HANDSHAKE_COMP_REQ) throw new Error('expected handshake completion');
      const { hostStaticPublicKey, credential } = hs.readCompletionRequest(frame.data);
      const hostKey = hex(hostStaticPublicKey);
      const metadata = credential ? validateCredential(credentialKey(deviceSecret, counter), credential, hostStaticPublicKey) : undefined;
      const replaced = metadata !== undefined && openChannels.has(hostKey);
      const state = metadata ? (replaced ? TrezorState.PAIRED_AUTOCONNECT : TrezorState.PAIRED) : TrezorState.UNPAIRED;
      device.log.push(`handshake state ${state}`);
      const { response, result } = hs.completionResponse(state);
      await sendData(HANDSHAKE_COMP_RES, response);
      const channel: SecureChannel = result.channel;
      const hh = result.handshakeHash;
      let sessions = replaced ? openChannels.get(hostKey)! : new Set<number>();

      const reply = async (sessionId: number, name: MessageName, message: object) => {
        const { type, payload } = encodeMessage(name, message as never);
        await sendData(ENCRYPTED_TRANSPORT, channel.seal({ sessionId, type, payload }));
      };
      const read = async (): Promise<{ sessionId: number; message: AnyMessage }> => {
        const f = await next();
        if (f.ctrl !== ENCRYPTED_TRANSPORT) throw new Error('expected encrypted transport');
        const m = channel.open(f.data);
        const message = decodeMessage(m.type, m.payload);
        device.log.push(message.type);
        return { sessionId: m.sessionId, message };
      };
      const dialog = async (name: string): Promise<boolean> => {
        await reply(0, 'ButtonRequest', { code: 'ButtonRequest_Other', name });
        const ack = await read();
        if (ack.message.type !== 'ButtonAck') throw new Error(`expected ButtonAck, got ${ack.message.type}`);
        return true;
      };

      // Pairing / credential phase.
      let hostName = metadata?.host_name;
      let appName = metadata?.app_name;
      let paired = state !== TrezorState.UNPAIRED;
      let first = true;
      for (;;) {
        const { message } = await read();
        if (!paired) {
          if (message.type === 'ThpPairingRequest') {
            hostName = message.message.host_name;
            appName = message.message.app_name;
            await dialog('thp_pairing_request');
            if (options.refusePairing) {
              await reply(0, 'Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
              return;
            }
            await reply(0, 'ThpPairingRequestApproved', {});
            continue;
          }
          if (message.type === 'ThpSelectMethod') {
            const method = message.message.selected_pairing_method;
            if (method === 'SkipPairing') {
              await reply(0, 'ThpEndResponse', {});
              break;
            }
            if (method === 'CodeEntry') {
              const ce = new CodeEntryDevice(hh);
              await reply(0, 'ThpCodeEntryCommitment', { commitment: ce.commitment });
              const challenge = await read();
              if (challenge.message.type !== 'ThpCodeEntryChallenge') throw new Error('expected challenge');
              const { code, cpaceTrezorPublicKey } = ce.readChallenge(challenge.message.message.challenge);
              device.code = formatCode(code); // on the screen as the message goes out
              await reply(0, 'ThpCodeEntryCpaceTrezor', { cpace_trezor_public_key: cpaceTrezorPublicKey });
              const tag = await read();
              if (tag.message.type !== 'ThpCodeEntryCpaceHostTag') throw new Error('expected host tag');
              let secret: Uint8Array;
              try {
                secret = ce.readHostTag(tag.message.message.cpace_host_public_key, tag.message.message.tag);
              } catch {
                await reply(0, 'Failure', { code: 'Failure_DataError', message: 'Unexpected Code Entry Tag' });
                return;
              }
              await reply(0, 'ThpCodeEntrySecret', { secret });
              paired = true;
              continue;
            }
            if (method === 'QrCode') {
              const secret = crypto.getRandomValues(new Uint8Array(16));
              const qr = qrCode(hh, secret);
              device.qr = hex(qr);
              await reply(0, 'ThpPairingPreparationsFinished', {});
              const tag = await read();
              if (tag.message.type !== 'ThpQrCodeTag') throw new Error('expected QR tag');
              if (hex(tag.message.message.tag) !== hex(qrCodeTag(hh, qr))) {
                await reply(0, 'Failure', { code: 'Failure_DataError', message: 'Unexpected QR Code Tag' });
                return;
              }
              await reply(0, 'ThpQrCodeSecret', { secret });
              paired = true;
              continue;
            }
          }
          throw new Error(`unexpected ${message.type} while pairing`);
        }
        if (first && state !== TrezorState.UNPAIRED && state !== TrezorState.PAIRED_AUTOCONNECT && !metadata?.autoconnect) {
          await dialog('thp_connection_request');
          if (options.refuseConnection) {
            await reply(0, 'Failure', { code: 'Failure_ActionCancelled', message: 'Cancelled' });
            return;
          }
        }
        first = false;
        if (message.type === 'ThpCredentialRequest') {
          const autoconnect = message.message.autoconnect === true;
          if (autoconnect && state === TrezorState.UNPAIRED) {
            // core/src/apps/thp/pairing.py: "Cannot ask for autoconnect credential after pairing"
            await reply(0, 'Failure', { code: 'Failure_DataError', message: 'Cannot ask for autoconnect credential after pairing' });
            return;
          }
          if (autoconnect) await dialog('thp_autoconnect_credential_request');
          const issued = issueCredential(credentialKey(deviceSecret, counter), message.message.host_static_public_key, {
            host_name: hostName ?? '',
            app_name: appName ?? '',
            ...(autoconnect ? { autoconnect: true } : {}),
          });
          await reply(0, 'ThpCredentialResponse', { trezor_static_public_key: publicKeyOf(STATIC_KEY), credential: issued });
          continue;
        }
        if (message.type === 'ThpEndRequest') {
          await reply(0, 'ThpEndResponse', {});
          break;
        }
        throw new Error(`unexpected ${message.type} in the credential phase`);
      }

      // Encrypted transport.
      openChannels.set(hostKey, sessions);
      for (;;) {
        const { sessionId, message } = await read();
        if (options.forgetChannel) {
          send({ ctrl: TRANSPORT_ERROR, cid, data: Uint8Array.of(2) });
          return;
        }
        switch (message.type) {
          case 'GetFeatures':
            await reply(sessionId, 'Features', features(options));
            break;
          case 'Ping':
            await reply(sessionId, 'Success', { message: message.message.message ?? '' });
            break;
          case 'ThpCreateNewSession':
            sessions.add(sessionId);
            device.sessions.set(sessionId, message.message.on_device ? null : (message.message.passphrase ?? ''));
            await reply(sessionId, 'Success', { message: 'New session created.' });
            break;
          case 'GetAddress':
            if (!sessions.has(sessionId)) await reply(sessionId, 'Failure', { code: 'Failure_InvalidSession', message: 'Invalid session' });
            else await reply(sessionId, 'Address', { address: `address-of-session-${sessionId}` });
            break;
          default:
            await reply(sessionId, 'Failure', { code: 'Failure_UnexpectedMessage', message: 'Unexpected message' });
        }
      }
    } catch (error) {
      if ((error as { code?: string })?.code !== 'DeviceDisconnected' && current === end && end.opened) device.errors.push(String(error));
    }
  }
  return device;
}

function features(options: FakeThpOptions): MessageMap['Features'] {
  return {
    vendor: 'trezor.io',
    major_version: 2,
    minor_version: 9,
    patch_version: 3,
    device_id: 'FAKE-THP',
    initialized: true,
    model: 'Safe 7',
    internal_model: 'T3W1',
    passphrase_protection: options.passphraseProtection ?? false,
    capabilities: ['Capability_Bitcoin', 'Capability_PassphraseEntry'],
  } as MessageMap['Features'];
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
