#!/usr/bin/python3
"""trezorlib's side of the peer benchmark (bench/peer/index.ts starts it; /usr/bin/python3, trezorlib 0.20.1).

Two modes:

  trezorlib_driver.py --startup HOST:PORT
      Import trezorlib, open the emulator's UDP port, read Features, print "features MODEL"
      and exit: the "start -> first Features" row (the parent times the whole process).

  trezorlib_driver.py
      A server on stdin/stdout, one JSON object per line each way:
        {"cmd": "open", "wire": "127.0.0.1:21324", "debug": "127.0.0.1:21325"}
            -> {"model": "1", "version": "1.14.1"}
        {"cmd": "run", "case": ID, "calls": N, "data": {...}}
            -> {"wall": ms, "cpu": ms, "result": "..."}   (totals over the N calls)
        {"cmd": "close"}
      Errors answer {"error": "..."}. The cases and their data are those of bench/peer/cases.ts.

Confirmations are pressed through the debug link by trezorlib's own TrezorTestContext (the
way trezorlib's device tests run). Wall time is time.perf_counter(), host CPU
time.process_time() (this process only; the emulator is another process).
"""
import json
import sys
import time

from trezorlib import btc, ethereum, messages, tools
from trezorlib.transport.udp import UdpTransport


def startup(address: str) -> int:
    from trezorlib.client import AppManifest, get_client

    transport = UdpTransport(address)
    transport.open()
    client = get_client(AppManifest(app_name="bench"), transport)
    print(f"features {client.features.model}", flush=True)
    transport.close()
    return 0


def tx_plan(data: dict):
    """The TxPlan of cases.ts as trezorlib's sign_tx arguments."""
    inputs = [
        messages.TxInputType(
            address_n=i["address_n"],
            prev_hash=bytes.fromhex(i["prev_hash"]),
            prev_index=i["prev_index"],
            amount=int(i["amount"]),
            script_type=messages.InputScriptType.SPENDWITNESS,
            sequence=i["sequence"],
        )
        for i in data["inputs"]
    ]
    outputs = []
    for o in data["outputs"]:
        if "address" in o:
            outputs.append(
                messages.TxOutputType(address=o["address"], amount=int(o["amount"]), script_type=messages.OutputScriptType.PAYTOADDRESS)
            )
        else:
            outputs.append(
                messages.TxOutputType(address_n=o["address_n"], amount=int(o["amount"]), script_type=messages.OutputScriptType.PAYTOWITNESS)
            )
    prev_txes = {
        bytes.fromhex(txid): messages.TransactionType(
            version=p["version"],
            lock_time=p["lock_time"],
            inputs=[
                messages.TxInputType(
                    prev_hash=bytes.fromhex(i["prev_hash"]),
                    prev_index=i["prev_index"],
                    script_sig=bytes.fromhex(i["script_sig"]),
                    sequence=i["sequence"],
                )
                for i in p["inputs"]
            ],
            bin_outputs=[messages.TxOutputBinType(amount=int(o["amount"]), script_pubkey=bytes.fromhex(o["script_pubkey"])) for o in p["bin_outputs"]],
        )
        for txid, p in data["prev_txes"].items()
    }
    return inputs, outputs, prev_txes


class Driver:
    def __init__(self) -> None:
        self.ctx = None
        self.session = None

    def open(self, wire: str, debug: str) -> dict:
        from trezorlib.debuglink import TrezorTestContext

        self.ctx = TrezorTestContext(UdpTransport(wire), auto_interact=True, debug_transport=UdpTransport(debug))
        # Core >= 2.3.2 reports screens to the debug link only when asked; trezorlib's own
        # confirmations (DebugUI) wait for them. A no-op on the Trezor One.
        self.ctx.watch_layout(True)
        self.session = self.ctx.get_session()
        f = self.ctx.features
        return {"model": f.model, "version": f"{f.major_version}.{f.minor_version}.{f.patch_version}"}

    def operation(self, case: str, data: dict):
        """One call of the case, as a function of the call's index returning its answer."""
        s = self.session
        if case in ("btc-address", "eth-address"):
            paths = [tools.parse_path(p) for p in data["paths"]]
            if case == "btc-address":
                return lambda i: btc.get_address(s, "Bitcoin", paths[i % len(paths)], script_type=messages.InputScriptType.SPENDWITNESS)
            return lambda i: ethereum.get_address(s, paths[i % len(paths)])
        if case == "btc-sign":
            inputs, outputs, prev_txes = tx_plan(data)
            coin, version, lock_time = data["coin"], data["version"], data["lock_time"]

            def sign(i):
                _, serialized = btc.sign_tx(s, coin, inputs, outputs, prev_txes=prev_txes, version=version, lock_time=lock_time)
                return serialized.hex()

            return sign
        if case == "eth-sign":
            n = tools.parse_path(data["path"])
            payload = bytes.fromhex(data["data"][2:])

            def sign(i):
                v, r, s_ = ethereum.sign_tx_eip1559(
                    s,
                    n,
                    nonce=int(data["nonce"]),
                    gas_limit=int(data["gasLimit"]),
                    to=data["to"],
                    value=int(data["value"]),
                    data=payload,
                    chain_id=int(data["chainId"]),
                    max_gas_fee=int(data["maxFeePerGas"]),
                    max_priority_fee=int(data["maxPriorityFeePerGas"]),
                )
                return f"{v}:{r.hex()}:{s_.hex()}"

            return sign
        raise ValueError(f"unknown case {case}")

    def run(self, case: str, calls: int, data: dict) -> dict:
        op = self.operation(case, data)
        answers = []
        cpu0 = time.process_time()
        start = time.perf_counter()
        for i in range(calls):
            answer = op(i)
            if i < 10:
                answers.append(answer)
        wall = (time.perf_counter() - start) * 1000
        cpu = (time.process_time() - cpu0) * 1000
        return {"wall": wall, "cpu": cpu, "result": ",".join(answers)}

    def close(self) -> None:
        if self.ctx is not None:
            for closing in (self.ctx.transport.close, self.ctx.debug.close):
                try:
                    closing()
                except Exception:
                    pass


def serve() -> int:
    driver = Driver()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            try:
                if request["cmd"] == "open":
                    reply = driver.open(request["wire"], request["debug"])
                elif request["cmd"] == "run":
                    reply = driver.run(request["case"], int(request["calls"]), request.get("data") or {})
                elif request["cmd"] == "close":
                    break
                else:
                    reply = {"error": f"unknown command {request['cmd']}"}
            except Exception as e:  # the parent prints it and goes on without this case
                reply = {"error": f"{type(e).__name__}: {e}"}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        driver.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--startup":
        sys.exit(startup(sys.argv[2]))
    sys.exit(serve())
