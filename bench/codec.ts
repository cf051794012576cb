/**
 * Host cost of the message codec and the v1 framing on the messages of the common calls
 * (`npm run bench`, or `npx tsx bench/codec.ts`): what one getAddress, one Bitcoin TxAck and
 * one Ethereum signing request cost the host before and after the transport, in µs per
 * message (median of rounds). Figures, not a pass/fail test.
 */
import { pathToFileURL } from 'node:url';
import { decodeMessage, encodeMessage, type MessageName } from '../src/messages/index.js';
import { completedMessage, decodeReport, encodeReports, type DecodeState } from '../src/protocol/v1.js';

const HARDENED = 0x80000000;

/** Messages as the library sends them, and answers as a device sends them (encoded here once). */
function cases(): { name: string; run: () => unknown }[] {
  const getAddress = { address_n: [84 + HARDENED, HARDENED, HARDENED, 0, 3], coin_name: 'Bitcoin', show_display: false, script_type: 'SPENDWITNESS' } as const;
  const address = encodeMessage('Address', { address: 'bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk' });
  const txAckInput = {
    tx: {
      input: {
        address_n: [84 + HARDENED, 1 + HARDENED, HARDENED, 0, 0],
        prev_hash: new Uint8Array(32).fill(7),
        prev_index: 0,
        amount: 100_000n,
        script_type: 'SPENDWITNESS',
        sequence: 0xfffffffd,
      },
    },
  } as const;
  const txRequest = encodeMessage('TxRequest', {
    request_type: 'TXINPUT',
    details: { request_index: 0 },
    serialized: { signature_index: 0, signature: new Uint8Array(71).fill(3), serialized_tx: new Uint8Array(80).fill(9) },
  });
  const ethSign = {
    address_n: [44 + HARDENED, 60 + HARDENED, HARDENED, 0, 0],
    nonce: Uint8Array.of(3),
    max_gas_fee: Uint8Array.of(4, 0xa8, 0x17, 0xc8, 0),
    max_priority_fee: Uint8Array.of(0x3b, 0x9a, 0xca, 0),
    gas_limit: Uint8Array.of(3, 0x0d, 0x40),
    to: '0x1d1c328764a41bda0492b66baa30c4a339ff85ef',
    value: Uint8Array.of(0x23, 0x86, 0xf2, 0x6f, 0xc1, 0, 0),
    data_initial_chunk: new Uint8Array(1024).fill(0x5a),
    data_length: 1024,
    chain_id: 1,
  };
  const roundTrip = <N extends MessageName>(name: N, message: Parameters<typeof encodeMessage<N>>[1]) => {
    const { type, payload } = encodeMessage(name, message);
    return encodeReports(type, payload);
  };
  const receive = ({ type, payload }: { type: number; payload: Uint8Array }) => {
    const reports = encodeReports(type, payload);
    return () => {
      let state: DecodeState | undefined;
      for (const r of reports) state = decodeReport(state, r);
      const done = completedMessage(state)!;
      return decodeMessage(done.type, done.payload);
    };
  };
  return [
    { name: 'GetAddress → reports', run: () => roundTrip('GetAddress', getAddress) },
    { name: 'reports → Address', run: receive(address) },
    { name: 'TxAckInput → reports', run: () => roundTrip('TxAckInput', txAckInput) },
    { name: 'reports → TxRequest (signature)', run: receive(txRequest) },
    { name: 'EthereumSignTxEIP1559 1 kB → reports', run: () => roundTrip('EthereumSignTxEIP1559', ethSign) },
  ];
}

export function run(rounds = 15, perRound = 20_000): void {
  console.log('\ncodec + v1 framing, µs per message (median of rounds)');
  for (const { name, run: once } of cases()) {
    for (let i = 0; i < 2_000; i++) once(); // warm-up
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const n = name.includes('1 kB') ? perRound / 10 : perRound;
      const start = performance.now();
      for (let i = 0; i < n; i++) once();
      times.push(((performance.now() - start) * 1000) / n);
    }
    times.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(40)} ${times[times.length >> 1]!.toFixed(3).padStart(8)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) run();
