// The Bitcoin-family coins on the host, against public vectors only:
// - CashAddr: the spec's own test vectors (bitcoincash.org spec/cashaddr.md: the legacy ↔
//   CashAddr translation table and the "larger test vectors"), and what must be refused;
// - addresses of each coin constant from the firmware's device tests (btc-complete.json);
// - signature digests: the signatures inside the serialised transactions the firmware's tests
//   assert verify under our digest (BIP-143 with SIGHASH_FORKID for Bitcoin Cash, ZIP-243 for
//   Zcash v4, ZIP-244 for Zcash v5) and not under the plain one, and the ZIP-244 txid of each
//   v5 transaction is the one the test says the network accepted;
// - ZIP-317 fees and createZcashTransaction's checks.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hex } from '@scure/base';
import { RawTx } from '@scure/btc-signer';
import { RawPSBTV0 } from '@scure/btc-signer/psbt.js';
import { describe, expect, it } from 'vitest';
import { addressScript, keyScript, scriptAddress } from '../src/bitcoin/address.js';
import { cashaddrDecode, cashaddrEncode } from '../src/bitcoin/cashaddr.js';
import { BCASH, BCASH_TESTNET, BGOLD, BGOLD_TESTNET, DASH, DASH_TESTNET, DOGECOIN, ZCASH, ZCASH_TESTNET } from '../src/bitcoin/coins-family.js';
import { COINS, foreignCoinPath, getCoin } from '../src/bitcoin/coins.js';
import { createPsbt } from '../src/bitcoin/createPsbt.js';
import { signPsbt } from '../src/bitcoin/signPsbt.js';
import { connect } from '../src/session/connect.js';
import { VirtualTrezor } from '../src/testing/virtual/device.js';
import { PREV_TX_KEY, parsePrevTx } from '../src/bitcoin/prevtx.js';
import { Sighasher, forkIdHashType, sha256d } from '../src/bitcoin/sighash.js';
import {
  createZcashTransaction,
  parseZcashTx,
  serializeZcash,
  zip243SignatureDigest,
  zip244SignatureDigest,
  zip244Txid,
  zip317Fee,
  type ZcashDigestTx,
} from '../src/bitcoin/zcash.js';
import { isTrezorError } from '../src/errors.js';
import { parsePath } from '../src/path.js';
import { DEVICE_COINS } from '../src/testing/virtual/coins.js';
import { accountKey, publicKeyAt } from './support/bitcoin-wallet.js';
import { serializePrevTx } from './support/coin-vectors.js';
import { fixturePath } from './support/fixtures.js';
import { readFileSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const btcComplete: any = JSON.parse(readFileSync(fixturePath('vectors/btc-complete.json'), 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const zcashV5: any = JSON.parse(readFileSync(fixturePath('vectors/zcash-v5.json'), 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const vector = (id: string): any => {
  const found = btcComplete.vectors.find((v: { id: string }) => v.id === id);
  if (!found) throw new Error(`btc-complete.json has no ${id}`);
  return found;
};

function invalid(f: () => unknown, field: string): void {
  try {
    f();
  } catch (e) {
    expect(isTrezorError(e) && e.code === 'InvalidParameters' && e.field === field, String(e)).toBe(true);
    return;
  }
  throw new Error('expected InvalidParameters');
}

describe('CashAddr (spec/cashaddr.md test vectors)', () => {
  // "Examples of address translation": the same hash in legacy base58 and in CashAddr.
  const translations: [string, string][] = [
    ['1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu', 'bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a'],
    ['1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR', 'bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy'],
    ['16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb', 'bitcoincash:qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r'],
    ['3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC', 'bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq'],
    ['3LDsS579y7sruadqu11beEJoTjdFiFCdX4', 'bitcoincash:pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e'],
    ['31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw', 'bitcoincash:pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37'],
  ];
  for (const [legacy, cash] of translations) {
    it(`${legacy} ⇄ ${cash}`, () => {
      const script = addressScript(COINS.Bitcoin, legacy)!;
      expect(script).toBeDefined();
      expect(scriptAddress(BCASH, script)).toBe(cash);
      expect(hex.encode(addressScript(BCASH, cash)!)).toBe(hex.encode(script));
      // The firmware reads legacy addresses of Bitcoin Cash too; the prefix may be left off.
      expect(hex.encode(addressScript(BCASH, legacy)!)).toBe(hex.encode(script));
      expect(hex.encode(addressScript(BCASH, cash.slice('bitcoincash:'.length))!)).toBe(hex.encode(script));
      expect(hex.encode(addressScript(BCASH, cash.toUpperCase())!)).toBe(hex.encode(script));
    });
  }

  // "Larger test vectors": every hash size, types 0 and 1, three prefixes.
  const larger: [string, number, string, string][] = [
    ['bitcoincash', 0, 'bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2', 'F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9'],
    ['bchtest', 1, 'bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t', 'F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9'],
    ['pref', 1, 'pref:pr6m7j9njldwwzlg9v7v53unlr4jkmx6ey65nvtks5', 'F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9'],
    ['bitcoincash', 0, 'bitcoincash:q9adhakpwzztepkpwp5z0dq62m6u5v5xtyj7j3h2ws4mr9g0', '7ADBF6C17084BC86C1706827B41A56F5CA32865925E946EA'],
    ['bchtest', 1, 'bchtest:pgagf7w02x4wnz3mkwnchut2vxphjzccwxgjvvjmlsxqwkcvs7md7wt', '3A84F9CF51AAE98A3BB3A78BF16A6183790B18719126325BFC0C075B'],
    ['pref', 1, 'pref:pvch8mmxy0rtfrlarg7ucrxxfzds5pamg73h7370aa87d80gyhqxq4k9m7qf9', '3173EF6623C6B48FFD1A3DCC0CC6489B0A07BB47A37F47CFEF4FE69DE825C060'],
    [
      'bitcoincash',
      0,
      'bitcoincash:qlg0x333p4238k0qrc5ej7rzfw5g8e4a4r6vvzyrcy8j3s5k0en7calvclhw46hudk5flttj6ydvjc0pv3nchp52amk97tqa5zygg96mtky5sv5w',
      'D0F346310D5513D9E01E299978624BA883E6BDA8F4C60883C10F28C2967E67EC77ECC7EEEAEAFC6DA89FAD72D11AC961E164678B868AEEEC5F2C1DA08884175B',
    ],
  ];
  for (const [prefix, type, address, data] of larger) {
    it(`${address.slice(0, 30)}… (${data.length / 2} bytes, type ${type})`, () => {
      const hash = hex.decode(data.toLowerCase());
      expect(cashaddrEncode(prefix, type, hash)).toBe(address);
      const decoded = cashaddrDecode(prefix, address)!;
      expect(decoded.type).toBe(type);
      expect(hex.encode(decoded.hash)).toBe(data.toLowerCase());
    });
  }

  it('refuses mixed case, another prefix, a changed character, a 24-byte hash as an output script', () => {
    const good = 'bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a';
    expect(cashaddrDecode('bitcoincash', good)).toBeDefined();
    expect(cashaddrDecode('bitcoincash', 'bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6A')).toBeUndefined();
    expect(cashaddrDecode('bchtest', good)).toBeUndefined();
    expect(addressScript(BCASH_TESTNET, good)).toBeUndefined();
    expect(cashaddrDecode('bitcoincash', good.replace('qpm2', 'qpm3'))).toBeUndefined();
    expect(addressScript(BCASH, 'bitcoincash:q9adhakpwzztepkpwp5z0dq62m6u5v5xtyj7j3h2ws4mr9g0')).toBeUndefined();
  });
});

describe('coin constants', () => {
  it('the addresses of the firmware tests are read and written back unchanged by their coin', () => {
    const cases: [typeof BCASH, string][] = [
      [BCASH, 'bitcoincash:qr23ajjfd9wd73l87j642puf8cad20lfmqdgwvpat4'],
      [BGOLD, 'GfDB1tvjfm3bukeoBTtfNqrJVFohS2kCTe'],
      [DASH, 'XpTc36DPAeWmaueNBA9JqCg2GC8XDLKSYe'],
      [DASH, 'XrEFMNkxeipYHgEQKiJuqch8XzwrtfH5fm'],
      [ZCASH_TESTNET, 'tmJ1xYxP8XNTtCoDgvdmQPSrxh5qZJgy65Z'],
      [ZCASH_TESTNET, 't2PQpjcfpYHK1bcXZcSaTbg5cQRV93B2NRY'],
    ];
    for (const [coin, address] of cases) {
      const script = addressScript(coin, address);
      expect(script, `${coin.name} ${address}`).toBeDefined();
      expect(scriptAddress(coin, script!)).toBe(address);
      // Not an address of Bitcoin (other version bytes), nor of another family coin.
      expect(addressScript(COINS.Bitcoin, address)).toBeUndefined();
    }
    expect(addressScript(ZCASH, 'tmJ1xYxP8XNTtCoDgvdmQPSrxh5qZJgy65Z')).toBeUndefined();
    expect(addressScript(DOGECOIN, 'XpTc36DPAeWmaueNBA9JqCg2GC8XDLKSYe')).toBeUndefined();
  });

  it('each address the firmware derives for the SLIP-14 seed comes out of the coin constant (Bcash, Zcash Testnet)', () => {
    // test_getaddress.py::test_bch#call0, and the comment naming m/44h/1h/0h/0/0 in test_zcash.py.
    expect(scriptAddress(BCASH, keyScript('p2pkh', publicKeyAt("m/44'/145'/0'/0/0")).script)).toBe(vector('test_getaddress.py::test_bch#call0').expected.address);
    expect(scriptAddress(ZCASH_TESTNET, keyScript('p2pkh', publicKeyAt("m/44'/1'/0'/0/0")).script)).toBe('tmQoJ3PTXgQLaRRZZYT6xk8XtjRbr2kCqwu');
  });

  // Each side transcribed apart from common/defs/bitcoin/*.json (the virtual one at legacy/v1.14.1).
  for (const coin of [BCASH, BGOLD, DASH, DOGECOIN, BCASH_TESTNET, BGOLD_TESTNET, DASH_TESTNET, ZCASH, ZCASH_TESTNET]) {
    it(`${coin.name} agrees with the virtual device table`, () => {
      const device = DEVICE_COINS[coin.name]!;
      expect([coin.name, coin.shortcut, coin.slip44, coin.pubKeyHash, coin.scriptHash, coin.bech32 ?? null, coin.segwit, coin.forkId ?? null, coin.messageHeader, coin.maxFeePerKb]).toEqual([
        device.coin_name,
        device.coin_shortcut,
        device.slip44,
        device.address_type,
        device.address_type_p2sh,
        device.bech32_prefix,
        device.segwit,
        device.fork_id,
        device.signed_message_header,
        device.maxfee_kb,
      ]);
      expect(coin.xpubVersion).toEqual({
        p2pkh: device.xpub_magic,
        ...(device.xpub_magic_segwit_p2sh !== null ? { 'p2sh-p2wpkh': device.xpub_magic_segwit_p2sh } : {}),
        ...(device.xpub_magic_segwit_native !== null ? { p2wpkh: device.xpub_magic_segwit_native } : {}),
      });
    });
  }

  it('getCoin takes a constant as it is and still refuses an unknown name or shape', () => {
    expect(getCoin(BGOLD)).toBe(BGOLD);
    invalid(() => getCoin('Bcash'), 'coin');
    invalid(() => getCoin({ name: 'Bcash' } as never), 'coin');
  });

  it('forks may spend from Bitcoin paths (m/44h/0h), their testnets and other coins may not', () => {
    expect(foreignCoinPath(parsePath("m/44'/0'/0'/0/0"), BCASH)).toBeUndefined();
    expect(foreignCoinPath(parsePath("m/49'/0'/0'/0/0"), BGOLD)).toBeUndefined();
    expect(foreignCoinPath(parsePath("m/44'/0'/0'/0/0"), BCASH_TESTNET)).toMatch(/coin type 0'/);
    expect(foreignCoinPath(parsePath("m/44'/0'/0'/0/0"), DASH)).toMatch(/coin type 0'/);
    expect(foreignCoinPath(parsePath("m/44'/5'/0'/0/0"), DASH)).toBeUndefined();
  });
});

describe('Dash DIP-2 previous transactions', () => {
  const v = vector('test_dash.py::test_send_dash_dip2_input');
  const raw = serializePrevTx(v.prev_txs[v.inputs[0].prev_hash]);
  const params = {
    coin: DASH,
    account: accountKey("m/44'/5'/0'", DASH),
    utxos: [{ txid: v.inputs[0].prev_hash, vout: 1, amount: BigInt(v.inputs[0].amount), path: "m/44'/5'/0'/0/0", prevTx: raw }],
    outputs: [{ address: 'XrEFMNkxeipYHgEQKiJuqch8XzwrtfH5fm', amount: 95_000_000n }],
    feeRate: 1,
    change: { path: "m/44'/5'/0'/1/0" },
    version: 1,
  };

  it('the special transaction hashes to its txid and splits with its payload as extra data', () => {
    expect(hex.encode(sha256d(raw).reverse())).toBe(v.inputs[0].prev_hash);
    const parsed = parsePrevTx(raw, true);
    expect(parsed.meta.version).toBe(v.prev_txs[v.inputs[0].prev_hash].version);
    expect(hex.encode(parsed.extra)).toBe(v.prev_txs[v.inputs[0].prev_hash].extra_data);
    expect(parsed.meta.extra_data_len).toBe(39);
    invalid(() => parsePrevTx(raw, false), 'prevTx');
  });

  it('createPsbt puts it in the proprietary field (nonWitnessUtxo cannot hold it); a coin without extra data refuses it', () => {
    const psbt = RawPSBTV0.decode(createPsbt(params));
    const input = psbt.inputs[0]!;
    expect(input.nonWitnessUtxo).toBeUndefined();
    expect(input.proprietary?.map(([key, value]) => [hex.encode(key), hex.encode(value)])).toEqual([[hex.encode(PREV_TX_KEY), hex.encode(raw)]]);
    expect(hex.encode(PREV_TX_KEY)).toBe('0d' + hex.encode(new TextEncoder().encode('trezor-direct')) + '00');
    invalid(() => createPsbt({ ...params, utxos: [{ ...params.utxos[0]!, prevTx: Uint8Array.of(...raw.slice(0, -1), raw.at(-1)! ^ 1) }] }), 'utxos[0].prevTx');
    const dogeAddress = scriptAddress(DOGECOIN, keyScript('p2pkh', publicKeyAt("m/44'/3'/0'/0/1")).script)!;
    invalid(() => createPsbt({ ...params, coin: DOGECOIN, feeRate: 100, outputs: [{ address: dogeAddress, amount: 95_000_000n }] }), 'utxos[0].prevTx');
  });

  it('signPsbt refuses, before the device, a proprietary previous transaction that does not hash to the input txid', async () => {
    const psbt = RawPSBTV0.decode(createPsbt(params));
    const [key, value] = psbt.inputs[0]!.proprietary![0]!;
    const tampered = value.slice();
    tampered[tampered.length - 1] ^= 1;
    psbt.inputs[0]!.proprietary = [[key, tampered]];
    const virtual = new VirtualTrezor({ mnemonic: 'all all all all all all all all all all all all', autoConfirm: true });
    const trezor = await connect({ transport: virtual.transport() });
    try {
      await expect(signPsbt(trezor, RawPSBTV0.encode(psbt), { coin: DASH })).rejects.toMatchObject({ code: 'InvalidParameters', field: 'psbt.inputs[0].proprietary' });
      // And the untampered one signs (the virtual Trezor One streams the payload as extra data).
      const { txid } = await signPsbt(trezor, createPsbt(params), { coin: DASH });
      expect(txid).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await trezor.close();
      await virtual.close();
    }
  });
});

describe('SIGHASH_FORKID (Bitcoin Cash)', () => {
  it('the signature of test_send_bch_change verifies over the BIP-143 digest with hash type 0x41, not over the legacy digest', () => {
    const v = vector('test_bcash.py::test_send_bch_change');
    const raw = RawTx.decode(hex.decode(v.expected.serialized_tx));
    const input = raw.inputs[0]!;
    const prev = v.prev_txs[v.inputs[0].prev_hash];
    const prevScript = hex.decode(prev.bin_outputs[v.inputs[0].prev_index].script_pubkey);
    const scriptSig = input.finalScriptSig;
    const sigLength = scriptSig[0]!;
    const sig = scriptSig.subarray(1, 1 + sigLength);
    const publicKey = scriptSig.subarray(2 + sigLength);
    expect(sig.at(-1)).toBe(0x41);
    expect(forkIdHashType(BCASH.forkId)).toBe(0x41);
    expect(forkIdHashType(BGOLD.forkId)).toBe(0x4f41);
    const sighasher = new Sighasher({
      version: raw.version,
      lockTime: raw.lockTime,
      inputs: [{ txid: input.txid.slice().reverse(), index: input.index, sequence: input.sequence, amount: BigInt(v.inputs[0].amount), script: prevScript }],
      outputs: raw.outputs,
    });
    const der = sig.subarray(0, -1);
    const ok = (digest: Uint8Array) => secp256k1.verify(der, digest, publicKey, { prehash: false, format: 'der' });
    expect(ok(sighasher.bip143(0, prevScript, 0x41))).toBe(true);
    expect(ok(sighasher.bip143(0, prevScript))).toBe(false);
    expect(ok(sighasher.legacy(0, prevScript))).toBe(false);
  });
});

describe('Zcash', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function digestTxOf(raw: Uint8Array, amounts: bigint[], options: any): { tx: ZcashDigestTx; scriptSigs: Uint8Array[] } {
    const parsed = parseZcashTx(raw);
    const scriptSigs = parsed.inputs.map((i) => i.script_sig);
    const tx: ZcashDigestTx = {
      version: options.version,
      versionGroupId: options.version_group_id,
      branchId: options.branch_id,
      lockTime: parsed.meta.lock_time,
      expiry: parsed.meta.expiry ?? 0,
      inputs: parsed.inputs.map((input, i) => {
        const sig = input.script_sig;
        const key = sig.subarray(2 + sig[0]!);
        return { txid: input.prev_hash.slice().reverse(), index: input.prev_index, sequence: input.sequence, amount: amounts[i]!, script: keyScript('p2pkh', key).script };
      }),
      outputs: parsed.outputs.map((o) => ({ amount: o.amount, script: o.script_pubkey })),
    };
    return { tx, scriptSigs };
  }

  function verifies(scriptSig: Uint8Array, digest: Uint8Array): boolean {
    const der = scriptSig.subarray(1, scriptSig[0]!); // without the sighash byte
    const key = scriptSig.subarray(2 + scriptSig[0]!);
    return secp256k1.verify(der, digest, key, { prehash: false, format: 'der' });
  }

  for (const v of zcashV5.vectors) {
    it(`v5 ${v.id}: ZIP-244 txid is the network's, the signature verifies, the bytes round-trip`, () => {
      const raw = hex.decode(v.expected.serialized_tx);
      const { tx, scriptSigs } = digestTxOf(raw, v.inputs.map((i: { amount: string }) => BigInt(i.amount)), v.sign_tx_options);
      expect(zip244Txid(tx)).toBe(v.expected.network_txid);
      expect(parseZcashTx(raw).txid).toBe(v.expected.network_txid);
      expect(hex.encode(serializeZcash(tx, scriptSigs))).toBe(v.expected.serialized_tx);
      // The key is the one at the input's path.
      expect(hex.encode(tx.inputs[0]!.script)).toBe(hex.encode(keyScript('p2pkh', publicKeyAt(v.inputs[0].address_n)).script));
      expect(verifies(scriptSigs[0]!, zip244SignatureDigest(tx, 0))).toBe(true);
      expect(verifies(scriptSigs[0]!, zip244SignatureDigest({ ...tx, branchId: 0x76b809bb }, 0))).toBe(false);
    });
  }

  it('v4 test_one_one_fee_sapling: the signature verifies over the ZIP-243 digest; the previous transaction hashes to its txid', () => {
    const v = vector('test_zcash.py::test_one_one_fee_sapling');
    const raw = hex.decode(v.expected.serialized_tx);
    const { tx, scriptSigs } = digestTxOf(raw, [BigInt(v.inputs[0].amount)], v.sign_tx_options);
    expect(hex.encode(serializeZcash(tx, scriptSigs))).toBe(v.expected.serialized_tx);
    expect(parseZcashTx(raw).txid).toBe(v.verification.computed_txid);
    expect(verifies(scriptSigs[0]!, zip243SignatureDigest(tx, 0))).toBe(true);
    expect(verifies(scriptSigs[0]!, zip244SignatureDigest({ ...tx, version: 5 }, 0))).toBe(false);
    const [prevId, prevJson] = Object.entries(v.prev_txs)[0]!;
    const prev = parseZcashTx(serializePrevTx(prevJson));
    expect(prev.txid).toBe(prevId);
    expect(prev.meta.version_group_id).toBe(0x03c48270);
    expect(hex.encode(prev.extra)).toBe('00');
    expect(hex.encode(sha256d(serializePrevTx(prevJson)).reverse())).toBe(prevId);
  });

  it('ZIP-317 conventional fee: 5000 per logical action, at least two', () => {
    expect(zip317Fee(1, [34])).toBe(10000n);
    expect(zip317Fee(1, [34, 34])).toBe(10000n);
    expect(zip317Fee(3, [34])).toBe(15000n);
    expect(zip317Fee(1, [34, 34, 34, 34, 32])).toBe(25000n);
  });

  it('createZcashTransaction: largest UTXOs first, ZIP-317 fee, change with its script; refuses what the device would not sign', () => {
    const account = accountKey("m/44'/1'/0'", COINS.Testnet);
    const utxos = [
      { txid: '11'.repeat(32), vout: 0, amount: 50_000n, path: "m/44'/1'/0'/0/0" },
      { txid: '22'.repeat(32), vout: 1, amount: 400_000n, path: "m/44'/1'/0'/0/1" },
    ];
    const unsigned = createZcashTransaction({
      coin: ZCASH_TESTNET,
      account,
      utxos,
      outputs: [{ address: 'tmJ1xYxP8XNTtCoDgvdmQPSrxh5qZJgy65Z', amount: 100_000n }],
      change: { path: "m/44'/1'/0'/1/0" },
      branchId: 0xc2d6d0b4,
    });
    expect(unsigned.version).toBe(5);
    expect(unsigned.inputs.map((i) => i.txid)).toEqual(['22'.repeat(32)]);
    expect(unsigned.inputs[0]!.scriptPubKey).toBe(hex.encode(keyScript('p2pkh', publicKeyAt("m/44'/1'/0'/0/1")).script));
    expect(unsigned.outputs[1]).toEqual({ path: parsePath("m/44'/1'/0'/1/0"), amount: 400_000n - 100_000n - 10_000n, scriptPubKey: hex.encode(keyScript('p2pkh', publicKeyAt("m/44'/1'/0'/1/0")).script) });
    const base = { coin: ZCASH_TESTNET, account, utxos, change: { path: "m/44'/1'/0'/1/0" }, branchId: 0xc2d6d0b4 };
    invalid(() => createZcashTransaction({ ...base, outputs: [{ address: 'tmJ1xYxP8XNTtCoDgvdmQPSrxh5qZJgy65Z', amount: 545n }] }), 'outputs[0].amount');
    invalid(() => createZcashTransaction({ ...base, outputs: [{ address: 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk', amount: 1000n }] }), 'outputs[0].address');
    invalid(() => createZcashTransaction({ ...base, outputs: [{ address: 'tmJ1xYxP8XNTtCoDgvdmQPSrxh5qZJgy65Z', amount: 445_000n }] }), 'utxos');
    invalid(() => createZcashTransaction({ ...base, coin: BCASH, outputs: [{ address: 'tmJ1xYxP8XNTtCoDgvdmQPSrxh5qZJgy65Z', amount: 1000n }] }), 'coin');
    // Version 4 needs the previous transactions (the device streams them).
    invalid(() => createZcashTransaction({ ...base, version: 4, outputs: [{ address: 'tmJ1xYxP8XNTtCoDgvdmQPSrxh5qZJgy65Z', amount: 1000n }] }), 'tx.inputs[0].prevTx');
  });
});
