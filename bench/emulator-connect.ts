/**
 * How every benchmark reaches an official emulator: its wire address, its debug link (from
 * TREZOR_DEBUGLINK or the wire port + 1), and a session whose button prompts are pressed
 * "yes" through that debug link, as a test suite's presses would be.
 */
import { connect } from '../src/session/connect.js';
import type { Trezor } from '../src/session/trezor.js';
import { DebugLink } from '../src/testing/debuglink.js';
import { udp } from '../src/transport/udp.js';

export interface EmulatorSession {
  host: string;
  port: number;
  trezor: Trezor;
  debug: DebugLink;
  /** "1 1.14.1": model and firmware version from Features. */
  version: string;
  close(): Promise<void>;
}

/** @example const { trezor, close } = await connectEmulator(process.env.TREZOR_EMULATOR!) */
export async function connectEmulator(address: string, debugAddress = process.env.TREZOR_DEBUGLINK): Promise<EmulatorSession> {
  const [host = '127.0.0.1', portText = '21324'] = address.split(':');
  const port = Number(portText);
  const debugPort = Number(debugAddress?.split(':')[1]) || port + 1;
  const debug = await DebugLink.connect({ host, port: debugPort, wirePort: port });
  const trezor = await connect({
    transport: udp({ host, port }),
    sessionId: null,
    ui: { button: () => void debug.press('yes').catch(() => undefined) },
  });
  const { model, major_version, minor_version, patch_version } = trezor.features;
  return {
    host,
    port,
    trezor,
    debug,
    version: `${model ?? ''} ${major_version}.${minor_version}.${patch_version}`,
    async close() {
      await trezor.close();
      await debug.close();
    },
  };
}
