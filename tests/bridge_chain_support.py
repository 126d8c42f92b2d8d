"""A 4-validator SimChain with the bridge module's short windows, each validator with an EVM key,
and helpers that sign as orchestrators do (shared by the bridge module tests and its state machine)."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any, Sequence

from akechain.chain.genesis import build_gentx, build_genesis
from akechain.chain.modules.bridge.evm import (
    batch_digest,
    compute_bridge_id,
    evm_address,
    registration_digest,
    sign_digest,
    valset_checkpoint,
)
from akechain.chain.modules.bridge.msgs import MsgRegisterEvmKey
from akechain.chain.modules.bridge.params import Params as BridgeParams
from akechain.chain.modules.gov.params import DEFAULT_PARAMS as DEFAULT_GOV_PARAMS
from akechain.chain.modules.gov.params import Params as GovParams
from akechain.chain.crypto import format_address
from akechain.chain.multisig import compute_account_address
from akechain.node.rpc.bridge import get_orchestrator, get_view
from akechain.testing import SimChain
from staking_support import ADDRESSES, AUTH_PARAMS, CHAIN_ID, CONSENSUS_KEYS, GENESIS_AMOUNT, GENESIS_BOND, KEYS, NO_REWARDS, PARAMS, SLASHING_PARAMS, Driver

VALIDATORS = 4
BRIDGE_PARAMS = BridgeParams(max_batch_size=3, max_pending_batches=2, max_queued_transfers=10, batch_timeout_evm_blocks=50,
                             valset_change_bps=500, max_pending_valsets=5, max_claims_ahead=20, signed_window_blocks=5,  # windows close fast
                             slash_fraction_missing_signature=100, slash_fraction_bad_signature=500)
EVM_KEYS = [hashlib.sha256(b"bridge-test-evm" + bytes([i])).digest() for i in range(len(KEYS))]
EVM_ADDRESSES = [evm_address(k) for k in EVM_KEYS]
BRIDGE_ID = compute_bridge_id(CHAIN_ID)
USER = VALIDATORS  # account index of a plain user


def make_bridge_chain(bridge_params: BridgeParams = BRIDGE_PARAMS, guardian: dict | None = None,
                      gov_params: GovParams = DEFAULT_GOV_PARAMS) -> SimChain:
    """`guardian`: gov's genesis guardian ({"pub_key": hex multisig key, "powers": [...]}), its account funded."""
    gentxs = [build_gentx(KEYS[i], CHAIN_ID, CONSENSUS_KEYS[i], f"v{i}", GENESIS_BOND, AUTH_PARAMS) for i in range(VALIDATORS)]
    accounts = {a: GENESIS_AMOUNT for a in ADDRESSES}
    if guardian is not None:
        accounts[compute_account_address(bytes.fromhex(guardian["pub_key"]))] = GENESIS_AMOUNT
    genesis = build_genesis(CHAIN_ID, gentxs, accounts, AUTH_PARAMS,
                            staking_params=replace(PARAMS, max_validators=VALIDATORS), slashing_params=SLASHING_PARAMS,
                            distribution_params=NO_REWARDS, bridge_params=bridge_params, gov_params=gov_params)
    if guardian is not None:
        genesis["app_state"]["gov"]["guardian"] = guardian
    return SimChain(genesis["app_state"], CHAIN_ID)


def register_msg(i: int, key: bytes | None = None) -> MsgRegisterEvmKey:
    key = EVM_KEYS[i] if key is None else key
    return MsgRegisterEvmKey(evm_address(key), sign_digest(key, registration_digest(BRIDGE_ID, ADDRESSES[i])).to_bytes())


def make_registered_driver(bridge_params: BridgeParams = BRIDGE_PARAMS) -> Driver:
    """Every validator registered; valset 0 made."""
    d = Driver(make_bridge_chain(bridge_params))
    for i in range(VALIDATORS):
        d.tx(i, register_msg(i))
    d.block()
    return d


def sign_valset(i: int, valset) -> bytes:
    digest = valset_checkpoint(BRIDGE_ID, valset.nonce, [m.evm_address for m in valset.members], [m.power for m in valset.members])
    return sign_digest(EVM_KEYS[i], digest).to_bytes()


def sign_batch(i: int, batch) -> bytes:
    digest = batch_digest(BRIDGE_ID, [t.amount for t in batch.transfers], [t.destination for t in batch.transfers],
                          batch.nonce, batch.timeout)
    return sign_digest(EVM_KEYS[i], digest).to_bytes()


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
