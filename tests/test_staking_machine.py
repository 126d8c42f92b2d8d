"""Staking through the real App on the kit (`ChainMachine` and staking's own strategies): random
create-validator, edit, delegate, undelegate, redelegate and cancel, valid and invalid, several per
block, with time passing past unbonding periods. After every block: every module invariant (pools =
records, shares add up, consensus power = bonded stake of the active set, supply) and no internal
error (the kit); here besides: the bonded set is exactly the top `max_validators` by tokens with
ties by operator address, and the validator updates are exactly the diff of the active set."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from akechain.chain.codec import Msg
from akechain.chain.crypto import Address
from akechain.chain.modules.staking.keeper import compute_power
from akechain.chain.modules.staking.records import BONDED
from akechain.chain.registry import Registry
from akechain.testing import ChainMachine
from akechain.testing.driver import make_sim_app_state
from consensus.abci import FinalizeResult
from staking_support import PARAMS

KINDS = sorted(tag for tag in Msg._registry if tag.startswith("staking/"))
SUCCEEDED: Counter[str] = Counter()


class StakingMachine(ChainMachine):
    modules = ("staking",)

    def __init__(self) -> None:
        super().__init__()
        self.active: dict[bytes, int] = {}

    def make_app_state(self, addresses: Sequence[Address], registry: Registry, authority: Address | None) -> dict:
        return make_sim_app_state(addresses, registry, authority, staking=PARAMS)

    @rule(data=st.data(), kind=st.sampled_from(KINDS), valid=st.booleans())
    def send_one_of_each_kind(self, data: st.DataObject, kind: str, valid: bool) -> None:
        """Every kind equally likely, valid or not."""
        self.send(data, Msg._registry[kind], valid)

    @rule(advance=st.integers(1, 2 * PARAMS.unbonding_time_ms))
    def pass_time(self, advance: int) -> None:
        """A block far in the future: unbonding entries and validators mature."""
        self.end_block(advance)

    def end_block(self, advance_ms: int = 1_000) -> FinalizeResult:
        drafts = list(self.driver.pending)
        result = self.driver.end_block(self.chain.time_ms + advance_ms)
        for draft, r in zip(drafts, result.tx_results):
            SUCCEEDED[draft.msgs[0].TAG] += r.code == 0 and not draft.fault
        active = self.get_active()
        expected = {key: power for key, power in active.items() if self.active.get(key) != power}
        expected.update({key: 0 for key in self.active if key not in active})
        assert {u.pub_key: u.power for u in result.validator_updates} == expected
        assert len(result.validator_updates) == len(expected)
        self.active = active
        self.check_top_n()
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


def test_random_staking_runs_hold_every_invariant_and_every_kind_of_tx_succeeds() -> None:
    SUCCEEDED.clear()
    run_state_machine_as_test(StakingMachine, settings=settings(max_examples=60, stateful_step_count=50, deadline=None,
                                                                derandomize=True))
    assert {kind for kind in KINDS if SUCCEEDED[kind] == 0} == set(), SUCCEEDED
