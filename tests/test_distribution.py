"""Distribution unit tests on the real App (SimChain): the emission schedule, the block's split into
burn, treasury and the signers' rewards, commission, delegators paid pro rata and never twice, the
staking hooks settling rewards, withdraw addresses, a slash and a removal keeping the accounting
exact, bad input refused with its typed error, O(1) claims, and genesis export/import."""
from __future__ import annotations

from dataclasses import replace

import pytest

from akechain.chain.genesis import export_app_state, init_app_state
from akechain.chain.modules.bank.keeper import FEE_COLLECTOR, TREASURY, get_supply
from akechain.chain.modules.distribution import errors as de
from akechain.chain.modules.distribution.beginblock import compute_block_emission, get_initial_emission, process_emission
from akechain.chain.modules.distribution.msgs import (
    MsgSetWithdrawAddress,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
)
from akechain.chain.modules.distribution.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.distribution.queries import query_reward
from akechain.chain.modules.distribution.records import EMISSION_KEY, REWARDS_POOL
from akechain.chain.modules.staking.msgs import MsgBeginRedelegate, MsgDelegate, MsgUndelegate
from akechain.chain.store import Journal
from akechain.testing import SimChain
from consensus.types import address_of
from staking_support import ADDRESSES, CONSENSUS_KEYS, FEE, GENESIS_BOND, Driver, make_staking_chain

V0, V1, V2 = ADDRESSES[:3]
D, E = 4, 5  # plain delegators
EMISSION = 1_000_000
REWARDS = replace(DEFAULT_PARAMS, burn_bps=2_000, treasury_bps=1_000, emission_per_block=EMISSION)
COMMISSION_BPS = 1_000  # the gentxs'


@pytest.fixture
def d() -> Driver:
    driver = Driver(make_staking_chain(validators=2, distribution_params=REWARDS))
    driver.block()  # from here on every block's last commit holds both validators
    return driver


def reward(d: Driver, delegator: bytes, validator: bytes) -> int:
    return d.chain.query("distribution", "reward", delegator, validator)


def balance(d: Driver, address: bytes) -> int:
    return d.chain.app.get_account(address).balance


def events(result, kind: str) -> list[dict[str, str]]:
    """The block's events of `kind` (begin and end block), then those of its txs."""
    found = [*result.events, *(event for r in result.tx_results for event in r.events)]
    return [dict(attrs) for k, attrs in found if k == kind]


# -- emission ----------------------------------------------------------------------------------


def test_the_emission_decays_each_epoch_and_stops_at_the_end_height_or_the_cap() -> None:
    params = replace(DEFAULT_PARAMS, emission_per_block=1_000, emission_decay_bps=5_000, emission_epoch_blocks=3,
                     emission_end_height=100, emission_cap=5_000)
    store = Journal(lambda key: None, lambda prefix, start: [])
    PARAMS.set(store, params)
    store.set(EMISSION_KEY, get_initial_emission(params))
    minted = [process_emission(store, height, params) for height in range(1, 12)]
    # 3 blocks of 1000, 3 of 500, then 250 a block until the cap (5000) is reached
    assert minted == [1_000, 1_000, 1_000, 500, 500, 500, 250, 250, 0, 0, 0]
    assert sum(minted) == params.emission_cap
    ended = replace(params, emission_end_height=4, emission_cap=10**9)
    emission = get_initial_emission(ended)
    assert [compute_block_emission(emission, h, ended) for h in (4, 5)] == [1_000, 0]


def test_each_block_mints_and_splits_the_pot_into_burn_treasury_and_the_signers(d: Driver) -> None:
    supply, treasury = get_supply(d.chain.app.get_state_view()[0]), balance(d, TREASURY)
    owed = [reward(d, v, v) for v in (V0, V1)]
    commission = [d.chain.query("distribution", "commission", v) for v in (V0, V1)]
    result = d.block()  # no fees in the last block: the pot is the emission alone
    burned, to_treasury = EMISSION * REWARDS.burn_bps // 10_000, EMISSION * REWARDS.treasury_bps // 10_000
    share = (EMISSION - burned - to_treasury) // 2  # equal power
    [event] = events(result, "rewards")
    assert (int(event["minted"]), int(event["pot"]), int(event["burned"])) == (EMISSION, EMISSION, burned)
    after = get_supply(d.chain.app.get_state_view()[0])
    assert (after.minted, after.burned) == (supply.minted + EMISSION, supply.burned + burned)
    assert balance(d, TREASURY) == treasury + to_treasury and balance(d, FEE_COLLECTOR) == 0
    for i, v in enumerate((V0, V1)):
        assert d.chain.query("distribution", "commission", v) == commission[i] + share * COMMISSION_BPS // 10_000
        assert reward(d, v, v) == owed[i] + share - share * COMMISSION_BPS // 10_000
    d.chain.check_invariants()


def test_fees_join_the_next_blocks_pot(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 1_000))
    assert balance(d, FEE_COLLECTOR) == FEE
    [event] = events(d.block(), "rewards")
    assert int(event["pot"]) == EMISSION + FEE and balance(d, FEE_COLLECTOR) == 0


def test_an_absent_validator_earns_nothing_for_that_block(d: Driver) -> None:
    before = [reward(d, v, v) for v in (V0, V1)]
    d.block(absent={address_of(CONSENSUS_KEYS[1])})
    assert reward(d, V1, V1) == before[1] and reward(d, V0, V0) > before[0]


# -- delegators ----------------------------------------------------------------------------------


def test_delegators_earn_pro_rata_and_a_withdrawal_pays_once(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, GENESIS_BOND))  # as much as the operator: the same shares
    start = reward(d, V0, V0)
    for _ in range(5):
        d.block()
    earned = reward(d, ADDRESSES[D], V0)
    assert earned > 0 and earned == reward(d, V0, V0) - start
    before = balance(d, ADDRESSES[D])
    result = d.run(D, MsgWithdrawDelegatorReward(V0), MsgWithdrawDelegatorReward(V0))
    paid = [int(e["amount"]) for e in events(result, "withdraw_rewards")]
    # the second pays nothing: the first restarted the delegation at the accumulator of this block
    assert paid[1] == 0 and paid[0] >= earned
    assert balance(d, ADDRESSES[D]) == before - FEE + paid[0]
    totals = d.chain.query("distribution", "totals")
    assert totals.rewards_paid <= totals.rewards_credited
    d.chain.check_invariants()


def test_delegating_undelegating_and_redelegating_settle_the_rewards_earned_so_far(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 5_000))
    d.block()
    for msg in (MsgDelegate(V0, 1_000), MsgUndelegate(V0, 2_000), MsgBeginRedelegate(V0, V1, 1_000)):
        d.block()
        owed = reward(d, ADDRESSES[D], V0)
        assert owed > 0
        before = balance(d, ADDRESSES[D])
        d.run(D, msg)
        spent = 1_000 if isinstance(msg, MsgDelegate) else 0
        # paid what was owed before the block (the block's own rewards reach it at the block start)
        assert balance(d, ADDRESSES[D]) >= before - FEE - spent + owed
        d.chain.check_invariants()
    d.run(D, MsgUndelegate(V0, d.chain.query("staking", "delegation_value",
                                             d.chain.query("staking", "delegations", ADDRESSES[D])[0])))
    assert reward(d, ADDRESSES[D], V0) == 0
    d.chain.check_invariants()  # the starting point went with the delegation


def test_a_withdraw_address_receives_rewards_and_commission(d: Driver) -> None:
    d.run(0, MsgSetWithdrawAddress(ADDRESSES[E]))
    d.block()
    before = balance(d, ADDRESSES[E])
    owed, commission = reward(d, V0, V0), d.chain.query("distribution", "commission", V0)
    result = d.run(0, MsgWithdrawDelegatorReward(V0), MsgWithdrawValidatorCommission())
    assert [int(e["amount"]) for e in events(result, "withdraw_commission")][0] >= commission > 0
    assert balance(d, ADDRESSES[E]) >= before + owed + commission
    assert d.chain.query("distribution", "commission", V0) == 0
    assert d.chain.query("distribution", "rewards", V0).withdraw_address == ADDRESSES[E]
    d.run(0, MsgSetWithdrawAddress(V0))  # back to itself
    assert d.chain.query("distribution", "rewards", V0).withdraw_address == V0


@pytest.mark.parametrize("i, msg, error", [
    (D, MsgWithdrawDelegatorReward(V1), de.NoDelegationError),
    (D, MsgWithdrawDelegatorReward(ADDRESSES[E]), de.NoDelegationError),
    (D, MsgWithdrawValidatorCommission(), de.NotValidatorError),
    (D, MsgSetWithdrawAddress(REWARDS_POOL), de.WithdrawAddressError),
    (D, MsgSetWithdrawAddress(TREASURY), de.WithdrawAddressError),
])
def test_bad_input_is_refused_and_changes_nothing_but_the_fee(d: Driver, i: int, msg, error: type) -> None:
    before = balance(d, ADDRESSES[i])
    result = d.run(i, msg)
    assert result.tx_results[0].code == error.code, result.tx_results[0].log
    assert balance(d, ADDRESSES[i]) == before - FEE
    assert d.chain.query("distribution", "rewards", ADDRESSES[i]).withdraw_address == ADDRESSES[i]


# -- slashing and removal ------------------------------------------------------------------------


def test_a_slash_lowers_tokens_not_shares_so_claims_stay_exact(d: Driver) -> None:
    d.run(D, MsgDelegate(V1, GENESIS_BOND))
    d.block()
    owed = reward(d, ADDRESSES[D], V1)
    for _ in range(40):  # V1 misses blocks until downtime slashes and jails it
        result = d.block(absent={address_of(CONSENSUS_KEYS[1])})
        if events(result, "slash"):
            break
    assert d.chain.query("staking", "validator", V1).validator.jailed
    assert reward(d, ADDRESSES[D], V1) == owed  # a missed block earns nothing; the slash took no reward
    d.chain.check_invariants()
    before = balance(d, ADDRESSES[D])
    d.tx(D, MsgWithdrawDelegatorReward(V1))
    d.block(absent={address_of(CONSENSUS_KEYS[1])})  # (still in the set for two blocks: it would earn)
    assert balance(d, ADDRESSES[D]) == before - FEE + owed


def test_a_removed_validator_pays_its_commission_and_sweeps_the_dust_to_the_treasury() -> None:
    d = Driver(make_staking_chain(validators=3, distribution_params=REWARDS))
    for _ in range(3):
        d.block()
    commission = d.chain.query("distribution", "commission", V2)
    assert commission > 0
    before = balance(d, V2)
    d.run(2, MsgUndelegate(V2, GENESIS_BOND))  # its last share: it unbonds, then is removed
    for _ in range(15):
        d.block(advance_ms=1_000)
    assert d.chain.query("staking", "validator", V2) is None
    assert balance(d, V2) >= before - FEE + commission
    totals = d.chain.query("distribution", "totals")
    assert totals.commission_paid >= commission
    d.chain.check_invariants()


# -- costs and genesis ---------------------------------------------------------------------------


class CountingJournal(Journal):
    reads = 0

    def get(self, key, cls):
        CountingJournal.reads += 1
        return super().get(key, cls)


def count_claim_reads(d: Driver) -> int:
    view, _ = d.chain.app.get_state_view()
    counting = CountingJournal(view.get_bytes, view.get_keys)
    CountingJournal.reads = 0
    query_reward(counting, ADDRESSES[D], V0)
    return CountingJournal.reads


def test_a_claim_reads_the_same_few_records_however_long_it_has_accrued(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 1_000))
    early = count_claim_reads(d)
    for _ in range(30):
        d.block()
    assert count_claim_reads(d) == early <= 3  # the delegation, the validator's rewards, its start


def test_genesis_export_reimports_to_the_same_state_and_hash(d: Driver) -> None:
    d.run(D, MsgDelegate(V0, 3_000))
    d.run(D, MsgSetWithdrawAddress(ADDRESSES[E]))
    d.block()
    exported = d.chain.app.export_app_state()
    rows = {bytes.fromhex(key)[:1] for key, _ in exported["distribution"]["state"]}
    assert {b"\xc1", b"\xc2", b"\xc3", b"\xc4", b"\xc5"} <= rows
    again = SimChain(exported, d.chain.app.chain_id)
    assert again.app_hashes[0] == d.chain.app.info().last_app_hash
    imported = Journal(lambda key: None, lambda prefix, start: [])
    init_app_state(imported, exported)
    assert export_app_state(imported) == exported
