"""`akechain devnet --bridge`: four validators, anvil, the contract and four orchestrators. AKE sent
to the EVM shows up as ERC-20 balance, ERC-20 sent back shows up as AKE, and with one orchestrator
stopped (1 of 4) the bridge goes on; `devnet stop` stops anvil and the orchestrators too."""
from __future__ import annotations

import os
import signal

import pytest
from web3 import Web3

from akechain.bridge.orchestrator import open_contract
from akechain.chain.modules.bridge.msgs import MsgSendToEvm
from akechain.cli.processes import is_running
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet
from tests.conftest import Devnet
from tests.node_process import free_ports, run_cli, wait_until

pytestmark = pytest.mark.slow


def test_devnet_bridge_moves_ake_both_ways_with_one_orchestrator_down(tmp_path) -> None:
    root = tmp_path / "devnet"
    run_cli("devnet", "--detach", "--bridge", "--home", str(root), "--base-port", str(free_ports(10)), "--validators", "4")
    net = Devnet(root)
    bridge = net.doc["bridge"]
    try:
        w3 = Web3(Web3.HTTPProvider(bridge["evm_rpc"]))
        contract = open_contract(w3, bridge["contract"])
        holder = w3.eth.accounts[1]
        faucet = Keystore(root / "keyring").load("faucet", net.passphrase)
        with NodeClient(net.nodes[0].url) as client:
            wallet = Wallet(client, faucet)
            wallet.send([MsgSendToEvm(Web3.to_bytes(hexstr=holder), 2_000_000)])
            wait_until(lambda: contract.functions.balanceOf(holder).call() == 2_000_000, 90, "the ERC-20 mint")

            os.kill(bridge["orchestrator_pids"][3], signal.SIGTERM)  # one orchestrator of four goes away
            recipient = wallet.address
            before = client.account(recipient)["balance"]
            w3.eth.wait_for_transaction_receipt(contract.functions.sendToAke(500_000, recipient).transact({"from": holder}))
            wait_until(lambda: client.account(recipient)["balance"] == before + 500_000, 90, "the AKE unlock")
            wallet.send([MsgSendToEvm(Web3.to_bytes(hexstr=holder), 300_000)])
            wait_until(lambda: contract.functions.balanceOf(holder).call() == 1_800_000, 90, "a mint with 3 of 4")
            # the chain learns of the mint when > 2/3 attested its BatchExecuted event
            wait_until(lambda: client.bridge("state")["evm_supply"] == 1_800_000, 60, "the mint attested")
            assert contract.functions.totalSupply().call() == 1_800_000
    finally:
        run_cli("devnet", "stop", "--home", str(root), check=False)
    assert not any(is_running(pid) for pid in [bridge["anvil_pid"], *bridge["orchestrator_pids"]])
