/**
 * The THP core's packet framing (`../thp/packet.ts`: header, CRC-32, segmentation), seen through
 * the {@link ThpFraming} interface the channel I/O uses. The only translation is the CRC: the
 * specification drops a frame whose checksum fails (the sender retransmits it), so that case is
 * reported as `crcError` instead of the ProtocolError a malformed packet gets.
 */
import { isTrezorError } from '../../errors.js';
import { FrameDecoder, encodePackets } from '../thp/index.js';
import type { ThpDecoded, ThpFraming } from './channel-io.js';

/**
 * THP framing on 64-byte packets (USB, WebUSB, the emulator's UDP).
 * @example new ThpChannelIO(connection, thpFraming)
 */
export const thpFraming: ThpFraming = {
  encode: (frame) => encodePackets({ ctrl: frame.ctrl, cid: frame.cid, data: frame.payload }),
  decoder() {
    const decoder = new FrameDecoder();
    return {
      get pending() {
        return decoder.busy;
      },
      push(packet): ThpDecoded {
        try {
          const frame = decoder.push(packet);
          return frame ? { frame: { ctrl: frame.ctrl, cid: frame.cid, payload: frame.data } } : undefined;
        } catch (error) {
          // packet.ts decodeFrame: 'THP frame checksum mismatch' is the one error that means "corrupted
          // in transit" rather than "malformed".
          if (isTrezorError(error, 'ProtocolError') && /checksum mismatch/.test(error.message)) return { crcError: true };
          throw error;
        }
      },
    };
  },
};
