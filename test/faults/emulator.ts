/**
 * The official emulator as the fault tests drive it: started and killed through commands given
 * in the environment, so the same tests run against any emulator (Trezor One, Model T 2.4.1,
 * 2.8.9 …) and any way of starting it.
 *
 *   TREZOR_EMULATOR=127.0.0.1:21324        wire address (required)
 *   TREZOR_DEBUGLINK=127.0.0.1:21325       debug link (default: wire port + 1)
 *   TREZOR_EMULATOR_START='cmd'            starts a FRESH emulator (blank flash) in the background
 *                                          and prints its PID as the last line of stdout
 *   TREZOR_EMULATOR_STOP='cmd'             optional: stops it (gets TREZOR_EMULATOR_PID); without
 *                                          it the PID is sent SIGKILL
 *
 * A "kill" in the middle of a call is always SIGKILL: the device vanishes the way an unplugged
 * one does, with no goodbye on the wire.
 */
import { spawnSync } from 'node:child_process';
import { DebugLink } from '../../src/testing/debuglink.js';

export interface EmulatorAddress {
  host: string;
  port: number;
  debugHost: string;
  debugPort: number;
}

export function emulatorAddress(): EmulatorAddress {
  const wire = process.env.TREZOR_EMULATOR;
  if (!wire) throw new Error('npm run test:faults needs TREZOR_EMULATOR=host:port and TREZOR_EMULATOR_START (see DEVELOPERS.md)');
  const [host = '127.0.0.1', port = '21324'] = wire.split(':');
  const [debugHost = host, debugPort = String(Number(port) + 1)] = (process.env.TREZOR_DEBUGLINK ?? '').split(':').filter(Boolean);
  return { host, port: Number(port), debugHost, debugPort: Number(debugPort) };
}

let pid: number | undefined;

function shell(command: string, env: Record<string, string> = {}): string {
  const result = spawnSync('bash', ['-c', command], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 180_000 });
  if (result.status !== 0) throw new Error(`"${command}" failed (${result.status}): ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return result.stdout;
}

/** Start a fresh emulator with TREZOR_EMULATOR_START; resolves with its PID. */
export function startEmulator(): number {
  const command = process.env.TREZOR_EMULATOR_START;
  if (!command) throw new Error('TREZOR_EMULATOR_START is not set: the fault tests must be able to restart the emulator');
  const last = shell(command).trim().split('\n').pop() ?? '';
  if (!/^\d+$/.test(last)) throw new Error(`TREZOR_EMULATOR_START must print the PID as its last line, printed "${last}"`);
  pid = Number(last);
  return pid;
}

/** Kill the emulator at once (SIGKILL), as an unplug. */
export function killEmulator(): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  pid = undefined;
}

/** Stop the emulator for good (TREZOR_EMULATOR_STOP, or SIGKILL). */
export function stopEmulator(): void {
  if (pid === undefined) return;
  const stop = process.env.TREZOR_EMULATOR_STOP;
  if (stop) shell(stop, { TREZOR_EMULATOR_PID: String(pid) });
  else killEmulator();
  pid = undefined;
}

/** The debug link of the running emulator. */
export function debugLink(address = emulatorAddress()): Promise<DebugLink> {
  return DebugLink.connect({ host: address.debugHost, port: address.debugPort, wirePort: address.port, pingTimeout: 10_000 });
}
