/**
 * EIP-6963 (Multi Injected Provider Discovery): a page announces the Trezor provider so wallet
 * pickers (wagmi's injected discovery, RainbowKit, Web3Modal, mipd) list it beside extension
 * wallets. Per the EIP: the announcement is a `eip6963:announceProvider` CustomEvent on
 * `window` whose frozen `detail` is `{ info, provider }`; it is sent at once and again on every
 * `eip6963:requestProvider` event. `info` holds a UUIDv4 unique to the page session, a name,
 * an icon as a data URI (a square image of at least 96×96) and a reverse-DNS id.
 * No ethers and no viem: any EIP-1193 provider is announced (`createEip1193Provider` or
 * `createTrezorProvider`).
 */
import { invalidParameter } from '../errors.js';

/** EIP6963ProviderInfo. */
export interface Eip6963ProviderInfo {
  /** UUIDv4, unique per page session. */
  readonly uuid: string;
  readonly name: string;
  /** RFC 2397 data URI of a square image, at least 96×96 px. */
  readonly icon: string;
  /** Reverse-DNS identifier of the wallet, e.g. "io.github.trezor-direct". */
  readonly rdns: string;
}

/** Anything with an EIP-1193 request(). */
export interface AnnouncedProvider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

export interface AnnounceTrezorProviderParameters {
  provider: AnnouncedProvider;
  /** Overrides of the default name, icon and rdns (and uuid, which is made fresh otherwise). */
  info?: Partial<Eip6963ProviderInfo>;
  /** Where the events go (default: `window`). */
  target?: EventTarget;
}

/**
 * The icon announced by default: a padlock on a dark rounded square, 96×96, drawn for this
 * library (an app that wants the vendor's artwork passes its own `icon`).
 */
export const TREZOR_DIRECT_ICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">' +
      '<rect width="96" height="96" rx="20" fill="#1b1b1b"/>' +
      '<path d="M32 44V34a16 16 0 0 1 32 0v10" fill="none" stroke="#fff" stroke-width="7"/>' +
      '<rect x="24" y="44" width="48" height="34" rx="6" fill="#fff"/>' +
      '<circle cx="48" cy="58" r="5" fill="#1b1b1b"/><rect x="45.5" y="60" width="5" height="10" fill="#1b1b1b"/>' +
      '</svg>',
  );

/** Name, icon and rdns announced unless the app gives its own. */
export const TREZOR_PROVIDER_INFO = { name: 'Trezor', icon: TREZOR_DIRECT_ICON, rdns: 'io.github.trezor-direct' } as const;

/**
 * Announce `provider` per EIP-6963, now and on every request; returns a function that stops
 * answering requests.
 * @example
 * const stop = announceTrezorProvider({ provider: createTrezorProvider({ accounts, rpc }) });
 */
export function announceTrezorProvider(parameters: AnnounceTrezorProviderParameters): () => void {
  const { provider } = parameters ?? {};
  if (!provider || typeof provider.request !== 'function') throw invalidParameter('provider', 'expected an EIP-1193 provider with request()');
  const target = parameters.target ?? (globalThis as { window?: EventTarget }).window;
  if (!target || typeof target.addEventListener !== 'function') throw invalidParameter('target', 'no window to announce on: give an EventTarget');
  const info: Eip6963ProviderInfo = Object.freeze({
    uuid: parameters.info?.uuid ?? crypto.randomUUID(),
    name: parameters.info?.name ?? TREZOR_PROVIDER_INFO.name,
    icon: parameters.info?.icon ?? TREZOR_PROVIDER_INFO.icon,
    rdns: parameters.info?.rdns ?? TREZOR_PROVIDER_INFO.rdns,
  });
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(info.uuid)) throw invalidParameter('info.uuid', 'expected a UUIDv4');
  if (typeof info.name !== 'string' || !info.name.trim()) throw invalidParameter('info.name', 'expected a non-empty name');
  if (typeof info.icon !== 'string' || !/^data:image\/(svg\+xml|png|jpeg|webp|gif)[;,]/.test(info.icon)) throw invalidParameter('info.icon', 'expected a data URI of an image (RFC 2397)');
  if (typeof info.rdns !== 'string' || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(info.rdns)) throw invalidParameter('info.rdns', 'expected a reverse-DNS name such as "com.example.wallet"');

  const detail = Object.freeze({ info, provider });
  const announce = () => target.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail }));
  target.addEventListener('eip6963:requestProvider', announce);
  announce();
  return () => target.removeEventListener('eip6963:requestProvider', announce);
}
