// Device suite, Ethereum: every SLIP-14 vector of eth_addresses, eth_sign_tx, eth_sign_message
// and eth_sign_typed_data byte for byte, and the user's "no" on the device (pressed through the
// debug link) as ActionCancelled / EIP-1193 4001.
//
// Runs on the harness's targets (harness.ts): VirtualTrezor T1B1 1.14.1, T2T1 2.4.1 and 2.8.9,
// T3T1 and T2B1 2.8.9, as the recorded emulators (EIP-1559 and the EIP-712 struct/value exchange
// run on the 2.8.9 ones); or a real emulator when TREZOR_EMULATOR=host:port (and
// TREZOR_DEBUGLINK, default port + 1) are set. On the emulator, safety checks are relaxed to
// PromptTemporarily (older Core firmware does not know the Casa m/45' path of one vector; the
// warning is confirmed like any screen). What the connected firmware lacks is skipped after
// reading its Features, with the reason printed: the Model T 2.4.1 predates EIP-1559 (2.4.2)
// and EIP-712 (2.4.3); there the library must refuse both with NotSupported before anything
// reaches the device.
import { JsonRpcProvider, Network } from 'ethers';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { isTrezorError } from '../../src/errors.js';
import { createEip1193Provider, getAddress, signMessage, signTransaction, signTypedData } from '../../src/ethereum/index.js';
import { loadVectors } from '../support/fixtures.js';
import { closeAll, declineMessage, lacks, layoutOf, openDevice, requireFeature, targets, type DeviceUnderTest, type Target } from './harness.js';

const EMULATOR = Boolean(process.env.TREZOR_EMULATOR);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vectors: any = loadVectors();

afterEach(closeAll);

/** A seeded device (safety checks relaxed on a real emulator, see the header). */
async function open(target: Target): Promise<DeviceUnderTest> {
  const device = await openDevice({ model: target });
  if (EMULATOR) await device.trezor.typedCall('ApplySettings', { safety_checks: 'PromptTemporarily' }, 'Success');
  return device;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return isTrezorError(e) ? e.code : `other: ${String(e)}`;
  }
}

function txOf(vector: (typeof vectors.eth_sign_tx)[number]) {
  const p = vector.parameters;
  const common = { chainId: p.chain_id, nonce: Number(p.nonce), gasLimit: p.gas_limit, to: p.to_address, value: p.value, data: `0x${p.data}` };
  return vector.type === 'eip1559'
    ? { ...common, type: 2, maxFeePerGas: p.max_gas_fee, maxPriorityFeePerGas: p.max_priority_fee }
    : { ...common, type: 0, gasPrice: p.gas_price };
}

for (const target of targets()) {
  describe(`Ethereum on ${target}`, () => {
    it('eth_addresses', async () => {
      const { trezor } = await open(target);
      for (const vector of vectors.eth_addresses) expect(await getAddress(trezor, { path: vector.path })).toBe(vector.expected);
      // Shown on the screen, confirmed through the debug link.
      expect(await getAddress(trezor, { path: vectors.eth_addresses[1].path, show: true })).toBe(vectors.eth_addresses[1].expected);
    });

    describe('eth_sign_tx', () => {
      for (const vector of vectors.eth_sign_tx) {
        it(`${vector.name} (${vector.type})`, async (ctx) => {
          const { trezor } = await open(target);
          if (vector.type === 'eip1559') requireFeature(ctx, trezor.features, 'eip1559');
          expect(await signTransaction(trezor, { path: vector.parameters.path, tx: txOf(vector) })).toBe(vector.signed_raw_tx);
        });
      }
    });

    it('eth_sign_message', async () => {
      const { trezor } = await open(target);
      for (const vector of vectors.eth_sign_message) {
        expect(await signMessage(trezor, { path: vector.parameters.path, message: vector.parameters.msg })).toBe(`0x${vector.expected.sig}`);
      }
    });

    describe('eth_sign_typed_data', () => {
      for (const vector of vectors.eth_sign_typed_data) {
        it(vector.name, async (ctx) => {
          const device = await open(target);
          // EthereumSignTypedHash on the Trezor One (1.10.5), EthereumSignTypedData on Core (2.4.3).
          requireFeature(ctx, device.trezor.features, 'typedData');
          const { types, domain, message, primaryType } = vector.parameters.data;
          expect(await signTypedData(device.trezor, { path: vector.parameters.path, types, domain, message, primaryType })).toBe(vector.expected.sig);
        });
      }
    });

    it('what the firmware lacks is refused with NotSupported before it reaches the device', async (ctx: TestContext) => {
      const device = await open(target);
      const { trezor } = device;
      const noEip1559 = lacks(trezor.features, 'eip1559');
      const noTypedData = lacks(trezor.features, 'typedData');
      if (!noEip1559 && !noTypedData) {
        const reason = 'the firmware has EIP-1559 and EIP-712: nothing to refuse';
        console.log(`[skip] ${ctx.task.fullTestName ?? ctx.task.name}: ${reason}`);
        ctx.skip(reason);
      }
      // Every exchange with the device runs inside trezor.exclusive: count them.
      const exclusive = trezor.exclusive.bind(trezor);
      let exchanges = 0;
      trezor.exclusive = ((flow) => {
        exchanges++;
        return exclusive(flow);
      }) as typeof trezor.exclusive;
      if (noEip1559) {
        const vector = vectors.eth_sign_tx.find((v: { type: string }) => v.type === 'eip1559');
        expect(await codeOf(signTransaction(trezor, { path: vector.parameters.path, tx: txOf(vector) }))).toBe('NotSupported');
      }
      if (noTypedData) {
        const { types, domain, message, primaryType } = vectors.eth_sign_typed_data[0].parameters.data;
        expect(await codeOf(signTypedData(trezor, { path: vectors.eth_sign_typed_data[0].parameters.path, types, domain, message, primaryType }))).toBe('NotSupported');
      }
      expect(exchanges).toBe(0);
    });

    it('"no" after the recipient: back to the recipient on Core ≥ 2.6 (Model T, Safe 3), the end elsewhere', async (ctx) => {
      const device = await open(target);
      const layout = layoutOf(device);
      if (layout === 'Delizia' || layout === 'Eckhart') {
        // core/src/trezor/ui/layouts/delizia confirm_ethereum_tx: one flow_confirm_output.
        const reason = 'this model shows a transaction as one flow: its first "yes" confirms all of it';
        console.log(`[skip] ${ctx.task.fullTestName ?? ctx.task.name}: ${reason}`);
        ctx.skip(reason);
      }
      // Bolt and Caesar confirm_ethereum_tx (and 2.6's confirm_output): a "no" on the second
      // screen (amount / summary) raises ActionCancelled inside a loop that shows the recipient
      // again; only a "no" there ends the signing. Older firmware ends it at once.
      const goesBack = layout === 'Bolt' || layout === 'Caesar';
      const vector = vectors.eth_sign_tx.find((v: { name: string }) => v.name === 'Ethereum');
      device.answers.push('yes', 'no', ...(goesBack ? (['no'] as const) : []));
      const shown = device.buttons.length;
      const error = await signTransaction(device.trezor, { path: vector.parameters.path, tx: txOf(vector) }).catch((e: unknown) => e);
      expect(isTrezorError(error, 'ActionCancelled')).toBe(true);
      expect(device.answers).toEqual([]);
      const screens = device.buttons.slice(shown);
      expect(screens).toHaveLength(goesBack ? 3 : 2);
      if (goesBack) expect(new Set(screens.map((b) => b.code))).toEqual(new Set(['ButtonRequest_SignTx']));
    });

    it('"no" on the device: ActionCancelled, and 4001 through the EIP-1193 provider', async () => {
      const device = await open(target);
      const { trezor } = device;
      const vector = vectors.eth_sign_tx.find((v: { name: string }) => v.name === 'Ethereum');
      // Declined on its first screen, the recipient (a "no" further on: next test).
      device.answers.push('no');
      const error = await signTransaction(trezor, { path: vector.parameters.path, tx: txOf(vector) }).catch((e: unknown) => e);
      expect(isTrezorError(error, 'ActionCancelled')).toBe(true);

      device.answers.push(declineMessage(device));
      const messageError = await signMessage(trezor, { path: "m/44'/60'/0'/0/0", message: 'no thanks' }).catch((e: unknown) => e);
      expect(isTrezorError(messageError, 'ActionCancelled')).toBe(true);

      // The provider never reaches the node here: personal_sign is answered by the device.
      const ethereum = createEip1193Provider({ trezor, provider: new JsonRpcProvider('http://127.0.0.1:9', 1, { staticNetwork: Network.from(1) }) });
      device.answers.push(declineMessage(device));
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
