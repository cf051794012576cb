/**
 * A device for Ethereum tests: the virtual device's Ethereum handlers served on a scripted
 * link (./scripted-device.ts) with the real framing, codec and session loop on the host side.
 * It can claim any model and firmware version (as VirtualTrezor's `firmware` option now can),
 * presses "yes" unless told otherwise, and can tamper with its answers; unlike VirtualTrezor it
 * shows the host exactly which handler ran, screen by screen.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { encodeMessage, type AnyMessage, type ButtonRequestType, type MessageName } from '../../src/messages/index.js';
import { connect } from '../../src/session/connect.js';
import type { Trezor } from '../../src/session/trezor.js';
import { DeviceFailure, type DeviceContext, type Model } from '../../src/testing/virtual/context.js';
import { ethereumHandlers } from '../../src/testing/virtual/handlers/ethereum.js';
import { Keychain } from '../../src/testing/virtual/keychain.js';
import { features, scriptedTransport } from './scripted-device.js';

export const MNEMONIC = 'all all all all all all all all all all all all';
export const SEED = /* @__PURE__ */ mnemonicToSeedSync(MNEMONIC);
export const ROOT = /* @__PURE__ */ HDKey.fromMasterSeed(SEED);

export interface DeviceOptions {
  model: Model;
  version: [number, number, number];
  /** Decisions for the coming screens ('yes' when the list runs out). */
  decisions?: ('yes' | 'no')[];
  safetyChecks?: DeviceContext['safetyChecks'];
  /** Change a reply before it is sent (a misbehaving device). */
  tamper?: (reply: AnyMessage) => AnyMessage;
}

export interface Loopback {
  trezor: Trezor;
  /** ButtonRequest codes the device showed, in order. */
  buttons: string[];
  /** Every message the host sent. */
  received: AnyMessage[];
  /** data_length of every EthereumTxRequest asking for data. */
  dataRequests: number[];
  errors: unknown[];
}

/** Devices opened by ethereumDevice(); close them after each test with closeEthereumDevices(). */
const open: Trezor[] = [];
export async function closeEthereumDevices(): Promise<void> {
  for (const trezor of open.splice(0)) await trezor.close();
}

export async function ethereumDevice(options: DeviceOptions): Promise<Loopback> {
  const buttons: string[] = [];
  const dataRequests: number[] = [];
  const decisions = [...(options.decisions ?? [])];
  let received: AnyMessage[] = [];
  const keys = new Keychain(SEED);
  const { transport, errors } = scriptedTransport(async (link) => {
    received = link.received;
    for (;;) {
      const request = await link.next();
      if (request.type === 'Initialize' || request.type === 'GetFeatures') {
        const [major_version, minor_version, patch_version] = options.version;
        const model = options.model === 'T1B1' ? { model: '1', internal_model: 'T1B1' } : { model: 'T', internal_model: 'T2T1' };
        link.send('Features', features({ major_version, minor_version, patch_version, ...model }));
        continue;
      }
      const handler = ethereumHandlers[request.type as keyof typeof ethereumHandlers] as
        | ((ctx: DeviceContext, message: unknown) => Promise<AnyMessage>)
        | undefined;
      if (!handler) {
        link.send('Failure', { code: 'Failure_UnexpectedMessage', message: 'Unexpected message' });
        continue;
      }
      const ctx: DeviceContext = {
        model: options.model,
        layout: options.model === 'T1B1' ? 'T1' : 'UI1',
        version: options.version,
        safetyChecks: options.safetyChecks ?? 'Strict',
        root: async () => ROOT,
        seed: async () => SEED,
        keychain: async () => keys,
        unlock: async () => {},
        async confirm(code, confirmOptions) {
          link.send('ButtonRequest', { code: code as ButtonRequestType, ...(confirmOptions?.pages ? { pages: confirmOptions.pages } : {}) });
          await link.expect('ButtonAck');
          buttons.push(code);
          if ((decisions.shift() ?? 'yes') === 'no') throw new DeviceFailure('Failure_ActionCancelled', 'Action cancelled by user');
        },
        popup: async () => (decisions.shift() ?? 'yes') === 'yes',
        async ask(name, message) {
          if (name === 'EthereumTxRequest') dataRequests.push((message as { data_length: number }).data_length);
          link.send(name, message);
          const answer = await link.next();
          return encodeMessage(answer.type, answer.message as never);
        },
      };
      try {
        let reply = await handler(ctx, request.message);
        if (options.tamper) reply = options.tamper(reply);
        link.send(reply.type as MessageName, reply.message as never);
      } catch (e) {
        if (!(e instanceof DeviceFailure)) throw e;
        link.send('Failure', { code: e.failureCode, message: e.text });
      }
    }
  });
  const trezor = await connect({ transport });
  open.push(trezor);
  return { trezor, buttons, get received() { return received; }, dataRequests, errors };
}

export const T1: DeviceOptions = { model: 'T1B1', version: [1, 14, 1] };
export const CORE: DeviceOptions = { model: 'T2T1', version: [2, 8, 0] };
export const CORE_241: DeviceOptions = { model: 'T2T1', version: [2, 4, 1] };
