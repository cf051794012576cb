"""trezorlib 0.20.1's THP client against a THP device on UDP (test/interop/thp.test.ts).

usage: thp_client.py PORT [VECTORS_JSON SIGN_TX_ID]
Pairs by code entry (the code read through the debug link on PORT+1, as trezorlib's own tests
read it; the pairing dialog confirmed by a debug-link press), asks for a credential, reads
Features and the address of m/84'/0'/0'/0/0 on a new session; then connects again with the
credential (no pairing) and reads the address once more; with a vectors file, also signs the
btc_sign_tx vector SIGN_TX_ID on that session (its serialized transaction is printed for the
test to compare). Prints one JSON object.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

from trezorlib import btc, ethereum, messages, protobuf, tools
from trezorlib.client import AppManifest, get_client
from trezorlib.debuglink import DebugLink
from trezorlib.thp import pairing
from trezorlib.thp.client import TrezorClientThp
from trezorlib.transport.udp import UdpTransport

port = int(sys.argv[1])
PATH = tools.parse_path("m/84'/0'/0'/0/0")
debug = DebugLink(UdpTransport(f"127.0.0.1:{port + 1}"))
buttons = []


def press_yes(request: messages.ButtonRequest) -> None:
    buttons.append(request.name)
    debug._write(messages.DebugLinkDecision(button=messages.DebugButton.YES))


def connect(credentials):
    transport = UdpTransport(f"127.0.0.1:{port}")
    transport.open()
    app = AppManifest(app_name="trezor-direct interop", host_name="vitest", button_callback=press_yes, credentials=credentials)
    return get_client(app, transport)


out = {}
client = connect([])
out["client"] = type(client).__name__
out["properties"] = {"internal_model": client.device_properties.internal_model, "pairing_methods": [int(m) for m in client.device_properties.pairing_methods]}
assert isinstance(client, TrezorClientThp)
out["paired_before"] = client.pairing.is_paired()


def code() -> str:
    channel = client.channel
    info = debug.pairing_info(thp_channel_id=channel.channel_id.to_bytes(2, "big"), handshake_hash=channel.handshake_hash)
    return f"{info.code_entry_code:06}"


credential = pairing.default_pairing_flow(client.pairing, code_entry_callback=code)
features = client.features
out["features"] = {"vendor": features.vendor, "model": features.model, "internal_model": features.internal_model, "initialized": features.initialized}
session = client.get_session(passphrase="")
out["address"] = btc.get_address(session, "Bitcoin", PATH, script_type=messages.InputScriptType.SPENDWITNESS)
out["buttons"] = list(buttons)
client.transport.close()

# Again, with the stored credential: the handshake says paired, no pairing messages.
buttons.clear()
again = connect([credential])
out["paired_with_credential"] = again.pairing.is_paired()
session = again.get_session(passphrase="")
out["address_again"] = btc.get_address(session, "Bitcoin", PATH, script_type=messages.InputScriptType.SPENDWITNESS)
out["buttons_again"] = list(buttons)
out["eth_address"] = ethereum.get_address(session, tools.parse_path("m/44'/60'/0'/0/0"))

if len(sys.argv) > 3:
    vector = next(v for v in json.load(open(sys.argv[2]))["btc_sign_tx"] if v["id"] == sys.argv[3])
    inputs = [
        messages.TxInputType(
            address_n=i["address_n_array"],
            prev_hash=bytes.fromhex(i["prev_hash"]),
            prev_index=i["prev_index"],
            amount=i["amount"],
            script_type=messages.InputScriptType[i["script_type"]],
            sequence=i.get("sequence"),
        )
        for i in vector["inputs"]
    ]
    outputs = [
        messages.TxOutputType(address=o["address"], amount=o["amount"], script_type=messages.OutputScriptType[o["script_type"]])
        for o in vector["outputs"]
    ]
    prev_txes = {bytes.fromhex(p["txid"]): protobuf.dict_to_proto(messages.TransactionType, p["trezor_json"]) for p in vector["prev_txs"]}
    tx = vector["sign_tx"]
    _, serialized = btc.sign_tx(session, vector["coin_name"], inputs, outputs, prev_txes=prev_txes, version=tx.get("version"), lock_time=tx.get("lock_time"))
    out["signed_tx"] = serialized.hex()
print(json.dumps(out))
