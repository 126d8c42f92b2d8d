"""The bridge over HTTP and the CLI: the JSON views on a SimChain (every contract field), then a real
single node where `akechain tx bridge register-evm-key` registers the validator's EVM key (kept in
the keystore), `send-to-evm` locks AKE into a batch, `cancel` refuses a batched transfer, and
`/bridge/*` and `akechain query bridge …` show them."""
from __future__ import annotations

import json

import httpx
import pytest

from akechain.chain.modules.bridge.evm import evm_address
from akechain.chain.modules.bridge.msgs import MsgConfirmBatch, MsgSendToEvm
from akechain.client.bridge import load_or_create_evm_key
from akechain.client.keystore import Keystore
from akechain.node.rpc.bridge import get_orchestrator, get_view
from bridge_chain_support import USER, make_registered_driver, sign_batch
from staking_support import ADDRESSES
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess, run_cli, wait_until

DEST = "0x" + "42" * 20


def test_json_views_carry_the_contract_fields() -> None:
    d = make_registered_driver()
    d.run(USER, MsgSendToEvm(bytes.fromhex(DEST[2:]), 700))
    batch = d.chain.query("bridge", "batch", 1)
    for i in range(3):
        d.tx(i, MsgConfirmBatch(1, sign_batch(i, batch)))
    d.block()
    store = d.chain.app.get_state_view()[0]
    (transfer,) = get_view(store, "transfers")
    assert transfer == {"id": 1, "sender": transfer["sender"], "destination": DEST, "amount": 700, "status": "signed",
                        "batch_nonce": 1}
    (listed,) = get_view(store, "batches")
    assert listed["total"] == 700 and len(listed["signatures"]) == 3 and listed["signed_power_bps"] >= 7_499
    (valset,) = get_view(store, "valsets")
    assert valset["nonce"] == 0 and len(valset["members"]) == 4 and valset["digest"].startswith("0x")
    assert get_view(store, "claims") == {"last_observed_event_nonce": 0, "last_observed_evm_height": 0, "pending": []}
    assert get_view(store, "params")["max_batch_size"] == 3
    assert len(get_view(store, "state")["evm_keys"]) == 4
    assert get_orchestrator(store, ADDRESSES[0])["last_event_nonce"] == 0
    with pytest.raises(ValueError):
        get_view(store, "nothing")


@pytest.mark.slow
def test_register_send_and_query_on_a_single_node(single_node: NodeProcess) -> None:
    home = single_node.home
    signer = ["--home", str(home), "--node", single_node.url, "--passphrase-file", str(home.parent / "pass")]
    answer = json.loads(run_cli("tx", "bridge", "register-evm-key", "--key", "validator", *signer).stdout)
    assert answer["code"] == 0, answer
    keys = Keystore(home / "keyring")
    operator = keys.show("validator").address
    evm = "0x" + evm_address(load_or_create_evm_key(keys, "evm", PASSPHRASE)).hex()
    assert httpx.get(f"{single_node.url}/bridge/orchestrators/{operator}").json()["evm_address"] == evm
    wait_until(lambda: httpx.get(f"{single_node.url}/bridge/valsets").json(), 20, "valset 0")
    (valset,) = httpx.get(f"{single_node.url}/bridge/valsets").json()
    assert [m["evm_address"] for m in valset["members"]] == [evm] and valset["members"][0]["power"] == 2**32

    answer = json.loads(run_cli("tx", "bridge", "send-to-evm", DEST, "1234", "--key", "validator", *signer).stdout)
    assert answer["code"] == 0, answer
    wait_until(lambda: httpx.get(f"{single_node.url}/bridge/batches").json(), 20, "a batch")
    (transfer,) = json.loads(run_cli("query", "bridge", "transfers", "--node", single_node.url).stdout)
    assert transfer["amount"] == 1234 and transfer["status"] == "batched" and transfer["destination"] == DEST
    refused = run_cli("tx", "bridge", "cancel", str(transfer["id"]), "--key", "validator", *signer, check=False)
    assert refused.returncode != 0 or json.loads(refused.stdout)["code"] == 206
    assert json.loads(run_cli("query", "bridge", "params", "--node", single_node.url).stdout)["max_batch_size"] == 20
    assert httpx.get(f"{single_node.url}/bridge/nothing").status_code == 400
