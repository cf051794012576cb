// announceTrezorProvider against the EIP-6963 rules (eips.ethereum.org/EIPS/eip-6963): the
// announcement is a CustomEvent 'eip6963:announceProvider' with a frozen { info, provider },
// sent at once and again on each 'eip6963:requestProvider'; info is { uuid (v4), name, icon
// (data URI), rdns }. A plain EventTarget stands in for window here; the Chromium test
// (test/browser/wagmi-page.test.ts) has wagmi's own discovery find it on a real page.
import { describe, expect, it } from 'vitest';
import { isTrezorError } from '../src/errors.js';
import { announceTrezorProvider, TREZOR_PROVIDER_INFO } from '../src/ethereum/index.js';

const provider = { request: async () => null };

function collect(target: EventTarget) {
  const seen: CustomEvent[] = [];
  target.addEventListener('eip6963:announceProvider', (event) => seen.push(event as CustomEvent));
  return seen;
}

describe('announceTrezorProvider (EIP-6963)', () => {
  it('announces at once and on every requestProvider, with a frozen detail, until stopped', () => {
    const target = new EventTarget();
    const seen = collect(target);
    const stop = announceTrezorProvider({ provider, target });
    expect(seen).toHaveLength(1);
    const { detail } = seen[0]!;
    expect(Object.isFrozen(detail)).toBe(true);
    expect(Object.isFrozen(detail.info)).toBe(true);
    expect(detail.provider).toBe(provider);
    expect(detail.info.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(detail.info).toMatchObject({ name: TREZOR_PROVIDER_INFO.name, rdns: 'io.github.trezor-direct' });
    expect(detail.info.icon).toMatch(/^data:image\/svg\+xml,/);
    // The default icon is a square of at least 96 px (EIP-6963 "Imagery").
    const svg = decodeURIComponent(detail.info.icon.slice('data:image/svg+xml,'.length));
    expect(svg).toMatch(/width="96" height="96"/);

    target.dispatchEvent(new Event('eip6963:requestProvider'));
    target.dispatchEvent(new Event('eip6963:requestProvider'));
    expect(seen).toHaveLength(3);
    expect(seen[2]!.detail).toBe(detail); // the same announcement, the same uuid
    stop();
    target.dispatchEvent(new Event('eip6963:requestProvider'));
    expect(seen).toHaveLength(3);
  });

  it('keeps the app own info, and a fresh uuid per announcer', () => {
    const target = new EventTarget();
    const seen = collect(target);
    announceTrezorProvider({ provider, target, info: { name: 'My dapp Trezor', rdns: 'com.example.dapp', icon: 'data:image/png;base64,AAAA' } });
    announceTrezorProvider({ provider, target });
    expect(seen[0]!.detail.info).toMatchObject({ name: 'My dapp Trezor', rdns: 'com.example.dapp', icon: 'data:image/png;base64,AAAA' });
    expect(seen[0]!.detail.info.uuid).not.toBe(seen[1]!.detail.info.uuid);
  });

  it('refuses bad info and a provider without request()', () => {
    const target = new EventTarget();
    const field = (f: () => unknown) => {
      try {
        f();
        return 'accepted';
      } catch (e) {
        return isTrezorError(e) ? `${e.code}:${e.field}` : String(e);
      }
    };
    expect(field(() => announceTrezorProvider({ provider: {} as never, target }))).toBe('InvalidParameters:provider');
    expect(field(() => announceTrezorProvider({ provider, target, info: { uuid: 'not-a-uuid' } }))).toBe('InvalidParameters:info.uuid');
    expect(field(() => announceTrezorProvider({ provider, target, info: { icon: 'https://example.com/icon.png' } }))).toBe('InvalidParameters:info.icon');
    expect(field(() => announceTrezorProvider({ provider, target, info: { rdns: 'trezor' } }))).toBe('InvalidParameters:info.rdns');
    expect(field(() => announceTrezorProvider({ provider, target, info: { name: ' ' } }))).toBe('InvalidParameters:info.name');
    expect(field(() => announceTrezorProvider({ provider }))).toBe('InvalidParameters:target');
  });
});
