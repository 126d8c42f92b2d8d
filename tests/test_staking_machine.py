"""Staking, slashing and distribution through the real App on the kit (`ChainMachine` and the
modules' own strategies): random create-validator, edit, delegate, undelegate, redelegate, cancel,
unjail, withdraw rewards and commission and set a withdraw address, valid and invalid, several per
block, with time passing past unbonding periods; validators missing blocks (`absent`) and
double-signing (`misbehavior`, valid and refused). After every block: every module invariant (pools
= records, shares add up, consensus power = bonded stake of the active set, missed counters =
bitmaps, tombstones agree, rewards pool = credited - paid, claims within what each validator holds,
supply) and no internal error (the kit); here besides: the bonded set is exactly the top
`max_validators` by tokens with ties by operator address, the validator updates are exactly the diff
of the active set, a tombstoned validator never returns to the set, the total supply is the genesis
supply plus the emission less what was burned, what was paid plus what is claimable never exceeds
what was credited (no reward is paid twice), each block credits exactly the stakers' part it
announces, and a delegation's claim never shrinks unless it is paid (a slash takes no reward)."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Sequence

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from akechain.chain.codec import Msg
from akechain.chain.crypto import Address, format_address, get_address, get_pub_key, signing_key_from_seed
from akechain.chain.genesis import build_gentx
from akechain.chain.modules.bank.keeper import get_supply
from akechain.chain.modules.slashing.msgs import MsgUnjail
from akechain.chain.modules.staking.msgs import MsgCancelUnbondingDelegation, MsgUndelegate
from akechain.chain.modules.staking.keeper import compute_power
from akechain.chain.modules.staking.records import BONDED
from akechain.chain.registry import Registry
from akechain.testing import ChainMachine
from akechain.testing.driver import SIM_CHAIN_ID, make_sim_app_state, make_sim_keys
from consensus.abci import FinalizeResult, Misbehavior
from consensus.types import address_of
from staking_support import PARAMS as UNIT_PARAMS
from staking_support import SLASHING_PARAMS

PARAMS = replace(UNIT_PARAMS, unbonding_time_ms=30_000)  # entries outlive a run of missed blocks
KINDS = sorted(tag for tag in Msg._registry if tag.startswith(("staking/", "slashing/", "distribution/")))
GENESIS_VALIDATORS = 3
GENESIS_BOND = 10 * PARAMS.min_self_delegation
# A validator no strategy acts for (its key is not a sim account), bonded far above any other and
# never made to miss or double-sign: the set is never empty, which would halt a real chain.
ANCHOR_KEY = signing_key_from_seed(b"\xaa" * 32)
ANCHOR_BOND = 10**12
ANCHOR_CONSENSUS_KEY = get_pub_key(signing_key_from_seed(b"\xab" * 32))
ANCHOR = address_of(ANCHOR_CONSENSUS_KEY)
SUCCEEDED: Counter[str] = Counter()
SLASHED: Counter[str] = Counter()  # slash events by reason


class StakingMachine(ChainMachine):
    modules = ("staking", "slashing", "distribution")

    def __init__(self) -> None:
        super().__init__()
        self.active: dict[bytes, int] = self.get_active()  # the gentxs' set
        self.tombstoned: set[bytes] = set()
        self.claims = self.get_claims()
        totals = self.chain.query("distribution", "totals")
        self.credited = totals.rewards_credited + totals.commission_credited

    def make_app_state(self, addresses: Sequence[Address], registry: Registry, authority: Address | None) -> dict:
        """The first accounts bond validators by gentxs, so blocks carry last commits from the start."""
        app_state = make_sim_app_state(addresses, registry, authority, staking=PARAMS, slashing=SLASHING_PARAMS)
        auth = registry.params["auth"].from_json(app_state["auth"]["params"])
        consensus_keys = [get_pub_key(signing_key_from_seed(bytes([200 + i]) * 32)) for i in range(GENESIS_VALIDATORS)]
        gentxs = [build_gentx(key, SIM_CHAIN_ID, consensus_key, f"g{i}", GENESIS_BOND, auth)
                  for i, (key, consensus_key) in enumerate(zip(make_sim_keys(len(addresses)), consensus_keys))]
        gentxs.append(build_gentx(ANCHOR_KEY, SIM_CHAIN_ID, ANCHOR_CONSENSUS_KEY, "anchor", ANCHOR_BOND, auth))
        app_state["staking"]["gentxs"] = [tx.hex() for tx in gentxs]
        app_state["bank"]["balances"].append({"address": format_address(get_address(ANCHOR_KEY)), "amount": 2 * ANCHOR_BOND})
        return app_state

    @rule(data=st.data(), kind=st.sampled_from(KINDS), valid=st.booleans())
    def send_one_of_each_kind(self, data: st.DataObject, kind: str, valid: bool) -> None:
        """Every kind equally likely, valid or not."""
        self.send(data, Msg._registry[kind], valid)

    @rule(data=st.data())
    def undelegate_then_cancel(self, data: st.DataObject) -> None:
        """An undelegation and, a block later, a cancel of a pending entry (they rarely meet by chance)."""
        self.send(data, MsgUndelegate)
        self.end_block()
        self.send(data, MsgCancelUnbondingDelegation)
        self.end_block()

    @rule(data=st.data())
    def wait_out_a_jail_and_unjail(self, data: st.DataObject) -> None:
        """Past any downtime jail, then an unjail if some operator may (else the rule sends nothing)."""
        self.end_block(SLASHING_PARAMS.downtime_jail_duration + 1)
        self.send(data, MsgUnjail)
        self.end_block()

    @rule(advance=st.integers(1, 2 * PARAMS.unbonding_time_ms))
    def pass_time(self, advance: int) -> None:
        """A block far in the future: unbonding entries and validators mature."""
        self.end_block(advance)

    def end_block(self, advance_ms: int = 1_000, absent: Sequence[bytes] = (),
                  misbehavior: Sequence[Misbehavior] = ()) -> FinalizeResult:
        drafts = list(self.driver.pending)
        result = self.driver.end_block(self.chain.time_ms + advance_ms, absent=absent, misbehavior=misbehavior)
        for draft, r in zip(drafts, result.tx_results):
            SUCCEEDED[draft.msgs[0].TAG] += r.code == 0 and not draft.fault
        SLASHED.update(dict(attrs)["reason"] for kind, attrs in result.events if kind == "slash")
        active = self.get_active()
        expected = {key: power for key, power in active.items() if self.active.get(key) != power}
        expected.update({key: 0 for key in self.active if key not in active})
        assert {u.pub_key: u.power for u in result.validator_updates} == expected
        assert len(result.validator_updates) == len(expected)
        self.active = active
        self.check_top_n()
        self.check_tombstones(result)
        self.check_supply()
        self.check_rewards(result, drafts)
        return result

    def get_active(self) -> dict[bytes, int]:
        """consensus pub key -> power of the bonded validators, as queries show them."""
        return {v.validator.consensus_pub_key: v.power for v in self.chain.query("staking", "validators")
                if v.validator.status == BONDED}

    def check_top_n(self) -> None:
        """Bonded = the strongest `max_validators` that are not jailed and have power, ties by address."""
        views = self.chain.query("staking", "validators")
        ranked = sorted((v.validator for v in views if not v.validator.jailed and compute_power(v.validator.tokens, PARAMS)),
                        key=lambda v: (-v.tokens, v.operator))
        top = {v.operator for v in ranked[:PARAMS.max_validators]}
        assert {v.validator.operator for v in views if v.validator.status == BONDED} == top


    # -- slashing: missed blocks and evidence ---------------------------------------------------------

    def get_last_set(self) -> list[tuple[bytes, int]]:
        """(consensus address, power) of the validators whose signatures the next block's last commit holds."""
        last = self.chain.validators.last
        return [] if last is None else [(v.address, v.power) for v in last.validators if v.address != ANCHOR]

    @rule(data=st.data(), blocks=st.integers(1, SLASHING_PARAMS.signed_blocks_window))
    def miss_blocks(self, data: st.DataObject, blocks: int) -> None:
        """Some validators of the set stop signing for a while (downtime slashes and jails follow)."""
        for _ in range(blocks):
            addresses = [address for address, _ in self.get_last_set()]
            absent = data.draw(st.sets(st.sampled_from(addresses))) if addresses else set()
            self.end_block(absent=sorted(absent))

    @rule(data=st.data(), back=st.integers(1, 4))
    def double_sign(self, data: st.DataObject, back: int) -> None:
        """Evidence against a validator that signed a recent block, as the engine hands it over."""
        block = self.chain.blocks[-min(back, len(self.chain.blocks))].request
        votes = [v for v in block.decided_last_commit if v.validator_address != ANCHOR]
        if not votes:
            return
        vote = data.draw(st.sampled_from(votes))
        infraction = self.chain.blocks[block.height - 2].request
        self.end_block(misbehavior=[Misbehavior(vote.validator_address, infraction.height, infraction.time_ms, vote.power)])

    @rule(data=st.data())
    def refused_evidence(self, data: st.DataObject) -> None:
        """Evidence the app must refuse: an unknown validator, or older than the max age."""
        address, power = data.draw(st.sampled_from(self.get_last_set() or [(b"\x07" * 20, 1)]))
        unknown = Misbehavior(b"\x07" * 20, self.chain.height, self.chain.time_ms, 1)
        too_old = Misbehavior(address, 1, self.chain.blocks[0].request.time_ms, power)
        evidence = data.draw(st.sampled_from([unknown, too_old]))
        result = self.end_block(misbehavior=[evidence])
        if evidence is unknown or self.chain.height - 1 > SLASHING_PARAMS.max_evidence_age_blocks:
            assert any(kind == "evidence_refused" for kind, _ in result.events)
            assert not any(kind == "slash" and ("reason", "double_sign") in attrs for kind, attrs in result.events)

    def check_tombstones(self, result: FinalizeResult) -> None:
        """A tombstoned validator stays tombstoned and jailed, out of the set, for good."""
        views = {v.validator.operator: v for v in self.chain.query("staking", "validators")}
        self.tombstoned |= {operator for operator, view in views.items() if view.validator.tombstoned}
        for operator in self.tombstoned:
            view = views.get(operator)
            if view is not None:
                assert view.validator.tombstoned and view.validator.jailed and view.power == 0
                assert view.validator.status != BONDED

    def get_claims(self) -> dict[tuple[bytes, bytes], tuple[int, int]]:
        """(delegator, validator) -> (shares, claimable uake) of every sim account's delegation."""
        return {(d.delegator, d.validator): (d.shares, self.chain.query("distribution", "reward", d.delegator, d.validator))
                for account in self.driver.accounts for d in self.chain.query("staking", "delegations", account)}

    def check_rewards(self, result: FinalizeResult, drafts: list) -> None:
        totals = self.chain.query("distribution", "totals")
        claims = self.get_claims()
        # no reward paid twice: paid + still claimable + swept dust never exceeds what was credited
        assert totals.rewards_paid + sum(claim for _, claim in claims.values()) + totals.swept <= totals.rewards_credited
        announced = sum(int(dict(attrs)["stakers"]) for kind, attrs in result.events if kind == "rewards")
        assert announced == totals.rewards_credited + totals.commission_credited - self.credited
        self.credited = totals.rewards_credited + totals.commission_credited
        # a claim at unchanged shares only grows (slashes included), unless its delegator withdrew
        withdrew = {draft.sender for draft in drafts if draft.msgs[0].TAG.startswith("distribution/")}
        for key, (shares, claim) in claims.items():
            before = self.claims.get(key)
            if before is not None and before[0] == shares and key[0] not in withdrew:
                assert claim >= before[1], (key, before, claim)
        self.claims = claims

    def check_supply(self) -> None:
        """The total is the genesis supply plus what was emitted less what was burned (fees, slashes)."""
        supply = get_supply(self.chain.app.get_state_view()[0])
        assert supply.total == supply.initial + self.chain.query("distribution", "emission").emitted - supply.burned


def test_random_staking_runs_hold_every_invariant_and_every_kind_of_tx_succeeds() -> None:
    SUCCEEDED.clear()
    SLASHED.clear()
    run_state_machine_as_test(StakingMachine, settings=settings(max_examples=60, stateful_step_count=50, deadline=None,
                                                                derandomize=True))
    assert {kind for kind in KINDS if SUCCEEDED[kind] == 0} == set(), SUCCEEDED
    assert SLASHED["missing_signature"] and SLASHED["double_sign"], SLASHED
