#!/usr/bin/python3
"""trezorlib's cost of the same signing as `bench/bitcoin-speed.ts sign` (issue 14 reference).

usage: npx tsx bench/bitcoin-speed.ts peer-json N | /usr/bin/python3 bench/bitcoin-speed-peer.py [--port 21324]

Reads the transaction (inputs with their paths, outputs, previous transactions) as JSON on stdin,
signs it once with trezorlib's btc.sign_tx against a running, seeded emulator (buttons pressed
through the debug link) and prints wall and process CPU per input. trezorlib checks nothing the
device returns; the figure is the peer's floor, not a like-for-like feature comparison.
"""
import argparse
import json
import sys
import time

from trezorlib import btc, messages
from trezorlib.debuglink import TrezorTestContext
from trezorlib.transport.udp import UdpTransport


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=21324)
    args = ap.parse_args()
    data = json.load(sys.stdin)
    inputs = [
        messages.TxInputType(
            address_n=i["address_n"],
            prev_hash=bytes.fromhex(i["prev_hash"]),
            prev_index=i["prev_index"],
            amount=i["amount"],
            sequence=i["sequence"],
            script_type=messages.InputScriptType.SPENDWITNESS,
        )
        for i in data["inputs"]
    ]
    outputs = []
    for o in data["outputs"]:
        if "address_n" in o:
            outputs.append(messages.TxOutputType(address_n=o["address_n"], amount=o["amount"], script_type=messages.OutputScriptType.PAYTOWITNESS))
        else:
            outputs.append(messages.TxOutputType(address=o["address"], amount=o["amount"], script_type=messages.OutputScriptType.PAYTOADDRESS))
    prev = {}
    for txid, t in data["prev"].items():
        prev[bytes.fromhex(txid)] = messages.TransactionType(
            version=t["version"],
            lock_time=t["lock_time"],
            inputs=[messages.TxInputType(prev_hash=bytes.fromhex(i["prev_hash"]), prev_index=i["prev_index"], script_sig=bytes.fromhex(i["script_sig"]), sequence=i["sequence"]) for i in t["inputs"]],
            bin_outputs=[messages.TxOutputBinType(amount=o["amount"], script_pubkey=bytes.fromhex(o["script_pubkey"])) for o in t["bin_outputs"]],
        )
    ctx = TrezorTestContext(UdpTransport(f"127.0.0.1:{args.port}"), auto_interact=True, debug_transport=UdpTransport(f"127.0.0.1:{args.port + 1}"))
    try:
        session = ctx.get_session()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        _, tx = btc.sign_tx(session, data["coin"], inputs, outputs, prev_txes=prev, version=data["version"], lock_time=data["lock_time"])
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        n = len(inputs)
        print(f"trezorlib {n} inputs: wall {wall * 1000 / n:.2f} ms/input, process CPU {cpu * 1000 / n:.2f} ms/input, tx {len(tx)} bytes")
    finally:
        ctx.transport.close()
        ctx.debug.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
