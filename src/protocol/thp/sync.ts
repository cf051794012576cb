/**
 * The synchronization layer's state for one channel end: the Alternating Bit Protocol
 * (specification "Synchronization layer"). Data frames carry a sequence bit that alternates
 * per message; the receiver ACKs each with the same bit and drops a repeat of the bit it saw
 * last. Handshake frames take part too (trezorlib 0.20.1 thp/channel.py _send_message/_read).
 */
import { ackControl, dataControl, seqBit } from './control.js';

export class SyncState {
  /** Sequence bit of our next data frame. */
  sendBit: 0 | 1 = 0;
  /** Sequence bit we expect on the peer's next data frame. */
  receiveBit: 0 | 1 = 0;

  /** Control byte for our next data frame of `kind`; moves the send bit. */
  nextControl(kind: number): number {
    const ctrl = dataControl(kind, this.sendBit, this.receiveBit ? 0 : 1);
    this.sendBit = this.sendBit ? 0 : 1;
    return ctrl;
  }

  /** Is `ack` the acknowledgement of our last data frame? */
  acknowledges(ackCtrl: number): boolean {
    return (ackCtrl & 0x08 ? 1 : 0) === (this.sendBit ? 0 : 1);
  }

  /**
   * A data frame arrived: returns the ACK control byte to answer with and whether the frame is
   * new (true) or a repeat to drop (false).
   */
  receive(ctrl: number): { ack: number; fresh: boolean } {
    const bit = seqBit(ctrl);
    const fresh = bit === this.receiveBit;
    if (fresh) this.receiveBit = this.receiveBit ? 0 : 1;
    return { ack: ackControl(bit), fresh };
  }
}
