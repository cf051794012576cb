/**
 * The THP handshake as two sans-I/O state machines, one per role: HostHandshake (initiator)
 * and DeviceHandshake (responder). Noise XX over Curve25519/AES-GCM/SHA-256 with the device's
 * properties as the prologue and the device's static key masked (specification, states TH1,
 * TH2, HH0..HH3; trezorlib 0.20.1 thp/channel.py does the host side with the `noise` package):
 *
 *   host → device  HandshakeInitiationRequest   e_h (32) ‖ try_to_unlock (1)
 *   device → host  HandshakeInitiationResponse  e_t (32) ‖ enc(masked s_t) (48) ‖ tag (16)
 *   host → device  HandshakeCompletionRequest   enc(s_h) (48) ‖ enc(ThpHandshakeCompletionReqNoisePayload)
 *   device → host  HandshakeCompletionResponse  enc(trezor_state) (17), with the response key
 *
 * Each method takes the data of the previous frame and returns the data of the next; the
 * caller frames them (control bytes HANDSHAKE_*) and owns the I/O. Any failure (wrong tag, bad
 * length, a call out of order) is a ProtocolError and the handshake is dead.
 */
import { protocolError } from '../../errors.js';
import { decodeEmbedded, encodeEmbedded, type ThpHandshakeCompletionReqNoisePayload } from '../../messages/index.js';
import { SymmetricState } from './noise.js';
import { SecureChannel } from './secure.js';
import { dh, maskedStaticKey, publicKeyOf, randomKey, staticKeyMask } from './x25519.js';

/** What the device answers in HandshakeCompletionResponse. */
export const TrezorState = { UNPAIRED: 0, PAIRED: 1, PAIRED_AUTOCONNECT: 2 } as const;
export type TrezorStateValue = (typeof TrezorState)[keyof typeof TrezorState];

/** A credential the host stored from a ThpCredentialResponse, with the host key it belongs to. */
export interface StoredCredential {
  /** The device's (unmasked) static public key, ThpCredentialResponse.trezor_static_public_key. */
  trezorStaticPublicKey: Uint8Array;
  /** The host static private key the credential was issued for. */
  hostStaticPrivateKey: Uint8Array;
  /** The opaque credential bytes. */
  credential: Uint8Array;
}

/**
 * Does this stored credential belong to the device behind a handshake? True when
 * X25519(SHA-256(static ‖ ephemeral), static) is the masked key the device showed
 * (trezorlib thp/credentials.py matches()).
 */
export function credentialMatches(trezorStaticPublicKey: Uint8Array, trezorEphemeralPublicKey: Uint8Array, maskedKey: Uint8Array): boolean {
  try {
    const candidate = maskedStaticKey(trezorStaticPublicKey, trezorEphemeralPublicKey);
    return candidate.length === maskedKey.length && candidate.every((b, i) => b === maskedKey[i]);
  } catch {
    return false;
  }
}

function expectLength(what: string, data: Uint8Array, min: number, max = min): void {
  if (data.length < min || data.length > max) throw protocolError(`${what}: ${data.length} bytes, expected ${min === max ? min : `${min}..${max}`}`);
}

export interface HostHandshakeOptions {
  /** The raw ThpDeviceProperties from the allocation response (the prologue). */
  prologue: Uint8Array;
  /** Ask a locked device to show its PIN entry instead of answering DEVICE_LOCKED. */
  tryToUnlock?: boolean;
  /** Host static key used when no stored credential matches (default: a fresh random key). */
  staticPrivateKey?: Uint8Array;
  /** Test only: a fixed ephemeral key. */
  ephemeralPrivateKey?: Uint8Array;
}

/** Result of the host reading HandshakeInitiationResponse. */
export interface HostCompletion {
  /** Data of the HandshakeCompletionRequest frame. */
  request: Uint8Array;
  /** The stored credential that matched this device, if any (sent in the request). */
  credential: StoredCredential | undefined;
  /** The device's ephemeral and masked static keys, as seen in the handshake. */
  trezorEphemeralPublicKey: Uint8Array;
  trezorMaskedStaticPublicKey: Uint8Array;
}

/** Result of a finished handshake. */
export interface HandshakeResult {
  /** The device's state: 0 unpaired (pairing follows), 1 paired, 2 paired with autoconnect. */
  trezorState: TrezorStateValue;
  /** h after the last message: binds pairing to this channel. */
  handshakeHash: Uint8Array;
  /** Encryption of the application messages, this side's view. */
  channel: SecureChannel;
  /** The host's static key pair used in this handshake (host role). */
  hostStaticPrivateKey?: Uint8Array;
  hostStaticPublicKey: Uint8Array;
}

/** The step bookkeeping both roles share: steps are taken in order, and an error ends the handshake. */
class Steps<S extends string> {
  constructor(private step: S | 'failed') {}

  advance(from: S, to: S): void {
    if (this.step !== from) throw protocolError(`THP handshake step out of order (in state ${this.step})`);
    this.step = to;
  }

  guard<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      this.step = 'failed';
      throw error;
    }
  }
}

/**
 * Host side (initiator).
 * @example
 * const hs = new HostHandshake({ prologue: allocation.properties });
 * send(HANDSHAKE_INIT_REQ, hs.initiationRequest());
 * const { request } = hs.readInitiationResponse(data, storedCredentials);
 * send(HANDSHAKE_COMP_REQ, request);
 * const { trezorState, channel } = hs.readCompletionResponse(data2);
 */
export class HostHandshake {
  private readonly sym: SymmetricState;
  private readonly ephemeral: Uint8Array;
  private staticKey: Uint8Array;
  private readonly tryToUnlock: boolean;
  private readonly steps = new Steps<'init' | 'wait-init' | 'wait-comp' | 'done'>('init');

  constructor(options: HostHandshakeOptions) {
    this.sym = new SymmetricState(options.prologue);
    this.ephemeral = options.ephemeralPrivateKey ?? randomKey();
    this.staticKey = options.staticPrivateKey ?? randomKey();
    this.tryToUnlock = options.tryToUnlock ?? false;
  }

  /** Data of HandshakeInitiationRequest: e_h ‖ try_to_unlock. */
  initiationRequest(): Uint8Array {
    this.steps.advance('init', 'wait-init');
    const e = publicKeyOf(this.ephemeral);
    this.sym.mixHash(e); // token e
    const payload = this.sym.encryptAndHash(Uint8Array.of(this.tryToUnlock ? 1 : 0)); // no key yet: in clear
    const out = new Uint8Array(33);
    out.set(e);
    out.set(payload, 32);
    return out;
  }

  /**
   * Read HandshakeInitiationResponse and build HandshakeCompletionRequest. The first stored
   * credential that matches the device is sent, with its host key; otherwise the fresh host key
   * and no credential.
   */
  readInitiationResponse(data: Uint8Array, credentials: readonly StoredCredential[] = []): HostCompletion {
    this.steps.advance('wait-init', 'wait-comp');
    return this.steps.guard(() => {
      expectLength('HandshakeInitiationResponse', data, 96);
      const re = data.slice(0, 32);
      this.sym.mixHash(re); // e
      this.sym.mixKey(dh(this.ephemeral, re)); // ee
      const rs = this.sym.decryptAndHash(data.subarray(32, 80)); // s (masked)
      this.sym.mixKey(dh(this.ephemeral, rs)); // es
      const empty = this.sym.decryptAndHash(data.subarray(80, 96));
      if (empty.length !== 0) throw protocolError('HandshakeInitiationResponse carries an unexpected payload');
      const credential = credentials.find((c) => credentialMatches(c.trezorStaticPublicKey, re, rs));
      if (credential) this.staticKey = credential.hostStaticPrivateKey.slice();
      const s = this.sym.encryptAndHash(publicKeyOf(this.staticKey)); // s
      this.sym.mixKey(dh(this.staticKey, re)); // se
      const payload: ThpHandshakeCompletionReqNoisePayload = credential ? { host_pairing_credential: credential.credential } : {};
      const encrypted = this.sym.encryptAndHash(encodeEmbedded('ThpHandshakeCompletionReqNoisePayload', payload));
      const request = new Uint8Array(s.length + encrypted.length);
      request.set(s);
      request.set(encrypted, s.length);
      return { request, credential, trezorEphemeralPublicKey: re, trezorMaskedStaticPublicKey: rs };
    });
  }

  /** Read HandshakeCompletionResponse: the device's state and the channel keys. */
  readCompletionResponse(data: Uint8Array): HandshakeResult {
    this.steps.advance('wait-comp', 'done');
    return this.steps.guard(() => {
      expectLength('HandshakeCompletionResponse', data, 17);
      const [send, receive] = this.sym.split();
      const state = receive.decrypt(data);
      if (state.length !== 1 || state[0]! > 2) throw protocolError('HandshakeCompletionResponse: invalid device state');
      return {
        trezorState: state[0] as TrezorStateValue,
        handshakeHash: this.sym.h.slice(),
        channel: new SecureChannel(send, receive),
        hostStaticPrivateKey: this.staticKey.slice(),
        hostStaticPublicKey: publicKeyOf(this.staticKey),
      };
    });
  }

}

export interface DeviceHandshakeOptions {
  /** The encoded ThpDeviceProperties this channel was allocated with. */
  prologue: Uint8Array;
  /** The device's static X25519 private key. */
  staticPrivateKey: Uint8Array;
  /** Test only: a fixed ephemeral key. */
  ephemeralPrivateKey?: Uint8Array;
}

/** What the device learns from HandshakeCompletionRequest. */
export interface DeviceCompletion {
  hostStaticPublicKey: Uint8Array;
  /** The credential the host presented (to be validated), if any. */
  credential: Uint8Array | undefined;
}

/**
 * Device side (responder).
 * @example
 * const hs = new DeviceHandshake({ prologue, staticPrivateKey });
 * const { response } = hs.readInitiationRequest(data);         // send as HANDSHAKE_INIT_RES
 * const { hostStaticPublicKey, credential } = hs.readCompletionRequest(data2);
 * const { response: r2, result } = hs.completionResponse(valid ? TrezorState.PAIRED : TrezorState.UNPAIRED);
 */
export class DeviceHandshake {
  private readonly sym: SymmetricState;
  private readonly ephemeral: Uint8Array;
  private readonly staticKey: Uint8Array;
  private hostStatic: Uint8Array | undefined;
  private readonly steps = new Steps<'wait-init' | 'wait-comp' | 'respond' | 'done'>('wait-init');

  constructor(options: DeviceHandshakeOptions) {
    this.sym = new SymmetricState(options.prologue);
    this.ephemeral = options.ephemeralPrivateKey ?? randomKey();
    this.staticKey = options.staticPrivateKey.slice();
  }

  /** Read HandshakeInitiationRequest; returns the HandshakeInitiationResponse data. */
  readInitiationRequest(data: Uint8Array): { response: Uint8Array; tryToUnlock: boolean } {
    this.steps.advance('wait-init', 'wait-comp');
    return this.steps.guard(() => {
      expectLength('HandshakeInitiationRequest', data, 33);
      const re = data.slice(0, 32);
      this.sym.mixHash(re); // e
      const unlock = this.sym.decryptAndHash(data.subarray(32, 33)); // payload, in clear
      const e = publicKeyOf(this.ephemeral);
      this.sym.mixHash(e); // e
      this.sym.mixKey(dh(this.ephemeral, re)); // ee
      const staticPublic = publicKeyOf(this.staticKey);
      const mask = staticKeyMask(staticPublic, e);
      const s = this.sym.encryptAndHash(maskedStaticKey(staticPublic, e)); // s (masked)
      this.sym.mixKey(dh(mask, dh(this.staticKey, re))); // es with the masked key
      const tag = this.sym.encryptAndHash(new Uint8Array(0));
      const response = new Uint8Array(96);
      response.set(e);
      response.set(s, 32);
      response.set(tag, 80);
      return { response, tryToUnlock: (unlock[0]! & 1) === 1 };
    });
  }

  /** Read HandshakeCompletionRequest: the host's static key and its credential. */
  readCompletionRequest(data: Uint8Array): DeviceCompletion {
    this.steps.advance('wait-comp', 'respond');
    return this.steps.guard(() => {
      if (data.length < 48 + 16) throw protocolError(`HandshakeCompletionRequest: ${data.length} bytes, too short`);
      const hostStatic = this.sym.decryptAndHash(data.subarray(0, 48)); // s
      this.sym.mixKey(dh(this.ephemeral, hostStatic)); // se
      const payload = this.sym.decryptAndHash(data.subarray(48));
      const decoded = decodeEmbedded<ThpHandshakeCompletionReqNoisePayload>('ThpHandshakeCompletionReqNoisePayload', payload);
      this.hostStatic = hostStatic;
      return { hostStaticPublicKey: hostStatic, credential: decoded.host_pairing_credential };
    });
  }

  /** Data of HandshakeCompletionResponse for `state`, and the device's channel keys. */
  completionResponse(state: TrezorStateValue): { response: Uint8Array; result: HandshakeResult } {
    this.steps.advance('respond', 'done');
    const [receive, send] = this.sym.split();
    const response = send.encrypt(Uint8Array.of(state));
    return {
      response,
      result: {
        trezorState: state,
        handshakeHash: this.sym.h.slice(),
        channel: new SecureChannel(send, receive),
        hostStaticPublicKey: this.hostStatic!.slice(),
      },
    };
  }

}
