"""The whole market through the real App under random sequences of signed txs and blocks, on the
kit (`ChainMachine` and the market and verify modules' own strategies): providers, jobs, bids,
leases, receipts, challenges, verdicts, top-ups, cancellations and withdrawals across random
heights. After every block: every module invariant (escrow account = open obligations, collateral
covers locks unless slashed, bonds, supply = initial - burned) and no internal error (the kit);
here besides: closed leases and closed escrows never move again, no stream is paid beyond price x
duration, a revealed receipt opens its commitment, no commitment outlives its reveal window, a
lease found false keeps nothing it was paid early (clawed back to the consumer), no open lease was
ever paid beyond its whole checkpoints (and the lock's share), a withdrawal right after a checkpoint
gets exactly that much, and over a run every kind of market and verify message succeeds at least once."""
from __future__ import annotations

from collections import Counter

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from akechain.chain.codec import Msg
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.escrow.errors import NothingToWithdrawError
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT
from akechain.chain.modules.market import queries as q
from akechain.chain.modules.market.msgs import (
    MsgBid,
    MsgCancelJob,
    MsgCreateJob,
    MsgRevealReceipt,
    MsgSubmitReceipt,
    compute_commitment,
    MsgTopUp,
    MsgWithdrawBid,
    MsgWithdrawEarnings,
)
from akechain.chain.modules.market.keeper import compute_unverified_cap
from akechain.chain.modules.market.records import CLOSED, COMMITTED, RUNNING, SUBMITTED
from akechain.chain.modules.market.strategies import SALT, make_register
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict
from akechain.testing import ChainMachine, TxDraft
from consensus.abci import FinalizeResult

FORFEITS = {"dissent", "slashed", "bad-reveal", "no-reveal", "deadline-missed", "no-majority"}
KINDS = {tag for tag in Msg._registry if tag.split("/")[0] in ("market", "verify")}
SUCCEEDED: Counter[str] = Counter()  # msg tag -> txs of it that succeeded, over a whole run


class MarketMachine(ChainMachine):
    modules = ("market", "verify")
    account_count = 12

    def __init__(self) -> None:
        super().__init__()
        self.closed_streams: dict[tuple[int, int], tuple[int, int]] = {}
        self.closed_escrows: dict[int, tuple[int, int, int]] = {}
        for address in self.driver.accounts[:4]:  # most providers start registered, so bids and leases happen early
            self.driver.submit(TxDraft(address, (make_register(collateral=200_000),)))
        self.end_block()

    # -- compound rules: the steps a job goes through, one block apart ----------------------------

    @rule(data=st.data(), bids=st.integers(1, 4), then=st.sampled_from([None, MsgTopUp, MsgCancelJob]))
    def open_leases(self, data: st.DataObject, bids: int, then: type[Msg] | None) -> None:
        """A job, bids on it and the window's close: the quick way to running leases; `then`: an
        open job is topped up or cancelled meanwhile."""
        self.send(data, MsgCreateJob)
        self.end_block()
        if then is not None:
            self.send(data, then)
        for _ in range(bids):
            self.send(data, MsgBid)
        self.end_blocks(2)

    @rule(data=st.data(), bids=st.integers(1, 4))
    def bid_then_withdraw(self, data: st.DataObject, bids: int) -> None:
        for _ in range(bids):
            self.send(data, MsgBid)
        self.end_block()
        self.send(data, MsgWithdrawBid)

    @rule(data=st.data(), blocks=st.integers(1, 3))
    def serve_then_withdraw(self, data: st.DataObject, blocks: int) -> None:
        """Leases earn while blocks pass; a provider then withdraws what its stream earned."""
        self.end_blocks(blocks)
        self.send(data, MsgWithdrawEarnings)

    @rule(data=st.data())
    def withdraw_at_each_checkpoint(self, data: st.DataObject) -> None:
        """A running lease's provider withdraws once its stream reaches the next checkpoint: it is
        paid exactly the whole checkpoints served so far (up to the lock's share), never a block beyond."""
        view, height = self.chain.app.get_state_view()
        running = [lease for lease in q.query_leases(view) if lease.status == RUNNING]
        if not running:
            return
        lease = data.draw(st.sampled_from(running))
        params = q.query_params(view)
        stream = next(s for s in q.query_escrow_at(view, lease.job_id, height).streams if s.lease_id == lease.id)
        self.end_blocks(params.checkpoint_blocks - stream.accrued_blocks % params.checkpoint_blocks)
        self.driver.submit(TxDraft(lease.provider, (MsgWithdrawEarnings(lease.id),)))
        result = self.end_block()
        view, height = self.chain.app.get_state_view()
        lease = q.query_lease(view, lease.id)
        if lease.status != RUNNING:
            return
        stream = next(s for s in q.query_escrow_at(view, lease.job_id, height).streams if s.lease_id == lease.id)
        cap = compute_unverified_cap(lease, stream.rate, stream.accrued_blocks, params)
        if result.tx_results[-1].code in (0, NothingToWithdrawError.code):
            assert stream.paid == cap, f"lease {lease.id}: paid {stream.paid} after a checkpoint withdrawal, cap {cap}"

    @rule(data=st.data())
    def judge_an_open_challenge(self, data: st.DataObject) -> None:
        """A referee's verdict while a challenge is open (rare otherwise: it needs a challenge that
        succeeded and a rule drawing a verdict before the window ends)."""
        self.send(data, MsgVerdict)

    @rule(data=st.data(), kind=st.sampled_from(sorted(KINDS)))
    def send_one_of_each_kind(self, data: st.DataObject, kind: str) -> None:
        """Every kind equally likely, however many others a module has (rare ones still run)."""
        self.send(data, Msg._registry[kind])

    @rule(data=st.data(), dispute=st.booleans(), judge=st.booleans())
    def receipt_then_dispute(self, data: st.DataObject, dispute: bool, judge: bool) -> None:
        """A receipt's commitment, its reveal next block, sometimes a challenge of it the block
        after, and the referee's verdict after that."""
        self.send(data, MsgSubmitReceipt)
        self.end_block()
        self.send(data, MsgRevealReceipt)
        if dispute:
            self.end_block()
            self.send(data, MsgChallenge)
            if judge:
                self.end_block()
                self.send(data, MsgVerdict)

    # -- after every block ---------------------------------------------------------------------------

    def end_block(self) -> FinalizeResult:
        drafts = list(self.driver.pending)
        result = super().end_block()
        for draft, r in zip(drafts, result.tx_results):
            SUCCEEDED[draft.msgs[0].TAG] += r.code == 0 and not draft.fault
        self.check_history()
        self.check_receipts_and_forfeits(result)
        self.check_unverified_pay()
        return result

    def check_unverified_pay(self) -> None:
        """No open lease has been paid more than its whole checkpoints and the lock's share."""
        view, height = self.chain.app.get_state_view()
        params = q.query_params(view)
        for lease in q.query_leases(view):
            if lease.status != CLOSED:
                stream = next(s for s in q.query_escrow_at(view, lease.job_id, height).streams if s.lease_id == lease.id)
                assert stream.paid <= compute_unverified_cap(lease, stream.rate, stream.accrued_blocks, params)

    def check_receipts_and_forfeits(self, result: FinalizeResult) -> None:
        """A revealed receipt opens its commitment; no commitment outlives its reveal window; and a
        lease found false (or never delivered) keeps nothing: every uake it was paid early came
        back to the consumer from its collateral, in the block that closed it."""
        view, height = self.chain.app.get_state_view()
        events = [e for r in result.tx_results for e in r.events] + list(result.events)
        clawed: Counter[int] = Counter()
        for kind, attrs in events:
            if kind == "provider_clawed_back":
                clawed[int(dict(attrs)["lease_id"])] += int(dict(attrs)["amount"])
        for lease in q.query_leases(view):
            if lease.status == SUBMITTED:
                output = lease.receipt.output_hash
                assert compute_commitment(output, SALT, lease.provider, lease.id) == lease.commitment
            if lease.status == COMMITTED:
                assert not lease.reveal_end or height <= lease.reveal_end, "a commitment outlived its reveal window"
            if lease.status == CLOSED and lease.closed_height == height and lease.close_reason in FORFEITS:
                paid = next(s.paid for s in q.query_escrow_at(view, lease.job_id, height).streams if s.lease_id == lease.id)
                assert clawed[lease.id] == paid, f"lease {lease.id} ({lease.close_reason}) kept {paid - clawed[lease.id]}"

    def check_history(self) -> None:
        view, height = self.chain.app.get_state_view()
        escrows = []
        for job in q.query_jobs(view, open_only=False):
            escrow = q.query_escrow_at(view, job.id, height)
            escrows.append(escrow)
            for s in escrow.streams:
                assert s.paid <= s.earned <= s.rate * job.duration_blocks
                key = (job.id, s.lease_id)
                if key in self.closed_streams:
                    assert (s.earned, s.paid) == self.closed_streams[key], "a closed lease paid again"
                elif s.state == "closed":
                    self.closed_streams[key] = (s.earned, s.paid)
            totals = (escrow.paid, escrow.refunded, escrow.deposited)
            if job.id in self.closed_escrows:
                assert totals == self.closed_escrows[job.id], "a closed job's escrow moved"
            elif escrow.closed:
                self.closed_escrows[job.id] = totals
            assert escrow.paid + escrow.refunded <= escrow.deposited
            for lease in q.query_leases(view, job_id=job.id):
                if lease.status == CLOSED:
                    assert next(s for s in escrow.streams if s.lease_id == lease.id).state == "closed"
        assert get_balance(view, ESCROW_ACCOUNT) == sum(v.balance for v in escrows)


def test_random_market_runs_hold_every_invariant_and_every_kind_of_tx_succeeds() -> None:
    """A run in which some kind of tx always fails would test nothing about that kind."""
    SUCCEEDED.clear()
    # derandomized: the same examples every run, so "some tx of each kind succeeded" cannot flake
    run_state_machine_as_test(MarketMachine, settings=settings(max_examples=50, stateful_step_count=60, deadline=None,
                                                               derandomize=True))
    assert {kind for kind in KINDS if SUCCEEDED[kind] == 0} == set(), SUCCEEDED
