"""End to end on anvil (npm @foundry-rs/anvil) beside a real single node: the validator registers
its EVM key over the CLI, `akechain bridge deploy` deploys AkeBridge with the chain's valset 0,
`akechain bridge run` (restarted every few rounds, so it resumes from the chain's nonces) signs and
relays: AKE sent to the EVM shows up as ERC-20 balance, ERC-20 sent back shows up as AKE, and
nothing is minted or unlocked twice."""
from __future__ import annotations

import json

import httpx
import pytest
from web3 import Web3

from akechain.bridge.anvil import start_anvil
from akechain.bridge.orchestrator import open_contract
from tests.node_process import NodeProcess, free_port, run_cli, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def anvil():
    port = free_port()
    process = start_anvil(port)
    url = f"http://127.0.0.1:{port}"
    try:
        w3 = Web3(Web3.HTTPProvider(url))
        wait_until(lambda: w3.is_connected(), 20, "anvil")
        yield url, w3
    finally:
        process.terminate()
        process.wait(10)


def test_ake_to_erc20_and_back_through_deploy_and_run(single_node: NodeProcess, anvil) -> None:
    evm_rpc, w3 = anvil
    home, url = single_node.home, single_node.url
    signer = ["--home", str(home), "--node", url, "--passphrase-file", str(home.parent / "pass")]
    assert json.loads(run_cli("tx", "bridge", "register-evm-key", "--key", "validator", *signer).stdout)["code"] == 0
    wait_until(lambda: httpx.get(f"{url}/bridge/valsets").json(), 20, "valset 0")
    deployed = json.loads(run_cli("bridge", "deploy", "--evm-rpc", evm_rpc, "--fund", *signer).stdout)
    contract = open_contract(w3, deployed["contract"])
    holder = w3.eth.accounts[1]
    assert json.loads(run_cli("tx", "bridge", "send-to-evm", holder, "1500000", "--key", "validator", *signer).stdout)["code"] == 0

    def run_rounds() -> None:
        run_cli("bridge", "run", "--evm-rpc", evm_rpc, "--steps", "3", "--interval", "1", *signer)

    def minted() -> bool:
        run_rounds()
        return contract.functions.balanceOf(holder).call() == 1_500_000

    wait_until(minted, 90, "the ERC-20 mint")
    operator = json.loads(run_cli("keys", "show", "validator", "--home", str(home)).stdout)["address"]
    before = httpx.get(f"{url}/accounts/{operator}").json()["balance"]
    w3.eth.wait_for_transaction_receipt(contract.functions.sendToAke(500_000, operator).transact({"from": holder}))

    def unlocked() -> bool:
        run_rounds()
        return httpx.get(f"{url}/accounts/{operator}").json()["balance"] > before + 400_000

    wait_until(unlocked, 90, "the AKE unlock")
    run_rounds()  # once more: nothing happens twice
    assert contract.functions.totalSupply().call() == 1_000_000
    state = httpx.get(f"{url}/bridge/state").json()
    assert state["evm_supply"] == 1_000_000 and state["last_observed_event_nonce"] == 2
    (transfer,) = httpx.get(f"{url}/bridge/transfers").json()
    assert transfer["status"] == "minted"
