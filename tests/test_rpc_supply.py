"""`/supply` and `/params/{module}` on a real single node: where every uake is, and one module's params."""
from __future__ import annotations

from akechain.chain.crypto import parse_address
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet, find_event
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess

FIELDS = ("total", "bonded", "not_bonded", "burned", "emitted", "treasury")


def test_supply_adds_up_and_moves_with_fees(single_node: NodeProcess) -> None:
    supply = single_node.get("/supply").json()
    assert all(isinstance(supply[name], int) for name in FIELDS)
    params = single_node.get("/params").json()
    assert single_node.get("/params/staking").json() == params["staking"]
    assert single_node.get("/params/nosuch").status_code == 404
    validators = single_node.get("/validators").json()
    assert supply["bonded"] == sum(v["tokens"] for v in validators if v["status"] == "bonded") > 0
    treasury = params["bank"]["treasury"]
    assert supply["treasury"] == single_node.get(f"/accounts/{treasury}").json()["balance"]
    assert supply["total"] == supply["initial"] - supply["burned"] and supply["emitted"] == 0

    keys = Keystore(single_node.home / "keyring")
    with NodeClient(single_node.url) as client:
        wallet = Wallet(client, keys.load("validator", PASSPHRASE))
        result = wallet.send([MsgSend(to=parse_address(treasury), amount=1)])
    fee = int(find_event(result, "tx")["fee"])
    after = single_node.get("/supply").json()
    burned = after["burned"] - supply["burned"]
    assert 0 < burned <= fee and after["treasury"] == supply["treasury"] + 1 + fee - burned
    assert after["total"] == supply["total"] - burned
