// Device suite, Ethereum: every SLIP-14 vector of eth_addresses, eth_sign_tx, eth_sign_message
// and eth_sign_typed_data byte for byte on both models, and the user's "no" on the device
// (pressed through the debug link) as ActionCancelled / EIP-1193 4001.
//
// Runs against VirtualTrezor (firmware 1.14.1 / 2.4.1, as the recorded emulators), or against
// a real emulator when TREZOR_EMULATOR=host:port (and TREZOR_DEBUGLINK, default port + 1)
// are set: the seed is loaded through the debug link and safety checks are relaxed to
// PromptTemporarily (older Core firmware does not know the Casa m/45' path of one vector; the
// warning is confirmed like any screen). What the connected firmware lacks is skipped after
// reading its Features, with the reason: the Model T 2.4.1 predates EIP-1559 (2.4.2) and
// EIP-712 (2.4.3); those Core flows run in test/ethereum-loopback.test.ts on a device claiming
// a newer firmware.
import { readFileSync } from 'node:fs';
import { JsonRpcProvider } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { isTrezorError } from '../../src/errors.js';
import { createEip1193Provider, getAddress, signMessage, signTransaction, signTypedData, supportsEip1559 } from '../../src/ethereum/index.js';
import { connect } from '../../src/session/connect.js';
import type { Trezor } from '../../src/session/trezor.js';
import { DebugLink } from '../../src/testing/debuglink.js';
import type { Model } from '../../src/testing/virtual/context.js';
import { VirtualTrezor } from '../../src/testing/virtual/device.js';

const vectors = JSON.parse(readFileSync(new URL('../../../shared/vectors/slip14.json', import.meta.url), 'utf8'));
const MNEMONIC = 'all all all all all all all all all all all all';

interface Device {
  trezor: Trezor;
  debug: DebugLink;
  /** What the next button screens get pressed with ('yes' once the list is empty). */
  answers: ('yes' | 'no')[];
  close(): Promise<void>;
}

const opened: Device[] = [];
afterEach(async () => {
  for (const device of opened.splice(0)) await device.close();
});

const EMULATOR = process.env.TREZOR_EMULATOR;

async function open(model: Model | 'emulator'): Promise<Device> {
  const answers: ('yes' | 'no')[] = [];
  let device: Device;
  if (model === 'emulator') {
    const [host = '127.0.0.1', port = '21324'] = EMULATOR!.split(':');
    const [debugHost = host, debugPort = String(Number(port) + 1)] = (process.env.TREZOR_DEBUGLINK ?? '').split(':').filter(Boolean);
    const debug = await DebugLink.connect({ host: debugHost, port: Number(debugPort), wirePort: Number(port) });
    await debug.loadDevice({ mnemonic: MNEMONIC });
    const { udp } = await import('../../src/node.js');
    const trezor = await connect({ transport: udp({ host, port: Number(port) }), ui: { button: () => void debug.press(answers.shift() ?? 'yes') } });
    await trezor.typedCall('ApplySettings', { safety_checks: 'PromptTemporarily' }, 'Success');
    device = {
      trezor,
      debug,
      answers,
      async close() {
        await trezor.close();
        await debug.close();
      },
    };
  } else {
    const virtual = new VirtualTrezor({ mnemonic: MNEMONIC, model });
    const debug = virtual.debugLink();
    const trezor = await connect({ transport: virtual.transport(), ui: { button: () => void debug.press(answers.shift() ?? 'yes') } });
    device = {
      trezor,
      debug,
      answers,
      async close() {
        await trezor.close();
        await debug.close();
        await virtual.close();
      },
    };
  }
  opened.push(device);
  return device;
}

function versionOf(trezor: Trezor): number[] {
  return [trezor.features.major_version, trezor.features.minor_version, trezor.features.patch_version];
}

function atLeast(trezor: Trezor, one: number[], core: number[]): boolean {
  const have = versionOf(trezor);
  const need = trezor.features.model === '1' ? one : core;
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return have[i]! > need[i]!;
  return true;
}

function txOf(vector: (typeof vectors.eth_sign_tx)[number]) {
  const p = vector.parameters;
  const common = { chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}` };
  return vector.type === 'eip1559'
    ? { ...common, type: 2, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }
    : { ...common, type: 0, gasPrice: p.gas_price };
}

for (const model of EMULATOR ? (['emulator'] as const) : (['T1B1', 'T2T1'] as const)) {
  describe(`Ethereum on ${model}`, () => {
    it('eth_addresses', async () => {
      const { trezor } = await open(model);
      for (const vector of vectors.eth_addresses) expect(await getAddress(trezor, { path: vector.path })).toBe(vector.expected);
      // Shown on the screen, confirmed through the debug link.
      expect(await getAddress(trezor, { path: vectors.eth_addresses[1].path, show: true })).toBe(vectors.eth_addresses[1].expected);
    });

    it('eth_sign_tx', async (context) => {
      const { trezor } = await open(model);
      let signed = 0;
      for (const vector of vectors.eth_sign_tx) {
        if (vector.type === 'eip1559' && !supportsEip1559(trezor)) continue;
        expect(await signTransaction(trezor, { path: vector.parameters.path, tx: txOf(vector) }), vector.name).toBe(vector.signed_raw_tx);
        signed++;
      }
      if (signed < vectors.eth_sign_tx.length) {
        context.annotate(`EIP-1559 vectors skipped: firmware ${versionOf(trezor).join('.')} predates EIP-1559 (needs 2.4.2)`);
      }
      expect(signed).toBeGreaterThan(0);
    });

    it('eth_sign_message', async () => {
      const { trezor } = await open(model);
      for (const vector of vectors.eth_sign_message) {
        expect(await signMessage(trezor, { path: vector.parameters.path, message: vector.parameters.msg })).toBe(`0x${vector.expected.sig}`);
      }
    });

    it('eth_sign_typed_data', async (context) => {
      const { trezor } = await open(model);
      if (!atLeast(trezor, [1, 10, 5], [2, 4, 3])) {
        context.skip(`firmware ${versionOf(trezor).join('.')} predates EIP-712 typed data (Core 2.4.3 / T1 1.10.5)`);
      }
      for (const vector of vectors.eth_sign_typed_data) {
        const { types, domain, message, primaryType } = vector.parameters.data;
        expect(await signTypedData(trezor, { path: vector.parameters.path, types, domain, message, primaryType }), vector.name).toBe(vector.expected.sig);
      }
    });

    it('"no" on the device: ActionCancelled, and 4001 through the EIP-1193 provider', async () => {
      const device = await open(model);
      const { trezor } = device;
      const vector = vectors.eth_sign_tx.find((v: { name: string }) => v.name === 'Ethereum');
      device.answers.push('yes', 'no');
      const error = await signTransaction(trezor, { path: vector.parameters.path, tx: txOf(vector) }).catch((e: unknown) => e);
      expect(isTrezorError(error, 'ActionCancelled')).toBe(true);

      device.answers.push('no');
      const messageError = await signMessage(trezor, { path: "m/44'/60'/0'/0/0", message: 'no thanks' }).catch((e: unknown) => e);
      expect(isTrezorError(messageError, 'ActionCancelled')).toBe(true);

      // The provider never reaches the node here: personal_sign is answered by the device.
      const ethereum = createEip1193Provider({ trezor, provider: new JsonRpcProvider('http://127.0.0.1:9', 1, { staticNetwork: true }) });
      device.answers.push('no');
      const rpcError = (await ethereum.request({ method: 'personal_sign', params: ['0x6869', vectors.eth_addresses[1].expected] }).catch((e: unknown) => e)) as {
        code?: number;
      };
      expect(rpcError.code).toBe(4001);

      // The device is usable again afterwards.
      expect(await signMessage(trezor, { path: vectors.eth_sign_message[0].parameters.path, message: vectors.eth_sign_message[0].parameters.msg })).toBe(
        `0x${vectors.eth_sign_message[0].expected.sig}`,
      );
    });
  });
}
