/**
 * Broadcast-channel frames: channel allocation (request with an 8-byte nonce; response with
 * the nonce, the new channel id and the device's properties), ping/pong, and transport errors.
 * Layouts from the specification's "Allocation layer"; trezorlib 0.20.1 (thp/channel.py
 * Channel.allocate) reads the response as nonce(8) ‖ cid(2) ‖ ThpDeviceProperties and keeps the
 * properties' raw bytes as the handshake prologue, so they are kept here too.
 */
import { protocolError } from '../../errors.js';
import { decodeEmbedded, encodeEmbedded, type ThpDeviceProperties } from '../../messages/index.js';
import { CHANNEL_ALLOCATION_REQ, CHANNEL_ALLOCATION_RES, PING, PONG, TRANSPORT_ERROR } from './control.js';
import { BROADCAST_CHANNEL, type Frame } from './packet.js';

export const NONCE_SIZE = 8;

/** What a channel allocation response says. */
export interface ChannelAllocation {
  nonce: Uint8Array;
  cid: number;
  /** The encoded ThpDeviceProperties, byte for byte (the handshake's prologue). */
  properties: Uint8Array;
  deviceProperties: ThpDeviceProperties;
}

function checkNonce(nonce: Uint8Array): void {
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_SIZE) throw protocolError('a THP nonce is 8 bytes');
}

/** @example allocationRequest(crypto.getRandomValues(new Uint8Array(8))) */
export function allocationRequest(nonce: Uint8Array): Frame {
  checkNonce(nonce);
  return { ctrl: CHANNEL_ALLOCATION_REQ, cid: BROADCAST_CHANNEL, data: nonce.slice() };
}

/** Encode ThpDeviceProperties the way the device sends them. */
export function encodeDeviceProperties(properties: ThpDeviceProperties): Uint8Array {
  return encodeEmbedded('ThpDeviceProperties', properties);
}

/** Decode ThpDeviceProperties; a malformed message is a ProtocolError. */
export function decodeDeviceProperties(bytes: Uint8Array): ThpDeviceProperties {
  const props = decodeEmbedded<ThpDeviceProperties>('ThpDeviceProperties', bytes);
  if (typeof props.internal_model !== 'string') throw protocolError('ThpDeviceProperties without internal_model');
  return props;
}

/** The device's answer to an allocation request. */
export function allocationResponse(nonce: Uint8Array, cid: number, properties: Uint8Array): Frame {
  checkNonce(nonce);
  if (!Number.isInteger(cid) || cid <= 0 || cid >= 0xfff0) throw protocolError(`channel id not allocatable: ${String(cid)}`);
  const data = new Uint8Array(NONCE_SIZE + 2 + properties.length);
  data.set(nonce);
  data[8] = cid >> 8;
  data[9] = cid & 0xff;
  data.set(properties, 10);
  return { ctrl: CHANNEL_ALLOCATION_RES, cid: BROADCAST_CHANNEL, data };
}

/** Read an allocation response (ProtocolError when `frame` is not one). */
export function parseAllocationResponse(frame: Frame): ChannelAllocation {
  if (frame.ctrl !== CHANNEL_ALLOCATION_RES || frame.cid !== BROADCAST_CHANNEL) throw protocolError('not a channel allocation response');
  if (frame.data.length < NONCE_SIZE + 2) throw protocolError('channel allocation response too short');
  const properties = frame.data.slice(10);
  return {
    nonce: frame.data.slice(0, NONCE_SIZE),
    cid: (frame.data[8]! << 8) | frame.data[9]!,
    properties,
    deviceProperties: decodeDeviceProperties(properties),
  };
}

/** Ping (or, from the answering side, pong) on the broadcast channel. */
export function pingFrame(nonce: Uint8Array, pong = false): Frame {
  checkNonce(nonce);
  return { ctrl: pong ? PONG : PING, cid: BROADCAST_CHANNEL, data: nonce.slice() };
}

/** A transport error (ThpErrorCode) on channel `cid`. */
export function errorFrame(cid: number, code: number): Frame {
  return { ctrl: TRANSPORT_ERROR, cid, data: Uint8Array.of(code) };
}

/** The error code of a transport error frame (0 when it carries none). */
export function errorCode(frame: Frame): number {
  if (frame.ctrl !== TRANSPORT_ERROR) throw protocolError('not a THP transport error');
  return frame.data[0] ?? 0;
}
