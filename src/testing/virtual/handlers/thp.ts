/**
 * THP pairing, credential and session messages on the virtual device (a THP-only Safe 7, see
 * ../thp.ts): the pairing dialog, the pairing methods a debug firmware offers (code entry with
 * the code on screen, QR code, NFC through the debug link, skip), credentials, ThpEndRequest
 * and ThpCreateNewSession. States, checks and texts follow core/src/apps/thp/pairing.py,
 * core/src/trezor/wire/thp/ui.py and core/src/apps/base.py handle_ThpCreateNewSession of
 * trezor-firmware; the computations are the shared core (src/protocol/thp/pairing.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { MessageMap, MessageName } from '../../../messages/index.js';
import { CodeEntryDevice, issueCredential, nfcTag, qrCode, qrCodeTag } from '../../../protocol/thp/index.js';
import { fail, type Reply } from '../context.js';
import type { CoreContext, CoreHandlerTable } from '../device.js';
import { PAIRING_METHODS, type ThpChannel, type ThpChannelState } from '../thp.js';
import { screen } from '../screens.js';

/** The messages a channel takes before its encrypted transport phase. */
export const PAIRING_MESSAGES: ReadonlySet<string> = new Set<MessageName>([
  'ThpPairingRequest',
  'ThpSelectMethod',
  'ThpCodeEntryChallenge',
  'ThpCodeEntryCpaceHostTag',
  'ThpQrCodeTag',
  'ThpNfcTagHost',
  'ThpCredentialRequest',
  'ThpEndRequest',
  'Cancel',
  'ButtonAck',
]);

function channelOf(ctx: CoreContext, ...states: ThpChannelState[]): ThpChannel {
  const origin = ctx.device.thpOrigin;
  const channel = origin ? ctx.device.thp?.channel(origin.cid) : undefined;
  if (!channel || (states.length > 0 && !states.includes(channel.state))) fail('Failure_UnexpectedMessage', 'Unexpected message');
  return channel;
}

function methodName(method: unknown): string {
  const names: Record<number, string> = { 1: 'SkipPairing', 2: 'CodeEntry', 3: 'QrCode', 4: 'NFC' };
  return typeof method === 'number' ? (names[method] ?? String(method)) : String(method);
}

function random(ctx: CoreContext, n: number): Uint8Array {
  return ctx.device.random.bytes(n);
}

function equal(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

function pairingScreen(ctx: CoreContext, text: string | undefined): void {
  ctx.device.pairingScreen = text;
  if (text !== undefined) ctx.device.show(text);
}

const reply = <N extends MessageName>(type: N, message: MessageMap[N]): Reply => ({ type, message }) as Reply;

async function confirmPairing(ctx: CoreContext, name: string, title: string, channel: ThpChannel): Promise<void> {
  const who = channel.appName && channel.hostName ? `${channel.appName} on ${channel.hostName}` : (channel.appName ?? channel.hostName ?? '(unknown)');
  await ctx.confirm('ButtonRequest_Other', { text: `${title}\n${who}`, ...screen(ctx, name) });
}

/** The first message of the credential phase of a channel paired by credential asks the user. */
async function confirmConnection(ctx: CoreContext, channel: ThpChannel): Promise<void> {
  if (channel.connectionConfirmed) return;
  await confirmPairing(ctx, 'thp_connection_request', 'Connect to Trezor?', channel);
  channel.connectionConfirmed = true;
}

export const thpHandlers: CoreHandlerTable = {
  async ThpPairingRequest(ctx, request) {
    const channel = channelOf(ctx, 'TP0');
    if (!request.host_name) fail('Failure_DataError', 'Missing host_name.');
    if (!request.app_name) fail('Failure_DataError', 'Missing app_name.');
    channel.hostName = request.host_name;
    channel.appName = request.app_name;
    await confirmPairing(ctx, 'thp_pairing_request', 'Pair with Trezor?', channel);
    channel.state = 'TP1';
    return reply('ThpPairingRequestApproved', {});
  },

  async ThpSelectMethod(ctx, request) {
    const channel = channelOf(ctx, 'TP1', 'TP3');
    const method = methodName(request.selected_pairing_method);
    if (!PAIRING_METHODS.includes(method as never)) fail('Failure_DataError', 'Selected pairing method is not supported');
    const hh = channel.handshakeHash!;
    channel.method = method as never;
    if (method === 'SkipPairing') {
      if (channel.state !== 'TP1') fail('Failure_UnexpectedMessage', 'Unexpected message');
      channel.state = 'ENCRYPTED_TRANSPORT';
      pairingScreen(ctx, undefined);
      return reply('ThpEndResponse', {});
    }
    if (method === 'CodeEntry' && !channel.codeEntry) {
      channel.codeEntry = new CodeEntryDevice(hh, random(ctx, 16));
      channel.state = 'TP2';
      return reply('ThpCodeEntryCommitment', { commitment: channel.codeEntry.commitment });
    }
    if (method === 'CodeEntry') {
      if (channel.codeEntry!.code === undefined) fail('Failure_UnexpectedMessage', 'Unexpected message');
      pairingScreen(ctx, `Pairing code\n${String(channel.codeEntry!.code).padStart(6, '0')}`);
    } else if (method === 'QrCode') {
      channel.qrSecret = random(ctx, 16);
      channel.qrCode = qrCode(hh, channel.qrSecret);
      pairingScreen(ctx, 'Scan QR code');
    } else {
      channel.nfcSecret = random(ctx, 16);
      pairingScreen(ctx, 'NFC pairing');
    }
    channel.state = 'TP3';
    return reply('ThpPairingPreparationsFinished', {});
  },

  async ThpCodeEntryChallenge(ctx, request) {
    const channel = channelOf(ctx, 'TP2');
    if (!(request.challenge instanceof Uint8Array)) fail('Failure_DataError', 'Invalid message');
    const { code, cpaceTrezorPublicKey } = channel.codeEntry!.readChallenge(request.challenge, random(ctx, 32));
    pairingScreen(ctx, `Pairing code\n${String(code).padStart(6, '0')}`);
    channel.state = 'TP3';
    return reply('ThpCodeEntryCpaceTrezor', { cpace_trezor_public_key: cpaceTrezorPublicKey });
  },

  async ThpCodeEntryCpaceHostTag(ctx, request) {
    const channel = channelOf(ctx, 'TP3');
    if (methodName(channel.method) !== 'CodeEntry' || !channel.codeEntry) fail('Failure_UnexpectedMessage', 'Unexpected message');
    if (request.cpace_host_public_key.length !== 32) fail('Failure_DataError', 'CPACE host public key must be 32 bytes long');
    let secret: Uint8Array;
    try {
      secret = channel.codeEntry.readHostTag(request.cpace_host_public_key, request.tag);
    } catch {
      fail('Failure_DataError', 'Unexpected Code Entry Tag');
    }
    pairingScreen(ctx, undefined);
    channel.state = 'TC1';
    channel.connectionConfirmed = true;
    return reply('ThpCodeEntrySecret', { secret });
  },

  async ThpQrCodeTag(ctx, request) {
    const channel = channelOf(ctx, 'TP3');
    if (methodName(channel.method) !== 'QrCode' || !channel.qrCode) fail('Failure_UnexpectedMessage', 'Unexpected message');
    if (!equal(request.tag, qrCodeTag(channel.handshakeHash!, channel.qrCode))) fail('Failure_DataError', 'Unexpected QR Code Tag');
    pairingScreen(ctx, undefined);
    channel.state = 'TC1';
    channel.connectionConfirmed = true;
    return reply('ThpQrCodeSecret', { secret: channel.qrSecret! });
  },

  async ThpNfcTagHost(ctx, request) {
    const channel = channelOf(ctx, 'TP3');
    if (methodName(channel.method) !== 'NFC' || !channel.nfcSecret) fail('Failure_UnexpectedMessage', 'Unexpected message');
    const hh = channel.handshakeHash!;
    if (!equal(request.tag, nfcTag(hh, channel.nfcSecret))) fail('Failure_DataError', 'Unexpected NFC Unidirectional Tag');
    // The host's secret reaches the device over NFC; here through DebugLinkGetPairingInfo.
    if (!channel.nfcSecretHost || channel.nfcSecretHost.length !== 16) fail('Failure_DataError', 'Handshake hash mismatch');
    pairingScreen(ctx, undefined);
    channel.state = 'TC1';
    channel.connectionConfirmed = true;
    return reply('ThpNfcTagTrezor', { tag: nfcTag(hh, channel.nfcSecretHost) });
  },

  async ThpCredentialRequest(ctx, request) {
    const channel = channelOf(ctx, 'TC1', 'ENCRYPTED_TRANSPORT');
    if (!(request.host_static_public_key instanceof Uint8Array)) fail('Failure_DataError', 'Invalid message');
    if (channel.state === 'TC1') await confirmConnection(ctx, channel);
    const autoconnect = request.autoconnect ?? false;
    if (autoconnect && !channel.credential) fail('Failure_DataError', 'Cannot ask for autoconnect credential after pairing');
    if (autoconnect) await confirmPairing(ctx, 'thp_autoconnect_credential_request', 'Autoconnect?', channel);
    const credential = issueCredential(ctx.device.thp!.credentialKey, request.host_static_public_key, {
      host_name: channel.hostName ?? '',
      app_name: channel.appName ?? '',
      autoconnect,
    });
    return reply('ThpCredentialResponse', { trezor_static_public_key: ctx.device.thp!.staticPublicKey, credential });
  },

  async ThpEndRequest(ctx) {
    const channel = channelOf(ctx, 'TC1');
    await confirmConnection(ctx, channel);
    channel.state = 'ENCRYPTED_TRANSPORT';
    return reply('ThpEndResponse', {});
  },

  async ThpCreateNewSession(ctx, request) {
    const channel = channelOf(ctx, 'ENCRYPTED_TRANSPORT');
    const sessionId = ctx.device.thpOrigin!.sessionId;
    if (request.passphrase !== undefined && request.on_device) fail('Failure_DataError', "Passphrase provided when it shouldn't be!");
    await ctx.unlock();
    const keys = await ctx.device.thpSessionKeys(request);
    channel.sessions.set(sessionId, { id: sha256(Uint8Array.of(channel.cid >> 8, channel.cid & 0xff, sessionId)), keys });
    return reply('Success', { message: 'New session created.' });
  },
};
