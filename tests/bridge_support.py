"""An AkeBridge deployed on web3's in-process EVM (eth-tester / py-evm), with a validator set of
EVM keys that sign as the orchestrators do (through `akechain.chain.modules.bridge.evm`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Sequence

from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract

from akechain.bridge.contract import load_artifact
from akechain.chain.modules.bridge.evm import (
    EvmSignature,
    batch_digest,
    compute_bridge_id,
    evm_address,
    sign_digest,
    valset_checkpoint,
)

GAS = 3_000_000  # explicit: eth-tester's estimation is slow


def evm_keys(count: int, salt: str = "v") -> list[bytes]:
    """Deterministic private keys, ordered by their address (the contract wants ascending sets)."""
    keys = [hashlib.sha256(f"{salt}{i}".encode()).digest() for i in range(count)]
    return sorted(keys, key=evm_address)


@dataclass
class Valset:
    keys: list[bytes]
    powers: list[int]
    nonce: int = 0

    @property
    def addresses(self) -> list[str]:
        return [Web3.to_checksum_address(evm_address(k)) for k in self.keys]

    def args(self) -> tuple:
        return (self.addresses, self.powers, self.nonce)

    def sign(self, digest: bytes, signers: Sequence[int]) -> list[tuple]:
        """The contract's signature slots: a real signature for each index in `signers`, v=0 elsewhere."""
        chosen = set(signers)
        return [
            sign_digest(key, digest).as_tuple() if i in chosen else (0, b"\0" * 32, b"\0" * 32)
            for i, key in enumerate(self.keys)
        ]


@dataclass
class Bridge:
    w3: Web3
    contract: Contract
    bridge_id: bytes
    valset: Valset
    users: list[str] = field(default_factory=list)

    def checkpoint(self, valset: Valset) -> bytes:
        return valset_checkpoint(self.bridge_id, valset.nonce, [evm_address(k) for k in valset.keys], valset.powers)

    def batch_digest(self, amounts: list[int], destinations: list[str], nonce: int, timeout: int) -> bytes:
        return batch_digest(self.bridge_id, amounts, [Web3.to_bytes(hexstr=d) for d in destinations], nonce, timeout)

    def transact(self, call, sender: str | None = None):
        """Send `call`; a revert raises its custom error (eth-tester mines a reverting tx silently,
        so the call is first run as a read)."""
        params = {"from": sender or self.w3.eth.accounts[0], "gas": GAS}
        call.call(params)
        tx = call.transact(params)
        return self.w3.eth.wait_for_transaction_receipt(tx)

    def submit_batch(self, amounts, destinations, nonce, timeout, signers, valset: Valset | None = None):
        signing_set = valset or self.valset
        sigs = signing_set.sign(self.batch_digest(amounts, destinations, nonce, timeout), signers)
        return self.transact(
            self.contract.functions.submitBatch(self.valset.args(), sigs, amounts, destinations, nonce, timeout)
        )

    def update_valset(self, new: Valset, signers, signing_set: Valset | None = None):
        sigs = (signing_set or self.valset).sign(self.checkpoint(new), signers)
        receipt = self.transact(self.contract.functions.updateValset(new.args(), self.valset.args(), sigs))
        self.valset = new
        return receipt

    def balance(self, address: str) -> int:
        return self.contract.functions.balanceOf(address).call()


def deploy_bridge(valset: Valset, chain_id: str = "ake-test") -> Bridge:
    w3 = Web3(EthereumTesterProvider())
    artifact = load_artifact()
    bridge_id = compute_bridge_id(chain_id)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(bridge_id, valset.addresses, valset.powers).transact({"from": w3.eth.accounts[0], "gas": 5_000_000})
    )
    contract = w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])
    return Bridge(w3=w3, contract=contract, bridge_id=bridge_id, valset=valset, users=list(w3.eth.accounts[1:5]))


__all__ = ["Bridge", "EvmSignature", "GAS", "Valset", "deploy_bridge", "evm_keys"]
