// The device suite's side of a recording (scripts/record-emulator.ts): when TREZOR_RECORD
// names the proxy's control socket, each test opens its own transcript before its first
// message and closes it after its teardown, with the test's outcome; openDevice marks where
// the test body starts. Without TREZOR_RECORD every call here does nothing.
//
// Hooks: recordEachTest() registers a beforeEach (start) and an afterEach (end). It is called
// while harness.ts loads, before the test file registers its own afterEach(closeAll); vitest
// runs after-hooks in reverse order (sequence.hooks 'stack'), so the end comes after closeAll.
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, type TestContext } from 'vitest';

const RECORD = process.env.TREZOR_RECORD;
/** A start may wait for the proxy to restart the emulator (vitest.config's 30 s is too short). */
const HOOK_TIMEOUT = 150_000;

/**
 * A client of the proxy's control socket: one JSON command per datagram, answered by id.
 * @example const control = new RecordingControl('127.0.0.1:22636'); await control.send('phase', { phase: 'call' })
 */
export class RecordingControl {
  private readonly socket: Socket;
  private readonly host: string;
  private readonly port: number;
  private nextId = 1;
  private readonly waiting = new Map<number, (answer: { ok: boolean; error?: string }) => void>();

  constructor(readonly address: string) {
    const colon = address.lastIndexOf(':');
    this.host = colon > 0 ? address.slice(0, colon) : '127.0.0.1';
    this.port = Number(address.slice(colon + 1));
    this.socket = createSocket('udp4');
    this.socket.on('message', (datagram) => {
      try {
        const answer = JSON.parse(datagram.toString('utf8')) as { id: number; ok: boolean; error?: string };
        this.waiting.get(answer.id)?.(answer);
      } catch {
        // not an answer
      }
    });
    this.socket.unref(); // never what keeps a test process alive
  }

  /**
   * Send one command and wait for its answer (`end` once the file is written; `start` once a
   * fresh emulator is up, when the proxy restarts one per test).
   */
  async send(op: string, fields: Record<string, string> = {}, timeoutMs = 120_000): Promise<void> {
    const id = this.nextId++;
    const answer = await new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`recording proxy at ${this.address} did not answer ${op}`));
      }, timeoutMs);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(a);
      });
      this.socket.send(JSON.stringify({ id, op, ...fields }), this.port, this.host);
    });
    if (!answer.ok) throw new Error(`recording proxy refused ${op}: ${answer.error ?? ''}`);
  }

  close(): void {
    this.socket.close();
  }
}

const control = RECORD ? new RecordingControl(RECORD) : undefined;

/**
 * Where a test's transcript goes: `<test file>/<suite>__<test>.txt`, the target ("on
 * emulator") left out, characters other than letters, digits, `.`, `-` replaced by `_`.
 * @example transcriptName('test/device/core.test.ts', ['core flows on emulator', 'Ping echoes']) // 'core/core_flows__Ping_echoes.txt'
 */
export function transcriptName(file: string, names: readonly string[]): string {
  const base = (file.split('/').pop() ?? file).replace(/\.test\.ts$/, '');
  const parts = names.map((n) => n.replace(/ on emulator\b/g, '').replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, ''));
  let stem = parts.filter(Boolean).join('__');
  if (stem.length > 120) stem = `${stem.slice(0, 109)}_${createHash('sha256').update(stem).digest('hex').slice(0, 10)}`;
  return `${base}/${stem}.txt`;
}

function names(ctx: TestContext): string[] {
  const out: string[] = [ctx.task.name];
  for (let suite = ctx.task.suite; suite && suite.name && suite !== (ctx.task.file as unknown); suite = suite.suite) out.unshift(suite.name);
  return out;
}

/** Register the per-test start / end hooks (no-op unless TREZOR_RECORD is set). */
export function recordEachTest(): void {
  if (!control) return;
  beforeEach(async (ctx) => {
    await control.send('start', { name: transcriptName(ctx.task.file.name, names(ctx)), test: `${ctx.task.file.name} > ${names(ctx).join(' > ')}` });
  }, HOOK_TIMEOUT);
  afterEach(async (ctx) => {
    await control.send('end', { outcome: ctx.task.result?.state ?? 'unknown' });
  }, HOOK_TIMEOUT);
}

/** Mark a phase of the running test's transcript (`# phase: call` once the setup is done). */
export async function recordPhase(phase: 'call' | 'teardown'): Promise<void> {
  await control?.send('phase', { phase });
}
