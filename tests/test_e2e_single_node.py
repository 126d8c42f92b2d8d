"""End to end: a real `akechain start` process on 127.0.0.1 commits txs sent over HTTP and
survives kill -9 with the same app hash, then keeps growing."""
from __future__ import annotations

import json

import httpx
import pytest

from akechain.chain.app import AccountProof
from akechain.chain.crypto import parse_address
from akechain.client.keystore import Keystore
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.tx import build_tx_paying_fee
from state.codec import decode
from state.smt import verify_proof
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess

pytestmark = pytest.mark.slow


def test_txs_over_http_are_committed_and_survive_kill9(single_node: NodeProcess) -> None:
    keys = Keystore(single_node.home / "keyring")
    sender = keys.load("validator", PASSPHRASE)
    recipient_text = keys.add("bob", PASSPHRASE).address  # (the treasury is a keyless module account now)
    recipient = parse_address(recipient_text)
    fee_params = AUTH_PARAMS.from_json(single_node.get("/params").json()["auth"])
    before = single_node.get(f"/accounts/{recipient_text}").json()["balance"]

    first = single_node.get(f"/accounts/{keys.show('validator').address}").json()["nonce"]  # 1: its gentx used 0
    txs = [build_tx_paying_fee(sender, "ake-e2e-1", first + i, [MsgSend(recipient, 1_000 + i)], fee_params)
           for i in range(20)]
    answers = httpx.post(f"{single_node.url}/txs", json={"txs": [t.hex() for t in txs]}, params={"wait": "commit"},
                         timeout=60).json()["results"]
    assert [a["check"]["code"] for a in answers] == [0] * 20
    assert all(a["result"] is not None and a["result"]["code"] == 0 for a in answers)
    committed_height = max(a["result"]["height"] for a in answers)

    # The recipient got the amounts (the fees went to the fee collector, for distribution to split)
    after = single_node.get(f"/accounts/{recipient_text}").json()
    assert after["balance"] - before == sum(1_000 + n for n in range(20))

    # A replayed tx is rejected and a committed tx can be looked up.
    replay = httpx.post(f"{single_node.url}/txs", content=txs[0].hex(), timeout=10)
    assert replay.status_code == 422 and replay.json()["check"]["code"] != 0
    looked_up = single_node.get(f"/txs/{answers[3]['hash']}").json()
    assert looked_up["height"] <= committed_height and looked_up["msgs"][0]["amount"] == 1_003

    status = single_node.wait_for_height(committed_height + 1)
    single_node.kill9()
    single_node.start()
    again = single_node.status()
    assert again["height"] >= status["height"]
    block = single_node.get(f"/blocks/{status['height'] + 1}").json()
    assert block["header"]["app_hash"] == status["app_hash"]  # header H+1 carries the app hash after H
    single_node.wait_for_height(again["height"] + 3)
    assert single_node.get(f"/accounts/{recipient_text}").json()["balance"] == after["balance"]


def test_bad_requests_get_4xx_json_errors(single_node: NodeProcess) -> None:
    cases = [
        ("POST", "/txs", b"not hex at all!"),
        ("POST", "/txs", b"{\"txs\": 5}"),
        ("POST", "/txs", b"\xff\xfe"),
        ("POST", "/txs", b"c0ffee"),
        ("GET", "/blocks/-1", None),
        ("GET", "/blocks/99999999999999999999999", None),
        ("GET", "/txs/zz", None),
        ("GET", "/accounts/ake1notanaddress", None),
        ("GET", "/challenges?referee=ake1notanaddress", None),
        ("GET", "/nothing-here", None),
    ]
    for method, path, body in cases:
        response = httpx.request(method, f"{single_node.url}{path}", content=body, timeout=10)
        assert 400 <= response.status_code < 500, (path, body, response.status_code, response.text)
        assert json.loads(response.text)
    assert single_node.status()["height"] >= 1


def test_account_proof_from_the_api_verifies_against_the_header_app_hash(single_node: NodeProcess) -> None:
    address = Keystore(single_node.home / "keyring").show("validator").address
    answer = single_node.get(f"/accounts/{address}?prove=true").json()
    proof = decode(AccountProof, bytes.fromhex(answer["proof_bytes"]))
    assert verify_proof(proof.root, proof.account_key, proof.account_value, proof.account_proof)
    assert verify_proof(proof.root, proof.balance_key, proof.balance_value, proof.balance_proof)
    assert not verify_proof(proof.root, proof.balance_key, b"\x00" + (proof.balance_value or b""), proof.balance_proof)
    single_node.wait_for_height(proof.height + 1)
    header = single_node.get(f"/blocks/{proof.height + 1}").json()["header"]
    assert header["app_hash"] == proof.root.hex()
