"""The orchestrator each validator runs beside its node, and the relayer anyone may run: it signs the
chain's pending valsets and batches with the validator's EVM key, claims the contract's events (past
a confirmation depth) with event nonce = its last + 1, and submits signed valsets and batches to the
contract once > 2/3 of its current set's power signed them.

`step()` is synchronous and idempotent: every step reads where the chain and the contract are (the
chain's last event nonce for this validator, the contract's valset and batch nonces), so a restart,
or the EVM node or the AKE node going away for a while, neither double-claims nor loses anything.
`run_orchestrator` drives it from trio through `trio.to_thread`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import trio
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3Exception

from akechain.bridge.contract import load_artifact
from akechain.chain.codec import Msg
from akechain.client.http import NodeClientError
from akechain.client.wallet import TxFailedError
from akechain.chain.modules.bridge.evm import EvmSignature, compute_bridge_id, evm_address, sign_digest
from akechain.chain.modules.bridge.msgs import (
    MAX_RECIPIENT_LENGTH,
    MsgBatchExecutedClaim,
    MsgConfirmBatch,
    MsgConfirmValset,
    MsgDepositClaim,
    MsgValsetUpdatedClaim,
)

log = logging.getLogger(__name__)
GAS = 3_000_000  # explicit: estimation is slow on eth-tester and a batch's gas is bounded by its size
DEPLOY_GAS = 5_000_000
MAX_MSGS_PER_TX = 50
NO_SIGNATURE = (0, b"\0" * 32, b"\0" * 32)


class ChainPort(Protocol):
    """What the orchestrator needs of its AKE node: the `/bridge/*` views and a way to send txs."""

    address: str  # the validator operator (bech32)

    def view(self, name: str) -> Any: ...

    def orchestrator(self) -> dict[str, Any]: ...

    def send(self, msgs: Sequence[Msg]) -> None: ...


class NodePort:
    """A ChainPort over the node's HTTP API and the operator's wallet."""

    def __init__(self, wallet: Any) -> None:
        self.wallet = wallet
        self.address = wallet.address

    def view(self, name: str) -> Any:
        return self.wallet.client.bridge(name)

    def orchestrator(self) -> dict[str, Any]:
        return self.wallet.client.bridge_orchestrator(self.address)

    def send(self, msgs: Sequence[Msg]) -> None:
        self.wallet.send(list(msgs))


def from_hex(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def get_valset_args(valset: dict[str, Any]) -> tuple[list[str], list[int], int]:
    return ([Web3.to_checksum_address(m["evm_address"]) for m in valset["members"]],
            [m["power"] for m in valset["members"]], valset["nonce"])


def get_signature_slots(current: dict[str, Any], signed: dict[str, Any]) -> tuple[list[tuple], bool]:
    """The contract's signature slots for `current`'s members from `signed`'s signatures, and whether
    they carry more than 2/3 of `current`'s power."""
    by_address = {s["evm_address"]: s["signature"] for s in signed["signatures"]}
    slots, power, total = [], 0, 0
    for member in current["members"]:
        total += member["power"]
        signature = by_address.get(member["evm_address"])
        if signature is None:
            slots.append(NO_SIGNATURE)
        else:
            slots.append(EvmSignature.from_bytes(from_hex(signature)).as_tuple())
            power += member["power"]
    return slots, power * 3 > total * 2


def compute_claims(contract: Contract, from_block: int, to_block: int, next_nonce: int) -> list[Msg]:
    """Claims for the contract's events from `next_nonce` on, in nonce order and without a gap."""
    if to_block < from_block:
        return []
    found: dict[int, Msg] = {}
    events = contract.events
    for event in events.SendToAke.get_logs(from_block=from_block, to_block=to_block):
        a = event["args"]
        found[a["eventNonce"]] = MsgDepositClaim(a["eventNonce"], event["blockNumber"], from_hex(a["sender"]),
                                                 a["akeRecipient"][:MAX_RECIPIENT_LENGTH], a["amount"])
    for event in events.BatchExecuted.get_logs(from_block=from_block, to_block=to_block):
        a = event["args"]
        found[a["eventNonce"]] = MsgBatchExecutedClaim(a["eventNonce"], event["blockNumber"], a["batchNonce"])
    for event in events.ValsetUpdated.get_logs(from_block=from_block, to_block=to_block):
        a = event["args"]
        if a["eventNonce"]:  # 0 is the deployment's
            found[a["eventNonce"]] = MsgValsetUpdatedClaim(a["eventNonce"], event["blockNumber"], a["valsetNonce"])
    claims = []
    while next_nonce in found:
        claims.append(found[next_nonce])
        next_nonce += 1
    return claims


@dataclass
class Orchestrator:
    chain: ChainPort
    w3: Web3
    contract: Contract
    evm_key: bytes  # signs valsets and batches, and pays the relayed txs' gas
    confirmations: int = 0  # EVM blocks an event must be buried under before it is claimed
    from_block: int = 0  # the contract's deployment block
    relay: bool = True

    @property
    def evm_address(self) -> str:
        return Web3.to_checksum_address(evm_address(self.evm_key))

    def step(self) -> dict[str, int]:
        """One round: sign, claim, relay. Returns how many of each it did."""
        done = {"signed": self.sign_pending(), "claimed": self.claim_events()}
        done["relayed"] = self.relay_signed() if self.relay else 0
        return done

    def sign_pending(self) -> int:
        msgs: list[Msg] = []
        for name, make in (("valsets", MsgConfirmValset), ("batches", MsgConfirmBatch)):
            for item in self.chain.view(name):
                signed = {s["validator"] for s in item["signatures"]}
                if item["digest"] and self.chain.address in item["signers"] and self.chain.address not in signed:
                    signature = sign_digest(self.evm_key, from_hex(item["digest"])).to_bytes()
                    msgs.append(make(item["nonce"], signature))
        self.send(msgs)
        return len(msgs)

    def claim_events(self) -> int:
        next_nonce = self.chain.orchestrator()["last_event_nonce"] + 1
        head = self.w3.eth.block_number - self.confirmations
        claims = compute_claims(self.contract, self.from_block, head, next_nonce)
        self.send(claims)
        return len(claims)

    def send(self, msgs: list[Msg]) -> None:
        for start in range(0, len(msgs), MAX_MSGS_PER_TX):
            self.chain.send(msgs[start:start + MAX_MSGS_PER_TX])

    def relay_signed(self) -> int:
        """Submit the next valsets (each signed by > 2/3 of the contract's current set), then every
        batch newer than the contract's last that its current set signed and that has not timed out."""
        functions = self.contract.functions
        valsets = {v["nonce"]: v for v in self.chain.view("valsets")}
        current = valsets.get(functions.stateValsetNonce().call())
        if current is None:
            return 0
        relayed = 0
        while (new := valsets.get(current["nonce"] + 1)) is not None:
            slots, enough = get_signature_slots(current, new)
            if not enough or not self.transact(functions.updateValset(get_valset_args(new), get_valset_args(current), slots)):
                break
            current, relayed = new, relayed + 1
        last_batch = functions.stateLastBatchNonce().call()
        height = self.w3.eth.block_number
        for batch in sorted(self.chain.view("batches"), key=lambda b: b["nonce"]):
            if batch["executed"] or batch["nonce"] <= last_batch or batch["timeout"] <= height + 1:
                continue
            slots, enough = get_signature_slots(current, batch)
            call = functions.submitBatch(get_valset_args(current), slots, [t["amount"] for t in batch["transfers"]],
                                         [Web3.to_checksum_address(t["destination"]) for t in batch["transfers"]],
                                         batch["nonce"], batch["timeout"])
            if enough and self.transact(call):
                last_batch, relayed = batch["nonce"], relayed + 1
        return relayed

    def transact(self, call: Any) -> bool:
        """Send `call` from the EVM key; False when it would revert (another relayer was first)."""
        sender = self.evm_address
        try:
            call.call({"from": sender, "gas": GAS})
        except ContractLogicError as exc:
            log.info("not relaying: %s", exc)
            return False
        tx = call.build_transaction({"from": sender, "gas": GAS, "nonce": self.w3.eth.get_transaction_count(sender)})
        signed = self.w3.eth.account.sign_transaction(tx, self.evm_key)
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        return receipt["status"] == 1


def deploy_contract(w3: Web3, evm_key: bytes, chain_id: str, valset: dict[str, Any]) -> tuple[str, int]:
    """Deploy AkeBridge with the chain's valset 0 (the contract starts at nonce 0; relayers then
    bring it to the chain's latest set); returns its address and deployment block."""
    if valset["nonce"] != 0:
        raise ValueError(f"the contract starts at valset 0, got valset {valset['nonce']}")
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    addresses, powers, _ = get_valset_args(valset)
    sender = Web3.to_checksum_address(evm_address(evm_key))
    tx = factory.constructor(compute_bridge_id(chain_id), addresses, powers).build_transaction(
        {"from": sender, "gas": DEPLOY_GAS, "nonce": w3.eth.get_transaction_count(sender)})
    signed = w3.eth.account.sign_transaction(tx, evm_key)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
    return receipt["contractAddress"], receipt["blockNumber"]


def open_contract(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact()["abi"])


async def run_orchestrator(orchestrator: Orchestrator, interval: float, steps: int | None = None) -> None:
    """Step every `interval` seconds until cancelled (or `steps` done); a node or EVM endpoint that is
    away is logged and retried at the next step."""
    done = 0
    while steps is None or done < steps:
        try:
            result = await trio.to_thread.run_sync(orchestrator.step)
            if any(result.values()):
                log.info("bridge step: %s", result)
        except (OSError, Web3Exception, ValueError, NodeClientError, TxFailedError) as exc:
            # the EVM node or the AKE node away, or a tx the chain refused (raced by a block): retry
            log.warning("bridge step failed, retrying: %s: %s", type(exc).__name__, exc)
        done += 1
        await trio.sleep(interval)
