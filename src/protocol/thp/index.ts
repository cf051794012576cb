/**
 * The Trezor Host Protocol (THP), pure core: no I/O, no timers. Both roles, so the library's
 * host link and the VirtualTrezor's device side share one implementation that is checked
 * against trezorlib 0.20.1 (test/thp-*.test.ts).
 *
 * API map (one concept per module):
 * - packet.ts      Frame {ctrl, cid, data}; encodePackets(frame) → 64-byte packets;
 *                  FrameDecoder.push(packet) → Frame | undefined (ProtocolError on bad CRC,
 *                  unknown control byte, foreign continuation, oversize); encodeFrame/decodeFrame.
 * - control.ts     control byte constants (HANDSHAKE_*, ENCRYPTED_TRANSPORT, ACK, CHANNEL_ALLOCATION_*,
 *                  TRANSPORT_ERROR, PING/PONG, CODEC_V1), dataKind/isAck/seqBit/ackBit, ThpErrorCode.
 * - sync.ts        SyncState: alternating sequence bit and ACKs of one channel end.
 * - allocation.ts  allocationRequest(nonce) / parseAllocationResponse(frame) (host),
 *                  allocationResponse(nonce, cid, properties) (device), ping, errorFrame/errorCode,
 *                  encode/decodeDeviceProperties.
 * - handshake.ts   HostHandshake: initiationRequest() → readInitiationResponse(data, storedCredentials)
 *                  → readCompletionResponse(data) → { trezorState, handshakeHash, channel };
 *                  DeviceHandshake: readInitiationRequest → readCompletionRequest → completionResponse(state);
 *                  TrezorState, StoredCredential, credentialMatches.
 * - secure.ts      SecureChannel.seal({sessionId, type, payload}) / open(data) for ENCRYPTED_TRANSPORT.
 * - pairing.ts     CodeEntryHost / CodeEntryDevice, codeEntryCode, formatCode, qrCode/qrCodeTag,
 *                  nfcTag, PairingMethod.
 * - cpace.ts       CPace255 (cpaceGenerator, cpaceKeys, cpaceSharedSecret, elligator2).
 * - credentials.ts device side: credentialKey (SLIP-21), issueCredential, validateCredential.
 * - noise.ts, x25519.ts, crc32.ts: primitives.
 *
 * A host connection, in order: allocationRequest → parseAllocationResponse (cid, properties) →
 * HostHandshake over HANDSHAKE_INIT_REQ/RES and HANDSHAKE_COMP_REQ/RES frames (each data frame
 * gets its control byte from SyncState.nextControl and is ACKed) → if trezorState is UNPAIRED,
 * pairing messages on session 0 through SecureChannel (ThpPairingRequest, ThpSelectMethod,
 * CodeEntryHost…, ThpCredentialRequest, ThpEndRequest) → ThpCreateNewSession → v1 messages.
 *
 * @example
 * import { HostHandshake, allocationRequest, encodePackets } from './protocol/thp/index.js';
 */
export * from './control.js';
export * from './packet.js';
export * from './sync.js';
export * from './allocation.js';
export * from './handshake.js';
export * from './secure.js';
export * from './pairing.js';
export * from './cpace.js';
export * from './credentials.js';
export { crc32 } from './crc32.js';
export { CipherState, SymmetricState, hkdf2, PROTOCOL_NAME } from './noise.js';
export { dh, maskedStaticKey, publicKeyOf } from './x25519.js';
