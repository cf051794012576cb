// A minimal THP host for tests of the virtual device, built on the pure core (the library's
// own host link is src/… of the thpcli work): one channel over a 64-byte-report connection,
// ACKs sent and awaited, no retransmission.
import { decodeMessage, encodeMessage, type AnyMessage, type MessageMap, type MessageName } from '../../src/messages/index.js';
import {
  ENCRYPTED_TRANSPORT,
  FrameDecoder,
  HANDSHAKE_COMP_REQ,
  HANDSHAKE_INIT_REQ,
  HostHandshake,
  SyncState,
  TRANSPORT_ERROR,
  allocationRequest,
  dataKind,
  encodePackets,
  isAck,
  parseAllocationResponse,
  type ChannelAllocation,
  type Frame,
  type HandshakeResult,
  type StoredCredential,
} from '../../src/protocol/thp/index.js';
import type { TransportConnection } from '../../src/transport/types.js';

export class ThpTestError extends Error {
  constructor(readonly code: number) {
    super(`THP transport error ${code}`);
  }
}

export class TestThpHost {
  private readonly decoder = new FrameDecoder();
  private readonly sync = new SyncState();
  allocation!: ChannelAllocation;
  result!: HandshakeResult;
  /** Called on every ButtonRequest before the ButtonAck goes out. */
  onButton: (request: MessageMap['ButtonRequest']) => void = () => {};

  constructor(readonly connection: TransportConnection) {}

  close(): Promise<void> {
    return this.connection.close();
  }

  async send(frame: Frame): Promise<void> {
    for (const packet of encodePackets(frame)) await this.connection.write(packet);
  }

  async frame(): Promise<Frame> {
    for (;;) {
      const frame = this.decoder.push(await this.connection.read());
      if (frame) return frame;
    }
  }

  async allocate(): Promise<ChannelAllocation> {
    const nonce = crypto.getRandomValues(new Uint8Array(8));
    await this.send(allocationRequest(nonce));
    this.allocation = parseAllocationResponse(await this.frame());
    if (this.allocation.nonce.some((b, i) => b !== nonce[i])) throw new Error('nonce mismatch');
    return this.allocation;
  }

  /** Send a data frame and wait for its ACK; then read the answer's data frame and ACK it. */
  private async exchange(kind: number, data: Uint8Array): Promise<Frame> {
    const cid = this.allocation.cid;
    await this.send({ ctrl: this.sync.nextControl(kind), cid, data });
    for (;;) {
      const frame = await this.frame();
      if (frame.ctrl === TRANSPORT_ERROR) throw new ThpTestError(frame.data[0] ?? 0);
      if (isAck(frame.ctrl)) {
        if (!this.sync.acknowledges(frame.ctrl)) throw new Error('ACK of another frame');
        break;
      }
      throw new Error(`expected an ACK, got 0x${frame.ctrl.toString(16)}`);
    }
    return this.readData();
  }

  private async readData(): Promise<Frame> {
    for (;;) {
      const frame = await this.frame();
      if (frame.ctrl === TRANSPORT_ERROR) throw new ThpTestError(frame.data[0] ?? 0);
      if (dataKind(frame.ctrl) === undefined) continue;
      const { ack, fresh } = this.sync.receive(frame.ctrl);
      await this.send({ ctrl: ack, cid: this.allocation.cid, data: new Uint8Array() });
      if (fresh) return frame;
    }
  }

  async handshake(credentials: StoredCredential[] = [], tryToUnlock = false): Promise<HandshakeResult> {
    const hs = new HostHandshake({ prologue: this.allocation.properties, tryToUnlock });
    const r1 = await this.exchange(HANDSHAKE_INIT_REQ, hs.initiationRequest());
    const { request } = hs.readInitiationResponse(r1.data, credentials);
    const r2 = await this.exchange(HANDSHAKE_COMP_REQ, request);
    this.result = hs.readCompletionResponse(r2.data);
    return this.result;
  }

  /** One request on a session; ButtonRequests are acked (after onButton). */
  async call<N extends MessageName>(sessionId: number, name: N, message: MessageMap[N]): Promise<AnyMessage> {
    let { type, payload } = encodeMessage(name, message as never);
    for (;;) {
      const frame = await this.exchange(ENCRYPTED_TRANSPORT, this.result.channel.seal({ sessionId, type, payload }));
      const reply = this.result.channel.open(frame.data);
      if (reply.sessionId !== sessionId) throw new Error(`reply on session ${reply.sessionId}`);
      const decoded = decodeMessage(reply.type, reply.payload);
      if (decoded.type !== 'ButtonRequest') return decoded;
      this.onButton(decoded.message);
      ({ type, payload } = encodeMessage('ButtonAck', {}));
    }
  }
}
