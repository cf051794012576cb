"""Run trezorlib 0.20.1's own THP code on inputs given as JSON (stdin), print JSON (stdout).

Used by test/thp-trezorlib.test.ts to check our THP core against the client nobody here wrote,
and to (re)make test/fixtures/thp/trezorlib-vectors.json. Each task calls trezorlib functions
or drives its Channel/pairing classes over a scripted fake transport; nothing here
re-implements THP. Byte strings are hex.
"""
import json
import warnings

warnings.filterwarnings("ignore")  # noise: "ephemeral keypair already set" (fixed test keys)
import sys

import trezorlib
from trezorlib import messages
from trezorlib.thp import cpace, credentials, curve25519
from trezorlib.thp.channel import Channel, ChannelState, decode_proto
from trezorlib.thp.message import Message
from trezorlib.thp import pairing

H = bytes.fromhex


class ScriptedTransport:
    """A transport that answers reads from a list of packets and records writes."""

    CHUNK_SIZE = 64

    def __init__(self, packets):
        self.packets = [H(p) for p in packets]
        self.written = []

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False

    def write_chunk(self, chunk):
        self.written.append(bytes(chunk).hex())

    def read_chunk(self, timeout=None):
        if not self.packets:
            raise trezorlib.transport.Timeout("script exhausted")
        return self.packets.pop(0)


def task_packets(a):
    return {"packets": [c.hex() for c in Message(a["ctrl"], a["cid"], H(a["data"])).chunks(64)]}


def task_handshake_host(a):
    """trezorlib's Channel.open() against scripted device packets, then one encrypted exchange."""
    t = ScriptedTransport(a["device_packets"])
    props = decode_proto(messages.ThpDeviceProperties, H(a["prologue"]))
    ch = Channel(transport=t, channel_id=a["cid"], device_properties=props, prologue=H(a["prologue"]), channel_state=ChannelState.ALLOCATED)
    ch._init_noise(static_privkey=H(a["host_static"]), ephemeral_privkey=H(a["host_ephemeral"]))
    creds = [credentials.StaticCredential(trezor_pubkey=H(c["trezor"]), host_privkey=H(c["host"]), credential=H(c["credential"])) for c in a.get("credentials", [])]
    ch.open(creds, force_unlock=a.get("unlock", False))
    out = {"pairing_state": ch.pairing_state.value.hex(), "handshake_hash": ch.handshake_hash.hex(), "host_static_pubkey": ch.get_host_static_pubkey().hex()}
    ch.write_chunk(H(a["app_request"]))
    out["app_reply"] = ch.read_chunk().hex()
    out["written"] = t.written
    return out


class _FakeController:
    def __init__(self, reply, handshake_hash):
        self.reply = reply
        self.sent = []
        self.aborted = False
        self.channel = type("C", (), {"handshake_hash": handshake_hash})()

    def _call(self, msg, expect):
        self.sent.append(msg)
        return self.reply

    def abort(self):
        self.aborted = True

    def set_paired(self):
        pass


def _method(cls, controller):
    m = cls.__new__(cls)  # skip __init__: it would talk to a device
    m.controller = controller
    return m


def task_code_entry_host(a):
    hh = H(a["handshake_hash"])
    ctl = _FakeController(messages.ThpCodeEntrySecret(secret=H(a["secret"])), hh)
    m = _method(pairing.CodeEntry, ctl)
    m.code_entry_state = pairing.CodeEntryState(challenge=H(a["challenge"]), commitment=H(a["commitment"]), cpace_trezor_public_key=H(a["cpace_trezor_public_key"]))
    try:
        m.send_code(a["code"])
        accepted = True
    except Exception:
        accepted = False
    tag_msg = ctl.sent[0]
    return {"accepted": accepted and not ctl.aborted, "cpace_host_public_key": tag_msg.cpace_host_public_key.hex(), "tag": tag_msg.tag.hex()}


def task_qr_host(a):
    hh = H(a["handshake_hash"])
    ctl = _FakeController(messages.ThpQrCodeSecret(secret=H(a["secret"])), hh)
    m = _method(pairing.QrCode, ctl)
    try:
        m.send_qr_code(H(a["code"]))
        accepted = True
    except Exception:
        accepted = False
    return {"accepted": accepted and not ctl.aborted, "tag": ctl.sent[0].tag.hex()}


def task_nfc_host(a):
    hh = H(a["handshake_hash"])
    ctl = _FakeController(messages.ThpNfcTagTrezor(tag=H(a["trezor_tag"])), hh)
    m = _method(pairing.Nfc, ctl)
    m.nfc_host_secret = H(a["host_secret"])
    try:
        m.send_nfc_tag(H(a["trezor_secret"]))
        accepted = True
    except Exception:
        accepted = False
    return {"accepted": accepted and not ctl.aborted, "tag": ctl.sent[0].tag.hex()}


def task_cpace(a):
    gen = cpace._generator(prs=a["code"].encode("ascii"), ci=H(a["handshake_hash"]))
    r = cpace.cpace(prs=a["code"].encode("ascii"), ci=H(a["handshake_hash"]), b_pubkey=H(a["peer"]), _a_privkey=H(a["private"]))
    return {"generator": gen.hex(), "public": r.a_pubkey.hex(), "shared": r.shared_secret.hex(), "elligator2": curve25519.elligator2(H(a["u"])).hex()}


def task_matches(a):
    keys = credentials.TrezorPublicKeys(ephemeral=H(a["ephemeral"]), static_masked=H(a["masked"]))
    cred = credentials.StaticCredential(trezor_pubkey=H(a["trezor"]), host_privkey=b"", credential=b"")
    return {"matches": credentials.matches(cred, keys)}


TASKS = {k[5:]: v for k, v in globals().items() if k.startswith("task_")}

if __name__ == "__main__":
    if trezorlib.__version__ != "0.20.1":
        print(json.dumps({"error": f"trezorlib {trezorlib.__version__}, not 0.20.1"}))
        sys.exit(3)
    request = json.load(sys.stdin)
    print(json.dumps([TASKS[r["task"]](r) for r in request]))
