"""`/supply` and `/params/{module}` on a real single node: where every uake is, and one module's params."""
from __future__ import annotations

import pytest

from akechain.chain.crypto import format_address
from akechain.chain.modules.bank.keeper import TREASURY
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import TxFailedError, Wallet
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess

FIELDS = ("total", "bonded", "not_bonded", "burned", "emitted", "treasury")


def test_supply_adds_up_and_moves_with_the_emission(single_node: NodeProcess) -> None:
    supply = single_node.get("/supply").json()
    assert all(isinstance(supply[name], int) for name in FIELDS)
    params = single_node.get("/params").json()
    assert single_node.get("/params/staking").json() == params["staking"]
    assert single_node.get("/params/distribution").json() == params["distribution"]
    assert single_node.get("/params/nosuch").status_code == 404
    validators = single_node.get("/validators").json()
    assert supply["bonded"] == sum(v["tokens"] for v in validators if v["status"] == "bonded") > 0
    treasury = format_address(TREASURY)
    # the treasury only grows (nothing spends it yet), and the account view is read a moment later
    assert 0 < supply["treasury"] <= single_node.get(f"/accounts/{treasury}").json()["balance"]
    assert supply["total"] == supply["initial"] + supply["emitted"] - supply["burned"] and supply["emitted"] > 0

    keys = Keystore(single_node.home / "keyring")
    with NodeClient(single_node.url) as client:
        wallet = Wallet(client, keys.load("validator", PASSPHRASE))
        with pytest.raises(TxFailedError, match="module account"):  # the treasury has no key and takes no gifts
            wallet.send([MsgSend(to=TREASURY, amount=1)])
    after = single_node.get("/supply").json()
    assert after["emitted"] > supply["emitted"] and after["treasury"] > supply["treasury"]
    assert after["burned"] > supply["burned"]  # the failed tx's fee, and each block's share of the pot
    assert after["total"] == after["initial"] + after["emitted"] - after["burned"]
