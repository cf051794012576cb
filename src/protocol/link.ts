/**
 * The message-level seam between the session and the wire.
 *
 * A `Transport` moves bytes (64-byte reports, datagrams, HTTP bodies). A `MessageLink` sits on
 * top of one open connection and moves whole `(type, payload)` messages, owning its framing:
 * protocol v1 cuts messages into `?##` reports, the Trezor Host Protocol (THP) encrypts them on
 * a channel with its own acks and retransmission, and the Bridge already speaks whole
 * messages. The session talks only to a link, so each protocol fits without special cases in
 * the call loop.
 */

/** One protobuf message on the wire: its numeric type and its encoded body. */
export interface WireMessage {
  type: number;
  payload: Uint8Array;
}

export interface MessageLink {
  /** Which framing this link speaks ('v1', 'thp', 'bridge'). */
  readonly protocol: string;
  /** Send one whole message. Rejects with DeviceDisconnected when the device is gone. */
  write(message: WireMessage, signal?: AbortSignal): Promise<void>;
  /**
   * Receive the next whole message. Rejects with ProtocolError on a malformed frame, Timeout
   * when the device goes silent in the middle of a message, DeviceDisconnected when it goes away.
   */
  read(signal?: AbortSignal): Promise<WireMessage>;
  /** Release the device. Safe to call twice. */
  close(signal?: AbortSignal): Promise<void>;
  /** Subscribe to the device going away; returns an unsubscribe function. */
  onDisconnect(listener: () => void): () => void;
}
