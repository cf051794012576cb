/**
 * trezor-direct's side of the peer benchmark: the device it talks to (the official emulator
 * over UDP with its debug link pressing the confirmations, or a VirtualTrezor in memory) and
 * one operation per case, all through the public API (connect, the bitcoin and ethereum
 * entries, Trezor.exclusive for the raw SignTx flow). Answers are returned as the device gave
 * them; turning them into comparable strings (normalize) happens outside the timed loop.
 */
import { hex } from '@scure/base';
import { Transaction as EthTransaction } from 'ethers';
import { getAddress as btcGetAddress, signPsbt } from '../../src/bitcoin/index.js';
import { getAddress as ethGetAddress, signTransaction } from '../../src/ethereum/index.js';
import { connect, expectType, type Trezor } from '../../src/index.js';
import { DebugLink } from '../../src/testing/debuglink.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';
import { udp } from '../../src/transport/udp.js';
import { btcAddressPath, eip1559, ethAddressPath, signingPsbts, txPlan, type TxPlan } from './cases.js';

export const MNEMONIC = 'all all all all all all all all all all all all';

export interface DirectTarget {
  label: string;
  /** The connected Trezor (between resume() and suspend() for an emulator). */
  readonly trezor: Trezor;
  /** Whether host CPU is the library's alone (emulator) or includes the in-memory device. */
  cpuIncludesDevice: boolean;
  /** Connect (again) before this library's turn. */
  resume(): Promise<void>;
  /** Let go of the device for the other library's turn. */
  suspend(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The official emulator at `address` (host:port), its debug link at port + 1 unless
 * `debugAddress` says otherwise.
 *
 * An emulator answers whoever sent it the last datagram, and an idle udp() connection sends
 * PINGPING now and then to learn whether the emulator is still there: while trezorlib has its
 * turn, that would take its answers away. So trezor-direct holds the emulator only during its
 * own turns (suspend / resume), as two apps taking turns would. After each connect one
 * Ethereum getAddress refills the session's address cache that signing relies on, as a
 * long-running app has it; it is not timed.
 */
export async function emulatorTarget(address: string, debugAddress?: string): Promise<DirectTarget> {
  const [host = '127.0.0.1', portText = '21324'] = address.split(':');
  const port = Number(portText);
  const debugPort = Number(debugAddress?.split(':')[1]) || port + 1;
  let held: { trezor: Trezor; debug: DebugLink } | undefined;
  const resume = async () => {
    if (held) return;
    const debug = await DebugLink.connect({ host, port: debugPort, wirePort: port });
    const trezor = await connect({
      transport: udp({ host, port }),
      sessionId: null,
      ui: { button: () => void debug.press('yes').catch(() => undefined) },
    });
    held = { trezor, debug };
    await ethGetAddress(trezor, { path: eip1559(0).path }).catch(() => undefined);
  };
  const suspend = async () => {
    if (!held) return;
    const { trezor, debug } = held;
    held = undefined;
    await trezor.close();
    await debug.close();
  };
  await resume();
  const { model, major_version, minor_version, patch_version } = held!.trezor.features;
  return {
    label: `emulator ${model} ${major_version}.${minor_version}.${patch_version}`,
    get trezor() {
      if (!held) throw new Error('the emulator is suspended');
      return held.trezor;
    },
    cpuIncludesDevice: false,
    resume,
    suspend,
    close: suspend,
  };
}

/** A Trezor One 1.14.1 VirtualTrezor in this process, confirming by itself. */
export async function virtualTarget(): Promise<DirectTarget> {
  const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model: 'T1B1', firmware: '1.14.1', autoConfirm: true });
  const trezor = await connect({ transport: virtual.transport(), ui: {}, sessionId: null });
  return {
    label: 'VirtualTrezor T1B1 1.14.1, in memory',
    trezor,
    cpuIncludesDevice: true,
    resume: async () => {},
    suspend: async () => {},
    async close() {
      await trezor.close();
      await virtual.close();
    },
  };
}

/**
 * Sign a TxPlan with the bare message flow: SignTx, then one TxAck per TxRequest from answers
 * built beforehand, the serialized transaction collected from the requests. No PSBT and no
 * host-side verification: the lower bound of what a Bitcoin signing costs through this library.
 */
export function rawSignTx(plan: TxPlan): (trezor: Trezor) => Promise<Uint8Array> {
  const inputs = plan.inputs.map((i) => ({
    address_n: i.address_n,
    prev_hash: hex.decode(i.prev_hash),
    prev_index: i.prev_index,
    amount: BigInt(i.amount),
    script_type: i.script_type,
    sequence: i.sequence,
  }));
  const outputs = plan.outputs.map((o) =>
    'address' in o
      ? { address: o.address, amount: BigInt(o.amount), script_type: o.script_type }
      : { address_n: o.address_n, amount: BigInt(o.amount), script_type: o.script_type },
  );
  const prevs = new Map(
    Object.entries(plan.prev_txes).map(([txid, p]) => [
      txid,
      {
        meta: { version: p.version, lock_time: p.lock_time, inputs_count: p.inputs.length, outputs_count: p.bin_outputs.length },
        inputs: p.inputs.map((i) => ({ prev_hash: hex.decode(i.prev_hash), prev_index: i.prev_index, script_sig: hex.decode(i.script_sig), sequence: i.sequence })),
        outputs: p.bin_outputs.map((o) => ({ amount: BigInt(o.amount), script_pubkey: hex.decode(o.script_pubkey) })),
      },
    ]),
  );
  const signTx = { outputs_count: outputs.length, inputs_count: inputs.length, coin_name: plan.coin, version: plan.version, lock_time: plan.lock_time };
  return (trezor) =>
    trezor.exclusive(async (call) => {
      const chunks: Uint8Array[] = [];
      let reply = await call('SignTx', signTx);
      for (;;) {
        const request = expectType(reply, 'TxRequest');
        const chunk = request.serialized?.serialized_tx;
        if (chunk) chunks.push(chunk);
        if (request.request_type === 'TXFINISHED') break;
        const index = request.details?.request_index ?? 0;
        const txHash = request.details?.tx_hash;
        if (txHash && txHash.length) {
          const prev = prevs.get(hex.encode(txHash));
          if (!prev) throw new Error(`the device asked for an unknown transaction ${hex.encode(txHash)}`);
          if (request.request_type === 'TXMETA') reply = await call('TxAckPrevMeta', { tx: prev.meta });
          else if (request.request_type === 'TXINPUT') reply = await call('TxAckPrevInput', { tx: { input: prev.inputs[index]! } });
          else if (request.request_type === 'TXOUTPUT') reply = await call('TxAckPrevOutput', { tx: { output: prev.outputs[index]! } });
          else throw new Error(`unexpected ${String(request.request_type)} for a previous transaction`);
        } else if (request.request_type === 'TXINPUT') reply = await call('TxAckInput', { tx: { input: inputs[index]! } });
        else if (request.request_type === 'TXOUTPUT') reply = await call('TxAckOutput', { tx: { output: outputs[index]! } });
        else throw new Error(`unexpected ${String(request.request_type)}`);
      }
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    });
}

/** One call of a case: the call's index in, the device's answer out (as returned by the API). */
export type Operation = (trezor: Trezor, i: number) => Promise<string>;

/** trezor-direct's operation for every device case id of the peer table. */
export function directOperations(): Record<string, Operation> {
  const { one, many } = signingPsbts();
  const raw = rawSignTx(txPlan(one));
  const eth = (bytes: number): Operation => {
    const { path, ...tx } = eip1559(bytes);
    return (trezor) => signTransaction(trezor, { path, tx: { type: 2, ...tx } });
  };
  return {
    'btc-address': (trezor, i) => btcGetAddress(trezor, { path: btcAddressPath(i) }),
    'eth-address': (trezor, i) => ethGetAddress(trezor, { path: ethAddressPath(i) }),
    'btc-sign-psbt': async (trezor) => hex.encode((await signPsbt(trezor, one, { coin: 'Regtest' })).tx),
    'btc-sign-raw': async (trezor) => hex.encode(await raw(trezor)),
    'eth-1k': eth(1024),
    'eth-8k': eth(8192),
    'btc-200': async (trezor) => hex.encode((await signPsbt(trezor, many, { coin: 'Regtest' })).tx),
  };
}

/**
 * An answer in the form both libraries' answers are compared in: Ethereum signatures as
 * "yParity:r:s" (trezorlib's v, r, s; ours read out of the serialized transaction), the rest
 * unchanged.
 * @example normalize('eth-1k', '0x02f8…') // '1:9f…:2c…'
 */
export function normalize(caseId: string, answer: string): string {
  if (!caseId.startsWith('eth-') || caseId === 'eth-address') return answer;
  return answer
    .split(',')
    .map((raw) => {
      const sig = EthTransaction.from(raw).signature;
      if (!sig) throw new Error('unsigned transaction');
      return `${sig.yParity}:${sig.r.slice(2)}:${sig.s.slice(2)}`;
    })
    .join(',');
}
