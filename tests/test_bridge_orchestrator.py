"""The full bridge loop on eth-tester: the chain (a 4-validator SimChain behind the orchestrator's
ChainPort) and AkeBridge deployed with its valset 0. Three orchestrators of four run (one stopped
does not stop the bridge): AKE sent to the EVM shows up as ERC-20 balance, ERC-20 sent back shows
up as AKE, a delegation that shifts power rotates the contract's valset, and orchestrators
restarted mid-flight neither double-claim nor lose a transfer."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

import pytest
from web3 import EthereumTesterProvider, Web3

from akechain.bridge.orchestrator import Orchestrator, deploy_contract, open_contract
from akechain.chain.crypto import format_address
from akechain.chain.modules.bridge.msgs import MsgSendToEvm
from akechain.chain.modules.staking.msgs import MsgDelegate
from akechain.node.rpc.bridge import get_orchestrator, get_view
from bridge_chain_support import BRIDGE_PARAMS, EVM_ADDRESSES, EVM_KEYS, USER, make_registered_driver
from staking_support import ADDRESSES, CHAIN_ID, Driver
from staking_support import FEE as FEE_OF_USER_TXS


class SimPort:
    """A ChainPort over a SimChain: views of committed state; txs wait for the test's next block."""

    def __init__(self, d: Driver, i: int) -> None:
        self.d, self.i, self.address = d, i, format_address(ADDRESSES[i])

    def view(self, name: str) -> Any:
        return get_view(self.d.chain.app.get_state_view()[0], name)

    def orchestrator(self) -> dict[str, Any]:
        return get_orchestrator(self.d.chain.app.get_state_view()[0], ADDRESSES[self.i])

    def send(self, msgs: Sequence[Any]) -> None:
        self.d.tx(self.i, *msgs)


@pytest.fixture
def loop():
    d = make_registered_driver(replace(BRIDGE_PARAMS, signed_window_blocks=10_000, max_batch_size=20))
    w3 = Web3(EthereumTesterProvider())
    funder = w3.eth.accounts[0]
    for address in EVM_ADDRESSES[:4]:
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
            {"from": funder, "to": Web3.to_checksum_address(address), "value": 10**20, "gas": 21_000}))
    valset0 = next(v for v in get_view(d.chain.app.get_state_view()[0], "valsets") if v["nonce"] == 0)
    address, block = deploy_contract(w3, EVM_KEYS[0], CHAIN_ID, valset0)
    contract = open_contract(w3, address)

    def start(indexes: Sequence[int]) -> list[Orchestrator]:
        return [Orchestrator(SimPort(d, i), w3, contract, EVM_KEYS[i], from_block=block) for i in indexes]

    return d, w3, contract, start


def run_until(d: Driver, orchestrators: list[Orchestrator], done: Callable[[], bool], rounds: int = 12) -> None:
    for _ in range(rounds):
        if done():
            return
        for orchestrator in orchestrators:
            orchestrator.step()
        d.block()
    store = d.chain.app.get_state_view()[0]
    assert done(), f"the bridge did not get there: {d.chain.query('bridge', 'state')}, {get_view(store, 'claims')}"


def test_both_directions_with_one_orchestrator_stopped_rotation_and_restart(loop) -> None:
    d, w3, contract, start = loop
    orchestrators = start([0, 1, 2])  # the fourth validator's orchestrator is down
    holder = w3.eth.accounts[1]
    d.run(USER, MsgSendToEvm(Web3.to_bytes(hexstr=holder), 5_000))
    run_until(d, orchestrators, lambda: contract.functions.balanceOf(holder).call() == 5_000)
    assert contract.functions.totalSupply().call() == 5_000

    user = format_address(ADDRESSES[USER])
    before = d.chain.query("bank", "balance", ADDRESSES[USER])
    w3.eth.wait_for_transaction_receipt(contract.functions.sendToAke(2_000, user).transact({"from": holder, "gas": 200_000}))
    run_until(d, orchestrators, lambda: d.chain.query("bank", "balance", ADDRESSES[USER]) == before + 2_000)
    assert contract.functions.balanceOf(holder).call() == 3_000
    assert d.chain.query("bridge", "state").evm_supply == 3_000

    d.run(USER, MsgDelegate(ADDRESSES[0], 30_000))  # validator 0 now holds most of the power
    run_until(d, orchestrators, lambda: contract.functions.stateValsetNonce().call() == 1)
    assert contract.functions.stateValsetCheckpoint().call() != b""

    # mid-flight: a transfer out and a burn back, then every orchestrator restarts from scratch
    d.run(USER, MsgSendToEvm(Web3.to_bytes(hexstr=holder), 700))
    w3.eth.wait_for_transaction_receipt(contract.functions.sendToAke(1_000, user).transact({"from": holder, "gas": 200_000}))
    for orchestrator in orchestrators:
        orchestrator.step()
    d.block()
    restarted = start([0, 1, 2, 3])
    run_until(d, restarted, lambda: contract.functions.balanceOf(holder).call() == 2_700
              and d.chain.query("bank", "balance", ADDRESSES[USER]) == before + 3_000 - 30_000 - 700 - 2 * FEE_OF_USER_TXS)
    for _ in range(3):  # nothing more happens: no double claim, no double mint
        for orchestrator in restarted:
            orchestrator.step()
        d.block()
    assert contract.functions.balanceOf(holder).call() == 2_700
    assert d.chain.query("bank", "balance", ADDRESSES[USER]) == before + 3_000 - 30_000 - 700 - 2 * FEE_OF_USER_TXS
    assert d.chain.query("bridge", "state").evm_supply == contract.functions.totalSupply().call() == 2_700
    d.chain.check_invariants()



