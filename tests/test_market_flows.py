"""Market scenarios through the real App: escrow pause/grace/resume/close at exact heights,
settlement with take and burn, redundancy majority with dissenter slashing, spot-check challenges
(upheld, false, unanswered), deadline and SLA penalties, pro-rata refunds, reputation history."""
from __future__ import annotations

import hashlib
from dataclasses import replace

from akechain.chain.crypto import format_address
from akechain.chain.modules.bank.keeper import TREASURY, get_balance
from akechain.chain.modules.reputation.keeper import (
    HISTORY_PREFIX,
    Reputation,
    ReputationEntry,
    get_history_key,
    get_reputation_key,
    query_reputation,
    record_outcome,
)
from akechain.chain.store import Journal
from state.codec import encode
from state.kv import MemoryKV
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT
from akechain.chain.modules.market import queries as q
from akechain.chain.modules.market.keeper import compute_required_collateral
from akechain.chain.modules.verify import queries as vq
from akechain.chain.modules.escrow.errors import NothingToWithdrawError
from akechain.chain.modules.market.errors import InsufficientCollateralError, LeaseStateError, ProviderHasLeasesError
from akechain.chain.modules.market.msgs import (
    POLICY_REDUNDANCY,
    POLICY_SPOT_CHECK,
    MsgBid,
    MsgDeregisterProvider,
    MsgRegisterProvider,
    MsgRevealReceipt,
    MsgSubmitReceipt,
    MsgTopUp,
    MsgWithdrawBid,
    MsgWithdrawCollateral,
    MsgWithdrawEarnings,
    Policy,
)
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict
from akechain.chain.modules.market.records import CLOSED, COMMITTED, COMPLETED, RUNNING
from akechain.chain.modules.verify.keeper import INCONCLUSIVE, REJECTED, UPHELD, is_spot_checked, pick_verifier
from test_market_support import (
    CONSUMER_KEYS,
    CONSUMERS,
    DISTRIBUTION_PARAMS,
    FEE,
    HARDWARE,
    MARKET_PARAMS,
    PROVIDER_KEYS,
    PROVIDERS,
    SPEC,
    VERIFIER_KEYS,
    VERIFIERS,
    Driver,
    job_msg,
    SALT,
    commit_msg,
    make_market_chain,
    seed_for,
    submit_receipt,
    submit_receipts,
)

COLLATERAL = 10_000_000
GOOD, BAD = b"\x01" * 32, b"\x02" * 32


def setup(providers: int = 3) -> Driver:
    d = Driver(make_market_chain())
    for key in PROVIDER_KEYS[:providers]:
        d.tx(key, MsgRegisterProvider(HARDWARE, "eu", ("tier=a",), "https://p.example", COLLATERAL))
    d.block()
    return d


def key_of(address: bytes):
    return PROVIDER_KEYS[PROVIDERS.index(address)]


def open_job(d: Driver, bidders: int = 1, prices=(50, 60, 70), **job) -> list:
    """Create a job, bid from the first `bidders` providers, run to the window's close; the leases."""
    assert d.run(CONSUMER_KEYS[0], job_msg(**job)) == (0, "")
    job_id = max(j.id for j in q.query_jobs(d.app.get_state_view()[0], open_only=False))
    for i in range(bidders):
        d.tx(PROVIDER_KEYS[i], MsgBid(job_id, prices[i], 100, SPEC))
    d.block()
    d.advance_to(d.job(job_id).bid_close_height)
    return q.query_leases(d.app.get_state_view()[0], job_id=job_id)


def balance(d: Driver, address: bytes) -> int:
    return d.app.get_account(address).balance


def test_escrow_pauses_at_exact_height_then_closes_after_grace_and_refunds() -> None:
    d = setup()
    # 1_030 uake at 100/block: 10 blocks funded, 30 left over
    [lease] = open_job(d, budget=1_030, max_price=100, prices=(100,), duration=50, deadline=60)
    start = lease.opened_height
    consumer_before = balance(d, CONSUMERS[0])
    d.advance_to(start + 9)
    assert d.escrow(lease.job_id).streams[0].state == "accruing"
    d.advance_to(start + 10)
    view = d.escrow(lease.job_id)
    assert (view.earned, view.left, view.streams[0].state) == (1_000, 30, "paused")
    assert view.streams[0].grace_until == start + 10 + MARKET_PARAMS.grace_blocks
    d.advance_to(start + 12)  # nothing accrues while paused; the grace ends here
    view = d.escrow(lease.job_id)
    assert view.closed and view.earned == 1_000 and view.refunded == 30
    lease = q.query_lease(d.app.get_state_view()[0], lease.id)
    assert (lease.status, lease.close_reason) == (CLOSED, "out-of-funds")
    assert balance(d, CONSUMERS[0]) == consumer_before + 30
    assert balance(d, lease.provider) == GENESIS - COLLATERAL - 2 * FEE + 1_000 - 1_000 * MARKET_PARAMS.take_rate_bps // 10_000
    assert d.job(lease.job_id).status == COMPLETED


GENESIS = 10**9


def test_top_up_during_grace_resumes_and_others_may_deposit() -> None:
    d = setup()
    [lease] = open_job(d, budget=500, max_price=100, prices=(100,), duration=20, deadline=40)
    start = lease.opened_height
    d.advance_to(start + 5)
    assert d.escrow(lease.job_id).streams[0].state == "paused"
    # a third party tops up during the grace period: the lease resumes from that height
    assert d.run(CONSUMER_KEYS[1], MsgTopUp(lease.job_id, 1_000)) == (0, "")
    resumed_at = d.height
    view = d.escrow(lease.job_id)
    assert view.streams[0].state == "accruing" and view.earned == 500 and view.left == 1_000
    d.advance_to(resumed_at + 3)
    assert d.escrow(lease.job_id).earned == 800
    # the receipt stops accrual; settlement refunds the rest pro rata to both depositors
    assert submit_receipt(d, key_of(lease.provider), lease.id, GOOD) == (0, "")
    earned = d.escrow(lease.job_id).earned
    assert earned == 900
    before = [balance(d, c) for c in CONSUMERS[:2]]
    d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks)
    view = d.escrow(lease.job_id)
    assert view.closed and view.paid == 900 and view.refunded == 600
    after = [balance(d, c) for c in CONSUMERS[:2]]
    assert after[0] - before[0] == 200 and after[1] - before[1] == 400  # 500:1000 of the 600 left


def test_settlement_pays_minus_take_split_into_burn_and_treasury() -> None:
    d = setup()
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=10, deadline=30)
    d.advance_to(lease.opened_height + 10)
    assert d.escrow(lease.job_id).streams[0].state == "stopped"  # duration served
    provider_before, treasury_before = balance(d, lease.provider), balance(d, TREASURY)
    burned_before = d.app.get_supply().burned
    pkey = key_of(lease.provider)
    assert submit_receipt(d, pkey, lease.id, GOOD) == (0, "")
    d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks)
    take = 1_000 * MARKET_PARAMS.take_rate_bps // 10_000
    burn = take * MARKET_PARAMS.take_burn_bps // 10_000
    fee_burn = FEE * DISTRIBUTION_PARAMS.burn_bps // 10_000  # each fee is split a block later
    # two txs: the commitment and the reveal
    assert balance(d, lease.provider) == provider_before - 2 * FEE + 1_000 - take
    assert balance(d, TREASURY) == treasury_before + 2 * (FEE - fee_burn) + take - burn
    assert d.app.get_supply().burned == burned_before + 2 * fee_burn + burn
    view = q.query_provider(d.app.get_state_view()[0], lease.provider)
    assert view.provider.locked == 0 and view.provider.open_leases == 0
    rep = q.query_reputation(d.app.get_state_view()[0], lease.provider)
    assert rep.settled == 1 and rep.history[-1].kind == "settled"


def test_withdrawals_release_only_whole_checkpoints_the_lock_can_claw_back() -> None:
    d = setup()
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=60, deadline=80)
    assert lease.locked_collateral == 1_200  # 100 x 60 x 20%
    cap = lease.locked_collateral * MARKET_PARAMS.unverified_pay_bps // 10_000
    pkey = key_of(lease.provider)
    d.advance_to(lease.opened_height + 7)
    # 8 blocks earned, no checkpoint (every 10 blocks) served yet: nothing is released
    assert d.run(pkey, MsgWithdrawEarnings(lease.id))[0] == NothingToWithdrawError.code
    d.advance_to(lease.opened_height + 20)
    before = balance(d, lease.provider)
    assert d.run(pkey, MsgWithdrawEarnings(lease.id)) == (0, "")  # 2,100 earned; 2,000 checkpointed; capped
    assert balance(d, lease.provider) == before - FEE + cap - cap * MARKET_PARAMS.take_rate_bps // 10_000
    view = d.escrow(lease.job_id)
    assert view.paid == cap and view.earned == 2_100
    assert d.run(pkey, MsgWithdrawEarnings(lease.id))[0] == NothingToWithdrawError.code
    # the provider cannot deregister or withdraw locked collateral meanwhile
    assert d.run(pkey, MsgDeregisterProvider())[0] == ProviderHasLeasesError.code
    assert d.run(pkey, MsgWithdrawCollateral(COLLATERAL))[0] == InsufficientCollateralError.code


def test_a_provider_that_never_delivers_keeps_nothing_and_the_consumer_is_made_whole() -> None:
    """The attack of issue 11: withdraw every few blocks, never deliver. The deadline claws back
    every uake paid, from the collateral, and adds the penalty."""
    d = setup()
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=60, deadline=80)
    pkey = key_of(lease.provider)
    for height in range(lease.opened_height + 10, lease.opened_height + 31, 10):
        d.advance_to(height)
        d.run(pkey, MsgWithdrawEarnings(lease.id))
    paid = d.escrow(lease.job_id).paid
    assert paid == lease.locked_collateral * MARKET_PARAMS.unverified_pay_bps // 10_000
    provider = d.provider(lease.provider).provider
    consumer_before = balance(d, CONSUMERS[0])
    events = d.advance_to(d.job(lease.job_id).deadline_height)
    penalty = lease.locked_collateral * MARKET_PARAMS.penalty_bps // 10_000
    assert ("provider_clawed_back", (("lease_id", str(lease.id)), ("amount", str(paid)))) in events
    assert balance(d, CONSUMERS[0]) == consumer_before + (100_000 - paid) + paid + penalty
    assert d.provider(lease.provider).provider.collateral == provider.collateral - paid - penalty


def test_tiny_jobs_still_pay_a_take_and_lock_collateral() -> None:
    d = setup()
    [lease] = open_job(d, budget=1_000, max_price=1, prices=(1,), duration=5, deadline=30)
    assert lease.locked_collateral == MARKET_PARAMS.min_collateral  # 1 x 5 x 20% would be 1
    d.advance_to(lease.opened_height + 5)
    submit_receipt(d, key_of(lease.provider), lease.id, GOOD)
    events = d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks)
    assert d.escrow(lease.job_id).paid == 5
    [paid] = [dict(attrs) for kind, attrs in events if kind == "lease_paid"]
    assert paid["take"] == str(MARKET_PARAMS.min_take) and paid["net"] == str(5 - MARKET_PARAMS.min_take)  # 5 x 5% rounds to 0


def test_redundancy_majority_wins_and_dissenter_is_slashed() -> None:
    d = setup(providers=3)
    policy = Policy(kind=POLICY_REDUNDANCY, spot_check_bps=0, k=2, n=3)
    leases = open_job(d, bidders=3, budget=100_000, duration=5, deadline=30, policy=policy)
    assert len(leases) == 3
    d.advance_to(leases[0].opened_height + 5)
    outputs = {leases[0].id: GOOD, leases[1].id: GOOD, leases[2].id: BAD}
    consumer_before = balance(d, CONSUMERS[0])
    collateral_before = {l.provider: q.query_provider(d.app.get_state_view()[0], l.provider).provider.collateral for l in leases}
    submit_receipts(d, [(key_of(lease.provider), lease.id, outputs[lease.id]) for lease in leases])
    view = d.app.get_state_view()[0]
    closed = {l.id: q.query_lease(view, l.id) for l in leases}
    assert [closed[l.id].close_reason for l in leases] == ["settled", "settled", "dissent"]
    dissenter = leases[2]
    slashed = dissenter.locked_collateral * MARKET_PARAMS.slash_bps // 10_000
    assert q.query_provider(view, dissenter.provider).provider.collateral == collateral_before[dissenter.provider] - slashed
    assert q.query_provider(view, leases[0].provider).provider.collateral == collateral_before[leases[0].provider]
    escrow = d.escrow(dissenter.job_id)
    assert escrow.closed and escrow.paid == 5 * (leases[0].price + leases[1].price)
    compensation = slashed * MARKET_PARAMS.slash_consumer_bps // 10_000
    assert balance(d, CONSUMERS[0]) == consumer_before + compensation + escrow.refunded
    assert q.query_reputation(view, dissenter.provider).slashes == 1


def spot_job(d: Driver) -> tuple:
    policy = Policy(kind=POLICY_SPOT_CHECK, spot_check_bps=5_000, k=1, n=1)
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=5, deadline=40, policy=policy)
    d.advance_to(lease.opened_height + 5)
    assert submit_receipt(d, key_of(lease.provider), lease.id, GOOD) == (0, "")
    return lease, q.query_lease(d.app.get_state_view()[0], lease.id)


def open_challenge(d: Driver, lease, challenger_key, claimed: bytes):
    code, log = d.run(challenger_key, MsgChallenge(lease.id, claimed))
    assert code == 0, log
    view = d.app.get_state_view()[0]
    challenge = vq.query_challenge(view, q.query_lease(view, lease.id).challenge_id)
    return challenge, VERIFIER_KEYS[VERIFIERS.index(challenge.referee)]


def test_upheld_challenge_slashes_compensates_and_rewards() -> None:
    d = setup()
    lease, submitted = spot_job(d)
    challenger = VERIFIER_KEYS[0] if submitted.verifier in (b"", VERIFIERS[0]) else VERIFIER_KEYS[VERIFIERS.index(submitted.verifier)]
    challenger_address = VERIFIERS[VERIFIER_KEYS.index(challenger)]
    challenge, referee = open_challenge(d, lease, challenger, BAD)
    before = {a: balance(d, a) for a in (challenger_address, CONSUMERS[0], lease.provider)}
    assert d.run(referee, MsgVerdict(challenge.id, BAD)) == (0, "")
    view = d.app.get_state_view()[0]
    assert vq.query_challenge(view, challenge.id).status == UPHELD
    slashed = lease.locked_collateral * MARKET_PARAMS.slash_bps // 10_000
    reward = slashed * MARKET_PARAMS.slash_challenger_bps // 10_000
    assert balance(d, challenger_address) == before[challenger_address] + challenge.bond + reward
    escrow = d.escrow(lease.job_id)
    assert escrow.paid == 0 and escrow.refunded == 100_000  # the provider's earnings were forfeited
    assert balance(d, CONSUMERS[0]) == before[CONSUMERS[0]] + slashed * MARKET_PARAMS.slash_consumer_bps // 10_000 + 100_000
    assert balance(d, lease.provider) == before[lease.provider]
    assert q.query_lease(view, lease.id).close_reason == "slashed"


def test_false_challenge_loses_its_bond_and_the_lease_settles_verified() -> None:
    d = setup()
    lease, _ = spot_job(d)
    challenge, referee = open_challenge(d, lease, CONSUMER_KEYS[0], BAD)
    consumer_before, provider_before = balance(d, CONSUMERS[0]), balance(d, lease.provider)
    assert d.run(referee, MsgVerdict(challenge.id, GOOD)) == (0, "")
    view = d.app.get_state_view()[0]
    assert vq.query_challenge(view, challenge.id).status == REJECTED
    net = 500 - 500 * MARKET_PARAMS.take_rate_bps // 10_000
    assert balance(d, lease.provider) == provider_before + challenge.bond + net
    assert balance(d, CONSUMERS[0]) == consumer_before + 100_000 - 500  # refund only, bond lost
    assert q.query_lease(view, lease.id).verified
    assert q.query_reputation(view, lease.provider).verified == 1


def test_unanswered_challenge_is_inconclusive_and_returns_the_bond() -> None:
    d = setup()
    lease, _ = spot_job(d)
    challenge, _ = open_challenge(d, lease, CONSUMER_KEYS[0], BAD)
    before = balance(d, CONSUMERS[0])
    d.advance_to(challenge.end_height)
    view = d.app.get_state_view()[0]
    assert vq.query_challenge(view, challenge.id).status == INCONCLUSIVE
    assert balance(d, CONSUMERS[0]) == before + challenge.bond + 100_000 - 500
    assert q.query_lease(view, lease.id).close_reason == "settled"


def test_deadline_miss_penalises_and_forfeits() -> None:
    d = setup()
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=5, deadline=12)
    job = d.job(lease.job_id)
    consumer_before = balance(d, CONSUMERS[0])
    d.advance_to(job.deadline_height)
    view = d.app.get_state_view()[0]
    closed = q.query_lease(view, lease.id)
    assert (closed.status, closed.close_reason) == (CLOSED, "deadline-missed")
    penalty = lease.locked_collateral * MARKET_PARAMS.penalty_bps // 10_000
    assert balance(d, CONSUMERS[0]) == consumer_before + penalty + 100_000
    assert q.query_reputation(view, lease.provider).penalties == 1


def test_uptime_below_sla_pays_but_penalises() -> None:
    d = setup()
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=5, deadline=30)
    d.advance_to(lease.opened_height + 5)
    assert submit_receipt(d, key_of(lease.provider), lease.id, GOOD, uptime_bps=9_000) == (0, "")
    consumer_before = balance(d, CONSUMERS[0])
    d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks)
    penalty = lease.locked_collateral * MARKET_PARAMS.penalty_bps // 10_000
    assert balance(d, CONSUMERS[0]) == consumer_before + penalty + 100_000 - 500
    rep = q.query_reputation(d.app.get_state_view()[0], lease.provider)
    assert rep.penalties == 1 and rep.settled == 1


def test_escrow_module_account_matches_views() -> None:
    d = setup()
    open_job(d, bidders=2, budget=5_000, prices=(40, 60), duration=10, deadline=30)
    view, height = d.app.get_state_view()
    total = sum(q.query_escrow_at(view, j.id, height).balance for j in q.query_jobs(view, open_only=False))
    assert get_balance(view, ESCROW_ACCOUNT) == total
    assert [l.status for l in q.query_leases(view, provider=PROVIDERS[0])] == [RUNNING]


def test_a_spot_check_with_no_one_to_check_it_does_not_count_as_verified() -> None:
    """The only verifiers are the lease's own provider and consumer: the draw has no candidate."""
    d = Driver(make_market_chain(replace(MARKET_PARAMS, verifiers=tuple(sorted((PROVIDERS[0], CONSUMERS[0]))))))
    d.tx(PROVIDER_KEYS[0], MsgRegisterProvider(HARDWARE, "eu", ("tier=a",), "https://p.example", COLLATERAL))
    d.block()
    policy = Policy(kind=POLICY_SPOT_CHECK, spot_check_bps=MARKET_PARAMS.spot_check_rate_cap_bps, k=1, n=1)
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=5, deadline=40, policy=policy)
    d.advance_to(lease.opened_height + 5)
    assert submit_receipt(d, PROVIDER_KEYS[0], lease.id, GOOD) == (0, "")
    submitted = q.query_lease(d.app.get_state_view()[0], lease.id)
    assert not submitted.spot_checked and submitted.verifier == b""
    d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks + 1)
    assert not q.query_lease(d.app.get_state_view()[0], lease.id).verified


def test_a_copied_commitment_earns_nothing_and_is_slashed() -> None:
    """The lazy replica of issue 11 copies the honest replica's receipt: it cannot open it (the
    commitment binds provider and lease), and the honest output stays hidden until it commits."""
    d = setup(providers=3)
    policy = Policy(kind=POLICY_REDUNDANCY, spot_check_bps=0, k=2, n=3)
    leases = open_job(d, bidders=3, budget=100_000, duration=5, deadline=30, policy=policy)
    d.advance_to(leases[0].opened_height + 5)
    honest, other, copier = leases
    d.tx(key_of(honest.provider), commit_msg(key_of(honest.provider), honest.id, GOOD))
    d.tx(key_of(other.provider), commit_msg(key_of(other.provider), other.id, GOOD))
    d.block()
    copied = q.query_lease(d.app.get_state_view()[0], honest.id).commitment
    assert q.query_lease(d.app.get_state_view()[0], honest.id).receipt.output_hash == b""  # nothing to copy yet
    assert d.run(key_of(copier.provider), MsgSubmitReceipt(copier.id, copied, SPEC, 10_000, 10)) == (0, "")
    collateral_before = d.provider(copier.provider).provider.collateral
    for lease in leases:  # the copier reveals the honest output: it does not open the copied commitment
        d.tx(key_of(lease.provider), MsgRevealReceipt(lease.id, GOOD, SALT))
    d.block()
    view = d.app.get_state_view()[0]
    closed = {lease.id: q.query_lease(view, lease.id) for lease in leases}
    assert [closed[lease.id].close_reason for lease in leases] == ["settled", "settled", "bad-reveal"]
    slashed = copier.locked_collateral * MARKET_PARAMS.slash_bps // 10_000
    assert d.provider(copier.provider).provider.collateral == collateral_before - slashed
    stream = next(s for s in d.escrow(copier.job_id).streams if s.lease_id == copier.id)
    assert stream.paid == 0 and stream.earned == 0  # its earnings were forfeited to the refund


def test_a_commitment_never_revealed_is_slashed_at_the_window_end() -> None:
    d = setup()
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=5, deadline=40)
    d.advance_to(lease.opened_height + 5)
    pkey = key_of(lease.provider)
    assert d.run(pkey, commit_msg(pkey, lease.id, GOOD)) == (0, "")
    committed = q.query_lease(d.app.get_state_view()[0], lease.id)
    assert (committed.reveal_from, committed.reveal_end) == (d.height + 1, d.height + MARKET_PARAMS.reveal_window_blocks)
    d.advance_to(committed.reveal_end - 1)
    assert q.query_lease(d.app.get_state_view()[0], lease.id).status == COMMITTED
    d.advance_to(committed.reveal_end)
    closed = q.query_lease(d.app.get_state_view()[0], lease.id)
    assert (closed.status, closed.close_reason) == (CLOSED, "no-reveal")
    assert q.query_reputation(d.app.get_state_view()[0], lease.provider).slashes == 1
    assert d.run(pkey, MsgRevealReceipt(lease.id, GOOD, SALT))[0] == LeaseStateError.code


def test_the_spot_check_draw_uses_the_seed_after_the_commitment() -> None:
    """The provider cannot pick its reveal block to dodge a check: the draw is made once, at the end
    of the block after the commitment, whatever the reveal's height."""
    d = setup()
    lease, _ = spot_job(d)
    view = d.app.get_state_view()[0]
    drawn = q.query_lease(view, lease.id)
    job = d.job(lease.job_id)
    seed = seed_for(drawn.reveal_from)
    expected = is_spot_checked(seed, lease.id, job.policy.spot_check_bps)
    assert drawn.spot_checked == expected
    if expected:
        candidates = [v for v in sorted(VERIFIERS) if v not in (lease.provider, job.consumer)]
        assert drawn.verifier == pick_verifier(seed, b"spot-verifier", lease.id, candidates)


def spot_draw_with_last_commits(commit_salt: bytes) -> tuple[bool, bytes]:
    d = setup()
    d.commit_salt = commit_salt
    lease, _ = spot_job(d)
    d.advance_to(d.height + 1)  # the draw is made at the end of the block after the commitment
    drawn = q.query_lease(d.app.get_state_view()[0], lease.id)
    return drawn.spot_checked, drawn.verifier


def test_a_proposer_choosing_its_last_commit_cannot_steer_the_spot_check_draw() -> None:
    """The proposer picks which precommits beyond +2/3 its block carries, so the last commit hash is
    its choice; the draw follows only the blocks' VRF outputs, one value per proposer and height."""
    salts = [bytes([i]) for i in range(6)]
    # Under a last-commit seed these salts flip the draw (lease 1, drawn in block 10)
    old_draws = {is_spot_checked(hashlib.sha256(salt + (10).to_bytes(8, "big")).digest(), 1, 5_000) for salt in salts}
    assert old_draws == {True, False}
    assert len({spot_draw_with_last_commits(salt) for salt in salts}) == 1


def settle_one(d: Driver, price: int, duration: int):
    [lease] = open_job(d, budget=100_000, prices=(price,), duration=duration, deadline=duration + 10)
    d.advance_to(lease.opened_height + duration)
    assert submit_receipt(d, key_of(lease.provider), lease.id, GOOD) == (0, "")
    d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks)
    assert q.query_lease(d.app.get_state_view()[0], lease.id).close_reason == "settled"
    return q.query_reputation(d.app.get_state_view()[0], lease.provider)


def test_tiny_leases_earn_no_reputation_so_self_dealing_cannot_farm_it() -> None:
    """59 uake of lease value (just under `reputation_min_lease_value` = 60) settles and pays, but
    the score does not move; 60 raises it."""
    d = setup(providers=1)
    tiny = settle_one(d, price=1, duration=59)
    assert (tiny.settled, tiny.history, tiny.score_bps) == (0, (), MARKET_PARAMS.reputation_initial_bps)
    worth = settle_one(d, price=1, duration=60)
    assert worth.settled == 1 and worth.score_bps > MARKET_PARAMS.reputation_initial_bps


def test_tiny_leases_still_lose_reputation() -> None:
    d = setup(providers=1)
    [lease] = open_job(d, budget=100_000, prices=(1,), duration=5, deadline=12)
    d.advance_to(d.job(lease.job_id).deadline_height)
    rep = q.query_reputation(d.app.get_state_view()[0], lease.provider)
    assert rep.penalties == 1 and rep.score_bps < MARKET_PARAMS.reputation_initial_bps


def test_one_stake_cannot_back_bids_on_every_job() -> None:
    """A bid reserves the lock it could win plus the deposit; a second bid the same stake cannot
    also cover is refused, as is withdrawing the reserved collateral; the reservation becomes the
    lease's lock at the close, or comes back with the bid."""
    lock = compute_required_collateral(100, 10, MARKET_PARAMS.reputation_initial_bps, MARKET_PARAMS)
    stake = lock + MARKET_PARAMS.bid_deposit
    d = Driver(make_market_chain())
    d.tx(PROVIDER_KEYS[0], MsgRegisterProvider(HARDWARE, "eu", (), "https://p", stake))
    d.tx(CONSUMER_KEYS[0], job_msg(max_price=100, duration=10, window=4))
    d.tx(CONSUMER_KEYS[1], job_msg(max_price=100, duration=10, window=4))
    d.block()
    assert d.run(PROVIDER_KEYS[0], MsgBid(1, 100, 10, SPEC)) == (0, "")
    assert d.provider(PROVIDERS[0]).free_collateral == 0
    assert d.run(PROVIDER_KEYS[0], MsgBid(2, 100, 10, SPEC))[0] == InsufficientCollateralError.code
    assert d.run(PROVIDER_KEYS[0], MsgWithdrawCollateral(1))[0] == InsufficientCollateralError.code
    assert d.run(PROVIDER_KEYS[0], MsgDeregisterProvider())[0] == ProviderHasLeasesError.code
    d.advance_to(d.job(1).bid_close_height)
    provider = d.provider(PROVIDERS[0])
    assert (provider.provider.reserved, provider.provider.locked, provider.free_collateral) == (0, lock, stake - lock)


def test_a_bid_withdrawn_late_in_the_window_forfeits_its_deposit_to_the_consumer() -> None:
    d = setup(providers=2)
    assert d.run(CONSUMER_KEYS[0], job_msg(window=8)) == (0, "")
    job = max(q.query_jobs(d.app.get_state_view()[0]), key=lambda j: j.id)
    d.tx(PROVIDER_KEYS[0], MsgBid(job.id, 50, 10, SPEC))
    d.tx(PROVIDER_KEYS[1], MsgBid(job.id, 60, 10, SPEC))
    d.block()
    early = balance(d, CONSUMERS[0])
    assert d.run(PROVIDER_KEYS[0], MsgWithdrawBid(job.id)) == (0, "")  # early: free, reservation released
    assert balance(d, CONSUMERS[0]) == early
    assert d.provider(PROVIDERS[0]).free_collateral == COLLATERAL
    d.advance_to(job.bid_close_height - 8 * MARKET_PARAMS.late_withdraw_bps // 10_000 - 1)
    assert d.run(PROVIDER_KEYS[1], MsgWithdrawBid(job.id)) == (0, "")  # at the first late height
    assert balance(d, CONSUMERS[0]) == early + MARKET_PARAMS.bid_deposit
    assert d.provider(PROVIDERS[1]).provider.collateral == COLLATERAL - MARKET_PARAMS.bid_deposit
    assert d.provider(PROVIDERS[1]).provider.reserved == 0


def test_the_job_record_does_not_grow_with_its_bids_and_selection_reads_them_by_key() -> None:
    d = setup(providers=6)
    assert d.run(CONSUMER_KEYS[0], job_msg(window=12, deadline=30)) == (0, "")
    job_id = max(j.id for j in q.query_jobs(d.app.get_state_view()[0]))
    sizes = []
    for i, price in enumerate((70, 40, 90, 60, 50, 80)):
        assert d.run(PROVIDER_KEYS[i], MsgBid(job_id, price, 100, SPEC)) == (0, "")
        sizes.append(len(encode(d.job(job_id))))
    assert len(set(sizes)) == 1 and d.job(job_id).bid_count == 6
    assert [bid.provider for bid in q.query_bids(d.app.get_state_view()[0], job_id)] == PROVIDERS[:6]
    assert d.run(PROVIDER_KEYS[2], MsgWithdrawBid(job_id)) == (0, "")
    assert d.job(job_id).bid_count == 5
    d.advance_to(d.job(job_id).bid_close_height)
    [lease] = q.query_leases(d.app.get_state_view()[0], job_id=job_id)
    assert lease.provider == PROVIDERS[1] and q.query_bids(d.app.get_state_view()[0], job_id) == []


def test_reputation_history_is_keyed_so_an_outcome_writes_one_entry_not_the_whole_history() -> None:
    kv = MemoryKV()
    store = Journal(kv.get, lambda prefix, start: (key for key, _ in kv.iterate(prefix, start=start)))
    provider = PROVIDERS[0]
    sizes = set()
    for height in range(1, 21):
        record_outcome(store, provider, height, "settled", 9_000, alpha_bps=2_000, initial_bps=5_000, history_len=4)
        sizes.add(len(encode(store.get(get_reputation_key(provider), Reputation))))
    assert len(sizes) <= 2  # the record holds counters only (a varint may grow by a byte)
    view = query_reputation(store, provider, 5_000, 4)
    assert [entry.height for entry in view.history] == [17, 18, 19, 20] and view.settled == 20
    assert [key for key, _ in store.iterate(HISTORY_PREFIX, ReputationEntry)] == [
        get_history_key(provider, sequence) for sequence in range(16, 20)]


def running_out_events(events) -> list[dict[str, str]]:
    return [dict(attributes) for kind, attributes in events if kind == "lease_running_out"]


def test_end_block_announces_a_run_out_the_warning_blocks_ahead_and_again_after_a_top_up() -> None:
    d = Driver(make_market_chain(replace(MARKET_PARAMS, run_out_warning_blocks=3)))
    d.tx(PROVIDER_KEYS[0], MsgRegisterProvider(HARDWARE, "eu", ("tier=a",), "https://p.example", COLLATERAL))
    d.block()
    # 1_030 uake at 100/block: the escrow pauses at start + 10, so the warning comes at start + 7
    [lease] = open_job(d, budget=1_030, max_price=100, prices=(100,), duration=50, deadline=60, bidders=1)
    start = lease.opened_height
    assert running_out_events(d.advance_to(start + 6)) == []
    assert running_out_events(d.advance_to(start + 7)) == [
        {"lease_id": str(lease.id), "job_id": str(lease.job_id), "run_out_height": str(start + 10),
         "consumer": format_address(CONSUMERS[0])}]
    assert d.escrow(lease.job_id).streams[0].state == "accruing"  # a warning changes nothing
    # a top-up of 5 blocks moves the run-out to start + 15: warned again, once, 3 blocks before it
    assert d.run(CONSUMER_KEYS[0], MsgTopUp(lease.job_id, 500)) == (0, "")
    events = d.advance_to(start + 14)
    assert [e["run_out_height"] for e in running_out_events(events)] == [str(start + 15)]
    assert d.escrow(lease.job_id).streams[0].state == "accruing"
    assert running_out_events(d.advance_to(start + 20)) == []


def test_a_stream_that_completes_before_its_funds_run_out_is_not_warned() -> None:
    d = Driver(make_market_chain(replace(MARKET_PARAMS, run_out_warning_blocks=3)))
    d.tx(PROVIDER_KEYS[0], MsgRegisterProvider(HARDWARE, "eu", ("tier=a",), "https://p.example", COLLATERAL))
    d.block()
    [lease] = open_job(d, budget=10_000, max_price=100, prices=(100,), duration=8, deadline=60, bidders=1)
    events = d.advance_to(lease.opened_height + 12)
    assert running_out_events(events) == []
    assert any(kind == "lease_complete" for kind, _ in events)
