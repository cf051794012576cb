/**
 * Session overhead (`npx tsx bench/session.ts`): host CPU per call of the session and its link,
 * measured with process.cpuUsage over many calls in this process, medians of rounds. Two
 * devices: the VirtualTrezor in memory (Bitcoin getAddress: the figure issue 14 names; it
 * includes the device's own work, which runs in this process too) and an echo device that
 * answers a Ping with a ready-made Success (what is left is the session, the v1 link, the
 * codecs and the in-memory transport). And getAddress against trezor-direct-virtual in a child
 * process over UDP, where this process's CPU is the host's alone (the issue's setting, with the
 * virtual device standing in for the emulator). With TREZOR_EMULATOR=host:port set, getAddress
 * against that official emulator too (issue 14's setting). Figures, not a pass/fail test.
 */
import { getAddress } from '../src/bitcoin/index.js';
import { encodeMessage } from '../src/messages/index.js';
import { encodeReports } from '../src/protocol/v1.js';
import { connect } from '../src/session/connect.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { memoryTransport } from '../src/transport/memory.js';
import { udp } from '../src/transport/udp.js';
import { overUdp } from './virtual.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const MNEMONIC = 'all all all all all all all all all all all all';

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median over rounds of host CPU ms per call. */
async function perCall(call: () => Promise<unknown>, calls = CALLS): Promise<number> {
  for (let i = 0; i < 200; i++) await call(); // warm up the JIT
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const before = cpuMs();
    for (let i = 0; i < calls; i++) await call();
    rounds.push((cpuMs() - before) / calls);
  }
  return median(rounds);
}

/** A device that answers Initialize with Features and everything else with one fixed Success. */
function echoTransport() {
  const features = encodeMessage('Features', { vendor: 'trezor.io', major_version: 1, minor_version: 14, patch_version: 1, internal_model: 'T1B1', initialized: true });
  const success = encodeMessage('Success', { message: 'pong' });
  const featureReports = encodeReports(features.type, features.payload);
  const [successReport] = encodeReports(success.type, success.payload);
  return memoryTransport({
    onOpen(end) {
      void (async () => {
        let first = true;
        for (;;) {
          const report = await end.read().catch(() => undefined);
          if (!report) return;
          if (first) for (const r of featureReports) end.write(r);
          else end.write(successReport!);
          first = false;
        }
      })();
    },
  });
}

export async function run(): Promise<void> {
  const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', firmware: '1.14.1', autoConfirm: true });
  const trezor = await connect({ transport: virtual.transport(), sessionId: null });
  const path = "m/84'/0'/0'/0/0";
  const address = await perCall(() => getAddress(trezor, { path }));
  await trezor.close();
  await virtual.close();

  const echo = await connect({ transport: echoTransport(), sessionId: null });
  const ping = await perCall(() => echo.call('Ping', { message: 'ping' }));
  await echo.close();

  const remote = await overUdp({ model: 'T1B1', firmware: '1.14.1' });
  const udpAddress = await perCall(() => getAddress(remote.trezor, { path }));
  await remote.close();

  let emulator: number | undefined;
  const address_ = process.env.TREZOR_EMULATOR;
  if (address_) {
    const [host = '127.0.0.1', port = '21324'] = address_.split(':');
    const real = await connect({ transport: udp({ host, port: Number(port) }), sessionId: null });
    emulator = await perCall(() => getAddress(real, { path }), Math.min(CALLS, 300));
    await real.close();
  }

  console.log(`session overhead, host CPU per call (median of ${ROUNDS} rounds × ${CALLS} calls):`);
  console.log(`  getAddress, VirtualTrezor in memory (device included): ${(address * 1000).toFixed(1)} µs`);
  console.log(`  getAddress, virtual device over UDP (host only):         ${(udpAddress * 1000).toFixed(1)} µs`);
  if (emulator !== undefined) console.log(`  getAddress, official emulator ${address_} (host only):  ${(emulator * 1000).toFixed(1)} µs`);
  console.log(`  Ping, echo device (session + v1 link + codecs):          ${(ping * 1000).toFixed(1)} µs`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
