/**
 * Trezor Bridge (trezord) transport: the device is held by the Bridge daemon and reached over
 * its local HTTP API (shared PROTOCOL.md §4.4; trezord-go server/api/api.go).
 *
 * The Bridge speaks whole messages, not reports, so it plugs in above the framing (shared
 * DESIGN.md, Layers): `openLink()` gives the session a {@link MessageLink} directly. A message
 * written goes out whole as `/call/{session}` (hex of `type u16 BE ‖ length u32 BE ‖ payload`)
 * and its reply is the next read(). A message written while a call is still waiting for its
 * reply — in practice a Cancel — goes out as `/post/{session}`, which bypasses the Bridge's
 * one-call lock; the device's answer to it then arrives as the pending call's reply. There is
 * no report-level connection: `open()` rejects with NotSupported.
 *
 * Every request must carry an Origin the Bridge accepts (trezord-go: https://*.trezor.io and
 * http(s)://localhost:5xxx/8xxx; anything else gets 403). Browsers set it themselves; Node
 * sends `https://localhost:8000` unless told otherwise.
 *
 * The Bridge sends no unplug events; an unplug surfaces as the error of the next call.
 */
import { TrezorError } from '../errors.js';
import { encodeBridge, decodeBridge } from '../protocol/bridge.js';
import type { MessageLink, WireMessage } from '../protocol/link.js';
import { abortReason, withSignal } from '../abort.js';
import { ReportQueue, disconnected, notifyAll } from './abort.js';
import type { DeviceDescriptor, Transport } from './types.js';

/** Origin sent from Node: accepted by trezord-go (localhost:8xxx) and the Node bridge (localhost). */
export const DEFAULT_BRIDGE_ORIGIN = 'https://localhost:8000';

export interface BridgeOptions {
  /** Base URL of the Bridge (default http://127.0.0.1:21325). */
  url?: string;
  /** fetch implementation (default globalThis.fetch). */
  fetch?: typeof globalThis.fetch;
  /** Origin header sent outside browsers (default https://localhost:8000). Browsers set their own. */
  origin?: string;
}

/** One entry of `/enumerate`. */
interface BridgeDevice {
  path: string;
  vendor?: number;
  product?: number;
  session?: string | null;
}

type Reply = { ok: true; text: string } | { ok: false; status: number; error: string };

/**
 * Largest reply body read: the hex of the largest message the v1 decoder accepts (16 MiB) with
 * its 6-byte header, and some room. A longer reply is not read to its end (ProtocolError).
 */
const MAX_REPLY_BYTES = 2 * (16 * 1024 * 1024 + 6) + 64;

/** The body as text, or undefined as soon as it is known to exceed `max` bytes. */
async function boundedText(response: Response, max: number, signal?: AbortSignal): Promise<string | undefined> {
  const declared = Number(response.headers?.get('content-length') ?? Number.NaN);
  const body = response.body;
  if (declared > max) {
    await body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!body) return withSignal(response.text(), signal);
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await withSignal(reader.read(), signal);
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** A Bridge error text as a TrezorError; `fatal` ones end the connection. */
function bridgeError(text: string): { error: TrezorError; fatal: boolean } {
  if (/device disconnected during action|device not found|closed device|disconnected/i.test(text)) {
    return { error: new TrezorError('DeviceDisconnected', `Trezor Bridge: ${text}`), fatal: true };
  }
  if (/session not found|wrong session/i.test(text)) {
    // Another application acquired the device (or it was re-plugged): our session is gone.
    return { error: new TrezorError('DeviceBusy', `Trezor Bridge: ${text} (another application took the device over)`), fatal: true };
  }
  if (/other call in progress|wrong previous session/i.test(text)) {
    return { error: new TrezorError('DeviceBusy', `Trezor Bridge: ${text}`), fatal: false };
  }
  return { error: new TrezorError('ProtocolError', `Trezor Bridge: ${text}`), fatal: false };
}

/**
 * Trezor through the Trezor Bridge daemon (browser or Node).
 * @example const trezor = await connect({ transport: bridge() })
 */
export function bridge({ url = 'http://127.0.0.1:21325', fetch: fetchFn = globalThis.fetch, origin }: BridgeOptions = {}): Transport {
  const base = url.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (typeof (globalThis as { window?: unknown }).window === 'undefined') headers['Origin'] = origin ?? DEFAULT_BRIDGE_ORIGIN;
  /** Last known Bridge session per path, from enumerate and our own acquires. */
  const sessions = new Map<string, string | null>();

  /** POST; resolves with the body or the Bridge's `{error}`; rejects only when the Bridge is unreachable. */
  async function post(path: string, body: string | undefined, signal?: AbortSignal): Promise<Reply> {
    if (typeof fetchFn !== 'function') throw new TrezorError('NotSupported', 'fetch is unavailable: pass bridge({ fetch })');
    let response: Response;
    try {
      response = await fetchFn(base + path, body === undefined ? { method: 'POST', headers, signal } : { method: 'POST', headers, body, signal });
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw new TrezorError('NotSupported', `Trezor Bridge is not reachable at ${base}`, { cause: error });
    }
    const text = await boundedText(response, MAX_REPLY_BYTES, signal);
    if (text === undefined) return { ok: false, status: response.status, error: `reply longer than ${MAX_REPLY_BYTES} bytes` };
    if (response.status === 403) {
      throw new TrezorError('NotSupported', `Trezor Bridge refused this origin (${headers['Origin'] ?? 'set by the browser'}): it only accepts trezor.io and localhost origins`);
    }
    if (response.ok) return { ok: true, text };
    let error = `HTTP ${response.status}`;
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') error = parsed.error;
    } catch {
      if (text) error = text;
    }
    return { ok: false, status: response.status, error };
  }

  async function enumerateRaw(signal?: AbortSignal): Promise<BridgeDevice[]> {
    const reply = await post('/enumerate', undefined, signal);
    if (!reply.ok) throw bridgeError(reply.error).error;
    let list: unknown;
    try {
      list = JSON.parse(reply.text);
    } catch (error) {
      throw new TrezorError('ProtocolError', 'Trezor Bridge sent a malformed /enumerate reply', { cause: error });
    }
    if (!Array.isArray(list)) throw new TrezorError('ProtocolError', 'Trezor Bridge sent a malformed /enumerate reply');
    const devices = list.filter((d): d is BridgeDevice => typeof d === 'object' && d !== null && typeof (d as BridgeDevice).path === 'string');
    sessions.clear();
    for (const d of devices) sessions.set(d.path, d.session ?? null);
    return devices;
  }

  async function acquire(path: string, previous: string | null, signal?: AbortSignal): Promise<Reply> {
    return post(`/acquire/${encodeURIComponent(path)}/${previous === null ? 'null' : encodeURIComponent(previous)}`, undefined, signal);
  }

  return {
    name: 'bridge',
    async enumerate(signal) {
      return (await enumerateRaw(signal)).map((d) => {
        const descriptor: DeviceDescriptor = { path: d.path };
        if (typeof d.vendor === 'number') descriptor.vendorId = d.vendor;
        if (typeof d.product === 'number') {
          descriptor.productId = d.product;
          if (d.product === 0x53c0) descriptor.bootloader = true;
        }
        return descriptor;
      });
    },
    async open() {
      throw new TrezorError('NotSupported', 'Trezor Bridge carries whole messages, not 64-byte reports: open it with openLink() (connect() does)');
    },
    async openLink(device, signal) {
      let reply = await acquire(device.path, sessions.get(device.path) ?? null, signal);
      if (!reply.ok && /wrong previous session/i.test(reply.error)) {
        // Someone acquired or released it since we last looked: retry once with the fresh session.
        const fresh = (await enumerateRaw(signal)).find((d) => d.path === device.path);
        if (!fresh) throw new TrezorError('DeviceDisconnected', `Trezor Bridge no longer lists device ${device.path}`);
        reply = await acquire(device.path, fresh.session ?? null, signal);
      }
      if (!reply.ok) throw bridgeError(reply.error).error;
      let session: unknown;
      try {
        session = (JSON.parse(reply.text) as { session?: unknown }).session;
      } catch {
        // handled below
      }
      if (typeof session !== 'string') throw new TrezorError('ProtocolError', 'Trezor Bridge sent a malformed /acquire reply');
      sessions.set(device.path, session);
      return openSession(post, session, () => {
        if (sessions.get(device.path) === session) sessions.set(device.path, null);
      });
    },
  };
}

type Post = (path: string, body: string | undefined, signal?: AbortSignal) => Promise<Reply>;

function openSession(post: Post, session: string, onReleased: () => void): MessageLink {
  // Replies, plus one-shot errors: a failed call rejects one read, not all later ones.
  const queue = new ReportQueue<WireMessage>();
  const listeners = new Set<() => void>();
  const stopCalls = new AbortController(); // cancels a pending /call on close
  const sessionPath = encodeURIComponent(session);
  let failure: unknown;
  let callInFlight = false;
  let closing: Promise<void> | undefined;

  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    failure = error;
    queue.fail(error);
  };

  const lost = (error: TrezorError) => {
    if (failure !== undefined) return;
    fail(error);
    if (error.code === 'DeviceDisconnected') notifyAll(listeners);
  };

  const startCall = (body: string) => {
    callInFlight = true;
    post(`/call/${sessionPath}`, body, stopCalls.signal).then(
      (reply) => {
        callInFlight = false;
        if (!reply.ok) {
          const { error, fatal } = bridgeError(reply.error);
          if (fatal) lost(error);
          else queue.pushError(error);
          return;
        }
        let message;
        try {
          message = decodeBridge(reply.text);
        } catch (error) {
          queue.pushError(error);
          return;
        }
        queue.push(message);
      },
      (error: unknown) => {
        callInFlight = false;
        if (closing) return;
        lost(new TrezorError('DeviceDisconnected', 'Lost contact with Trezor Bridge', { cause: error }));
      },
    );
  };

  return {
    protocol: 'bridge',

    read: (signal) => queue.shift(signal),

    async write(message, signal) {
      if (failure !== undefined) throw failure;
      if (signal?.aborted) throw abortReason(signal);
      const body = encodeBridge(message.type, message.payload);
      if (!callInFlight) {
        // Resolves at once: the reply comes back through read().
        startCall(body);
        return;
      }
      let reply: Reply;
      try {
        reply = await post(`/post/${sessionPath}`, body, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        const gone = new TrezorError('DeviceDisconnected', 'Lost contact with Trezor Bridge', { cause: error });
        lost(gone);
        throw gone;
      }
      if (!reply.ok) {
        const { error, fatal } = bridgeError(reply.error);
        if (fatal) lost(error);
        throw error;
      }
    },

    close(signal) {
      closing ??= (async () => {
        fail(disconnected('The connection was closed'));
        stopCalls.abort();
        await post(`/release/${sessionPath}`, undefined).catch(() => undefined);
        onReleased();
      })();
      return withSignal(closing, signal);
    },

    onDisconnect(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
