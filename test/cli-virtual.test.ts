// The trezor-direct-virtual command (src/cli/virtual.ts) as another program runs it: spawned
// with tsx, it prints where it listens, serves our udp() transport, and claims the model and
// firmware version it was given (--model, --firmware); bad arguments exit with status 2 without
// echoing what may be a mnemonic word, a taken port with status 1 and a one-line reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/session/connect.js';
import { udp } from '../src/transport/udp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
});

/** Start the CLI; resolves with its first line of output (or its exit status and stderr). */
function run(args: string[]): Promise<{ line?: string; status?: number | null; stderr: string }> {
  const child = spawn(TSX, ['src/cli/virtual.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  return new Promise((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve({ line: stdout.slice(0, end), stderr });
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stderr }));
  });
}

describe('trezor-direct-virtual', () => {
  it('claims the firmware given with --firmware', { timeout: 20_000 }, async () => {
    const { line } = await run(['--port', '0', '--model', 'T2T1', '--firmware', '2.8.1', '--mnemonic', 'all all all all all all all all all all all all']);
    expect(line).toMatch(/^virtual Trezor T2T1 2\.8\.1 \(seeded\): wire udp:127\.0\.0\.1:\d+/);
    const port = Number(/udp:127\.0\.0\.1:(\d+)/.exec(line!)![1]);
    const trezor = await connect({ transport: udp({ port }) });
    const f = trezor.features;
    expect([f.model, f.major_version, f.minor_version, f.patch_version]).toEqual(['T', 2, 8, 1]);
    await trezor.close();
  });

  it('plays a Safe 5 with --model T3T1 and refuses a model it does not know', { timeout: 20_000 }, async () => {
    const { line } = await run(['--port', '0', '--model', 't3t1', '--mnemonic', 'all all all all all all all all all all all all']);
    expect(line).toMatch(/^virtual Trezor T3T1 2\.8\.9 \(seeded\)/);
    const port = Number(/udp:127\.0\.0\.1:(\d+)/.exec(line!)![1]);
    const trezor = await connect({ transport: udp({ port }) });
    const f = trezor.features;
    expect([f.internal_model, f.model, f.major_version, f.minor_version, f.patch_version]).toEqual(['T3T1', 'Safe 5', 2, 8, 9]);
    await trezor.close();
    const unknown = await run(['--port', '0', '--model', 'T3B1']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--model must be one of T1B1, T2T1, T2B1, T3T1, T3W1');
  });

  it('plays a THP-only Safe 7 with --model T3W1 (--thp implied); --thp refuses the Trezor One', { timeout: 20_000 }, async () => {
    const { line } = await run(['--port', '0', '--model', 'T3W1', '--mnemonic', 'all all all all all all all all all all all all']);
    expect(line).toMatch(/^virtual Trezor T3W1 2\.9\.1 \(seeded, THP\)/);
    // Our v1 client meets the THP firmware's answer to a v1 message and gives up, naming THP.
    const port = Number(/udp:127\.0\.0\.1:(\d+)/.exec(line!)![1]);
    await expect(connect({ transport: udp({ port }) })).rejects.toThrow(/THP|Host Protocol/);
    const one = await run(['--port', '0', '--thp']);
    expect(one.status).toBe(2);
    expect(one.stderr).toContain('--thp needs a Core model');
  });

  it('defaults to the recorded firmware and refuses a version of the other model', { timeout: 20_000 }, async () => {
    expect((await run(['--port', '0'])).line).toMatch(/^virtual Trezor T1B1 1\.14\.1 \(blank\)/);
    const wrong = await run(['--port', '0', '--model', 'T1B1', '--firmware', '2.8.1']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('--firmware 2.8.1 is not a T1B1 version');
    const malformed = await run(['--port', '0', '--firmware', '2.8']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain('--firmware must look like 2.8.1');
  });

  it('never echoes a stray value (the rest of an unquoted mnemonic) and refuses --pin without a seed', { timeout: 20_000 }, async () => {
    const unquoted = await run(['--port', '0', '--mnemonic', 'abandon', 'zoo', 'wrist', '--pin', '1234']);
    expect(unquoted.status).toBe(2);
    expect(unquoted.stderr).toContain('must be quoted');
    expect(unquoted.stderr).not.toMatch(/abandon|zoo|wrist/);
    expect((await run(['--port', '0', '--bogus'])).stderr).toContain('unknown option --bogus');
    // A quoted mnemonic that is not a valid BIP-39 one: refused as an argument error, not echoed.
    const short = await run(['--port', '0', '--mnemonic', 'all all all']);
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('--mnemonic is not a BIP-39 mnemonic the firmware accepts: expected 12, 18 or 24 words');
    const badChecksum = await run(['--port', '0', '--mnemonic', 'abandon '.repeat(11) + 'zoo']);
    expect(badChecksum.status).toBe(2);
    expect(badChecksum.stderr).toContain('checksum does not match');
    expect(short.stderr + badChecksum.stderr).not.toMatch(/\ball\b|abandon|zoo/);
    const blank = await run(['--port', '0', '--pin', '1234']);
    expect(blank.status).toBe(2);
    expect(blank.stderr).toContain('--pin and --passphrase need --mnemonic');
  });

  it('says which port is taken instead of crashing with a stack trace', { timeout: 20_000 }, async () => {
    const first = await run(['--port', '0']);
    const port = Number(/udp:127\.0\.0\.1:(\d+)/.exec(first.line!)![1]);
    const second = await run(['--port', String(port)]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`udp port ${port} or ${port + 1} is in use`);
    expect(second.stderr).not.toContain('    at ');
  });
});
