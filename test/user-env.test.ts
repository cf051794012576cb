/**
 * scripts/user-env.ts against a local stand-in for the trezor-user-env controller: checks the
 * exact JSON each command sends (docs/controller.md of trezor/trezor-user-env) and how answers
 * are matched by id.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  SLIP14_MNEMONIC,
  connectUserEnv,
  main,
  setupEmulator,
  startEmulator,
  stopEmulator,
  type UserEnv,
} from '../scripts/user-env.js';

/** A fake controller: records every raw frame and answers like src/controller.py does. */
class FakeController {
  readonly received: string[] = [];
  answer: (request: { type: string; id?: unknown }) => object | undefined = () => ({});
  readonly server: WebSocketServer;
  readonly ready: Promise<void>;

  constructor() {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.ready = new Promise((resolve) => this.server.once('listening', () => resolve()));
    this.server.on('connection', (socket: WebSocket) => {
      // The real controller greets every client before any request.
      socket.send(JSON.stringify({ type: 'client', id: 'TODO', firmwares: {}, bridges: [] }));
      socket.on('message', (data) => {
        const raw = String(data);
        this.received.push(raw);
        const request = JSON.parse(raw) as { type: string; id?: unknown };
        const extra = this.answer(request);
        if (extra === undefined) return; // stay silent
        socket.send(JSON.stringify({ id: request.id ?? 'unknown', success: true, response: `${request.type} done`, ...extra }));
      });
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let controller: FakeController;
let env: UserEnv | undefined;

beforeEach(async () => {
  controller = new FakeController();
  await controller.ready;
});

afterEach(async () => {
  await env?.close();
  env = undefined;
  await controller.close();
});

describe('user-env controller client', () => {
  it('starts an emulator: bridge-stop, then emulator-start with model, version and wipe', async () => {
    env = await connectUserEnv({ url: controller.url });
    await startEmulator(env, { model: 'T1B1' });
    expect(controller.received).toEqual([
      '{"type":"bridge-stop","id":1}',
      '{"type":"emulator-start","model":"T1B1","version":"1-latest","wipe":true,"id":2}',
    ]);
  });

  it('uses the 2-latest line for T2T1 and passes an explicit version through', async () => {
    env = await connectUserEnv({ url: controller.url });
    await startEmulator(env, { model: 'T2T1' });
    await startEmulator(env, { model: 'T2T1', version: '2.8.1', wipe: false });
    expect(controller.received.map((r) => JSON.parse(r))).toEqual([
      { type: 'bridge-stop', id: 1 },
      { type: 'emulator-start', model: 'T2T1', version: '2-latest', wipe: true, id: 2 },
      { type: 'bridge-stop', id: 3 },
      { type: 'emulator-start', model: 'T2T1', version: '2.8.1', wipe: false, id: 4 },
    ]);
  });

  it('sets up the SLIP-14 seed with every argument emulator-setup requires', async () => {
    env = await connectUserEnv({ url: controller.url });
    await setupEmulator(env);
    expect(controller.received).toEqual([
      `{"type":"emulator-setup","mnemonic":"${SLIP14_MNEMONIC}","pin":"","passphrase_protection":false,"label":"trezor-direct","id":1}`,
    ]);
  });

  it('passes PIN, passphrase protection and label for setup, and stops', async () => {
    env = await connectUserEnv({ url: controller.url });
    await setupEmulator(env, { mnemonic: 'abandon '.repeat(11) + 'about', pin: '1234', passphraseProtection: true, label: 'ci' });
    await stopEmulator(env);
    expect(controller.received.map((r) => JSON.parse(r))).toEqual([
      {
        type: 'emulator-setup',
        mnemonic: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
        pin: '1234',
        passphrase_protection: true,
        label: 'ci',
        id: 1,
      },
      { type: 'emulator-stop', id: 2 },
    ]);
  });

  it('matches answers by id when they arrive out of order, ignoring the welcome message', async () => {
    const held: unknown[] = [];
    controller.answer = (request) => {
      held.push(request);
      return undefined;
    };
    env = await connectUserEnv({ url: controller.url });
    const ping = env.send({ type: 'ping' });
    const check = env.send({ type: 'background-check' });
    await expect.poll(() => held.length).toBe(2);
    // Answer the second request first, through a fresh socket write on the server side.
    const [socket] = [...controller.server.clients];
    socket!.send(JSON.stringify({ id: 2, success: true, response: 'Background check done', emulator_status: true }));
    socket!.send(JSON.stringify({ id: 1, success: true, response: 'pong' }));
    await expect(check).resolves.toMatchObject({ id: 2, response: 'Background check done' });
    await expect(ping).resolves.toMatchObject({ id: 1, response: 'pong' });
  });

  it('rejects with the controller error when success is false', async () => {
    controller.answer = () => ({ success: false, error: 'Model must be supplied for the emulator to start' });
    env = await connectUserEnv({ url: controller.url });
    await expect(env.send({ type: 'emulator-start' })).rejects.toThrow('Model must be supplied');
  });

  it('times out a command the controller never answers', async () => {
    controller.answer = () => undefined;
    env = await connectUserEnv({ url: controller.url, timeoutMs: 50 });
    await expect(env.send({ type: 'emulator-start', model: 'T1B1' })).rejects.toThrow('no answer to emulator-start');
  });

  it('rejects pending commands when the controller goes away', async () => {
    controller.answer = () => undefined;
    env = await connectUserEnv({ url: controller.url });
    const pending = env.send({ type: 'emulator-start', model: 'T2T1' });
    await expect.poll(() => controller.received.length).toBe(1);
    await controller.close();
    await expect(pending).rejects.toThrow('closed the connection');
  });

  it('reports an unreachable controller clearly', async () => {
    const url = controller.url;
    await controller.close();
    await expect(connectUserEnv({ url })).rejects.toThrow(`controller at ${url}`);
  });
});

describe('user-env CLI', () => {
  it('start / setup / stop send the same commands', async () => {
    const log = console.log;
    console.log = () => {};
    try {
      expect(await main(['start', '--model', 'T2T1', '--url', controller.url])).toBe(0);
      expect(await main(['setup', '--url', controller.url])).toBe(0);
      expect(await main(['stop', '--url', controller.url])).toBe(0);
    } finally {
      console.log = log;
    }
    expect(controller.received.map((r) => JSON.parse(r).type)).toEqual(['bridge-stop', 'emulator-start', 'emulator-setup', 'emulator-stop']);
    expect(JSON.parse(controller.received[1]!)).toEqual({ type: 'emulator-start', model: 'T2T1', version: '2-latest', wipe: true, id: 2 });
    expect(JSON.parse(controller.received[2]!)).toMatchObject({ mnemonic: SLIP14_MNEMONIC, pin: '' });
  });

  it('refuses an unknown action or model without connecting', async () => {
    const error = console.error;
    console.error = () => {};
    try {
      expect(await main(['reboot', '--url', controller.url])).toBe(2);
      expect(await main(['start', '--model', 'T9', '--url', controller.url])).toBe(2);
      // Not a number: NaN would make every command time out at once.
      expect(await main(['stop', '--timeout', 'soon', '--url', controller.url])).toBe(2);
      expect(await main(['stop', '--timeout', '0', '--url', controller.url])).toBe(2);
    } finally {
      console.error = error;
    }
    expect(controller.received).toEqual([]);
  });
});
