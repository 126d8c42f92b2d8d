"""Staking through the real App under random sequences of create-validator, edit, delegate,
undelegate, redelegate, cancel and time passing (several txs per block). After every block: every
module invariant (pools = records, shares add up, consensus power = bonded stake of the active set,
supply), the bonded set is exactly the top `max_validators` by tokens with ties by operator address,
the validator updates are exactly the diff of the active set, and no tx failed with an internal error."""
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from akechain.chain.codec import InternalError, InvalidMsgError
from akechain.chain.modules.staking.keeper import compute_power
from akechain.chain.modules.staking.msgs import MsgBeginRedelegate, MsgCancelUnbondingDelegation, MsgUndelegate
from akechain.chain.modules.staking.records import BONDED
from staking_support import (
    ADDRESSES,
    KEYS,
    PARAMS,
    Driver,
    cancel_msgs,
    create_validator_msg,
    delegate_msgs,
    edit_msgs,
    make_staking_chain,
    redelegate_msgs,
    undelegate_msgs,
)

accounts = st.integers(0, len(KEYS) - 1)


class StakingMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.d = Driver(make_staking_chain())
        self.active = self.get_active()
        self.sent = 0

    def get_active(self) -> dict[bytes, int]:
        """consensus pub key -> power of the bonded validators, as queries show them."""
        return {v.validator.consensus_pub_key: v.power for v in self.d.chain.query("staking", "validators")
                if v.validator.status == BONDED}

    def send(self, i: int, msg) -> None:
        try:
            self.d.tx(i, msg)
        except InvalidMsgError:
            return  # refused statelessly (e.g. redelegating to the same validator): never reaches a block
        self.sent += 1

    # -- rules ---------------------------------------------------------------------------------

    @rule(i=st.integers(2, len(KEYS) - 1), amount=st.integers(PARAMS.min_self_delegation - 10, 40_000),
          key=st.integers(0, len(KEYS) - 1))
    def create_validator(self, i: int, amount: int, key: int) -> None:
        msg = create_validator_msg(key, amount)  # someone else's consensus key sometimes: refused
        self.send(i, msg)

    @rule(i=accounts, msg=edit_msgs().filter(lambda m: m.moniker is not None or m.commission_rate_bps is not None))
    def edit(self, i: int, msg) -> None:
        self.send(i, msg)

    @rule(i=accounts, msg=delegate_msgs(ADDRESSES[:2] * 3 + ADDRESSES))  # unknown validators too: those fail cleanly
    def delegate(self, i: int, msg) -> None:
        self.send(i, msg)

    def pick_delegation(self, i: int, pick: int) -> tuple[bytes, int] | None:
        """Mostly one of the account's delegations and an amount up to its value (None: keep the random msg)."""
        delegations = self.d.chain.query("staking", "delegations", ADDRESSES[i])
        if not delegations or not pick % 4:
            return None
        delegation = delegations[pick % len(delegations)]
        value = self.d.chain.query("staking", "delegation_value", delegation)
        return delegation.validator, value if pick % 5 == 0 else 1 + pick % value

    @rule(i=accounts, pick=st.integers(0, 10**6), msg=undelegate_msgs(ADDRESSES, 20_000))
    def undelegate(self, i: int, pick: int, msg: MsgUndelegate) -> None:
        chosen = self.pick_delegation(i, pick)
        self.send(i, msg if chosen is None else MsgUndelegate(*chosen))

    @rule(i=accounts, pick=st.integers(0, 10**6), msg=redelegate_msgs(ADDRESSES, 20_000))
    def redelegate(self, i: int, pick: int, msg: MsgBeginRedelegate) -> None:
        chosen = self.pick_delegation(i, pick)
        if chosen is not None:
            validators = [v.validator.operator for v in self.d.chain.query("staking", "validators")]
            msg = MsgBeginRedelegate(chosen[0], validators[pick % len(validators)], chosen[1])
        self.send(i, msg)

    @rule(i=accounts, pick=st.integers(0, 10**6), msg=cancel_msgs(ADDRESSES, st.integers(0, 50), 20_000))
    def cancel(self, i: int, pick: int, msg: MsgCancelUnbondingDelegation) -> None:
        entries = [(u.validator, e) for u in self.d.chain.query("staking", "unbonding", ADDRESSES[i]) for e in u.entries]
        if entries and pick % 3:  # mostly a real entry, with an amount up to its balance
            validator, entry = entries[pick % len(entries)]
            msg = MsgCancelUnbondingDelegation(validator, 1 + pick % entry.balance, entry.creation_height)
        self.send(i, msg)

    @rule(advance=st.one_of(st.just(1_000), st.integers(1, 2 * PARAMS.unbonding_time_ms)))
    def block(self, advance: int) -> None:
        result = self.d.block(advance)
        assert all(r.code != InternalError.code for r in result.tx_results), [r.log for r in result.tx_results]
        active = self.get_active()
        expected = {key: power for key, power in active.items() if self.active.get(key) != power}
        expected.update({key: 0 for key in self.active if key not in active})
        assert {u.pub_key: u.power for u in result.validator_updates} == expected
        assert len(result.validator_updates) == len(expected)
        self.active = active
        self.d.chain.check_invariants()
        self.check_top_n()

    def check_top_n(self) -> None:
        """Bonded = the strongest `max_validators` that are not jailed and have power, ties by address."""
        views = self.d.chain.query("staking", "validators")
        ranked = sorted((v.validator for v in views if not v.validator.jailed and compute_power(v.validator.tokens, PARAMS)),
                        key=lambda v: (-v.tokens, v.operator))
        top = {v.operator for v in ranked[:PARAMS.max_validators]}
        assert {v.validator.operator for v in views if v.validator.status == BONDED} == top

    @invariant()
    def pending_is_bounded(self) -> None:
        assert len(self.d.pending) <= 64


StakingMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
TestStaking = StakingMachine.TestCase
