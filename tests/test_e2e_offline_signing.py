"""End to end: generate-only on the online side, `tx sign` on a cold home with no node and no
genesis, `tx broadcast` commits; the signed file is refused by a chain with another id; a 2-of-3
multisig account's tx commits with two member signatures and is refused with one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from akechain.chain.multisig import decode_multisig_key, encode_multisig_signature
from akechain.cli.offline import load_unsigned, signed_doc
from tests.conftest import PASSPHRASE, init_single_node
from tests.node_process import NodeProcess, free_port, run_cli

pytestmark = pytest.mark.slow


def cli_json(*args: str) -> dict:
    return json.loads(run_cli(*args).stdout)


def test_generate_sign_offline_broadcast_and_multisig(single_node: NodeProcess, tmp_path: Path) -> None:
    home, node = str(single_node.home), single_node.url
    pass_file = str(tmp_path / "pass")
    recipient = cli_json("keys", "add", "bob", "--home", home, "--passphrase-file", pass_file)["address"]  # a recipient
    balance_before = single_node.get(f"/accounts/{recipient}").json()["balance"]

    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(run_cli("tx", "bank", "send", "validator", recipient, "12345", "--home", home, "--node", node,
                                "--generate-only").stdout)
    doc = json.loads(unsigned.read_text())
    validator = cli_json("keys", "show", "validator", "--home", home)["address"]
    assert (doc["chain_id"], doc["sender"], doc["msgs"][0]["amount"]) == ("ake-e2e-1", validator, 12345)
    assert doc["fee"] > 0 and doc["nonce"] == single_node.get(f"/accounts/{validator}").json()["nonce"]

    # The cold machine: only the keyring, no genesis, no node
    cold = tmp_path / "cold"
    (cold / "keyring").mkdir(parents=True)
    shutil.copy(single_node.home / "keyring" / "validator.json", cold / "keyring")
    sign = ("tx", "sign", str(unsigned), "--key", "validator", "--home", str(cold), "--passphrase-file", pass_file)
    wrong_chain = run_cli(*sign, "--chain-id", "ake-other-1", "--nonce", str(doc["nonce"]), check=False)
    assert wrong_chain.returncode == 1 and "is for chain 'ake-e2e-1'" in wrong_chain.stderr
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**doc, "msgs": [{**doc["msgs"][0], "amount": 1}]}))
    refused = run_cli("tx", "sign", str(tampered), *sign[3:], "--chain-id", "ake-e2e-1", "--nonce", str(doc["nonce"]),
                      check=False)
    assert refused.returncode == 1 and "does not match its body" in refused.stderr
    signed = tmp_path / "signed.json"
    signed.write_text(run_cli(*sign, "--chain-id", "ake-e2e-1", "--nonce", str(doc["nonce"])).stdout)

    committed = cli_json("tx", "broadcast", str(signed), "--node", node)
    assert committed["code"] == 0 and committed["hash"] == json.loads(signed.read_text())["hash"]
    assert single_node.get(f"/accounts/{recipient}").json()["balance"] == balance_before + 12345

    # The same signed file on a chain with another id
    other_home = tmp_path / "other"
    other_port = free_port()
    run_cli("init", "--home", str(other_home), "--chain-id", "ake-other-1", "--moniker", "o", "--rpc-port",
            str(other_port), "--p2p-port", str(free_port()), "--passphrase-file", pass_file)
    other = NodeProcess(other_home, other_port).start()
    try:
        elsewhere = run_cli("tx", "broadcast", str(signed), "--node", other.url, check=False)
        assert elsewhere.returncode == 1 and "is for chain 'ake-e2e-1'" in elsewhere.stderr
    finally:
        assert other.stop() == 0

    check_multisig(single_node, tmp_path, pass_file, recipient)


def check_multisig(single_node: NodeProcess, tmp_path: Path, pass_file: str, recipient: str) -> None:
    home, node = str(single_node.home), single_node.url
    for member in ("m1", "m2", "m3"):
        run_cli("keys", "add", member, "--home", home, "--passphrase-file", pass_file)
    account = cli_json("keys", "add", "team", "--multisig", "m1,m2,m3", "--multisig-threshold", "2", "--home", home)
    run_cli("tx", "bank", "send", "validator", account["address"], "5000000", "--home", home, "--node", node,
            "--passphrase-file", pass_file)
    unsigned = tmp_path / "team-unsigned.json"
    unsigned.write_text(run_cli("tx", "bank", "send", "team", recipient, "777", "--home", home, "--node", node,
                                "--generate-only").stdout)
    doc = json.loads(unsigned.read_text())
    assert doc["sender"] == account["address"] and doc["signer"]["multisig"]["threshold"] == 2
    signatures = []
    for member in ("m1", "m3"):
        path = tmp_path / f"{member}.sig.json"
        path.write_text(run_cli("tx", "sign", str(unsigned), "--key", member, "--chain-id", "ake-e2e-1", "--nonce",
                                str(doc["nonce"]), "--home", home, "--passphrase-file", pass_file).stdout)
        signatures.append(str(path))

    short = run_cli("tx", "multisign", str(unsigned), signatures[0], check=False)
    assert short.returncode == 1 and "needs 2" in short.stderr
    # One signature, packed by hand: the chain itself refuses it
    body = load_unsigned(unsigned.read_text())
    first = json.loads(Path(signatures[0]).read_text())
    index = decode_multisig_key(body.pub_key).pub_keys.index(bytes.fromhex(first["pub_key"]))
    one = tmp_path / "one.json"
    one.write_text(json.dumps(signed_doc(body, encode_multisig_signature({index: bytes.fromhex(first["signature"])}))))
    refused = run_cli("tx", "broadcast", str(one), "--node", node, check=False)
    assert refused.returncode == 1 and "multisig" in refused.stderr

    before = single_node.get(f"/accounts/{recipient}").json()["balance"]
    signed = tmp_path / "team-signed.json"
    signed.write_text(run_cli("tx", "multisign", str(unsigned), *signatures).stdout)
    committed = cli_json("tx", "broadcast", str(signed), "--node", node)
    assert committed["code"] == 0
    assert single_node.get(f"/accounts/{recipient}").json()["balance"] == before + 777
    assert single_node.get(f"/accounts/{account['address']}").json()["nonce"] == 1
