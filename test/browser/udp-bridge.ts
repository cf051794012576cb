/**
 * The Node end shared by the fake `navigator.usb` (fake-usb.ts) and the fake `navigator.hid`
 * (fake-hid.ts): two functions exposed to the page (page.exposeFunction) that move 64-byte
 * reports between the page and a device listening on UDP in the test process — the wire format
 * of the Trezor emulator, so the same bridge would drive the official emulator.
 *
 *   out(hex): one report page → UDP device
 *   in():     the next report UDP device → page, or null after 250 ms without one (ask again)
 *
 * The fake installed in the page (an init script, run before the page's own scripts) decides
 * how those reports reach the page's code: as transferIn results (WebUSB) or as `inputreport`
 * events (WebHID).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Page } from 'playwright-core';

/** Names under which the two functions are exposed on `window`. */
export interface BridgeNames {
  out: string;
  in: string;
}

/** The Node end: forwards the page's reports to a UDP device and back. */
export interface UdpBridge {
  /** Switch to another device (e.g. the PIN-protected one); drops queued reports. */
  target(port: number): void;
  close(): Promise<void>;
}

export interface BridgeOptions {
  page: Page;
  /** UDP port of the device (its debug link is on port + 1). */
  port: number;
  host?: string;
  names: BridgeNames;
  /** Installs the fake in every document the page loads (serialized: must be self-contained). */
  install: (names: BridgeNames) => void;
}

/** Expose `names.out` / `names.in` on `page`, then install the fake for every document. */
export async function bridgePageToUdp({ page, port, host = '127.0.0.1', names, install }: BridgeOptions): Promise<UdpBridge> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  let targetPort = port;
  const queue: Buffer[] = [];
  // Only one in() call is ever in flight per page (the fake pumps one at a time); a new call
  // means the previous caller is gone (page reloaded, device reopened), so it gets nothing.
  let waiter: ((report: string | null) => void) | undefined;

  socket.on('message', (message, remote) => {
    if (remote.port !== targetPort || message.length !== 64) return;
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(message.toString('hex'));
    } else queue.push(message);
  });

  await page.exposeFunction(names.out, (reportHex: string) => {
    return new Promise<void>((resolve, reject) => socket.send(Buffer.from(reportHex, 'hex'), targetPort, host, (e) => (e ? reject(e) : resolve())));
  });
  await page.exposeFunction(names.in, () => {
    const queued = queue.shift();
    if (queued) return queued.toString('hex');
    waiter?.(null);
    return new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => {
        if (waiter === done) waiter = undefined;
        resolve(null); // the page asks again: keeps a dead page from holding a report
      }, 250);
      const done = (report: string | null) => {
        clearTimeout(timer);
        resolve(report);
      };
      waiter = done;
    });
  });
  await page.addInitScript(install, names);

  return {
    target(next) {
      targetPort = next;
      queue.length = 0;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
