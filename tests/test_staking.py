"""Staking unit tests: each message on the real App (SimChain), each bad input refused with its
typed error and no state change beyond the fee and nonce, genesis from gentxs, queues by block time,
the active set and its validator updates, and a delegation reaching the consensus set at H+2."""
from __future__ import annotations

from dataclasses import replace

import pytest

from akechain.chain.codec import GenesisError, InvalidMsgError
from akechain.chain.crypto import get_pub_key
from akechain.chain.genesis import build_gentx, build_genesis
from akechain.chain.modules.bank.keeper import InsufficientFundsError, get_balance
from akechain.chain.modules.staking import errors as e
from akechain.chain.modules.staking.msgs import (
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
)
from akechain.chain.modules.staking.params import DAY_MS
from akechain.chain.modules.staking.records import BONDED, BONDED_POOL, NOT_BONDED_POOL, UNBONDED, UNBONDING
from akechain.chain.tx import build_tx
from akechain.testing import SimChain
from consensus.abci import Misbehavior, ValidatorUpdate
from consensus.chain import block_request, genesis_state, make_block, next_state
from consensus.proposer import make_validator_set
from consensus.vrf import PROOF_SIZE
from consensus.types import FLAG_COMMIT, Commit, CommitSig, address_of
from staking_support import (
    ADDRESSES,
    BLOCK_MS,
    CONSENSUS_KEYS,
    FEE,
    GENESIS_AMOUNT,
    GENESIS_BOND,
    KEYS,
    PARAMS,
    Driver,
    create_validator_msg,
    make_staking_chain,
)
from test_app_support import AUTH_PARAMS, CHAIN_ID

V0, V1, V2, V3 = ADDRESSES[:4]
D = 4  # index of a plain delegator


@pytest.fixture
def d() -> Driver:
    return Driver(make_staking_chain())


def validator(d: Driver, operator: bytes):
    view = d.chain.query("staking", "validator", operator)
    return None if view is None else view.validator


def power(d: Driver, operator: bytes) -> int:
    return d.chain.query("staking", "validator", operator).power


def staking_state(d: Driver) -> tuple:
    """Everything staking holds, plus the pools: what a refused message must leave as it was."""
    view, _ = d.chain.app.get_state_view()
    return d.chain.export_genesis()["staking"], get_balance(view, BONDED_POOL), get_balance(view, NOT_BONDED_POOL)


def refused(d: Driver, i: int, msg, error: type) -> None:
    before = staking_state(d)
    result = d.run(i, msg)
    assert result.tx_results[0].code == error.code, result.tx_results[0].log
    assert staking_state(d) == before
    d.chain.check_invariants()


# -- genesis ----------------------------------------------------------------------------------


def test_genesis_validators_come_from_gentxs() -> None:
    chain = make_staking_chain(validators=2)
    chain.apply_block()  # queries read committed state, and genesis commits with block 1
    views = chain.query("staking", "validators")
    assert sorted(v.validator.operator for v in views) == sorted([V0, V1])
    assert all(v.validator.status == BONDED and v.power == GENESIS_BOND // PARAMS.power_reduction for v in views)
    assert chain.app.get_account(V0).nonce == 1  # the gentx was V0's first tx
    assert get_balance(chain.app.get_state_view()[0], V0) == GENESIS_AMOUNT - GENESIS_BOND - FEE
    chain.check_invariants()


def test_init_chain_answers_the_bonded_set() -> None:
    from akechain.chain.app import App
    from akechain.chain.genesis import encode_app_state
    from consensus.abci import GenesisRequest
    from state.kv import MemoryKV
    from state.store import CommitStore

    gentxs = [build_gentx(KEYS[i], CHAIN_ID, CONSENSUS_KEYS[i], f"v{i}", GENESIS_BOND * (i + 1), AUTH_PARAMS) for i in range(3)]
    genesis = build_genesis(CHAIN_ID, gentxs, {a: GENESIS_AMOUNT for a in ADDRESSES}, AUTH_PARAMS,
                            staking_params=PARAMS)
    app = App(CommitStore(MemoryKV()))
    response = app.init_chain(GenesisRequest(CHAIN_ID, 0, 1, encode_app_state(genesis["app_state"]), ()))
    assert sorted(response.validators, key=lambda u: u.pub_key) == sorted(
        (ValidatorUpdate(CONSENSUS_KEYS[i], 10 * (i + 1)) for i in range(3)), key=lambda u: u.pub_key)


def test_a_failing_gentx_fails_the_genesis() -> None:
    poor = build_gentx(KEYS[0], CHAIN_ID, CONSENSUS_KEYS[0], "v0", GENESIS_AMOUNT * 2, AUTH_PARAMS)
    genesis = build_genesis(CHAIN_ID, [poor], {a: GENESIS_AMOUNT for a in ADDRESSES}, AUTH_PARAMS,
                            staking_params=PARAMS)
    with pytest.raises(GenesisError, match="genesis tx 0 failed"):
        SimChain(genesis["app_state"], CHAIN_ID)
    other_chain = build_gentx(KEYS[0], "other-chain", CONSENSUS_KEYS[0], "v0", GENESIS_BOND, AUTH_PARAMS)
    genesis["app_state"]["staking"]["gentxs"] = [other_chain.hex()]
    with pytest.raises(GenesisError, match="code 13"):
        SimChain(genesis["app_state"], CHAIN_ID)


def test_export_reimports_to_the_same_app_hash_and_set(d: Driver) -> None:
    d.tx(D, MsgDelegate(V0, 7_000))
    d.tx(1, MsgUndelegate(V1, 2_000))
    d.block()
    exported = d.chain.export_genesis()
    assert "gentxs" not in exported["staking"]
    again = type(d.chain)(exported, CHAIN_ID)
    assert again.app_hashes[0] == d.chain.app_hashes[d.chain.height]
    again.check_invariants()


# -- messages ---------------------------------------------------------------------------------


def test_create_validator_bonds_at_the_end_of_the_block(d: Driver) -> None:
    result = d.run(2, create_validator_msg(2, 5_000))
    assert result.tx_results[0].ok
    assert validator(d, V2).status == BONDED and power(d, V2) == 5
    assert result.validator_updates == (ValidatorUpdate(CONSENSUS_KEYS[2], 5),)
    d.chain.check_invariants()


def test_create_validator_refusals(d: Driver) -> None:
    refused(d, 0, create_validator_msg(0), e.ValidatorExistsError)
    refused(d, 2, create_validator_msg(2, consensus_pub_key=CONSENSUS_KEYS[0]), e.ConsensusKeyInUseError)
    refused(d, 2, create_validator_msg(2, consensus_pub_key=get_pub_key(KEYS[2])), e.ConsensusKeyIsAccountKeyError)
    refused(d, 2, create_validator_msg(2, PARAMS.min_self_delegation - 1), e.SelfDelegationTooLowError)


def test_stateless_refusals_are_typed() -> None:
    with pytest.raises(e.CommissionAboveMaxError):
        create_validator_msg(2, commission_rate_bps=3_000).validate_basic()
    with pytest.raises(e.CommissionAboveMaxError):
        create_validator_msg(2, max_change_rate_bps=3_000).validate_basic()
    with pytest.raises(e.SelfRedelegationError):
        MsgBeginRedelegate(V0, V0, 10).validate_basic()
    with pytest.raises(InvalidMsgError):
        MsgEditValidator(None, None).validate_basic()
    with pytest.raises(InvalidMsgError):
        MsgDelegate(V0, 0).validate_basic()
    assert issubclass(e.SelfRedelegationError, InvalidMsgError) and e.SelfRedelegationError.code == 109


def test_edit_validator_commission_rules(d: Driver) -> None:
    refused(d, 2, MsgEditValidator("x", None), e.ValidatorNotFoundError)
    refused(d, 0, MsgEditValidator(None, 1_050), e.CommissionChangeError)  # the first day counts from creation
    d.block(DAY_MS)
    refused(d, 0, MsgEditValidator(None, 1_101), e.CommissionChangeError)  # more than max_change_rate (100)
    refused(d, 0, MsgEditValidator(None, 2_001), e.CommissionAboveMaxError)
    assert d.run(0, MsgEditValidator("renamed", 1_100)).tx_results[0].ok
    assert (validator(d, V0).moniker, validator(d, V0).commission_rate_bps) == ("renamed", 1_100)
    refused(d, 0, MsgEditValidator(None, 1_050), e.CommissionChangeError)  # once a day
    assert d.run(0, MsgEditValidator("again", None)).tx_results[0].ok  # the moniker changes any time


def test_delegate_and_its_refusals(d: Driver) -> None:
    result = d.run(D, MsgDelegate(V0, 5_000))
    assert result.tx_results[0].ok
    assert result.validator_updates == (ValidatorUpdate(CONSENSUS_KEYS[0], 15),)
    assert [x.shares for x in d.chain.query("staking", "delegations", ADDRESSES[D])] == [5_000]
    refused(d, D, MsgDelegate(V3, 5_000), e.ValidatorNotFoundError)
    refused(d, D, MsgDelegate(V0, GENESIS_AMOUNT), InsufficientFundsError)


def tombstone(d: Driver, operator: bytes) -> None:
    """Double-sign evidence against the validator (slashing tombstones and jails it): out of the set at once."""
    i = ADDRESSES.index(operator)
    evidence = Misbehavior(address_of(CONSENSUS_KEYS[i]), d.chain.height, d.chain.time_ms, power(d, operator))
    result = d.chain.apply_block(time_ms=d.chain.time_ms + BLOCK_MS, misbehavior=[evidence])
    assert result.validator_updates == (ValidatorUpdate(CONSENSUS_KEYS[i], 0),)
    assert validator(d, operator).tombstoned


def test_delegation_to_a_tombstoned_validator_is_refused(d: Driver) -> None:
    tombstone(d, V1)
    refused(d, D, MsgDelegate(V1, 5_000), e.ValidatorTombstonedError)


def test_undelegate_locks_tokens_for_the_unbonding_time(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 5_000))
    refused(d, D, MsgUndelegate(V0, 5_001), e.InsufficientDelegationError)
    refused(d, D, MsgUndelegate(V1, 1), e.DelegationNotFoundError)
    balance = d.chain.app.get_account(ADDRESSES[D]).balance
    result = d.run(D, MsgUndelegate(V0, 2_000))
    assert result.validator_updates == (ValidatorUpdate(CONSENSUS_KEYS[0], 13),)
    (ubd,) = d.chain.query("staking", "unbonding", ADDRESSES[D])
    (entry,) = ubd.entries
    assert entry.balance == 2_000 and entry.completion_time_ms == d.chain.time_ms + PARAMS.unbonding_time_ms
    d.chain.check_invariants()
    d.block(PARAMS.unbonding_time_ms - 1)  # one ms short: still locked
    assert d.chain.query("staking", "unbonding", ADDRESSES[D]) != []
    d.block(1)
    assert d.chain.query("staking", "unbonding", ADDRESSES[D]) == []
    assert d.chain.app.get_account(ADDRESSES[D]).balance == balance - FEE + 2_000
    d.chain.check_invariants()


def test_unbonding_entries_are_capped_and_merge_within_a_block(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 5_000))
    d.tx(D, MsgUndelegate(V0, 10))
    d.tx(D, MsgUndelegate(V0, 10))  # same height: merges into one entry
    d.block()
    for _ in range(PARAMS.max_entries - 1):
        d.run(D, MsgUndelegate(V0, 10))
    (ubd,) = d.chain.query("staking", "unbonding", ADDRESSES[D])
    assert len(ubd.entries) == PARAMS.max_entries and ubd.entries[0].balance == 20
    refused(d, D, MsgUndelegate(V0, 10), e.TooManyEntriesError)


def test_cancel_unbonding(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 5_000))
    d.run(D, MsgUndelegate(V0, 3_000))
    height = d.chain.height
    refused(d, D, MsgCancelUnbondingDelegation(V0, 10, height - 1), e.UnbondingEntryNotFoundError)
    refused(d, D, MsgCancelUnbondingDelegation(V0, 3_001, height), e.CancelTooMuchError)
    refused(d, D, MsgCancelUnbondingDelegation(V1, 10, height), e.UnbondingEntryNotFoundError)
    result = d.run(D, MsgCancelUnbondingDelegation(V0, 1_000, height))
    assert result.validator_updates == (ValidatorUpdate(CONSENSUS_KEYS[0], 13),)
    assert d.chain.query("staking", "unbonding", ADDRESSES[D])[0].entries[0].balance == 2_000
    d.run(D, MsgCancelUnbondingDelegation(V0, 2_000, height))
    assert d.chain.query("staking", "unbonding", ADDRESSES[D]) == []
    assert d.chain.query("staking", "delegations", ADDRESSES[D])[0].shares == 5_000
    d.block(PARAMS.unbonding_time_ms)  # the dropped entry's queue key went with it: nothing pays out
    d.chain.check_invariants()
    d.run(D, MsgUndelegate(V0, 1_000))
    d.block(PARAMS.unbonding_time_ms)
    refused(d, D, MsgCancelUnbondingDelegation(V0, 10, d.chain.height - 1), e.UnbondingEntryNotFoundError)


def test_redelegate_and_the_no_hop_rule(d: Driver) -> None:
    d.run(2, create_validator_msg(2, 5_000))
    d.run(D, MsgDelegate(V0, 5_000))
    result = d.run(D, MsgBeginRedelegate(V0, V1, 2_000))
    assert result.tx_results[0].ok
    assert set(result.validator_updates) == {ValidatorUpdate(CONSENSUS_KEYS[0], 13), ValidatorUpdate(CONSENSUS_KEYS[1], 12)}
    (red,) = d.chain.query("staking", "redelegations", ADDRESSES[D])
    assert (red.src_validator, red.dst_validator, red.entries[0].balance) == (V0, V1, 2_000)
    refused(d, D, MsgBeginRedelegate(V1, V2, 1_000), e.TransitiveRedelegationError)
    refused(d, D, MsgBeginRedelegate(V0, V3, 1_000), e.ValidatorNotFoundError)
    refused(d, D, MsgBeginRedelegate(V0, V2, 3_001), e.InsufficientDelegationError)
    with pytest.raises(e.SelfRedelegationError):
        build_tx(KEYS[D], CHAIN_ID, 0, FEE, [MsgBeginRedelegate(V0, V0, 1)])
    d.block(PARAMS.unbonding_time_ms)  # matured: the stake may move on
    assert d.chain.query("staking", "redelegations", ADDRESSES[D]) == []
    assert d.run(D, MsgBeginRedelegate(V1, V2, 1_000)).tx_results[0].ok
    d.chain.check_invariants()


def test_redelegation_entries_are_capped(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 5_000))
    for _ in range(PARAMS.max_entries):
        d.run(D, MsgBeginRedelegate(V0, V1, 10))
    refused(d, D, MsgBeginRedelegate(V0, V1, 10), e.TooManyEntriesError)


def test_self_undelegation_below_the_minimum_jails(d: Driver) -> None:
    result = d.run(0, MsgUndelegate(V0, GENESIS_BOND - PARAMS.min_self_delegation + 1))
    assert result.validator_updates == (ValidatorUpdate(CONSENSUS_KEYS[0], 0),)
    assert validator(d, V0).jailed and validator(d, V0).status == UNBONDING
    d.chain.check_invariants()


# -- the active set ---------------------------------------------------------------------------


def test_active_set_is_the_top_max_validators_and_changes_are_diffs(d: Driver) -> None:
    d.run(2, create_validator_msg(2, 5_000))
    result = d.run(3, create_validator_msg(3, 6_000))  # max_validators = 3: v2 (weakest) leaves
    assert set(result.validator_updates) == {ValidatorUpdate(CONSENSUS_KEYS[3], 6), ValidatorUpdate(CONSENSUS_KEYS[2], 0)}
    assert validator(d, V2).status == UNBONDING and power(d, V2) == 0
    assert d.block().validator_updates == ()  # nothing changed: no updates
    result = d.run(D, MsgDelegate(V2, 20_000))  # v2 back on top, the weakest (v3) out
    assert set(result.validator_updates) == {ValidatorUpdate(CONSENSUS_KEYS[2], 25), ValidatorUpdate(CONSENSUS_KEYS[3], 0)}
    assert validator(d, V2).status == BONDED
    d.block(PARAMS.unbonding_time_ms)
    assert validator(d, V3).status == UNBONDED
    d.chain.check_invariants()


def test_power_ties_break_by_operator_address() -> None:
    d = Driver(make_staking_chain(validators=3))
    result = d.run(3, create_validator_msg(3, GENESIS_BOND))  # four equal: the highest address loses
    loser = max(ADDRESSES[:4])
    assert ValidatorUpdate(CONSENSUS_KEYS[ADDRESSES.index(loser)], 0) in result.validator_updates
    assert validator(d, loser).status == UNBONDING


def test_a_validator_undelegated_to_zero_is_removed_once_unbonded(d: Driver) -> None:
    d.run(2, create_validator_msg(2, 5_000))
    d.run(2, MsgUndelegate(V2, 5_000))
    assert validator(d, V2).status == UNBONDING
    d.block(PARAMS.unbonding_time_ms)
    assert validator(d, V2) is None
    assert d.run(3, create_validator_msg(3, 5_000, consensus_pub_key=CONSENSUS_KEYS[2])).tx_results[0].ok  # key free again
    d.chain.check_invariants()


def test_a_delegation_changes_the_consensus_set_at_h_plus_2() -> None:
    """Drive consensus' own chain state with the app's results: the update of block H is in the set
    that decides H+2 (and in H+1's next-validators hash), not before."""
    chain = make_staking_chain()
    app = chain.app
    response_set = make_validator_set([ValidatorUpdate(CONSENSUS_KEYS[i], 10) for i in range(2)])
    state = genesis_state(CHAIN_ID, 1, 0, response_set, chain.app_hashes[0])
    nonce = app.get_account(ADDRESSES[D]).nonce
    powers: dict[int, dict[bytes, int]] = {}
    delegated_at = 3
    for height in range(1, 7):
        txs = (build_tx(KEYS[D], CHAIN_ID, nonce, FEE, [MsgDelegate(V0, 7_000)]),) if height == delegated_at else ()
        block = make_block(state, txs, (), state.validators.validators[0].address, bytes(PROOF_SIZE))  # the app does not check it
        powers[height] = {v.pub_key: v.power for v in state.validators.validators}
        result = app.finalize_block(block_request(block))
        app_hash = app.commit()
        sigs = tuple(CommitSig(FLAG_COMMIT, v.address, block.header.time_ms + 1_000, b"") for v in state.validators.validators)
        state = next_state(state, block, Commit(height, 0, block.block_id, sigs), app_hash, result.validator_updates)
    assert all(powers[h][CONSENSUS_KEYS[0]] == 10 for h in range(1, delegated_at + 2))
    assert all(powers[h][CONSENSUS_KEYS[0]] == 17 for h in range(delegated_at + 2, 7))
