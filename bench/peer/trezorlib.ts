/**
 * The trezorlib peer: bench/peer/trezorlib_driver.py in a child process (/usr/bin/python3, or
 * TREZORLIB_PYTHON), spoken to one JSON line at a time. It times its own calls (perf_counter,
 * process_time), so the pipe costs nothing in its figures.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env.TREZORLIB_PYTHON ?? '/usr/bin/python3';
export const DRIVER = fileURLToPath(new URL('./trezorlib_driver.py', import.meta.url));

/** trezorlib's version when that Python can import it, otherwise undefined. */
export function trezorlibVersion(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import trezorlib; print(trezorlib.__version__)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

export interface PeerRun {
  /** Total wall ms and host CPU ms over the calls. */
  wall: number;
  cpu: number;
  /** The answers of the first (up to ten) calls, comma-separated. */
  result: string;
}

export class TrezorlibPeer {
  private readonly lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    reader: Interface,
  ) {
    this.lines = reader[Symbol.asyncIterator]();
  }

  /** Start the driver and open the emulator (wire `address`, debug link `debugAddress`). */
  static async open(address: string, debugAddress: string): Promise<{ peer: TrezorlibPeer; model: string; version: string }> {
    const child = spawn(PYTHON, [DRIVER], { stdio: ['pipe', 'pipe', 'inherit'] });
    const peer = new TrezorlibPeer(child, createInterface({ input: child.stdout }));
    const reply = (await peer.request({ cmd: 'open', wire: address, debug: debugAddress })) as { model: string; version: string };
    return { peer, ...reply };
  }

  private async request(message: object): Promise<unknown> {
    this.child.stdin.write(`${JSON.stringify(message, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error('the trezorlib driver ended');
    const reply = JSON.parse(next.value) as { error?: string };
    if (reply.error) throw new Error(`trezorlib: ${reply.error}`);
    return reply;
  }

  /** `calls` calls of a case (the driver's ids: btc-address, eth-address, btc-sign, eth-sign). */
  run(caseId: string, calls: number, data: object): Promise<PeerRun> {
    return this.request({ cmd: 'run', case: caseId, calls, data }) as Promise<PeerRun>;
  }

  async close(): Promise<void> {
    this.child.stdin.end(`${JSON.stringify({ cmd: 'close' })}\n`);
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once('exit', resolve));
  }
}
