/**
 * One program at a time on an emulator (Node only). A USB device is claimed by the OS, so a
 * second program gets DeviceBusy; the emulator's UDP port has no such claim, and worse, it
 * answers whoever sent the last datagram: a second client's PINGPING or Initialize steals the
 * answers of the first one's call in the middle of it (seen on the 2.4.1 emulator: the first
 * client's signing ended in Failure UnexpectedMessage). This lock file makes the emulator
 * behave like a claimed device between trezor-direct clients, across processes:
 *
 *   <os.tmpdir()>/trezor-direct-udp-<host>-<port>.lock   holds  "<pid>:<token>"
 *
 * created with O_EXCL by the connection that opens the port and removed when it closes or is
 * lost. A file whose process is gone (a crash) is stale and taken over. Other tools (trezorlib,
 * trezorctl) do not know this lock.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** This copy of the module: another worker thread or a second copy of the package differs. */
const TOKEN = `${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
const held = new Set<string>();

function lockFile(host: string, port: number): string {
  return join(tmpdir(), `trezor-direct-udp-${host.replace(/[^A-Za-z0-9.-]/g, '_')}-${port}.lock`);
}

function owner(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Is the holder written in a lock file still there? Unreadable contents count as alive (a holder mid-write). */
function alive(holder: string, file: string): boolean {
  if (holder === TOKEN) return held.has(file);
  const pid = Number(holder.split(':')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return true; // another thread or copy of the package in this process
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when a live connection (of this program or another) holds the emulator at host:port. */
export function isClaimed(host: string, port: number): boolean {
  const file = lockFile(host, port);
  const holder = owner(file);
  return holder !== undefined && alive(holder, file);
}

/**
 * Claim host:port; returns the release function, or undefined when someone else holds it.
 * Where no lock file can be made (a read-only temp dir), it goes without and claims nothing.
 */
export function claimEmulator(host: string, port: number): (() => void) | undefined {
  const file = lockFile(host, port);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, TOKEN);
      } finally {
        closeSync(fd);
      }
      held.add(file);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(file);
        if (owner(file) === TOKEN) {
          try {
            unlinkSync(file);
          } catch {
            // gone already
          }
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return () => undefined;
    }
    const holder = owner(file);
    if (holder === undefined) continue; // released meanwhile: try again
    if (alive(holder, file)) return undefined;
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      // someone else cleaned it up
    }
  }
  return undefined;
}
