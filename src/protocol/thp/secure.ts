/**
 * The encrypted transport after the handshake: each application message is
 * session_id (1) ‖ message_type (u16 BE) ‖ protobuf, encrypted with AES-256-GCM under the key
 * of its direction (request key host → device, response key device → host) and that
 * direction's counter, no associated data (specification "Handshake phase" steps 8-12 of TH2;
 * trezorlib 0.20.1 thp/client.py HEADER_FMT ">BH" and Channel.write_chunk/read_chunk).
 */
import { protocolError } from '../../errors.js';
import type { CipherState } from './noise.js';

/** A message inside the encrypted channel. */
export interface AppMessage {
  /** 0 for the pairing / seedless session, 1..255 for sessions the host created. */
  sessionId: number;
  type: number;
  payload: Uint8Array;
}

/** Plaintext of one application message. */
export function encodeAppMessage(message: AppMessage): Uint8Array {
  const { sessionId, type, payload } = message;
  if (!Number.isInteger(sessionId) || sessionId < 0 || sessionId > 0xff) throw protocolError(`THP session id out of range: ${String(sessionId)}`);
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw protocolError(`message type out of range: ${String(type)}`);
  const out = new Uint8Array(3 + payload.length);
  out[0] = sessionId;
  out[1] = type >> 8;
  out[2] = type & 0xff;
  out.set(payload, 3);
  return out;
}

export function decodeAppMessage(plaintext: Uint8Array): AppMessage {
  if (plaintext.length < 3) throw protocolError('THP application message shorter than its header');
  return { sessionId: plaintext[0]!, type: (plaintext[1]! << 8) | plaintext[2]!, payload: plaintext.slice(3) };
}

/**
 * Both directions of an established channel, from one side's point of view.
 * @example
 * const data = channel.seal({ sessionId: 0, type: 55, payload: new Uint8Array() }); // GetFeatures
 * const reply = channel.open(responseData);
 */
export class SecureChannel {
  constructor(
    private readonly send: CipherState,
    private readonly receive: CipherState,
  ) {}

  /** Encrypt an outgoing message: the data of an ENCRYPTED_TRANSPORT frame. */
  seal(message: AppMessage): Uint8Array {
    return this.send.encrypt(encodeAppMessage(message));
  }

  /** Decrypt an incoming ENCRYPTED_TRANSPORT frame's data (ProtocolError when it fails). */
  open(data: Uint8Array): AppMessage {
    return decodeAppMessage(this.receive.decrypt(data));
  }

  /** Counters of the next message each way (for tests and diagnostics). */
  get nonces(): { send: number; receive: number } {
    return { send: this.send.nonce, receive: this.receive.nonce };
  }
}
