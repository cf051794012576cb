/**
 * The virtual device's UDP face (Node only): the same interface the official emulators
 * offer, so trezorlib / trezorctl, Trezor Suite's UDP transport and our own udp() transport
 * can talk to it. 127.0.0.1 only. One datagram carries one 64-byte report; the wire listens on
 * `port`, the debug link on `port + 1`; an 8-byte `PINGPING` is answered with `PONGPONG` and
 * moves the reply address to its sender, and answers go to whoever sent the last datagram
 * (legacy/emulator/udp.c). Loaded with a dynamic import from VirtualTrezor.listenUdp(), so
 * browser bundles never see node:dgram.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { DeviceRuntime } from './device.js';

const HOST = '127.0.0.1';

const PING = /* @__PURE__ */ new TextEncoder().encode('PINGPING');

function isPing(datagram: Uint8Array): boolean {
  return datagram.length === 8 && datagram.every((byte, i) => byte === PING[i]);
}

function bind(socket: Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, HOST, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** Serve `device` on 127.0.0.1:port (wire) and port + 1 (debug link). Port 0 picks a free pair. */
export async function serveUdp(device: DeviceRuntime, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const closeAll = () =>
    Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
  for (let attempt = 0; ; attempt++) {
    const wire = createSocket('udp4');
    const debug = createSocket('udp4');
    try {
      await bind(wire, port);
      const wirePort = wire.address().port;
      await bind(debug, wirePort + 1);
      sockets.push(wire, debug);
      break;
    } catch (error) {
      wire.close();
      debug.close();
      // With port 0 the OS picks the wire port; its neighbour may be taken: try another pair.
      if (port !== 0 || attempt >= 20) throw error;
    }
  }
  const [wireSocket, debugSocket] = sockets as [Socket, Socket];
  serve(wireSocket, (out) => device.attachWire(out));
  serve(debugSocket, (out) => device.attachDebug(out));
  return { port: wireSocket.address().port, close: closeAll };
}

function serve(socket: Socket, attach: (out: (report: Uint8Array) => void) => { feed: (report: Uint8Array) => void }): void {
  let peer: RemoteInfo | undefined;
  const link = attach((report) => {
    if (peer) socket.send(report, peer.port, peer.address);
  });
  socket.on('message', (datagram: Uint8Array, remote: RemoteInfo) => {
    peer = remote;
    if (isPing(datagram)) {
      socket.send('PONGPONG', remote.port, remote.address);
      return;
    }
    // A datagram arrives in a Buffer of its own: a 64-byte one is the report as it is.
    if (datagram.length === 64) {
      link.feed(datagram);
      return;
    }
    const report = new Uint8Array(64);
    report.set(datagram.subarray(0, 64));
    link.feed(report);
  });
  socket.on('error', () => undefined);
}
