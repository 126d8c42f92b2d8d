"""akechain.testing.SimChain: the real app block by block in memory, hashes per height, queries,
genesis export/re-import and deterministic replay (also onto LevelDB)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from akechain.chain.crypto import get_address
from akechain.chain.modules.staking.msgs import MsgDelegate
from akechain.chain.tx import build_send_tx
from akechain.testing import SimChain
from akechain.testing.sim import SimChainError
from consensus.types import address_of
from staking_support import ADDRESSES, CONSENSUS_KEYS, Driver, make_staking_chain
from state.kv import LevelKV
from state.store import CommitStore
from test_app_support import AUTH_PARAMS, make_genesis, make_keys

KEYS = make_keys(2)
FEE = AUTH_PARAMS.min_fee


def sends(chain: SimChain, n: int) -> None:
    for nonce in range(n):
        chain.apply_block([build_send_tx(KEYS[0], chain.chain_id, nonce, get_address(KEYS[1]), 5, FEE)])


def test_blocks_apply_with_chosen_times_and_report_hashes_and_queries() -> None:
    chain = SimChain(make_genesis(KEYS)["app_state"])
    chain.apply_block(time_ms=5_000, seed=b"")  # no VRF output either, so nothing to fold into the chain seed
    sends(chain, 3)
    assert chain.height == 4 and sorted(chain.app_hashes) == [0, 1, 2, 3, 4]
    assert chain.app_hashes[1] == chain.app_hashes[0]  # genesis commits with the empty block 1
    assert len({chain.app_hashes[h] for h in range(1, 5)}) == 4  # each send block changed state
    assert chain.time_ms == 8_000
    assert chain.query("bank", "balance", get_address(KEYS[1])) == 10**9 + 15
    assert [r.code for b in chain.blocks[1:] for r in b.result.tx_results] == [0, 0, 0]
    chain.advance_to(7)
    assert chain.height == 7
    chain.check_invariants()
    with pytest.raises(SimChainError, match="before the previous"):
        chain.apply_block(time_ms=1)


def test_export_reimports_to_the_same_hash_and_replay_is_deterministic(tmp_path) -> None:
    chain = SimChain(make_genesis(KEYS)["app_state"])
    sends(chain, 4)
    assert SimChain(chain.export_genesis()).app_hashes[0] == chain.app_hashes[chain.height]
    on_disk = chain.replay(CommitStore(LevelKV(tmp_path / "db")))
    assert on_disk.app_hashes == chain.app_hashes
    chain.blocks[2] = replace(chain.blocks[2], app_hash=bytes(32))
    with pytest.raises(SimChainError, match="height 3"):
        chain.replay()


def test_blocks_carry_the_proposer_and_decided_last_commit_of_the_engine_rules() -> None:
    """The sim hands the app what a node would: the last set with signed flags (`absent` missed it),
    proposers from that set, and validator updates acting from H + 2."""
    d = Driver(make_staking_chain(validators=2))
    addresses = {address_of(CONSENSUS_KEYS[i]) for i in range(2)}
    first = d.chain.blocks[0].request
    assert first.decided_last_commit == () and first.proposer_address in addresses
    d.block()
    votes = d.chain.blocks[-1].request.decided_last_commit
    assert {v.validator_address for v in votes} == addresses and all(v.signed for v in votes)
    missed = address_of(CONSENSUS_KEYS[1])
    d.chain.apply_block(absent={missed})
    assert {v.validator_address: v.signed for v in d.chain.blocks[-1].request.decided_last_commit} == {
        address_of(CONSENSUS_KEYS[0]): True, missed: False}
    before = {v.validator_address: v.power for v in d.chain.blocks[-1].request.decided_last_commit}
    result = d.run(0, MsgDelegate(validator=ADDRESSES[0], amount=5_000))
    assert result.validator_updates, "the delegation changes validator 0's power"
    updated_at = d.chain.height
    for _ in range(3):
        d.block()
    powers = {b.request.height: {v.validator_address: v.power for v in b.request.decided_last_commit}
              for b in d.chain.blocks}
    # updates of H act from H + 2, which H + 3's last commit (signed by H + 2's set) shows first
    assert powers[updated_at + 2] == before
    assert powers[updated_at + 3][address_of(CONSENSUS_KEYS[0])] > before[address_of(CONSENSUS_KEYS[0])]
    assert d.chain.replay().app_hashes == d.chain.app_hashes

