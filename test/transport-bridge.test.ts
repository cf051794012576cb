/**
 * Bridge transport against a local HTTP server that emulates trezord-go's API
 * (server/api/api.go, core/core.go): POST-only endpoints, hex bodies without `?##`, the
 * Origin check (403), sessions with "previous session" checks, and `{error}` JSON with 400.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeBridge, encodeBridge } from '../src/protocol/bridge.js';
import type { MessageLink } from '../src/protocol/link.js';
import { v1Link } from '../src/protocol/v1-link.js';
import { getAddress } from '../src/bitcoin/index.js';
import { connect } from '../src/session/connect.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { bridge } from '../src/transport/bridge.js';
import { SLIP14_MNEMONIC, loadVectors } from './support/fixtures.js';
import { FAILURE_CANCELLED, MT, pingResponder } from './fakes/fake-webusb.js';

const ping = (message: string) => Uint8Array.from([0x0a, message.length, ...new TextEncoder().encode(message)]);
const ORIGIN_OK = /^https?:\/\/localhost:[58]\d{3}$|^https:\/\/([a-z0-9_-]+\.)*trezor\.io$/;

interface Logged {
  url: string;
  body: string;
  origin: string | undefined;
}

interface BridgeDevice {
  path: string;
  vendor: number;
  product: number;
  debug: boolean;
  session: string | null;
  debugSession: null;
}

/** What a device behind the fake Bridge does with a /call (answer) and a /post (no answer). */
interface Backend {
  call(message: { type: number; payload: Uint8Array }): Promise<{ type: number; payload: Uint8Array }>;
  post(message: { type: number; payload: Uint8Array }): Promise<void>;
}

/**
 * A tiny trezord. `hold` makes /call wait until a Cancel arrives through /post. `backend`
 * puts a device behind it instead of the ping responder (as trezord-go does with a USB device:
 * /call writes and reads the next message, /post only writes).
 */
class FakeBridge {
  backend: Backend | undefined;
  /** Raw text the next /call answers with (a malformed body). */
  rawReply: string | undefined;
  readonly log: Logged[] = [];
  readonly devices: BridgeDevice[] = [{ path: '1', vendor: 0x1209, product: 0x53c1, debug: false, session: null, debugSession: null }];
  /** Error text the next /call (or /acquire) answers with. */
  callError: string | undefined;
  acquireError: string | undefined;
  /** Hold Ping calls until Cancel is posted. */
  hold = false;
  url = '';
  private server: Server;
  private nextSession = 1;
  private pendingCall: ((hex: string) => void) | undefined;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  paths(): string[] {
    return this.log.map((l) => l.url);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const origin = req.headers.origin;
    const url = req.url ?? '';
    this.log.push({ url, body, origin });
    if (!origin || !ORIGIN_OK.test(origin)) {
      res.writeHead(403).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value) + '\n');
    const fail = (error: string) => json(400, { error });
    const parts = url.split('/').filter(Boolean).map(decodeURIComponent);
    const bySession = (s: string | undefined) => this.devices.find((d) => d.session !== null && d.session === s);

    switch (parts[0]) {
      case 'enumerate':
        return json(200, this.devices);
      case 'acquire': {
        const device = this.devices.find((d) => d.path === parts[1]);
        if (!device) return fail('device not found');
        if (this.acquireError) return fail(this.acquireError);
        const previous = parts[2] === 'null' ? null : (parts[2] ?? null);
        if (previous !== device.session) return fail('wrong previous session');
        device.session = String(this.nextSession++);
        return json(200, { session: device.session });
      }
      case 'release': {
        const device = bySession(parts[1]);
        if (!device) return fail('session not found');
        device.session = null;
        return json(200, { session: parts[1] });
      }
      case 'call': {
        if (!bySession(parts[1])) return fail('session not found');
        if (this.callError) {
          const error = this.callError;
          this.callError = undefined;
          return fail(error);
        }
        if (this.pendingCall) return fail('other call in progress');
        if (this.rawReply !== undefined) {
          const raw = this.rawReply;
          this.rawReply = undefined;
          return void res.writeHead(200).end(raw);
        }
        const message = decodeBridge(body);
        if (this.backend) {
          // trezord-go's /call holds the Bridge's call lock until the device answers.
          this.pendingCall = () => undefined;
          try {
            const reply = await this.backend.call(message);
            return void res.writeHead(200).end(encodeBridge(reply.type, reply.payload));
          } finally {
            this.pendingCall = undefined;
          }
        }
        if (this.hold && message.type === MT.Ping) {
          const reply = await new Promise<string>((resolve) => (this.pendingCall = resolve));
          this.pendingCall = undefined;
          return void res.writeHead(200).end(reply);
        }
        const [reply] = pingResponder(message);
        return void res.writeHead(200).end(encodeBridge(reply!.type, reply!.payload));
      }
      case 'post': {
        if (!bySession(parts[1])) return fail('session not found');
        const message = decodeBridge(body);
        if (this.backend) {
          await this.backend.post(message);
          return void res.writeHead(200).end();
        }
        if (message.type === MT.Cancel) this.pendingCall?.(encodeBridge(MT.Failure, FAILURE_CANCELLED));
        return void res.writeHead(200).end();
      }
      default:
        return fail('unknown endpoint');
    }
  }
}

const readMessage = (link: MessageLink) => link.read();

const send = (link: MessageLink, type: number, payload: Uint8Array) => link.write({ type, payload });

let fake: FakeBridge;
const connections: MessageLink[] = [];
beforeEach(async () => {
  fake = await new FakeBridge().start();
});
afterEach(async () => {
  for (const c of connections.splice(0)) await c.close();
  await fake.stop();
  vi.unstubAllGlobals();
});

async function openFirst(transport = bridge({ url: fake.url })) {
  const [device] = await transport.enumerate();
  const connection = await transport.openLink!(device!);
  connections.push(connection);
  return connection;
}

describe('bridge: enumerate and Origin', () => {
  it('enumerates with POST /enumerate and sends an Origin trezord accepts', async () => {
    fake.devices.push({ path: '2', vendor: 0x1209, product: 0x53c0, debug: false, session: null, debugSession: null });
    const transport = bridge({ url: fake.url });
    expect(transport.name).toBe('bridge');
    expect(await transport.enumerate()).toEqual([
      { path: '1', vendorId: 0x1209, productId: 0x53c1 },
      { path: '2', vendorId: 0x1209, productId: 0x53c0, bootloader: true },
    ]);
    expect(fake.log).toEqual([{ url: '/enumerate', body: '', origin: 'https://localhost:8000' }]);
  });

  it('sends a configured origin', async () => {
    await bridge({ url: fake.url, origin: 'https://wallet.trezor.io' }).enumerate();
    expect(fake.log[0]!.origin).toBe('https://wallet.trezor.io');
  });

  it('maps a refused origin (403) to NotSupported', async () => {
    const error = await bridge({ url: fake.url, origin: 'https://example.com' }).enumerate().catch((e) => e);
    expect(error).toMatchObject({ name: 'TrezorError', code: 'NotSupported' });
    expect(error.message).toMatch(/origin/);
  });

  it('leaves Origin to the browser when there is a window', async () => {
    vi.stubGlobal('window', {});
    const seen: (HeadersInit | undefined)[] = [];
    const fetchSpy: typeof fetch = async (input, init) => {
      seen.push(init?.headers);
      return new Response('[]', { status: 200 });
    };
    await bridge({ url: fake.url, fetch: fetchSpy }).enumerate();
    expect(new Headers(seen[0]).has('origin')).toBe(false);
  });

  it('stops reading a reply longer than the largest message (ProtocolError), instead of buffering it all', async () => {
    const MiB = 1024 * 1024;
    let sent = 0;
    const spaces = new Uint8Array(MiB).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 40 MiB of valid JSON: "[", spaces, "]".
        if (sent === 0) controller.enqueue(new TextEncoder().encode('['));
        if (sent < 40) controller.enqueue(spaces);
        else {
          controller.enqueue(new TextEncoder().encode(']'));
          controller.close();
        }
        sent++;
      },
    });
    const fetchHuge: typeof fetch = async () => new Response(body, { status: 200 });
    const error = await bridge({ url: fake.url, fetch: fetchHuge }).enumerate().catch((e) => e);
    expect(error).toMatchObject({ name: 'TrezorError', code: 'ProtocolError' });
    expect(sent).toBeLessThan(40);
  });

  it('reports a Bridge that is not running as NotSupported', async () => {
    const url = fake.url;
    await fake.stop();
    fake = await new FakeBridge().start(); // keep afterEach happy; the old port is closed now
    await expect(bridge({ url }).enumerate()).rejects.toMatchObject({ code: 'NotSupported' });
  });
});

describe('bridge: sessions and calls', () => {
  it('acquires with previous "null", calls with the hex body form and reads the reply as one whole message', async () => {
    const connection = await openFirst();
    expect(connection.protocol).toBe('bridge');
    expect(fake.paths()).toEqual(['/enumerate', '/acquire/1/null']);
    await send(connection, MT.Ping, ping('hi bridge'));
    const reply = await readMessage(connection);
    expect(reply).toEqual({ type: MT.Success, payload: ping('hi bridge') });
    const call = fake.log.at(-1)!;
    expect(call.url).toBe('/call/1');
    // type 0x0001 ‖ length 11 ‖ Ping{message: "hi bridge"}: no '?##', no padding
    expect(call.body).toBe('0001' + '0000000b' + '0a09' + '686920627269646765');
    expect(call.body).toBe(encodeBridge(MT.Ping, ping('hi bridge')));
  });

  it('sends one /call per whole message, however many v1 reports it would span', async () => {
    const connection = await openFirst();
    const long = 'q'.repeat(120);
    await send(connection, MT.Ping, ping(long));
    expect((await readMessage(connection)).payload).toEqual(ping(long));
    expect(fake.paths().filter((p) => p.startsWith('/call/'))).toHaveLength(1);
  });

  it('acquires a device another app holds with the previous session from enumerate', async () => {
    fake.devices[0]!.session = '42';
    fake.log.length = 0;
    await openFirst();
    expect(fake.paths()).toEqual(['/enumerate', '/acquire/1/42']);
  });

  it('retries once with the fresh session after "wrong previous session"', async () => {
    const transport = bridge({ url: fake.url });
    await transport.enumerate(); // session null
    fake.devices[0]!.session = '42'; // someone acquires it meanwhile
    const connection = await transport.openLink!({ path: '1' });
    connections.push(connection);
    expect(fake.paths()).toEqual(['/enumerate', '/acquire/1/null', '/enumerate', '/acquire/1/42']);
  });

  it('maps a second "wrong previous session" to DeviceBusy', async () => {
    fake.acquireError = 'wrong previous session';
    await expect(openFirst()).rejects.toMatchObject({ code: 'DeviceBusy' });
    expect(fake.paths().filter((p) => p.startsWith('/acquire'))).toHaveLength(2);
  });

  it('maps "device not found" on acquire to DeviceDisconnected', async () => {
    await expect(bridge({ url: fake.url }).openLink!({ path: '9' })).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('sends Cancel through /post while a /call waits, and the call answers Failure', async () => {
    fake.hold = true;
    const connection = await openFirst();
    await send(connection, MT.Ping, ping('hold'));
    const reply = readMessage(connection);
    await vi.waitFor(() => expect(fake.paths().at(-1)).toBe('/call/1'));
    await send(connection, MT.Cancel, new Uint8Array());
    expect(await reply).toEqual({ type: MT.Failure, payload: FAILURE_CANCELLED });
    const post = fake.log.find((l) => l.url === '/post/1')!;
    expect(post.body).toBe('0014' + '00000000');
  });

  it('close releases the session once and fails pending reads', async () => {
    const connection = await openFirst();
    const pending = expect(connection.read()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    await connection.close();
    await connection.close();
    await pending;
    expect(fake.paths().filter((p) => p.startsWith('/release/'))).toEqual(['/release/1']);
    expect(fake.devices[0]!.session).toBeNull();
    // Released: a fresh open acquires from "null" again.
    await openFirst();
    expect(fake.paths().at(-1)).toBe('/acquire/1/null');
  });
});

describe('bridge: a message link, no report framing', () => {
  it('open() has no report-level connection to give: NotSupported, nothing acquired', async () => {
    const transport = bridge({ url: fake.url });
    const [device] = await transport.enumerate();
    await expect(transport.open(device!)).rejects.toMatchObject({ code: 'NotSupported' });
    expect(fake.paths()).toEqual(['/enumerate']);
  });

  it('a malformed reply body rejects that read with ProtocolError; the link keeps working', async () => {
    const connection = await openFirst();
    fake.rawReply = '0002zz';
    await send(connection, MT.Ping, ping('x'));
    await expect(connection.read()).rejects.toMatchObject({ code: 'ProtocolError' });
    await send(connection, MT.Ping, ping('next'));
    expect(await readMessage(connection)).toEqual({ type: MT.Success, payload: ping('next') });
  });

  it('a reply of any length comes back whole, as it was sent', async () => {
    const connection = await openFirst();
    // Ping{message: 3000 × 'z'}: field 1, length 3000 as the varint b8 17.
    const payload = Uint8Array.from([0x0a, 0xb8, 0x17, ...new TextEncoder().encode('z'.repeat(3000))]);
    await send(connection, MT.Ping, payload);
    expect(await readMessage(connection)).toEqual({ type: MT.Success, payload });
    expect(fake.log.at(-1)!.body).toBe(encodeBridge(MT.Ping, payload));
  });
});

describe('bridge: connect() and the session over it (a VirtualTrezor behind the fake Bridge)', () => {
  const expected = (loadVectors().btc_addresses as { path: string; coin: string; expected: string }[]).find(
    (v) => v.path === "m/84'/0'/0'/1/0" && v.coin === 'Bitcoin',
  )!;
  let virtual: VirtualTrezor;
  let device: MessageLink;

  beforeEach(async () => {
    virtual = new VirtualTrezor({ mnemonic: SLIP14_MNEMONIC, model: 'T1B1' });
    const transport = virtual.transport();
    const [descriptor] = await transport.enumerate();
    device = v1Link(await transport.open(descriptor!));
    fake.backend = {
      async call(message) {
        await device.write(message);
        return device.read();
      },
      post: (message) => device.write(message),
    };
  });
  afterEach(async () => {
    await device.close();
    await virtual.close();
  });

  it('connect({ transport: bridge() }) reads Features and the SLIP-14 address of m/84h/0h/0h/1/0', async () => {
    const trezor = await connect({ transport: bridge({ url: fake.url }), sessionId: null });
    expect(trezor.features.model).toBe('1');
    expect(await getAddress(trezor, { path: expected.path })).toBe(expected.expected);
    await trezor.close();
    const calls = fake.log.filter((l) => l.url.startsWith('/call/'));
    // Initialize and GetAddress, each one whole message: no '?##' report framing in a body.
    expect(calls.map((c) => decodeBridge(c.body).type)).toEqual([0, 29]);
    expect(fake.paths().at(-1)).toBe('/release/1');
  });

  it('an abort while the device waits for a button goes out as /post Cancel; the next call works', async () => {
    const trezor = await connect({ transport: bridge({ url: fake.url }), sessionId: null });
    const controller = new AbortController();
    trezor.on('button', () => controller.abort()); // the ButtonAck's /call is waiting by then
    const error = await getAddress(trezor, { path: expected.path, show: true, signal: controller.signal }).catch((e) => e);
    expect(error).toMatchObject({ name: 'TrezorError', code: 'ActionCancelled' });
    const post = fake.log.find((l) => l.url === '/post/1')!;
    expect(decodeBridge(post.body)).toEqual({ type: MT.Cancel, payload: new Uint8Array() });
    expect(await getAddress(trezor, { path: expected.path })).toBe(expected.expected);
    await trezor.close();
  });
});

describe('bridge: error mapping', () => {
  it('"device disconnected during action" → DeviceDisconnected, onDisconnect fires, the connection is dead', async () => {
    const connection = await openFirst();
    const onDisconnect = vi.fn();
    connection.onDisconnect(onDisconnect);
    fake.callError = 'device disconnected during action';
    await send(connection, MT.Ping, ping('x'));
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    expect(onDisconnect).toHaveBeenCalledTimes(1);
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
    await expect(connection.write({ type: MT.Ping, payload: ping('y') })).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it.each([['device not found'], ['closed device']])('"%s" → DeviceDisconnected', async (text) => {
    const connection = await openFirst();
    fake.callError = text;
    await send(connection, MT.Ping, ping('x'));
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceDisconnected' });
  });

  it('"other call in progress" → DeviceBusy for that read; the connection keeps working', async () => {
    const connection = await openFirst();
    fake.callError = 'other call in progress';
    await send(connection, MT.Ping, ping('x'));
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceBusy' });
    await send(connection, MT.Ping, ping('again'));
    expect((await readMessage(connection)).payload).toEqual(ping('again'));
  });

  it('"session not found" (another app took the device) → DeviceBusy and the connection ends', async () => {
    const connection = await openFirst();
    fake.devices[0]!.session = '99';
    await send(connection, MT.Ping, ping('x'));
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceBusy' });
    await expect(connection.read()).rejects.toMatchObject({ code: 'DeviceBusy' });
  });

  it.each([['malformed wire format'], ['malformed protobuf'], ['something unexpected']])('"%s" → ProtocolError with the text', async (text) => {
    const connection = await openFirst();
    fake.callError = text;
    await send(connection, MT.Ping, ping('x'));
    const error = await connection.read().catch((e) => e);
    expect(error).toMatchObject({ name: 'TrezorError', code: 'ProtocolError' });
    expect(error.message).toContain(text);
  });

  it('a pending read honours its AbortSignal', async () => {
    const connection = await openFirst();
    const controller = new AbortController();
    const pending = connection.read(controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
