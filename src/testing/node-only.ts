/**
 * Loading the Node-only halves of this package from code that also runs in browsers.
 *
 * A bundler follows every `import()` whose argument it can read, even one that only a Node
 * program ever reaches: Vite then warns that `node:dgram` was "externalized for browser
 * compatibility", webpack 5 fails without polyfills. So the two places of trezor-direct/testing
 * that need Node — VirtualTrezor.listenUdp() and DebugLink.connect() — load their modules
 * through the specifiers below: held in constants and marked for Vite and webpack to leave
 * alone, they keep the browser graph of the testing entry free of Node built-ins (test/
 * exports.test.ts walks it). In Node the import resolves next to this file: dist/testing/ in
 * the package, src/testing/ under tsx and vitest.
 */
import { TrezorError } from '../errors.js';

/** trezor-direct/testing/node, from this directory. */
const TESTING_NODE = './node.js';
/** trezor-direct/node (the udp() transport), from this directory. */
const NODE_TRANSPORTS = '../node.js';

async function importNodeOnly<T>(specifier: string, what: string, entry: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
  } catch (cause) {
    throw new TrezorError(
      'NotSupported',
      `${what} runs in Node only and could not load ${entry} (in a browser there is no UDP; in a Node program bundled into one file, import ${entry} yourself)`,
      { cause },
    );
  }
}

/**
 * The Node-only testing entry (VirtualTrezor's UDP server).
 * @example const { serveUdp } = await loadTestingNode('VirtualTrezor.listenUdp()')
 */
export function loadTestingNode(what: string): Promise<typeof import('./node.js')> {
  return importNodeOnly(TESTING_NODE, what, 'trezor-direct/testing/node');
}

/**
 * The Node transports entry (udp()).
 * @example const { udp } = await loadNodeTransports('DebugLink.connect()')
 */
export function loadNodeTransports(what: string): Promise<typeof import('../node.js')> {
  return importNodeOnly(NODE_TRANSPORTS, what, 'trezor-direct/node');
}
