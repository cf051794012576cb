/**
 * THP control bytes: the first byte of every packet says what it carries (handshake step,
 * encrypted data, ACK, channel allocation, error, ping) and, on data and ACK packets, the
 * alternating sequence bit and the ACK bit. Values and masks from the THP specification's
 * "Transport packet structure" table, as trezorlib 0.20.1 (thp/control_byte.py) reads them.
 */

/** Set on continuation packets (the rest of the byte is reserved, sent as zero). */
export const CONTINUATION = 0x80;

export const HANDSHAKE_INIT_REQ = 0x00;
export const HANDSHAKE_INIT_RES = 0x01;
export const HANDSHAKE_COMP_REQ = 0x02;
export const HANDSHAKE_COMP_RES = 0x03;
export const ENCRYPTED_TRANSPORT = 0x04;
/** ACK without its sequence bit (0x20 ACK0, 0x28 ACK1). */
export const ACK = 0x20;
/** Protocol v1's '?' report magic reaching a THP device. */
export const CODEC_V1 = 0x3f;
export const CHANNEL_ALLOCATION_REQ = 0x40;
export const CHANNEL_ALLOCATION_RES = 0x41;
export const TRANSPORT_ERROR = 0x42;
export const PING = 0x43;
export const PONG = 0x44;

/** Sequence bit of a data packet (mask 0x10). */
export const SEQ_BIT = 0x10;
/** ACK bit: of an ACK packet, and piggybacked on data packets (mask 0x08). */
export const ACK_BIT = 0x08;

const DATA_MASK = 0xe7;
const ACK_MASK = 0xf7;

/** Transport error codes (specification, "Allocation layer"). */
export const ThpErrorCode = {
  TRANSPORT_BUSY: 1,
  UNALLOCATED_CHANNEL: 2,
  DECRYPTION_FAILED: 3,
  DEVICE_LOCKED: 5,
} as const;

/** A data packet: one of the four handshake messages or encrypted transport. */
export function isData(ctrl: number): boolean {
  return (ctrl & 0xe0) === 0 && (ctrl & DATA_MASK) <= ENCRYPTED_TRANSPORT;
}

/**
 * Kind of a data packet with its sequence and ACK bits cleared (HANDSHAKE_INIT_REQ ..
 * ENCRYPTED_TRANSPORT), or undefined when `ctrl` is not a data packet.
 * @example dataKind(0x14) // ENCRYPTED_TRANSPORT (seq 1)
 */
export function dataKind(ctrl: number): number | undefined {
  return isData(ctrl) ? ctrl & DATA_MASK : undefined;
}

export function isAck(ctrl: number): boolean {
  return (ctrl & ACK_MASK) === ACK;
}

/** The sequence bit (0 or 1) of a data packet. */
export function seqBit(ctrl: number): 0 | 1 {
  return ctrl & SEQ_BIT ? 1 : 0;
}

/** The ACK bit (0 or 1) of an ACK or data packet. */
export function ackBit(ctrl: number): 0 | 1 {
  return ctrl & ACK_BIT ? 1 : 0;
}

/**
 * A data control byte with its sequence and ACK bits set.
 * @example dataControl(ENCRYPTED_TRANSPORT, 1, 0) // 0x14
 */
export function dataControl(kind: number, seq: 0 | 1, ack: 0 | 1 = 0): number {
  return (kind & DATA_MASK) | (seq ? SEQ_BIT : 0) | (ack ? ACK_BIT : 0);
}

/** The ACK acknowledging a data packet with sequence bit `seq`. */
export function ackControl(seq: 0 | 1): number {
  return ACK | (seq ? ACK_BIT : 0);
}

/** A control byte no rule of the specification matches (e.g. 0x05..0x07, 0x45). */
export function isKnownControl(ctrl: number): boolean {
  if (ctrl & CONTINUATION) return true;
  return (
    isData(ctrl) ||
    isAck(ctrl) ||
    ctrl === CODEC_V1 ||
    (ctrl >= CHANNEL_ALLOCATION_REQ && ctrl <= PONG)
  );
}
