"""Distribution on a real single node: a delegator's rewards grow block by block (`GET /rewards`,
`akechain query distribution rewards`), `akechain tx distribution withdraw-rewards` waits for commit
and pays them, the operator withdraws its commission, and `/supply` shows the emission and the
keyless treasury."""
from __future__ import annotations

import json

import pytest

from akechain.chain.crypto import parse_address
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet, find_event
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess, run_cli, wait_until

pytestmark = pytest.mark.slow


def test_a_delegators_rewards_grow_and_withdraw_rewards_pays_them(single_node: NodeProcess) -> None:
    home = single_node.home
    keys = Keystore(home / "keyring")
    operator = keys.show("validator").address
    alice = keys.add("alice", PASSPHRASE).address
    with NodeClient(single_node.url) as client:
        Wallet(client, keys.load("validator", PASSPHRASE)).send([MsgSend(to=parse_address(alice), amount=50_000_000)])
    signer = ["--home", str(home), "--node", single_node.url, "--passphrase-file", str(home.parent / "pass")]
    answer = json.loads(run_cli("tx", "staking", "delegate", operator, "10000000", "--key", "alice", *signer).stdout)
    assert answer["code"] == 0

    def rewards() -> dict:
        return single_node.get(f"/rewards/{alice}").json()

    first = wait_until(lambda: rewards() if rewards()["total"] > 0 else None, 30, "alice earns rewards")
    assert [r["validator"] for r in first["rewards"]] == [operator] and first["withdraw_address"] == alice
    grown = wait_until(lambda: rewards() if rewards()["total"] > first["total"] else None, 30, "the rewards grow")
    listed = json.loads(run_cli("query", "distribution", "rewards", alice, "--node", single_node.url).stdout)
    assert listed["total"] >= grown["total"]

    before = single_node.get(f"/accounts/{alice}").json()["balance"]
    answer = json.loads(run_cli("tx", "distribution", "withdraw-rewards", operator, "--key", "alice", *signer).stdout)
    assert answer["code"] == 0
    committed = single_node.get(f"/txs/{answer['hash']}").json()
    paid, fee = int(find_event(committed, "withdraw_rewards")["amount"]), int(find_event(committed, "tx")["fee"])
    assert paid >= grown["total"]  # what was claimable, and the rewards of the blocks since
    assert single_node.get(f"/accounts/{alice}").json()["balance"] == before - fee + paid

    commission = json.loads(run_cli("query", "distribution", "commission", operator, "--node", single_node.url).stdout)
    assert commission["commission"] > 0
    answer = json.loads(run_cli("tx", "distribution", "withdraw-commission", "--key", "validator", *signer).stdout)
    assert answer["code"] == 0
    params = json.loads(run_cli("query", "distribution", "params", "--node", single_node.url).stdout)
    assert params["emission_per_block"] > 0
    supply = single_node.get("/supply").json()
    assert supply["emitted"] > 0 and supply["treasury"] > 0
    assert supply["total"] == supply["initial"] + supply["emitted"] - supply["burned"]
