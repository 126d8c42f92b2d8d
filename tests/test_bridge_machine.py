"""A RuleBasedStateMachine over the bridge module: EVM deposit events are claimed by the four
validators in any interleaving, some claims lie (a conflicting amount), some repeat. Each event
executes exactly once, in order, and only once > 2/3 of the power attested the same claim; a repeat
or a skipped nonce is refused; the lock invariant (and every other) holds after every block."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from akechain.chain.crypto import format_address
from akechain.chain.modules.bridge.errors import ClaimNonceError
from akechain.chain.modules.bridge.msgs import MsgBatchExecutedClaim, MsgConfirmBatch, MsgDepositClaim, MsgSendToEvm
from bridge_chain_support import BRIDGE_PARAMS, USER, VALIDATORS, make_registered_driver, sign_batch
from staking_support import ADDRESSES

SENDER = b"\x07" * 20
LOCKED = 10_000
MAX_EVENTS = 12


class BridgeClaims(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.d = make_registered_driver(replace(BRIDGE_PARAMS, signed_window_blocks=10_000))
        self.d.run(USER, MsgSendToEvm(SENDER, LOCKED))
        batch = self.d.chain.query("bridge", "batch", 1)
        for i in range(VALIDATORS):
            self.d.tx(i, MsgConfirmBatch(1, sign_batch(i, batch)))
            self.d.tx(i, MsgBatchExecutedClaim(1, 1, 1))
        self.d.block()
        assert self.d.chain.query("bridge", "state").evm_supply == LOCKED
        self.events: list[int] = []  # amount of the deposit with event nonce index + 2
        self.claimed: list[list[MsgDepositClaim]] = [[] for _ in range(VALIDATORS)]
        self.votes: dict[int, dict[MsgDepositClaim, set[int]]] = {}
        self.executed: list[int] = []  # amounts executed, in nonce order
        self.user_start = self.balance()

    def balance(self) -> int:
        return self.d.chain.query("bank", "balance", ADDRESSES[USER])

    def next_nonce(self, i: int) -> int:
        return 2 + len(self.claimed[i])

    @precondition(lambda self: len(self.events) < MAX_EVENTS)
    @rule(amount=st.integers(1, 100))
    def deposit_on_evm(self, amount: int) -> None:
        self.events.append(amount)

    def make_claim(self, nonce: int, lie: bool) -> MsgDepositClaim:
        amount = self.events[nonce - 2] + (1 if lie else 0)
        return MsgDepositClaim(nonce, 10 + nonce, SENDER, format_address(ADDRESSES[USER]), amount)

    @rule(i=st.integers(0, VALIDATORS - 1), lie=st.booleans())
    def claim(self, i: int, lie: bool) -> None:
        nonce = self.next_nonce(i)
        if nonce - 2 >= len(self.events):
            return
        msg = self.make_claim(nonce, lie)
        self.d.tx(i, msg)
        self.claimed[i].append(msg)
        self.votes.setdefault(nonce, {}).setdefault(msg, set()).add(i)

    @precondition(lambda self: any(self.claimed))
    @rule(i=st.integers(0, VALIDATORS - 1), skip=st.booleans())
    def bad_nonce(self, i: int, skip: bool) -> None:
        """A repeat of the validator's last claim, or one that skips a nonce: refused in its own block."""
        if not self.claimed[i] or (skip and self.next_nonce(i) - 2 >= len(self.events) - 1):
            return
        self.block()
        msg = self.make_claim(self.next_nonce(i) + 1, False) if skip else self.claimed[i][-1]
        result = self.d.run(i, msg)
        assert result.tx_results[0].code == ClaimNonceError.code, result.tx_results[0].log
        self.expect_executions()

    @rule()
    def block(self) -> None:
        self.d.block()
        self.expect_executions()

    def expect_executions(self) -> None:
        """Model: from the next nonce on, an event executes when three of four equal validators voted one claim."""
        while True:
            nonce = 2 + len(self.executed)
            winners = [msg for msg, voters in self.votes.get(nonce, {}).items() if len(voters) * 3 > VALIDATORS * 2]
            if not winners:
                return
            self.executed.append(winners[0].amount)

    @invariant()
    def chain_agrees_with_the_model(self) -> None:
        state = self.d.chain.query("bridge", "state")
        assert state.last_observed_event_nonce == 1 + len(self.executed)
        assert self.balance() == self.user_start + sum(self.executed)
        assert state.evm_supply == LOCKED - sum(self.executed)
        self.d.chain.check_invariants()


BridgeClaims.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)
TestBridgeClaims = BridgeClaims.TestCase
