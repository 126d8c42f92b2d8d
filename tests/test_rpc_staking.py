"""Staking on a real single node: its gentx validator in `GET /validators` (the contract fields),
`akechain tx staking delegate VALIDATOR AMOUNT --key` waits for commit and the power follows two
heights later, `/validators/{address}`, `/delegations/{address}`, `/unbonding/{address}`, 4xx JSON
for bad input, and the query commands."""
from __future__ import annotations

import json

import httpx
import pytest

from akechain.chain.crypto import parse_address
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess, run_cli, wait_until

pytestmark = pytest.mark.slow


def test_validators_delegate_and_unbond_over_cli_and_http(single_node: NodeProcess) -> None:
    home = single_node.home
    keys = Keystore(home / "keyring")
    operator = keys.show("validator").address
    consensus_pub_key = json.loads((home / "priv_validator_key.json").read_text())["pub_key"]
    with NodeClient(single_node.url) as client:
        (validator,) = client.validators()
        assert {k: validator[k] for k in ("operator", "consensus_pub_key", "tokens", "power", "status", "jailed",
                                          "tombstoned")} == {
            "operator": operator, "consensus_pub_key": consensus_pub_key, "tokens": 10_000_000, "power": 10,
            "status": "bonded", "jailed": False, "tombstoned": False}
        assert client.validator(operator) == validator
        alice = keys.add("alice", PASSPHRASE).address
        Wallet(client, keys.load("validator", PASSPHRASE)).send([MsgSend(to=parse_address(alice), amount=50_000_000)])

    signer = ["--key", "alice", "--home", str(home), "--node", single_node.url, "--passphrase-file",
              str(home.parent / "pass")]
    answer = json.loads(run_cli("tx", "staking", "delegate", operator, "5000000", *signer).stdout)
    assert answer["code"] == 0 and answer["height"] > 0
    with NodeClient(single_node.url) as client:
        assert client.validator(operator)["power"] == 15
        assert [(d["validator"], d["tokens"]) for d in client.delegations(alice)] == [(operator, 5_000_000)]
        wait_until(lambda: single_node.status()["height"] >= answer["height"] + 2, 30, "two more heights")
        h = answer["height"]  # the update of block h decides h + 2: the header hashes show it
        headers = {height: client.block(height)["header"] for height in (h, h + 1, h + 2)}
        assert headers[h + 1]["validators_hash"] == headers[h]["validators_hash"]
        assert headers[h + 1]["next_validators_hash"] == headers[h + 2]["validators_hash"] != headers[h]["validators_hash"]

    answer = json.loads(run_cli("tx", "staking", "undelegate", operator, "2000000", *signer).stdout)
    assert answer["code"] == 0
    unbonding = json.loads(run_cli("query", "staking", "unbonding", alice, "--node", single_node.url).stdout)
    (entry,) = unbonding["unbonding"][0]["entries"]
    assert entry["balance"] == 2_000_000 and unbonding["unbonding"][0]["validator"] == operator
    listed = json.loads(run_cli("query", "staking", "validators", "--node", single_node.url).stdout)
    assert listed[0]["power"] == 13

    assert httpx.get(f"{single_node.url}/validators/{alice}").status_code == 404
    bad = httpx.get(f"{single_node.url}/delegations/not-an-address")
    assert bad.status_code == 400 and "error" in bad.json()
