"""The whole market through the real App under random sequences of signed txs and blocks:
providers, jobs, bids, leases, receipts, challenges, verdicts, top-ups, cancellations and
withdrawals across random heights. After every block: every module invariant (escrow account =
open obligations, collateral covers locks unless slashed, bonds, supply = initial - burned), closed
leases and closed escrows never move again, no stream is paid beyond price x duration, and every
failing tx failed with a typed error (no internal error code)."""
from __future__ import annotations

from collections import Counter

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from akechain.chain.codec import Msg
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT
from akechain.chain.modules.market import queries as q
from akechain.chain.modules.verify import queries as vq
from akechain.chain.modules.market.msgs import (
    POLICY_NONE,
    POLICY_REDUNDANCY,
    POLICY_SPOT_CHECK,
    MsgBid,
    MsgCancelJob,
    MsgDepositCollateral,
    MsgDeregisterProvider,
    MsgRegisterProvider,
    MsgSubmitReceipt,
    MsgTopUp,
    MsgUpdateProvider,
    MsgWithdrawBid,
    MsgWithdrawCollateral,
    MsgWithdrawEarnings,
    Policy,
)
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict
from akechain.chain.modules.market.records import CLOSED, SUBMITTED
from akechain.chain.modules.verify.keeper import OPEN
from test_market_support import (
    CONSUMER_KEYS,
    HARDWARE,
    PROVIDER_KEYS,
    PROVIDERS,
    SPEC,
    VERIFIER_KEYS,
    VERIFIERS,
    Driver,
    job_msg,
    make_market_chain,
)

HASHES = [b"\x01" * 32, b"\x02" * 32, b"\x03" * 32]
POLICIES = [
    Policy(POLICY_NONE, 0, 1, 1),
    Policy(POLICY_SPOT_CHECK, 5_000, 1, 1),
    Policy(POLICY_REDUNDANCY, 0, 2, 3),
]
index = st.integers(0, 10**6)


class MarketMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.d = Driver(make_market_chain())
        self.closed_streams: dict[tuple[int, int], tuple[int, int]] = {}
        self.closed_escrows: dict[int, tuple[int, int, int]] = {}
        self.sent: list[str] = []  # msg type of each tx sent since the last block, in order
        self.pending = False
        for key in PROVIDER_KEYS[:4]:  # most providers start registered, so bids and leases happen early
            self.d.tx(key, MsgRegisterProvider(HARDWARE, "eu", (), "https://p", 20_000))
        self.d.block()

    # -- helpers -------------------------------------------------------------------------------

    def send(self, key, msg) -> None:
        self.d.tx(key, msg)
        self.sent.append(type(msg).__name__)
        self.pending = True

    def view(self):
        return self.d.app.get_state_view()

    def pick(self, items: list, i: int):
        return items[i % len(items)] if items else None

    # -- providers -----------------------------------------------------------------------------

    @rule(p=st.integers(2, len(PROVIDER_KEYS) - 1), collateral=st.integers(0, 50_000))
    def register(self, p: int, collateral: int) -> None:
        self.send(PROVIDER_KEYS[p], MsgRegisterProvider(HARDWARE, "eu", (), f"https://p{p}", collateral))

    @rule(p=st.integers(0, 3), amount=st.integers(1, 50_000))
    def deposit_collateral(self, p: int, amount: int) -> None:
        self.send(PROVIDER_KEYS[p], MsgDepositCollateral(amount))

    @rule(p=st.integers(0, 3), amount=st.integers(1, 50_000))
    def withdraw_collateral(self, p: int, amount: int) -> None:
        self.send(PROVIDER_KEYS[p], MsgWithdrawCollateral(amount))

    @rule(p=st.integers(0, len(PROVIDER_KEYS) - 1), region=st.sampled_from(["eu", "us"]))
    def update_provider(self, p: int, region: str) -> None:
        self.send(PROVIDER_KEYS[p], MsgUpdateProvider(HARDWARE, region, (), f"https://p{p}/v2"))

    @rule(p=st.integers(2, len(PROVIDER_KEYS) - 1))
    def deregister(self, p: int) -> None:
        self.send(PROVIDER_KEYS[p], MsgDeregisterProvider())

    # -- jobs and bids -------------------------------------------------------------------------

    @rule(c=st.integers(0, len(CONSUMER_KEYS) - 1), budget=st.integers(1, 3_000), max_price=st.integers(20, 100),
          duration=st.integers(1, 8), window=st.integers(3, 8), slack=st.integers(0, 6),
          policy=st.sampled_from(POLICIES))
    def create_job(self, c, budget, max_price, duration, window, slack, policy) -> None:
        msg = job_msg(budget=budget, max_price=max_price, duration=duration, window=window,
                      deadline=window + duration + slack, policy=policy)
        self.send(CONSUMER_KEYS[c], msg)

    @rule(c=st.integers(0, len(CONSUMER_KEYS) - 1), budget=st.integers(100, 3_000), duration=st.integers(1, 8),
          slack=st.integers(0, 4), policy=st.sampled_from(POLICIES),
          bids=st.lists(st.tuples(st.integers(0, len(PROVIDER_KEYS) - 1), st.integers(1, 100)), min_size=1, max_size=5))
    def open_leases(self, c, budget, duration, slack, policy, bids) -> None:
        """A job and its bids carried to the window's close: the quick way to running leases."""
        self.send(CONSUMER_KEYS[c], job_msg(budget=budget, max_price=100, duration=duration, window=2,
                                            deadline=2 + duration + slack, policy=policy))
        self.end_blocks(1)
        job = max(q.query_jobs(self.view()[0], open_only=False), key=lambda x: x.id)
        for p, price in bids:
            self.send(PROVIDER_KEYS[p], MsgBid(job.id, price, 10 * p, SPEC))
        self.end_blocks(2)

    @rule(c=st.integers(0, len(CONSUMER_KEYS) - 1), j=index, amount=st.integers(1, 2_000))
    def top_up(self, c, j, amount) -> None:
        job = self.pick(q.query_jobs(self.view()[0], open_only=False), j)
        if job is not None:
            self.send(CONSUMER_KEYS[c], MsgTopUp(job.id, amount))

    @rule(j=index)
    def cancel(self, j) -> None:
        job = self.pick(q.query_jobs(self.view()[0], open_only=True), j)
        if job is not None:
            c = [k for k in CONSUMER_KEYS if PROVIDERS and job.consumer == self.address(k)]
            self.send(c[0] if c else CONSUMER_KEYS[0], MsgCancelJob(job.id))

    @staticmethod
    def address(key) -> bytes:
        from akechain.chain.crypto import get_address

        return get_address(key)

    def bidding_jobs(self) -> list:
        return [x for x in q.query_jobs(self.view()[0], open_only=True) if x.status == 0]

    @precondition(lambda self: self.bidding_jobs())
    @rule(ps=st.lists(st.integers(0, len(PROVIDER_KEYS) - 1), min_size=1, max_size=4, unique=True), j=index,
          prices=st.lists(st.integers(1, 100), min_size=4, max_size=4), latency=st.integers(0, 1_500),
          withdraw=st.booleans())
    def bid(self, ps, j, prices, latency, withdraw) -> None:
        """Several providers bid on one job still bidding; `withdraw`: one of them withdraws next block."""
        job = self.pick(self.bidding_jobs(), j)
        if job is None:
            return
        for p, price in zip(ps, prices):
            self.send(PROVIDER_KEYS[p], MsgBid(job.id, min(price, job.max_price), latency + p, SPEC))
        if withdraw:
            self.end_blocks(1)
            job = q.query_job(self.view()[0], job.id)
            if job.bidders:
                self.send(PROVIDER_KEYS[PROVIDERS.index(job.bidders[0])], MsgWithdrawBid(job.id))

    @rule(p=st.integers(0, len(PROVIDER_KEYS) - 1), j=index, price=st.integers(1, 110))
    def bid_on_any_job(self, p, j, price) -> None:
        """Bids that may hit closed jobs, unregistered providers or prices above the max."""
        job = self.pick(q.query_jobs(self.view()[0], open_only=False), j)
        if job is not None:
            self.send(PROVIDER_KEYS[p], MsgBid(job.id, price, 10, SPEC))

    @rule(p=st.integers(0, len(PROVIDER_KEYS) - 1), j=index, own=st.booleans())
    def withdraw_bid(self, p, j, own) -> None:
        """A withdrawal by any provider, or (`own`) by one that bid on the job."""
        job = self.pick(q.query_jobs(self.view()[0], open_only=True), j)
        if job is None:
            return
        key = PROVIDER_KEYS[p]
        if own and job.bidders:
            key = PROVIDER_KEYS[PROVIDERS.index(job.bidders[p % len(job.bidders)])]
        self.send(key, MsgWithdrawBid(job.id))

    # -- leases --------------------------------------------------------------------------------

    @rule(l=index, h=st.integers(0, 2), uptime=st.sampled_from([10_000, 9_999, 5_000]), wrong=st.booleans(),
          dispute=st.none() | st.tuples(st.integers(0, len(VERIFIER_KEYS)), st.none() | st.integers(0, 2)))
    def receipt(self, l, h, uptime, wrong, dispute) -> None:
        """A receipt and sometimes (`dispute`: challenger, verdict) a challenge of it in the next block."""
        leases = q.query_leases(self.view()[0])
        lease = self.pick([x for x in leases if x.status == 0] or leases, l)
        if lease is None:
            return
        key = PROVIDER_KEYS[PROVIDERS.index(lease.provider)] if not wrong else PROVIDER_KEYS[l % len(PROVIDER_KEYS)]
        self.send(key, MsgSubmitReceipt(lease.id, HASHES[h], SPEC, uptime, 10))
        if dispute is not None:
            self.end_blocks(1)
            self.challenge_lease(lease, dispute[0], HASHES[(h + 1) % len(HASHES)], dispute[1])

    @rule(l=index)
    def withdraw_earnings(self, l) -> None:
        lease = self.pick(q.query_leases(self.view()[0]), l)
        if lease is not None:
            self.send(PROVIDER_KEYS[PROVIDERS.index(lease.provider)], MsgWithdrawEarnings(lease.id))

    @rule(l=index, v=st.integers(0, len(VERIFIER_KEYS)), h=st.integers(0, 2), judge=st.none() | st.integers(0, 2))
    def challenge(self, l, v, h, judge) -> None:
        """A challenge, and (`judge`) its referee's verdict in the next block, inside the window."""
        view = self.view()[0]
        lease = self.pick([x for x in q.query_leases(view) if x.status == SUBMITTED] or q.query_leases(view), l)
        if lease is not None:
            self.challenge_lease(lease, v, HASHES[h], judge)

    def challenge_lease(self, lease, v: int, claimed: bytes, judge: int | None) -> None:
        """Challenge by verifier `v` (or the consumer, v = len(VERIFIER_KEYS)); `judge`: verdict next block."""
        view = self.view()[0]
        if v == len(VERIFIER_KEYS):
            job = q.query_job(view, lease.job_id)
            key = next(k for k in CONSUMER_KEYS if self.address(k) == job.consumer)
        else:
            key = VERIFIER_KEYS[v]
        self.send(key, MsgChallenge(lease.id, claimed))
        if judge is not None:
            self.end_blocks(1)
            challenge_id = q.query_lease(self.view()[0], lease.id).challenge_id
            if challenge_id:
                self.verdict(challenge_id - 1, judge)

    @rule(c=index, h=st.integers(0, 2))
    def verdict(self, c, h) -> None:
        open_ = [x for x in vq.query_challenges(self.view()[0]) if x.status == OPEN]
        challenge = next((x for x in open_ if x.id == c + 1), None) or self.pick(open_, c)
        if challenge is not None:
            self.send(VERIFIER_KEYS[VERIFIERS.index(challenge.referee)], MsgVerdict(challenge.id, HASHES[h]))

    # -- blocks --------------------------------------------------------------------------------

    @precondition(lambda self: self.pending)
    @rule()
    def next_block(self) -> None:
        """Txs sent since the last block go into one block (so sometimes several per block)."""
        self.end_blocks(1)

    @rule(blocks=st.integers(1, 4))
    def end_blocks(self, blocks: int) -> None:
        self.pending = False
        for _ in range(blocks):
            result = self.d.block()
            assert len(result.tx_results) == len(self.sent)
            for kind, r in zip(self.sent, result.tx_results):
                assert r.code == 0 or 20 <= r.code <= 89, r.log  # typed module errors only, never internal
                SUCCEEDED[kind] += r.code == 0
            self.sent = []
            self.check_history()

    def check_history(self) -> None:
        view, height = self.view()
        for job in q.query_jobs(view, open_only=False):
            escrow = q.query_escrow_at(view, job.id, height)
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

    @invariant()
    def invariants_hold(self) -> None:
        self.d.app.check_invariants()
        view, height = self.view()
        views = [q.query_escrow_at(view, job.id, height) for job in q.query_jobs(view, open_only=False)]
        assert get_balance(view, ESCROW_ACCOUNT) == sum(v.balance for v in views)


SUCCEEDED: Counter[str] = Counter()  # msg type -> txs of it that succeeded, over a whole run


def test_random_market_runs_hold_every_invariant_and_every_kind_of_tx_succeeds() -> None:
    """A run in which some kind of tx always fails would test nothing about that kind."""
    SUCCEEDED.clear()
    # derandomized: the same examples every run, so "some tx of each kind succeeded" cannot flake
    run_state_machine_as_test(MarketMachine, settings=settings(max_examples=100, stateful_step_count=60, deadline=None,
                                                               derandomize=True))
    kinds = {cls.__name__ for cls in Msg._registry.values() if cls.__module__.rsplit(".", 2)[-2] in ("market", "verify")}
    assert {kind for kind in kinds if SUCCEEDED[kind] == 0} == set(), SUCCEEDED
